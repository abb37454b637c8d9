/*-------------------------------------------------------------------------
 *
 * shingle.c
 *	  Features of a text: words, two-word phrases and error signatures.
 *
 * From the token stream of text_normalize.c, every content word is a WORD
 * feature and every two adjacent content words of one clause a PHRASE
 * ("pdf export", "reverse charge").  Identifiers, file names, exception
 * names and error codes are features of their own kinds, which weigh more
 * (see df_sketch.c).  Each feature is a 64-bit hash of its kind and text;
 * a text's features are distinct and kept in order of appearance, at most
 * GROUPING_MAX_FEATURES of them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"

#include "grouping.h"

static const char *const kind_names[GF_NKINDS] = {
	"word", "phrase", "identifier", "file", "exception", "code"
};

/* The name of a feature kind, as match evidence shows it. */
const char *
grouping_kind_name(int kind)
{
	if (kind < 0 || kind >= GF_NKINDS)
		return "unknown";
	return kind_names[kind];
}

static uint64
feature_hash(int kind, const char *text)
{
	return hash_bytes_extended((const unsigned char *) text, strlen(text),
							   UINT64CONST(0x5167A0000000) + kind);
}

static void
add_feature(GFeatureSet *out, int kind, const char *text)
{
	uint64		h;

	if (out->n >= GROUPING_MAX_FEATURES)
		return;
	h = feature_hash(kind, text);
	for (int i = 0; i < out->n; i++)
		if (out->f[i].hash == h)
			return;
	if (out->n >= out->cap)
	{
		out->cap = out->cap ? out->cap * 2 : 32;
		out->f = out->f ? repalloc(out->f, out->cap * sizeof(GFeature))
			: palloc(out->cap * sizeof(GFeature));
	}
	out->f[out->n].hash = h;
	out->f[out->n].kind = kind;
	out->f[out->n].text = text;
	out->f[out->n].df = 0;
	out->f[out->n].weight = 0;
	out->n++;
}

/* The features of text[0..len), appended to out (normally empty). */
void
grouping_extract_features(const char *text, int len, GFeatureSet *out)
{
	GTokenList	toks = {0};
	const char *prev = NULL;

	grouping_tokenize(text, len, &toks);
	for (int i = 0; i < toks.n; i++)
	{
		GToken	   *t = &toks.t[i];

		switch (t->kind)
		{
			case GT_BREAK:
				prev = NULL;
				break;
			case GT_WORD:
			case GT_SUBWORD:
				add_feature(out, GF_WORD, t->text);
				if (prev && strcmp(prev, t->text) != 0)
					add_feature(out, GF_PHRASE, psprintf("%s %s", prev, t->text));
				prev = t->text;
				break;
			case GT_COMPOUND:
			case GT_PATHWORD:
				add_feature(out, GF_WORD, t->text);
				break;
			case GT_IDENT:
				add_feature(out, GF_IDENT, t->text);
				break;
			case GT_FILE:
				add_feature(out, GF_FILE, t->text);
				break;
			case GT_EXCEPTION:
				add_feature(out, GF_EXCEPTION, t->text);
				break;
			case GT_CODE:
				add_feature(out, GF_CODE, t->text);
				break;
		}
	}
}
