/*-------------------------------------------------------------------------
 *
 * grouping.c
 *	  signals.group_pending(team_id, max_signals): decide where each of a
 *	  team's queued signals goes.
 *
 * One backend at a time groups a team (it holds the team's grouping_state
 * row; a second caller gets 0 at once).  Queued signals are taken in id
 * order (UUIDv7: arrival order) in chunks and decided one by one:
 *
 *   1. dedupe keys: the live report whose signals most recently carried one
 *      of the signal's keys, within the window;
 *   2. similarity: the signal's rarest known features (PROBE_FEATURES of
 *      them) are looked up in the candidate index (feature -> the newest
 *      signals that posted it); the earlier signals hit hardest are scored
 *      one by one (signal_match.c), and the report of the nearest one, live
 *      and within the window, is joined when the score reaches
 *      signals.similarity_threshold;
 *   3. otherwise a new potential report titled from the signal's first line.
 *
 * Every read is an index probe bounded by these constants, so the cost per
 * signal does not grow with the number of stored signals.  The decision is
 * kept apart from its persistence (grouping_store.c): a chunk's reads are
 * batched and its writes applied at its end, the chunk's own additions
 * merged with what is read, so results do not depend on how the queue is
 * cut into calls or chunks.
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

#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "grouping_call.h"
#include "report_rules.h"
#include "signals.h"

#define PROBE_FEATURES 12
#define PREFETCH_FEATURES 16
#define SCORED_MEMBERS 8
#define POST_FEATURES 12

extern Datum signals_uuid_v7(PG_FUNCTION_ARGS);

static int
cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, UUID_LEN);
}

static int
cmp_uuid_desc(const void *a, const void *b)
{
	return -memcmp(a, b, UUID_LEN);
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

static void
json_kv_number(StringInfo buf, const char *key, double v)
{
	appendStringInfo(buf, ",\"%s\":%.4g", key, v);
}

/* ---------------------------------------------------------------------- */
/* The chunk's tables */

BReport *
grouping_report_entry(GroupingCall *gc, const pg_uuid_t *id, bool *found)
{
	BReport    *r = hash_search(gc->reports_by_id, id, HASH_ENTER, found);

	if (!*found)
	{
		r->status_known = false;
		r->is_new = false;
		r->locked = false;
		r->live = false;
		r->joined = false;
		r->add_weight = 0;
		r->add_count = 0;
		r->products = NIL;
		r->title = NULL;
		gc->reports = lappend(gc->reports, r);
	}
	return r;
}

BMember *
grouping_member_entry(GroupingCall *gc, const pg_uuid_t *id)
{
	bool		found;
	BMember    *m = hash_search(gc->members_by_id, id, HASH_ENTER, &found);

	if (!found)
	{
		m->loaded = false;
		m->report = NULL;
		m->created_at = DT_NOBEGIN;
		m->features.n = 0;
		m->features.f = NULL;
	}
	return m;
}

BPostings *
grouping_postings_entry(GroupingCall *gc, uint64 feature)
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

BKey *
grouping_key_entry(GroupingCall *gc, uint64 key_hash)
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

/*
 * The signals a feature leads to: the first POSTINGS_PER_FEATURE of the
 * stored and the newly posted rows, newest first, as the index would give
 * them had every earlier signal been written.
 */
static int
feature_signals(BPostings *p, pg_uuid_t *out)
{
	int			n = 0,
				i = 0;
	pg_uuid_t  *all = palloc(sizeof(pg_uuid_t) * (p->n_db + list_length(p->added) + 1));
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

/* ---------------------------------------------------------------------- */
/* Deciding */

/* Weigh a signal's features with the sketch as it is now. */
static void
weigh(GroupingCall *gc, BSignal *s)
{
	grouping_mark_template_lines(gc->sketch, &s->fs, s->source);
	grouping_weigh_features(gc->sketch, &s->fs);
}

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
		if (fs->f[order[i]].df > 0 && fs->f[order[i]].weight > 0)
			out[n++] = fs->f[order[i]].hash;
	return n;
}

typedef struct Candidate
{
	BMember    *member;
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
	return -cmp_uuid(&x->member->id, &y->member->id);
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
			BKey	   *key = grouping_key_entry(gc, s->key_hashes[j]);
			ListCell   *lc;

			foreach(lc, key->reports)
			{
				BKeyReport *kr = lfirst(lc);
				BReport    *known = hash_search(gc->reports_by_id, &kr->report_id, HASH_FIND, NULL);

				if (kr->last_seen_at < s->created_at - gc->window)
					continue;
				if (known && (known->locked || known->is_new) && !known->live)
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
		r = grouping_report_entry(gc, &best->report_id, &found);
		if (grouping_lock_report(gc, r))
		{
			*matched_key = s->keys[best_key];
			*seen = best->last_seen_at;
			return r;
		}
		/* dead: look again without it */
	}
}

/* The JUDGE_CANDIDATES best distinct reports among scored candidates, best first. */
static void
best_reports(Candidate *cands, int n, Candidate *top, int *n_top)
{
	*n_top = 0;
	for (int c = 0; c < n; c++)
	{
		int			k;

		if (cands[c].score < 0)
			continue;
		for (k = 0; k < *n_top; k++)
			if (top[k].member->report == cands[c].member->report)
				break;
		if (k < *n_top)
		{
			if (cands[c].score <= top[k].score)
				continue;
			/* a better member of a report already listed: take its place */
			for (; k < *n_top - 1; k++)
				top[k] = top[k + 1];
			(*n_top)--;
		}
		if (*n_top == JUDGE_CANDIDATES && cands[c].score <= top[*n_top - 1].score)
			continue;
		k = Min(*n_top, JUDGE_CANDIDATES - 1);
		while (k > 0 && top[k - 1].score < cands[c].score)
		{
			top[k] = top[k - 1];
			k--;
		}
		top[k] = cands[c];
		if (*n_top < JUDGE_CANDIDATES)
			(*n_top)++;
	}
}

/*
 * Similarity: the nearest earlier signal whose report is live, within the
 * window; its report when the score reaches join_at.  The best reports go
 * to top (for a judge).
 */
static BReport *
match_by_similarity(GroupingCall *gc, BSignal *s, const int *order, double join_at,
					Candidate *best_out, int *n_candidates, Candidate *top, int *n_top)
{
	uint64		probes[PROBE_FEATURES];
	int			np = probe_features(&s->fs, order, PROBE_FEATURES, probes);
	Candidate  *cands = palloc(sizeof(Candidate) * (np * POSTINGS_PER_FEATURE + 1));
	BMember    *to_load[SCORED_MEMBERS];
	pg_uuid_t	ids[POSTINGS_PER_FEATURE];
	int			nc = 0,
				nscore;

	best_out->member = NULL;
	best_out->score = 0;
	*n_candidates = 0;
	*n_top = 0;
	if (np == 0)
		return NULL;

	grouping_fetch_postings(gc, probes, np);
	for (int i = 0; i < np; i++)
	{
		int			n = feature_signals(grouping_postings_entry(gc, probes[i]), ids);
		float		w = 0;

		for (int f = 0; f < s->fs.n; f++)
			if (s->fs.f[f].hash == probes[i])
				w = s->fs.f[f].weight;
		for (int j = 0; j < n; j++)
		{
			BMember    *m = grouping_member_entry(gc, &ids[j]);
			int			c;

			for (c = 0; c < nc; c++)
				if (cands[c].member == m)
					break;
			if (c == nc)
			{
				cands[nc].member = m;
				cands[nc].hits = 0;
				nc++;
			}
			cands[c].hits += w;
		}
	}
	if (nc == 0)
		return NULL;
	qsort(cands, nc, sizeof(Candidate), cmp_candidate_hits);

	/* score the SCORED_MEMBERS earlier signals hit hardest */
	nscore = Min(nc, SCORED_MEMBERS);
	for (int c = 0; c < nscore; c++)
		to_load[c] = cands[c].member;
	grouping_load_members(gc, to_load, nscore);
	for (int c = 0; c < nscore; c++)
	{
		BMember    *m = cands[c].member;

		cands[c].score = -1;
		if (m->report == NULL || !m->report->live ||
			m->created_at < s->created_at - gc->window)
			continue;
		(*n_candidates)++;
		cands[c].score = member_score(gc->sketch, &m->features, &s->fs, &cands[c].detail);
	}
	best_reports(cands, nscore, top, n_top);

	for (;;)
	{
		int			b = -1;

		for (int c = 0; c < nscore; c++)
			if (cands[c].score >= 0 && (b < 0 || cands[c].score > cands[b].score))
				b = c;
		if (b < 0)
			return NULL;
		if (best_out->member == NULL)
			*best_out = cands[b];
		if (cands[b].score < join_at)
			return NULL;
		if (grouping_lock_report(gc, cands[b].member->report))
		{
			*best_out = cands[b];
			return cands[b].member->report;
		}
		/* deleted or suppressed meanwhile: none of its members will do */
		for (int c = 0; c < nscore; c++)
			if (cands[c].member->report == cands[b].member->report)
				cands[c].score = -1;
		if (best_out->member && best_out->member->report == cands[b].member->report)
			best_out->member = NULL;
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
	if (d->conflict)
	{
		appendStringInfoString(buf, ",\"conflict\":");
		json_append_string(buf, d->conflict);
	}
}

/*
 * Record that s is in report r: counters, products, and (for later
 * signals) its features, its index rows and its dedupe keys.
 */
static void
join_report(GroupingCall *gc, BSignal *s, BReport *r, const int *order)
{
	ListCell   *lc;
	bool		have = false;
	BMember    *m;
	int			posted = 0;

	s->report = r;
	r->joined = true;
	r->add_weight += s->weight;
	r->add_count++;
	foreach(lc, r->products)
		if (strcmp(lfirst(lc), s->product) == 0)
			have = true;
	if (!have)
		r->products = lappend(r->products, s->product);

	/* later signals of the chunk compare with it as with any stored one */
	m = grouping_member_entry(gc, &s->id);
	m->loaded = true;
	m->report = r;
	m->created_at = s->created_at;
	member_features_from_set(&m->features, &s->fs);
	gc->new_members = lappend(gc->new_members, s);

	/* index its heaviest features */
	for (int i = 0; i < s->fs.n && posted < POST_FEATURES; i++)
	{
		GFeature   *f = &s->fs.f[order[i]];
		BPostings  *p;
		uint64	   *fh;

		if (f->weight <= 0)
			break;
		posted++;
		p = grouping_postings_entry(gc, f->hash);
		p->added = lappend(p->added, &s->id);
		fh = palloc(sizeof(uint64));
		*fh = f->hash;
		gc->new_postings = lappend(gc->new_postings, fh);
		gc->new_posting_signals = lappend(gc->new_posting_signals, &s->id);
	}

	/* the report now carries the signal's dedupe keys */
	for (int j = 0; j < s->n_keys; j++)
	{
		BKey	   *key = grouping_key_entry(gc, s->key_hashes[j]);
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
		gc->new_keys = lappend(gc->new_keys, &s->key_hashes[j]);
		gc->new_key_signals = lappend(gc->new_key_signals, s);
	}
}

/* A new potential report for s. */
static BReport *
open_report(GroupingCall *gc, BSignal *s)
{
	bool		found;
	pg_uuid_t	id;
	BReport    *r;

	new_report_id(gc, &id);
	r = grouping_report_entry(gc, &id, &found);
	r->status_known = true;
	r->is_new = true;
	r->live = true;
	r->title = report_title_from(s->description);
	return r;
}

/* The candidates a judge is shown, as JSON. */
static char *
candidates_json(BSignal *s, Candidate *top, int n_top)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int k = 0; k < n_top; k++)
	{
		if (k > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, "{\"report_id\":");
		json_append_string(&buf, uuid_text(&top[k].member->report->id));
		appendStringInfoString(&buf, ",\"nearest_signal_id\":");
		json_append_string(&buf, uuid_text(&top[k].member->id));
		json_kv_number(&buf, "score", top[k].score);
		json_kv_number(&buf, "evidence", top[k].detail.evidence);
		append_shared(&buf, s, &top[k].detail);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * Apply a judgment: the judge's report when it is still live, else (a new
 * report asked for, the report gone, or the deadline passed) a new report.
 */
static BReport *
apply_judgment(GroupingCall *gc, BSignal *s, StringInfo buf)
{
	BReport    *r = NULL;
	bool		found;

	if (s->judgment_decided && !s->judged_new_report)
	{
		r = grouping_report_entry(gc, &s->judged_report, &found);
		if (!grouping_lock_report(gc, r))
			r = NULL;
	}
	s->method = r ? MATCH_JUDGE : MATCH_NEW;
	s->score = r ? 1 : 0;
	if (r == NULL)
		r = open_report(gc, s);
	appendStringInfoString(buf, "{\"report_id\":");
	json_append_string(buf, uuid_text(&r->id));
	appendStringInfoString(buf, ",\"decided_by\":");
	json_append_string(buf, s->judged_by ? s->judged_by : "");
	appendStringInfo(buf, ",\"judge_decision\":\"%s\"}",
					 !s->judgment_decided ? "none before the deadline" :
					 s->judged_new_report ? "new report" :
					 s->method == MATCH_JUDGE ? "join" : "join, but the report is gone");
	gc->applied_judgments = lappend(gc->applied_judgments, s);
	return r;
}

/* Decide where one signal goes, and say why in its match detail. */
static void
decide(GroupingCall *gc, BSignal *s)
{
	StringInfoData buf;
	int		   *order;
	BReport    *r = NULL;
	char	   *key = NULL;
	TimestampTz seen = 0;

	if (s->skip)
		return;
	weigh(gc, s);
	order = features_by_weight(&s->fs);
	initStringInfo(&buf);

	if (s->n_keys > 0 && !s->has_judgment)
		r = match_by_key(gc, s, &key, &seen);
	if (s->has_judgment)
		r = apply_judgment(gc, s, &buf);
	else if (r)
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
		Candidate	top[JUDGE_CANDIDATES];
		int			ncand,
					ntop;
		double		join_at = gc->external_judge ? grouping_judge_band_high
			: grouping_similarity_threshold;

		r = match_by_similarity(gc, s, order, join_at, &best, &ncand, top, &ntop);
		if (r == NULL && gc->external_judge && best.member &&
			best.score >= grouping_judge_band_low)
		{
			/* uncertain: the judge decides; the signal stays queued */
			s->candidates = candidates_json(s, top, ntop);
			gc->new_judgments = lappend(gc->new_judgments, s);
			return;
		}
		s->method = r ? MATCH_SIMILARITY : MATCH_NEW;
		if (r == NULL)
			r = open_report(gc, s);
		s->score = best.member ? best.score : 0;
		appendStringInfoString(&buf, "{\"report_id\":");
		json_append_string(&buf, uuid_text(&r->id));
		if (s->method == MATCH_SIMILARITY)
		{
			json_kv_number(&buf, "score", best.score);
			json_kv_number(&buf, "evidence", best.detail.evidence);
			json_kv_number(&buf, "threshold", join_at);
			appendStringInfoString(&buf, ",\"nearest_signal_id\":");
			json_append_string(&buf, uuid_text(&best.member->id));
			append_shared(&buf, s, &best.detail);
		}
		else
		{
			json_kv_number(&buf, "threshold", join_at);
			if (best.member)
			{
				appendStringInfoString(&buf, ",\"nearest_report_id\":");
				json_append_string(&buf, uuid_text(&best.member->report->id));
				appendStringInfoString(&buf, ",\"nearest_signal_id\":");
				json_append_string(&buf, uuid_text(&best.member->id));
				json_kv_number(&buf, "nearest_score", best.score);
				json_kv_number(&buf, "nearest_evidence", best.detail.evidence);
				append_shared(&buf, s, &best.detail);
			}
		}
		appendStringInfo(&buf, ",\"candidates\":%d}", ncand);
	}
	s->detail = buf.data;
	join_report(gc, s, r, order);
	df_sketch_add_document(gc->sketch, &s->fs, s->source);
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
	ctl.entrysize = sizeof(BMember);
	gc->members_by_id = hash_create("grouping members", 1024, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(BPostings);
	gc->postings_by_feature = hash_create("grouping postings", 1024, &ctl,
										  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(BKey);
	gc->keys_by_hash = hash_create("grouping keys", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	gc->reports = NIL;
	gc->new_members = NIL;
	gc->new_postings = NIL;
	gc->new_posting_signals = NIL;
	gc->new_keys = NIL;
	gc->new_key_signals = NIL;
	gc->new_judgments = NIL;
	gc->applied_judgments = NIL;
}

/* Read, for the whole chunk at once, the index rows it will most likely need. */
static void
prefetch(GroupingCall *gc, BSignal *sigs, int n)
{
	uint64	   *all = palloc(sizeof(uint64) * (n * PREFETCH_FEATURES + 1));
	int			k = 0;

	grouping_fetch_keys(gc, sigs, n);
	for (int i = 0; i < n; i++)
	{
		int		   *order;

		if (sigs[i].skip)
			continue;
		weigh(gc, &sigs[i]);
		order = features_by_weight(&sigs[i].fs);
		k += probe_features(&sigs[i].fs, order, PREFETCH_FEATURES, all + k);
		pfree(order);
	}
	grouping_fetch_postings(gc, all, k);
	pfree(all);
}

static void
init_call(GroupingCall *gc, FunctionCallInfo fcinfo, int64 team_id)
{
	memset(gc, 0, sizeof(*gc));
	gc->team_id = team_id;
	gc->team_datum = Int64GetDatum(team_id);
	gc->window = (TimestampTz) grouping_window_days * USECS_PER_DAY;
	gc->nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	gc->cxt = AllocSetContextCreate(CurrentMemoryContext, "signals grouping",
									ALLOCSET_DEFAULT_SIZES);
	gc->chunk_cxt = AllocSetContextCreate(gc->cxt, "signals grouping chunk",
										  ALLOCSET_DEFAULT_SIZES);
}

/* Group up to max_signals queued signals of the team; how many were grouped. */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_group_pending));
Datum
SCHEMA_VERSIONED(signals_group_pending)(PG_FUNCTION_ARGS)
{
	int64		team_id = PG_GETARG_INT64(0);
	int32		max_signals = PG_GETARG_INT32(1);
	GroupingCall gc;
	int			fetched = 0,
				grouped = 0;
	bool		asked_judge = false;

	if (max_signals < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_signals must not be negative")));
	if (max_signals == 0)
		PG_RETURN_INT32(0);

	init_call(&gc, fcinfo, team_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* one grouper per team; others return at once */
	if (!grouping_lock_team(&gc, false))
	{
		ereport(LOG,
				(errmsg("signals: grouping of team " INT64_FORMAT " skipped: another session is grouping it",
						team_id)));
		SPI_finish();
		MemoryContextDelete(gc.cxt);
		PG_RETURN_INT32(0);
	}
	grouping_load_sketch(&gc);
	while (fetched < max_signals)
	{
		BSignal    *sigs;
		int			n,
					want = Min(GROUPING_CHUNK, max_signals - fetched);
		MemoryContext old;

		start_chunk(&gc);
		n = grouping_fetch_signals(&gc, want, NULL, &sigs);
		if (n == 0)
			break;
		old = MemoryContextSwitchTo(gc.chunk_cxt);
		prefetch(&gc, sigs, n);
		for (int i = 0; i < n; i++)
			decide(&gc, &sigs[i]);
		asked_judge |= gc.new_judgments != NIL;
		grouping_write_chunk(&gc, sigs, n);
		MemoryContextSwitchTo(old);
		fetched += n;
		for (int i = 0; i < n; i++)
			grouped += sigs[i].report != NULL;
		if (n < want)
			break;
	}
	if (grouped > 0)
		grouping_write_sketch(&gc);
	SPI_finish();
	/* a bare wake-up: any role may LISTEN, so it names no team */
	if (asked_judge)
		Async_Notify("signals_judgments", "");
	MemoryContextDelete(gc.cxt);
	PG_RETURN_INT32(grouped);
}

/*
 * Rebuild the team's grouping tables (sketch, signal features, candidate
 * and dedupe indexes) from its stored signals: the grouped signals of
 * reports that are not deleted are replayed in arrival order, exactly as
 * group_pending() would have recorded them.  Reports, assignments, evidence
 * and queued signals stay as they are: for after a restore without the
 * grouping tables (grouping_rebuild() regroups with the engine instead).
 * Waits for a running group_pending() of the team, which meanwhile returns
 * 0.  Returns how many signals were replayed.
 */
SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_grouping_replay));
Datum
SCHEMA_VERSIONED(signals_grouping_replay)(PG_FUNCTION_ARGS)
{
	int64		team_id = PG_GETARG_INT64(0);
	GroupingCall gc;
	pg_uuid_t	after;
	int64		total = 0;

	init_call(&gc, fcinfo, team_id);
	gc.replay = true;
	memset(&after, 0, sizeof(after));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!grouping_lock_team(&gc, true))
	{
		SPI_finish();
		MemoryContextDelete(gc.cxt);
		PG_RETURN_INT64(0);		/* no such team */
	}
	grouping_clear_team(&gc);
	for (;;)
	{
		BSignal    *sigs;
		int			n;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		start_chunk(&gc);
		n = grouping_fetch_signals(&gc, GROUPING_CHUNK, &after, &sigs);
		if (n == 0)
			break;
		old = MemoryContextSwitchTo(gc.chunk_cxt);
		for (int i = 0; i < n; i++)
		{
			BSignal    *s = &sigs[i];
			bool		found;
			int		   *order;

			weigh(&gc, s);
			order = features_by_weight(&s->fs);
			join_report(&gc, s, grouping_report_entry(&gc, &s->stored_report, &found), order);
			df_sketch_add_document(gc.sketch, &s->fs, s->source);
		}
		grouping_write_chunk(&gc, sigs, n);
		memcpy(&after, &sigs[n - 1].id, sizeof(pg_uuid_t));
		MemoryContextSwitchTo(old);
		total += n;
		if (n < GROUPING_CHUNK)
			break;
	}
	grouping_write_sketch(&gc);
	SPI_finish();
	MemoryContextDelete(gc.cxt);
	PG_RETURN_INT64(total);
}
