/*-------------------------------------------------------------------------
 *
 * router.c
 *	  signals.http_handle(): the REST API inside the database.
 *
 * A request goes through these steps, and the first that fails answers:
 *	 1. the path names a route (else 404);
 *	 2. the Authorization header holds a valid key (else 401);
 *	 3. the route takes the method (else 405 with Allow);
 *	 4. the key holds the route's scope (else 403);
 *	 5. the key reaches the project (else 403; "@current" must be unique: 400);
 *	 6. the query parameters are the route's own and well-formed (else 400);
 *	 7. a body, when the route takes one, is a JSON object (else 415 or 400);
 *	 8. the domain function runs in a subtransaction: its arguments are
 *		converted, it is called, and an error it raises becomes the matching
 *		4xx response with nothing written.  Errors that are not the client's
 *		fault propagate.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "http.h"
#include "signals.h"

#define DEFAULT_PAGE_LIMIT 100
#define MAX_PAGE_LIMIT 1000
#define MAX_ROUTES 64

/* Saved plans, one per route, prepared on first use. */
static SPIPlanPtr route_plans[MAX_ROUTES];

/* What the router knows once the caller is authenticated. */
typedef struct RequestContext
{
	HttpRequest *req;
	const Route *route;
	Identity	who;
	int64		team_id;
	pg_uuid_t	path_id;
	int			page_limit;
	int			page_offset;
	Jsonb	   *body;			/* the parsed body, or NULL */
} RequestContext;

/* Where the domain call is when an error interrupts it. */
typedef enum CallPhase
{
	PHASE_BODY,					/* parsing the JSON body */
	PHASE_ARGUMENT,				/* converting one argument */
	PHASE_CALL					/* running the domain function */
} CallPhase;

static void
respond_not_found(HttpResponse *resp)
{
	respond_error(resp, 404, "not_found", "Not found.", NULL);
}

/* Whether a route pattern matches the path segments; captures :id. */
static bool
pattern_matches(const char *pattern, HttpRequest *req, const char **id)
{
	const char *p = pattern;

	for (int i = 0; i < req->nsegments; i++)
	{
		const char *slash = strchr(p, '/');
		int			len = slash ? (int) (slash - p) : (int) strlen(p);

		if (len == 0)
			return false;
		if (len == 3 && strncmp(p, ":id", 3) == 0)
			*id = req->segments[i];
		else if ((int) strlen(req->segments[i]) != len ||
				 strncmp(p, req->segments[i], len) != 0)
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return *p == '\0';
}

/* Whether the project segment is "@current" or a positive integer. */
static bool
project_is_well_formed(const char *project, int64 *team_id)
{
	int64		value = 0;

	if (strcmp(project, "@current") == 0)
		return true;
	if (project[0] == '\0' || project[0] == '0' || strlen(project) > 18)
		return false;
	for (const char *c = project; *c; c++)
	{
		if (*c < '0' || *c > '9')
			return false;
		value = value * 10 + (*c - '0');
	}
	*team_id = value;
	return true;
}

/* Parse a query parameter as an int; false when it is not a clean integer. */
static bool
parse_int_param(const char *text, int *value)
{
	char	   *end;
	long		parsed;

	if (text[0] == '\0' || isspace((unsigned char) text[0]))
		return false;
	errno = 0;
	parsed = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || parsed < PG_INT32_MIN || parsed > PG_INT32_MAX)
		return false;
	*value = (int) parsed;
	return true;
}

/*
 * Check the query parameters against the route, and read limit and offset
 * for paginated routes.  False when a 400 response has been made.
 */
static bool
check_query(RequestContext *ctx, HttpResponse *resp)
{
	HttpRequest *req = ctx->req;
	const Route *route = ctx->route;
	const char *text;

	for (int i = 0; i < req->nparams; i++)
	{
		const char *name = req->params[i].name;
		bool		known = false;

		for (const RouteArg *arg = route->args; arg->source != ARG_NONE; arg++)
			if ((arg->source == ARG_QUERY || arg->source == ARG_PAGE_LIMIT ||
				 arg->source == ARG_PAGE_OFFSET) && strcmp(arg->name, name) == 0)
				known = true;
		if (!known)
		{
			respond_error(resp, 400, "invalid_input",
						  psprintf("unknown query parameter \"%s\"", name), name);
			return false;
		}
	}

	ctx->page_limit = DEFAULT_PAGE_LIMIT;
	ctx->page_offset = 0;
	if (route->response != RESPONSE_PAGE)
		return true;
	text = find_query_param(req, "limit");
	if (text && (!parse_int_param(text, &ctx->page_limit) || ctx->page_limit < 1))
	{
		respond_error(resp, 400, "invalid_input",
					  "limit must be a positive integer", "limit");
		return false;
	}
	ctx->page_limit = Min(ctx->page_limit, MAX_PAGE_LIMIT);
	text = find_query_param(req, "offset");
	if (text && (!parse_int_param(text, &ctx->page_offset) || ctx->page_offset < 0))
	{
		respond_error(resp, 400, "invalid_input",
					  "offset must be a non-negative integer", "offset");
		return false;
	}
	return true;
}

static bool
route_takes_body(const Route *route)
{
	for (const RouteArg *arg = route->args; arg->source != ARG_NONE; arg++)
		if (arg->source == ARG_BODY)
			return true;
	return false;
}

static bool
is_json_content_type(const char *content_type)
{
	size_t		len = strlen("application/json");

	if (content_type == NULL)
		return false;
	while (*content_type == ' ')
		content_type++;
	return pg_strncasecmp(content_type, "application/json", len) == 0 &&
		(content_type[len] == '\0' || content_type[len] == ';' || content_type[len] == ' ');
}

/*
 * Check the body of a route that takes one: its media type and encoding.
 * False when an error response has been made.  The JSON itself is parsed in
 * the domain call's subtransaction.
 */
static bool
check_body(RequestContext *ctx, HttpResponse *resp)
{
	HttpRequest *req = ctx->req;
	bool		blank = true;

	for (int i = 0; i < req->body_len; i++)
		if (!isspace((unsigned char) req->body[i]))
			blank = false;
	if (blank)
	{
		req->body = NULL;
		return true;
	}
	if (!is_json_content_type(req->content_type))
	{
		respond_error(resp, 415, "unsupported_media_type",
					  psprintf("unsupported media type \"%s\": the body must be application/json",
							   req->content_type ? req->content_type : ""),
					  NULL);
		return false;
	}
	if (memchr(req->body, '\0', req->body_len) != NULL)
	{
		respond_error(resp, 400, "parse_error", "request body contains a NUL byte", NULL);
		return false;
	}
	if (!pg_verifymbstr(req->body, req->body_len, true))
	{
		respond_error(resp, 400, "parse_error", "request body is not valid UTF-8", NULL);
		return false;
	}
	return true;
}

static Oid
arg_type_oid(ArgType type)
{
	switch (type)
	{
		case TYPE_BIGINT:
			return INT8OID;
		case TYPE_INT:
			return INT4OID;
		case TYPE_BOOL:
			return BOOLOID;
		case TYPE_FLOAT:
			return FLOAT8OID;
		case TYPE_TEXT:
			return TEXTOID;
		case TYPE_UUID:
			return UUIDOID;
		case TYPE_TIMESTAMPTZ:
			return TIMESTAMPTZOID;
		case TYPE_JSON_OBJECT:
		case TYPE_JSON_ARRAY:
			return JSONBOID;
		case TYPE_TEXT_ARRAY:
			return TEXTARRAYOID;
	}
	elog(ERROR, "unknown argument type %d", type);
	return InvalidOid;
}

/* What a value of the type must be, for "<field> must be ..." messages. */
static const char *
arg_type_expectation(ArgType type)
{
	switch (type)
	{
		case TYPE_BIGINT:
		case TYPE_INT:
			return "an integer";
		case TYPE_BOOL:
			return "a boolean";
		case TYPE_FLOAT:
			return "a finite number";
		case TYPE_TEXT:
			return "a string";
		case TYPE_UUID:
			return "a valid UUID";
		case TYPE_TIMESTAMPTZ:
			return "an ISO 8601 date and time";
		case TYPE_JSON_OBJECT:
			return "a JSON object";
		case TYPE_JSON_ARRAY:
			return "a JSON array";
		case TYPE_TEXT_ARRAY:
			return "a list of strings";
	}
	return "valid";
}

static void wrong_type(const RouteArg *arg) pg_attribute_noreturn();

/* Raise the 400 for a value of the wrong type. */
static void
wrong_type(const RouteArg *arg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be %s", arg->name, arg_type_expectation(arg->type)),
			 err_generic_string(PG_DIAG_COLUMN_NAME, arg->name)));
}

static Datum
timestamptz_from_text(const RouteArg *arg, const char *text)
{
	Datum		value;

	/*
	 * ISO 8601 only: a date YYYY-MM-DD, then nothing or a time.  The server's
	 * parser would also take "now", "epoch" or a DateStyle-dependent
	 * "01/02/2030", none of which belongs in an API.
	 */
	for (int i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? text[i] != '-' : !isdigit((unsigned char) text[i]))
			wrong_type(arg);
	if (text[10] != '\0' && text[10] != 'T' && text[10] != 't' && text[10] != ' ')
		wrong_type(arg);

	value = DirectFunctionCall3(timestamptz_in, CStringGetDatum(text),
											ObjectIdGetDatum(InvalidOid),
											Int32GetDatum(-1));

	if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(value)))
		wrong_type(arg);
	return value;
}

/* Convert a query parameter's text to the argument's type. */
static Datum
query_argument(const RouteArg *arg, const char *text)
{
	switch (arg->type)
	{
		case TYPE_TEXT:
			return CStringGetTextDatum(text);
		case TYPE_INT:
			{
				int			value;

				if (!parse_int_param(text, &value))
					wrong_type(arg);
				return Int32GetDatum(value);
			}
		case TYPE_BOOL:
			if (pg_strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0)
				return BoolGetDatum(true);
			if (pg_strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0)
				return BoolGetDatum(false);
			wrong_type(arg);
		case TYPE_UUID:
			return DirectFunctionCall1(uuid_in, CStringGetDatum(text));
		case TYPE_TIMESTAMPTZ:
			return timestamptz_from_text(arg, text);
		default:
			elog(ERROR, "query parameter \"%s\" has an unsupported type", arg->name);
	}
	return (Datum) 0;
}

/* A text[] from a JSON array of strings. */
static Datum
text_array_from_json(const RouteArg *arg, JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken token;
	ArrayBuildState *astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		wrong_type(arg);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (token != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			wrong_type(arg);
		accumArrayResult(astate,
						 PointerGetDatum(cstring_to_text_with_len(elem.val.string.val,
																  elem.val.string.len)),
						 false, TEXTOID, CurrentMemoryContext);
	}
	return makeArrayResult(astate, CurrentMemoryContext);
}

/* Convert a JSON body field to the argument's type. */
static Datum
body_argument(const RouteArg *arg, JsonbValue *v)
{
	switch (arg->type)
	{
		case TYPE_TEXT:
			if (v->type != jbvString)
				wrong_type(arg);
			return PointerGetDatum(cstring_to_text_with_len(v->val.string.val,
															v->val.string.len));
		case TYPE_BOOL:
			if (v->type != jbvBool)
				wrong_type(arg);
			return BoolGetDatum(v->val.boolean);
		case TYPE_FLOAT:
			if (v->type != jbvNumeric)
				wrong_type(arg);
			return DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric));
		case TYPE_INT:
		case TYPE_BIGINT:
			{
				Datum		number;
				int64		value;

				if (v->type != jbvNumeric)
					wrong_type(arg);
				/* 2, 2.0 and 2e0 are the integer 2; 2.5 is not an integer */
				number = NumericGetDatum(v->val.numeric);
				if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, number,
													  DirectFunctionCall2(numeric_trunc, number,
																		  Int32GetDatum(0)))) != 0)
					wrong_type(arg);
				value = DatumGetInt64(DirectFunctionCall1(numeric_int8, number));
				if (arg->type == TYPE_INT && (value < PG_INT32_MIN || value > PG_INT32_MAX))
					wrong_type(arg);
				return arg->type == TYPE_INT ? Int32GetDatum((int32) value) : Int64GetDatum(value);
			}
		case TYPE_UUID:
		case TYPE_TIMESTAMPTZ:
			{
				char	   *text;

				if (v->type != jbvString)
					wrong_type(arg);
				text = pnstrdup(v->val.string.val, v->val.string.len);
				if (arg->type == TYPE_UUID)
					return DirectFunctionCall1(uuid_in, CStringGetDatum(text));
				return timestamptz_from_text(arg, text);
			}
		case TYPE_JSON_OBJECT:
			if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
				wrong_type(arg);
			return JsonbPGetDatum(JsonbValueToJsonb(v));
		case TYPE_JSON_ARRAY:
			if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
				wrong_type(arg);
			return JsonbPGetDatum(JsonbValueToJsonb(v));
		case TYPE_TEXT_ARRAY:
			return text_array_from_json(arg, v);
	}
	elog(ERROR, "body field \"%s\" has an unsupported type", arg->name);
	return (Datum) 0;
}

/*
 * Fill in the value of one argument.  Sets *isnull for an absent value; the
 * domain function then applies its default.
 */
static Datum
route_argument(RequestContext *ctx, const RouteArg *arg, bool *isnull)
{
	*isnull = false;
	switch (arg->source)
	{
		case ARG_TEAM:
			return Int64GetDatum(ctx->team_id);
		case ARG_USER:
			*isnull = !ctx->who.has_user;
			return UUIDPGetDatum(&ctx->who.user_id);
		case ARG_IS_SCOUT_TOKEN:
			return BoolGetDatum(ctx->who.is_scout_token);
		case ARG_PATH_ID:
			return UUIDPGetDatum(&ctx->path_id);
		case ARG_PAGE_LIMIT:
			return Int32GetDatum(ctx->page_limit);
		case ARG_PAGE_OFFSET:
			return Int32GetDatum(ctx->page_offset);
		case ARG_QUERY:
			{
				const char *text = find_query_param(ctx->req, arg->name);

				*isnull = (text == NULL);
				return text ? query_argument(arg, text) : (Datum) 0;
			}
		case ARG_BODY:
			{
				JsonbValue	found;
				JsonbValue *v = NULL;

				if (ctx->body != NULL)
					v = getKeyJsonValueFromContainer(&ctx->body->root, arg->name,
													 strlen(arg->name), &found);
				if (v == NULL)
				{
					*isnull = true;
					return (Datum) 0;
				}
				if (v->type != jbvNull)
					return body_argument(arg, v);
				if (arg->flags & ARG_NULL_AS_EMPTY)
					return DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
				if (arg->flags & ARG_NULLABLE)
				{
					*isnull = true;
					return (Datum) 0;
				}
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s may not be null", arg->name),
						 err_generic_string(PG_DIAG_COLUMN_NAME, arg->name)));
			}
		case ARG_NONE:
			break;
	}
	elog(ERROR, "unknown argument source %d", arg->source);
	return (Datum) 0;
}

/* The saved plan that calls the route's domain function. */
static SPIPlanPtr
route_plan(int route_index)
{
	const Route *route = &signals_routes[route_index];
	Oid			argtypes[MAX_ROUTE_ARGS];
	int			nargs = 0;
	StringInfoData sql;
	SPIPlanPtr	plan;

	if (route_index >= MAX_ROUTES)
		elog(ERROR, "route table is larger than MAX_ROUTES");
	if (route->args[MAX_ROUTE_ARGS].source != ARG_NONE)
		elog(ERROR, "route %s %s has more than %d arguments", route->method, route->pattern,
			 MAX_ROUTE_ARGS);
	if (route_plans[route_index] != NULL)
		return route_plans[route_index];

	initStringInfo(&sql);
	appendStringInfoString(&sql, route->response == RESPONSE_PAGE ?
						   "SELECT total, results FROM " : "SELECT ");
	appendStringInfo(&sql, "%s(", route->function);
	for (const RouteArg *arg = route->args; arg->source != ARG_NONE; arg++)
	{
		argtypes[nargs] = arg_type_oid(arg->type);
		appendStringInfo(&sql, "%s$%d", nargs > 0 ? ", " : "", nargs + 1);
		nargs++;
	}
	appendStringInfoChar(&sql, ')');

	plan = SPI_prepare(sql.data, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql.data,
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	route_plans[route_index] = plan;
	return plan;
}

/* Append a json or text column of the first result row to buf. */
static void
append_result_text(StringInfo buf, int attno)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  attno, &isnull);
	text	   *t;

	if (isnull)
		elog(ERROR, "domain function returned NULL");
	t = DatumGetTextPP(value);
	appendBinaryStringInfo(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* The list envelope: count, absolute next and previous URLs, results. */
static void
respond_page(RequestContext *ctx, HttpResponse *resp)
{
	bool		isnull;
	int64		total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 1, &isnull));
	int			limit = ctx->page_limit;
	int			offset = ctx->page_offset;
	StringInfo	body = &resp->body;

	appendStringInfo(body, "{\"count\":" INT64_FORMAT ",\"next\":", total);
	if ((int64) offset + limit < total)
	{
		StringInfoData url;

		initStringInfo(&url);
		append_page_url(&url, ctx->req, limit, offset + limit, true);
		json_append_string(body, url.data);
	}
	else
		appendStringInfoString(body, "null");
	appendStringInfoString(body, ",\"previous\":");
	if (offset > 0)
	{
		StringInfoData url;

		initStringInfo(&url);
		append_page_url(&url, ctx->req, limit, Max(offset - limit, 0), offset > limit);
		json_append_string(body, url.data);
	}
	else
		appendStringInfoString(body, "null");
	appendStringInfoString(body, ",\"results\":");
	append_result_text(body, 2);
	appendStringInfoChar(body, '}');
}

/* Convert the arguments, run the domain function and shape the response. */
static void
run_route(RequestContext *ctx, int route_index, HttpResponse *resp,
		  volatile CallPhase *phase, const RouteArg *volatile *current_arg)
{
	const Route *route = ctx->route;
	Datum		values[MAX_ROUTE_ARGS];
	char		nulls[MAX_ROUTE_ARGS];
	int			nargs = 0;
	int			rc;
	SPIPlanPtr	plan = route_plan(route_index);	/* first: it checks the argument count */

	*phase = PHASE_BODY;
	if (ctx->req->body != NULL)
	{
		ctx->body = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													   CStringGetDatum(ctx->req->body)));
		*phase = PHASE_ARGUMENT;	/* parsed; what follows is about its shape */
		if (!JB_ROOT_IS_OBJECT(ctx->body) || JB_ROOT_IS_SCALAR(ctx->body))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request body must be a JSON object")));
	}

	*phase = PHASE_ARGUMENT;	/* also when there is no body */
	for (const RouteArg *arg = route->args; arg->source != ARG_NONE; arg++)
	{
		bool		isnull;

		*current_arg = arg;
		values[nargs] = route_argument(ctx, arg, &isnull);
		nulls[nargs] = isnull ? 'n' : ' ';
		nargs++;
	}
	*current_arg = NULL;

	*phase = PHASE_CALL;
	rc = SPI_execute_plan(plan, values, nulls, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "%s failed: %s", route->function, SPI_result_code_string(rc));

	resp->status = route->success_status;
	switch (route->response)
	{
		case RESPONSE_JSON:
			resp->has_body = true;
			append_result_text(&resp->body, 1);
			break;
		case RESPONSE_PAGE:
			resp->has_body = true;
			respond_page(ctx, resp);
			break;
		case RESPONSE_EMPTY:
			resp->has_body = false;
			break;
	}
}

/*
 * Run the route in a subtransaction.  A client error rolls it back and
 * becomes the error response; any other error propagates.
 */
static void
call_domain(RequestContext *ctx, int route_index, HttpResponse *resp)
{
	MemoryContext workcxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile CallPhase phase = PHASE_BODY;
	const RouteArg *volatile current_arg = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(workcxt);
	PG_TRY();
	{
		run_route(ctx, route_index, resp, &phase, &current_arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(workcxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(workcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(workcxt);
		CurrentResourceOwner = owner;

		if (!error_is_client_error(edata))
			ReThrowError(edata);

		resetStringInfo(&resp->body);
		if (phase == PHASE_BODY)
			respond_error(resp, 400, "parse_error",
						  edata->detail ?
						  psprintf("request body is not valid JSON: %s", edata->detail) :
						  psprintf("request body is not valid JSON: %s", edata->message),
						  NULL);
		else if (phase == PHASE_ARGUMENT && current_arg != NULL &&
				 edata->column_name == NULL)
			respond_error(resp, 400, "invalid_input",
						  psprintf("%s must be %s", current_arg->name,
								   arg_type_expectation(current_arg->type)),
						  current_arg->name);
		else
			respond_sql_error(resp, edata);
	}
	PG_END_TRY();
}

/* Append the Allow header listing the methods of the path's routes. */
static void
append_allow_header(HttpResponse *resp, HttpRequest *req)
{
	bool		first = true;

	appendStringInfoString(&resp->headers, "Allow: ");
	for (int r = 0; r < signals_route_count; r++)
	{
		const char *id = NULL;

		if (pattern_matches(signals_routes[r].pattern, req, &id))
		{
			appendStringInfo(&resp->headers, "%s%s", first ? "" : ", ",
							 signals_routes[r].method);
			first = false;
		}
	}
	appendStringInfoChar(&resp->headers, '\n');
}

/*
 * Steps 6 to 8 of serve(), for a caller whose key reaches the project: the
 * id, the query parameters and the body, then the domain call.
 */
static void
serve_authorized(RequestContext *ctx, int route_index, const char *id, HttpResponse *resp)
{
	HttpRequest *req = ctx->req;
	const char *problem;

	/* A malformed id names no object. */
	if (id != NULL && !uuid_from_text(id, &ctx->path_id))
	{
		respond_not_found(resp);
		return;
	}

	/* 6. Query parameters; 7. the body. */
	if ((problem = parse_query_string(req, req->raw_query)) != NULL)
	{
		respond_error(resp, 400, "invalid_input", problem, NULL);
		return;
	}
	if (!check_query(ctx, resp))
		return;
	if (!route_takes_body(ctx->route))
		req->body = NULL;
	else if (req->body != NULL && !check_body(ctx, resp))
		return;

	/* 8. The domain call. */
	call_domain(ctx, route_index, resp);
}

/* Serve one request; needs an SPI connection. */
static void
serve(HttpRequest *req, HttpResponse *resp)
{
	RequestContext ctx;
	const char *id = NULL;
	int			route_index = -1;
	bool		path_known = false;
	const char *denial;

	memset(&ctx, 0, sizeof(ctx));
	ctx.req = req;

	/* 1. The path must name a route, and the project be well-formed. */
	if (parse_request_path(req, req->raw_path) != NULL ||
		!project_is_well_formed(req->project, &ctx.team_id))
	{
		respond_not_found(resp);
		return;
	}
	for (int r = 0; r < signals_route_count; r++)
	{
		const char *route_id = NULL;

		if (!pattern_matches(signals_routes[r].pattern, req, &route_id))
			continue;
		path_known = true;
		/* HEAD is served as GET; the HTTP front leaves the body out */
		if (strcmp(signals_routes[r].method, req->method) == 0 ||
			(strcmp(req->method, "HEAD") == 0 && strcmp(signals_routes[r].method, "GET") == 0))
		{
			route_index = r;
			id = route_id;
		}
	}
	if (!path_known)
	{
		respond_not_found(resp);
		return;
	}

	/* 2. A valid key. */
	switch (authenticate(req->authorization, &ctx.who))
	{
		case AUTH_MISSING:
			respond_error(resp, 401, "not_authenticated",
						  "Authentication credentials were not provided.", NULL);
			return;
		case AUTH_INVALID:
			respond_error(resp, 401, "authentication_failed",
						  "Personal API key found in request Authorization header is invalid.",
						  NULL);
			return;
		case AUTH_OK:
			break;
	}

	/* 3. A method the path takes. */
	if (route_index < 0)
	{
		respond_error(resp, 405, "method_not_allowed",
					  psprintf("Method \"%s\" not allowed.", req->method), NULL);
		append_allow_header(resp, req);
		return;
	}
	ctx.route = &signals_routes[route_index];

	/* 4. The route's scope. */
	if (!identity_has_scope(&ctx.who, ctx.route->scope))
	{
		respond_error(resp, 403, "permission_denied",
					  psprintf("API key missing required scope '%s'", ctx.route->scope),
					  NULL);
		return;
	}

	/* 5. The project. */
	if (strcmp(req->project, "@current") == 0 &&
		!resolve_current_project(&ctx.who, &ctx.team_id))
	{
		respond_error(resp, 400, "invalid_input",
					  "\"@current\" stands for the key's only project, and this key reaches none or several",
					  "project_id");
		return;
	}
	if (!identity_reaches_team(&ctx.who, ctx.team_id, &denial))
	{
		respond_error(resp, 403, "permission_denied", denial, NULL);
		return;
	}
	serve_authorized(&ctx, route_index, id, resp);

	/*
	 * Recorded last: on Citus the keys are a reference table, and writing one
	 * locks it on every node until commit, which would hold back every other
	 * key's first use of the hour for as long as this call takes.
	 */
	note_key_use(&ctx.who);
}

/*
 * signals.http_handle(method, path, query, headers, body, authorization):
 * serve one API request and return (status, headers, body).  The
 * Authorization header comes as its own argument, of type signals.secret,
 * so that it never shows in a log; headers must not carry it.
 */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_http_handle));
Datum
SCHEMA_VERSIONED(signals_http_handle)(PG_FUNCTION_ARGS)
{
	HttpRequest req;
	HttpResponse resp;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	const char *problem;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	memset(&req, 0, sizeof(req));
	req.method = PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	req.raw_path = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	req.raw_query = PG_ARGISNULL(2) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!PG_ARGISNULL(4))
	{
		bytea	   *body = PG_GETARG_BYTEA_PP(4);

		req.body_len = VARSIZE_ANY_EXHDR(body);
		req.body = palloc(req.body_len + 1);
		memcpy(req.body, VARDATA_ANY(body), req.body_len);
		req.body[req.body_len] = '\0';
	}

	memset(&resp, 0, sizeof(resp));
	initStringInfo(&resp.headers);
	initStringInfo(&resp.body);

	problem = read_request_headers(&req, PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3));
	if (!PG_ARGISNULL(5))
		req.authorization = secret_text(PG_GETARG_DATUM(5));
	if (problem != NULL)
		respond_error(&resp, 400, "invalid_input", problem, "headers");
	else
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		serve(&req, &resp);
		SPI_finish();
	}

	if (resp.has_body)
		appendStringInfoString(&resp.headers, "Content-Type: application/json\n");
	values[0] = Int32GetDatum(resp.status);
	values[1] = CStringGetTextDatum(resp.headers.data);
	if (resp.has_body)
		values[2] = CStringGetTextDatum(resp.body.data);
	else
		nulls[2] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
