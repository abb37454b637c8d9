/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  What the project profile builder needs from C: the cache's lifetime
 *	  (the signals.profile_ttl setting), the per-team build lock, and the
 *	  call of a provider function with no more than its owner's rights.
 *
 * The profile builder and its cache are SQL (sql/install/70_profile.sql).
 * They read the lifetime through signals.profile_ttl(), which, being a C
 * function of this library, also makes sure the library (and so the
 * setting) is loaded when it is not preloaded.
 *
 * The build lock is an advisory lock in a class of its own: SQL's
 * pg_advisory_lock() functions set locktag_field4 to 1 or 2, so no SQL
 * caller can take (and hold) a team's build lock.
 *
 * A provider is code the extension does not own, and the builder usually
 * runs as the extension owner (inside http_handle).  So a provider is called
 * only by the OID it was registered with, only while its owner is still the
 * role pinned at registration, and as that role, in a restricted security
 * context (no SET ROLE, no temporary objects), with its setting changes
 * undone afterwards.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "signals.h"

/* signals.profile_ttl, in seconds */
static int	profile_ttl_seconds = 3600;

/* Define the project profile's settings; called from _PG_init. */
void
signals_define_profile_gucs(void)
{
	DefineCustomIntVariable("signals.profile_ttl",
							"How long a built project profile stays fresh.",
							"Internal scout tokens rebuild a team's project profile when its "
							"newest row is older than this; other callers read the cache only.",
							&profile_ttl_seconds,
							3600,
							1,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);
}

/* signals.profile_ttl(): the setting as an interval. */
PG_FUNCTION_INFO_V1(signals_profile_ttl);
Datum
signals_profile_ttl(PG_FUNCTION_ARGS)
{
	Interval   *result = palloc0(sizeof(Interval));

	result->time = (int64) profile_ttl_seconds * USECS_PER_SEC;
	PG_RETURN_INTERVAL_P(result);
}

/* The advisory lock class of profile builds (SQL's functions use 1 and 2). */
#define PROFILE_LOCK_CLASS 0x5191

/* signals.profile_build_lock(team_id): wait for the team's build lock, held to the end of the transaction. */
PG_FUNCTION_INFO_V1(signals_profile_build_lock);
Datum
signals_profile_build_lock(PG_FUNCTION_ARGS)
{
	uint64		team = (uint64) PG_GETARG_INT64(0);
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (team >> 32), (uint32) team,
						 PROFILE_LOCK_CLASS);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	PG_RETURN_VOID();
}

/*
 * signals.profile_call_provider(provider, owner, team_id): the provider's
 * result as jsonb, called as the pinned owner.  Raises when the function is
 * gone, has another owner now, or no longer has a provider's signature.
 */
PG_FUNCTION_INFO_V1(signals_profile_call_provider);
Datum
signals_profile_call_provider(PG_FUNCTION_ARGS)
{
	Oid			provider = PG_GETARG_OID(0);
	Oid			owner = PG_GETARG_OID(1);
	Datum		team = PG_GETARG_DATUM(2);
	HeapTuple	tuple;
	Form_pg_proc proc;
	Oid			result_type;
	FmgrInfo	flinfo;
	LOCAL_FCINFO(call, 1);
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	Datum		result;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(provider));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("provider function %u does not exist", provider)));
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (proc->proowner != owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("provider function %u is not owned by the role it was registered with", provider)));
	if (proc->prokind != PROKIND_FUNCTION || proc->proretset || proc->pronargs != 1 ||
		proc->proargtypes.values[0] != INT8OID ||
		(proc->prorettype != JSONOID && proc->prorettype != JSONBOID))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("provider function %u must take (team_id bigint) and return json or jsonb", provider)));
	result_type = proc->prorettype;
	ReleaseSysCache(tuple);
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the owner of provider function %u does not exist", provider)));

	fmgr_info(provider, &flinfo);
	InitFunctionCallInfoData(*call, &flinfo, 1, InvalidOid, NULL, NULL);
	call->args[0].value = team;
	call->args[0].isnull = false;

	/*
	 * As index expressions and VACUUM do: the owner's rights, a restricted
	 * security context, and every setting change rolled back.  An error is
	 * cleaned up by the caller's (sub)transaction abort.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	result = FunctionCallInvoke(call);
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	if (call->isnull)
		PG_RETURN_NULL();
	if (result_type == JSONOID)
		result = DirectFunctionCall1(jsonb_in, CStringGetDatum(TextDatumGetCString(result)));
	PG_RETURN_DATUM(result);
}
