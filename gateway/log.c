/*-------------------------------------------------------------------------
 *
 * log.c
 *	  The access log (one line per request) and the server log.
 *
 * Access log lines go to stdout (the default), a file opened for append, or
 * nowhere ("off").  Each line is written with a single write(2) on an
 * O_APPEND descriptor, so lines from different threads never interleave:
 *
 *	 2025-05-20T14:15:22.123Z 127.0.0.1 "GET /api/projects/1/signals/processing/" 200 97 0.812ms
 *
 * The request target is printed as received, with quotes, backslashes and
 * bytes outside printable ASCII written as \xHH, and cut at 1024 bytes.
 * A status of 0 means the request ended before a response was queued
 * (the client went away, or the request was malformed or too large for
 * libmicrohttpd to hand it to us).
 *
 * Server messages (startup, database state changes, errors) go to stderr.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"

#define MAX_LOGGED_URI 1024

static int	access_fd = -1;

/*
 * Open the access log: "-" is stdout, "off" disables it, anything else is a
 * file opened for append.  False (with errno set) when the file cannot be
 * opened.
 */
bool
log_open_access(const char *path)
{
	if (strcmp(path, "off") == 0)
		access_fd = -1;
	else if (strcmp(path, "-") == 0)
		access_fd = STDOUT_FILENO;
	else
	{
		access_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (access_fd < 0)
			return false;
	}
	return true;
}

void
log_close_access(void)
{
	if (access_fd > STDERR_FILENO)
		close(access_fd);
	access_fd = -1;
}

/* Write "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into out, which holds 32 bytes. */
static void
format_now(char *out)
{
	struct timespec now;
	struct tm	tm;
	size_t		n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", now.tv_nsec / 1000000);
}

/*
 * Append s to buf with control characters and bytes from 0x7f up written as
 * \xHH, and (when quoted) quotes and backslashes too, so that a line is one
 * line and a quoted field cannot end early.
 */
static void
append_sanitized(StrBuf *buf, const char *s, size_t max, bool quoted)
{
	static const char hex[] = "0123456789abcdef";
	size_t		n = 0;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++, n++)
	{
		if (n >= max)
		{
			strbuf_append_str(buf, "...");
			break;
		}
		if (*p < 0x20 || *p >= 0x7f || (quoted && (*p == '"' || *p == '\\')))
		{
			char		esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};

			strbuf_append(buf, esc, 4);
		}
		else
			strbuf_append_char(buf, (char) *p);
	}
}

/* Write one line to fd in a single call; a short write is not retried. */
static void
write_line(int fd, StrBuf *line)
{
	ssize_t		rc;

	do
		rc = write(fd, line->data, line->len);
	while (rc < 0 && errno == EINTR);
}

/* One access log line for a finished request. */
void
log_access(const char *client, const char *method, const char *uri,
		   int status, size_t bytes, int64_t duration_us)
{
	char		stamp[32];
	StrBuf		line;

	if (access_fd < 0)
		return;
	format_now(stamp);
	strbuf_init(&line, 256);
	strbuf_printf(&line, "%s %s \"", stamp, client[0] ? client : "-");
	append_sanitized(&line, method[0] ? method : "-", 32, true);
	strbuf_append_char(&line, ' ');
	append_sanitized(&line, uri, MAX_LOGGED_URI, true);
	strbuf_printf(&line, "\" %d %zu %lld.%03lldms\n", status, bytes,
				  (long long) (duration_us / 1000), (long long) (duration_us % 1000));
	write_line(access_fd, &line);
	strbuf_free(&line);
}

/* A server message on stderr: time, level, text. */
void
log_message(int level, const char *fmt,...)
{
	static const char *const names[] = {"LOG", "WARNING", "ERROR"};
	char		stamp[32];
	va_list		args;
	char		text[1024];
	StrBuf		line;

	format_now(stamp);
	va_start(args, fmt);
	vsnprintf(text, sizeof(text), fmt, args);
	va_end(args);

	strbuf_init(&line, 256);
	strbuf_printf(&line, "%s signals-gateway %s: ", stamp, names[level]);
	append_sanitized(&line, text, sizeof(text), false);
	strbuf_append_char(&line, '\n');
	write_line(STDERR_FILENO, &line);
	strbuf_free(&line);
}
