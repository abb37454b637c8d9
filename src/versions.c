/*-------------------------------------------------------------------------
 *
 * versions.c
 *	  Which schema versions this library serves.
 *
 * The C symbol of a SQL-callable function whose work depends on the schema
 * (the router, the route table, the grouping engine) carries the version of
 * the schema it was built for: the install script of 0.2.0 declares
 * signals_http_handle_0_2_0 (SCHEMA_VERSIONED() in signals.h).  So:
 *
 * - a newer library and an older schema (the package was upgraded and the
 *   server restarted, but not ALTER EXTENSION signals UPDATE): the older
 *   schema's declarations name the older symbols, which this file defines
 *   to refuse with a message naming the fix; functions that do not depend
 *   on the schema (uuid_v7, iso_time, new_token, profile_ttl, wake_worker)
 *   keep their unversioned symbols and go on working, and the workers idle
 *   (worker.c);
 * - an older library and a newer schema (the library loaded before the
 *   package was upgraded, until the server restarts): the older library
 *   lacks the newer symbols, so ALTER EXTENSION signals UPDATE refuses to
 *   run (the upgrade script checks signals_library_version first), and a
 *   backend that kept the old library gets PostgreSQL's "could not find
 *   function" for the changed functions.
 *
 * When a release changes the schema, its version becomes the suffix (the
 * Makefile derives it), its install and upgrade scripts name the new
 * symbols, and the previous release's versioned symbols are added here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "signals.h"

/* The version of the extension installed in this database, or "none". */
static const char *
installed_version(void)
{
	Oid			extension = get_extension_oid("signals", true);
	char	   *version = NULL;

	if (OidIsValid(extension))
	{
		/* Read the catalog directly: no SPI inside every refusal. */
		Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tuple;

		ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(extension));
		scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
		tuple = systable_getnext(scan);
		if (HeapTupleIsValid(tuple))
		{
			bool		isnull;
			Datum		datum = heap_getattr(tuple, Anum_pg_extension_extversion,
											 RelationGetDescr(rel), &isnull);

			if (!isnull)
				version = TextDatumGetCString(datum);
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	return version ? version : "none";
}

/* The message a function of an older schema refuses with. */
static void
refuse_older_schema(const char *function)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s cannot run: the signals extension in this database is version %s, older than its loaded library (version %s)",
					function, installed_version(), SIGNALS_VERSION),
			 errhint("Run ALTER EXTENSION signals UPDATE.")));
}

/* signals.library_version(): the version of the loaded library. */
PG_FUNCTION_INFO_V1(signals_library_version);
Datum
signals_library_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(SIGNALS_VERSION));
}

/*
 * 0.1.0's signals.http_handle: every request answers 503 with the API's
 * error body naming the fix, so that HTTP clients see why.
 */
PG_FUNCTION_INFO_V1(signals_http_handle);
Datum
signals_http_handle(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	StringInfoData body;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	initStringInfo(&body);
	appendStringInfoString(&body, "{\"type\":\"server_error\",\"code\":\"schema_outdated\",\"detail\":");
	json_append_string(&body,
					   psprintf("The signals extension in this database is version %s, older than its loaded library (version %s): run ALTER EXTENSION signals UPDATE.",
								installed_version(), SIGNALS_VERSION));
	appendStringInfoString(&body, ",\"attr\":null}");
	values[0] = Int32GetDatum(503);
	values[1] = CStringGetTextDatum("Content-Type: application/json\n");
	values[2] = CStringGetTextDatum(body.data);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* 0.1.0's signals.routes() */
PG_FUNCTION_INFO_V1(signals_routes_list);
Datum
signals_routes_list(PG_FUNCTION_ARGS)
{
	refuse_older_schema("signals.routes()");
	PG_RETURN_NULL();
}

/* 0.1.0's signals.group_pending() */
PG_FUNCTION_INFO_V1(signals_group_pending);
Datum
signals_group_pending(PG_FUNCTION_ARGS)
{
	refuse_older_schema("signals.group_pending()");
	PG_RETURN_NULL();
}

/* 0.1.0's signals.grouping_rebuild() */
PG_FUNCTION_INFO_V1(signals_grouping_rebuild);
Datum
signals_grouping_rebuild(PG_FUNCTION_ARGS)
{
	refuse_older_schema("signals.grouping_rebuild()");
	PG_RETURN_NULL();
}

/* 0.1.0's signals.grouping_features() */
PG_FUNCTION_INFO_V1(signals_grouping_features);
Datum
signals_grouping_features(PG_FUNCTION_ARGS)
{
	refuse_older_schema("signals.grouping_features()");
	PG_RETURN_NULL();
}

/* 0.1.0's signals.signal_similarity() */
PG_FUNCTION_INFO_V1(signals_signal_similarity);
Datum
signals_signal_similarity(PG_FUNCTION_ARGS)
{
	refuse_older_schema("signals.signal_similarity()");
	PG_RETURN_NULL();
}
