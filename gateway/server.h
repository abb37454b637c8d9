/*-------------------------------------------------------------------------
 *
 * server.h
 *	  The HTTP server's threads: the acceptor and the I/O threads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_SERVER_H
#define GATEWAY_SERVER_H

#include <stdbool.h>

#include "config.h"

extern bool server_listen(const GatewayConfig *config, int *port);
extern bool server_start(void);
extern void server_quiesce(void);
extern int	server_in_flight(void);
extern void server_stop(void);

#endif							/* GATEWAY_SERVER_H */
