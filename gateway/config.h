/*-------------------------------------------------------------------------
 *
 * config.h
 *	  The gateway's settings, from its command line.
 *
 * How to reach the database is libpq's business: --dbname takes a
 * connection string or URI, and the standard PG* environment variables
 * (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGPASSFILE, PGSSLMODE,
 * ...) fill in whatever it leaves out.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_CONFIG_H
#define GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define GATEWAY_VERSION "0.2.0"
#define GATEWAY_APPLICATION_NAME "signals-gateway"

typedef struct GatewayConfig
{
	const char *listen_address; /* numeric IPv4 or IPv6 address */
	int			port;
	int			threads;		/* worker threads = database connections */
	const char *dbname;			/* libpq connection string, URI or name */
	size_t		max_body;		/* request body cap, bytes (413 above) */
	size_t		max_url;		/* request target cap, bytes (414 above) */
	size_t		max_headers;	/* total header bytes cap (431 above) */
	int			max_connections;	/* open client connections */
	int			max_client_connections; /* of them, from one client address */
	size_t		max_memory;		/* bytes of buffers, bodies and responses */
	int			header_timeout; /* seconds: a request head's limit */
	int			request_timeout;	/* seconds: idle limit and upload limit */
	int			statement_timeout;	/* milliseconds, 0 = none */
	int			connect_timeout;	/* seconds, for libpq */
	int			shutdown_timeout;	/* seconds to let requests finish */
	int			reconnect_max;	/* milliseconds: backoff ceiling */
	char	  **cors_origins;	/* allowed origins ("*" = any); NULL = CORS off */
	int			ncors_origins;
	const char *access_log;		/* "-" = stdout, "off", or a file */
	const char *pid_file;		/* NULL = none */
	const char *user;			/* started as root: run as this user */
} GatewayConfig;

extern void config_parse(GatewayConfig *config, int argc, char **argv);
extern void config_free(GatewayConfig *config);
extern bool config_origin_allowed(const GatewayConfig *config, const char *origin);

#endif							/* GATEWAY_CONFIG_H */
