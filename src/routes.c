/*-------------------------------------------------------------------------
 *
 * routes.c
 *	  The route table of the REST API, and signals.routes() to list it.
 *
 * Each route names the domain function that serves it and where each of the
 * function's arguments comes from, in the function's argument order.  The
 * router converts the arguments, calls the function and shapes the response;
 * the OpenAPI document is generated from this same table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "http.h"
#include "signals.h"

#define TEAM {ARG_TEAM, NULL, TYPE_BIGINT, 0, NULL}
#define USER {ARG_USER, NULL, TYPE_UUID, 0, NULL}
#define PATH_ID {ARG_PATH_ID, "id", TYPE_UUID, 0, NULL}
#define PAGE_LIMIT {ARG_PAGE_LIMIT, "limit", TYPE_INT, 0, "Number of results to return per page."}
#define PAGE_OFFSET {ARG_PAGE_OFFSET, "offset", TYPE_INT, 0, "The initial index from which to return the results."}
#define QUERY(name, type, description) {ARG_QUERY, name, type, 0, description}
#define BODY(name, type, flags, description) {ARG_BODY, name, type, flags, description}

const Route signals_routes[] = {
	/* processing/ */
	{"GET", "processing", "task:read", "signals.processing_list",
		RESPONSE_PAGE, 200, "api_processing_state", "Return the current processing state, including the pause.",
	{TEAM, PAGE_LIMIT, PAGE_OFFSET}},
	{"PUT", "processing/pause", "task:write", "signals.processing_pause",
		RESPONSE_JSON, 200, "api_pause", "Pause grouping of the team's signals until a time.",
	{TEAM, BODY("timestamp", TYPE_TIMESTAMPTZ, 0, "ISO 8601 time until which grouping is paused.")}},
	{"DELETE", "processing/pause", "task:write", "signals.processing_unpause",
		RESPONSE_JSON, 200, "api_unpause", "End the pause of the team's signal processing.",
	{TEAM}},

	/* source_configs/ */
	{"GET", "source_configs", "task:read", "signals.source_configs_list",
		RESPONSE_PAGE, 200, "api_source_config", "List the team's signal source configs, most recently updated first.",
	{TEAM, PAGE_LIMIT, PAGE_OFFSET}},
	{"POST", "source_configs", "task:write", "signals.source_config_create",
		RESPONSE_JSON, 201, "api_source_config", "Configure a signal source.",
		{TEAM,
			BODY("source_product", TYPE_TEXT, 0, "The product the signals come from."),
			BODY("source_type", TYPE_TEXT, 0, "The kind of signal."),
			BODY("enabled", TYPE_BOOL, 0, "Whether signals from this source are accepted (default true)."),
	BODY("config", TYPE_JSON_OBJECT, ARG_NULL_AS_EMPTY, "Source-specific settings (a JSON object).")}},
	{"GET", "source_configs/:id", "task:read", "signals.source_config_get",
		RESPONSE_JSON, 200, "api_source_config", "Retrieve a signal source config.",
	{TEAM, PATH_ID}},
	{"PATCH", "source_configs/:id", "task:write", "signals.source_config_update",
		RESPONSE_JSON, 200, "api_source_config", "Update a signal source config (its product and type are fixed).",
		{TEAM, PATH_ID,
			BODY("source_product", TYPE_TEXT, 0, "Must equal the current product."),
			BODY("source_type", TYPE_TEXT, 0, "Must equal the current type."),
			BODY("enabled", TYPE_BOOL, 0, "Whether signals from this source are accepted."),
	BODY("config", TYPE_JSON_OBJECT, ARG_NULL_AS_EMPTY, "Source-specific settings (a JSON object).")}},
	{"DELETE", "source_configs/:id", "task:write", "signals.source_config_delete",
		RESPONSE_EMPTY, 204, NULL, "Delete a signal source config.",
	{TEAM, PATH_ID}},

	/* reports/ */
	{"GET", "reports", "task:read", "signals.reports_list",
		RESPONSE_PAGE, 200, "api_report", "List the team's reports (the inbox).",
		{TEAM, USER,
			QUERY("status", TYPE_TEXT, "Comma list of statuses; by default all but suppressed."),
			QUERY("search", TYPE_TEXT, "Case-insensitive substring of the title or the summary."),
			QUERY("source_product", TYPE_TEXT, "Comma list: reports with a signal from one of these products."),
			QUERY("suggested_reviewers", TYPE_TEXT, "Comma list of user UUIDs: reports suggesting one of them."),
			QUERY("ordering", TYPE_TEXT, "Comma list of status, is_suggested_reviewer, signal_count, total_weight, priority, created_at, updated_at, id; '-' for descending."),
	PAGE_LIMIT, PAGE_OFFSET}},
	{"GET", "reports/:id", "task:read", "signals.report_get",
		RESPONSE_JSON, 200, "api_report", "Retrieve a report.",
	{TEAM, PATH_ID, USER}},
	{"DELETE", "reports/:id", "task:write", "signals.report_delete",
		RESPONSE_JSON, 202, "api_deletion", "Delete a report.",
	{TEAM, PATH_ID}},
	{"POST", "reports/:id/state", "task:write", "signals.report_set_state",
		RESPONSE_JSON, 200, "api_report", "Suppress, snooze, restore or resolve a report.",
		{TEAM, PATH_ID,
			BODY("state", TYPE_TEXT, 0, "suppressed, potential or resolved."),
			BODY("snooze_for", TYPE_INT, ARG_NULLABLE, "With potential: wait for this many more signals (1..100000) before promoting again."),
	USER},
	"The state machine does not allow the move from the report's current status (e.g. \"cannot move a report from candidate to potential\")."},
	{"POST", "reports/:id/merge", "task:write", "signals.report_merge",
		RESPONSE_JSON, 200, "api_report", "Merge the report into another: its signals and artefacts move there, and it is deleted.",
		{TEAM, PATH_ID,
			BODY("into", TYPE_UUID, 0, "The id of the report to merge into (a live report of the same project)."),
			BODY("force", TYPE_BOOL, ARG_NULLABLE, "Merge even while research is in progress on either report (default false)."),
	USER},
	"The report to merge into is deleted (or was merged) or suppressed, or research is in progress on either report and \"force\" is not true."},
	{"POST", "reports/:id/split", "task:write", "signals.report_split",
		RESPONSE_JSON, 201, "api_report", "Split signals off the report into a new report.",
		{TEAM, PATH_ID,
			BODY("signal_ids", TYPE_TEXT_ARRAY, 0, "Ids of the report's signals to move: at least one, not all."),
			BODY("title", TYPE_TEXT, ARG_NULLABLE, "The new report's title (at most 200 characters); by default the first line of the first moved signal."),
			BODY("force", TYPE_BOOL, ARG_NULLABLE, "Split even while research is in progress on the report (default false)."),
	USER},
	"Research is in progress on the report and \"force\" is not true."},
	{"GET", "reports/:id/artefacts", "task:read", "signals.report_artefacts_list",
		RESPONSE_PAGE, 200, "api_artefact", "List a report's artefacts, newest first.",
	{TEAM, PATH_ID, PAGE_LIMIT, PAGE_OFFSET}},
	{"GET", "reports/:id/signals", "task:read", "signals.report_signals",
		RESPONSE_JSON, 200, "api_report_signals", "Retrieve a report with its signals and how each joined it.",
	{TEAM, PATH_ID, USER}},

	/* scout/runs/ */
	{"GET", "scout/runs", "signal_scout:read", "signals.scout_runs_list",
		RESPONSE_JSON, 200, "api_scout_run[]", "Return recent scout runs, newest first.",
		{TEAM,
			QUERY("date_from", TYPE_TIMESTAMPTZ, "Runs created at or after this time."),
			QUERY("date_to", TYPE_TIMESTAMPTZ, "Runs created before this time."),
			QUERY("text", TYPE_TEXT, "Case-insensitive substring of the summary."),
	QUERY("limit", TYPE_INT, "How many runs (1..100, default 20).")}},
	{"GET", "scout/runs/:id", "signal_scout:read", "signals.scout_run_get",
		RESPONSE_JSON, 200, "api_scout_run", "Retrieve a scout run.",
	{TEAM, PATH_ID}},
	{"POST", "scout/runs/:id/emit-signal", "signal_scout_internal:write", "signals.scout_emit",
		RESPONSE_JSON, 200, "api_emit", "Emit a finding of an in-progress run as a signal (not idempotent).",
		{TEAM, PATH_ID,
			BODY("description", TYPE_TEXT, 0, "The finding, 1 to 50,000 characters."),
			BODY("weight", TYPE_FLOAT, ARG_NULLABLE, "Weight in [0, 1], default 1.0."),
			BODY("confidence", TYPE_FLOAT, ARG_NULLABLE, "Confidence in [0, 1]."),
			BODY("evidence", TYPE_JSON_ARRAY, ARG_NULLABLE, "At most 20 evidence objects."),
			BODY("hypothesis", TYPE_TEXT, ARG_NULLABLE, "The scout's hypothesis."),
			BODY("severity", TYPE_TEXT, ARG_NULLABLE, "P0 to P4."),
			BODY("dedupe_keys", TYPE_TEXT_ARRAY, ARG_NULLABLE, "Keys that identify the same issue across signals."),
			BODY("time_range", TYPE_JSON_OBJECT, ARG_NULLABLE, "{date_from, date_to} of the evidence."),
			BODY("mcp_trace_id", TYPE_TEXT, ARG_NULLABLE, "Trace id of the scout's tool calls."),
	BODY("finding_id", TYPE_TEXT, ARG_NULLABLE, "At most 100 characters; generated when absent.")}},

	/* scout/scratchpad/ */
	{"GET", "scout/scratchpad", "signal_scout:read", "signals.scratchpad_list",
		RESPONSE_JSON, 200, "api_scratchpad_entry[]", "Return scratchpad entries, newest first.",
		{TEAM,
			QUERY("text", TYPE_TEXT, "Case-insensitive substring of the key or the content."),
	QUERY("limit", TYPE_INT, "How many entries (default 20, clamped to 1..100).")}},
	{"POST", "scout/scratchpad", "signal_scout_internal:write", "signals.scratchpad_upsert",
		RESPONSE_JSON, 200, "api_scratchpad_entry", "Write a scratchpad entry, or refresh the one with the same key.",
		{TEAM,
			BODY("key", TYPE_TEXT, 0, "The entry's key, 1 to 300 characters."),
			BODY("content", TYPE_TEXT, 0, "The entry's content, 1 to 50,000 characters."),
	BODY("run_id", TYPE_UUID, ARG_NULLABLE, "The scout run writing the entry.")}},
	{"POST", "scout/scratchpad/forget", "signal_scout_internal:write", "signals.scratchpad_forget",
		RESPONSE_JSON, 200, "api_forget", "Delete a scratchpad entry by key.",
		{TEAM,
	BODY("key", TYPE_TEXT, 0, "The key of the entry to delete.")}},

	/* scout/project_profile/current/ */
	{"GET", "scout/project_profile/current", "signal_scout:read", "signals.project_profile_current",
		RESPONSE_JSON, 200, "api_project_profile", "Return the team's deterministic project profile (internal scout tokens build it on a cache miss).",
		{TEAM, {ARG_IS_SCOUT_TOKEN, NULL, TYPE_BOOL, 0, NULL},
	QUERY("force_refresh", TYPE_BOOL, "Rebuild instead of reading the cache (internal scout tokens only; default false).")}},
};

const int	signals_route_count = lengthof(signals_routes);

static const char *
arg_source_name(ArgSource source)
{
	switch (source)
	{
		case ARG_QUERY:
		case ARG_PAGE_LIMIT:
		case ARG_PAGE_OFFSET:
			return "query";
		case ARG_BODY:
			return "body";
		case ARG_PATH_ID:
			return "path";
		default:
			return "context";
	}
}

static const char *
arg_type_name(ArgType type)
{
	switch (type)
	{
		case TYPE_BIGINT:
		case TYPE_INT:
			return "integer";
		case TYPE_BOOL:
			return "boolean";
		case TYPE_FLOAT:
			return "number";
		case TYPE_TEXT:
			return "string";
		case TYPE_UUID:
			return "uuid";
		case TYPE_TIMESTAMPTZ:
			return "date-time";
		case TYPE_JSON_OBJECT:
			return "object";
		case TYPE_JSON_ARRAY:
			return "array";
		case TYPE_TEXT_ARRAY:
			return "array of strings";
	}
	return "unknown";
}

/* The route's path in OpenAPI form: ":id" becomes "{id}". */
static char *
openapi_path(const char *pattern)
{
	StringInfoData path;

	initStringInfo(&path);
	appendStringInfoString(&path, "/api/projects/{project_id}/signals/");
	for (const char *p = pattern; *p; p++)
	{
		if (strncmp(p, ":id", 3) == 0)
		{
			appendStringInfoString(&path, "{id}");
			p += 2;
		}
		else
			appendStringInfoChar(&path, *p);
	}
	appendStringInfoChar(&path, '/');
	return path.data;
}

/*
 * signals.routes(): one row per route and argument source, for the OpenAPI
 * generator and for people reading the API from psql.
 */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_routes_list));
Datum
SCHEMA_VERSIONED(signals_routes_list)(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int r = 0; r < signals_route_count; r++)
	{
		const Route *route = &signals_routes[r];
		StringInfoData args;
		Datum		values[10];
		bool		nulls[10] = {0};
		bool		first = true;

		initStringInfo(&args);
		appendStringInfoChar(&args, '[');
		for (const RouteArg *arg = route->args; arg->source != ARG_NONE; arg++)
		{
			if (arg->name == NULL)
				continue;
			if (!first)
				appendStringInfoChar(&args, ',');
			first = false;
			appendStringInfoString(&args, "{\"name\":");
			escape_json(&args, arg->name);
			appendStringInfoString(&args, ",\"in\":");
			escape_json(&args, arg_source_name(arg->source));
			appendStringInfoString(&args, ",\"type\":");
			escape_json(&args, arg_type_name(arg->type));
			appendStringInfo(&args, ",\"nullable\":%s",
							 (arg->flags & (ARG_NULLABLE | ARG_NULL_AS_EMPTY)) ? "true" : "false");
			appendStringInfoString(&args, ",\"description\":");
			if (arg->description)
				escape_json(&args, arg->description);
			else
				appendStringInfoString(&args, "null");
			appendStringInfoChar(&args, '}');
		}
		appendStringInfoChar(&args, ']');

		values[0] = CStringGetTextDatum(route->method);
		values[1] = CStringGetTextDatum(openapi_path(route->pattern));
		values[2] = CStringGetTextDatum(route->scope);
		values[3] = CStringGetTextDatum(route->function);
		values[4] = CStringGetTextDatum(route->response == RESPONSE_PAGE ? "page" :
										route->response == RESPONSE_EMPTY ? "empty" : "json");
		values[5] = Int32GetDatum(route->success_status);
		values[6] = CStringGetTextDatum(route->summary);
		values[7] = DirectFunctionCall1(json_in, CStringGetDatum(args.data));
		if (route->result)
			values[8] = CStringGetTextDatum(route->result);
		else
			nulls[8] = true;
		if (route->conflict)
			values[9] = CStringGetTextDatum(route->conflict);
		else
			nulls[9] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
