/*-------------------------------------------------------------------------
 *
 * conn.c
 *	  One client connection: reading requests, handing them on, writing
 *	  responses, timeouts.
 *
 * A connection belongs to one I/O thread (server.c), which calls in here
 * when its socket is ready, when a worker has finished its request, and
 * every tick to check its deadline.  Its life:
 *
 *	 HEAD	 read until a whole request head is in (http1.c): at most
 *			 --header-timeout after its first byte (after the accept, for a
 *			 connection's first request), at most the limits' bytes; idle
 *			 between requests for at most --request-timeout.
 *	 BODY	 read the body (Content-Length or chunked) within
 *			 --request-timeout of the request's start, into a buffer
 *			 reserved from the memory budget.
 *	 WAITING a worker has the request (the socket is not watched; bytes of
 *			 a pipelined next request wait in the kernel).
 *	 WRITING send the response; then back to HEAD, or
 *	 LINGER	 shut the write side and read what the client still sends for
 *			 a moment, so that closing does not reset the connection under
 *			 a response it has not read yet.
 *
 * Whatever goes wrong with a request is answered with the API's error body
 * (400 malformed, 408 too slow, 413, 414, 431, 503 out of memory) and the
 * connection closed; nothing is ever left unanswered while the client
 * listens.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "budget.h"
#include "clock.h"
#include "conn.h"
#include "handler.h"
#include "log.h"

#define IN_INITIAL 4096			/* a connection's first read buffer */
#define BODY_INITIAL 16384		/* a chunked body's first buffer */
#define READS_PER_EVENT 8		/* then let other connections have a turn */
#define LINGER_US (2 * 1000000)
#define LINGER_MAX_BYTES (4 * 1024 * 1024)
#define SECONDS_US(s) ((int64_t) (s) * 1000000)

static const GatewayConfig *config;
static size_t head_limit;
static atomic_int requests_in_flight;

static void process(Conn *c);
static void write_response(Conn *c);

void
conn_init(const GatewayConfig *cfg)
{
	config = cfg;
	head_limit = http1_head_limit(cfg->max_url, cfg->max_headers);
	atomic_store(&requests_in_flight, 0);
}

/* Requests whose head is in and whose response is not yet sent. */
int
conn_in_flight(void)
{
	return atomic_load(&requests_in_flight);
}

static void
begin_flight(Conn *c)
{
	if (!c->in_flight)
	{
		c->in_flight = true;
		atomic_fetch_add(&requests_in_flight, 1);
	}
}

static void
end_flight(Conn *c)
{
	if (c->in_flight)
	{
		c->in_flight = false;
		atomic_fetch_sub(&requests_in_flight, 1);
	}
}

/* A newly accepted connection: its first request head is due within --header-timeout. */
void
conn_start(Conn *c)
{
	c->state = CONN_HEAD;
	c->accepted_us = monotonic_us();
	c->deadline = c->accepted_us + SECONDS_US(config->header_timeout);
	strbuf_init(&c->out, 256);
}

/* Start a request (at its first byte), with an empty response. */
static void
ensure_request(Conn *c)
{
	if (c->req != NULL)
		return;
	c->req = request_new(c->client, monotonic_us());
	response_init(&c->resp);
}

/* Drop the first n bytes of the input buffer. */
static void
consume(Conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

static void
log_request(Conn *c)
{
	Request    *req = c->req;

	log_access(req->client, req->method, req->uri, req->status, req->response_bytes,
			   monotonic_us() - req->started_us);
}

/* Forget the request and its response, and give back their budget. */
static void
release_request(Conn *c)
{
	request_free(c->req);
	c->req = NULL;
	response_clear(&c->resp);
	budget_release(c->req_charged + c->resp_charged);
	c->req_charged = 0;
	c->resp_charged = 0;
	end_flight(c);
}

/* Close now; a request that got this far without its response is logged (status 0). */
static void
close_now(Conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	if (c->req != NULL && c->in_flight)
		log_request(c);
	if (c->req != NULL)
		release_request(c);
	c->state = CONN_CLOSED;
	io_forget(c);
}

/* Answer with the response set on c->resp. */
static void
start_response(Conn *c)
{
	Request    *req = c->req;
	Response   *resp = &c->resp;

	if (resp->status == 0)
		response_error(resp, 500, "internal_error", "Internal server error.");
	handler_finish(req, resp);
	c->close_after = resp->close || !req->keep_alive || handler_shutting_down();
	if (resp->body_len > 0)
	{
		budget_charge(resp->body_len);
		c->resp_charged = resp->body_len;
	}
	strbuf_reset(&c->out);
	response_write_head(resp, &c->out, !c->close_after, req->minor);
	c->out_sent = 0;
	c->body_sent = 0;
	c->send_body = resp->body_len > 0 && strcmp(req->method, "HEAD") != 0 &&
		response_status_has_body(resp->status);
	req->status = resp->status;
	req->response_bytes = resp->body_len;
	c->state = CONN_WRITING;
	c->deadline = monotonic_us() + SECONDS_US(config->request_timeout);
	write_response(c);
}

/*
 * Refuse the request in progress (or the bytes that were to become one):
 * the API's error body, and the connection closes after it.
 */
static void
refuse(Conn *c, int status, const char *code, const char *detail, int retry_after)
{
	ensure_request(c);
	begin_flight(c);
	response_clear(&c->resp);
	response_init(&c->resp);
	if (retry_after > 0)
	{
		char		seconds[16];

		response_error(&c->resp, status, code, detail);
		snprintf(seconds, sizeof(seconds), "%d", retry_after);
		response_header(&c->resp, "Retry-After", seconds);
	}
	else
		response_error(&c->resp, status, code, detail);
	c->resp.close = true;
	c->in_len = 0;
	start_response(c);
}

static void
refuse_error(Conn *c, const HttpError *error)
{
	refuse(c, error->status, error->code, error->detail, 0);
}

static void
refuse_memory(Conn *c)
{
	refuse(c, 503, "service_unavailable", "The gateway is at its memory limit; try again later.", 1);
}

/* Make room in the input buffer; false when there is none (the request is refused). */
static bool
ensure_room(Conn *c)
{
	size_t		want;

	if (c->in_len < c->in_cap)
		return true;
	want = c->in_cap == 0 ? IN_INITIAL : c->in_cap * 2;
	if (want > head_limit)
		want = head_limit;
	if (want <= c->in_cap)
	{
		/* Cannot happen: http1_scan_head() refuses a head before it fills this. */
		refuse(c, 431, "request_header_fields_too_large", "The request head is too large.", 0);
		return false;
	}
	if (!budget_reserve(want - c->in_cap))
	{
		refuse_memory(c);
		return false;
	}
	c->in = xrealloc(c->in, want);
	c->charged += want - c->in_cap;
	c->in_cap = want;
	return true;
}

/* After a large head, give the buffer back down to its first size. */
static void
shrink_input(Conn *c)
{
	if (c->in_cap <= IN_INITIAL || c->in_len > IN_INITIAL)
		return;
	c->in = xrealloc(c->in, IN_INITIAL);
	budget_release(c->in_cap - IN_INITIAL);
	c->charged -= c->in_cap - IN_INITIAL;
	c->in_cap = IN_INITIAL;
}

/* Make room for extra more body bytes; false when over the memory budget. */
static bool
body_room(Conn *c, size_t extra)
{
	StrBuf	   *body = &c->req->body;
	size_t		cap;

	if (body->data == NULL)
	{
		cap = extra + 1 > BODY_INITIAL ? extra + 1 : BODY_INITIAL;
		if (cap > config->max_body + 1)
			cap = config->max_body + 1;
		if (!budget_reserve(cap))
			return false;
		c->req_charged += cap;
		strbuf_init(body, cap);
		return true;
	}
	if (body->len + extra + 1 <= body->cap)
		return true;
	cap = body->cap * 2;
	if (cap < body->len + extra + 1)
		cap = body->len + extra + 1;
	if (cap > config->max_body + 1)
		cap = config->max_body + 1;
	if (!budget_reserve(cap - body->cap))
		return false;
	c->req_charged += cap - body->cap;
	body->data = xrealloc(body->data, cap);
	body->cap = cap;
	return true;
}

/* Chunked data: kept up to --max-body; a longer body is read to its end and dropped. */
static void
chunk_sink(void *cls, const char *data, size_t len)
{
	Conn	   *c = cls;
	Request    *req = c->req;

	if (req->body_too_large || len == 0)
		return;
	if (req->body.len + len > config->max_body)
	{
		req->body_too_large = true;
		if (req->body.data != NULL)
			strbuf_free(&req->body);
		budget_release(c->req_charged);
		c->req_charged = 0;
		return;
	}
	if (!body_room(c, len))
	{
		/* Out of budget: the body is dropped and the request refused at its end. */
		req->body_too_large = true;
		req->has_body = false;
		c->resp.close = true;
		c->resp.status = 503;
		return;
	}
	strbuf_append(&req->body, data, len);
	req->has_body = true;
}

static void
work_done(Work *work)
{
	Conn	   *c = (Conn *) ((char *) work - offsetof(Conn, work));

	io_post_finished(c);
}

/* The whole request is in: answer it now, or give it to a worker. */
static void
complete_request(Conn *c)
{
	WorkKind	kind;

	c->deadline = 0;
	if (c->resp.status == 503)
	{
		refuse_memory(c);
		return;
	}
	if (handler_begin(c->req, &c->resp, &kind) == HANDLE_NOW)
	{
		start_response(c);
		return;
	}
	c->state = CONN_WAITING;
	io_set_events(c, 0);
	c->work.kind = kind;
	c->work.req = c->req;
	c->work.resp = &c->resp;
	c->work.done = work_done;
	dispatch_submit(&c->work);
}

/* The head is in and framed: set up its body, or complete it. */
static void
begin_body(Conn *c)
{
	Request    *req = c->req;
	const char *expect = request_header(req, "expect");
	char		detail[96];

	if (req->content_length > config->max_body)
	{
		snprintf(detail, sizeof(detail), "The request body is larger than %zu bytes.",
				 config->max_body);
		refuse(c, 413, "payload_too_large", detail, 0);
		return;
	}
	if (expect != NULL && strcasecmp(expect, "100-continue") != 0)
	{
		refuse(c, 417, "expectation_failed", "Only \"Expect: 100-continue\" is understood.", 0);
		return;
	}
	if (req->content_length > 0)
	{
		if (!budget_reserve(req->content_length + 1))
		{
			refuse_memory(c);
			return;
		}
		c->req_charged = req->content_length + 1;
		strbuf_init(&req->body, req->content_length + 1);
		c->body_left = req->content_length;
	}
	else if (!req->chunked)
	{
		complete_request(c);
		return;
	}
	if (req->chunked)
		http1_chunked_init(&c->chunked);
	if (expect != NULL && req->minor >= 1)
	{
		static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";

		/* The socket's buffer is empty here; a short write only delays the client. */
		(void) send(c->fd, go_on, sizeof(go_on) - 1, MSG_NOSIGNAL);
	}
	c->state = CONN_BODY;
	c->deadline = req->started_us + SECONDS_US(config->request_timeout);
}

/* HEAD: look for a whole head in the input; false when more is needed. */
static bool
read_head(Conn *c)
{
	size_t		skip = 0;
	size_t		head_len = 0;
	HttpError	error;
	HeadScan	scan;
	bool		ok;

	if (c->req == NULL)
	{
		ensure_request(c);
		/* A later request's head is due within --header-timeout of its first byte. */
		if (c->served)
			c->deadline = c->req->started_us + SECONDS_US(config->header_timeout);
	}
	scan = http1_scan_head(c->in, c->in_len, config->max_url, config->max_headers,
						   &skip, &head_len, &error);
	if (scan == HEAD_INCOMPLETE)
		return false;
	if (scan == HEAD_TOO_LARGE)
	{
		refuse_error(c, &error);
		return false;
	}
	ok = request_set_head(c->req, c->in + skip, head_len, config->max_url,
						  config->max_headers, &error);
	consume(c, skip + head_len);
	begin_flight(c);
	if (!ok || !request_check_framing(c->req, &error))
	{
		refuse_error(c, &error);
		return false;
	}
	begin_body(c);
	return true;
}

/* BODY: take what the input holds of the body; false when more is needed. */
static bool
read_body(Conn *c)
{
	Request    *req = c->req;

	if (!req->chunked)
	{
		size_t		n = c->in_len < c->body_left ? c->in_len : c->body_left;

		strbuf_append(&req->body, c->in, n);
		req->has_body = true;
		consume(c, n);
		c->body_left -= n;
		if (c->body_left > 0)
			return false;
	}
	else
	{
		size_t		consumed = 0;
		HttpError	error;
		ChunkedStatus status;

		status = http1_chunked_feed(&c->chunked, c->in, c->in_len, config->max_headers,
									&consumed, chunk_sink, c, &error);
		consume(c, consumed);
		if (status == CHUNKED_ERROR)
		{
			refuse_error(c, &error);
			return false;
		}
		if (status == CHUNKED_MORE)
			return false;
	}
	complete_request(c);
	return true;
}

/* Use what the input buffer holds, request after request (pipelining). */
static void
process(Conn *c)
{
	while ((c->state == CONN_HEAD || c->state == CONN_BODY) && c->in_len > 0)
	{
		bool		progress = c->state == CONN_HEAD ? read_head(c) : read_body(c);

		if (!progress)
			return;
	}
}

/* The response is sent: log it, then wait for the next request or close. */
static void
response_done(Conn *c)
{
	log_request(c);
	release_request(c);
	c->served = true;
	if (c->close_after || handler_shutting_down())
	{
		shutdown(c->fd, SHUT_WR);
		c->in_len = 0;
		c->linger_bytes = 0;
		c->state = CONN_LINGER;
		c->deadline = monotonic_us() + LINGER_US;
		io_set_events(c, EPOLLIN);
		return;
	}
	c->state = CONN_HEAD;
	c->deadline = monotonic_us() + SECONDS_US(config->request_timeout);
	shrink_input(c);
	io_set_events(c, EPOLLIN);
}

/* WRITING: send what the socket takes of the head and body. */
static void
write_response(Conn *c)
{
	for (;;)
	{
		struct iovec iov[2];
		struct msghdr msg;
		int			n = 0;
		ssize_t		sent;

		if (c->out_sent < c->out.len)
		{
			iov[n].iov_base = c->out.data + c->out_sent;
			iov[n++].iov_len = c->out.len - c->out_sent;
		}
		if (c->send_body && c->body_sent < c->resp.body_len)
		{
			iov[n].iov_base = (char *) c->resp.body + c->body_sent;
			iov[n++].iov_len = c->resp.body_len - c->body_sent;
		}
		if (n == 0)
		{
			response_done(c);
			return;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t) n;
		sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (sent > 0)
		{
			size_t		head = c->out.len - c->out_sent;

			if ((size_t) sent <= head)
				c->out_sent += (size_t) sent;
			else
			{
				c->out_sent = c->out.len;
				c->body_sent += (size_t) sent - head;
			}
			c->deadline = monotonic_us() + SECONDS_US(config->request_timeout);
			continue;
		}
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		{
			io_set_events(c, EPOLLOUT);
			return;
		}
		close_now(c);			/* the client went away */
		return;
	}
}

/* HEAD or BODY: read what the socket has, and use it. */
static void
read_input(Conn *c)
{
	for (int i = 0; i < READS_PER_EVENT; i++)
	{
		ssize_t		n;

		if ((c->state != CONN_HEAD && c->state != CONN_BODY) || !ensure_room(c))
			return;
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n > 0)
		{
			c->in_len += (size_t) n;
			process(c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* End of input, or an error: the request can never complete. */
		close_now(c);
		return;
	}
}

/* LINGER: read and drop what the client still sends, until it closes. */
static void
linger_read(Conn *c)
{
	char		scratch[16384];

	for (;;)
	{
		ssize_t		n = recv(c->fd, scratch, sizeof(scratch), 0);

		if (n > 0)
		{
			c->linger_bytes += (size_t) n;
			if (c->linger_bytes > LINGER_MAX_BYTES)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	close_now(c);
}

/* The socket is ready (epoll events). */
void
conn_on_events(Conn *c, uint32_t events)
{
	switch (c->state)
	{
		case CONN_HEAD:
		case CONN_BODY:
			read_input(c);
			break;
		case CONN_WRITING:
			write_response(c);
			break;
		case CONN_LINGER:
			linger_read(c);
			break;
		case CONN_WAITING:
		case CONN_CLOSED:
			(void) events;
			return;
	}
	process(c);
}

/* A worker finished the request (on the I/O thread, from io_post_finished()). */
void
conn_work_finished(Conn *c)
{
	if (c->state != CONN_WAITING)
		return;
	start_response(c);
	process(c);
}

/* Enforce the connection's deadline. */
void
conn_check_deadline(Conn *c, int64_t now)
{
	char		detail[96];

	if (c->deadline == 0 || now < c->deadline)
		return;
	switch (c->state)
	{
		case CONN_HEAD:
			if (c->req == NULL && c->in_len == 0)
			{
				close_now(c);	/* idle: nothing of a request came */
				return;
			}
			snprintf(detail, sizeof(detail), "The request headers took longer than %d s.",
					 config->header_timeout);
			refuse(c, 408, "request_timeout", detail, 0);
			return;
		case CONN_BODY:
			log_message(LOG_LEVEL_INFO, "closing a connection whose request body took over %d s",
						config->request_timeout);
			snprintf(detail, sizeof(detail), "The request body took longer than %d s.",
					 config->request_timeout);
			refuse(c, 408, "request_timeout", detail, 0);
			return;
		case CONN_WRITING:
		case CONN_LINGER:
			close_now(c);
			return;
		case CONN_WAITING:
		case CONN_CLOSED:
			return;
	}
}

/* Shutting down: connections between requests close now; the others finish theirs. */
void
conn_quiesce(Conn *c)
{
	if (c->state == CONN_HEAD && !c->in_flight)
		close_now(c);
}

/* Free the connection (its socket is closed); gives back its budget. */
void
conn_free(Conn *c)
{
	if (c->req != NULL)
		release_request(c);
	response_clear(&c->resp);
	budget_release(c->charged);
	end_flight(c);
	free(c->in);
	if (c->out.data != NULL)
		strbuf_free(&c->out);
	free(c);
}
