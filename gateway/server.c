/*-------------------------------------------------------------------------
 *
 * server.c
 *	  The HTTP server: libmicrohttpd's daemon and what it does per request.
 *
 * There are --threads server threads: each runs one libmicrohttpd daemon
 * (its own event loop) and owns one database connection (pool.c).  An
 * acceptor thread accepts TCP connections and hands each to the daemon with
 * the fewest open connections, so that the database connections share the
 * load evenly even with few clients (libmicrohttpd's own thread pool lets
 * whichever thread wakes first accept them all).  A request goes:
 *
 *	 1. URI callback: the request line has arrived; the raw target is copied
 *		(before libmicrohttpd splits and unescapes it) into a Request.
 *	 2. First handler call: the headers have arrived.  Limits are checked
 *		(414 target, 431 headers, 413 declared body size); an error here is
 *		answered at once and libmicrohttpd closes the connection after it
 *		instead of reading the body.
 *	 3. Further calls: body chunks, kept up to --max-body (a longer chunked
 *		body is read to its end and discarded, then answered 413).
 *	 4. Last call: the request is complete.  /healthz, /readyz and
 *		/api/schema/ are served here; /api/projects/... goes to the router
 *		in one prepared call; anything else is a 404.
 *	 5. Completion callback: one access log line, and the Request is freed.
 *
 * The gateway's own errors have the API's error body.  Only requests that
 * libmicrohttpd refuses before handing them over (headers beyond its
 * per-connection memory, malformed request lines) get its own replies.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* accept4, pipe2 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "pool.h"
#include "request.h"
#include "server.h"

#define CORS_ALLOW_METHODS "GET, POST, PUT, PATCH, DELETE, OPTIONS"
#define CORS_ALLOW_HEADERS "Authorization, Content-Type"
#define CORS_MAX_AGE "600"

/* A server thread: its daemon and its database connection. */
typedef struct Worker
{
	int			index;
	struct MHD_Daemon *daemon;
	Slot	   *slot;
	atomic_int	connections;	/* open client connections */
} Worker;

static const GatewayConfig *config;
static Worker *workers;
static int	nworkers;
static int	listen_fd = -1;
static int	stop_pipe[2] = {-1, -1};	/* wakes the acceptor to stop */
static pthread_t acceptor;
static bool acceptor_running;
static atomic_int in_flight;
static atomic_bool shutting_down;


/* 1. A request line has arrived: start a Request with the raw target. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
	Request    *req = request_new(uri);
	const union MHD_ConnectionInfo *info;

	(void) cls;
	info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info != NULL && info->client_addr != NULL)
	{
		const struct sockaddr *sa = info->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr,
					  req->client, sizeof(req->client));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr,
					  req->client, sizeof(req->client));
	}
	atomic_fetch_add(&in_flight, 1);
	return req;
}

/* 5. The request is over (answered, or the connection went away). */
static void
on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	Request    *req = *req_cls;

	(void) cls;
	(void) connection;
	(void) toe;
	if (req == NULL)
		return;
	log_access(req->client, req->method, req->uri, req->status,
			   req->response_bytes, monotonic_us() - req->started_us);
	request_free(req);
	*req_cls = NULL;
	atomic_fetch_sub(&in_flight, 1);
}

/* Leave the target percent-encoded: the router decodes it per segment. */
static size_t
keep_escaped(void *cls, struct MHD_Connection *connection, char *s)
{
	(void) cls;
	(void) connection;
	return strlen(s);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char		msg[512];
	size_t		len;

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	log_message(LOG_LEVEL_INFO, "http: %s", msg);
}

/* Header bytes of the request (names, values, separators). */
static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
	size_t	   *bytes = cls;

	(void) kind;
	*bytes += strlen(name) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* Whether every byte is printable ASCII, as a request target must be. */
static bool
is_printable_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

/* Whether a method is an HTTP token of reasonable length. */
static bool
is_token(const char *s)
{
	size_t		len = strlen(s);

	if (len == 0 || len > 32)
		return false;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			  (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return false;
	return true;
}

/* Add the CORS headers when CORS is on and the request's origin allowed. */
static void
add_cors_headers(struct MHD_Connection *connection, struct MHD_Response *response)
{
	const char *origin;

	if (config->ncors_origins == 0)
		return;
	MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Origin");
	origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
	if (origin == NULL || !config_origin_allowed(config, origin))
		return;
	MHD_add_response_header(response, "Access-Control-Allow-Origin",
							config_origin_allowed(config, "*") ? "*" : origin);
	MHD_add_response_header(response, "Access-Control-Expose-Headers", "Allow, Retry-After");
}

/* Queue a response (and account for it in the access log). */
static enum MHD_Result
send_response(struct MHD_Connection *connection, Request *req, int status,
			  struct MHD_Response *response, size_t bytes)
{
	enum MHD_Result ret;

	if (response == NULL)
		return MHD_NO;
	add_cors_headers(connection, response);
	if (atomic_load(&shutting_down))
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
	req->status = status;
	req->response_bytes = bytes;
	ret = MHD_queue_response(connection, (unsigned int) status, response);
	MHD_destroy_response(response);
	return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *connection, Request *req, int status,
		   const char *code, const char *detail)
{
	size_t		bytes;
	struct MHD_Response *response = response_error(status, code, detail, NULL, &bytes);

	return send_response(connection, req, status, response, bytes);
}

/* 503 with Retry-After: the database cannot be reached. */
static enum MHD_Result
send_unavailable(struct MHD_Connection *connection, Request *req, int retry_after,
				 const char *detail)
{
	size_t		bytes;
	struct MHD_Response *response;
	char		seconds[16];

	response = response_error(503, "service_unavailable", detail, NULL, &bytes);
	if (response == NULL)
		return MHD_NO;
	snprintf(seconds, sizeof(seconds), "%d", retry_after > 0 ? retry_after : 1);
	MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	return send_response(connection, req, 503, response, bytes);
}

/* Whether a failed statement's SQLSTATE means "try again shortly". */
static bool
sqlstate_is_transient(const char *sqlstate)
{
	return strncmp(sqlstate, "08", 2) == 0 ||	/* connection exception */
		strncmp(sqlstate, "53", 2) == 0 ||	/* insufficient resources */
		strncmp(sqlstate, "57P", 3) == 0 || /* shutdown, cannot connect now */
		strcmp(sqlstate, "40001") == 0 ||	/* serialization failure */
		strcmp(sqlstate, "40P01") == 0 ||	/* deadlock detected */
		strcmp(sqlstate, "55P03") == 0; /* lock not available */
}

/* The response for a database call that did not return its row. */
static enum MHD_Result
send_call_failure(struct MHD_Connection *connection, Request *req, CallResult *result)
{
	char		detail[128];

	switch (result->status)
	{
		case CALL_UNAVAILABLE:
			return send_unavailable(connection, req, result->retry_after,
									"The database is unavailable; try again later.");
		case CALL_TIMEOUT:
			return send_error(connection, req, 504, "timeout",
							  "The request took longer than the statement timeout.");
		case CALL_FAILED:
			if (strcmp(result->sqlstate, "57014") == 0 && atomic_load(&shutting_down))
				return send_unavailable(connection, req, 1, "The gateway is shutting down.");
			if (strcmp(result->sqlstate, "57014") == 0)
				return send_error(connection, req, 504, "timeout",
								  "The request took longer than the statement timeout.");
			if (sqlstate_is_transient(result->sqlstate))
				return send_unavailable(connection, req, 1,
										"The database is busy or restarting; try again later.");
			snprintf(detail, sizeof(detail), "Internal server error (SQLSTATE %s).",
					 result->sqlstate);
			return send_error(connection, req, 500, "internal_error", detail);
		case CALL_OK:
			break;
	}
	return send_error(connection, req, 500, "internal_error", "Internal server error.");
}

/* /api/projects/...: one call of signals.http_handle(). */
static enum MHD_Result
serve_api(struct MHD_Connection *connection, Request *req, const char *method,
		  Slot *slot)
{
	StrBuf		headers;
	StrBuf		authorization;
	const char *values[6];
	int			lengths[6] = {0, 0, 0, 0, 0, 0};
	const int	formats[6] = {0, 0, 0, 0, 1, 1};
	CallResult	result;
	struct MHD_Response *response;
	int			status;
	size_t		bytes;

	if (!is_token(method))
		return send_error(connection, req, 400, "invalid_input", "The request method is malformed.");
	if (!is_printable_ascii(req->uri))
		return send_error(connection, req, 400, "invalid_input",
						  "The request target must be printable ASCII; percent-encode other bytes.");

	strbuf_init(&headers, 512);
	request_headers_json(connection, &headers);
	values[0] = method;
	values[1] = req->path;
	values[2] = req->query;
	values[3] = headers.data;
	if (req->has_body && req->body.len > 0)
	{
		values[4] = req->body.data;
		lengths[4] = (int) req->body.len;
	}
	else
		values[4] = NULL;
	/* Binary, so that the server logs it only through signals.secret's output. */
	strbuf_init(&authorization, 128);
	values[5] = NULL;
	if (request_authorization(connection, &authorization))
	{
		values[5] = authorization.data;
		lengths[5] = (int) authorization.len;
	}

	pool_call(slot, STMT_ROUTER, 6, values, lengths, formats, &result);
	strbuf_free(&headers);
	strbuf_free(&authorization);
	if (result.status != CALL_OK)
		return send_call_failure(connection, req, &result);

	response = response_from_router(result.res, &status, &bytes);
	if (response == NULL)
		return send_error(connection, req, 500, "internal_error",
						  "The router returned an unexpected result.");
	return send_response(connection, req, status, response, bytes);
}

/* GET /api/schema/: the OpenAPI document, generated by signals.openapi(). */
static enum MHD_Result
serve_schema(struct MHD_Connection *connection, Request *req, Slot *slot)
{
	CallResult	result;
	struct MHD_Response *response;
	size_t		bytes;

	pool_call(slot, STMT_OPENAPI, 0, NULL, NULL, NULL, &result);
	if (result.status != CALL_OK)
		return send_call_failure(connection, req, &result);
	if (PQntuples(result.res) != 1 || PQgetisnull(result.res, 0, 0))
	{
		PQclear(result.res);
		return send_error(connection, req, 500, "internal_error",
						  "signals.openapi() returned no document.");
	}
	bytes = (size_t) PQgetlength(result.res, 0, 0);
	response = response_json(PQgetvalue(result.res, 0, 0), bytes);
	PQclear(result.res);
	return send_response(connection, req, 200, response, bytes);
}

/* GET /readyz: 200 when this thread's database connection answers. */
static enum MHD_Result
serve_ready(struct MHD_Connection *connection, Request *req, Slot *slot)
{
	static const char ready[] = "{\"status\":\"ready\"}";
	CallResult	result;

	if (atomic_load(&shutting_down))
		return send_unavailable(connection, req, 1, "The gateway is shutting down.");
	pool_call(slot, STMT_READY, 0, NULL, NULL, NULL, &result);
	if (result.status != CALL_OK)
		return send_call_failure(connection, req, &result);
	PQclear(result.res);
	return send_response(connection, req, 200,
						 response_json(ready, sizeof(ready) - 1), sizeof(ready) - 1);
}

/* An OPTIONS request with Access-Control-Request-Method, when CORS is on. */
static enum MHD_Result
serve_preflight(struct MHD_Connection *connection, Request *req, const char *origin)
{
	struct MHD_Response *response;

	if (!config_origin_allowed(config, origin))
		return send_error(connection, req, 403, "permission_denied",
						  "Cross-origin requests from this origin are not allowed.");
	response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return MHD_NO;
	MHD_add_response_header(response, "Access-Control-Allow-Methods", CORS_ALLOW_METHODS);
	MHD_add_response_header(response, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
	MHD_add_response_header(response, "Access-Control-Max-Age", CORS_MAX_AGE);
	return send_response(connection, req, 204, response, 0);
}

/* Whether the method is GET or HEAD (the gateway's own paths take no other). */
static bool
is_get(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* 4. The whole request is in: answer it. */
static enum MHD_Result
finish_request(struct MHD_Connection *connection, Request *req, const char *method,
			   Worker *worker)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	const char *origin;

	if (req->body_too_large)
	{
		char		detail[96];

		snprintf(detail, sizeof(detail), "The request body is larger than %zu bytes.",
				 config->max_body);
		return send_error(connection, req, 413, "payload_too_large", detail);
	}

	origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
	if (config->ncors_origins > 0 && origin != NULL && strcmp(method, "OPTIONS") == 0 &&
		MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
									"Access-Control-Request-Method") != NULL)
		return serve_preflight(connection, req, origin);

	if (req->target == TARGET_API)
		return serve_api(connection, req, method, worker->slot);
	if (req->target == TARGET_UNKNOWN)
		return send_error(connection, req, 404, "not_found", "Not found.");
	if (!is_get(method))
		return send_error(connection, req, 405, "method_not_allowed",
						  "Only GET and HEAD are allowed here.");
	if (req->target == TARGET_HEALTH)
		return send_response(connection, req, 200,
							 response_json(ok, sizeof(ok) - 1), sizeof(ok) - 1);
	if (req->target == TARGET_READY)
		return serve_ready(connection, req, worker->slot);
	return serve_schema(connection, req, worker->slot);
}

/* 2. The headers are in: check the limits before reading any body. */
static enum MHD_Result
begin_request(struct MHD_Connection *connection, Request *req, const char *method)
{
	size_t		header_bytes = 0;
	const char *length;
	char		detail[128];

	snprintf(req->method, sizeof(req->method), "%s", method);
	if (req->uri_len > config->max_url)
	{
		snprintf(detail, sizeof(detail), "The request target has %zu bytes; the limit is %zu.",
				 req->uri_len, config->max_url);
		return send_error(connection, req, 414, "uri_too_long", detail);
	}
	MHD_get_connection_values(connection, MHD_HEADER_KIND, count_header, &header_bytes);
	if (header_bytes > config->max_headers)
	{
		snprintf(detail, sizeof(detail), "The request headers have %zu bytes; the limit is %zu.",
				 header_bytes, config->max_headers);
		return send_error(connection, req, 431, "request_header_fields_too_large", detail);
	}
	length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
										 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length != NULL && strtoull(length, NULL, 10) > config->max_body)
	{
		snprintf(detail, sizeof(detail), "The request body is larger than %zu bytes.",
				 config->max_body);
		return send_error(connection, req, 413, "payload_too_large", detail);
	}
	return MHD_YES;
}

/* 3. A piece of the body.  False to drop the connection. */
static bool
accept_body(Request *req, const char *data, size_t size)
{
	if (monotonic_us() - req->started_us > (int64_t) config->request_timeout * 1000000)
	{
		if (!req->upload_timed_out)
			log_message(LOG_LEVEL_INFO, "closing a connection whose request body took over %d s",
						config->request_timeout);
		req->upload_timed_out = true;
		return false;
	}
	if (req->body_too_large)
		return true;
	if (req->body.len + size > config->max_body)
	{
		req->body_too_large = true;
		if (req->body.data != NULL)
			strbuf_free(&req->body);
		return true;
	}
	if (req->body.data == NULL)
		strbuf_init(&req->body, size + 1);
	strbuf_append(&req->body, data, size);
	req->has_body = true;
	return true;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *connection, const char *url,
		   const char *method, const char *version, const char *upload_data,
		   size_t *upload_data_size, void **req_cls)
{
	Request    *req = *req_cls;
	Worker	   *worker = cls;

	(void) version;
	if (req == NULL)
	{
		/* Cannot happen: the URI callback makes one for every request. */
		req = on_uri(NULL, url, connection);
		*req_cls = req;
	}
	if (!req->handled)
	{
		req->handled = true;
		return begin_request(connection, req, method);
	}
	if (*upload_data_size > 0)
	{
		bool		keep = accept_body(req, upload_data, *upload_data_size);

		*upload_data_size = 0;
		return keep ? MHD_YES : MHD_NO;
	}
	return finish_request(connection, req, method, worker);
}

/* Count a worker's open connections, for the acceptor's balancing. */
static void
on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	Worker	   *worker = cls;

	(void) connection;
	(void) socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&worker->connections, 1);
	else
		atomic_fetch_sub(&worker->connections, 1);
}

/* The worker with the fewest open connections (ties go round-robin). */
static Worker *
least_busy_worker(void)
{
	static int	next;
	Worker	   *best = NULL;
	int			best_count = 0;

	for (int i = 0; i < nworkers; i++)
	{
		Worker	   *w = &workers[(next + i) % nworkers];
		int			count = atomic_load(&w->connections);

		if (best == NULL || count < best_count)
		{
			best = w;
			best_count = count;
		}
	}
	next = (best->index + 1) % nworkers;
	return best;
}

static int
open_connections(void)
{
	int			total = 0;

	for (int i = 0; i < nworkers; i++)
		total += atomic_load(&workers[i].connections);
	return total;
}

/* The acceptor thread: accept connections and hand them to the workers. */
static void *
accept_loop(void *arg)
{
	struct pollfd fds[2];

	(void) arg;
	fds[0].fd = listen_fd;
	fds[0].events = POLLIN;
	fds[1].fd = stop_pipe[0];
	fds[1].events = POLLIN;
	for (;;)
	{
		if (poll(fds, 2, -1) < 0)
		{
			if (errno == EINTR)
				continue;
			log_message(LOG_LEVEL_ERROR, "poll on the listening socket failed: %s", strerror(errno));
			break;
		}
		if (fds[1].revents != 0)
			break;
		for (;;)
		{
			struct sockaddr_storage addr;
			socklen_t	len = sizeof(addr);
			int			fd = accept4(listen_fd, (struct sockaddr *) &addr, &len,
									 SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd < 0)
			{
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				{
					struct timespec pause = {0, 10 * 1000 * 1000};

					log_message(LOG_LEVEL_WARNING, "cannot accept connections: %s", strerror(errno));
					nanosleep(&pause, NULL);
				}
				break;			/* EAGAIN, or a connection that went away */
			}
			if (open_connections() >= config->max_connections)
			{
				close(fd);
				continue;
			}
			/* On failure libmicrohttpd has closed the socket. */
			if (MHD_add_connection(least_busy_worker()->daemon, fd,
								   (struct sockaddr *) &addr, len) != MHD_YES)
				log_message(LOG_LEVEL_WARNING, "could not hand over a connection: %s",
							strerror(errno));
		}
	}
	return NULL;
}

/* Open the listening socket; false (errno set) on failure. */
static bool
open_listen_socket(const char *address, int port, int *bound_port)
{
	struct sockaddr_storage addr;
	socklen_t	len;
	int			one = 1;

	memset(&addr, 0, sizeof(addr));
	if (inet_pton(AF_INET, address, &((struct sockaddr_in *) &addr)->sin_addr) == 1)
	{
		((struct sockaddr_in *) &addr)->sin_family = AF_INET;
		((struct sockaddr_in *) &addr)->sin_port = htons((uint16_t) port);
		len = sizeof(struct sockaddr_in);
	}
	else if (inet_pton(AF_INET6, address, &((struct sockaddr_in6 *) &addr)->sin6_addr) == 1)
	{
		((struct sockaddr_in6 *) &addr)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *) &addr)->sin6_port = htons((uint16_t) port);
		len = sizeof(struct sockaddr_in6);
	}
	else
	{
		errno = EINVAL;
		log_message(LOG_LEVEL_ERROR, "--listen=%s is not a numeric IPv4 or IPv6 address", address);
		return false;
	}
	listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return false;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *) &addr, len) != 0 ||
		listen(listen_fd, SOMAXCONN) != 0)
	{
		int			saved = errno;

		close(listen_fd);
		listen_fd = -1;
		errno = saved;
		return false;
	}
	len = sizeof(addr);
	getsockname(listen_fd, (struct sockaddr *) &addr, &len);
	*bound_port = ntohs(addr.ss_family == AF_INET ?
						((struct sockaddr_in *) &addr)->sin_port :
						((struct sockaddr_in6 *) &addr)->sin6_port);
	return true;
}

/*
 * Start the server threads and the acceptor; *port gets the port bound
 * (useful with --port=0).  False (errno set) on failure.
 */
bool
server_start(const GatewayConfig *cfg, int *port)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
	size_t		memory_limit;

	config = cfg;
	if (!open_listen_socket(cfg->listen_address, cfg->port, port))
		return false;

	/* Room for the target and headers we accept, and buffers besides. */
	memory_limit = cfg->max_url + cfg->max_headers + 16384;
	if (memory_limit < 32768)
		memory_limit = 32768;

	nworkers = cfg->threads;
	workers = xmalloc(sizeof(Worker) * nworkers);
	memset(workers, 0, sizeof(Worker) * nworkers);
	for (int i = 0; i < nworkers; i++)
	{
		Worker	   *w = &workers[i];

		w->index = i;
		w->slot = pool_slot(i);
		atomic_init(&w->connections, 0);
		w->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w,
									 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
									 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) cfg->request_timeout,
									 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) cfg->max_connections,
									 MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory_limit,
									 MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
									 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
									 MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
									 MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
									 MHD_OPTION_END);
		if (w->daemon == NULL)
		{
			log_message(LOG_LEVEL_ERROR, "could not start server thread %d", i);
			server_stop();
			errno = EAGAIN;
			return false;
		}
	}

	if (pipe2(stop_pipe, O_CLOEXEC) != 0 ||
		pthread_create(&acceptor, NULL, accept_loop, NULL) != 0)
	{
		server_stop();
		return false;
	}
	acceptor_running = true;
	return true;
}

/* Stop accepting connections; those open are still served. */
void
server_quiesce(void)
{
	atomic_store(&shutting_down, true);
	if (acceptor_running)
	{
		char		stop = 's';

		if (write(stop_pipe[1], &stop, 1) != 1)
			log_message(LOG_LEVEL_ERROR, "could not stop the acceptor: %s", strerror(errno));
		pthread_join(acceptor, NULL);
		acceptor_running = false;
	}
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
}

/* Requests begun and not yet finished. */
int
server_in_flight(void)
{
	return atomic_load(&in_flight);
}

/* Stop the server threads, closing every connection. */
void
server_stop(void)
{
	server_quiesce();
	for (int i = 0; i < nworkers; i++)
		if (workers[i].daemon != NULL)
			MHD_stop_daemon(workers[i].daemon);
	free(workers);
	workers = NULL;
	nworkers = 0;
	for (int i = 0; i < 2; i++)
	{
		if (stop_pipe[i] >= 0)
			close(stop_pipe[i]);
		stop_pipe[i] = -1;
	}
}
