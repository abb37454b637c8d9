/*-------------------------------------------------------------------------
 *
 * grouping.h
 *	  Declarations shared by the grouping engine's files: text features,
 *	  the per-team document-frequency sketch, report profiles and scoring.
 *
 * A signal's text becomes a set of features (words, two-word phrases and
 * error signatures), each a 64-bit hash.  Features are weighed by how rare
 * they are within the team (inverse document frequency from a count-min
 * sketch, for the team and for the signal's source) and by their kind.  A
 * report keeps a profile: the features of its signals with how many signals
 * carried each.  A signal joins the report with which it shares the most
 * rare evidence, when that evidence is strong enough.
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
	GF_NKINDS
} GFeatureKind;

/* One feature of one text. */
typedef struct GFeature
{
	uint64		hash;
	uint8		kind;
	const char *text;			/* normalised text, for explanations */
	uint32		df;				/* team document frequency before this text */
	float		weight;			/* kind boost times idf */
	int16		part[2];		/* a phrase's two words (indexes), else -1 */
} GFeature;

/* The features of one text, distinct by hash, in order of appearance. */
typedef struct GFeatureSet
{
	int			n;
	int			cap;
	GFeature   *f;
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
extern const char *grouping_kind_name(int kind);

/* df_sketch.c: per-team document frequencies (count-min sketch) */
#define DF_SKETCH_DEPTH 2
#define DF_SKETCH_WIDTH 65536	/* counters per row */
#define DF_PAGE_COUNTERS 512	/* counters per stored page */
#define DF_SKETCH_PAGES (DF_SKETCH_DEPTH * DF_SKETCH_WIDTH / DF_PAGE_COUNTERS)
#define DF_DECAY_DOCS 16384		/* halve every count when this many documents */

typedef struct DfSketch
{
	uint16	   *counters;		/* DEPTH * WIDTH */
	bool	   *page_dirty;		/* DF_SKETCH_PAGES */
	int32		n_docs;			/* documents counted (halved on decay) */
	int64		total_docs;		/* documents ever counted */
	bool		state_dirty;
} DfSketch;

extern DfSketch *df_sketch_create(void);
extern void df_sketch_load_page(DfSketch *sk, int page, const char *data, int len);
extern void df_sketch_load_spi_rows(DfSketch *sk);
extern uint32 df_sketch_estimate(const DfSketch *sk, uint64 hash);
extern uint64 df_sketch_source(const char *product, const char *type);
extern void df_sketch_add_document(DfSketch *sk, const GFeatureSet *fs, uint64 source);
extern float grouping_idf(const DfSketch *sk, uint32 df);
extern void grouping_weigh_features(const DfSketch *sk, GFeatureSet *fs, uint64 source);
extern float grouping_feature_weight(const DfSketch *sk, int kind, uint32 df);

/* report_profile.c: the features of a report's signals */
typedef struct ProfileEntry
{
	uint64		hash;
	uint16		count;			/* signals of the report that carried it */
	uint8		posted;			/* written to the candidate index */
	uint8		kind;
} ProfileEntry;

typedef struct ReportProfile
{
	int			n;
	int			cap;
	int32		n_signals;
	ProfileEntry *e;			/* sorted by hash */
} ReportProfile;

#define PROFILE_MAX_ENTRIES 160

extern void report_profile_init(ReportProfile *p);
extern void report_profile_parse(ReportProfile *p, const char *data, int len, int32 n_signals);
extern bytea *report_profile_serialize(const ReportProfile *p);
extern ProfileEntry *report_profile_find(const ReportProfile *p, uint64 hash);
extern void report_profile_add_signal(ReportProfile *p, const GFeatureSet *fs);

/* Evidence for a score: the shared features that weigh most. */
#define SCORE_TOP_SHARED 5
typedef struct ScoreDetail
{
	float		score;
	float		evidence;		/* shared evidence, after conflicts */
	int			n_shared;
	int			top[SCORE_TOP_SHARED];	/* indexes into the signal's features */
	float		top_weight[SCORE_TOP_SHARED];
} ScoreDetail;

extern float report_profile_score(const ReportProfile *p, const GFeatureSet *fs,
								  ScoreDetail *detail);

/* grouping_guc.c: settings */
extern double grouping_similarity_threshold;
extern double grouping_promote_weight;
extern int	grouping_window_days;

#endif							/* GROUPING_H */
