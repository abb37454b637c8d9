/*-------------------------------------------------------------------------
 *
 * clients.h
 *	  Open connections per client address, for the fair-share limit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_CLIENTS_H
#define GATEWAY_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* A client as the limit counts it: an IPv4 address, or an IPv6 /64. */
typedef struct ClientKey
{
	uint8_t		bytes[16];
} ClientKey;

extern void clients_key(const struct sockaddr *sa, ClientKey *key, char *text, size_t textlen);
extern bool clients_acquire(const ClientKey *key, int limit);
extern void clients_release(const ClientKey *key);
extern void clients_reset(void);

#endif							/* GATEWAY_CLIENTS_H */
