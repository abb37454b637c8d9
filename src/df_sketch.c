/*-------------------------------------------------------------------------
 *
 * df_sketch.c
 *	  Per-team document frequencies of signal features, and feature weights.
 *
 * A count-min sketch (DF_SKETCH_DEPTH rows, conservative update, 16-bit
 * counters) counts, for every feature hash, how many of the team's signals
 * carried it; each feature is also counted under its hash mixed with the
 * signal's source (product and type), each source's documents under a key
 * of their own, and each line of a signal (normalised) within its source,
 * which is how issue-template lines are recognised.
 *
 * The sketch grows with the team: a new team starts with DF_MIN_WIDTH
 * counters a row (4 KB in all), and when half of the first row is in use
 * the width doubles, each counter copied to both of its new places (a
 * count-min estimate stays an upper bound), up to DF_MAX_WIDTH.  Distinct
 * features grow more slowly than signals, so storage does too.  It is
 * stored as pages of DF_PAGE_COUNTERS counters and only the pages a call
 * changed are written back: a signal writes in proportion to its features.
 * When DF_DECAY_DOCS documents have been counted, every counter and the
 * document count are halved: frequencies describe the team's recent
 * signals.
 *
 * A feature's weight is its kind's boost, times 1.5 in the title, times its
 * inverse document frequency, blended with a prior so that a team's first
 * signals are weighed sensibly:
 *     idf = ln((N + PRIOR_DOCS) / (df + PRIOR_DOCS * p + 1))
 * where p is the share of general English documents that hold the word
 * (from its SCOWL size class, word_prior.c; 0 for identifiers, codes and
 * words no dictionary lists).  "the", "window" or "crash" are common from
 * the first signal; "ligatures" or "0xc0000409" are rare until the team
 * shows otherwise.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"

#include "grouping.h"

#define PRIOR_DOCS 1000.0
#define IDF_FLOOR 0.05
#define TITLE_BOOST 1.5
#define TEMPLATE_LINE_DF 2		/* a line in this many earlier signals is template */
#define LINE_SALT UINT64CONST(0x51671111E5)

/* Share of documents holding a word of each SCOWL size class (word_prior.c). */
static const double prior_share[] = {0, 0.1, 0.03, 0.01, 0.004, 0.003, 0.0015, 0.001, 0.0005, 0.0003};

/* How much each kind of feature weighs, on top of its rarity. */
static const float kind_boost[GF_NKINDS] = {
	[GF_WORD] = 1.0f,
	[GF_PHRASE] = 1.0f,
	[GF_IDENT] = 1.5f,
	[GF_FILE] = 1.5f,
	[GF_EXCEPTION] = 2.0f,
	[GF_CODE] = 2.0f,
	[GF_ROUTE] = 1.5f,
	[GF_STATUS] = 2.0f,
};

/* An empty sketch of the given width (0: a new team's). */
DfSketch *
df_sketch_create(int32 width)
{
	DfSketch   *sk = palloc0(sizeof(DfSketch));

	if (width < DF_MIN_WIDTH || width > DF_MAX_WIDTH || (width & (width - 1)) != 0)
		width = DF_MIN_WIDTH;
	sk->width = width;
	sk->counters = palloc0(sizeof(uint16) * DF_SKETCH_DEPTH * width);
	sk->n_pages = DF_SKETCH_DEPTH * width / DF_PAGE_COUNTERS;
	sk->page_dirty = palloc0(sizeof(bool) * sk->n_pages);
	return sk;
}

/* Fill one page from its stored form (little-endian 16-bit counters). */
static void
df_sketch_load_page(DfSketch *sk, int page, const char *data, int len)
{
	uint16	   *c;

	if (page < 0 || page >= sk->n_pages || len != DF_PAGE_COUNTERS * 2)
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
	sk->row0_used = 0;
	for (int i = 0; i < sk->width; i++)
		if (sk->counters[i] != 0)
			sk->row0_used++;
}

static inline uint32
slot(const DfSketch *sk, uint64 hash, int row)
{
	return row * sk->width + (uint32) ((hash >> (32 * row)) & (sk->width - 1));
}

/* Double the width: every counter goes to both of its new places. */
static void
sketch_grow(DfSketch *sk)
{
	int32		w = sk->width;
	uint16	   *grown = palloc(sizeof(uint16) * DF_SKETCH_DEPTH * 2 * w);

	for (int r = 0; r < DF_SKETCH_DEPTH; r++)
	{
		memcpy(grown + r * 2 * w, sk->counters + r * w, sizeof(uint16) * w);
		memcpy(grown + r * 2 * w + w, sk->counters + r * w, sizeof(uint16) * w);
	}
	pfree(sk->counters);
	pfree(sk->page_dirty);
	sk->counters = grown;
	sk->width = 2 * w;
	sk->n_pages = DF_SKETCH_DEPTH * sk->width / DF_PAGE_COUNTERS;
	sk->page_dirty = palloc(sizeof(bool) * sk->n_pages);
	memset(sk->page_dirty, true, sizeof(bool) * sk->n_pages);
	sk->row0_used *= 2;
	sk->state_dirty = true;
}

/* The feature's estimated document frequency. */
uint32
df_sketch_estimate(const DfSketch *sk, uint64 hash)
{
	uint32		m = PG_UINT16_MAX;

	for (int r = 0; r < DF_SKETCH_DEPTH; r++)
		m = Min(m, sk->counters[slot(sk, hash, r)]);
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
		uint32		s = slot(sk, hash, r);

		if (sk->counters[s] == est)
		{
			if (r == 0 && est == 0)
				sk->row0_used++;
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

/* The key of a line of text counted within a source. */
static inline uint64
line_key(uint64 line_hash, uint64 source)
{
	return source_key(line_hash ^ LINE_SALT, source);
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
	for (int l = 1; l < fs->n_lines; l++)
		if (fs->line_hash[l] != 0)
			sketch_increment(sk, line_key(fs->line_hash[l], source));
	if (source != 0)
		sketch_increment(sk, source_docs_key(source));
	sk->n_docs++;
	sk->total_docs++;
	sk->state_dirty = true;

	if (sk->n_docs >= DF_DECAY_DOCS)
	{
		sk->row0_used = 0;
		for (int i = 0; i < DF_SKETCH_DEPTH * sk->width; i++)
		{
			sk->counters[i] >>= 1;
			if (i < sk->width && sk->counters[i] != 0)
				sk->row0_used++;
		}
		memset(sk->page_dirty, true, sizeof(bool) * sk->n_pages);
		sk->n_docs /= 2;
	}
	if (sk->row0_used > sk->width / 2 && sk->width < DF_MAX_WIDTH)
		sketch_grow(sk);
}

/*
 * Mark the lines of a signal that recur in TEMPLATE_LINE_DF earlier signals
 * of its source: issue-template text, whose features are not evidence.  The
 * title (line 0) never is.
 */
void
grouping_mark_template_lines(const DfSketch *sk, GFeatureSet *fs, uint64 source)
{
	fs->template_lines = 0;
	for (int l = 1; l < fs->n_lines; l++)
		if (fs->line_hash[l] != 0 &&
			df_sketch_estimate(sk, line_key(fs->line_hash[l], source)) >= TEMPLATE_LINE_DF)
			fs->template_lines |= UINT64CONST(1) << l;
}

/* The weight of a feature: kind boost, title boost, idf blended with the prior. */
float
grouping_weight(const DfSketch *sk, int kind, bool in_title, uint8 prior, uint32 df)
{
	double		p = prior < lengthof(prior_share) ? prior_share[prior] : 0;
	double		idf = log((sk->n_docs + PRIOR_DOCS) / ((double) df + PRIOR_DOCS * p + 1.0));

	return kind_boost[kind] * (in_title ? TITLE_BOOST : 1.0f) * (float) Max(idf, IDF_FLOOR);
}

/*
 * Set df and weight of every feature from the sketch; features found only
 * in template lines weigh nothing.
 */
void
grouping_weigh_features(const DfSketch *sk, GFeatureSet *fs)
{
	for (int i = 0; i < fs->n; i++)
	{
		GFeature   *f = &fs->f[i];

		f->df = df_sketch_estimate(sk, f->hash);
		if ((f->lines & ~fs->template_lines) == 0)
			f->weight = 0;
		else
			f->weight = grouping_weight(sk, f->kind, f->in_title, f->prior, f->df);
	}
}
