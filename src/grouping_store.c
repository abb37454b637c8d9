/*-------------------------------------------------------------------------
 *
 * grouping_store.c
 *	  Reading and writing the grouping tables for grouping.c.
 *
 * Every query is a saved plan naming the extension's schema, with every
 * operator qualified; reads are batched per chunk (one query for all the
 * candidate-index rows, earlier signals or dedupe keys it needs) and writes
 * go out at the end of a chunk, one statement per table.
 *
 * A grouped signal's report is never stored in the grouping tables: index
 * rows and features name the signal, and its report is read through
 * signals.report_id.  Moving signals between reports (merge, split) is
 * therefore all it takes for the engine to follow.
 *
 * The team's grouping lock is its grouping_state row (FOR UPDATE): only the
 * extension's functions can take it, unlike an advisory lock, whose keys
 * any role may hold.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "grouping_call.h"

typedef enum PlanId
{
	P_ENSURE_STATE,
	P_LOCK_TEAM,
	P_TEAM_STATE_EXISTS,
	P_LOCK_TEAM_WAIT,
	P_FETCH_SIGNALS,
	P_LOCK_JUDGMENTS,
	P_WRITE_JUDGMENTS,
	P_APPLY_JUDGMENTS,
	P_REBUILD_SIGNALS,
	P_SKETCH_PAGES,
	P_POSTINGS,
	P_MEMBERS,
	P_KEYS,
	P_LOCK_REPORT,
	P_INSERT_REPORTS,
	P_UPDATE_REPORTS,
	P_PROMOTE_REPORTS,
	P_UPDATE_SIGNALS,
	P_WRITE_MEMBERS,
	P_WRITE_POSTINGS,
	P_WRITE_KEYS,
	P_WRITE_PAGES,
	P_WRITE_STATE,
	P_CLEAR_TEAM,
	P_NPLANS
} PlanId;

static SPIPlanPtr plans[P_NPLANS];
static Oid	plans_namespace = InvalidOid;

#define U(n, type) "pg_catalog.unnest($" #n "::pg_catalog." type "[])"

/* %1$s is the quoted extension schema. */
static const struct
{
	const char *sql;
	int			nargs;
	Oid			types[7];
}			plan_defs[P_NPLANS] = {
	[P_ENSURE_STATE] = {
		"INSERT INTO %1$s.grouping_state (team_id) "
		"SELECT t.team_id FROM %1$s.teams t WHERE t.team_id OPERATOR(pg_catalog.=) $1 "
		"    ON CONFLICT (team_id) DO NOTHING",
		1, {INT8OID}
	},
	[P_LOCK_TEAM] = {
		"SELECT g.n_docs, g.total_docs, g.width, "
		"       EXISTS (SELECT FROM %1$s.team_settings t WHERE t.team_id OPERATOR(pg_catalog.=) g.team_id "
		"                  AND t.matching_mode OPERATOR(pg_catalog.=) 'external') "
		"  FROM %1$s.grouping_state g "
		" WHERE g.team_id OPERATOR(pg_catalog.=) $1 FOR UPDATE OF g SKIP LOCKED",
		1, {INT8OID}
	},
	[P_TEAM_STATE_EXISTS] = {
		"SELECT FROM %1$s.grouping_state g WHERE g.team_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	},
	[P_LOCK_TEAM_WAIT] = {
		"SELECT g.n_docs, g.total_docs, g.width, false FROM %1$s.grouping_state g "
		" WHERE g.team_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
		1, {INT8OID}
	},
	/* queued signals, but not those waiting for a judge */
	[P_FETCH_SIGNALS] = {
		"SELECT s.id, s.created_at, s.source_product, pg_catalog.left(s.description, 4096), "
		"       s.weight, s.dedupe_keys, s.source_type, NULL::pg_catalog.uuid, "
		"       j.signal_id IS NOT NULL "
		"  FROM %1$s.signals s "
		"  LEFT JOIN %1$s.grouping_judgments j ON j.team_id OPERATOR(pg_catalog.=) s.team_id "
		"                                    AND j.signal_id OPERATOR(pg_catalog.=) s.id "
		" WHERE s.team_id OPERATOR(pg_catalog.=) $1 AND s.grouped_at IS NULL "
		"   AND (j.signal_id IS NULL OR j.decided_at IS NOT NULL "
		"        OR j.deadline OPERATOR(pg_catalog.<=) pg_catalog.now()) "
		" ORDER BY s.id LIMIT $2 "
		"   FOR UPDATE OF s SKIP LOCKED",
		2, {INT8OID, INT4OID}
	},
	/* the judgments of the chunk's signals, as decided now (a judge may be at it) */
	[P_LOCK_JUDGMENTS] = {
		"SELECT j.signal_id, j.decided_at IS NOT NULL, j.decision, j.decided_by "
		"  FROM %1$s.grouping_judgments j "
		" WHERE j.team_id OPERATOR(pg_catalog.=) $1 AND j.signal_id OPERATOR(pg_catalog.=) ANY ($2) "
		"   FOR UPDATE SKIP LOCKED",
		2, {INT8OID, UUIDARRAYOID}
	},
	[P_WRITE_JUDGMENTS] = {
		"INSERT INTO %1$s.grouping_judgments (team_id, signal_id, deadline, candidates) "
		"SELECT $1, u.id, pg_catalog.now() OPERATOR(pg_catalog.+) t.judge_deadline, u.c::pg_catalog.jsonb "
		"  FROM ROWS FROM (" U(2, "uuid") ", " U(3, "text") ") AS u(id, c) "
		"  JOIN %1$s.team_settings t ON t.team_id OPERATOR(pg_catalog.=) $1",
		3, {INT8OID, UUIDARRAYOID, TEXTARRAYOID}
	},
	[P_APPLY_JUDGMENTS] = {
		"UPDATE %1$s.grouping_judgments j "
		"   SET applied_at = pg_catalog.now(), "
		"       decided_at = COALESCE(j.decided_at, pg_catalog.now()), "
		"       decided_by = COALESCE(j.decided_by, 'engine (deadline passed)') "
		" WHERE j.team_id OPERATOR(pg_catalog.=) $1 AND j.signal_id OPERATOR(pg_catalog.=) ANY ($2)",
		2, {INT8OID, UUIDARRAYOID}
	},
	[P_REBUILD_SIGNALS] = {
		"SELECT s.id, s.created_at, s.source_product, pg_catalog.left(s.description, 4096), "
		"       s.weight, s.dedupe_keys, s.source_type, s.report_id "
		"  FROM %1$s.signals s "
		"  JOIN %1$s.reports r ON r.team_id OPERATOR(pg_catalog.=) s.team_id "
		"                     AND r.id OPERATOR(pg_catalog.=) s.report_id "
		" WHERE s.team_id OPERATOR(pg_catalog.=) $1 AND s.grouped_at IS NOT NULL "
		"   AND s.id OPERATOR(pg_catalog.>) $3 AND r.status OPERATOR(pg_catalog.<>) 'deleted' "
		" ORDER BY s.id LIMIT $2",
		3, {INT8OID, INT4OID, UUIDOID}
	},
	[P_SKETCH_PAGES] = {
		"SELECT d.page, d.counts FROM %1$s.grouping_df d "
		" WHERE d.team_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	},
	[P_POSTINGS] = {
		"SELECT u.f, p.signal_id "
		"  FROM " U(2, "int8") " u(f) "
		" CROSS JOIN LATERAL "
		"       (SELECT p.signal_id FROM %1$s.grouping_postings p "
		"         WHERE p.team_id OPERATOR(pg_catalog.=) $1 "
		"           AND p.feature OPERATOR(pg_catalog.=) u.f "
		"         ORDER BY p.signal_id DESC LIMIT $3) p",
		3, {INT8OID, INT8ARRAYOID, INT4OID}
	},
	[P_MEMBERS] = {
		"SELECT m.signal_id, m.created_at, m.features, s.report_id, r.status "
		"  FROM %1$s.grouping_members m "
		"  JOIN %1$s.signals s ON s.team_id OPERATOR(pg_catalog.=) m.team_id "
		"                     AND s.id OPERATOR(pg_catalog.=) m.signal_id "
		"  JOIN %1$s.reports r ON r.team_id OPERATOR(pg_catalog.=) s.team_id "
		"                     AND r.id OPERATOR(pg_catalog.=) s.report_id "
		" WHERE m.team_id OPERATOR(pg_catalog.=) $1 "
		"   AND m.signal_id OPERATOR(pg_catalog.=) ANY ($2)",
		2, {INT8OID, UUIDARRAYOID}
	},
	[P_KEYS] = {
		"SELECT k.key_hash, s.report_id, pg_catalog.max(k.seen_at) "
		"  FROM %1$s.grouping_dedupe k "
		"  JOIN %1$s.signals s ON s.team_id OPERATOR(pg_catalog.=) k.team_id "
		"                     AND s.id OPERATOR(pg_catalog.=) k.signal_id "
		" WHERE k.team_id OPERATOR(pg_catalog.=) $1 "
		"   AND k.key_hash OPERATOR(pg_catalog.=) ANY ($2) "
		" GROUP BY 1, 2",
		2, {INT8OID, INT8ARRAYOID}
	},
	[P_LOCK_REPORT] = {
		"SELECT r.status FROM %1$s.reports r "
		" WHERE r.team_id OPERATOR(pg_catalog.=) $1 AND r.id OPERATOR(pg_catalog.=) $2 "
		"   FOR NO KEY UPDATE",
		2, {INT8OID, UUIDOID}
	},
	[P_INSERT_REPORTS] = {
		"INSERT INTO %1$s.reports (team_id, id, title, summary, status, total_weight, "
		"                          signal_count, promoted_at, source_products) "
		"SELECT $1, u.id, u.title, '', 'potential', u.w, u.n, NULL, "
		"       pg_catalog.string_to_array(u.products, E'\\x1f') "
		"  FROM ROWS FROM (" U(2, "uuid") ", " U(3, "text") ", " U(4, "float8") ", "
		U(5, "int4") ", " U(6, "text") ") AS u(id, title, w, n, products)",
		6, {INT8OID, UUIDARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID}
	},
	[P_UPDATE_REPORTS] = {
		"UPDATE %1$s.reports r "
		"   SET total_weight = r.total_weight OPERATOR(pg_catalog.+) u.w, "
		"       signal_count = r.signal_count OPERATOR(pg_catalog.+) u.n, "
		"       updated_at = pg_catalog.now(), "
		"       source_products = ARRAY( "
		"           SELECT DISTINCT p COLLATE \"C\" FROM pg_catalog.unnest(r.source_products "
		"                  OPERATOR(pg_catalog.||) pg_catalog.string_to_array(u.products, E'\\x1f')) p "
		"            ORDER BY 1) "
		"  FROM ROWS FROM (" U(2, "uuid") ", " U(3, "float8") ", " U(4, "int4") ", "
		U(5, "text") ") AS u(id, w, n, products) "
		" WHERE r.team_id OPERATOR(pg_catalog.=) $1 AND r.id OPERATOR(pg_catalog.=) u.id",
		5, {INT8OID, UUIDARRAYOID, FLOAT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID}
	},
	/* the state machine's owner promotes those that are due (55_reports.sql) */
	[P_PROMOTE_REPORTS] = {
		"SELECT %1$s.promote_reports($1, $2)",
		2, {INT8OID, UUIDARRAYOID}
	},
	[P_UPDATE_SIGNALS] = {
		"UPDATE %1$s.signals s "
		"   SET report_id = u.report_id, grouped_at = pg_catalog.now(), "
		"       match_method = u.method, match_score = u.score, match_detail = u.detail::pg_catalog.jsonb "
		"  FROM ROWS FROM (" U(2, "uuid") ", " U(3, "uuid") ", " U(4, "text") ", "
		U(5, "float4") ", " U(6, "text") ") AS u(id, report_id, method, score, detail) "
		" WHERE s.team_id OPERATOR(pg_catalog.=) $1 AND s.id OPERATOR(pg_catalog.=) u.id",
		6, {INT8OID, UUIDARRAYOID, UUIDARRAYOID, TEXTARRAYOID, FLOAT4ARRAYOID, TEXTARRAYOID}
	},
	[P_WRITE_MEMBERS] = {
		"INSERT INTO %1$s.grouping_members (team_id, signal_id, created_at, features) "
		"SELECT $1, u.id, u.at, u.features "
		"  FROM ROWS FROM (" U(2, "uuid") ", " U(3, "timestamptz") ", " U(4, "bytea") ") "
		"       AS u(id, at, features) "
		"    ON CONFLICT (team_id, signal_id) DO UPDATE SET features = excluded.features",
		4, {INT8OID, UUIDARRAYOID, TIMESTAMPTZARRAYOID, BYTEAARRAYOID}
	},
	[P_WRITE_POSTINGS] = {
		"INSERT INTO %1$s.grouping_postings (team_id, feature, signal_id) "
		"SELECT $1, u.f, u.s FROM ROWS FROM (" U(2, "int8") ", " U(3, "uuid") ") AS u(f, s) "
		"    ON CONFLICT DO NOTHING",
		3, {INT8OID, INT8ARRAYOID, UUIDARRAYOID}
	},
	[P_WRITE_KEYS] = {
		"INSERT INTO %1$s.grouping_dedupe (team_id, key_hash, signal_id, seen_at) "
		"SELECT $1, u.h, u.s, u.at "
		"  FROM ROWS FROM (" U(2, "int8") ", " U(3, "uuid") ", " U(4, "timestamptz") ") AS u(h, s, at) "
		"    ON CONFLICT DO NOTHING",
		4, {INT8OID, INT8ARRAYOID, UUIDARRAYOID, TIMESTAMPTZARRAYOID}
	},
	[P_WRITE_PAGES] = {
		"INSERT INTO %1$s.grouping_df AS d (team_id, page, counts) "
		"SELECT $1, u.p, u.c FROM ROWS FROM (" U(2, "int4") ", " U(3, "bytea") ") AS u(p, c) "
		"    ON CONFLICT (team_id, page) DO UPDATE SET counts = excluded.counts",
		3, {INT8OID, INT4ARRAYOID, BYTEAARRAYOID}
	},
	[P_WRITE_STATE] = {
		"UPDATE %1$s.grouping_state "
		"   SET n_docs = $2, total_docs = $3, width = $4, updated_at = pg_catalog.now() "
		" WHERE team_id OPERATOR(pg_catalog.=) $1",
		4, {INT8OID, INT4OID, INT8OID, INT4OID}
	},
	[P_CLEAR_TEAM] = {
		"WITH a AS (DELETE FROM %1$s.grouping_postings WHERE team_id OPERATOR(pg_catalog.=) $1), "
		"     b AS (DELETE FROM %1$s.grouping_members WHERE team_id OPERATOR(pg_catalog.=) $1), "
		"     c AS (DELETE FROM %1$s.grouping_dedupe WHERE team_id OPERATOR(pg_catalog.=) $1) "
		"DELETE FROM %1$s.grouping_df WHERE team_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	},
};

static SPIPlanPtr
get_plan(PlanId id, Oid nsp)
{
	if (plans_namespace != nsp)
	{
		for (int i = 0; i < P_NPLANS; i++)
			if (plans[i])
			{
				SPI_freeplan(plans[i]);
				plans[i] = NULL;
			}
		plans_namespace = nsp;
	}
	if (plans[id] == NULL)
	{
		char	   *sql = psprintf(plan_defs[id].sql, quote_identifier(get_namespace_name(nsp)));
		SPIPlanPtr	plan = SPI_prepare(sql, plan_defs[id].nargs,
									   (Oid *) plan_defs[id].types);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for grouping query %d: %s",
				 (int) id, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		plans[id] = plan;
	}
	return plans[id];
}

static void
run(GroupingCall *gc, PlanId id, Datum *values, int expected)
{
	int			rc = SPI_execute_plan(get_plan(id, gc->nsp), values, NULL, false, 0);

	if (rc != expected)
		elog(ERROR, "grouping query %d failed: %s", (int) id, SPI_result_code_string(rc));
}

/* An array parameter of n elements. */
static Datum
array_of(Datum *elems, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, n, type, typlen, typbyval, typalign));
}

static Datum
uuid_datum(const pg_uuid_t *u)
{
	pg_uuid_t  *copy = palloc(sizeof(pg_uuid_t));

	memcpy(copy, u, sizeof(pg_uuid_t));
	return UUIDPGetDatum(copy);
}

static int
cmp_uuid_desc(const void *a, const void *b)
{
	return -memcmp(a, b, UUID_LEN);
}

/* ---------------------------------------------------------------------- */
/* The team's lock and sketch */

/* Lock the team's grouping_state row; false when it is missing or (!wait) held. */
static bool
lock_state_row(GroupingCall *gc, bool wait)
{
	Datum		values[1] = {gc->team_datum};

	run(gc, wait ? P_LOCK_TEAM_WAIT : P_LOCK_TEAM, values, SPI_OK_SELECT);
	if (SPI_processed == 1)
		return true;
	SPI_freetuptable(SPI_tuptable);
	return false;
}

/*
 * Lock the team's grouping (its grouping_state row, made on first use);
 * without wait, false at once when another session holds it.  The sketch's
 * size and counts come with the row.  The row is made only when missing:
 * an INSERT ... ON CONFLICT would wait for a session that holds it.
 */
bool
grouping_lock_team(GroupingCall *gc, bool wait)
{
	Datum		values[1] = {gc->team_datum};
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	desc;
	MemoryContext old;

	if (!lock_state_row(gc, wait))
	{
		run(gc, P_TEAM_STATE_EXISTS, values, SPI_OK_SELECT);
		if (SPI_processed == 1)
			return false;		/* held by another session */
		run(gc, P_ENSURE_STATE, values, SPI_OK_INSERT);
		if (!lock_state_row(gc, wait))
			return false;		/* no such team, or just taken */
	}
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	old = MemoryContextSwitchTo(gc->cxt);
	gc->sketch = df_sketch_create(DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull)));
	MemoryContextSwitchTo(old);
	gc->sketch->n_docs = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	gc->sketch->total_docs = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
	gc->external_judge = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return true;
}

/* Load the team's document-frequency sketch (its size known from the lock). */
void
grouping_load_sketch(GroupingCall *gc)
{
	Datum		values[1] = {gc->team_datum};

	run(gc, P_SKETCH_PAGES, values, SPI_OK_SELECT);
	df_sketch_load_spi_rows(gc->sketch);
	SPI_freetuptable(SPI_tuptable);
}

/* Forget the team's grouping tables (grouping_replay() starts from nothing). */
void
grouping_clear_team(GroupingCall *gc)
{
	Datum		values[1] = {gc->team_datum};
	MemoryContext old = MemoryContextSwitchTo(gc->cxt);

	run(gc, P_CLEAR_TEAM, values, SPI_OK_DELETE);
	gc->sketch = df_sketch_create(0);
	gc->sketch->state_dirty = true;
	MemoryContextSwitchTo(old);
}

/* ---------------------------------------------------------------------- */
/* Reading */

/* A signal's dedupe keys, distinct and not empty, with their hashes. */
static void
read_keys(BSignal *s, Datum keys)
{
	ArrayType  *arr = DatumGetArrayTypeP(keys);
	Datum	   *elems;
	bool	   *nulls;
	int			ne;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &ne);
	s->keys = palloc(sizeof(char *) * Max(ne, 1));
	s->key_hashes = palloc(sizeof(uint64) * Max(ne, 1));
	for (int j = 0; j < ne; j++)
	{
		char	   *key;
		bool		dup = false;

		if (nulls[j])
			continue;
		key = TextDatumGetCString(elems[j]);
		if (key[0] == '\0')
			continue;
		for (int m = 0; m < s->n_keys; m++)
			if (strcmp(s->keys[m], key) == 0)
				dup = true;
		if (dup)
			continue;
		s->keys[s->n_keys] = key;
		s->key_hashes[s->n_keys] = hash_bytes_extended((unsigned char *) key, strlen(key),
													   UINT64CONST(0x5167D0000000));
		s->n_keys++;
	}
}

/*
 * Lock the judgments of the chunk's signals that have one and read them as
 * decided now; a signal whose judgment a judge is deciding this instant is
 * skipped this time.
 */
static void
lock_judgments(GroupingCall *gc, BSignal *sigs, int n)
{
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	Datum		values[2];
	int			k = 0;

	for (int i = 0; i < n; i++)
		if (sigs[i].has_judgment)
		{
			ids[k++] = uuid_datum(&sigs[i].id);
			sigs[i].skip = true;	/* until found locked below */
		}
	if (k == 0)
		return;
	values[0] = gc->team_datum;
	values[1] = array_of(ids, k, UUIDOID);
	run(gc, P_LOCK_JUDGMENTS, values, SPI_OK_SELECT);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));

		for (int i = 0; i < n; i++)
		{
			BSignal    *s = &sigs[i];
			Datum		decision;

			if (!s->has_judgment || memcmp(&s->id, id, UUID_LEN) != 0)
				continue;
			s->skip = false;
			s->judgment_decided = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
			decision = SPI_getbinval(tup, desc, 3, &isnull);
			s->judged_new_report = isnull;
			if (!isnull)
				memcpy(&s->judged_report, DatumGetUUIDP(decision), UUID_LEN);
			s->judged_by = MemoryContextStrdup(gc->chunk_cxt,
											   s->judgment_decided ? SPI_getvalue(tup, desc, 4)
											   : "engine (deadline passed)");
		}
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Take the next chunk of signals, their features extracted: queued ones,
 * or (after, for grouping_replay()) grouped ones with their report.
 */
int
grouping_fetch_signals(GroupingCall *gc, int limit, const pg_uuid_t *after, BSignal **out)
{
	Datum		values[3] = {gc->team_datum, Int32GetDatum(limit), 0};
	BSignal    *sigs;
	int			n;

	if (after)
	{
		values[2] = uuid_datum(after);
		run(gc, P_REBUILD_SIGNALS, values, SPI_OK_SELECT);
	}
	else
		run(gc, P_FETCH_SIGNALS, values, SPI_OK_SELECT);
	n = (int) SPI_processed;
	sigs = MemoryContextAllocZero(gc->chunk_cxt, sizeof(BSignal) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		BSignal    *s = &sigs[i];
		MemoryContext old = MemoryContextSwitchTo(gc->chunk_cxt);
		Datum		keys;

		memcpy(&s->id, DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull)), UUID_LEN);
		s->created_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		s->product = SPI_getvalue(tup, desc, 3);
		s->description = SPI_getvalue(tup, desc, 4);
		s->weight = DatumGetFloat8(SPI_getbinval(tup, desc, 5, &isnull));
		s->source = df_sketch_source(s->product, SPI_getvalue(tup, desc, 7));
		if (after)
			memcpy(&s->stored_report, DatumGetUUIDP(SPI_getbinval(tup, desc, 8, &isnull)), UUID_LEN);
		else
			s->has_judgment = DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull));
		keys = SPI_getbinval(tup, desc, 6, &isnull);
		if (!isnull)
			read_keys(s, keys);
		grouping_extract_features(s->description, strlen(s->description), &s->fs);
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
	lock_judgments(gc, sigs, n);
	*out = sigs;
	return n;
}

/* Read the candidate-index rows of the given features not yet read. */
void
grouping_fetch_postings(GroupingCall *gc, uint64 *features, int n)
{
	Datum	   *fs = palloc(sizeof(Datum) * Max(n, 1));
	BPostings **got = palloc(sizeof(BPostings *) * Max(n, 1));
	int			k = 0;
	Datum		values[3];

	for (int i = 0; i < n; i++)
	{
		BPostings  *p = grouping_postings_entry(gc, features[i]);

		if (!p->fetched)
		{
			p->fetched = true;
			got[k] = p;
			fs[k++] = Int64GetDatum((int64) features[i]);
		}
	}
	if (k == 0)
		return;
	values[0] = gc->team_datum;
	values[1] = array_of(fs, k, INT8OID);
	values[2] = Int32GetDatum(POSTINGS_PER_FEATURE);
	run(gc, P_POSTINGS, values, SPI_OK_SELECT);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		bool		isnull;
		uint64		f = (uint64) DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
		BPostings  *p = hash_search(gc->postings_by_feature, &f, HASH_FIND, NULL);

		if (p == NULL)
			continue;
		if (p->db == NULL)
			p->db = MemoryContextAlloc(gc->chunk_cxt, sizeof(pg_uuid_t) * POSTINGS_PER_FEATURE);
		if (p->n_db < POSTINGS_PER_FEATURE)
			memcpy(&p->db[p->n_db++], id, sizeof(pg_uuid_t));
	}
	SPI_freetuptable(SPI_tuptable);
	/* rows come newest first per feature, but do not rely on it */
	for (int i = 0; i < k; i++)
		if (got[i]->n_db > 1)
			qsort(got[i]->db, got[i]->n_db, sizeof(pg_uuid_t), cmp_uuid_desc);
}

/* Read the dedupe index rows of every key of the chunk's signals. */
void
grouping_fetch_keys(GroupingCall *gc, BSignal *sigs, int nsigs)
{
	List	   *want = NIL;
	Datum	   *hs;
	Datum		values[2];
	int			k = 0;
	ListCell   *lc;

	for (int i = 0; i < nsigs; i++)
		for (int j = 0; j < sigs[i].n_keys; j++)
		{
			BKey	   *key = grouping_key_entry(gc, sigs[i].key_hashes[j]);

			if (!key->fetched)
			{
				key->fetched = true;
				want = lappend(want, key);
			}
		}
	if (want == NIL)
		return;
	hs = palloc(sizeof(Datum) * list_length(want));
	foreach(lc, want)
		hs[k++] = Int64GetDatum((int64) ((BKey *) lfirst(lc))->key_hash);
	values[0] = gc->team_datum;
	values[1] = array_of(hs, k, INT8OID);
	run(gc, P_KEYS, values, SPI_OK_SELECT);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		uint64		h = (uint64) DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		BKey	   *key = hash_search(gc->keys_by_hash, &h, HASH_FIND, NULL);
		BKeyReport *kr;

		if (key == NULL)
			continue;
		kr = MemoryContextAlloc(gc->chunk_cxt, sizeof(BKeyReport));
		memcpy(&kr->report_id, DatumGetUUIDP(SPI_getbinval(tup, desc, 2, &isnull)), UUID_LEN);
		kr->last_seen_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 3, &isnull));
		key->reports = lappend(key->reports, kr);
	}
	SPI_freetuptable(SPI_tuptable);
}

static bool
status_is_live(const char *status)
{
	return strcmp(status, "deleted") != 0 && strcmp(status, "suppressed") != 0;
}

/*
 * Read the features, arrival time and report (with its status) of the
 * given earlier signals not yet loaded; those not found (their report was
 * deleted and pruned) get no report.
 */
void
grouping_load_members(GroupingCall *gc, BMember **want, int n)
{
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	int			k = 0;
	Datum		values[2];

	for (int i = 0; i < n; i++)
		if (!want[i]->loaded)
			ids[k++] = uuid_datum(&want[i]->id);
	if (k == 0)
		return;
	values[0] = gc->team_datum;
	values[1] = array_of(ids, k, UUIDOID);
	run(gc, P_MEMBERS, values, SPI_OK_SELECT);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));
		BMember    *m = hash_search(gc->members_by_id, id, HASH_FIND, NULL);
		bytea	   *features;
		bool		found;
		MemoryContext old;

		if (m == NULL || m->loaded)
			continue;
		old = MemoryContextSwitchTo(gc->chunk_cxt);
		m->created_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		features = DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull));
		member_features_parse(&m->features, VARDATA_ANY(features), VARSIZE_ANY_EXHDR(features));
		m->report = grouping_report_entry(gc, DatumGetUUIDP(SPI_getbinval(tup, desc, 4, &isnull)),
										  &found);
		if (!m->report->status_known)
		{
			m->report->live = status_is_live(SPI_getvalue(tup, desc, 5));
			m->report->status_known = true;
		}
		m->loaded = true;
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
	for (int i = 0; i < n; i++)
		want[i]->loaded = true; /* not found: no report */
}

/*
 * Lock a report before the first signal joins it, and re-read its status:
 * false when it is gone, deleted or suppressed.
 */
bool
grouping_lock_report(GroupingCall *gc, BReport *r)
{
	Datum		values[2];

	if (r->is_new || r->locked)
		return r->live;
	values[0] = gc->team_datum;
	values[1] = uuid_datum(&r->id);
	run(gc, P_LOCK_REPORT, values, SPI_OK_SELECT);
	r->locked = true;
	r->status_known = true;
	r->live = SPI_processed == 1 &&
		status_is_live(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_freetuptable(SPI_tuptable);
	return r->live;
}

/* ---------------------------------------------------------------------- */
/* Writing, one function per table */

static int
cmp_cstring_ptr(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* Products as one text, sorted, separated by the unit separator. */
static Datum
products_datum(List *products)
{
	StringInfoData buf;
	ListCell   *lc;

	list_sort(products, cmp_cstring_ptr);
	initStringInfo(&buf);
	foreach(lc, products)
	{
		if (buf.len > 0)
			appendStringInfoChar(&buf, '\x1f');
		appendStringInfoString(&buf, lfirst(lc));
	}
	return CStringGetTextDatum(buf.data);
}

/* The chunk's new reports, as potential ones. */
static void
write_new_reports(GroupingCall *gc)
{
	int			nr = Max(list_length(gc->reports), 1);
	Datum	   *ids = palloc(sizeof(Datum) * nr),
			   *titles = palloc(sizeof(Datum) * nr),
			   *weights = palloc(sizeof(Datum) * nr),
			   *counts = palloc(sizeof(Datum) * nr),
			   *products = palloc(sizeof(Datum) * nr);
	Datum		values[6];
	ListCell   *lc;
	int			k = 0;

	foreach(lc, gc->reports)
	{
		BReport    *r = lfirst(lc);

		if (!r->is_new)
			continue;
		ids[k] = uuid_datum(&r->id);
		titles[k] = CStringGetTextDatum(r->title);
		weights[k] = Float8GetDatum(r->add_weight);
		counts[k] = Int32GetDatum(r->add_count);
		products[k] = products_datum(r->products);
		k++;
	}
	if (k == 0)
		return;
	values[0] = gc->team_datum;
	values[1] = array_of(ids, k, UUIDOID);
	values[2] = array_of(titles, k, TEXTOID);
	values[3] = array_of(weights, k, FLOAT8OID);
	values[4] = array_of(counts, k, INT4OID);
	values[5] = array_of(products, k, TEXTOID);
	run(gc, P_INSERT_REPORTS, values, SPI_OK_INSERT);
}

/* Promote the reports the chunk made or joined that are now due. */
static void
promote_reports(GroupingCall *gc)
{
	Datum	   *ids = palloc(sizeof(Datum) * Max(list_length(gc->reports), 1));
	Datum		values[2];
	ListCell   *lc;
	int			k = 0;

	foreach(lc, gc->reports)
	{
		BReport    *r = lfirst(lc);

		if (r->joined)
			ids[k++] = uuid_datum(&r->id);
	}
	if (k == 0)
		return;
	values[0] = gc->team_datum;
	values[1] = array_of(ids, k, UUIDOID);
	run(gc, P_PROMOTE_REPORTS, values, SPI_OK_SELECT);
}

/* Counters, products and promotion of the existing reports the chunk joined. */
static void
write_joined_reports(GroupingCall *gc)
{
	int			nr = Max(list_length(gc->reports), 1);
	Datum	   *ids = palloc(sizeof(Datum) * nr),
			   *weights = palloc(sizeof(Datum) * nr),
			   *counts = palloc(sizeof(Datum) * nr),
			   *products = palloc(sizeof(Datum) * nr);
	Datum		values[5];
	ListCell   *lc;
	int			k = 0;

	foreach(lc, gc->reports)
	{
		BReport    *r = lfirst(lc);

		if (r->is_new || !r->joined)
			continue;
		ids[k] = uuid_datum(&r->id);
		weights[k] = Float8GetDatum(r->add_weight);
		counts[k] = Int32GetDatum(r->add_count);
		products[k] = products_datum(r->products);
		k++;
	}
	if (k == 0)
		return;
	values[0] = gc->team_datum;
	values[1] = array_of(ids, k, UUIDOID);
	values[2] = array_of(weights, k, FLOAT8OID);
	values[3] = array_of(counts, k, INT4OID);
	values[4] = array_of(products, k, TEXTOID);
	run(gc, P_UPDATE_REPORTS, values, SPI_OK_UPDATE);
}

/* Each signal's report and the evidence of its decision. */
static void
write_signals(GroupingCall *gc, BSignal *sigs, int n)
{
	Datum	   *ids = palloc(sizeof(Datum) * n),
			   *rids = palloc(sizeof(Datum) * n),
			   *methods = palloc(sizeof(Datum) * n),
			   *scores = palloc(sizeof(Datum) * n),
			   *details = palloc(sizeof(Datum) * n);
	Datum		values[6];
	static const char *const method_names[] = {"dedupe_key", "similarity", "new_report", "judge"};
	int			k = 0;

	for (int i = 0; i < n; i++)
	{
		if (sigs[i].report == NULL)
			continue;			/* skipped, or left for the judge */
		ids[k] = uuid_datum(&sigs[i].id);
		rids[k] = uuid_datum(&sigs[i].report->id);
		methods[k] = CStringGetTextDatum(method_names[sigs[i].method]);
		scores[k] = Float4GetDatum(sigs[i].score);
		details[k] = CStringGetTextDatum(sigs[i].detail);
		k++;
	}
	if (k == 0)
		return;
	values[0] = gc->team_datum;
	values[1] = array_of(ids, k, UUIDOID);
	values[2] = array_of(rids, k, UUIDOID);
	values[3] = array_of(methods, k, TEXTOID);
	values[4] = array_of(scores, k, FLOAT4OID);
	values[5] = array_of(details, k, TEXTOID);
	run(gc, P_UPDATE_SIGNALS, values, SPI_OK_UPDATE);
	if (SPI_processed != (uint64) k)
		elog(ERROR, "grouping updated " UINT64_FORMAT " signals of %d", SPI_processed, k);
}

/* Judgments asked for by this chunk, and those it applied. */
static void
write_judgments(GroupingCall *gc)
{
	int			k = list_length(gc->new_judgments);
	Datum		values[3];
	ListCell   *lc;
	int			i = 0;

	if (k > 0)
	{
		Datum	   *ids = palloc(sizeof(Datum) * k),
				   *candidates = palloc(sizeof(Datum) * k);

		foreach(lc, gc->new_judgments)
		{
			BSignal    *s = lfirst(lc);

			ids[i] = uuid_datum(&s->id);
			candidates[i] = CStringGetTextDatum(s->candidates);
			i++;
		}
		values[0] = gc->team_datum;
		values[1] = array_of(ids, k, UUIDOID);
		values[2] = array_of(candidates, k, TEXTOID);
		run(gc, P_WRITE_JUDGMENTS, values, SPI_OK_INSERT);
	}
	k = list_length(gc->applied_judgments);
	if (k > 0)
	{
		Datum	   *ids = palloc(sizeof(Datum) * k);

		i = 0;
		foreach(lc, gc->applied_judgments)
			ids[i++] = uuid_datum(&((BSignal *) lfirst(lc))->id);
		values[0] = gc->team_datum;
		values[1] = array_of(ids, k, UUIDOID);
		run(gc, P_APPLY_JUDGMENTS, values, SPI_OK_UPDATE);
	}
}

/* The features of the chunk's signals, for later signals to compare with. */
static void
write_members(GroupingCall *gc)
{
	int			k = list_length(gc->new_members);
	Datum	   *ids,
			   *ats,
			   *features;
	Datum		values[4];
	ListCell   *lc;
	int			i = 0;

	if (k == 0)
		return;
	ids = palloc(sizeof(Datum) * k);
	ats = palloc(sizeof(Datum) * k);
	features = palloc(sizeof(Datum) * k);
	foreach(lc, gc->new_members)
	{
		BSignal    *s = lfirst(lc);

		ids[i] = uuid_datum(&s->id);
		ats[i] = TimestampTzGetDatum(s->created_at);
		features[i] = PointerGetDatum(member_features_serialize(&s->fs));
		i++;
	}
	values[0] = gc->team_datum;
	values[1] = array_of(ids, k, UUIDOID);
	values[2] = array_of(ats, k, TIMESTAMPTZOID);
	values[3] = array_of(features, k, BYTEAOID);
	run(gc, P_WRITE_MEMBERS, values, SPI_OK_INSERT);
}

/* The candidate-index rows the chunk posted. */
static void
write_postings(GroupingCall *gc)
{
	int			k = list_length(gc->new_postings);
	Datum	   *fs,
			   *ss;
	Datum		values[3];
	ListCell   *lc,
			   *ls;
	int			i = 0;

	if (k == 0)
		return;
	fs = palloc(sizeof(Datum) * k);
	ss = palloc(sizeof(Datum) * k);
	forboth(lc, gc->new_postings, ls, gc->new_posting_signals)
	{
		fs[i] = Int64GetDatum((int64) *(uint64 *) lfirst(lc));
		ss[i] = uuid_datum(lfirst(ls));
		i++;
	}
	values[0] = gc->team_datum;
	values[1] = array_of(fs, k, INT8OID);
	values[2] = array_of(ss, k, UUIDOID);
	run(gc, P_WRITE_POSTINGS, values, SPI_OK_INSERT);
}

/* The dedupe keys the chunk's signals carried. */
static void
write_keys(GroupingCall *gc)
{
	int			k = list_length(gc->new_keys);
	Datum	   *hs,
			   *ss,
			   *ats;
	Datum		values[4];
	ListCell   *lc,
			   *ls;
	int			i = 0;

	if (k == 0)
		return;
	hs = palloc(sizeof(Datum) * k);
	ss = palloc(sizeof(Datum) * k);
	ats = palloc(sizeof(Datum) * k);
	forboth(lc, gc->new_keys, ls, gc->new_key_signals)
	{
		BSignal    *s = lfirst(ls);

		hs[i] = Int64GetDatum((int64) *(uint64 *) lfirst(lc));
		ss[i] = uuid_datum(&s->id);
		ats[i] = TimestampTzGetDatum(s->created_at);
		i++;
	}
	values[0] = gc->team_datum;
	values[1] = array_of(hs, k, INT8OID);
	values[2] = array_of(ss, k, UUIDOID);
	values[3] = array_of(ats, k, TIMESTAMPTZOID);
	run(gc, P_WRITE_KEYS, values, SPI_OK_INSERT);
}

/* Apply a chunk's decisions (grouping_replay(): its grouping tables only). */
void
grouping_write_chunk(GroupingCall *gc, BSignal *sigs, int n)
{
	if (!gc->replay)
	{
		write_new_reports(gc);
		write_joined_reports(gc);
		write_signals(gc, sigs, n);
		write_judgments(gc);
		promote_reports(gc);
	}
	write_members(gc);
	write_postings(gc);
	write_keys(gc);
}

/* Write back the sketch pages the call changed, and the team's counts. */
void
grouping_write_sketch(GroupingCall *gc)
{
	DfSketch   *sk = gc->sketch;
	Datum	   *pages = palloc(sizeof(Datum) * sk->n_pages);
	Datum	   *counts = palloc(sizeof(Datum) * sk->n_pages);
	Datum		values[4];
	int			k = 0;

	for (int p = 0; p < sk->n_pages; p++)
	{
		bytea	   *b;
		unsigned char *d;
		uint16	   *c = sk->counters + p * DF_PAGE_COUNTERS;

		if (!sk->page_dirty[p])
			continue;
		b = palloc(VARHDRSZ + DF_PAGE_COUNTERS * 2);
		SET_VARSIZE(b, VARHDRSZ + DF_PAGE_COUNTERS * 2);
		d = (unsigned char *) VARDATA(b);
		for (int i = 0; i < DF_PAGE_COUNTERS; i++)
		{
			d[2 * i] = (unsigned char) c[i];
			d[2 * i + 1] = (unsigned char) (c[i] >> 8);
		}
		pages[k] = Int32GetDatum(p);
		counts[k] = PointerGetDatum(b);
		k++;
	}
	if (k > 0)
	{
		values[0] = gc->team_datum;
		values[1] = array_of(pages, k, INT4OID);
		values[2] = array_of(counts, k, BYTEAOID);
		run(gc, P_WRITE_PAGES, values, SPI_OK_INSERT);
	}
	if (sk->state_dirty)
	{
		values[0] = gc->team_datum;
		values[1] = Int32GetDatum(sk->n_docs);
		values[2] = Int64GetDatum(sk->total_docs);
		values[3] = Int32GetDatum(sk->width);
		run(gc, P_WRITE_STATE, values, SPI_OK_UPDATE);
	}
}
