/*-------------------------------------------------------------------------
 *
 * http1.c
 *	  HTTP/1.1 request heads and chunked bodies: parsing, no I/O.
 *
 * The gateway reads requests itself rather than through an HTTP library,
 * so that every refusal carries the API's JSON error body, a request head
 * has a deadline and a size limit, and no input leaves a client without an
 * answer.  Parsing is strict wherever leniency could let two parsers
 * disagree about where a request ends (RFC 9112: a space before a colon,
 * obsolete line folding, bare CR, malformed chunk sizes are refused), and
 * lenient where the RFC allows it (bare LF line ends, empty lines before a
 * request line).
 *
 * A head is found in two steps: http1_scan_head() looks for its end in
 * the bytes read so far and says when a limit is already passed (414 while
 * the request line is unfinished, 431 after), so that no more than
 * http1_head_limit() bytes are ever buffered; http1_parse_head() splits a
 * complete head in place.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* memrchr */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "strbuf.h"

#define MAX_LEADING_EMPTY 64	/* CR and LF bytes skipped before a request */
#define MAX_METHOD 32
#define LINE_SLACK 64			/* request line beyond the target */
#define MAX_CHUNK_LINE 4096		/* a chunk-size line, with extensions */
#define MAX_CHUNK_SIZE (1ULL << 40)

enum
{
	CH_SIZE,					/* hex digits of a chunk size */
	CH_EXT,						/* the rest of the size line */
	CH_DATA,					/* chunk data */
	CH_DATA_CR,					/* the line end after the data */
	CH_DATA_LF,
	CH_TRAILER_START,			/* a trailer line, or the final empty line */
	CH_TRAILER_LINE,
	CH_TRAILER_LF,				/* a CR at a line start: the end, with LF */
	CH_DONE
};

void
http_error_set(HttpError *error, int status, const char *code, const char *fmt,...)
{
	va_list		args;

	error->status = status;
	error->code = code;
	va_start(args, fmt);
	vsnprintf(error->detail, sizeof(error->detail), fmt, args);
	va_end(args);
}

/* Whether s[0..len) is an HTTP token (RFC 9110 tchar). */
bool
http1_is_token(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c))))
			return false;
	}
	return true;
}

/* The most bytes a head can take before the limits refuse it. */
size_t
http1_head_limit(size_t max_url, size_t max_headers)
{
	return MAX_LEADING_EMPTY + max_url + LINE_SLACK + max_headers + 8;
}

/*
 * Look for a whole request head at the start of buf[0..len).  On
 * HEAD_COMPLETE, the head is *head_len bytes (through its empty line) after
 * *skip bytes of empty lines.  HEAD_TOO_LARGE means the request line or the
 * headers are already longer than their limit, whatever follows.
 */
HeadScan
http1_scan_head(const char *buf, size_t len, size_t max_url, size_t max_headers,
				size_t *skip, size_t *head_len, HttpError *error)
{
	size_t		s = 0;
	const char *lf;
	size_t		line_end;
	size_t		p;

	while (s < len && s < MAX_LEADING_EMPTY && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	lf = memchr(buf + s, '\n', len - s);
	if (lf == NULL)
	{
		if (len - s > max_url + LINE_SLACK)
		{
			http_error_set(error, 414, "uri_too_long",
						   "The request target is longer than %zu bytes.", max_url);
			return HEAD_TOO_LARGE;
		}
		return HEAD_INCOMPLETE;
	}
	line_end = (size_t) (lf - buf);
	if (line_end - s > max_url + LINE_SLACK)
	{
		/* The whole line is here: say how long its target is. */
		const char *first = memchr(buf + s, ' ', line_end - s);
		const char *last = first ? memrchr(first + 1, ' ', (size_t) (lf - first - 1)) : NULL;
		size_t		target = last ? (size_t) (last - first - 1) : line_end - s;

		http_error_set(error, 414, "uri_too_long",
					   "The request target has %zu bytes; the limit is %zu.", target, max_url);
		return HEAD_TOO_LARGE;
	}

	/* Each LF ends a line; an empty one (LF or CR LF) ends the head. */
	p = line_end;
	for (;;)
	{
		const char *next = memchr(buf + p + 1, '\n', len - p - 1);

		if (next == NULL)
			break;
		if ((size_t) (next - buf) == p + 1 ||
			((size_t) (next - buf) == p + 2 && buf[p + 1] == '\r'))
		{
			*head_len = (size_t) (next - buf) + 1 - s;
			return HEAD_COMPLETE;
		}
		p = (size_t) (next - buf);
	}
	if (len - line_end - 1 > max_headers + 2)
	{
		http_error_set(error, 431, "request_header_fields_too_large",
					   "The request headers are larger than %zu bytes.", max_headers);
		return HEAD_TOO_LARGE;
	}
	return HEAD_INCOMPLETE;
}

/* The line starting at *pos, NUL-terminated in place without CR LF; NULL at the end. */
static char *
next_line(char *head, size_t len, size_t *pos, size_t *line_len)
{
	char	   *start = head + *pos;
	char	   *lf;
	size_t		n;

	if (*pos >= len)
		return NULL;
	lf = memchr(start, '\n', len - *pos);
	n = lf ? (size_t) (lf - start) : len - *pos;
	*pos += n + (lf ? 1 : 0);
	if (n > 0 && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	*line_len = n;
	return start;
}

static bool
parse_request_line(char *line, size_t len, size_t max_url, HttpHead *out, HttpError *error)
{
	char	   *first = memchr(line, ' ', len);
	char	   *last = strrchr(line, ' ');
	char	   *version;

	if (memchr(line, '\0', len) != NULL || first == NULL || first == last)
	{
		http_error_set(error, 400, "parse_error", "The request line is malformed.");
		return false;
	}
	*first = '\0';
	*last = '\0';
	out->method = line;
	out->target = first + 1;
	out->target_len = (size_t) (last - first - 1);
	version = last + 1;
	if (!http1_is_token(out->method, strlen(out->method)) || strlen(out->method) > MAX_METHOD)
	{
		http_error_set(error, 400, "invalid_input", "The request method is malformed.");
		return false;
	}
	if (strncmp(version, "HTTP/", 5) != 0 || strlen(version) != 8 ||
		version[5] < '0' || version[5] > '9' || version[6] != '.' ||
		version[7] < '0' || version[7] > '9')
	{
		http_error_set(error, 400, "parse_error", "The request line is malformed.");
		return false;
	}
	if (version[5] != '1')
	{
		/* RFC 9110 would have 505; a refusal of the client's choice is a 4xx here. */
		http_error_set(error, 400, "http_version_not_supported",
					   "%s is not supported; send HTTP/1.1.", version);
		return false;
	}
	/* HTTP/1.2 and later minors are read as HTTP/1.1 (RFC 9112, section 2.3). */
	out->minor = version[7] == '0' ? 0 : 1;
	if (out->target_len == 0)
	{
		http_error_set(error, 400, "parse_error", "The request line is malformed.");
		return false;
	}
	if (out->target_len > max_url)
	{
		http_error_set(error, 414, "uri_too_long",
					   "The request target has %zu bytes; the limit is %zu.",
					   out->target_len, max_url);
		return false;
	}
	return true;
}

/* Split "name: value" in place into a header; false (error set) when malformed. */
static bool
parse_header_line(char *line, size_t len, HttpHeader *header, HttpError *error)
{
	char	   *colon;
	char	   *value;
	char	   *end;

	if (line[0] == ' ' || line[0] == '\t')
	{
		http_error_set(error, 400, "parse_error",
					   "A header line starts with a blank (obsolete line folding is not accepted).");
		return false;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL || !http1_is_token(line, (size_t) (colon - line)))
	{
		http_error_set(error, 400, "parse_error", "A header line is malformed.");
		return false;
	}
	if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len) != NULL)
	{
		http_error_set(error, 400, "parse_error", "A header holds a NUL byte or a bare CR.");
		return false;
	}
	*colon = '\0';
	for (char *c = line; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char) (*c - 'A' + 'a');
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	end = line + len;
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	header->name = line;
	header->value = value;
	return true;
}

/*
 * Parse a complete head (as found by http1_scan_head) in place.  On
 * failure, error says how to refuse it; out->headers is then NULL.
 */
bool
http1_parse_head(char *head, size_t len, size_t max_url, size_t max_headers,
				 HttpHead *out, HttpError *error)
{
	size_t		pos = 0;
	size_t		line_len;
	size_t		headers_start;
	char	   *line;
	int			cap = 0;

	memset(out, 0, sizeof(*out));
	line = next_line(head, len, &pos, &line_len);
	if (line == NULL || !parse_request_line(line, line_len, max_url, out, error))
		return false;
	headers_start = pos;
	/* The final empty line is not part of the headers. */
	out->header_bytes = len - headers_start - (len >= 2 && head[len - 2] == '\r' ? 2 : 1);
	if (out->header_bytes > max_headers)
	{
		http_error_set(error, 431, "request_header_fields_too_large",
					   "The request headers have %zu bytes; the limit is %zu.",
					   out->header_bytes, max_headers);
		return false;
	}
	while ((line = next_line(head, len, &pos, &line_len)) != NULL && line_len > 0)
	{
		if (out->nheaders == cap)
		{
			cap = cap ? cap * 2 : 16;
			out->headers = xrealloc(out->headers, sizeof(HttpHeader) * cap);
		}
		if (!parse_header_line(line, line_len, &out->headers[out->nheaders], error))
		{
			free(out->headers);
			out->headers = NULL;
			out->nheaders = 0;
			return false;
		}
		out->nheaders++;
	}
	return true;
}

void
http1_chunked_init(Chunked *chunked)
{
	memset(chunked, 0, sizeof(*chunked));
	chunked->state = CH_SIZE;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static ChunkedStatus
chunked_error(HttpError *error)
{
	http_error_set(error, 400, "parse_error", "The chunked request body is malformed.");
	return CHUNKED_ERROR;
}

/*
 * Decode in[0..len) of a chunked body, passing the data to sink.  On
 * CHUNKED_DONE, *consumed is where the body (with its trailers) ended;
 * otherwise all of in was used.  Trailers are read and dropped, at most
 * max_trailer bytes of them.
 */
ChunkedStatus
http1_chunked_feed(Chunked *ch, const char *in, size_t len, size_t max_trailer,
				   size_t *consumed, ChunkSink sink, void *cls, HttpError *error)
{
	size_t		i = 0;

	while (i < len)
	{
		char		c = in[i];

		switch (ch->state)
		{
			case CH_SIZE:
				if (hex_digit(c) >= 0)
				{
					ch->remaining = ch->remaining * 16 + (unsigned) hex_digit(c);
					if (ch->remaining > MAX_CHUNK_SIZE)
						return chunked_error(error);
					ch->line_bytes++;
					i++;
					break;
				}
				if (ch->line_bytes == 0 || (c != ';' && c != ' ' && c != '\t' &&
											c != '\r' && c != '\n'))
					return chunked_error(error);
				ch->state = CH_EXT;
				/* FALLTHROUGH */
			case CH_EXT:
				if (c == '\n')
				{
					ch->line_bytes = 0;
					ch->state = ch->remaining == 0 ? CH_TRAILER_START : CH_DATA;
				}
				else if (++ch->line_bytes > MAX_CHUNK_LINE || c == '\0')
					return chunked_error(error);
				i++;
				break;
			case CH_DATA:
				{
					size_t		n = len - i;

					if (n > ch->remaining)
						n = (size_t) ch->remaining;
					sink(cls, in + i, n);
					i += n;
					ch->remaining -= n;
					if (ch->remaining == 0)
						ch->state = CH_DATA_CR;
				}
				break;
			case CH_DATA_CR:
				if (c == '\r')
					ch->state = CH_DATA_LF;
				else if (c == '\n')
					ch->state = CH_SIZE;
				else
					return chunked_error(error);
				i++;
				break;
			case CH_DATA_LF:
				if (c != '\n')
					return chunked_error(error);
				ch->state = CH_SIZE;
				i++;
				break;
			case CH_TRAILER_START:
				if (c == '\n')
				{
					*consumed = i + 1;
					ch->state = CH_DONE;
					return CHUNKED_DONE;
				}
				ch->state = c == '\r' ? CH_TRAILER_LF : CH_TRAILER_LINE;
				/* FALLTHROUGH */
			case CH_TRAILER_LINE:
				if (ch->state == CH_TRAILER_LINE)
				{
					if (++ch->trailer_bytes > max_trailer || c == '\0')
						return chunked_error(error);
					if (c == '\n')
						ch->state = CH_TRAILER_START;
				}
				i++;
				break;
			case CH_TRAILER_LF:
				if (c != '\n')
					return chunked_error(error);
				*consumed = i + 1;
				ch->state = CH_DONE;
				return CHUNKED_DONE;
			default:
				*consumed = i;
				return CHUNKED_DONE;
		}
	}
	*consumed = len;
	return CHUNKED_MORE;
}
