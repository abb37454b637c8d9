/*-------------------------------------------------------------------------
 *
 * grouping_sql.c
 *	  SQL-visible helpers that explain grouping: the features of a text and
 *	  the similarity score of two texts, weighed as in a given team.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "grouping.h"
#include "signals.h"

/* The team's sketch (empty when team is NULL or has none). */
static DfSketch *
team_sketch(FunctionCallInfo fcinfo, int team_arg)
{
	DfSketch   *sk = df_sketch_create(0);
	MemoryContext caller = CurrentMemoryContext;
	const char *nsp;
	char	   *sql;
	Datum		values[1];
	Oid			types[1] = {INT8OID};

	if (PG_ARGISNULL(team_arg))
		return sk;
	values[0] = PG_GETARG_DATUM(team_arg);
	nsp = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	sql = psprintf("SELECT g.n_docs, g.width FROM %s.grouping_state g "
				   " WHERE g.team_id OPERATOR(pg_catalog.=) $1", nsp);
	if (SPI_execute_with_args(sql, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the grouping state");
	if (SPI_processed == 1)
	{
		bool		isnull;
		int32		n_docs = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 1, &isnull));

		MemoryContext old = MemoryContextSwitchTo(caller);

		sk = df_sketch_create(DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 2, &isnull)));
		MemoryContextSwitchTo(old);
		sk->n_docs = n_docs;
	}
	sql = psprintf("SELECT d.page, d.counts FROM %s.grouping_df d "
				   " WHERE d.team_id OPERATOR(pg_catalog.=) $1", nsp);
	if (SPI_execute_with_args(sql, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the grouping sketch");
	df_sketch_load_spi_rows(sk);
	SPI_finish();
	return sk;
}

static void
features_of(text *t, const DfSketch *sk, GFeatureSet *fs)
{
	memset(fs, 0, sizeof(*fs));
	grouping_extract_features(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), fs);
	grouping_weigh_features(sk, fs);
}

/* The features grouping extracts from a text, weighed as in the team. */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_grouping_features));
Datum
SCHEMA_VERSIONED(signals_grouping_features)(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DfSketch   *sk;
	GFeatureSet fs;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	sk = team_sketch(fcinfo, 1);
	features_of(PG_GETARG_TEXT_PP(0), sk, &fs);
	for (int i = 0; i < fs.n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(fs.f[i].text);
		values[1] = CStringGetTextDatum(grouping_kind_name(fs.f[i].kind));
		values[2] = Int32GetDatum((int32) fs.f[i].df);
		values[3] = Float4GetDatum(fs.f[i].weight);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* The score of text b against an earlier signal with text a. */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_signal_similarity));
Datum
SCHEMA_VERSIONED(signals_signal_similarity)(PG_FUNCTION_ARGS)
{
	DfSketch   *sk;
	GFeatureSet a,
				b;
	MemberFeatures m;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	sk = team_sketch(fcinfo, 2);
	features_of(PG_GETARG_TEXT_PP(0), sk, &a);
	features_of(PG_GETARG_TEXT_PP(1), sk, &b);
	member_features_from_set(&m, &a);
	PG_RETURN_FLOAT4(member_score(sk, &m, &b, NULL));
}
