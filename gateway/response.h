/*-------------------------------------------------------------------------
 *
 * response.h
 *	  A response: status, header lines and body; the API's error bodies;
 *	  the router's row as a response; the bytes of a status line and head.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_RESPONSE_H
#define GATEWAY_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "strbuf.h"

typedef struct Response
{
	int			status;			/* 0 until one is set */
	StrBuf		headers;		/* "Name: value\r\n" lines besides the standard ones */
	const char *body;
	size_t		body_len;
	char	   *owned;			/* a body copy, freed with the response */
	PGresult   *result;			/* a database result holding the body */
	bool		close;			/* the connection must close after it */
} Response;

extern void response_init(Response *resp);
extern void response_clear(Response *resp);
extern void response_header(Response *resp, const char *name, const char *value);
extern void response_json(Response *resp, int status, const char *json, size_t len);
extern void response_error(Response *resp, int status, const char *code, const char *detail);
extern void response_unavailable(Response *resp, int retry_after, const char *detail);
extern bool response_from_router(Response *resp, PGresult *res);
extern void response_write_head(const Response *resp, StrBuf *out, bool keep_alive,
								int minor);
extern bool response_status_has_body(int status);
extern const char *error_type(int status);

#endif							/* GATEWAY_RESPONSE_H */
