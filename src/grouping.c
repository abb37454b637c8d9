/*-------------------------------------------------------------------------
 *
 * grouping.c
 *	  signals.group_pending(team_id, max_signals): assign a team's queued
 *	  signals to reports.
 *
 * One backend at a time groups a team (a transaction-level advisory lock;
 * a second caller gets 0 at once).  Queued signals are taken in id order
 * (UUIDv7: arrival order) with FOR UPDATE SKIP LOCKED, in chunks of
 * GROUPING_CHUNK, and decided one by one:
 *
 *   1. dedupe keys: the live report whose signals most recently carried one
 *      of the signal's keys, within the window;
 *   2. similarity: the signal's rarest known features (PROBE_FEATURES of
 *      them) are looked up in the candidate index (grouping_postings: for a
 *      feature, the newest reports that posted it, POSTINGS_PER_FEATURE at
 *      most); the reports hit hardest are scored against their profiles
 *      (SCORED_CANDIDATES at most), and the best live one within the window
 *      is joined when its score reaches signals.similarity_threshold;
 *   3. otherwise a new potential report titled from the signal's first line.
 *
 * Every read is an index probe bounded by these constants, so the cost per
 * signal does not grow with the number of stored signals.  Reads of a chunk
 * are batched (one query for all postings, profiles or keys it needs) and
 * its writes are applied at its end with one statement per table; the
 * in-memory state of the chunk is merged with what is read, exactly as if
 * each signal were grouped on its own, so results do not depend on how the
 * queue is cut into calls or chunks.
 *
 * The window is counted back from the signal's own created_at, not from
 * now(): a queue drained after a pause groups as it would have on arrival.
 * Reports that are deleted or suppressed are never joined: a report is
 * locked (FOR NO KEY UPDATE) and its status re-read before the first
 * signal joins it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "grouping.h"
#include "signals.h"

#define GROUPING_CHUNK 1000
#define PROBE_FEATURES 12
#define PREFETCH_FEATURES 16
#define POSTINGS_PER_FEATURE 16
#define SCORED_CANDIDATES 8
#define MAX_LOADED_CANDIDATES 32
#define POST_FEATURES 24
#define TITLE_MAX_CHARS 200
#define GROUPING_LOCK_CLASS 0x5167A001

extern Datum signals_uuid_v7(PG_FUNCTION_ARGS);

typedef enum MatchMethod
{
	MATCH_DEDUPE = 0,
	MATCH_SIMILARITY,
	MATCH_NEW
} MatchMethod;

static const char *const method_names[] = {"dedupe_key", "similarity", "new_report"};

/* A report the chunk has looked at; entry of reports_by_id. */
typedef struct BReport
{
	pg_uuid_t	id;				/* hash key */
	bool		loaded;			/* profile and status read (or new) */
	bool		is_new;
	bool		locked;
	bool		live;
	bool		touched;		/* profile to write back */
	bool		joined;			/* counters to write back */
	TimestampTz last_signal_at;
	ReportProfile profile;
	double		add_weight;
	int			add_count;
	List	   *products;		/* distinct products of the signals added */
	char	   *title;
	int			order;			/* index in the chunk's report list */
} BReport;

/* Candidate-index rows for one feature; entry of postings_by_feature. */
typedef struct BPostings
{
	uint64		feature;		/* hash key */
	bool		fetched;
	int			n_db;
	pg_uuid_t  *db;				/* as read, newest report first */
	List	   *added;			/* pg_uuid_t *: posted by this call */
} BPostings;

/* Reports that carried one dedupe key; entry of keys_by_hash. */
typedef struct BKeyReport
{
	pg_uuid_t	report_id;
	TimestampTz last_seen_at;
	bool		dirty;
} BKeyReport;

typedef struct BKey
{
	uint64		key_hash;		/* hash key */
	bool		fetched;
	List	   *reports;		/* BKeyReport * */
} BKey;

typedef struct BSignal
{
	pg_uuid_t	id;
	TimestampTz created_at;
	char	   *product;
	uint64		source;			/* hash of product and type (df_sketch.c) */
	char	   *description;
	double		weight;
	int			n_keys;
	char	  **keys;
	uint64	   *key_hashes;
	GFeatureSet fs;
	pg_uuid_t	stored_report;	/* grouping_rebuild(): the report it is in */
	/* decision */
	BReport    *report;
	MatchMethod method;
	float		score;
	char	   *detail;
} BSignal;

/* State of one group_pending() call. */
typedef struct GroupingCall
{
	int64		team_id;
	Datum		team_datum;
	MemoryContext cxt;			/* lives for the call */
	MemoryContext chunk_cxt;	/* reset per chunk */
	DfSketch   *sketch;
	TimestampTz window;			/* window length in microseconds */
	pg_uuid_t	last_new_id;
	bool		any_promoted;
	bool		rebuild;		/* grouping_rebuild(): write the grouping tables only */
	/* per chunk */
	HTAB	   *reports_by_id;
	List	   *reports;		/* BReport *, in order of first use */
	HTAB	   *postings_by_feature;
	HTAB	   *keys_by_hash;
	List	   *new_postings;	/* pairs: feature (uint64 *), report */
	List	   *new_posting_reports;
} GroupingCall;

/*
 * Saved plans.  The queries name the extension's schema and qualify every
 * operator; the function also runs with search_path = pg_catalog, pg_temp.
 */
typedef enum PlanId
{
	P_FETCH_SIGNALS,
	P_SKETCH_PAGES,
	P_SKETCH_STATE,
	P_POSTINGS,
	P_PROFILES,
	P_KEYS,
	P_LOCK_REPORT,
	P_INSERT_REPORTS,
	P_UPDATE_REPORTS,
	P_UPDATE_SIGNALS,
	P_WRITE_PROFILES,
	P_WRITE_POSTINGS,
	P_WRITE_KEYS,
	P_WRITE_PAGES,
	P_WRITE_STATE,
	P_REBUILD_SIGNALS,
	P_REBUILD_CLEAR,
	P_NPLANS
} PlanId;

static SPIPlanPtr plans[P_NPLANS];
static Oid	plans_namespace = InvalidOid;

/* %1$s is the quoted extension schema. */
static const struct
{
	const char *sql;
	int			nargs;
	Oid			types[8];
}			plan_defs[P_NPLANS] = {
	[P_FETCH_SIGNALS] = {
		"SELECT s.id, s.created_at, s.source_product, pg_catalog.left(s.description, 4096), "
		"       s.weight, s.dedupe_keys, s.source_type "
		"  FROM %1$s.signals s "
		" WHERE s.team_id OPERATOR(pg_catalog.=) $1 AND s.grouped_at IS NULL "
		" ORDER BY s.id "
		" LIMIT $2 "
		"   FOR UPDATE OF s SKIP LOCKED",
		2, {INT8OID, INT4OID}
	},
	[P_SKETCH_PAGES] = {
		"SELECT d.page, d.counts FROM %1$s.grouping_df d "
		" WHERE d.team_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	},
	[P_SKETCH_STATE] = {
		"SELECT g.n_docs, g.total_docs FROM %1$s.grouping_state g "
		" WHERE g.team_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	},
	[P_POSTINGS] = {
		"SELECT u.f, p.report_id "
		"  FROM pg_catalog.unnest($2::pg_catalog.int8[]) u(f) "
		" CROSS JOIN LATERAL "
		"       (SELECT p.report_id FROM %1$s.grouping_postings p "
		"         WHERE p.team_id OPERATOR(pg_catalog.=) $1 "
		"           AND p.feature OPERATOR(pg_catalog.=) u.f "
		"         ORDER BY p.report_id DESC LIMIT $3) p",
		3, {INT8OID, INT8ARRAYOID, INT4OID}
	},
	[P_PROFILES] = {
		"SELECT g.report_id, g.last_signal_at, g.n_signals, g.profile, r.status "
		"  FROM %1$s.grouping_reports g "
		"  JOIN %1$s.reports r ON r.team_id OPERATOR(pg_catalog.=) g.team_id "
		"                     AND r.id OPERATOR(pg_catalog.=) g.report_id "
		" WHERE g.team_id OPERATOR(pg_catalog.=) $1 "
		"   AND g.report_id OPERATOR(pg_catalog.=) ANY ($2)",
		2, {INT8OID, UUIDARRAYOID}
	},
	[P_KEYS] = {
		"SELECT k.key_hash, k.report_id, k.last_seen_at FROM %1$s.grouping_dedupe k "
		" WHERE k.team_id OPERATOR(pg_catalog.=) $1 "
		"   AND k.key_hash OPERATOR(pg_catalog.=) ANY ($2)",
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
		"SELECT $1, u.id, u.title, '', "
		"       CASE WHEN u.promote THEN 'candidate' ELSE 'potential' END, "
		"       u.w, u.n, CASE WHEN u.promote THEN pg_catalog.now() END, "
		"       pg_catalog.string_to_array(u.products, E'\\x1f') "
		"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.float8[]), pg_catalog.unnest($5::pg_catalog.int4[]), pg_catalog.unnest($6::pg_catalog.bool[]), pg_catalog.unnest($7::pg_catalog.text[])) "
		"       AS u(id, title, w, n, promote, products)",
		7, {INT8OID, UUIDARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID, INT4ARRAYOID, BOOLARRAYOID, TEXTARRAYOID}
	},
	[P_UPDATE_REPORTS] = {
		"UPDATE %1$s.reports r "
		"   SET total_weight = r.total_weight OPERATOR(pg_catalog.+) u.w, "
		"       signal_count = r.signal_count OPERATOR(pg_catalog.+) u.n, "
		"       updated_at = pg_catalog.now(), "
		"       source_products = ARRAY( "
		"           SELECT DISTINCT p COLLATE \"C\" FROM pg_catalog.unnest(r.source_products "
		"                  OPERATOR(pg_catalog.||) pg_catalog.string_to_array(u.products, E'\\x1f')) p "
		"            ORDER BY 1), "
		"       status = CASE WHEN r.status OPERATOR(pg_catalog.=) ANY ('{potential,ready}'::pg_catalog.text[]) "
		"                      AND (r.total_weight OPERATOR(pg_catalog.+) u.w) OPERATOR(pg_catalog.>=) $3 "
		"                      AND (r.signal_count OPERATOR(pg_catalog.+) u.n) OPERATOR(pg_catalog.>=) r.signals_at_run "
		"                     THEN 'candidate' ELSE r.status END, "
		"       promoted_at = CASE WHEN r.status OPERATOR(pg_catalog.=) ANY ('{potential,ready}'::pg_catalog.text[]) "
		"                      AND (r.total_weight OPERATOR(pg_catalog.+) u.w) OPERATOR(pg_catalog.>=) $3 "
		"                      AND (r.signal_count OPERATOR(pg_catalog.+) u.n) OPERATOR(pg_catalog.>=) r.signals_at_run "
		"                     THEN pg_catalog.now() ELSE r.promoted_at END "
		"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($4::pg_catalog.float8[]), pg_catalog.unnest($5::pg_catalog.int4[]), pg_catalog.unnest($6::pg_catalog.text[])) AS u(id, w, n, products) "
		" WHERE r.team_id OPERATOR(pg_catalog.=) $1 AND r.id OPERATOR(pg_catalog.=) u.id "
		"RETURNING r.status OPERATOR(pg_catalog.=) 'candidate' "
		"      AND r.promoted_at OPERATOR(pg_catalog.=) pg_catalog.now()",
		6, {INT8OID, UUIDARRAYOID, FLOAT8OID, FLOAT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID}
	},
	[P_UPDATE_SIGNALS] = {
		"UPDATE %1$s.signals s "
		"   SET report_id = u.report_id, grouped_at = pg_catalog.now(), "
		"       match_method = u.method, match_score = u.score, match_detail = u.detail::pg_catalog.jsonb "
		"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($3::pg_catalog.uuid[]), pg_catalog.unnest($4::pg_catalog.text[]), pg_catalog.unnest($5::pg_catalog.float4[]), pg_catalog.unnest($6::pg_catalog.text[])) "
		"       AS u(id, report_id, method, score, detail) "
		" WHERE s.team_id OPERATOR(pg_catalog.=) $1 AND s.id OPERATOR(pg_catalog.=) u.id",
		6, {INT8OID, UUIDARRAYOID, UUIDARRAYOID, TEXTARRAYOID, FLOAT4ARRAYOID, TEXTARRAYOID}
	},
	[P_WRITE_PROFILES] = {
		"INSERT INTO %1$s.grouping_reports AS g (team_id, report_id, last_signal_at, n_signals, profile) "
		"SELECT $1, u.id, u.at, u.n, u.profile "
		"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($3::pg_catalog.timestamptz[]), pg_catalog.unnest($4::pg_catalog.int4[]), pg_catalog.unnest($5::pg_catalog.bytea[])) AS u(id, at, n, profile) "
		"    ON CONFLICT (team_id, report_id) DO UPDATE "
		"   SET last_signal_at = excluded.last_signal_at, n_signals = excluded.n_signals, "
		"       profile = excluded.profile",
		5, {INT8OID, UUIDARRAYOID, TIMESTAMPTZARRAYOID, INT4ARRAYOID, BYTEAARRAYOID}
	},
	[P_WRITE_POSTINGS] = {
		"INSERT INTO %1$s.grouping_postings (team_id, feature, report_id) "
		"SELECT $1, u.f, u.r "
		"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.int8[]), pg_catalog.unnest($3::pg_catalog.uuid[])) AS u(f, r) "
		"    ON CONFLICT DO NOTHING",
		3, {INT8OID, INT8ARRAYOID, UUIDARRAYOID}
	},
	[P_WRITE_KEYS] = {
		"INSERT INTO %1$s.grouping_dedupe AS k (team_id, key_hash, report_id, last_seen_at) "
		"SELECT $1, u.h, u.r, u.at "
		"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.int8[]), pg_catalog.unnest($3::pg_catalog.uuid[]), pg_catalog.unnest($4::pg_catalog.timestamptz[])) AS u(h, r, at) "
		"    ON CONFLICT (team_id, key_hash, report_id) DO UPDATE "
		"   SET last_seen_at = GREATEST(k.last_seen_at, excluded.last_seen_at)",
		4, {INT8OID, INT8ARRAYOID, UUIDARRAYOID, TIMESTAMPTZARRAYOID}
	},
	[P_WRITE_PAGES] = {
		"INSERT INTO %1$s.grouping_df AS d (team_id, page, counts) "
		"SELECT $1, u.p, u.c "
		"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.int4[]), pg_catalog.unnest($3::pg_catalog.bytea[])) AS u(p, c) "
		"    ON CONFLICT (team_id, page) DO UPDATE SET counts = excluded.counts",
		3, {INT8OID, INT4ARRAYOID, BYTEAARRAYOID}
	},
	[P_REBUILD_SIGNALS] = {
		"SELECT s.id, s.created_at, s.source_product, pg_catalog.left(s.description, 4096), "
		"       s.weight, s.dedupe_keys, s.source_type, s.report_id "
		"  FROM %1$s.signals s "
		"  JOIN %1$s.reports r ON r.team_id OPERATOR(pg_catalog.=) s.team_id "
		"                     AND r.id OPERATOR(pg_catalog.=) s.report_id "
		" WHERE s.team_id OPERATOR(pg_catalog.=) $1 AND s.grouped_at IS NOT NULL "
		"   AND s.id OPERATOR(pg_catalog.>) $3 "
		"   AND r.status OPERATOR(pg_catalog.<>) 'deleted' "
		" ORDER BY s.id "
		" LIMIT $2",
		3, {INT8OID, INT4OID, UUIDOID}
	},
	[P_REBUILD_CLEAR] = {
		"WITH a AS (DELETE FROM %1$s.grouping_postings WHERE team_id OPERATOR(pg_catalog.=) $1), "
		"     b AS (DELETE FROM %1$s.grouping_reports WHERE team_id OPERATOR(pg_catalog.=) $1), "
		"     c AS (DELETE FROM %1$s.grouping_dedupe WHERE team_id OPERATOR(pg_catalog.=) $1), "
		"     d AS (DELETE FROM %1$s.grouping_df WHERE team_id OPERATOR(pg_catalog.=) $1) "
		"DELETE FROM %1$s.grouping_state WHERE team_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	},
	[P_WRITE_STATE] = {
		"INSERT INTO %1$s.grouping_state AS g (team_id, n_docs, total_docs) "
		"VALUES ($1, $2, $3) "
		"    ON CONFLICT (team_id) DO UPDATE "
		"   SET n_docs = excluded.n_docs, total_docs = excluded.total_docs, "
		"       updated_at = pg_catalog.now()",
		3, {INT8OID, INT4OID, INT8OID}
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
		char	   *nspname = get_namespace_name(nsp);
		char	   *sql = psprintf(plan_defs[id].sql, quote_identifier(nspname));
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

static Oid	current_nsp;

static void
run(PlanId id, Datum *values, int expected)
{
	int			rc = SPI_execute_plan(get_plan(id, current_nsp), values, NULL,
									  false, 0);

	if (rc != expected)
		elog(ERROR, "grouping query %d failed: %s", (int) id,
			 SPI_result_code_string(rc));
}

/* Arrays for query parameters. */
static Datum
array_of(Datum *elems, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, n, type, typlen, typbyval, typalign));
}

static int
cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, UUID_LEN);
}

/* Newest report first. */
static int
cmp_uuid_desc(const void *a, const void *b)
{
	return -memcmp(a, b, UUID_LEN);
}

static Datum
uuid_datum(const pg_uuid_t *u)
{
	pg_uuid_t  *copy = palloc(sizeof(pg_uuid_t));

	memcpy(copy, u, sizeof(pg_uuid_t));
	return UUIDPGetDatum(copy);
}

static char *
uuid_text(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum((pg_uuid_t *) u)));
}

/* A new report id, always greater than the previous one of this call. */
static void
new_report_id(GroupingCall *gc, pg_uuid_t *out)
{
	LOCAL_FCINFO(fcinfo, 0);
	pg_uuid_t  *u;

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	u = DatumGetUUIDP(signals_uuid_v7(fcinfo));
	if (memcmp(u->data, gc->last_new_id.data, UUID_LEN) <= 0)
	{
		/* same tick: one more than the last id, in its random bits */
		memcpy(u->data, gc->last_new_id.data, UUID_LEN);
		for (int i = UUID_LEN - 1; i >= 9; i--)
			if (++u->data[i] != 0)
				break;
	}
	memcpy(out, u, sizeof(pg_uuid_t));
	memcpy(&gc->last_new_id, u, sizeof(pg_uuid_t));
}

/* The signal's first non-blank line, trimmed and cut at TITLE_MAX_CHARS. */
static char *
title_from(const char *description)
{
	const char *s = description;
	const char *e;
	int			len,
				clip;
	char	   *title;

	/* the first line with something other than whitespace (as is_blank() sees it) */
	while (*s && isspace((unsigned char) *s))
		s++;
	e = strchr(s, '\n');
	len = e ? (int) (e - s) : (int) strlen(s);
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	if (len == 0)
		return pstrdup("(empty signal)");
	if (pg_mbstrlen_with_len(s, len) <= TITLE_MAX_CHARS)
		return pnstrdup(s, len);

	/* cut at a word boundary when one is near the limit */
	clip = pg_mbcharcliplen(s, len, TITLE_MAX_CHARS - 1);
	for (int i = clip; i > clip * 2 / 3; i--)
		if (s[i] == ' ')
		{
			clip = i;
			break;
		}
	while (clip > 0 && s[clip - 1] == ' ')
		clip--;
	title = palloc(clip + 4);
	memcpy(title, s, clip);
	strcpy(title + clip, "\xE2\x80\xA6");	/* … */
	return title;
}

static void
json_kv_number(StringInfo buf, const char *key, double v)
{
	appendStringInfo(buf, ",\"%s\":%.4g", key, v);
}

/* ---------------------------------------------------------------------- */
/* Reading */

static BReport *
report_entry(GroupingCall *gc, const pg_uuid_t *id, bool *found)
{
	BReport    *r = hash_search(gc->reports_by_id, id, HASH_ENTER, found);

	if (!*found)
	{
		r->loaded = false;
		r->is_new = false;
		r->locked = false;
		r->live = false;
		r->touched = false;
		r->joined = false;
		r->last_signal_at = DT_NOBEGIN;
		report_profile_init(&r->profile);
		r->add_weight = 0;
		r->add_count = 0;
		r->products = NIL;
		r->title = NULL;
		r->order = list_length(gc->reports);
		gc->reports = lappend(gc->reports, r);
	}
	return r;
}

static bool
status_is_live(const char *status)
{
	return strcmp(status, "deleted") != 0 && strcmp(status, "suppressed") != 0;
}

/* Read profiles and statuses of the given reports not yet loaded. */
static void
load_reports(GroupingCall *gc, BReport **want, int n)
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
	run(P_PROFILES, values, SPI_OK_SELECT);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));
		BReport    *r = hash_search(gc->reports_by_id, id, HASH_FIND, NULL);
		bytea	   *prof;
		char	   *status;
		MemoryContext old;

		if (r == NULL || r->loaded)
			continue;
		old = MemoryContextSwitchTo(gc->chunk_cxt);
		r->last_signal_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		prof = DatumGetByteaPP(SPI_getbinval(tup, desc, 4, &isnull));
		report_profile_parse(&r->profile, VARDATA_ANY(prof), VARSIZE_ANY_EXHDR(prof),
					  DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull)));
		status = SPI_getvalue(tup, desc, 5);
		r->live = status_is_live(status);
		r->loaded = true;
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
	/* reports without a profile row (made outside grouping): empty profile */
	for (int i = 0; i < n; i++)
		if (!want[i]->loaded)
		{
			want[i]->loaded = true;
			want[i]->live = true;	/* decided by the lock */
		}
}

/*
 * Lock a report before the first signal joins it, and re-read its status:
 * false when it is gone, deleted or suppressed.
 */
static bool
lock_report(GroupingCall *gc, BReport *r)
{
	Datum		values[2];

	if (r->is_new || r->locked)
		return r->live;
	values[0] = gc->team_datum;
	values[1] = uuid_datum(&r->id);
	run(P_LOCK_REPORT, values, SPI_OK_SELECT);
	r->locked = true;
	r->live = SPI_processed == 1 &&
		status_is_live(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_freetuptable(SPI_tuptable);
	return r->live;
}

static BPostings *
postings_entry(GroupingCall *gc, uint64 feature)
{
	bool		found;
	BPostings  *p = hash_search(gc->postings_by_feature, &feature, HASH_ENTER, &found);

	if (!found)
	{
		p->fetched = false;
		p->n_db = 0;
		p->db = NULL;
		p->added = NIL;
	}
	return p;
}

/* Read the candidate index rows of the given features not yet read. */
static void
fetch_postings(GroupingCall *gc, uint64 *features, int n)
{
	Datum	   *fs = palloc(sizeof(Datum) * Max(n, 1));
	BPostings **got = palloc(sizeof(BPostings *) * Max(n, 1));
	int			k = 0;
	Datum		values[3];

	for (int i = 0; i < n; i++)
	{
		BPostings  *p = postings_entry(gc, features[i]);

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
	run(P_POSTINGS, values, SPI_OK_SELECT);
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

/*
 * The reports a feature leads to: the first POSTINGS_PER_FEATURE of the
 * stored and the newly posted rows, newest report first, as the index would
 * give them had every earlier signal been written.
 */
static int
feature_reports(BPostings *p, pg_uuid_t *out)
{
	int			n = 0,
				i = 0;
	pg_uuid_t  *all = palloc(sizeof(pg_uuid_t) * (p->n_db + list_length(p->added)));
	ListCell   *lc;

	for (i = 0; i < p->n_db; i++)
		memcpy(&all[n++], &p->db[i], sizeof(pg_uuid_t));
	foreach(lc, p->added)
		memcpy(&all[n++], lfirst(lc), sizeof(pg_uuid_t));
	if (n > 1)
		qsort(all, n, sizeof(pg_uuid_t), cmp_uuid_desc);
	i = 0;
	for (int j = 0; j < n && i < POSTINGS_PER_FEATURE; j++)
	{
		if (j > 0 && memcmp(&all[j], &all[j - 1], UUID_LEN) == 0)
			continue;
		memcpy(&out[i++], &all[j], sizeof(pg_uuid_t));
	}
	pfree(all);
	return i;
}

static BKey *
key_entry(GroupingCall *gc, uint64 key_hash)
{
	bool		found;
	BKey	   *k = hash_search(gc->keys_by_hash, &key_hash, HASH_ENTER, &found);

	if (!found)
	{
		k->fetched = false;
		k->reports = NIL;
	}
	return k;
}

/* Read the dedupe index rows of every key of the chunk's signals. */
static void
fetch_keys(GroupingCall *gc, BSignal *sigs, int nsigs)
{
	List	   *want = NIL;
	Datum	   *hs;
	Datum		values[2];
	int			k = 0;
	ListCell   *lc;

	for (int i = 0; i < nsigs; i++)
		for (int j = 0; j < sigs[i].n_keys; j++)
		{
			BKey	   *key = key_entry(gc, sigs[i].key_hashes[j]);

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
	run(P_KEYS, values, SPI_OK_SELECT);
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
		kr->dirty = false;
		key->reports = lappend(key->reports, kr);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Load the team's document-frequency sketch. */
static void
load_sketch(GroupingCall *gc)
{
	Datum		values[1] = {gc->team_datum};
	MemoryContext old = MemoryContextSwitchTo(gc->cxt);

	gc->sketch = df_sketch_create();
	MemoryContextSwitchTo(old);

	run(P_SKETCH_STATE, values, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		bool		isnull;

		gc->sketch->n_docs = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 1, &isnull));
		gc->sketch->total_docs = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															 SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);

	run(P_SKETCH_PAGES, values, SPI_OK_SELECT);
	df_sketch_load_spi_rows(gc->sketch);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Take the next chunk of signals, their features extracted: queued ones,
 * or (after, for grouping_rebuild()) grouped ones with their report.
 */
static int
fetch_signals(GroupingCall *gc, int limit, const pg_uuid_t *after, BSignal **out)
{
	Datum		values[3] = {gc->team_datum, Int32GetDatum(limit), 0};
	BSignal    *sigs;
	int			n;

	if (after)
	{
		values[2] = uuid_datum(after);
		run(P_REBUILD_SIGNALS, values, SPI_OK_SELECT);
	}
	else
		run(P_FETCH_SIGNALS, values, SPI_OK_SELECT);
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
		keys = SPI_getbinval(tup, desc, 6, &isnull);
		if (!isnull)
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
				s->key_hashes[s->n_keys] = hash_bytes_extended((unsigned char *) key,
															   strlen(key),
															   UINT64CONST(0x5167D0000000));
				s->n_keys++;
			}
		}
		grouping_extract_features(s->description, strlen(s->description), &s->fs);
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
	*out = sigs;
	return n;
}

/* ---------------------------------------------------------------------- */
/* Deciding */

/* Feature indexes of s by weight, heaviest first (ties: first seen). */
static int *
features_by_weight(const GFeatureSet *fs)
{
	int		   *order = palloc(sizeof(int) * Max(fs->n, 1));

	for (int i = 0; i < fs->n; i++)
		order[i] = i;
	/* insertion sort: n <= GROUPING_MAX_FEATURES, and it is stable */
	for (int i = 1; i < fs->n; i++)
	{
		int			v = order[i];
		int			j = i;

		while (j > 0 && fs->f[order[j - 1]].weight < fs->f[v].weight)
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	return order;
}

/* The features a signal looks up: its heaviest that some signal had. */
static int
probe_features(const GFeatureSet *fs, const int *order, int max, uint64 *out)
{
	int			n = 0;

	for (int i = 0; i < fs->n && n < max; i++)
		if (fs->f[order[i]].df > 0)
			out[n++] = fs->f[order[i]].hash;
	return n;
}

typedef struct Candidate
{
	BReport    *report;
	double		hits;			/* weight of the probe features that led here */
	float		score;
	ScoreDetail detail;
} Candidate;

static int
cmp_candidate_hits(const void *a, const void *b)
{
	const Candidate *x = a;
	const Candidate *y = b;

	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return -cmp_uuid(&x->report->id, &y->report->id);
}

static bool
in_window(GroupingCall *gc, BReport *r, TimestampTz at)
{
	return r->last_signal_at >= at - gc->window;
}

/* Dedupe keys: the live report that most recently carried a key. */
static BReport *
match_by_key(GroupingCall *gc, BSignal *s, char **matched_key, TimestampTz *seen)
{
	for (;;)
	{
		BKeyReport *best = NULL;
		int			best_key = -1;
		BReport    *r;
		bool		found;

		for (int j = 0; j < s->n_keys; j++)
		{
			BKey	   *key = key_entry(gc, s->key_hashes[j]);
			ListCell   *lc;

			foreach(lc, key->reports)
			{
				BKeyReport *kr = lfirst(lc);
				BReport    *known = hash_search(gc->reports_by_id, &kr->report_id, HASH_FIND, NULL);

				if (kr->last_seen_at < s->created_at - gc->window)
					continue;
				if (known && known->loaded && (known->locked || known->is_new) && !known->live)
					continue;
				if (best == NULL || kr->last_seen_at > best->last_seen_at ||
					(kr->last_seen_at == best->last_seen_at &&
					 cmp_uuid(&kr->report_id, &best->report_id) > 0))
				{
					best = kr;
					best_key = j;
				}
			}
		}
		if (best == NULL)
			return NULL;
		r = report_entry(gc, &best->report_id, &found);
		load_reports(gc, &r, 1);
		if (lock_report(gc, r))
		{
			*matched_key = s->keys[best_key];
			*seen = best->last_seen_at;
			return r;
		}
		/* dead: look again without it */
	}
}

/* Similarity: the best live report within the window, if above threshold. */
static BReport *
match_by_similarity(GroupingCall *gc, BSignal *s, const int *order,
					Candidate *best_out, int *n_candidates)
{
	uint64		probes[PROBE_FEATURES];
	int			np = probe_features(&s->fs, order, PROBE_FEATURES, probes);
	Candidate  *cands = palloc(sizeof(Candidate) * (np * POSTINGS_PER_FEATURE + 1));
	int			nc = 0;
	pg_uuid_t	ids[POSTINGS_PER_FEATURE];
	BReport    *to_load[SCORED_CANDIDATES];
	int			nscore;

	best_out->report = NULL;
	best_out->score = 0;
	*n_candidates = 0;
	if (np == 0)
		return NULL;

	fetch_postings(gc, probes, np);
	for (int i = 0; i < np; i++)
	{
		BPostings  *p = postings_entry(gc, probes[i]);
		int			n = feature_reports(p, ids);
		float		w = 0;

		for (int f = 0; f < s->fs.n; f++)
			if (s->fs.f[f].hash == probes[i])
				w = s->fs.f[f].weight;
		for (int j = 0; j < n; j++)
		{
			bool		found;
			BReport    *r = report_entry(gc, &ids[j], &found);
			int			c;

			for (c = 0; c < nc; c++)
				if (cands[c].report == r)
					break;
			if (c == nc)
			{
				cands[nc].report = r;
				cands[nc].hits = 0;
				nc++;
			}
			cands[c].hits += w;
		}
	}
	if (nc == 0)
		return NULL;
	qsort(cands, nc, sizeof(Candidate), cmp_candidate_hits);

	/*
	 * Score the SCORED_CANDIDATES hit hardest that are live and within the
	 * window; reports found dead or stale on loading do not use up a place
	 * (at most MAX_LOADED_CANDIDATES are looked at).
	 */
	nscore = 0;
	{
		int			next = 0,
					looked = 0;

		while (nscore < SCORED_CANDIDATES && next < nc && looked < MAX_LOADED_CANDIDATES)
		{
			int			k = 0;

			while (next + k < nc && k < SCORED_CANDIDATES - nscore)
			{
				to_load[k] = cands[next + k].report;
				k++;
			}
			load_reports(gc, to_load, k);
			for (int c = next; c < next + k; c++)
			{
				BReport    *r = cands[c].report;

				looked++;
				cands[c].score = -1;
				if (!r->live || !in_window(gc, r, s->created_at))
					continue;
				(*n_candidates)++;
				cands[c].score = report_profile_score(&r->profile, &s->fs, &cands[c].detail);
				nscore++;
			}
			next += k;
		}
		nscore = next;
	}

	for (;;)
	{
		int			b = -1;

		for (int c = 0; c < nscore; c++)
			if (cands[c].score >= 0 &&
				(b < 0 || cands[c].score > cands[b].score))
				b = c;
		if (b < 0)
			return NULL;
		if (best_out->report == NULL)
			*best_out = cands[b];
		if (cands[b].score < grouping_similarity_threshold)
			return NULL;
		if (lock_report(gc, cands[b].report))
		{
			*best_out = cands[b];
			return cands[b].report;
		}
		cands[b].score = -1;	/* deleted or suppressed meanwhile */
		if (best_out->report == cands[b].report)
			best_out->report = NULL;
	}
}

static void
append_shared(StringInfo buf, BSignal *s, ScoreDetail *d)
{
	appendStringInfoString(buf, ",\"shared\":[");
	for (int k = 0; k < SCORE_TOP_SHARED && k < d->n_shared; k++)
	{
		GFeature   *f = &s->fs.f[d->top[k]];

		if (k > 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoString(buf, "{\"feature\":");
		json_append_string(buf, f->text);
		appendStringInfoString(buf, ",\"kind\":");
		json_append_string(buf, grouping_kind_name(f->kind));
		appendStringInfo(buf, ",\"weight\":%.3g}", d->top_weight[k]);
	}
	appendStringInfo(buf, "],\"shared_count\":%d", d->n_shared);
}

/* Join s to r: counters, products, profile, index rows. */
static void
join_report(GroupingCall *gc, BSignal *s, BReport *r, const int *order)
{
	ListCell   *lc;
	bool		have = false;
	int			posted = 0;

	s->report = r;
	r->joined = true;
	r->touched = true;
	r->add_weight += s->weight;
	r->add_count++;
	foreach(lc, r->products)
		if (strcmp(lfirst(lc), s->product) == 0)
			have = true;
	if (!have)
		r->products = lappend(r->products, s->product);
	if (s->created_at > r->last_signal_at)
		r->last_signal_at = s->created_at;
	report_profile_add_signal(&r->profile, &s->fs);

	/* index the signal's heaviest features that the report has not posted */
	for (int i = 0; i < s->fs.n && posted < POST_FEATURES; i++)
	{
		GFeature   *f = &s->fs.f[order[i]];
		ProfileEntry *e = report_profile_find(&r->profile, f->hash);
		BPostings  *p;
		uint64	   *fh;

		posted++;
		if (e == NULL || e->posted)
			continue;
		e->posted = 1;
		p = postings_entry(gc, f->hash);
		p->added = lappend(p->added, &r->id);
		fh = palloc(sizeof(uint64));
		*fh = f->hash;
		gc->new_postings = lappend(gc->new_postings, fh);
		gc->new_posting_reports = lappend(gc->new_posting_reports, r);
	}

	/* the report now carries the signal's dedupe keys */
	for (int j = 0; j < s->n_keys; j++)
	{
		BKey	   *key = key_entry(gc, s->key_hashes[j]);
		BKeyReport *kr = NULL;

		foreach(lc, key->reports)
			if (memcmp(&((BKeyReport *) lfirst(lc))->report_id, &r->id, UUID_LEN) == 0)
				kr = lfirst(lc);
		if (kr == NULL)
		{
			kr = palloc(sizeof(BKeyReport));
			memcpy(&kr->report_id, &r->id, UUID_LEN);
			kr->last_seen_at = s->created_at;
			key->reports = lappend(key->reports, kr);
		}
		else if (s->created_at > kr->last_seen_at)
			kr->last_seen_at = s->created_at;
		kr->dirty = true;
	}
}

/* Decide where one signal goes. */
static void
decide(GroupingCall *gc, BSignal *s)
{
	StringInfoData buf;
	int		   *order;
	BReport    *r = NULL;
	char	   *key = NULL;
	TimestampTz seen = 0;

	grouping_weigh_features(gc->sketch, &s->fs, s->source);
	order = features_by_weight(&s->fs);
	initStringInfo(&buf);

	if (s->n_keys > 0)
		r = match_by_key(gc, s, &key, &seen);
	if (r)
	{
		s->method = MATCH_DEDUPE;
		s->score = 1;
		appendStringInfoString(&buf, "{\"report_id\":");
		json_append_string(&buf, uuid_text(&r->id));
		appendStringInfoString(&buf, ",\"dedupe_key\":");
		json_append_string(&buf, key);
		appendStringInfoString(&buf, ",\"key_last_seen_at\":");
		json_append_iso_time(&buf, seen);
		appendStringInfo(&buf, ",\"window_days\":%d}", grouping_window_days);
	}
	else
	{
		Candidate	best;
		int			ncand;

		r = match_by_similarity(gc, s, order, &best, &ncand);
		if (r)
		{
			s->method = MATCH_SIMILARITY;
			s->score = best.score;
			appendStringInfoString(&buf, "{\"report_id\":");
			json_append_string(&buf, uuid_text(&r->id));
			json_kv_number(&buf, "score", best.score);
			json_kv_number(&buf, "evidence", best.detail.evidence);
			json_kv_number(&buf, "threshold", grouping_similarity_threshold);
			append_shared(&buf, s, &best.detail);
			appendStringInfo(&buf, ",\"candidates\":%d}", ncand);
		}
		else
		{
			bool		found;
			pg_uuid_t	id;

			new_report_id(gc, &id);
			r = report_entry(gc, &id, &found);
			r->loaded = true;
			r->is_new = true;
			r->live = true;
			r->profile.n_signals = 0;
			r->title = title_from(s->description);
			s->method = MATCH_NEW;
			s->score = best.report ? best.score : 0;
			appendStringInfoString(&buf, "{\"report_id\":");
			json_append_string(&buf, uuid_text(&r->id));
			json_kv_number(&buf, "threshold", grouping_similarity_threshold);
			if (best.report)
			{
				appendStringInfoString(&buf, ",\"nearest_report_id\":");
				json_append_string(&buf, uuid_text(&best.report->id));
				json_kv_number(&buf, "nearest_score", best.score);
				json_kv_number(&buf, "nearest_evidence", best.detail.evidence);
				append_shared(&buf, s, &best.detail);
			}
			appendStringInfo(&buf, ",\"candidates\":%d}", ncand);
		}
	}
	s->detail = buf.data;
	join_report(gc, s, r, order);
	df_sketch_add_document(gc->sketch, &s->fs, s->source);
}

/* ---------------------------------------------------------------------- */
/* Writing */

static int
cmp_cstring_ptr(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

static char *
products_text(List *products)
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
	return buf.data;
}

static void
write_chunk(GroupingCall *gc, BSignal *sigs, int n)
{
	int			nr = list_length(gc->reports);
	Datum	   *a = palloc(sizeof(Datum) * Max(nr, 1)),
			   *b = palloc(sizeof(Datum) * Max(nr, 1)),
			   *c = palloc(sizeof(Datum) * Max(nr, 1)),
			   *d = palloc(sizeof(Datum) * Max(nr, 1)),
			   *e = palloc(sizeof(Datum) * Max(nr, 1)),
			   *f = palloc(sizeof(Datum) * Max(nr, 1));
	Datum		values[8];
	ListCell   *lc;
	int			k;

	/* rebuilding: the reports and signals are as stored */
	if (gc->rebuild)
		goto grouping_tables;

	/* new reports */
	k = 0;
	foreach(lc, gc->reports)
	{
		BReport    *r = lfirst(lc);
		bool		promote;

		if (!r->is_new)
			continue;
		promote = r->add_weight >= grouping_promote_weight;	/* signals_at_run is 0 */
		if (promote)
			gc->any_promoted = true;
		a[k] = uuid_datum(&r->id);
		b[k] = CStringGetTextDatum(r->title);
		c[k] = Float8GetDatum(r->add_weight);
		d[k] = Int32GetDatum(r->add_count);
		e[k] = BoolGetDatum(promote);
		f[k] = CStringGetTextDatum(products_text(r->products));
		k++;
	}
	if (k > 0)
	{
		values[0] = gc->team_datum;
		values[1] = array_of(a, k, UUIDOID);
		values[2] = array_of(b, k, TEXTOID);
		values[3] = array_of(c, k, FLOAT8OID);
		values[4] = array_of(d, k, INT4OID);
		values[5] = array_of(e, k, BOOLOID);
		values[6] = array_of(f, k, TEXTOID);
		run(P_INSERT_REPORTS, values, SPI_OK_INSERT);
	}

	/* joined existing reports */
	k = 0;
	foreach(lc, gc->reports)
	{
		BReport    *r = lfirst(lc);

		if (r->is_new || !r->joined)
			continue;
		a[k] = uuid_datum(&r->id);
		c[k] = Float8GetDatum(r->add_weight);
		d[k] = Int32GetDatum(r->add_count);
		f[k] = CStringGetTextDatum(products_text(r->products));
		k++;
	}
	if (k > 0)
	{
		values[0] = gc->team_datum;
		values[1] = array_of(a, k, UUIDOID);
		values[2] = Float8GetDatum(grouping_promote_weight);
		values[3] = array_of(c, k, FLOAT8OID);
		values[4] = array_of(d, k, INT4OID);
		values[5] = array_of(f, k, TEXTOID);
		run(P_UPDATE_REPORTS, values, SPI_OK_UPDATE_RETURNING);
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			bool		isnull;
			Datum		v = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull && DatumGetBool(v))
				gc->any_promoted = true;
		}
		SPI_freetuptable(SPI_tuptable);
	}

	/* the signals */
	{
		Datum	   *ids = palloc(sizeof(Datum) * n),
				   *rids = palloc(sizeof(Datum) * n),
				   *methods = palloc(sizeof(Datum) * n),
				   *scores = palloc(sizeof(Datum) * n),
				   *details = palloc(sizeof(Datum) * n);

		for (int i = 0; i < n; i++)
		{
			ids[i] = uuid_datum(&sigs[i].id);
			rids[i] = uuid_datum(&sigs[i].report->id);
			methods[i] = CStringGetTextDatum(method_names[sigs[i].method]);
			scores[i] = Float4GetDatum(sigs[i].score);
			details[i] = CStringGetTextDatum(sigs[i].detail);
		}
		values[0] = gc->team_datum;
		values[1] = array_of(ids, n, UUIDOID);
		values[2] = array_of(rids, n, UUIDOID);
		values[3] = array_of(methods, n, TEXTOID);
		values[4] = array_of(scores, n, FLOAT4OID);
		values[5] = array_of(details, n, TEXTOID);
		run(P_UPDATE_SIGNALS, values, SPI_OK_UPDATE);
		if (SPI_processed != (uint64) n)
			elog(ERROR, "grouping updated " UINT64_FORMAT " signals of %d", SPI_processed, n);
	}

grouping_tables:
	/* profiles */
	k = 0;
	foreach(lc, gc->reports)
	{
		BReport    *r = lfirst(lc);

		if (!r->touched)
			continue;
		a[k] = uuid_datum(&r->id);
		b[k] = TimestampTzGetDatum(r->last_signal_at);
		d[k] = Int32GetDatum(r->profile.n_signals);
		e[k] = PointerGetDatum(report_profile_serialize(&r->profile));
		k++;
	}
	if (k > 0)
	{
		values[0] = gc->team_datum;
		values[1] = array_of(a, k, UUIDOID);
		values[2] = array_of(b, k, TIMESTAMPTZOID);
		values[3] = array_of(d, k, INT4OID);
		values[4] = array_of(e, k, BYTEAOID);
		run(P_WRITE_PROFILES, values, SPI_OK_INSERT);
	}

	/* candidate index rows */
	k = list_length(gc->new_postings);
	if (k > 0)
	{
		Datum	   *fs = palloc(sizeof(Datum) * k),
				   *rs = palloc(sizeof(Datum) * k);
		ListCell   *lr;
		int			i = 0;

		forboth(lc, gc->new_postings, lr, gc->new_posting_reports)
		{
			fs[i] = Int64GetDatum((int64) *(uint64 *) lfirst(lc));
			rs[i] = uuid_datum(&((BReport *) lfirst(lr))->id);
			i++;
		}
		values[0] = gc->team_datum;
		values[1] = array_of(fs, k, INT8OID);
		values[2] = array_of(rs, k, UUIDOID);
		run(P_WRITE_POSTINGS, values, SPI_OK_INSERT);
	}

	/* dedupe keys */
	{
		HASH_SEQ_STATUS seq;
		BKey	   *key;
		List	   *hs = NIL,
				   *rs = NIL;

		hash_seq_init(&seq, gc->keys_by_hash);
		while ((key = hash_seq_search(&seq)) != NULL)
			foreach(lc, key->reports)
			{
				BKeyReport *kr = lfirst(lc);

				if (kr->dirty)
				{
					hs = lappend(hs, key);
					rs = lappend(rs, kr);
				}
			}
		k = list_length(hs);
		if (k > 0)
		{
			Datum	   *h = palloc(sizeof(Datum) * k),
					   *r = palloc(sizeof(Datum) * k),
					   *t = palloc(sizeof(Datum) * k);
			ListCell   *lr;
			int			i = 0;

			forboth(lc, hs, lr, rs)
			{
				h[i] = Int64GetDatum((int64) ((BKey *) lfirst(lc))->key_hash);
				r[i] = uuid_datum(&((BKeyReport *) lfirst(lr))->report_id);
				t[i] = TimestampTzGetDatum(((BKeyReport *) lfirst(lr))->last_seen_at);
				i++;
			}
			values[0] = gc->team_datum;
			values[1] = array_of(h, k, INT8OID);
			values[2] = array_of(r, k, UUIDOID);
			values[3] = array_of(t, k, TIMESTAMPTZOID);
			run(P_WRITE_KEYS, values, SPI_OK_INSERT);
		}
	}
}

static void
write_sketch(GroupingCall *gc)
{
	DfSketch   *sk = gc->sketch;
	Datum	   *pages = palloc(sizeof(Datum) * DF_SKETCH_PAGES);
	Datum	   *counts = palloc(sizeof(Datum) * DF_SKETCH_PAGES);
	Datum		values[3];
	int			k = 0;

	for (int p = 0; p < DF_SKETCH_PAGES; p++)
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
		run(P_WRITE_PAGES, values, SPI_OK_INSERT);
	}
	if (sk->state_dirty)
	{
		values[0] = gc->team_datum;
		values[1] = Int32GetDatum(sk->n_docs);
		values[2] = Int64GetDatum(sk->total_docs);
		run(P_WRITE_STATE, values, SPI_OK_INSERT);
	}
}

/* ---------------------------------------------------------------------- */

static void
start_chunk(GroupingCall *gc)
{
	HASHCTL		ctl;

	MemoryContextReset(gc->chunk_cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(pg_uuid_t);
	ctl.entrysize = sizeof(BReport);
	ctl.hcxt = gc->chunk_cxt;
	gc->reports_by_id = hash_create("grouping reports", 256, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(BPostings);
	gc->postings_by_feature = hash_create("grouping postings", 1024, &ctl,
										  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(BKey);
	gc->keys_by_hash = hash_create("grouping keys", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	gc->reports = NIL;
	gc->new_postings = NIL;
	gc->new_posting_reports = NIL;
}

/* Read, for the whole chunk at once, the index rows it will most likely need. */
static void
prefetch(GroupingCall *gc, BSignal *sigs, int n)
{
	uint64	   *all = palloc(sizeof(uint64) * (n * PREFETCH_FEATURES + 1));
	int			k = 0;

	fetch_keys(gc, sigs, n);
	for (int i = 0; i < n; i++)
	{
		int		   *order;

		grouping_weigh_features(gc->sketch, &sigs[i].fs, sigs[i].source);
		order = features_by_weight(&sigs[i].fs);
		k += probe_features(&sigs[i].fs, order, PREFETCH_FEATURES, all + k);
		pfree(order);
	}
	fetch_postings(gc, all, k);
	pfree(all);
}

/* Group up to max_signals queued signals of the team; how many were grouped. */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_group_pending));
Datum
SCHEMA_VERSIONED(signals_group_pending)(PG_FUNCTION_ARGS)
{
	int64		team_id = PG_GETARG_INT64(0);
	int32		max_signals = PG_GETARG_INT32(1);
	GroupingCall gc;
	LOCKTAG		tag;
	int			total = 0;

	if (max_signals < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_signals must not be negative")));
	if (max_signals == 0)
		PG_RETURN_INT32(0);

	/* one grouper per team; others return at once */
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, GROUPING_LOCK_CLASS,
						 (uint32) (team_id ^ (team_id >> 32)), 2);
	if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		PG_RETURN_INT32(0);

	memset(&gc, 0, sizeof(gc));
	gc.team_id = team_id;
	gc.team_datum = Int64GetDatum(team_id);
	gc.window = (TimestampTz) grouping_window_days * USECS_PER_DAY;
	gc.cxt = AllocSetContextCreate(CurrentMemoryContext, "signals grouping",
								   ALLOCSET_DEFAULT_SIZES);
	gc.chunk_cxt = AllocSetContextCreate(gc.cxt, "signals grouping chunk",
										 ALLOCSET_DEFAULT_SIZES);
	current_nsp = get_func_namespace(fcinfo->flinfo->fn_oid);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	load_sketch(&gc);
	while (total < max_signals)
	{
		BSignal    *sigs;
		int			n;
		MemoryContext old;

		start_chunk(&gc);
		n = fetch_signals(&gc, Min(GROUPING_CHUNK, max_signals - total), NULL, &sigs);
		if (n == 0)
			break;
		old = MemoryContextSwitchTo(gc.chunk_cxt);
		prefetch(&gc, sigs, n);
		for (int i = 0; i < n; i++)
			decide(&gc, &sigs[i]);
		write_chunk(&gc, sigs, n);
		MemoryContextSwitchTo(old);
		total += n;
		if (n < Min(GROUPING_CHUNK, max_signals - total + n))
			break;
	}
	if (total > 0)
		write_sketch(&gc);

	SPI_finish();

	if (gc.any_promoted)
	{
		char		payload[32];

		snprintf(payload, sizeof(payload), INT64_FORMAT, team_id);
		Async_Notify("signals_candidates", payload);
	}
	MemoryContextDelete(gc.cxt);
	PG_RETURN_INT32(total);
}

/*
 * Rebuild the team's grouping tables (sketch, profiles, candidate index,
 * dedupe index) from its stored signals: the grouped signals of reports
 * that are not deleted are replayed in arrival order into the reports they
 * are in, exactly as group_pending() would have recorded them.  Nothing
 * else changes: reports, assignments, evidence and queued signals stay.
 * For after a restore without the grouping tables, or after an engine
 * version that extracts features differently.  Waits for a running
 * group_pending() of the team, which waits for it in turn (returning 0).
 * Returns how many signals were replayed.
 */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_grouping_rebuild));
Datum
SCHEMA_VERSIONED(signals_grouping_rebuild)(PG_FUNCTION_ARGS)
{
	int64		team_id = PG_GETARG_INT64(0);
	GroupingCall gc;
	LOCKTAG		tag;
	pg_uuid_t	after;
	int64		total = 0;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, GROUPING_LOCK_CLASS,
						 (uint32) (team_id ^ (team_id >> 32)), 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	memset(&gc, 0, sizeof(gc));
	gc.team_id = team_id;
	gc.team_datum = Int64GetDatum(team_id);
	gc.rebuild = true;
	gc.cxt = AllocSetContextCreate(CurrentMemoryContext, "signals grouping rebuild",
								   ALLOCSET_DEFAULT_SIZES);
	gc.chunk_cxt = AllocSetContextCreate(gc.cxt, "signals grouping rebuild chunk",
										 ALLOCSET_DEFAULT_SIZES);
	current_nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	memset(&after, 0, sizeof(after));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Datum		values[1] = {gc.team_datum};

		run(P_REBUILD_CLEAR, values, SPI_OK_DELETE);
	}
	{
		MemoryContext old = MemoryContextSwitchTo(gc.cxt);

		gc.sketch = df_sketch_create();
		MemoryContextSwitchTo(old);
	}
	for (;;)
	{
		BSignal    *sigs;
		int			n;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		start_chunk(&gc);
		n = fetch_signals(&gc, GROUPING_CHUNK, &after, &sigs);
		if (n == 0)
			break;
		old = MemoryContextSwitchTo(gc.chunk_cxt);
		for (int i = 0; i < n; i++)
		{
			BSignal    *s = &sigs[i];
			bool		found;
			BReport    *r;
			int		   *order;

			grouping_weigh_features(gc.sketch, &s->fs, s->source);
			order = features_by_weight(&s->fs);
			r = report_entry(&gc, &s->stored_report, &found);
			load_reports(&gc, &r, 1);
			s->method = MATCH_NEW;	/* not written */
			join_report(&gc, s, r, order);
			df_sketch_add_document(gc.sketch, &s->fs, s->source);
		}
		write_chunk(&gc, sigs, n);
		memcpy(&after, &sigs[n - 1].id, sizeof(pg_uuid_t));
		MemoryContextSwitchTo(old);
		total += n;
		if (n < GROUPING_CHUNK)
			break;
	}
	if (total > 0)
		write_sketch(&gc);		/* the pages counted; the others are gone */
	SPI_finish();
	MemoryContextDelete(gc.cxt);
	PG_RETURN_INT64(total);
}
