/*-------------------------------------------------------------------------
 *
 * grouping.h
 *	  Declarations shared by the grouping engine's files: text features,
 *	  the per-team document-frequency sketch, report profiles and scoring.
 *
 * A signal's text becomes a set of features (words, two-word phrases and
 * error signatures), each a 64-bit hash, read line by line: the first line
 * is the title, structural lines (headings, check boxes) give nothing, and
 * lines that recur across the source's signals (issue templates) are
 * dropped when weighing.  Features are weighed by their kind and by how
 * rare they are, from the team's document frequencies (a count-min sketch
 * that grows with the team) blended with a prior of general English word
 * frequencies, so that common words are common from a team's first signal.
 * A signal is compared with individual earlier signals (its nearest
 * member decides), so a report cannot grow into a hub.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GROUPING_H
#define GROUPING_H

#include "lib/stringinfo.h"

/* Kinds of feature; the kind is mixed into the hash. */
typedef enum GFeatureKind
{
	GF_WORD = 0,				/* a stemmed content word */
	GF_PHRASE,					/* two adjacent content words */
	GF_IDENT,					/* a code identifier or product term */
	GF_FILE,					/* a source or data file name */
	GF_EXCEPTION,				/* an exception or error class name */
	GF_CODE,					/* an error code or HTTP error status */
	GF_ROUTE,					/* an HTTP route, ids replaced by :id */
	GF_STATUS,					/* a status: HTTP error, exit status, hex code */
	GF_NKINDS
} GFeatureKind;

/* Lines of a text that grouping tells apart (the last one stands for the rest). */
#define GROUPING_MAX_LINES 64

/* One feature of one text. */
typedef struct GFeature
{
	uint64		hash;
	uint8		kind;
	const char *text;			/* normalised text, for explanations */
	uint32		df;				/* team document frequency before this text */
	float		weight;			/* kind boost times idf */
	int16		part[2];		/* a phrase's two words (indexes), else -1 */
	bool		in_title;		/* found in the first line */
	uint8		prior;			/* general-English frequency class, 0: none */
	uint64		lines;			/* bit i: found in line i (bit 63: any later) */
} GFeature;

/* The features of one text, distinct by hash, in order of appearance. */
typedef struct GFeatureSet
{
	int			n;
	int			cap;
	GFeature   *f;
	int			n_lines;		/* lines read, title first */
	uint64		line_hash[GROUPING_MAX_LINES];	/* 0: structural or blank */
	uint64		template_lines; /* bit i: line i is template text (weighing) */
} GFeatureSet;

/* At most this many features per text; the text is read up to MAX bytes. */
#define GROUPING_MAX_FEATURES 96
#define GROUPING_MAX_TEXT_BYTES 4096

/* text_normalize.c: tokens of a text */
typedef enum GTokenKind
{
	GT_WORD = 0,				/* content word, already stemmed */
	GT_SUBWORD,					/* word split out of an identifier */
	GT_COMPOUND,				/* "log in" -> login: a word, never in a phrase */
	GT_PATHWORD,				/* a directory name: a word, never in a phrase */
	GT_IDENT,
	GT_FILE,
	GT_EXCEPTION,
	GT_CODE,
	GT_STATUS,
	GT_ROUTE,
	GT_BREAK					/* clause boundary: no phrase spans it */
} GTokenKind;

typedef struct GToken
{
	uint8		kind;
	char	   *text;
} GToken;

typedef struct GTokenList
{
	int			n;
	int			cap;
	GToken	   *t;
} GTokenList;

extern void grouping_tokenize(const char *text, int len, GTokenList *out);
extern void grouping_stem(char *word);
extern bool grouping_is_stopword(const char *word);

/* shingle.c: features of a text */
extern void grouping_extract_features(const char *text, int len, GFeatureSet *out);
extern uint64 grouping_feature_hash(int kind, const char *text);
extern const char *grouping_kind_name(int kind);

/* word_prior.c: general English word frequencies (SCOWL size classes) */
extern uint8 grouping_word_prior(uint64 word_hash);

/* df_sketch.c: per-team document frequencies (a count-min sketch that grows) */
#define DF_SKETCH_DEPTH 2
#define DF_MIN_WIDTH 1024		/* counters per row of a new team */
#define DF_MAX_WIDTH 65536
#define DF_PAGE_COUNTERS 512	/* counters per stored page */
#define DF_DECAY_DOCS 16384		/* halve every count when this many documents */

typedef struct DfSketch
{
	int32		width;			/* counters per row, a power of two */
	uint16	   *counters;		/* DEPTH * width */
	int			n_pages;
	bool	   *page_dirty;		/* n_pages */
	int32		row0_used;		/* non-zero counters of the first row */
	int32		n_docs;			/* documents counted (halved on decay) */
	int64		total_docs;		/* documents ever counted */
	bool		state_dirty;
} DfSketch;

extern DfSketch *df_sketch_create(int32 width);
extern void df_sketch_load_spi_rows(DfSketch *sk);
extern uint32 df_sketch_estimate(const DfSketch *sk, uint64 hash);
extern uint64 df_sketch_source(const char *product, const char *type);
extern void df_sketch_add_document(DfSketch *sk, const GFeatureSet *fs, uint64 source);
extern void grouping_mark_template_lines(const DfSketch *sk, GFeatureSet *fs, uint64 source);
extern void grouping_weigh_features(const DfSketch *sk, GFeatureSet *fs);
extern float grouping_weight(const DfSketch *sk, int kind, bool in_title, uint8 prior,
							 uint32 df);

/* signal_match.c: an earlier signal's stored features, and the score against it */
typedef struct MemberFeature
{
	uint64		hash;
	uint8		kind;
	uint8		prior;
	bool		in_title;
} MemberFeature;

typedef struct MemberFeatures
{
	int			n;
	MemberFeature *f;			/* sorted by hash */
} MemberFeatures;

extern bytea *member_features_serialize(const GFeatureSet *fs);
extern void member_features_parse(MemberFeatures *m, const char *data, int len);
extern void member_features_from_set(MemberFeatures *m, const GFeatureSet *fs);

/* Evidence for a score: the shared features that weigh most. */
#define SCORE_TOP_SHARED 5
typedef struct ScoreDetail
{
	float		score;
	float		evidence;		/* weight of the shared features */
	int			n_shared;
	int			top[SCORE_TOP_SHARED];	/* indexes into the signal's features */
	float		top_weight[SCORE_TOP_SHARED];
	const char *conflict;		/* why the score was cut, or NULL */
} ScoreDetail;

extern float member_score(const DfSketch *sk, const MemberFeatures *m,
						  const GFeatureSet *fs, ScoreDetail *detail);

/* grouping_guc.c: settings */
extern double grouping_similarity_threshold;
extern double grouping_promote_weight;
extern double grouping_judge_band_low;
extern double grouping_judge_band_high;
extern int	grouping_window_days;

#endif							/* GROUPING_H */
