/*-------------------------------------------------------------------------
 *
 * pool.c
 *	  The fixed pool of database connections: one per worker thread, and one
 *	  for readiness checks.
 *
 * Worker i (dispatch.c) uses slot i and no other, so a connection is only
 * ever used by one thread and needs no locking (except for the cancel
 * handle, which the main thread uses at shutdown).  The last slot belongs
 * to the readiness worker, so that /readyz never waits behind API calls;
 * it connects on first use.  A slot prepares its statements once per
 * connection, on first use.
 *
 * Statements run asynchronously with a deadline (the statement timeout plus
 * a second): if the server has not answered by then, the query is cancelled,
 * and a connection that does not answer the cancel either is dropped.  So a
 * request never waits on the database for long, whatever the network does.
 *
 * A connection that fails is dropped, and the slot reconnects on the next
 * request.  While reconnecting fails, attempts back off exponentially (50 ms
 * doubling up to --reconnect-max), and requests in between are answered at
 * once with CALL_UNAVAILABLE and the time left to wait (for Retry-After).
 * Before each use the connection's socket is polled (no wait): an idle
 * connection has nothing to read, so anything there means the server ended
 * the session (a restart sends a FATAL error, then closes), and the slot
 * reconnects at once.  So the first request after a restart gets a real
 * answer, not a 503.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "pool.h"
#include "strbuf.h"

#define TEXTOID		25
#define BYTEAOID	17
#define JSONBOID	3802

/* How long to wait for the server to act on a cancel request. */
#define CANCEL_GRACE_US	(2 * 1000 * 1000)
/* Beyond the statement timeout, how long before the client gives up. */
#define DEADLINE_GRACE_US (1000 * 1000)
#define BACKOFF_FIRST_MS 50

struct Slot
{
	int			index;
	PGconn	   *conn;			/* NULL while disconnected */
	pthread_mutex_t cancel_lock;	/* guards cancel and busy */
	PGcancel   *cancel;			/* for pool_cancel_all(), from another thread */
	bool		busy;			/* a statement is running */
	unsigned	prepared;		/* bit per Statement prepared on conn */
	int			failures;		/* consecutive failed connection attempts */
	int64_t		next_attempt;	/* monotonic us: no reconnect before this */
	int64_t		failed_at;		/* monotonic us of the last failed attempt */
	bool		terminated;		/* the server sent FATAL while we were idle */
};

typedef struct StatementDef
{
	const char *name;
	const char *sql;
	int			nparams;
	unsigned int types[6];
} StatementDef;

static const StatementDef statements[STMT_COUNT] = {
	/* $6, the Authorization header, is a signals.secret: never logged. */
	[STMT_ROUTER] = {"router",
		"SELECT status, headers, body FROM signals.http_handle($1, $2, $3, $4, $5, $6)",
	6, {TEXTOID, TEXTOID, TEXTOID, JSONBOID, BYTEAOID, 0}},
	[STMT_OPENAPI] = {"openapi", "SELECT signals.openapi()::text", 0, {0}},
	/* The API itself answers: a path no route has is 404 from the router. */
	[STMT_READY] = {"ready",
		"SELECT status FROM signals.http_handle('GET', '/api/projects/0/signals/', '', '{}', NULL::bytea, NULL)",
	0, {0}},
};

typedef enum WaitOutcome
{
	WAIT_OK,					/* the command finished (maybe with an error) */
	WAIT_TIMEOUT,				/* the deadline passed */
	WAIT_BROKEN					/* the connection failed */
} WaitOutcome;

static const GatewayConfig *pool_config;
static Slot *slots;
static int	nslots;
static atomic_int database_down;	/* whether the outage was logged */
static _Atomic int64_t last_connected;	/* monotonic us of any slot's last connection */


/*
 * Server notices (there should be none) go to the server log.  A FATAL one
 * arrives when the server ends an idle session: the slot must reconnect.
 */
static void
receive_notice(void *arg, const PGresult *res)
{
	Slot	   *slot = arg;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *message = PQresultErrorMessage(res);
	size_t		len = strlen(message);

	if (severity != NULL && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
		slot->terminated = true;
	while (len > 0 && message[len - 1] == '\n')
		len--;
	log_message(LOG_LEVEL_INFO, "database: %.*s", (int) len, message);
}

/* libpq's message without its trailing newline, for the log. */
static const char *
short_error(PGconn *conn, char *buf, size_t size)
{
	size_t		len;

	snprintf(buf, size, "%s", conn ? PQerrorMessage(conn) : "out of memory");
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return buf;
}

/* Forget the slot's connection; the next request reconnects. */
static void
slot_drop(Slot *slot, const char *why)
{
	char		msg[512];

	if (slot->conn == NULL)
		return;
	if (why != NULL)
		log_message(LOG_LEVEL_WARNING, "connection %d: %s: %s", slot->index, why,
					short_error(slot->conn, msg, sizeof(msg)));
	pthread_mutex_lock(&slot->cancel_lock);
	if (slot->cancel != NULL)
		PQfreeCancel(slot->cancel);
	slot->cancel = NULL;
	pthread_mutex_unlock(&slot->cancel_lock);
	PQfinish(slot->conn);
	slot->conn = NULL;
	slot->prepared = 0;
	slot->terminated = false;
}

/* Open the slot's connection; false (and the backoff advanced) on failure. */
static bool
slot_connect(Slot *slot)
{
	const char *keys[8];
	const char *values[8];
	char		connect_timeout[16];
	char		setup[64];
	char		msg[512];
	int			n = 0;
	PGconn	   *conn;
	PGresult   *res;

	/* Later entries win, so the command line overrides these defaults. */
	keys[n] = "fallback_application_name";
	values[n++] = GATEWAY_APPLICATION_NAME;
	if (getenv("PGCONNECT_TIMEOUT") == NULL)
	{
		snprintf(connect_timeout, sizeof(connect_timeout), "%d",
				 pool_config->connect_timeout);
		keys[n] = "connect_timeout";
		values[n++] = connect_timeout;
	}
	if (pool_config->dbname != NULL)
	{
		keys[n] = "dbname";
		values[n++] = pool_config->dbname;
	}
	keys[n] = NULL;
	values[n] = NULL;

	conn = PQconnectdbParams(keys, values, 1);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
	{
		snprintf(setup, sizeof(setup), "SET statement_timeout = %d",
				 pool_config->statement_timeout);
		res = PQexec(conn, setup);
		if (PQresultStatus(res) == PGRES_COMMAND_OK &&
			PQsetnonblocking(conn, 1) == 0)
		{
			PQclear(res);
			PQsetNoticeReceiver(conn, receive_notice, slot);
			pthread_mutex_lock(&slot->cancel_lock);
			slot->cancel = PQgetCancel(conn);
			pthread_mutex_unlock(&slot->cancel_lock);
			slot->conn = conn;
			slot->prepared = 0;
			slot->terminated = false;
			slot->failures = 0;
			slot->next_attempt = 0;
			atomic_store(&last_connected, monotonic_us());
			if (atomic_exchange(&database_down, 0))
				log_message(LOG_LEVEL_INFO, "database connection restored");
			return true;
		}
		PQclear(res);
	}

	/* Failed: log the first failure of an outage, and back off. */
	if (!atomic_exchange(&database_down, 1))
		log_message(LOG_LEVEL_WARNING, "database unavailable: %s",
					short_error(conn, msg, sizeof(msg)));
	PQfinish(conn);
	{
		int64_t		delay_ms = BACKOFF_FIRST_MS;

		for (int i = 0; i < slot->failures && delay_ms < pool_config->reconnect_max; i++)
			delay_ms *= 2;
		if (delay_ms > pool_config->reconnect_max)
			delay_ms = pool_config->reconnect_max;
		slot->failures++;
		slot->failed_at = monotonic_us();
		slot->next_attempt = slot->failed_at + delay_ms * 1000;
	}
	return false;
}

/* Seconds until the slot tries to reconnect, for Retry-After (at least 1). */
static int
retry_after(const Slot *slot)
{
	int64_t		wait = slot->next_attempt - monotonic_us();

	if (wait <= 0)
		return 1;
	return (int) ((wait + 999999) / 1000000);
}

/*
 * Whether the idle connection is still the server's: nothing to read on its
 * socket.  Anything there (a FATAL error, EOF, a ParameterStatus after a
 * promotion) is read; the connection is kept only if libpq still finds it
 * sound and the server did not end the session.
 */
static bool
slot_still_open(Slot *slot)
{
	struct pollfd pfd;

	pfd.fd = PQsocket(slot->conn);
	pfd.events = POLLIN;
	if (PQstatus(slot->conn) != CONNECTION_OK || pfd.fd < 0 || slot->terminated)
		return false;
	/* A FATAL error and the EOF after it may come in two reads. */
	for (int reads = 0; reads < 4; reads++)
	{
		int			rc = poll(&pfd, 1, 0);

		if (rc == 0)
			return true;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 || !PQconsumeInput(slot->conn) || PQstatus(slot->conn) != CONNECTION_OK ||
			PQisBusy(slot->conn) || slot->terminated)
			return false;
	}
	return false;
}

/*
 * Make sure the slot has a usable connection: notice one the server has
 * closed while it sat idle (a restart), and reconnect unless backing off.
 */
static bool
slot_ensure(Slot *slot)
{
	if (slot->conn != NULL)
	{
		if (slot_still_open(slot))
			return true;
		slot_drop(slot, "connection closed by the server while idle");
	}
	/* Backing off, unless another slot has connected since this one failed. */
	if (monotonic_us() < slot->next_attempt && atomic_load(&last_connected) < slot->failed_at)
		return false;
	return slot_connect(slot);
}

/* Wait for the socket to be ready: 1 ready, 0 deadline passed, -1 error. */
static int
wait_socket(PGconn *conn, short events, int64_t deadline)
{
	struct pollfd pfd;

	pfd.fd = PQsocket(conn);
	pfd.events = events;
	if (pfd.fd < 0)
		return -1;
	for (;;)
	{
		int			timeout_ms = -1;
		int			rc;

		if (deadline > 0)
		{
			int64_t		left = deadline - monotonic_us();

			timeout_ms = left <= 0 ? 0 : (int) ((left + 999) / 1000);
		}
		rc = poll(&pfd, 1, timeout_ms);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Send what is queued and read the command's results until the connection
 * is idle again.  *first gets the first result (the caller clears it), or
 * the first error if a later result is one.
 */
static WaitOutcome
collect(PGconn *conn, int64_t deadline, PGresult **first)
{
	int			rc;

	while ((rc = PQflush(conn)) != 0)
	{
		int			ready;

		if (rc < 0)
			return WAIT_BROKEN;
		ready = wait_socket(conn, POLLOUT | POLLIN, deadline);
		if (ready == 0)
			return WAIT_TIMEOUT;
		if (ready < 0 || !PQconsumeInput(conn))
			return WAIT_BROKEN;
	}
	for (;;)
	{
		PGresult   *res;

		while (PQisBusy(conn))
		{
			int			ready = wait_socket(conn, POLLIN, deadline);

			if (ready == 0)
				return WAIT_TIMEOUT;
			if (ready < 0 || !PQconsumeInput(conn))
				return WAIT_BROKEN;
		}
		res = PQgetResult(conn);
		if (res == NULL)
			return WAIT_OK;
		if (*first == NULL)
			*first = res;
		else if (PQresultStatus(res) == PGRES_FATAL_ERROR &&
				 PQresultStatus(*first) != PGRES_FATAL_ERROR)
		{
			PQclear(*first);
			*first = res;
		}
		else
			PQclear(res);
	}
}

/*
 * Finish the command just sent on the slot: wait for its result within the
 * deadline, cancelling and if need be dropping the connection.  Fills
 * result; returns the PGresult of a successful command (else NULL).
 */
static PGresult *
finish_command(Slot *slot, int64_t deadline, CallResult *result)
{
	PGresult   *res = NULL;
	WaitOutcome outcome;
	const char *sqlstate;

	pthread_mutex_lock(&slot->cancel_lock);
	slot->busy = true;
	pthread_mutex_unlock(&slot->cancel_lock);
	outcome = collect(slot->conn, deadline, &res);
	pthread_mutex_lock(&slot->cancel_lock);
	slot->busy = false;
	pthread_mutex_unlock(&slot->cancel_lock);

	if (outcome == WAIT_TIMEOUT)
	{
		PGcancel   *cancel = PQgetCancel(slot->conn);
		char		errbuf[256];

		if (cancel != NULL)
		{
			(void) PQcancel(cancel, errbuf, sizeof(errbuf));
			PQfreeCancel(cancel);
		}
		if (res != NULL)
			PQclear(res);
		res = NULL;
		if (collect(slot->conn, monotonic_us() + CANCEL_GRACE_US, &res) != WAIT_OK)
			slot_drop(slot, "no answer to a cancel request");
		if (res != NULL)
			PQclear(res);
		result->status = CALL_TIMEOUT;
		return NULL;
	}
	if (outcome == WAIT_BROKEN || PQstatus(slot->conn) != CONNECTION_OK)
	{
		if (res != NULL)
			PQclear(res);
		slot_drop(slot, "connection lost");
		result->status = CALL_UNAVAILABLE;
		result->retry_after = 1;
		return NULL;
	}
	if (res != NULL && (PQresultStatus(res) == PGRES_TUPLES_OK ||
						PQresultStatus(res) == PGRES_COMMAND_OK))
		return res;

	result->status = CALL_FAILED;
	sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(result->sqlstate, sizeof(result->sqlstate), "%s",
			 sqlstate ? sqlstate : "XX000");
	if (strcmp(result->sqlstate, "57014") != 0)
	{
		const char *message = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

		log_message(LOG_LEVEL_ERROR, "statement failed: %s: %s", result->sqlstate,
					message ? message : "no result");
	}
	if (res != NULL)
		PQclear(res);
	return NULL;
}

/* Slot i of the pool, for worker i; pool_ready_slot() is the readiness worker's. */
Slot *
pool_slot(int i)
{
	return (i >= 0 && i < nslots - 1) ? &slots[i] : NULL;
}

Slot *
pool_ready_slot(void)
{
	return &slots[nslots - 1];
}

/* One attempt of pool_call(). */
static void
call_once(Slot *slot, Statement stmt, int nparams, const char *const *values,
		  const int *lengths, const int *formats, CallResult *result)
{
	const StatementDef *def = &statements[stmt];
	int64_t		deadline = 0;

	memset(result, 0, sizeof(*result));
	if (!slot_ensure(slot))
	{
		result->status = CALL_UNAVAILABLE;
		result->retry_after = retry_after(slot);
		return;
	}
	if (pool_config->statement_timeout > 0)
		deadline = monotonic_us() + (int64_t) pool_config->statement_timeout * 1000 +
			DEADLINE_GRACE_US;

	if ((slot->prepared & (1u << stmt)) == 0)
	{
		PGresult   *res;

		if (!PQsendPrepare(slot->conn, def->name, def->sql, def->nparams, def->types))
		{
			slot_drop(slot, "could not send a statement");
			result->status = CALL_UNAVAILABLE;
			result->retry_after = 1;
			return;
		}
		res = finish_command(slot, deadline, result);
		if (res == NULL)
			return;
		PQclear(res);
		slot->prepared |= 1u << stmt;
	}

	if (!PQsendQueryPrepared(slot->conn, def->name, nparams, values, lengths, formats, 0))
	{
		slot_drop(slot, "could not send a statement");
		result->status = CALL_UNAVAILABLE;
		result->retry_after = 1;
		return;
	}
	result->res = finish_command(slot, deadline, result);
	if (result->res != NULL)
		result->status = CALL_OK;
}

/*
 * Run a prepared statement on the slot's connection (connecting and
 * preparing first as needed).  values, lengths and formats are PQexecPrepared's;
 * results come back in text format.
 *
 * An internal error (XX000) resets the session and the call is made once
 * more on a new one: a prepared statement outlives what it was prepared
 * against (the extension dropped and created again gives signals.secret a
 * new OID, and the old statement fails with "cache lookup failed for
 * type" for as long as the session lasts).  A failed statement has
 * rolled back, so making it again does nothing twice.
 */
void
pool_call(Slot *slot, Statement stmt, int nparams, const char *const *values,
		  const int *lengths, const int *formats, CallResult *result)
{
	call_once(slot, stmt, nparams, values, lengths, formats, result);
	if (result->status == CALL_FAILED && strcmp(result->sqlstate, "XX000") == 0)
	{
		slot_drop(slot, "internal error: starting a new session");
		call_once(slot, stmt, nparams, values, lengths, formats, result);
	}
}

/* Allocate the slots and open their connections (failures are retried later). */
void
pool_init(const GatewayConfig *config)
{
	int			connected = 0;

	pool_config = config;
	nslots = config->threads + 1;
	slots = xmalloc(sizeof(Slot) * nslots);
	memset(slots, 0, sizeof(Slot) * nslots);
	for (int i = 0; i < nslots; i++)
	{
		slots[i].index = i;
		pthread_mutex_init(&slots[i].cancel_lock, NULL);
		/* After a failure the rest connect on first use: start listening now. */
		if (i < config->threads && connected == i && slot_connect(&slots[i]))
			connected++;
	}
	log_message(LOG_LEVEL_INFO, "%d of %d database connections open", connected, config->threads);
}

/*
 * Cancel the statements running now (from any thread): at the end of a
 * graceful shutdown, so that workers waiting on the database return.
 * Returns how many were cancelled.
 */
int
pool_cancel_all(void)
{
	int			cancelled = 0;

	for (int i = 0; i < nslots; i++)
	{
		char		errbuf[256];

		pthread_mutex_lock(&slots[i].cancel_lock);
		if (slots[i].busy && slots[i].cancel != NULL &&
			PQcancel(slots[i].cancel, errbuf, sizeof(errbuf)))
			cancelled++;
		pthread_mutex_unlock(&slots[i].cancel_lock);
	}
	return cancelled;
}

/* Close every connection; the workers must have stopped. */
void
pool_close(void)
{
	for (int i = 0; i < nslots; i++)
	{
		slot_drop(&slots[i], NULL);
		pthread_mutex_destroy(&slots[i].cancel_lock);
	}
	free(slots);
	slots = NULL;
	nslots = 0;
}
