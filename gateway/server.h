/*-------------------------------------------------------------------------
 *
 * server.h
 *	  The HTTP server: libmicrohttpd's daemon and what it does per request.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_SERVER_H
#define GATEWAY_SERVER_H

#include <stdbool.h>

#include "config.h"

extern bool server_start(const GatewayConfig *config, int *port);
extern void server_quiesce(void);
extern int	server_in_flight(void);
extern void server_stop(void);

#endif							/* GATEWAY_SERVER_H */
