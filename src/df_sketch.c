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
 * Every feature is counted twice: for the team, and for the team's signals
 * of the same source (product and type), under a key that mixes the source
 * into the feature's hash.  The sketch also counts the documents of each
 * source, under a key of the source alone.  Templated text (every "Slow
 * request: GET ... took ..." alert, every "Issue spiking: ... events")
 * is common within its source even while the source is a small part of the
 * team, so it weighs little; what differs between alerts (the route, the
 * exception) stays rare in both and weighs a lot.
 *
 * When DF_DECAY_DOCS documents have been counted, every counter and the
 * document count are halved: frequencies describe the team's recent
 * signals, and collisions stay few however long the team lives.
 *
 * A feature's weight is its kind's boost times its smoothed inverse
 * document frequency, the lesser of the team's and the source's,
 * ln((N + IDF_PRIOR_DOCS) / (df + 1)), at most IDF_CAP: a team's first
 * signals are weighed as if IDF_PRIOR_DOCS unrelated signals came before,
 * and rarity saturates (at df of about N / 400) so that scores keep one
 * scale as the team grows from hundreds to tens of thousands of signals.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"

#include "grouping.h"

#define IDF_PRIOR_DOCS 20.0
#define IDF_FLOOR 0.05
#define IDF_CAP 6.0

/* How much each kind of feature weighs, on top of its rarity. */
static const float kind_boost[GF_NKINDS] = {
	[GF_WORD] = 1.0f,
	[GF_PHRASE] = 1.0f,
	[GF_IDENT] = 1.5f,
	[GF_FILE] = 1.5f,
	[GF_EXCEPTION] = 2.0f,
	[GF_CODE] = 2.0f,
	[GF_ROUTE] = 1.5f,
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

/*
 * Fill the pages from the rows of the last SPI query, each (page integer,
 * counts bytea) as grouping_df stores them.
 */
void
df_sketch_load_spi_rows(DfSketch *sk)
{
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		int			page = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[row],
													   SPI_tuptable->tupdesc, 1, &isnull));
		bytea	   *b = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[row],
													  SPI_tuptable->tupdesc, 2, &isnull));

		df_sketch_load_page(sk, page, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
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

/* Conservative update of one key. */
static void
sketch_increment(DfSketch *sk, uint64 hash)
{
	uint32		est = df_sketch_estimate(sk, hash);

	if (est >= PG_UINT16_MAX)
		return;
	for (int r = 0; r < DF_SKETCH_DEPTH; r++)
	{
		uint32		s = slot(hash, r);

		if (sk->counters[s] == est)
		{
			sk->counters[s]++;
			sk->page_dirty[s / DF_PAGE_COUNTERS] = true;
		}
	}
}

/* splitmix64's finaliser: spreads a combined key over all 64 bits. */
static inline uint64
mix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* The key of a feature counted within a source. */
static inline uint64
source_key(uint64 feature, uint64 source)
{
	return mix64(feature ^ (source * UINT64CONST(0x9e3779b97f4a7c15)));
}

/* The key under which a source's documents are counted. */
static inline uint64
source_docs_key(uint64 source)
{
	return mix64(source + UINT64CONST(0x5167D0C5));
}

/* The hash of a source (product and type); 0 means none. */
uint64
df_sketch_source(const char *product, const char *type)
{
	StringInfoData buf;
	uint64		h;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s\x1f%s", product ? product : "", type ? type : "");
	h = hash_bytes_extended((const unsigned char *) buf.data, buf.len,
							UINT64CONST(0x5167A05C));
	pfree(buf.data);
	return h ? h : 1;
}

/*
 * Count one document with the given (distinct) features, for the team and,
 * when source is not 0, for the source.
 */
void
df_sketch_add_document(DfSketch *sk, const GFeatureSet *fs, uint64 source)
{
	for (int i = 0; i < fs->n; i++)
	{
		sketch_increment(sk, fs->f[i].hash);
		if (source != 0)
			sketch_increment(sk, source_key(fs->f[i].hash, source));
	}
	if (source != 0)
		sketch_increment(sk, source_docs_key(source));
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

/* Smoothed inverse document frequency among n documents. */
static double
idf_of(double n, uint32 df)
{
	return log((n + IDF_PRIOR_DOCS) / ((double) df + 1.0));
}

/* Smoothed inverse document frequency in the team, capped. */
float
grouping_idf(const DfSketch *sk, uint32 df)
{
	double		idf = Min(idf_of(sk->n_docs, df), IDF_CAP);

	return (float) Max(idf, IDF_FLOOR);
}

/*
 * Set df and weight of every feature from the sketch: the team's df, and
 * the weight from the lesser of the team's and the source's idf (source 0:
 * the team's alone).
 */
void
grouping_weigh_features(const DfSketch *sk, GFeatureSet *fs, uint64 source)
{
	double		n_source = 0;

	if (source != 0)
		n_source = Min(df_sketch_estimate(sk, source_docs_key(source)), (uint32) sk->n_docs);
	for (int i = 0; i < fs->n; i++)
	{
		GFeature   *f = &fs->f[i];
		double		idf;

		f->df = df_sketch_estimate(sk, f->hash);
		idf = Min(idf_of(sk->n_docs, f->df), IDF_CAP);
		if (source != 0)
			idf = Min(idf, idf_of(n_source, df_sketch_estimate(sk, source_key(f->hash, source))));
		f->weight = kind_boost[f->kind] * (float) Max(idf, IDF_FLOOR);
	}
}

/* The weight of a feature of the given kind and document frequency. */
float
grouping_feature_weight(const DfSketch *sk, int kind, uint32 df)
{
	return kind_boost[kind] * grouping_idf(sk, df);
}
