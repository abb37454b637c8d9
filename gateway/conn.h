/*-------------------------------------------------------------------------
 *
 * conn.h
 *	  One client connection: reading requests, handing them on, writing
 *	  responses, timeouts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_CONN_H
#define GATEWAY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clients.h"
#include "config.h"
#include "dispatch.h"
#include "http1.h"
#include "request.h"
#include "response.h"
#include "strbuf.h"

typedef enum ConnState
{
	CONN_HEAD,					/* reading a request head, or idle between requests */
	CONN_BODY,					/* reading a request body */
	CONN_WAITING,				/* a worker has the request */
	CONN_WRITING,				/* sending a response */
	CONN_LINGER,				/* response sent and write side shut: draining input */
	CONN_CLOSED					/* done: the I/O thread frees it */
} ConnState;

struct IoThread;

typedef struct Conn
{
	struct IoThread *io;		/* the thread that owns it */
	struct Conn *prev;			/* the thread's list of connections */
	struct Conn *next;
	struct Conn *next_queued;	/* the thread's incoming or finished list */
	int			fd;
	uint32_t	watched;		/* epoll events watched (0: not in epoll) */
	ClientKey	key;
	char		client[48];
	ConnState	state;
	int64_t		deadline;		/* monotonic us; 0 = none */
	int64_t		accepted_us;
	bool		served;			/* a response was sent on it */
	char	   *in;				/* bytes read and not yet used */
	size_t		in_len;
	size_t		in_cap;
	size_t		charged;		/* budget held for the connection and its buffer */
	Request    *req;			/* the request in progress */
	size_t		req_charged;	/* budget held for its body */
	size_t		body_left;		/* Content-Length bytes still to come */
	Chunked		chunked;
	Work		work;
	Response	resp;
	size_t		resp_charged;	/* budget charged for the response body */
	StrBuf		out;			/* the response's status line and headers */
	size_t		out_sent;
	size_t		body_sent;
	bool		send_body;
	bool		close_after;	/* close once the response is sent */
	bool		in_flight;		/* counted in conn_in_flight() */
	bool		peer_gone;		/* hung up while a worker had the request */
	size_t		linger_bytes;
} Conn;

/* Budget a connection takes before it reads anything (struct, buffers). */
#define CONN_BASE_BYTES (sizeof(Conn) + 2048)

extern void conn_init(const GatewayConfig *config);
extern void conn_start(Conn *conn);
extern void conn_on_events(Conn *conn, uint32_t events);
extern void conn_work_finished(Conn *conn);
extern void conn_check_deadline(Conn *conn, int64_t now);
extern void conn_quiesce(Conn *conn);
extern void conn_free(Conn *conn);
extern int	conn_in_flight(void);

/* Provided by server.c for the connections of its I/O threads. */
extern void io_set_events(Conn *conn, uint32_t events);
extern void io_forget(Conn *conn);
extern void io_post_finished(Conn *conn);

#endif							/* GATEWAY_CONN_H */
