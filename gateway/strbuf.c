/*-------------------------------------------------------------------------
 *
 * strbuf.c
 *	  A growable byte buffer, and JSON string escaping into it.
 *
 * Allocation failure is fatal: the gateway's allocations are small and
 * bounded by its request limits, so running out means the machine is in
 * trouble and a clean exit (the supervisor restarts us) beats limping on.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void
out_of_memory(void)
{
	static const char msg[] = "signals-gateway: FATAL: out of memory\n";

	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *
xmalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	   *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void
strbuf_init(StrBuf *buf, size_t cap)
{
	buf->cap = cap < 16 ? 16 : cap;
	buf->data = xmalloc(buf->cap);
	buf->data[0] = '\0';
	buf->len = 0;
}

void
strbuf_free(StrBuf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

void
strbuf_reset(StrBuf *buf)
{
	buf->len = 0;
	buf->data[0] = '\0';
}

/* Make room for needed more bytes and the terminating NUL. */
static void
strbuf_reserve(StrBuf *buf, size_t needed)
{
	size_t		cap = buf->cap;

	if (buf->len + needed + 1 <= cap)
		return;
	while (buf->len + needed + 1 > cap)
		cap *= 2;
	buf->data = xrealloc(buf->data, cap);
	buf->cap = cap;
}

void
strbuf_append(StrBuf *buf, const char *data, size_t len)
{
	strbuf_reserve(buf, len);
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void
strbuf_append_str(StrBuf *buf, const char *s)
{
	strbuf_append(buf, s, strlen(s));
}

void
strbuf_append_char(StrBuf *buf, char c)
{
	strbuf_reserve(buf, 1);
	buf->data[buf->len++] = c;
	buf->data[buf->len] = '\0';
}

void
strbuf_printf(StrBuf *buf, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, args);
	va_end(args);
	if (n < 0)
		return;
	if ((size_t) n >= buf->cap - buf->len)
	{
		strbuf_reserve(buf, (size_t) n);
		va_start(args, fmt);
		vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, args);
		va_end(args);
	}
	buf->len += (size_t) n;
}

/*
 * Append s as a JSON string.  Bytes that JSON does not allow raw (quote,
 * backslash, control characters) are escaped, and so is every byte from 0x7f
 * up, as \u00XX: header values are octets, not necessarily UTF-8, and this
 * reads them as ISO-8859-1, which always yields valid JSON.
 */
void
json_append_string(StrBuf *buf, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_append_char(buf, '"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		unsigned char c = *p;

		if (c == '"' || c == '\\')
		{
			char		esc[2] = {'\\', (char) c};

			strbuf_append(buf, esc, 2);
		}
		else if (c < 0x20 || c >= 0x7f)
		{
			char		esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			strbuf_append(buf, esc, 6);
		}
		else
			strbuf_append_char(buf, (char) c);
	}
	strbuf_append_char(buf, '"');
}

void
json_append_string_or_null(StrBuf *buf, const char *s)
{
	if (s == NULL)
		strbuf_append_str(buf, "null");
	else
		json_append_string(buf, s);
}
