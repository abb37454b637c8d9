/*-------------------------------------------------------------------------
 *
 * request.c
 *	  One HTTP request as the gateway holds it, and what the router gets
 *	  from it: target, headers (as JSON), Authorization, body.
 *
 * The router wants the path still percent-encoded (it decodes each segment
 * itself, so that an encoded slash or ".." can never move between routes)
 * and the query string exactly as sent: both come from the target as
 * received.  The request headers become a JSON object with lower-case names,
 * built by hand; repeated headers are joined with ", " as RFC 9110 allows.
 * Credentials (Authorization, Proxy-Authorization, Cookie) stay out of that
 * object, because the server may log it: the Authorization header goes to
 * the router as an argument of its own, which it never logs.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"

#define MAX_CONTENT_LENGTH_DIGITS 18


/* A request of which nothing is parsed yet (for errors before its head). */
Request *
request_new(const char *client, int64_t started_us)
{
	Request    *req = xmalloc(sizeof(Request));

	memset(req, 0, sizeof(*req));
	req->method = "-";
	req->uri = "-";
	req->query = "";
	req->target = TARGET_UNKNOWN;
	req->minor = 1;
	req->started_us = started_us;
	snprintf(req->client, sizeof(req->client), "%s", client);
	return req;
}

void
request_free(Request *req)
{
	if (req == NULL)
		return;
	free(req->head);
	free(req->parsed.headers);
	free(req->path);
	if (req->body.data != NULL)
		strbuf_free(&req->body);
	free(req);
}

/* Which part of the gateway serves a (raw) path. */
Target
request_target(const char *path)
{
	if (strncmp(path, "/api/projects/", strlen("/api/projects/")) == 0)
		return TARGET_API;
	if (strcmp(path, "/api/schema/") == 0 || strcmp(path, "/api/schema") == 0)
		return TARGET_SCHEMA;
	if (strcmp(path, "/healthz") == 0)
		return TARGET_HEALTH;
	if (strcmp(path, "/readyz") == 0)
		return TARGET_READY;
	return TARGET_UNKNOWN;
}

/* The first value of a header (name in lower case), or NULL. */
const char *
request_header(const Request *req, const char *name)
{
	for (int i = 0; i < req->parsed.nheaders; i++)
		if (strcmp(req->parsed.headers[i].name, name) == 0)
			return req->parsed.headers[i].value;
	return NULL;
}

/* Whether a comma-separated header (Connection, Expect) lists a token. */
bool
request_header_has_token(const Request *req, const char *name, const char *token)
{
	size_t		len = strlen(token);

	for (int i = 0; i < req->parsed.nheaders; i++)
	{
		const char *p = req->parsed.headers[i].value;

		if (strcmp(req->parsed.headers[i].name, name) != 0)
			continue;
		while (*p)
		{
			size_t		n;

			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			n = strcspn(p, ", \t");
			if (n == len && strncasecmp(p, token, len) == 0)
				return true;
			p += n;
		}
	}
	return false;
}

/*
 * Take the request's head: copy and parse it, and derive the target and
 * whether the connection may be kept.  False (error set) when malformed.
 */
bool
request_set_head(Request *req, const char *bytes, size_t len, size_t max_url,
				 size_t max_headers, HttpError *error)
{
	const char *mark;

	req->head = xstrndup(bytes, len);
	if (!http1_parse_head(req->head, len, max_url, max_headers, &req->parsed, error))
	{
		/* Still log what the request line said, when it got that far. */
		if (req->parsed.method != NULL && req->parsed.target != NULL)
		{
			req->method = req->parsed.method;
			req->uri = req->parsed.target;
		}
		return false;
	}
	req->method = req->parsed.method;
	req->uri = req->parsed.target;
	req->minor = req->parsed.minor;
	mark = strchr(req->uri, '?');
	if (mark != NULL)
	{
		req->path = xstrndup(req->uri, (size_t) (mark - req->uri));
		req->query = mark + 1;
	}
	else
		req->path = xstrdup(req->uri);
	req->target = request_target(req->path);
	if (req->minor >= 1)
		req->keep_alive = !request_header_has_token(req, "connection", "close");
	else
		req->keep_alive = request_header_has_token(req, "connection", "keep-alive");
	return true;
}

/* A Content-Length value: digits only; false when malformed. */
static bool
parse_content_length(const char *s, size_t *out)
{
	size_t		n = 0;
	size_t		digits = strlen(s);

	if (digits == 0 || digits > MAX_CONTENT_LENGTH_DIGITS)
		return false;
	for (const char *p = s; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (size_t) (*p - '0');
	}
	*out = n;
	return true;
}

/*
 * Check how the request says its body is framed (RFC 9112, section 6):
 * one Content-Length, or Transfer-Encoding: chunked, never both; and the
 * Host header HTTP/1.1 requires.  False (error set) when the request cannot
 * be read safely; the connection must then be closed.
 */
bool
request_check_framing(Request *req, HttpError *error)
{
	int			hosts = 0;
	int			lengths = 0;
	int			encodings = 0;

	for (int i = 0; i < req->parsed.nheaders; i++)
	{
		const HttpHeader *h = &req->parsed.headers[i];

		if (strcmp(h->name, "host") == 0)
			hosts++;
		else if (strcmp(h->name, "content-length") == 0)
		{
			size_t		n;

			if (!parse_content_length(h->value, &n) || (lengths > 0 && n != req->content_length))
			{
				http_error_set(error, 400, "parse_error", "The Content-Length header is malformed.");
				return false;
			}
			req->content_length = n;
			lengths++;
		}
		else if (strcmp(h->name, "transfer-encoding") == 0)
		{
			if (encodings > 0 || strcasecmp(h->value, "chunked") != 0)
			{
				http_error_set(error, 400, "parse_error",
							   "Only the chunked transfer coding is accepted.");
				return false;
			}
			encodings++;
		}
	}
	if (lengths > 0 && encodings > 0)
	{
		http_error_set(error, 400, "parse_error",
					   "A request cannot have both Content-Length and Transfer-Encoding.");
		return false;
	}
	if (hosts > 1 || (hosts == 0 && req->minor >= 1))
	{
		http_error_set(error, 400, "parse_error",
					   "An HTTP/1.1 request must have exactly one Host header.");
		return false;
	}
	req->chunked = encodings > 0;
	return true;
}

/* Headers that hold credentials: never in the headers object (it may be logged). */
static bool
is_secret_header(const char *name)
{
	return strcmp(name, "authorization") == 0 ||
		strcmp(name, "proxy-authorization") == 0 ||
		strcmp(name, "cookie") == 0;
}

/* The request's headers as one JSON object, without credentials. */
void
request_headers_json(const Request *req, StrBuf *json)
{
	const HttpHeader *h = req->parsed.headers;
	StrBuf		joined;
	bool		first = true;

	strbuf_init(&joined, 128);
	strbuf_append_char(json, '{');
	for (int i = 0; i < req->parsed.nheaders; i++)
	{
		bool		seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = strcmp(h[j].name, h[i].name) == 0;
		if (seen || is_secret_header(h[i].name))
			continue;
		strbuf_reset(&joined);
		strbuf_append_str(&joined, h[i].value);
		for (int k = i + 1; k < req->parsed.nheaders; k++)
		{
			if (strcmp(h[k].name, h[i].name) != 0)
				continue;
			strbuf_append_str(&joined, ", ");
			strbuf_append_str(&joined, h[k].value);
		}
		if (!first)
			strbuf_append_char(json, ',');
		first = false;
		json_append_string(json, h[i].name);
		strbuf_append_char(json, ':');
		json_append_string(json, joined.data);
	}
	strbuf_append_char(json, '}');
	strbuf_free(&joined);
}

/*
 * The Authorization header into out (repeated headers joined with ", ",
 * bytes outside printable ASCII as '?': a token has none, so such a value
 * fails as it should); false when there is none.
 */
bool
request_authorization(const Request *req, StrBuf *out)
{
	bool		found = false;

	strbuf_reset(out);
	for (int i = 0; i < req->parsed.nheaders; i++)
	{
		if (strcmp(req->parsed.headers[i].name, "authorization") != 0)
			continue;
		if (found)
			strbuf_append_str(out, ", ");
		found = true;
		for (const unsigned char *p = (const unsigned char *) req->parsed.headers[i].value; *p; p++)
			strbuf_append_char(out, (*p >= 0x20 && *p < 0x7f) || *p == '\t' ? (char) *p : '?');
	}
	return found;
}
