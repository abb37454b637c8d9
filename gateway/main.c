/*-------------------------------------------------------------------------
 *
 * main.c
 *	  signals-gateway: a small HTTP front for the signals REST API.
 *
 * Startup: parse the command line, bind the port, open the access log and
 * write the pid file; as root, become --user; then open the database
 * connections (a database that is down is not fatal: requests get 503
 * until it is back) and start the workers, the I/O threads and the
 * acceptor.
 *
 * Shutdown, on SIGTERM or SIGINT: stop accepting connections, let the
 * requests in flight finish (up to --shutdown-timeout, after which running
 * statements are cancelled and their requests answered 503), then close
 * every connection and exit 0.  Responses sent while shutting down carry
 * "Connection: close", and /readyz answers 503.
 *
 * The signals are blocked in every thread and taken synchronously by the
 * main thread with sigwait(), so no code runs in a signal handler.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "config.h"
#include "dispatch.h"
#include "handler.h"
#include "log.h"
#include "pool.h"
#include "privileges.h"
#include "server.h"

/* After cancelling statements at shutdown, how long their requests get to answer. */
#define CANCEL_GRACE_MS 3000

static bool
write_pid_file(const char *path)
{
	FILE	   *f = fopen(path, "w");

	if (f == NULL)
		return false;
	fprintf(f, "%ld\n", (long) getpid());
	return fclose(f) == 0;
}

/* Wait up to ms milliseconds for the requests in flight to finish; returns how many are left. */
static int
wait_in_flight(long ms)
{
	struct timespec pause = {0, 10 * 1000 * 1000};
	long		waited_ms = 0;
	int			left;

	while ((left = server_in_flight()) > 0 && waited_ms < ms)
	{
		nanosleep(&pause, NULL);
		waited_ms += 10;
	}
	return left;
}

/*
 * Let the requests in flight finish, at most timeout seconds.  Then cancel
 * the statements still running, and give their requests a moment to send
 * the resulting 503 before the connections are closed.
 */
static void
drain(int timeout)
{
	int			left = wait_in_flight(timeout * 1000L);

	if (left > 0)
	{
		log_message(LOG_LEVEL_WARNING, "closing %d requests still in flight after %d s",
					left, timeout);
		if (pool_cancel_all() > 0)
			wait_in_flight(CANCEL_GRACE_MS);
	}
}

int
main(int argc, char **argv)
{
	GatewayConfig config;
	sigset_t	signals;
	int			sig = 0;
	int			port;

	config_parse(&config, argc, argv);
	if (!privileges_check(config.user))
	{
		config_free(&config);
		return 2;
	}

	/* Before any thread starts, so that every thread inherits the mask. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* What may need root: the port, the log file, the pid file. */
	if (!server_listen(&config, &port))
	{
		log_message(LOG_LEVEL_ERROR, "could not listen on %s port %d: %s",
					config.listen_address, config.port, strerror(errno));
		config_free(&config);
		return 1;
	}
	if (!log_open_access(config.access_log))
	{
		log_message(LOG_LEVEL_ERROR, "could not open access log \"%s\": %s",
					config.access_log, strerror(errno));
		config_free(&config);
		return 1;
	}
	if (config.pid_file != NULL && !write_pid_file(config.pid_file))
		log_message(LOG_LEVEL_WARNING, "could not write pid file \"%s\": %s",
					config.pid_file, strerror(errno));
	if (!privileges_drop(config.user))
	{
		log_close_access();
		config_free(&config);
		return 1;
	}

	budget_init(config.max_memory);
	handler_init(&config);
	pool_init(&config);
	if (!dispatch_start(config.threads) || !server_start())
	{
		log_message(LOG_LEVEL_ERROR, "could not start the server threads");
		dispatch_stop();
		pool_close();
		log_close_access();
		config_free(&config);
		return 1;
	}
	log_message(LOG_LEVEL_INFO, "listening on %s%s%s:%d with %d threads",
				strchr(config.listen_address, ':') ? "[" : "", config.listen_address,
				strchr(config.listen_address, ':') ? "]" : "", port, config.threads);

	while (sigwait(&signals, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;

	log_message(LOG_LEVEL_INFO, "received %s: shutting down",
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_quiesce();
	drain(config.shutdown_timeout);
	dispatch_stop();
	server_stop();
	pool_close();
	/* Every connection is gone: whatever the budget still holds was lost track of. */
	if (budget_used() != 0)
		log_message(LOG_LEVEL_WARNING, "memory budget: %zu bytes still counted at exit", budget_used());
	/* As --user, the pid file's directory may no longer be writable: no matter. */
	if (config.pid_file != NULL)
		(void) unlink(config.pid_file);
	log_message(LOG_LEVEL_INFO, "stopped");
	log_close_access();
	config_free(&config);
	return 0;
}
