/*-------------------------------------------------------------------------
 *
 * clients.c
 *	  Open connections per client address, for the fair-share limit.
 *
 * The acceptor counts each client's open connections and refuses one over
 * --max-connections-per-client, so that one client cannot take the
 * connections everyone shares (a slow-headers flood from one address holds
 * at most its share, and only for --header-timeout).  An IPv6 client is
 * its /64: one host usually has a whole /64 to pick addresses from.
 *
 * A small chained hash table under one mutex: it is touched once when a
 * connection opens and once when it closes.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"
#include "strbuf.h"

#define NBUCKETS 1024

typedef struct ClientEntry
{
	struct ClientEntry *next;
	ClientKey	key;
	int			connections;
} ClientEntry;

static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static ClientEntry *buckets[NBUCKETS];

/*
 * The key of a peer address (IPv4 as an IPv4-mapped IPv6 address, IPv6 cut
 * to its /64), and the address as text for the logs.
 */
void
clients_key(const struct sockaddr *sa, ClientKey *key, char *text, size_t textlen)
{
	memset(key, 0, sizeof(*key));
	snprintf(text, textlen, "-");
	if (sa->sa_family == AF_INET)
	{
		const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

		key->bytes[10] = key->bytes[11] = 0xff;
		memcpy(&key->bytes[12], &in->sin_addr, 4);
		inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t) textlen);
	}
	else if (sa->sa_family == AF_INET6)
	{
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;

		memcpy(key->bytes, &in6->sin6_addr, 16);
		if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			memset(&key->bytes[8], 0, 8);
		inet_ntop(AF_INET6, &in6->sin6_addr, text, (socklen_t) textlen);
	}
}

static unsigned
key_hash(const ClientKey *key)
{
	unsigned	h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ key->bytes[i]) * 16777619u;
	return h % NBUCKETS;
}

/* Count one more connection of the client; false (nothing counted) over limit. */
bool
clients_acquire(const ClientKey *key, int limit)
{
	ClientEntry **slot = &buckets[key_hash(key)];
	ClientEntry *e;
	bool		ok = true;

	pthread_mutex_lock(&clients_lock);
	for (e = *slot; e != NULL; e = e->next)
		if (memcmp(&e->key, key, sizeof(*key)) == 0)
			break;
	if (e == NULL)
	{
		e = xmalloc(sizeof(ClientEntry));
		e->key = *key;
		e->connections = 0;
		e->next = *slot;
		*slot = e;
	}
	if (e->connections >= limit)
		ok = false;
	else
		e->connections++;
	if (e->connections == 0)
	{
		*slot = e->next;
		free(e);
	}
	pthread_mutex_unlock(&clients_lock);
	return ok;
}

/* One connection of the client closed. */
void
clients_release(const ClientKey *key)
{
	ClientEntry **slot = &buckets[key_hash(key)];

	pthread_mutex_lock(&clients_lock);
	for (ClientEntry **p = slot; *p != NULL; p = &(*p)->next)
	{
		ClientEntry *e = *p;

		if (memcmp(&e->key, key, sizeof(*key)) != 0)
			continue;
		if (--e->connections <= 0)
		{
			*p = e->next;
			free(e);
		}
		break;
	}
	pthread_mutex_unlock(&clients_lock);
}

/* Forget every count (at shutdown). */
void
clients_reset(void)
{
	pthread_mutex_lock(&clients_lock);
	for (int i = 0; i < NBUCKETS; i++)
	{
		while (buckets[i] != NULL)
		{
			ClientEntry *e = buckets[i];

			buckets[i] = e->next;
			free(e);
		}
	}
	pthread_mutex_unlock(&clients_lock);
}
