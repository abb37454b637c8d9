/*-------------------------------------------------------------------------
 *
 * http1.h
 *	  HTTP/1.1 request heads and chunked bodies: parsing, no I/O.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_HTTP1_H
#define GATEWAY_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

/* A refusal: status, the API error code, and the detail for the body. */
typedef struct HttpError
{
	int			status;
	const char *code;
	char		detail[192];
} HttpError;

typedef struct HttpHeader
{
	char	   *name;			/* lower-cased */
	char	   *value;			/* without surrounding blanks */
} HttpHeader;

/* A parsed request head; the strings point into the buffer parsed. */
typedef struct HttpHead
{
	char	   *method;
	char	   *target;			/* as received */
	size_t		target_len;
	int			minor;			/* HTTP/1.<minor>: 0 or 1 */
	HttpHeader *headers;		/* malloc'd; the caller frees */
	int			nheaders;
	size_t		header_bytes;	/* the header lines, as on the wire */
} HttpHead;

typedef enum HeadScan
{
	HEAD_INCOMPLETE,			/* read more */
	HEAD_COMPLETE,				/* a whole head is there */
	HEAD_TOO_LARGE				/* a limit is passed: refuse (error set) */
} HeadScan;

extern HeadScan http1_scan_head(const char *buf, size_t len, size_t max_url,
								size_t max_headers, size_t *skip, size_t *head_len,
								HttpError *error);
extern bool http1_parse_head(char *head, size_t len, size_t max_url, size_t max_headers,
							 HttpHead *out, HttpError *error);
extern size_t http1_head_limit(size_t max_url, size_t max_headers);
extern bool http1_is_token(const char *s, size_t len);

/* Decoding a chunked body as it arrives. */
typedef struct Chunked
{
	int			state;
	unsigned long long remaining;	/* bytes left in the current chunk */
	size_t		line_bytes;		/* of the current size or trailer line */
	size_t		trailer_bytes;
} Chunked;

typedef enum ChunkedStatus
{
	CHUNKED_MORE,				/* all input used; the body goes on */
	CHUNKED_DONE,				/* the body ended (*consumed says where) */
	CHUNKED_ERROR				/* malformed (error set) */
} ChunkedStatus;

typedef void (*ChunkSink) (void *cls, const char *data, size_t len);

extern void http1_chunked_init(Chunked *chunked);
extern ChunkedStatus http1_chunked_feed(Chunked *chunked, const char *in, size_t len,
										size_t max_trailer, size_t *consumed,
										ChunkSink sink, void *cls, HttpError *error);

extern void http_error_set(HttpError *error, int status, const char *code,
						   const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

#endif							/* GATEWAY_HTTP1_H */
