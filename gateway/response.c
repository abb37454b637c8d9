/*-------------------------------------------------------------------------
 *
 * response.c
 *	  A response: status, header lines and body; the API's error bodies;
 *	  the router's row as a response; the bytes of a status line and head.
 *
 * Every response the gateway sends goes through here, its own refusals
 * included (malformed requests, oversized heads, timeouts, limits): each
 * error has the API's body {"type","code","detail","attr"} and
 * Content-Type: application/json.  Every response has a Content-Length;
 * the body of the router's row is sent straight from its PGresult.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "response.h"

void
response_init(Response *resp)
{
	memset(resp, 0, sizeof(*resp));
	strbuf_init(&resp->headers, 128);
}

/* Free what the response holds; response_init() makes it usable again. */
void
response_clear(Response *resp)
{
	free(resp->owned);
	if (resp->result != NULL)
		PQclear(resp->result);
	if (resp->headers.data != NULL)
		strbuf_free(&resp->headers);
	memset(resp, 0, sizeof(*resp));
}

/* Add a header line; values with line breaks are dropped (no injection). */
void
response_header(Response *resp, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return;
	strbuf_append_str(&resp->headers, name);
	strbuf_append_str(&resp->headers, ": ");
	strbuf_append_str(&resp->headers, value);
	strbuf_append_str(&resp->headers, "\r\n");
}

/* A JSON response with a copy of the body. */
void
response_json(Response *resp, int status, const char *json, size_t len)
{
	resp->status = status;
	free(resp->owned);
	resp->owned = xstrndup(json, len);
	resp->body = resp->owned;
	resp->body_len = len;
	response_header(resp, "Content-Type", "application/json");
}

/* The error type for a status, as the router's error bodies use them. */
const char *
error_type(int status)
{
	if (status == 400)
		return "validation_error";
	if (status == 401 || status == 403)
		return "authentication_error";
	if (status >= 500)
		return "server_error";
	return "invalid_request";
}

/* An error with the API's body: {"type","code","detail","attr"}. */
void
response_error(Response *resp, int status, const char *code, const char *detail)
{
	StrBuf		body;

	strbuf_init(&body, 160);
	strbuf_append_str(&body, "{\"type\":");
	json_append_string(&body, error_type(status));
	strbuf_append_str(&body, ",\"code\":");
	json_append_string(&body, code);
	strbuf_append_str(&body, ",\"detail\":");
	json_append_string(&body, detail);
	strbuf_append_str(&body, ",\"attr\":null}");
	response_json(resp, status, body.data, body.len);
	strbuf_free(&body);
}

/* 503 with Retry-After (whole seconds, at least 1). */
void
response_unavailable(Response *resp, int retry_after, const char *detail)
{
	char		seconds[16];

	response_error(resp, 503, "service_unavailable", detail);
	snprintf(seconds, sizeof(seconds), "%d", retry_after > 0 ? retry_after : 1);
	response_header(resp, "Retry-After", seconds);
}

/*
 * Add the router's "Name: value" lines (separated by newlines).  Lines
 * without a colon, and the framing headers the gateway writes itself, are
 * skipped.
 */
static void
add_header_lines(Response *resp, const char *lines)
{
	char	   *copy = xstrdup(lines);
	char	   *line = copy;

	while (line != NULL && *line != '\0')
	{
		char	   *next = strchr(line, '\n');
		char	   *colon;

		if (next != NULL)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon != NULL && colon != line)
		{
			char	   *value = colon + 1;
			size_t		len;

			*colon = '\0';
			while (*value == ' ')
				value++;
			len = strlen(value);
			if (len > 0 && value[len - 1] == '\r')
				value[len - 1] = '\0';
			if (strcasecmp(line, "Content-Length") != 0 &&
				strcasecmp(line, "Transfer-Encoding") != 0 &&
				strcasecmp(line, "Connection") != 0)
				response_header(resp, line, value);
		}
		line = next;
	}
	free(copy);
}

/*
 * The response for the router's row (status, headers, body), which it takes
 * over.  False (and res cleared) when the row is not what the router makes.
 */
bool
response_from_router(Response *resp, PGresult *res)
{
	int			code;

	if (PQntuples(res) != 1 || PQnfields(res) != 3 || PQgetisnull(res, 0, 0))
	{
		PQclear(res);
		return false;
	}
	code = atoi(PQgetvalue(res, 0, 0));
	if (code < 200 || code > 599)
	{
		PQclear(res);
		return false;
	}
	resp->status = code;
	if (!PQgetisnull(res, 0, 1))
		add_header_lines(resp, PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2))
	{
		resp->body = PQgetvalue(res, 0, 2);
		resp->body_len = (size_t) PQgetlength(res, 0, 2);
	}
	resp->result = res;
	return true;
}

static const char *
reason_phrase(int status)
{
	switch (status)
	{
		case 100:
			return "Continue";
		case 200:
			return "OK";
		case 201:
			return "Created";
		case 202:
			return "Accepted";
		case 204:
			return "No Content";
		case 400:
			return "Bad Request";
		case 401:
			return "Unauthorized";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 405:
			return "Method Not Allowed";
		case 408:
			return "Request Timeout";
		case 409:
			return "Conflict";
		case 413:
			return "Content Too Large";
		case 414:
			return "URI Too Long";
		case 415:
			return "Unsupported Media Type";
		case 417:
			return "Expectation Failed";
		case 429:
			return "Too Many Requests";
		case 431:
			return "Request Header Fields Too Large";
		case 500:
			return "Internal Server Error";
		case 503:
			return "Service Unavailable";
		case 504:
			return "Gateway Timeout";
	}
	if (status < 300)
		return "OK";
	return status < 500 ? "Client Error" : "Server Error";
}

/* Whether a response with this status carries a body (RFC 9110, section 6.4.1). */
bool
response_status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

/*
 * The status line and header section of the response, into out.  (A
 * response to HEAD has the Content-Length of the body it leaves out.)
 */
void
response_write_head(const Response *resp, StrBuf *out, bool keep_alive, int minor)
{
	char		date[64];
	struct tm	tm;
	time_t		now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	strbuf_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", resp->status,
				  reason_phrase(resp->status), date);
	strbuf_append(out, resp->headers.data, resp->headers.len);
	if (response_status_has_body(resp->status))
		strbuf_printf(out, "Content-Length: %zu\r\n", resp->body_len);
	if (!keep_alive)
		strbuf_append_str(out, "Connection: close\r\n");
	else if (minor == 0)
		strbuf_append_str(out, "Connection: keep-alive\r\n");
	strbuf_append_str(out, "\r\n");
}
