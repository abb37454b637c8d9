/*-------------------------------------------------------------------------
 *
 * main.c
 *	  signals-gateway: a small HTTP front for the signals REST API.
 *
 * Startup: parse the command line, open the access log, open the database
 * connections (a database that is down is not fatal: requests get 503
 * until it is back), start the server threads, write the pid file.
 *
 * Shutdown, on SIGTERM or SIGINT: stop accepting connections, let the
 * requests in flight finish (up to --shutdown-timeout), then close every
 * connection and exit 0.  Responses sent while shutting down carry
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

#include "config.h"
#include "log.h"
#include "pool.h"
#include "server.h"

static bool
write_pid_file(const char *path)
{
	FILE	   *f = fopen(path, "w");

	if (f == NULL)
		return false;
	fprintf(f, "%ld\n", (long) getpid());
	return fclose(f) == 0;
}

/* Wait for the requests in flight to finish, at most timeout seconds. */
static void
drain(int timeout)
{
	struct timespec pause = {0, 10 * 1000 * 1000};
	long		waited_ms = 0;
	int			left;

	while ((left = server_in_flight()) > 0 && waited_ms < timeout * 1000L)
	{
		nanosleep(&pause, NULL);
		waited_ms += 10;
	}
	if (left > 0)
		log_message(LOG_LEVEL_WARNING, "closing %d requests still in flight after %d s",
					left, timeout);
}

int
main(int argc, char **argv)
{
	GatewayConfig config;
	sigset_t	signals;
	int			sig = 0;
	int			port;

	config_parse(&config, argc, argv);

	/* Before any thread starts, so that every thread inherits the mask. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!log_open_access(config.access_log))
	{
		log_message(LOG_LEVEL_ERROR, "could not open access log \"%s\": %s",
					config.access_log, strerror(errno));
		config_free(&config);
		return 1;
	}

	pool_init(&config);
	if (!server_start(&config, &port))
	{
		log_message(LOG_LEVEL_ERROR, "could not listen on %s port %d: %s",
					config.listen_address, config.port, strerror(errno));
		pool_close();
		log_close_access();
		config_free(&config);
		return 1;
	}
	if (config.pid_file != NULL && !write_pid_file(config.pid_file))
		log_message(LOG_LEVEL_WARNING, "could not write pid file \"%s\": %s",
					config.pid_file, strerror(errno));
	log_message(LOG_LEVEL_INFO, "listening on %s%s%s:%d with %d threads",
				strchr(config.listen_address, ':') ? "[" : "", config.listen_address,
				strchr(config.listen_address, ':') ? "]" : "", port, config.threads);

	while (sigwait(&signals, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;

	log_message(LOG_LEVEL_INFO, "received %s: shutting down",
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_quiesce();
	drain(config.shutdown_timeout);
	server_stop();
	pool_close();
	if (config.pid_file != NULL)
		unlink(config.pid_file);
	log_message(LOG_LEVEL_INFO, "stopped");
	log_close_access();
	config_free(&config);
	return 0;
}
