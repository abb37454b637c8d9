/*-------------------------------------------------------------------------
 *
 * signal_match.c
 *	  How similar a new signal is to one earlier signal (a report's member).
 *
 * A report is joined through its nearest member, never through a profile
 * that grows with every join: a report whose members each resemble one
 * other member cannot drift into a hub of unrelated problems the way a
 * pooled profile does.  Each grouped signal keeps its features (hash, kind,
 * prior class, title flag: 11 bytes each, sorted by hash), without those
 * found only in template lines.
 *
 * The score is the cosine of the two feature-weight vectors (weights from
 * df_sketch.c, the member's recomputed with today's frequencies), in [0, 1].
 * Being normalised by both lengths, it asks for broad agreement: a long
 * text does not match everything by sheer size, and a pair of short titles
 * that share their rare words scores high.  Evidence that identifies a
 * problem counts on its own: when two or more signatures (identifiers,
 * file names, exception classes, error codes, routes) are shared, the score
 * is at least e / (e + SIGNATURE_HALF_EVIDENCE), e their weight, so that a
 * ticket and a stack trace of one error match on its names even where the
 * rest of their words differ.  The score is then cut to
 * CONFLICT_FACTOR for each disagreement that says "another problem":
 *   - error signatures: both name exception classes, statuses (HTTP error,
 *     exit status, hexadecimal code), source files or HTTP routes, and none
 *     in common (exit status 1 is not exit
 *     status 0xc0000409; this is how error trackers fingerprint issues);
 *   - titles: each title names a rare term (weight >= RARE_TITLE_WEIGHT)
 *     that the other signal does not mention at all ("Login to Piped
 *     account" and "Login to Invidious account"), unless two signatures
 *     are shared;
 *   - too little: fewer than MIN_SHARED shared features and no shared
 *     signature (two one-word titles that happen to agree).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "grouping.h"

#define ENTRY_BYTES 11
#define CONFLICT_FACTOR 0.2
#define RARE_TITLE_WEIGHT 4.5
#define MIN_SHARED 2
#define SIGNATURE_HALF_EVIDENCE 20.0

static int
cmp_member_feature(const void *a, const void *b)
{
	uint64		x = ((const MemberFeature *) a)->hash;
	uint64		y = ((const MemberFeature *) b)->hash;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* A signal's weighed features as a member keeps them (those that weigh). */
void
member_features_from_set(MemberFeatures *m, const GFeatureSet *fs)
{
	m->n = 0;
	m->f = palloc(sizeof(MemberFeature) * Max(fs->n, 1));
	for (int i = 0; i < fs->n; i++)
	{
		if (fs->f[i].weight <= 0)
			continue;
		m->f[m->n].hash = fs->f[i].hash;
		m->f[m->n].kind = fs->f[i].kind;
		m->f[m->n].prior = fs->f[i].prior;
		m->f[m->n].in_title = fs->f[i].in_title;
		m->n++;
	}
	qsort(m->f, m->n, sizeof(MemberFeature), cmp_member_feature);
}

/* The stored form: per feature, hash (8 bytes, little-endian), kind | title << 4, prior. */
bytea *
member_features_serialize(const GFeatureSet *fs)
{
	MemberFeatures m;
	bytea	   *b;
	unsigned char *d;

	member_features_from_set(&m, fs);
	b = palloc(VARHDRSZ + m.n * ENTRY_BYTES);
	SET_VARSIZE(b, VARHDRSZ + m.n * ENTRY_BYTES);
	d = (unsigned char *) VARDATA(b);
	for (int i = 0; i < m.n; i++, d += ENTRY_BYTES)
	{
		for (int k = 0; k < 8; k++)
			d[k] = (unsigned char) (m.f[i].hash >> (8 * k));
		d[8] = m.f[i].kind | (m.f[i].in_title ? 0x10 : 0);
		d[9] = m.f[i].prior;
		d[10] = 0;
	}
	pfree(m.f);
	return b;
}

void
member_features_parse(MemberFeatures *m, const char *data, int len)
{
	const unsigned char *d = (const unsigned char *) data;

	if (len % ENTRY_BYTES != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored grouping features are malformed")));
	m->n = len / ENTRY_BYTES;
	m->f = palloc(sizeof(MemberFeature) * Max(m->n, 1));
	for (int i = 0; i < m->n; i++, d += ENTRY_BYTES)
	{
		uint64		h = 0;

		for (int k = 0; k < 8; k++)
			h |= (uint64) d[k] << (8 * k);
		m->f[i].hash = h;
		m->f[i].kind = Min(d[8] & 0x0F, GF_NKINDS - 1);
		m->f[i].in_title = (d[8] & 0x10) != 0;
		m->f[i].prior = d[9];
	}
}

static const MemberFeature *
member_find(const MemberFeatures *m, uint64 hash)
{
	MemberFeature key = {.hash = hash};

	return bsearch(&key, m->f, m->n, sizeof(MemberFeature), cmp_member_feature);
}

/* Signature kinds whose disagreement says "another problem". */
static int
signature_class(int kind)
{
	switch (kind)
	{
		case GF_EXCEPTION:
			return 0;
		case GF_STATUS:
			return 1;
		case GF_FILE:
			return 2;
		case GF_ROUTE:
			return 3;
		default:
			return -1;
	}
}

/* Keep the SCORE_TOP_SHARED heaviest shared features, heaviest first. */
static void
note_shared(ScoreDetail *d, int i, float w)
{
	int			filled = Min(d->n_shared, SCORE_TOP_SHARED);
	int			k = 0;

	while (k < filled && d->top_weight[k] >= w)
		k++;
	if (k < SCORE_TOP_SHARED)
	{
		for (int m = Min(filled, SCORE_TOP_SHARED - 1); m > k; m--)
		{
			d->top[m] = d->top[m - 1];
			d->top_weight[m] = d->top_weight[m - 1];
		}
		d->top[k] = i;
		d->top_weight[k] = w;
	}
	d->n_shared++;
}

/*
 * The score of the weighed features fs against member m, in [0, 1]; the
 * strongest shared features and any conflict go to detail.
 */
float
member_score(const DfSketch *sk, const MemberFeatures *m, const GFeatureSet *fs,
			 ScoreDetail *detail)
{
	double		dot = 0,
				norm_s = 0,
				norm_m = 0,
				evidence = 0,
				signature_evidence = 0,
				score;
	int			signatures_shared = 0;
	bool		sig_s[4] = {0},
				sig_m[4] = {0},
				sig_shared[4] = {0},
				rare_title_s_unshared = false,
				rare_title_m_unshared = false;
	const char *conflict = NULL;
	ScoreDetail local;

	if (detail == NULL)
		detail = &local;
	detail->n_shared = 0;
	for (int k = 0; k < SCORE_TOP_SHARED; k++)
		detail->top[k] = -1;

	for (int j = 0; j < m->n; j++)
	{
		const MemberFeature *f = &m->f[j];
		double		w = grouping_weight(sk, f->kind, f->in_title, f->prior,
										df_sketch_estimate(sk, f->hash));
		int			c = signature_class(f->kind);

		norm_m += w * w;
		if (c >= 0)
			sig_m[c] = true;
		if (f->in_title && f->kind == GF_WORD && w >= RARE_TITLE_WEIGHT &&
			!rare_title_m_unshared)
		{
			bool		in_s = false;

			for (int i = 0; i < fs->n && !in_s; i++)
				in_s = fs->f[i].hash == f->hash;
			rare_title_m_unshared = !in_s;
		}
	}
	for (int i = 0; i < fs->n; i++)
	{
		const GFeature *f = &fs->f[i];
		const MemberFeature *e;
		int			c = signature_class(f->kind);

		if (f->weight <= 0)
			continue;
		norm_s += (double) f->weight * f->weight;
		e = member_find(m, f->hash);
		if (c >= 0)
		{
			sig_s[c] = true;
			sig_shared[c] |= e != NULL;
		}
		if (e == NULL)
		{
			if (f->in_title && f->kind == GF_WORD && f->weight >= RARE_TITLE_WEIGHT)
				rare_title_s_unshared = true;
			continue;
		}
		{
			double		wm = grouping_weight(sk, e->kind, e->in_title, e->prior, f->df);

			dot += f->weight * wm;
			evidence += Min(f->weight, wm);
			if (f->kind != GF_WORD && f->kind != GF_PHRASE)
			{
				signatures_shared++;
				signature_evidence += Min(f->weight, wm);
			}
			note_shared(detail, i, f->weight);
		}
	}
	score = (norm_s > 0 && norm_m > 0) ? dot / sqrt(norm_s * norm_m) : 0;
	if (signatures_shared >= 2)
		score = Max(score, signature_evidence / (signature_evidence + SIGNATURE_HALF_EVIDENCE));
	for (int c = 0; c < 4; c++)
		if (sig_s[c] && sig_m[c] && !sig_shared[c])
		{
			score *= CONFLICT_FACTOR;
			conflict = "error signatures differ";
		}
	if (detail->n_shared < MIN_SHARED &&
		!(sig_shared[0] || sig_shared[1] || sig_shared[2] || sig_shared[3]))
	{
		score *= CONFLICT_FACTOR;
		conflict = "one shared feature";
	}
	if (rare_title_s_unshared && rare_title_m_unshared && signatures_shared < 2)
	{
		score *= CONFLICT_FACTOR;
		conflict = conflict ? "error signatures and titles differ" : "titles name different things";
	}
	detail->score = (float) Min(score, 1.0);
	detail->evidence = (float) evidence;
	detail->conflict = conflict;
	return detail->score;
}
