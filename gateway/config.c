/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Command line parsing, defaults and --help.
 *
 * Bad settings are reported and the program exits with status 2 before
 * anything starts, so a typo never yields a half-configured server.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "strbuf.h"

enum
{
	OPT_MAX_BODY = 256,
	OPT_MAX_URL,
	OPT_MAX_HEADERS,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_CLIENT_CONNECTIONS,
	OPT_MAX_MEMORY,
	OPT_HEADER_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_STATEMENT_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_RECONNECT_MAX,
	OPT_CORS_ORIGIN,
	OPT_ACCESS_LOG,
	OPT_PID_FILE,
	OPT_USER
};

static const struct option long_options[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"listen", required_argument, NULL, 'l'},
	{"port", required_argument, NULL, 'p'},
	{"threads", required_argument, NULL, 't'},
	{"dbname", required_argument, NULL, 'd'},
	{"max-body", required_argument, NULL, OPT_MAX_BODY},
	{"max-url", required_argument, NULL, OPT_MAX_URL},
	{"max-headers", required_argument, NULL, OPT_MAX_HEADERS},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	{"max-connections-per-client", required_argument, NULL, OPT_MAX_CLIENT_CONNECTIONS},
	{"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	{"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
	{"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
	{"statement-timeout", required_argument, NULL, OPT_STATEMENT_TIMEOUT},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT},
	{"reconnect-max", required_argument, NULL, OPT_RECONNECT_MAX},
	{"cors-origin", required_argument, NULL, OPT_CORS_ORIGIN},
	{"access-log", required_argument, NULL, OPT_ACCESS_LOG},
	{"pid-file", required_argument, NULL, OPT_PID_FILE},
	{"user", required_argument, NULL, OPT_USER},
	{NULL, 0, NULL, 0}
};

/* Two workers per CPU: each spends most of a request waiting on its backend. */
static int
default_threads(void)
{
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		cpus = 1;
	if (cpus > 64)
		cpus = 64;
	return (int) (2 * cpus);
}

static void
usage(const GatewayConfig *d)
{
	printf("signals-gateway serves the signals REST API over HTTP.\n"
		   "\n"
		   "Each request becomes one call of signals.http_handle() on one of a fixed\n"
		   "pool of database connections (one per worker thread).  The gateway also\n"
		   "serves GET /healthz (liveness), GET /readyz (the API answers) and\n"
		   "GET /api/schema/ (the OpenAPI document, without authentication).\n"
		   "\n"
		   "Usage:\n"
		   "  signals-gateway [OPTION]...\n"
		   "\n"
		   "Options:\n"
		   "  -l, --listen=ADDRESS         IP address to listen on (default %s)\n"
		   "  -p, --port=PORT              TCP port (default %d)\n"
		   "  -t, --threads=N              worker threads, each with a database connection\n"
		   "                               (default %d: two per CPU)\n"
		   "  -d, --dbname=CONNINFO        database name, connection string or URI;\n"
		   "                               the PG* environment fills in the rest\n"
		   "      --max-body=BYTES         largest request body (default %zu; 413 above)\n"
		   "      --max-url=BYTES          longest request target (default %zu; 414 above)\n"
		   "      --max-headers=BYTES      most header bytes (default %zu; 431 above)\n"
		   "      --max-connections=N      most open client connections (default %d)\n"
		   "      --max-connections-per-client=N\n"
		   "                               most of them from one client address (an IPv6\n"
		   "                               /64); more get 429 (default: an eighth of\n"
		   "                               --max-connections)\n"
		   "      --max-memory=BYTES       most memory for request buffers, bodies and\n"
		   "                               responses together; a request over it gets\n"
		   "                               503 with Retry-After (default %zu)\n"
		   "      --header-timeout=SECS    a request's headers must arrive within this\n"
		   "                               time of their first byte (of the connection,\n"
		   "                               for its first request), else 408 (default %d)\n"
		   "      --request-timeout=SECS   close a connection idle this long, or whose\n"
		   "                               request body takes longer (default %d)\n"
		   "      --statement-timeout=MS   database statement timeout, 0 for none; a\n"
		   "                               request that hits it gets 504 (default %d)\n"
		   "      --connect-timeout=SECS   database connection timeout (default %d)\n"
		   "      --shutdown-timeout=SECS  on SIGTERM or SIGINT, stop accepting and let\n"
		   "                               requests in flight finish for up to this long\n"
		   "                               (default %d)\n"
		   "      --reconnect-max=MS       longest wait between reconnection attempts\n"
		   "                               while the database is down (default %d)\n"
		   "      --cors-origin=ORIGIN     allow cross-origin requests from ORIGIN (for\n"
		   "                               example https://app.example.com), or from any\n"
		   "                               origin with \"*\"; repeat for several origins\n"
		   "                               (default: CORS off)\n"
		   "      --access-log=FILE        one line per request to FILE, \"-\" for stdout,\n"
		   "                               \"off\" for none (default \"-\")\n"
		   "      --pid-file=FILE          write the process id to FILE\n"
		   "      --user=USER              run as USER once the port is bound and the\n"
		   "                               logs are open; required when started as root\n"
		   "  -V, --version                print the version and exit\n"
		   "  -h, --help                   print this help and exit\n"
		   "\n"
		   "Environment:\n"
		   "  PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGPASSFILE, PGSSLMODE,\n"
		   "  PGAPPNAME, PGOPTIONS and the other libpq variables apply to the database\n"
		   "  connections; the role needs EXECUTE on signals.http_handle().  Give it\n"
		   "  log_parameter_max_length = 0 (ALTER ROLE ... SET) so that the server\n"
		   "  never logs request bodies; the token is never logged in any case.\n"
		   "\n"
		   "Signals:\n"
		   "  SIGTERM, SIGINT  graceful shutdown (exit status 0)\n",
		   d->listen_address, d->port, d->threads, d->max_body, d->max_url,
		   d->max_headers, d->max_connections, d->max_memory, d->header_timeout,
		   d->request_timeout,
		   d->statement_timeout, d->connect_timeout, d->shutdown_timeout,
		   d->reconnect_max);
}

static void
bad_option(const char *name, const char *value, const char *expected)
{
	fprintf(stderr, "signals-gateway: invalid value \"%s\" for --%s: %s\n",
			value, name, expected);
	fprintf(stderr, "Try \"signals-gateway --help\" for more information.\n");
	exit(2);
}

/* A decimal integer in [min, max], or exit with a message. */
static long long
parse_number(const char *name, const char *value, long long min, long long max)
{
	char	   *end;
	long long	n;
	char		expected[96];

	errno = 0;
	n = strtoll(value, &end, 10);
	snprintf(expected, sizeof(expected), "expected an integer from %lld to %lld",
			 min, max);
	if (value[0] == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		bad_option(name, value, expected);
	return n;
}

/* Fill config from the defaults and the command line; exits on errors. */
void
config_parse(GatewayConfig *config, int argc, char **argv)
{
	int			c;

	memset(config, 0, sizeof(*config));
	config->listen_address = "127.0.0.1";
	config->port = 8000;
	config->threads = default_threads();
	config->dbname = NULL;
	config->max_body = 1024 * 1024;
	config->max_url = 8192;
	config->max_headers = 16384;
	config->max_connections = 1024;
	config->max_client_connections = 0;	/* set from max_connections below */
	config->max_memory = 256 * 1024 * 1024;
	config->header_timeout = 10;
	config->request_timeout = 30;
	config->statement_timeout = 10000;
	config->connect_timeout = 5;
	config->shutdown_timeout = 30;
	config->reconnect_max = 2000;
	config->access_log = "-";

	while ((c = getopt_long(argc, argv, "hVl:p:t:d:", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				usage(config);
				config_free(config);
				exit(0);
			case 'V':
				printf("signals-gateway %s\n", GATEWAY_VERSION);
				config_free(config);
				exit(0);
			case 'l':
				config->listen_address = optarg;
				break;
			case 'p':
				config->port = (int) parse_number("port", optarg, 0, 65535);
				break;
			case 't':
				config->threads = (int) parse_number("threads", optarg, 1, 1024);
				break;
			case 'd':
				config->dbname = optarg;
				break;
			case OPT_MAX_BODY:
				config->max_body = (size_t) parse_number("max-body", optarg, 0,
														 1024LL * 1024 * 1024);
				break;
			case OPT_MAX_URL:
				config->max_url = (size_t) parse_number("max-url", optarg, 64, 1024 * 1024);
				break;
			case OPT_MAX_HEADERS:
				config->max_headers = (size_t) parse_number("max-headers", optarg,
															256, 1024 * 1024);
				break;
			case OPT_MAX_CONNECTIONS:
				config->max_connections = (int) parse_number("max-connections", optarg,
															 1, 1000000);
				break;
			case OPT_MAX_CLIENT_CONNECTIONS:
				config->max_client_connections =
					(int) parse_number("max-connections-per-client", optarg, 1, 1000000);
				break;
			case OPT_MAX_MEMORY:
				config->max_memory = (size_t) parse_number("max-memory", optarg, 65536,
															1024LL * 1024 * 1024 * 1024);
				break;
			case OPT_HEADER_TIMEOUT:
				config->header_timeout = (int) parse_number("header-timeout", optarg, 1, 3600);
				break;
			case OPT_REQUEST_TIMEOUT:
				config->request_timeout = (int) parse_number("request-timeout", optarg,
															 1, 86400);
				break;
			case OPT_STATEMENT_TIMEOUT:
				config->statement_timeout = (int) parse_number("statement-timeout", optarg,
															   0, INT_MAX / 2);
				break;
			case OPT_CONNECT_TIMEOUT:
				config->connect_timeout = (int) parse_number("connect-timeout", optarg,
															 1, 3600);
				break;
			case OPT_SHUTDOWN_TIMEOUT:
				config->shutdown_timeout = (int) parse_number("shutdown-timeout", optarg,
															  0, 86400);
				break;
			case OPT_RECONNECT_MAX:
				config->reconnect_max = (int) parse_number("reconnect-max", optarg,
														   10, 600000);
				break;
			case OPT_CORS_ORIGIN:
				if (optarg[0] == '\0')
					bad_option("cors-origin", optarg, "expected an origin or \"*\"");
				config->cors_origins = xrealloc(config->cors_origins,
												sizeof(char *) * (config->ncors_origins + 1));
				config->cors_origins[config->ncors_origins++] = optarg;
				break;
			case OPT_ACCESS_LOG:
				config->access_log = optarg;
				break;
			case OPT_PID_FILE:
				config->pid_file = optarg;
				break;
			case OPT_USER:
				if (optarg[0] == '\0')
					bad_option("user", optarg, "expected a user name");
				config->user = optarg;
				break;
			default:
				fprintf(stderr, "Try \"signals-gateway --help\" for more information.\n");
				config_free(config);
				exit(2);
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "signals-gateway: unexpected argument \"%s\"\n", argv[optind]);
		fprintf(stderr, "Try \"signals-gateway --help\" for more information.\n");
		config_free(config);
		exit(2);
	}
	if (config->max_client_connections == 0)
		config->max_client_connections = config->max_connections >= 16 ?
			config->max_connections / 8 : config->max_connections;
	if (config->max_client_connections > config->max_connections)
		config->max_client_connections = config->max_connections;
}

void
config_free(GatewayConfig *config)
{
	free(config->cors_origins);
	config->cors_origins = NULL;
	config->ncors_origins = 0;
}

/* Whether CORS is on and the origin is one of the allowed ones. */
bool
config_origin_allowed(const GatewayConfig *config, const char *origin)
{
	for (int i = 0; i < config->ncors_origins; i++)
		if (strcmp(config->cors_origins[i], "*") == 0 ||
			strcmp(config->cors_origins[i], origin) == 0)
			return true;
	return false;
}
