/*-------------------------------------------------------------------------
 *
 * log.c
 *	  The access log (one line per request) and the server log.
 *
 * Access log lines go to stdout (the default), a file opened for append, or
 * nowhere ("off").  Request threads never write them themselves: they append
 * the line to a buffer in memory and a writer thread writes the buffer out
 * in large writes.  A write to a file can block for a long time when the
 * kernel throttles a process that dirties pages faster than the disk takes
 * them; that must not stall requests.  The writer writes every
 * ACCESS_DELAY_MS, or as soon as ACCESS_BATCH bytes are waiting.  If it falls
 * behind by more than ACCESS_BUFFER_MAX bytes, lines are dropped and the
 * number dropped is logged instead.  A line looks like this:
 *
 *	 2025-05-20T14:15:22.123Z 127.0.0.1 "GET /api/projects/1/signals/processing/" 200 97 0.812ms
 *
 * The request target is printed as received, with quotes, backslashes and
 * bytes outside printable ASCII written as \xHH, and cut at 1024 bytes.
 * Anything shaped like an API token ("phx_" and letters and digits) is
 * printed as "phx_...": tokens belong in the Authorization header, which
 * is never logged, but a client may put one in a URL by mistake.
 * A status of 0 means the client went away before its response was sent.
 * Connections refused at accept (too many) are logged as "- -".
 *
 * Server messages (startup, database state changes, errors) go to stderr.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"

#define MAX_LOGGED_URI 1024
#define TOKEN_MIN_SECRET 8		/* letters and digits after "phx_" masked */
#define ACCESS_BUFFER_MAX (8 * 1024 * 1024)	/* beyond this, lines are dropped */
#define ACCESS_BATCH (256 * 1024)	/* a full batch wakes the writer at once */
#define ACCESS_DELAY_MS 100		/* else it writes every this often */

static int	access_fd = -1;

/* Lines waiting for the writer thread, and what it needs to know. */
static pthread_mutex_t access_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t access_ready = PTHREAD_COND_INITIALIZER;
static StrBuf access_pending;
static unsigned long access_dropped = 0;
static bool access_closing = false;
static pthread_t access_writer;

static void write_all(int fd, const char *data, size_t len);

/*
 * The writer thread: take whatever lines are pending and write them, until
 * the log is closed and nothing is left.
 */
static void *
access_writer_main(void *arg)
{
	StrBuf		batch;

	(void) arg;
	strbuf_init(&batch, 64 * 1024);
	for (;;)
	{
		StrBuf		swap;
		unsigned long dropped;
		bool		closing;

		pthread_mutex_lock(&access_lock);
		while (access_pending.len < ACCESS_BATCH && !access_closing)
		{
			struct timespec until;

			/* Lines wait at most ACCESS_DELAY_MS for a batch to fill. */
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += ACCESS_DELAY_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L)
			{
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&access_ready, &access_lock, &until) == ETIMEDOUT &&
				(access_pending.len > 0 || access_dropped > 0))
				break;
		}
		swap = access_pending;
		access_pending = batch;
		batch = swap;
		dropped = access_dropped;
		access_dropped = 0;
		closing = access_closing;
		pthread_mutex_unlock(&access_lock);

		write_all(access_fd, batch.data, batch.len);
		strbuf_reset(&batch);
		if (dropped > 0)
			log_message(LOG_LEVEL_WARNING,
						"%lu access log lines dropped: the log could not be written fast enough",
						dropped);
		if (closing)
		{
			pthread_mutex_lock(&access_lock);
			closing = access_pending.len == 0;
			pthread_mutex_unlock(&access_lock);
			if (closing)
				break;
		}
	}
	strbuf_free(&batch);
	return NULL;
}

/*
 * Open the access log: "-" is stdout, "off" disables it, anything else is a
 * file opened for append.  False (with errno set) when the file cannot be
 * opened or the writer thread cannot start.
 */
bool
log_open_access(const char *path)
{
	int			rc;

	if (strcmp(path, "off") == 0)
	{
		access_fd = -1;
		return true;
	}
	if (strcmp(path, "-") == 0)
		access_fd = STDOUT_FILENO;
	else
	{
		access_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (access_fd < 0)
			return false;
	}
	strbuf_init(&access_pending, 64 * 1024);
	access_closing = false;
	rc = pthread_create(&access_writer, NULL, access_writer_main, NULL);
	if (rc != 0)
	{
		strbuf_free(&access_pending);
		if (access_fd > STDERR_FILENO)
			close(access_fd);
		access_fd = -1;
		errno = rc;
		return false;
	}
	return true;
}

/* Write out the pending lines, stop the writer thread and close the log. */
void
log_close_access(void)
{
	if (access_fd < 0)
		return;
	pthread_mutex_lock(&access_lock);
	access_closing = true;
	pthread_cond_signal(&access_ready);
	pthread_mutex_unlock(&access_lock);
	pthread_join(access_writer, NULL);
	strbuf_free(&access_pending);
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
 * Length of the API token at p ("phx_" or "phs_" and at least
 * TOKEN_MIN_SECRET letters and digits), or 0 when there is none there.
 */
static size_t
token_length(const char *p)
{
	size_t		n = 4;

	if (p[0] != 'p' || p[1] != 'h' || (p[2] != 'x' && p[2] != 's') || p[3] != '_')
		return 0;
	while ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'z') ||
		   (p[n] >= 'A' && p[n] <= 'Z'))
		n++;
	return n - 4 >= TOKEN_MIN_SECRET ? n : 0;
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
		size_t		token;

		if (n >= max)
		{
			strbuf_append_str(buf, "...");
			break;
		}
		if ((token = token_length((const char *) p)) > 0)
		{
			/* An API token (in a URL by mistake) is never logged. */
			strbuf_append(buf, (const char *) p, 4);
			strbuf_append_str(buf, "...");
			p += token - 1;
			n += token - 1;
			continue;
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

/* Write len bytes to fd, continuing after short writes; give up on an error. */
static void
write_all(int fd, const char *data, size_t len)
{
	while (len > 0)
	{
		ssize_t		rc = write(fd, data, len);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return;
		data += rc;
		len -= (size_t) rc;
	}
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

	pthread_mutex_lock(&access_lock);
	if (access_pending.len + line.len > ACCESS_BUFFER_MAX)
		access_dropped++;
	else
	{
		strbuf_append(&access_pending, line.data, line.len);
		/* Wake the writer once per batch, not per line. */
		if (access_pending.len >= ACCESS_BATCH && access_pending.len - line.len < ACCESS_BATCH)
			pthread_cond_signal(&access_ready);
	}
	pthread_mutex_unlock(&access_lock);
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
	write_all(STDERR_FILENO, line.data, line.len);
	strbuf_free(&line);
}
