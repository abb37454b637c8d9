/*-------------------------------------------------------------------------
 *
 * request.h
 *	  Translating between HTTP and signals.http_handle(): the request's
 *	  target, headers and body in; status, header lines and body out.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_REQUEST_H
#define GATEWAY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <microhttpd.h>

#include "strbuf.h"

/* What the gateway does with a request, decided from its path. */
typedef enum Target
{
	TARGET_API,					/* /api/projects/...: the router */
	TARGET_SCHEMA,				/* /api/schema/: the OpenAPI document */
	TARGET_HEALTH,				/* /healthz */
	TARGET_READY,				/* /readyz */
	TARGET_UNKNOWN				/* anything else: 404 */
} Target;

/* One request, from its request line to the end of its response. */
typedef struct Request
{
	char	   *uri;			/* the request target as received */
	size_t		uri_len;
	char	   *path;			/* uri up to '?', still percent-encoded */
	const char *query;			/* after '?', raw ("" when none) */
	Target		target;
	char		method[16];		/* for the access log */
	char		client[48];		/* the peer's address, for the access log */
	int64_t		started_us;		/* monotonic */
	bool		handled;		/* the access handler has seen it */
	bool		body_too_large; /* discarding the rest of a too-large body */
	bool		upload_timed_out;	/* the body took longer than allowed */
	StrBuf		body;
	bool		has_body;
	int			status;			/* the response's, for the access log */
	size_t		response_bytes;
} Request;

extern Request *request_new(const char *uri);
extern void request_free(Request *req);
extern Target request_target(const char *path);
extern size_t request_headers_json(struct MHD_Connection *connection, StrBuf *json);
extern bool request_authorization(struct MHD_Connection *connection, StrBuf *out);
extern struct MHD_Response *response_from_router(PGresult *res, int *status,
												 size_t *bytes);
extern struct MHD_Response *response_json(const char *json, size_t len);
extern struct MHD_Response *response_error(int status, const char *code,
										   const char *detail, const char *attr,
										   size_t *bytes);
extern const char *error_type(int status);

#endif							/* GATEWAY_REQUEST_H */
