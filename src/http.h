/*-------------------------------------------------------------------------
 *
 * http.h
 *	  The in-database REST router: requests, responses, routes, identities.
 *
 * signals.http_handle() turns (method, path, query, headers, body,
 * authorization) into (status, headers, body).  router.c drives it;
 * http_request.c parses the request, routes.c holds the route table,
 * http_auth.c resolves the API key, http_secret.c is the type that carries
 * it unlogged, http_errors.c writes error bodies and maps SQLSTATEs to
 * statuses.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SIGNALS_HTTP_H
#define SIGNALS_HTTP_H

#include "lib/stringinfo.h"
#include "utils/elog.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#define API_PREFIX "/api/projects/"
#define MAX_ROUTE_ARGS 16
#define MAX_PATH_SEGMENTS 8

/* Where a domain function's argument comes from. */
typedef enum ArgSource
{
	ARG_NONE,					/* end of the argument list */
	ARG_TEAM,					/* the project id (bigint) */
	ARG_USER,					/* the calling user's id (uuid, NULL for tokens) */
	ARG_IS_SCOUT_TOKEN,			/* whether the key is an internal scout token */
	ARG_PATH_ID,				/* the :id path segment (uuid) */
	ARG_QUERY,					/* a query parameter */
	ARG_BODY,					/* a field of the JSON body */
	ARG_PAGE_LIMIT,				/* the validated page size (int) */
	ARG_PAGE_OFFSET				/* the validated page offset (int) */
} ArgSource;

/* The SQL type an argument is converted to. */
typedef enum ArgType
{
	TYPE_BIGINT,
	TYPE_INT,
	TYPE_BOOL,
	TYPE_FLOAT,
	TYPE_TEXT,
	TYPE_UUID,
	TYPE_TIMESTAMPTZ,
	TYPE_JSON_OBJECT,			/* jsonb holding an object */
	TYPE_JSON_ARRAY,			/* jsonb holding an array */
	TYPE_TEXT_ARRAY				/* text[] from a JSON array of strings */
} ArgType;

/* Argument flags */
#define ARG_NULLABLE		0x01	/* JSON null is passed as SQL NULL */
#define ARG_NULL_AS_EMPTY	0x02	/* JSON null is passed as '{}' */

typedef struct RouteArg
{
	ArgSource	source;
	const char *name;			/* query parameter or body field */
	ArgType		type;
	int			flags;
	const char *description;	/* for the OpenAPI document */
} RouteArg;

/* How the domain function's result becomes the response body. */
typedef enum ResponseKind
{
	RESPONSE_JSON,				/* the function returns the body as json */
	RESPONSE_PAGE,				/* the function returns (total, results) */
	RESPONSE_EMPTY				/* the function returns void; no body */
} ResponseKind;

typedef struct Route
{
	const char *method;
	const char *pattern;		/* below signals/, ":id" matches a UUID */
	const char *scope;			/* API key scope the route needs */
	const char *function;		/* the domain function, schema-qualified */
	ResponseKind response;
	int			success_status;
	/* The response's shape: a signals.api_* type, "[]" for an array of it;
	 * for RESPONSE_PAGE the shape of one result.  NULL for no body. */
	const char *result;
	const char *summary;		/* for the OpenAPI document */
	/* At most MAX_ROUTE_ARGS, then ARG_NONE; route_plan() refuses a route without it. */
	RouteArg	args[MAX_ROUTE_ARGS + 1];
	/* When the route answers 409 by design (for the OpenAPI document), or NULL. */
	const char *conflict;
} Route;

extern const Route signals_routes[];
extern const int signals_route_count;

/* One query parameter, decoded, with its raw text kept for building URLs. */
typedef struct QueryParam
{
	char	   *name;
	char	   *value;
	const char *raw;
	int			raw_len;
} QueryParam;

typedef struct HttpRequest
{
	const char *method;
	const char *raw_path;		/* as received, percent-encoded */
	const char *raw_query;		/* as received, without the '?' */
	char	   *project;		/* decoded project segment */
	char	   *segments[MAX_PATH_SEGMENTS];	/* decoded, below signals/ */
	int			nsegments;
	QueryParam *params;
	int			nparams;
	char	   *authorization;	/* from the authorization argument, never logged */
	char	   *host;
	char	   *scheme;
	char	   *content_type;
	char	   *body;			/* NUL-terminated, validated UTF-8, or NULL */
	int			body_len;
} HttpRequest;

typedef struct HttpResponse
{
	int			status;
	StringInfoData headers;		/* "Name: value\n" lines */
	StringInfoData body;
	bool		has_body;
} HttpResponse;

/* The authenticated caller. */
typedef struct Identity
{
	pg_uuid_t	key_id;
	bool		is_scout_token;
	bool		has_user;
	pg_uuid_t	user_id;
	int64		token_team;		/* scout tokens: their team */
	int			nscopes;
	char	  **scopes;
	int			nscoped_teams;	/* personal keys: -1 when not limited */
	int64	   *scoped_teams;
	bool		last_use_stale;
} Identity;

/* http_request.c */
extern const char *parse_request_path(HttpRequest *req, const char *path);
extern const char *parse_query_string(HttpRequest *req, const char *query);
extern const char *read_request_headers(HttpRequest *req, Jsonb *headers);
extern const char *find_query_param(HttpRequest *req, const char *name);
extern bool uuid_from_text(const char *text, pg_uuid_t *uuid);
extern void append_page_url(StringInfo buf, HttpRequest *req, int limit, int offset,
							bool with_offset);

/* http_auth.c */
typedef enum AuthResult
{
	AUTH_OK,
	AUTH_MISSING,				/* no Bearer credentials in the request */
	AUTH_INVALID				/* a token that is unknown or revoked */
} AuthResult;

extern AuthResult authenticate(const char *authorization, Identity *who);
extern bool identity_has_scope(const Identity *who, const char *scope);
extern bool resolve_current_project(const Identity *who, int64 *team_id);
extern bool identity_reaches_team(const Identity *who, int64 team_id,
								  const char **denial);
extern void note_key_use(const Identity *who);

/* http_secret.c */
extern char *secret_text(Datum secret);

/* http_errors.c */
extern void respond_error(HttpResponse *resp, int status, const char *code,
						  const char *detail, const char *attr);
extern bool error_is_client_error(const ErrorData *edata);
extern void respond_sql_error(HttpResponse *resp, const ErrorData *edata);

#endif							/* SIGNALS_HTTP_H */
