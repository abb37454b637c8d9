/*-------------------------------------------------------------------------
 *
 * report_profile.c
 *	  A report's profile: the features of its signals, how many of its
 *	  signals carried each, and the similarity of a signal to it.
 *
 * The profile is a hash-sorted array of at most PROFILE_MAX_ENTRIES entries,
 * stored as bytea (11 bytes an entry, so it stays in the heap tuple, never
 * TOASTed).  When a signal's features overflow it, the entries carried by
 * the fewest signals go first (ties by hash, so deterministically): what
 * a report's signals have in common stays.
 *
 * Similarity of a signal s to a report R: every feature weighs w (kind
 * boost times team idf, see df_sketch.c); a feature of R weighs more the
 * more of R's signals carry it (rho = sqrt(count / n_signals)).  With
 *   shared = sum over features f of s found in R of w(f) * rho(f)
 *   own    = sum over features of s of w(f)
 *   theirs = sum over features of R of w(f) * rho(f)
 * the score is shared / min(own, theirs): the share of the lighter side's
 * evidence that the other side explains (a weighted overlap coefficient).
 * It is 1 when one side's features are all found in the other, and it does
 * not fall when a long stack trace meets a one-line report of it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "grouping.h"

#define ENTRY_BYTES 11
#define SIGNATURE_CONFLICT_FACTOR 0.4f

/* An empty profile. */
void
report_profile_init(ReportProfile *p)
{
	p->n = 0;
	p->cap = 0;
	p->n_signals = 0;
	p->e = NULL;
}

static void
report_profile_reserve(ReportProfile *p, int need)
{
	if (need <= p->cap)
		return;
	p->cap = Max(need, Max(16, p->cap * 2));
	p->e = p->e ? repalloc(p->e, p->cap * sizeof(ProfileEntry))
		: palloc(p->cap * sizeof(ProfileEntry));
}

/* Read a stored profile. */
void
report_profile_parse(ReportProfile *p, const char *data, int len, int32 n_signals)
{
	const unsigned char *d = (const unsigned char *) data;

	if (len % ENTRY_BYTES != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("grouping profile of %d bytes is malformed", len)));
	report_profile_init(p);
	report_profile_reserve(p, len / ENTRY_BYTES + 8);
	for (int i = 0; i < len / ENTRY_BYTES; i++, d += ENTRY_BYTES)
	{
		ProfileEntry *e = &p->e[i];

		e->hash = 0;
		for (int b = 7; b >= 0; b--)
			e->hash = (e->hash << 8) | d[b];
		e->count = (uint16) (d[8] | (d[9] << 8));
		e->posted = d[10] & 1;
		e->kind = (d[10] >> 1) & 7;
	}
	p->n = len / ENTRY_BYTES;
	p->n_signals = n_signals;
}

/* The stored form of a profile. */
bytea *
report_profile_serialize(const ReportProfile *p)
{
	bytea	   *b = palloc(VARHDRSZ + p->n * ENTRY_BYTES);
	unsigned char *d = (unsigned char *) VARDATA(b);

	SET_VARSIZE(b, VARHDRSZ + p->n * ENTRY_BYTES);
	for (int i = 0; i < p->n; i++, d += ENTRY_BYTES)
	{
		const ProfileEntry *e = &p->e[i];

		for (int b8 = 0; b8 < 8; b8++)
			d[b8] = (unsigned char) (e->hash >> (8 * b8));
		d[8] = (unsigned char) e->count;
		d[9] = (unsigned char) (e->count >> 8);
		d[10] = (unsigned char) ((e->posted ? 1 : 0) | (e->kind << 1));
	}
	return b;
}

/* The entry for a feature, or NULL. */
ProfileEntry *
report_profile_find(const ReportProfile *p, uint64 hash)
{
	int			lo = 0,
				hi = p->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (p->e[mid].hash == hash)
			return &p->e[mid];
		if (p->e[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static int
cmp_by_hash(const void *a, const void *b)
{
	uint64		x = ((const ProfileEntry *) a)->hash;
	uint64		y = ((const ProfileEntry *) b)->hash;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Most-carried first; ties by hash. */
static int
cmp_by_keep(const void *a, const void *b)
{
	const ProfileEntry *x = a;
	const ProfileEntry *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_by_hash(a, b);
}

/* Count one more signal with the given features. */
void
report_profile_add_signal(ReportProfile *p, const GFeatureSet *fs)
{
	int			added = 0;

	report_profile_reserve(p, p->n + fs->n);
	for (int i = 0; i < fs->n; i++)
	{
		ProfileEntry *e = report_profile_find(p, fs->f[i].hash);

		if (e)
		{
			if (e->count < PG_UINT16_MAX)
				e->count++;
			continue;
		}
		/* append; sorted below */
		e = &p->e[p->n + added++];
		e->hash = fs->f[i].hash;
		e->count = 1;
		e->posted = 0;
		e->kind = fs->f[i].kind;
	}
	p->n += added;
	p->n_signals++;
	if (p->n > PROFILE_MAX_ENTRIES)
	{
		qsort(p->e, p->n, sizeof(ProfileEntry), cmp_by_keep);
		p->n = PROFILE_MAX_ENTRIES;
	}
	if (added > 0)
		qsort(p->e, p->n, sizeof(ProfileEntry), cmp_by_hash);
}

/* How characteristic a feature is of the report: sqrt of its share of signals. */
static double
rho(const ProfileEntry *e, int32 n_signals)
{
	double		frac = n_signals > 0 ? Min(1.0, (double) e->count / n_signals) : 1.0;

	return sqrt(frac);
}

/*
 * Error signatures that disagree: both sides name exception classes but
 * none in common, or both name source files but share no file or code
 * identifier.  Error trackers fingerprint an issue by exception and code
 * location; two texts that differ there are distinct issues however much
 * template wording they share ("IntegrityError: duplicate key value ...").
 * Returns the factor the score is multiplied by.
 */
static float
signature_conflict(const ReportProfile *p, const GFeatureSet *fs)
{
	bool		s_exc = false,
				s_file = false,
				r_exc = false,
				r_file = false,
				shared_exc = false,
				shared_loc = false;
	float		factor = 1.0f;

	for (int i = 0; i < fs->n; i++)
	{
		int			kind = fs->f[i].kind;
		bool		in_r;

		if (kind != GF_EXCEPTION && kind != GF_FILE && kind != GF_IDENT)
			continue;
		in_r = report_profile_find(p, fs->f[i].hash) != NULL;
		if (kind == GF_EXCEPTION)
		{
			s_exc = true;
			shared_exc |= in_r;
		}
		else
		{
			s_file |= (kind == GF_FILE);
			shared_loc |= in_r;
		}
	}
	for (int j = 0; j < p->n; j++)
	{
		r_exc |= (p->e[j].kind == GF_EXCEPTION);
		r_file |= (p->e[j].kind == GF_FILE);
	}
	if (s_exc && r_exc && !shared_exc)
		factor *= SIGNATURE_CONFLICT_FACTOR;
	if (s_file && r_file && !shared_loc)
		factor *= SIGNATURE_CONFLICT_FACTOR;
	return factor;
}

/*
 * Similarity of the weighed features fs to the profile, in [0, 1]; the
 * strongest shared features go to detail when given.
 */
float
report_profile_score(const ReportProfile *p, const GFeatureSet *fs,
			  const DfSketch *sk, ScoreDetail *detail)
{
	double		own = 0,
				shared = 0,
				theirs = 0,
				denom;
	float		score;

	if (detail)
	{
		detail->n_shared = 0;
		for (int k = 0; k < SCORE_TOP_SHARED; k++)
			detail->top[k] = -1;
	}
	for (int i = 0; i < fs->n; i++)
	{
		const GFeature *f = &fs->f[i];
		ProfileEntry *e = report_profile_find(p, f->hash);

		own += f->weight;
		if (e)
		{
			double		w = f->weight * rho(e, p->n_signals);

			shared += w;
			if (detail)
			{
				int			filled = Min(detail->n_shared, SCORE_TOP_SHARED);
				int			k = 0;

				/* keep the SCORE_TOP_SHARED heaviest, heaviest first */
				while (k < filled && detail->top_weight[k] >= w)
					k++;
				if (k < SCORE_TOP_SHARED)
				{
					for (int m = Min(filled, SCORE_TOP_SHARED - 1); m > k; m--)
					{
						detail->top[m] = detail->top[m - 1];
						detail->top_weight[m] = detail->top_weight[m - 1];
					}
					detail->top[k] = i;
					detail->top_weight[k] = (float) w;
				}
				detail->n_shared++;
			}
		}
	}
	if (shared <= 0)
		score = 0;
	else
	{
		for (int j = 0; j < p->n; j++)
		{
			const ProfileEntry *e = &p->e[j];

			theirs += grouping_feature_weight(sk, e->kind, df_sketch_estimate(sk, e->hash)) *
				rho(e, p->n_signals);
		}
		denom = Min(own, theirs);
		score = denom > 0 ? (float) Min(1.0, shared / denom) : 0;
		score *= signature_conflict(p, fs);
	}
	if (detail)
		detail->score = score;
	return score;
}
