/*-------------------------------------------------------------------------
 *
 * request.h
 *	  One HTTP request as the gateway holds it, and what the router gets
 *	  from it: target, headers (as JSON), Authorization, body.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_REQUEST_H
#define GATEWAY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http1.h"
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

/* One request, from its first byte to the end of its response. */
typedef struct Request
{
	char	   *head;			/* the head as received, parsed in place */
	HttpHead	parsed;
	const char *method;			/* "-" until the head is parsed */
	const char *uri;			/* the request target as received ("-" before) */
	char	   *path;			/* uri up to '?', still percent-encoded */
	const char *query;			/* after '?', raw ("" when none) */
	Target		target;
	int			minor;			/* HTTP/1.<minor> */
	bool		keep_alive;		/* the client lets the connection stay open */
	bool		chunked;		/* Transfer-Encoding: chunked */
	size_t		content_length; /* declared (0 when none) */
	StrBuf		body;
	bool		has_body;
	bool		body_too_large; /* read to its end and dropped: 413 */
	char		client[48];		/* the peer's address, for the access log */
	int64_t		started_us;		/* monotonic, at the first byte */
	int			status;			/* of the response, for the access log */
	size_t		response_bytes;
} Request;

extern Request *request_new(const char *client, int64_t started_us);
extern void request_free(Request *req);
extern bool request_set_head(Request *req, const char *bytes, size_t len, size_t max_url,
							 size_t max_headers, HttpError *error);
extern bool request_check_framing(Request *req, HttpError *error);
extern const char *request_header(const Request *req, const char *name);
extern bool request_header_has_token(const Request *req, const char *name, const char *token);
extern void request_headers_json(const Request *req, StrBuf *json);
extern bool request_authorization(const Request *req, StrBuf *out);
extern Target request_target(const char *path);

#endif							/* GATEWAY_REQUEST_H */
