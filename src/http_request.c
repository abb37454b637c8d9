/*-------------------------------------------------------------------------
 *
 * http_request.c
 *	  Parsing a request: the path into segments, the query string into
 *	  parameters, the headers the router uses; and building page URLs.
 *
 * Percent-decoding happens per path segment, so an encoded slash never
 * splits a segment and "." or ".." never walks the tree: such paths simply
 * match no route.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "http.h"

#define MAX_PATH_BYTES 4096
#define MAX_QUERY_PARAMS 64

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode len bytes of src (and '+' as space when plus_is_space).
 * Returns NULL when the encoding is broken, the result holds a NUL byte, or
 * it is not valid UTF-8.
 */
static char *
percent_decode(const char *src, int len, bool plus_is_space)
{
	char	   *out = palloc(len + 1);
	int			n = 0;

	for (int i = 0; i < len; i++)
	{
		char		c = src[i];

		if (c == '%')
		{
			int			hi,
						lo;

			if (i + 2 >= len)
				return NULL;
			hi = hex_value(src[i + 1]);
			lo = hex_value(src[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			c = (char) (hi * 16 + lo);
			i += 2;
		}
		else if (c == '+' && plus_is_space)
			c = ' ';
		if (c == '\0')
			return NULL;
		out[n++] = c;
	}
	out[n] = '\0';
	if (!pg_verifymbstr(out, n, true))
		return NULL;
	return out;
}

/*
 * Split "/api/projects/<project>/signals/<rest>" into the project and the
 * segments of <rest>.  A trailing slash is optional.  Returns NULL on success,
 * else why the path matches no route.
 */
const char *
parse_request_path(HttpRequest *req, const char *path)
{
	int			len = strlen(path);
	const char *p;
	const char *end;
	int			index = 0;

	req->raw_path = path;
	req->nsegments = 0;
	if (len > MAX_PATH_BYTES)
		return "path too long";
	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0)
		return "path outside the API";
	p = path + strlen(API_PREFIX);
	end = path + len;
	if (end > p && end[-1] == '/')
		end--;

	while (p < end)
	{
		const char *slash = memchr(p, '/', end - p);
		const char *stop = slash ? slash : end;
		char	   *segment;

		if (stop == p)
			return "empty path segment";
		segment = percent_decode(p, stop - p, false);
		if (segment == NULL)
			return "badly encoded path segment";
		if (strchr(segment, '/') != NULL ||
			strcmp(segment, ".") == 0 || strcmp(segment, "..") == 0)
			return "path segment is not a name";

		if (index == 0)
			req->project = segment;
		else if (index == 1)
		{
			if (strcmp(segment, "signals") != 0)
				return "path outside the signals API";
		}
		else
		{
			if (req->nsegments >= MAX_PATH_SEGMENTS)
				return "path too deep";
			req->segments[req->nsegments++] = segment;
		}
		index++;
		p = slash ? slash + 1 : end;
		if (slash && p == end)
			return "empty path segment";
	}
	if (index < 2)
		return "path outside the signals API";
	return NULL;
}

/*
 * Split a raw query string into decoded parameters.  Returns NULL on success,
 * else a message for the 400 response.
 */
const char *
parse_query_string(HttpRequest *req, const char *query)
{
	const char *p = query ? query : "";

	req->params = palloc0(sizeof(QueryParam) * MAX_QUERY_PARAMS);
	req->nparams = 0;
	while (*p)
	{
		const char *amp = strchr(p, '&');
		int			len = amp ? (int) (amp - p) : (int) strlen(p);
		const char *eq = memchr(p, '=', len);
		int			name_len = eq ? eq - p : len;
		QueryParam *param;

		if (len > 0)
		{
			if (req->nparams >= MAX_QUERY_PARAMS)
				return psprintf("too many query parameters (at most %d)", MAX_QUERY_PARAMS);
			param = &req->params[req->nparams];
			param->name = percent_decode(p, name_len, true);
			param->value = eq ? percent_decode(eq + 1, len - name_len - 1, true) : pstrdup("");
			if (param->name == NULL || param->value == NULL)
				return "query string is not valid percent-encoded UTF-8";
			if (param->name[0] == '\0')
				return "query string has a parameter without a name";
			for (int i = 0; i < req->nparams; i++)
				if (strcmp(req->params[i].name, param->name) == 0)
					return psprintf("query parameter \"%s\" is given more than once",
									param->name);
			param->raw = p;
			param->raw_len = len;
			req->nparams++;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return NULL;
}

/* The decoded value of a query parameter, or NULL when absent. */
const char *
find_query_param(HttpRequest *req, const char *name)
{
	for (int i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

/* Whether a Host header value is safe to echo into URLs. */
static bool
host_is_plain(const char *host)
{
	if (host[0] == '\0' || strlen(host) > 255)
		return false;
	for (const char *c = host; *c; c++)
		if (!(isalnum((unsigned char) *c) || strchr(".-_:[]", *c)))
			return false;
	return true;
}

/*
 * Pick the headers the router uses out of the headers object (names compared
 * case-insensitively).  Returns NULL on success, else a message for a 400.
 * Authorization is refused here: in the headers object it would be a plain
 * bind parameter, printed in the server log by log_statement.
 */
const char *
read_request_headers(HttpRequest *req, Jsonb *headers)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken token;
	char	   *name = NULL;
	char	   *proto = NULL;

	req->host = "localhost";
	req->scheme = "http";
	if (headers == NULL)
		return NULL;
	if (!JB_ROOT_IS_OBJECT(headers) || JB_ROOT_IS_SCALAR(headers))
		return "headers must be a JSON object";

	it = JsonbIteratorInit(&headers->root);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *value;

		if (token == WJB_KEY)
		{
			name = pnstrdup(v.val.string.val, v.val.string.len);
			if (pg_strcasecmp(name, "authorization") == 0)
				return "headers must not carry Authorization: pass it as the authorization argument, which is never logged";
			continue;
		}
		if (token != WJB_VALUE || v.type != jbvString || name == NULL)
			continue;
		value = pnstrdup(v.val.string.val, v.val.string.len);
		if (pg_strcasecmp(name, "host") == 0 && host_is_plain(value))
			req->host = value;
		else if (pg_strcasecmp(name, "content-type") == 0)
			req->content_type = value;
		else if (pg_strcasecmp(name, "x-forwarded-proto") == 0)
			proto = value;
	}
	if (proto && pg_strcasecmp(proto, "https") == 0)
		req->scheme = "https";
	return NULL;
}

/*
 * Append the absolute URL of another page of this list: the same path and
 * query, with limit (and offset, when with_offset) replaced.
 */
void
append_page_url(StringInfo buf, HttpRequest *req, int limit, int offset,
				bool with_offset)
{
	appendStringInfo(buf, "%s://%s%s?", req->scheme, req->host, req->raw_path);
	for (int i = 0; i < req->nparams; i++)
	{
		QueryParam *param = &req->params[i];

		if (strcmp(param->name, "limit") == 0 || strcmp(param->name, "offset") == 0)
			continue;
		appendBinaryStringInfo(buf, param->raw, param->raw_len);
		appendStringInfoChar(buf, '&');
	}
	appendStringInfo(buf, "limit=%d", limit);
	if (with_offset)
		appendStringInfo(buf, "&offset=%d", offset);
}

/*
 * Parse a UUID in its canonical form (8-4-4-4-12 hex digits, either case).
 * False for anything else; an id in a path is either this or names nothing.
 */
bool
uuid_from_text(const char *text, pg_uuid_t *uuid)
{
	int			byte = 0;

	if (strlen(text) != 36)
		return false;
	for (int i = 0; i < 36;)
	{
		int			hi,
					lo;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (text[i] != '-')
				return false;
			i++;
			continue;
		}
		hi = hex_value(text[i]);
		lo = hex_value(text[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		uuid->data[byte++] = (unsigned char) (hi * 16 + lo);
		i += 2;
	}
	return true;
}
