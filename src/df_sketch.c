/*-------------------------------------------------------------------------
 *
 * df_sketch.c
 *	  Per-team document frequencies of features, kept in a count-min sketch,
 *	  and the feature weights derived from them.
 *
 * Exact per-feature counts would cost an upsert per feature per signal
 * (dozens of rows per signal).  Instead each team has a count-min sketch of
 * DF_SKETCH_DEPTH rows of DF_SKETCH_WIDTH 16-bit counters with conservative
 * update: a feature's count is the least of its counters, never below the
 * true count.  The sketch is stored as pages of DF_PAGE_COUNTERS counters
 * (table grouping_df), read once per group_pending() call and written back
 * once at its end, so its cost per signal is a few memory accesses.
 *
 * When DF_DECAY_DOCS documents have been counted, every counter and the
 * document count are halved: frequencies describe the team's recent
 * signals, and collisions stay few however long the team lives.
 *
 * A feature's weight is its kind's boost times its smoothed inverse
 * document frequency, ln((N + IDF_PRIOR_DOCS) / (df + 1)): a team's first
 * signals are weighed as if IDF_PRIOR_DOCS unrelated signals came before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "grouping.h"

#define IDF_PRIOR_DOCS 20.0
#define IDF_FLOOR 0.05

/* How much each kind of feature weighs, on top of its rarity. */
static const float kind_boost[GF_NKINDS] = {
	[GF_WORD] = 1.0f,
	[GF_PHRASE] = 1.0f,
	[GF_IDENT] = 1.5f,
	[GF_FILE] = 1.5f,
	[GF_EXCEPTION] = 2.0f,
	[GF_CODE] = 2.0f,
};

/* An empty sketch. */
DfSketch *
df_sketch_create(void)
{
	DfSketch   *sk = palloc0(sizeof(DfSketch));

	sk->counters = palloc0(sizeof(uint16) * DF_SKETCH_DEPTH * DF_SKETCH_WIDTH);
	sk->page_dirty = palloc0(sizeof(bool) * DF_SKETCH_PAGES);
	return sk;
}

/* Fill one page from its stored form (little-endian 16-bit counters). */
void
df_sketch_load_page(DfSketch *sk, int page, const char *data, int len)
{
	uint16	   *c;

	if (page < 0 || page >= DF_SKETCH_PAGES || len != DF_PAGE_COUNTERS * 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("grouping sketch page %d is malformed", page)));
	c = sk->counters + page * DF_PAGE_COUNTERS;
	for (int i = 0; i < DF_PAGE_COUNTERS; i++)
		c[i] = (uint16) ((unsigned char) data[2 * i] |
						 ((unsigned char) data[2 * i + 1] << 8));
}

static inline uint32
slot(uint64 hash, int row)
{
	return row * DF_SKETCH_WIDTH + (uint32) ((hash >> (32 * row)) % DF_SKETCH_WIDTH);
}

/* The feature's estimated document frequency. */
uint32
df_sketch_estimate(const DfSketch *sk, uint64 hash)
{
	uint32		m = PG_UINT16_MAX;

	for (int r = 0; r < DF_SKETCH_DEPTH; r++)
		m = Min(m, sk->counters[slot(hash, r)]);
	return m;
}

/* Count one document with the given (distinct) features. */
void
df_sketch_add_document(DfSketch *sk, const GFeatureSet *fs)
{
	for (int i = 0; i < fs->n; i++)
	{
		uint32		est = df_sketch_estimate(sk, fs->f[i].hash);

		if (est >= PG_UINT16_MAX)
			continue;
		for (int r = 0; r < DF_SKETCH_DEPTH; r++)
		{
			uint32		s = slot(fs->f[i].hash, r);

			if (sk->counters[s] == est)
			{
				sk->counters[s]++;
				sk->page_dirty[s / DF_PAGE_COUNTERS] = true;
			}
		}
	}
	sk->n_docs++;
	sk->total_docs++;
	sk->state_dirty = true;

	if (sk->n_docs >= DF_DECAY_DOCS)
	{
		for (int i = 0; i < DF_SKETCH_DEPTH * DF_SKETCH_WIDTH; i++)
			sk->counters[i] >>= 1;
		for (int p = 0; p < DF_SKETCH_PAGES; p++)
			sk->page_dirty[p] = true;
		sk->n_docs /= 2;
	}
}

/* Smoothed inverse document frequency. */
float
grouping_idf(const DfSketch *sk, uint32 df)
{
	double		idf = log((sk->n_docs + IDF_PRIOR_DOCS) / ((double) df + 1.0));

	return (float) Max(idf, IDF_FLOOR);
}

/* Set df and weight of every feature from the sketch. */
void
grouping_weigh_features(const DfSketch *sk, GFeatureSet *fs)
{
	for (int i = 0; i < fs->n; i++)
	{
		GFeature   *f = &fs->f[i];

		f->df = df_sketch_estimate(sk, f->hash);
		f->weight = kind_boost[f->kind] * grouping_idf(sk, f->df);
	}
}

/* The weight of a feature of the given kind and document frequency. */
float
grouping_feature_weight(const DfSketch *sk, int kind, uint32 df)
{
	return kind_boost[kind] * grouping_idf(sk, df);
}
