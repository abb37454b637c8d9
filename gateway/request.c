/*-------------------------------------------------------------------------
 *
 * request.c
 *	  Translating between HTTP and signals.http_handle(): the request's
 *	  target, headers and body in; status, header lines and body out.
 *
 * The router wants the path still percent-encoded (it decodes each segment
 * itself, so that an encoded slash or ".." can never move between routes)
 * and the query string exactly as sent.  libmicrohttpd would decode both, so
 * the request target is copied as received, before it parses it (see the
 * URI callback in server.c), and split here.
 *
 * The request headers become a JSON object with lower-case names, built by
 * hand; repeated headers are joined with ", " as RFC 9110 allows.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "request.h"

typedef struct HeaderItem
{
	char	   *name;			/* lower-cased copy */
	const char *value;			/* libmicrohttpd's, valid during the request */
} HeaderItem;

typedef struct HeaderList
{
	HeaderItem *items;
	int			n;
	int			cap;
	size_t		bytes;			/* names and values, as on the wire */
} HeaderList;


/* A request from its raw target (NULL when the request line had none). */
Request *
request_new(const char *uri)
{
	Request    *req = xmalloc(sizeof(Request));
	const char *mark;

	memset(req, 0, sizeof(*req));
	req->started_us = monotonic_us();
	req->uri = xstrdup(uri ? uri : "");
	req->uri_len = strlen(req->uri);
	mark = strchr(req->uri, '?');
	if (mark != NULL)
	{
		req->path = xstrndup(req->uri, mark - req->uri);
		req->query = mark + 1;
	}
	else
	{
		req->path = xstrdup(req->uri);
		req->query = "";
	}
	req->target = request_target(req->path);
	return req;
}

void
request_free(Request *req)
{
	if (req == NULL)
		return;
	free(req->uri);
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

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *name,
			   const char *value)
{
	HeaderList *list = cls;
	HeaderItem *item;

	(void) kind;
	if (name == NULL)
		return MHD_YES;
	if (value == NULL)
		value = "";
	if (list->n == list->cap)
	{
		list->cap = list->cap ? list->cap * 2 : 16;
		list->items = xrealloc(list->items, sizeof(HeaderItem) * list->cap);
	}
	item = &list->items[list->n++];
	item->name = xstrdup(name);
	for (char *c = item->name; *c; c++)
		*c = (char) tolower((unsigned char) *c);
	item->value = value;
	list->bytes += strlen(name) + strlen(value) + 4;	/* ": " and CRLF */
	return MHD_YES;
}

/* Headers that hold credentials: never in the headers object (it is logged). */
static bool
is_secret_header(const char *lower_name)
{
	return strcmp(lower_name, "authorization") == 0 ||
		strcmp(lower_name, "proxy-authorization") == 0 ||
		strcmp(lower_name, "cookie") == 0;
}

/*
 * Append the request's headers to json as one object; returns how many
 * bytes of headers the request carried.
 */
size_t
request_headers_json(struct MHD_Connection *connection, StrBuf *json)
{
	HeaderList	list;
	StrBuf		joined;
	bool		first = true;

	memset(&list, 0, sizeof(list));
	MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &list);

	strbuf_init(&joined, 128);
	strbuf_append_char(json, '{');
	for (int i = 0; i < list.n; i++)
	{
		bool		seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = strcmp(list.items[j].name, list.items[i].name) == 0;
		if (seen || is_secret_header(list.items[i].name))
			continue;
		strbuf_reset(&joined);
		strbuf_append_str(&joined, list.items[i].value);
		for (int k = i + 1; k < list.n; k++)
		{
			if (strcmp(list.items[k].name, list.items[i].name) != 0)
				continue;
			strbuf_append_str(&joined, ", ");
			strbuf_append_str(&joined, list.items[k].value);
		}
		if (!first)
			strbuf_append_char(json, ',');
		first = false;
		json_append_string(json, list.items[i].name);
		strbuf_append_char(json, ':');
		json_append_string(json, joined.data);
	}
	strbuf_append_char(json, '}');

	strbuf_free(&joined);
	for (int i = 0; i < list.n; i++)
		free(list.items[i].name);
	free(list.items);
	return list.bytes;
}

/* One Authorization value, appended to the StrBuf in cls (repeats joined). */
static enum MHD_Result
collect_authorization(void *cls, enum MHD_ValueKind kind, const char *name,
					  const char *value)
{
	StrBuf	   *out = cls;

	(void) kind;
	if (name == NULL || strcasecmp(name, "authorization") != 0)
		return MHD_YES;
	if (out->len > 0)
		strbuf_append_str(out, ", ");
	/* A token is printable ASCII; anything else just makes it invalid. */
	for (const unsigned char *p = (const unsigned char *) (value ? value : ""); *p; p++)
		strbuf_append_char(out, (*p >= 0x20 && *p < 0x7f) || *p == '\t' ? (char) *p : '?');
	return MHD_YES;
}

/*
 * The request's Authorization header into out (repeated headers joined with
 * ", ", bytes outside printable ASCII as '?'); false when there is none.
 */
bool
request_authorization(struct MHD_Connection *connection, StrBuf *out)
{
	strbuf_reset(out);
	MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_authorization, out);
	return MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization") != NULL;
}

static void
free_result(void *cls)
{
	PQclear((PGresult *) cls);
}

/*
 * Add "Name: value" lines (separated by newlines) to a response.  Lines
 * without a colon are skipped.
 */
static void
add_header_lines(struct MHD_Response *response, const char *lines)
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
			MHD_add_response_header(response, line, value);
		}
		line = next;
	}
	free(copy);
}

/*
 * The HTTP response for the router's row (status, headers, body).  The body
 * is sent straight from the PGresult, which the response frees when done.
 * Returns NULL (and clears res) when the row is not what the router makes.
 */
struct MHD_Response *
response_from_router(PGresult *res, int *status, size_t *bytes)
{
	struct MHD_Response *response;
	int			code;

	if (PQntuples(res) != 1 || PQnfields(res) != 3 || PQgetisnull(res, 0, 0))
	{
		PQclear(res);
		return NULL;
	}
	code = atoi(PQgetvalue(res, 0, 0));
	if (code < 100 || code > 599)
	{
		PQclear(res);
		return NULL;
	}
	if (PQgetisnull(res, 0, 2))
	{
		response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		*bytes = 0;
	}
	else
	{
		*bytes = (size_t) PQgetlength(res, 0, 2);
		response = MHD_create_response_from_buffer_with_free_callback_cls(*bytes,
																		  PQgetvalue(res, 0, 2),
																		  free_result, res);
	}
	if (response == NULL)
	{
		PQclear(res);
		return NULL;
	}
	if (!PQgetisnull(res, 0, 1))
		add_header_lines(response, PQgetvalue(res, 0, 1));
	if (PQgetisnull(res, 0, 2))
		PQclear(res);
	*status = code;
	return response;
}

/* A JSON response with a copy of the body. */
struct MHD_Response *
response_json(const char *json, size_t len)
{
	struct MHD_Response *response;

	response = MHD_create_response_from_buffer(len, (void *) json, MHD_RESPMEM_MUST_COPY);
	if (response != NULL)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return response;
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

/* An error response with the API's body: {"type","code","detail","attr"}. */
struct MHD_Response *
response_error(int status, const char *code, const char *detail,
			   const char *attr, size_t *bytes)
{
	StrBuf		body;
	struct MHD_Response *response;

	strbuf_init(&body, 128);
	strbuf_append_str(&body, "{\"type\":");
	json_append_string(&body, error_type(status));
	strbuf_append_str(&body, ",\"code\":");
	json_append_string(&body, code);
	strbuf_append_str(&body, ",\"detail\":");
	json_append_string(&body, detail);
	strbuf_append_str(&body, ",\"attr\":");
	json_append_string_or_null(&body, attr);
	strbuf_append_char(&body, '}');
	*bytes = body.len;
	response = response_json(body.data, body.len);
	strbuf_free(&body);
	return response;
}
