/*-------------------------------------------------------------------------
 *
 * strbuf.h
 *	  A growable byte buffer, and JSON string escaping into it.
 *
 * The gateway builds JSON (request headers, its own error bodies) by hand:
 * no JSON library.  Everything it writes goes through json_append_string(),
 * which always produces valid JSON whatever bytes it is given.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_STRBUF_H
#define GATEWAY_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct StrBuf
{
	char	   *data;			/* always NUL-terminated */
	size_t		len;
	size_t		cap;
} StrBuf;

extern void *xmalloc(size_t size);
extern void *xrealloc(void *ptr, size_t size);
extern char *xstrdup(const char *s);
extern char *xstrndup(const char *s, size_t n);

extern void strbuf_init(StrBuf *buf, size_t cap);
extern void strbuf_free(StrBuf *buf);
extern void strbuf_reset(StrBuf *buf);
extern void strbuf_append(StrBuf *buf, const char *data, size_t len);
extern void strbuf_append_str(StrBuf *buf, const char *s);
extern void strbuf_append_char(StrBuf *buf, char c);
extern void strbuf_printf(StrBuf *buf, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void json_append_string(StrBuf *buf, const char *s);
extern void json_append_string_or_null(StrBuf *buf, const char *s);

#endif							/* GATEWAY_STRBUF_H */
