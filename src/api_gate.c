/*-------------------------------------------------------------------------
 *
 * api_gate.c
 *	  The SQL API for database roles: every function of schema signals_api
 *	  is this one C function, which checks the caller like the router checks
 *	  an API key and then calls the domain function of the same name.
 *
 * A role granted a team (signals.grant_team) may read that team's rows
 * (row-level security) but writes nothing directly: table privileges beyond
 * SELECT would let it lock shared tables and stop every other team.  It
 * writes through signals_api.<function>(team_id, ...), which
 *	 - finds its domain function: signals.<function> with the same argument
 *	   types, a member of the extension (resolved once per call site and
 *	   pinned by OID, never by search_path);
 *	 - checks that the team named by its team_id argument is granted to the
 *	   calling role (current_user) or a role it inherits from (superusers
 *	   reach every team), else insufficient_privilege;
 *	 - calls the domain function as the extension's owner, as http_handle
 *	   does for an API key, and returns its result.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* A wrapper's domain function, resolved at its first call. */
typedef struct ApiTarget
{
	FmgrInfo	flinfo;			/* the domain function */
	Oid			owner;			/* its owner, the extension's owner */
	int			team_arg;		/* index of the team_id argument */
	char	   *name;			/* for messages */
} ApiTarget;

/* The index of the input argument called team_id, or -1. */
static int
team_argument(HeapTuple proc_tuple)
{
	Datum		names;
	Datum		modes;
	bool		isnull;
	char	  **arg_names;
	int			n;

	names = SysCacheGetAttr(PROCOID, proc_tuple, Anum_pg_proc_proargnames, &isnull);
	if (isnull)
		return -1;
	modes = SysCacheGetAttr(PROCOID, proc_tuple, Anum_pg_proc_proargmodes, &isnull);
	n = get_func_input_arg_names(names, isnull ? PointerGetDatum(NULL) : modes, &arg_names);
	for (int i = 0; i < n; i++)
		if (arg_names[i] != NULL && strcmp(arg_names[i], "team_id") == 0)
			return i;
	return -1;
}

/* Resolve the wrapper being called to its domain function. */
static ApiTarget *
resolve_target(FunctionCallInfo fcinfo)
{
	Oid			wrapper = fcinfo->flinfo->fn_oid;
	Oid			extension = get_extension_oid("signals", false);
	HeapTuple	tuple;
	HeapTuple	wrapper_tuple;
	Form_pg_proc proc;
	Oid			target;
	Oid			rettype;
	ApiTarget  *t;
	MemoryContext old;

	wrapper_tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(wrapper));
	if (!HeapTupleIsValid(wrapper_tuple))
		elog(ERROR, "cache lookup failed for function %u", wrapper);
	proc = (Form_pg_proc) GETSTRUCT(wrapper_tuple);
	/*
	 * signals.control fixes the schema: signals.  Looked up without the
	 * caller's USAGE on it (the caller needs none: the function runs as the
	 * extension owner).
	 */
	tuple = SearchSysCache3(PROCNAMEARGSNSP, PointerGetDatum(&proc->proname),
							PointerGetDatum(&proc->proargtypes),
							ObjectIdGetDatum(get_namespace_oid("signals", false)));
	target = HeapTupleIsValid(tuple) ? ((Form_pg_proc) GETSTRUCT(tuple))->oid : InvalidOid;
	if (HeapTupleIsValid(tuple))
		ReleaseSysCache(tuple);
	if (!OidIsValid(target) || getExtensionOfObject(ProcedureRelationId, target) != extension)
		elog(ERROR, "signals_api.%s has no domain function in the signals extension",
			 NameStr(proc->proname));
	rettype = proc->prorettype;

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	t = palloc0(sizeof(ApiTarget));
	t->name = pstrdup(NameStr(proc->proname));
	t->team_arg = team_argument(wrapper_tuple);
	ReleaseSysCache(wrapper_tuple);
	if (t->team_arg < 0)
		elog(ERROR, "signals_api.%s has no team_id argument", t->name);

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(target));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", target);
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (proc->prorettype != rettype || proc->proretset)
		elog(ERROR, "signals_api.%s does not return what its domain function returns", t->name);
	t->owner = proc->proowner;
	ReleaseSysCache(tuple);

	fmgr_info_cxt(target, &t->flinfo, fcinfo->flinfo->fn_mcxt);
	t->flinfo.fn_expr = fcinfo->flinfo->fn_expr;
	MemoryContextSwitchTo(old);
	return t;
}

/* Whether role may use team through the SQL API; run as the extension owner. */
static bool
role_has_team(Oid role, int64 team)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {OIDOID, INT8OID};
	Datum		args[2];
	bool		isnull;
	bool		result;

	if (superuser_arg(role))
		return true;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
	{
		plan = SPI_prepare("SELECT $2 OPERATOR(pg_catalog.=) ANY (signals.team_ids_of_role($1))",
						   2, argtypes);
		if (plan == NULL)
			elog(ERROR, "could not prepare the team check: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	args[0] = ObjectIdGetDatum(role);
	args[1] = Int64GetDatum(team);
	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "team check failed");
	result = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return !isnull && result;
}

/* Every function of schema signals_api: check the caller, call the domain function. */
PG_FUNCTION_INFO_V1(signals_api_call);
Datum
signals_api_call(PG_FUNCTION_ARGS)
{
	ApiTarget  *t = (ApiTarget *) fcinfo->flinfo->fn_extra;
	Oid			caller = GetUserId();
	Oid			save_userid;
	int			save_sec_context;
	FunctionCallInfo call;
	Datum		result;
	int64		team;

	if (t == NULL)
	{
		t = resolve_target(fcinfo);
		fcinfo->flinfo->fn_extra = t;
	}
	if (PG_ARGISNULL(t->team_arg))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("team_id is required"),
				 err_generic_string(PG_DIAG_COLUMN_NAME, "team_id")));
	team = PG_GETARG_INT64(t->team_arg);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(t->owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	if (!role_has_team(caller, team))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for team " INT64_FORMAT, team),
				 errdetail("Team " INT64_FORMAT " is not granted to role \"%s\" or to a role it inherits from.",
						   team, GetUserNameFromId(caller, false)),
				 errhint("A superuser grants a team with signals.grant_team(team_id, role).")));

	call = palloc(SizeForFunctionCallInfo(fcinfo->nargs));
	InitFunctionCallInfoData(*call, &t->flinfo, fcinfo->nargs, fcinfo->fncollation,
							 NULL, fcinfo->resultinfo);
	memcpy(call->args, fcinfo->args, fcinfo->nargs * sizeof(NullableDatum));
	result = FunctionCallInvoke(call);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	fcinfo->isnull = call->isnull;
	return result;
}
