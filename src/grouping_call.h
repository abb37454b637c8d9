/*-------------------------------------------------------------------------
 *
 * grouping_call.h
 *	  The state of one group_pending() or grouping_replay() call, shared by
 *	  the decision (grouping.c) and its persistence (grouping_store.c).
 *
 * A call works in chunks of queued signals.  Everything a chunk reads from
 * the grouping tables (candidate index rows, earlier signals' features,
 * reports' statuses, dedupe keys) is kept in the hash tables below and
 * merged with what the chunk itself adds, exactly as if each signal were
 * grouped and written on its own; the chunk's writes are applied at its end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GROUPING_CALL_H
#define GROUPING_CALL_H

#include "utils/hsearch.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "grouping.h"

#define GROUPING_CHUNK 1000
#define POSTINGS_PER_FEATURE 16

typedef enum MatchMethod
{
	MATCH_DEDUPE = 0,
	MATCH_SIMILARITY,
	MATCH_NEW,
	MATCH_JUDGE
} MatchMethod;

/* The best candidate reports an external judge is shown. */
#define JUDGE_CANDIDATES 3

/* A report the chunk has looked at; entry of reports_by_id. */
typedef struct BReport
{
	pg_uuid_t	id;				/* hash key */
	bool		status_known;	/* status read (or new) */
	bool		is_new;
	bool		locked;
	bool		live;			/* neither deleted nor suppressed */
	bool		joined;			/* counters to write back */
	double		add_weight;
	int			add_count;
	List	   *products;		/* distinct products of the signals added */
	char	   *title;
} BReport;

/* An earlier signal (a report's member); entry of members_by_id. */
typedef struct BMember
{
	pg_uuid_t	id;				/* hash key */
	bool		loaded;			/* features and report read (or added) */
	BReport    *report;			/* NULL: not found (deleted meanwhile) */
	TimestampTz created_at;
	MemberFeatures features;
} BMember;

/* Candidate-index rows for one feature; entry of postings_by_feature. */
typedef struct BPostings
{
	uint64		feature;		/* hash key */
	bool		fetched;
	int			n_db;
	pg_uuid_t  *db;				/* signal ids as read, newest first */
	List	   *added;			/* pg_uuid_t *: signals posted by this call */
} BPostings;

/* The reports that carried one dedupe key; entry of keys_by_hash. */
typedef struct BKeyReport
{
	pg_uuid_t	report_id;
	TimestampTz last_seen_at;
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
	pg_uuid_t	stored_report;	/* grouping_replay(): the report it is in */
	/* an external judge's part (grouping_judgments) */
	bool		skip;			/* its judgment is being decided: not this time */
	bool		has_judgment;
	bool		judgment_decided;	/* else: its deadline passed */
	bool		judged_new_report;
	pg_uuid_t	judged_report;
	char	   *judged_by;
	char	   *candidates;		/* JSON of a new judgment */
	/* decision */
	BReport    *report;
	MatchMethod method;
	float		score;
	char	   *detail;
} BSignal;

/* State of one call. */
typedef struct GroupingCall
{
	int64		team_id;
	Datum		team_datum;
	Oid			nsp;			/* the extension's schema */
	MemoryContext cxt;			/* lives for the call */
	MemoryContext chunk_cxt;	/* reset per chunk */
	DfSketch   *sketch;
	TimestampTz window;			/* window length in microseconds */
	pg_uuid_t	last_new_id;
	bool		replay;			/* grouping_replay(): grouping tables only */
	bool		external_judge; /* the team's matching_mode is external */
	/* per chunk */
	HTAB	   *reports_by_id;
	List	   *reports;		/* BReport *, in order of first use */
	HTAB	   *members_by_id;
	HTAB	   *postings_by_feature;
	HTAB	   *keys_by_hash;
	List	   *new_members;	/* BSignal *: grouped by this chunk */
	List	   *new_postings;	/* pairs: feature (uint64 *), signal id */
	List	   *new_posting_signals;
	List	   *new_keys;		/* pairs: key hash (uint64 *), BSignal * */
	List	   *new_key_signals;
	List	   *new_judgments;	/* BSignal *: left for the judge */
	List	   *applied_judgments;	/* BSignal *: decided, now applied */
} GroupingCall;

/* grouping_store.c: reading and writing the grouping tables */
extern bool grouping_lock_team(GroupingCall *gc, bool wait);
extern void grouping_load_sketch(GroupingCall *gc);
extern int	grouping_fetch_signals(GroupingCall *gc, int limit, const pg_uuid_t *after,
								   BSignal **out);
extern void grouping_fetch_postings(GroupingCall *gc, uint64 *features, int n);
extern void grouping_fetch_keys(GroupingCall *gc, BSignal *sigs, int nsigs);
extern void grouping_load_members(GroupingCall *gc, BMember **want, int n);
extern bool grouping_lock_report(GroupingCall *gc, BReport *r);
extern void grouping_clear_team(GroupingCall *gc);
extern void grouping_write_chunk(GroupingCall *gc, BSignal *sigs, int n);
extern void grouping_write_sketch(GroupingCall *gc);

/* grouping.c: entries of the chunk's tables */
extern BReport *grouping_report_entry(GroupingCall *gc, const pg_uuid_t *id, bool *found);
extern BPostings *grouping_postings_entry(GroupingCall *gc, uint64 feature);
extern BKey *grouping_key_entry(GroupingCall *gc, uint64 key_hash);
extern BMember *grouping_member_entry(GroupingCall *gc, const pg_uuid_t *id);

#endif							/* GROUPING_CALL_H */
