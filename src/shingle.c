/*-------------------------------------------------------------------------
 *
 * shingle.c
 *	  Features of a text: words, two-word phrases and error signatures.
 *
 * From the token stream of text_normalize.c, every content word is a WORD
 * feature and every two adjacent content words of one clause a PHRASE
 * ("pdf export", "reverse charge"), which remembers its two words.
 * Identifiers, file names, exception names, error codes and HTTP routes
 * are features of their own kinds, which weigh more (see df_sketch.c).  Each feature is a 64-bit hash of its kind and text;
 * a text's features are distinct and kept in order of appearance, at most
 * GROUPING_MAX_FEATURES of them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/hashfn.h"

#include "grouping.h"

static const char *const kind_names[GF_NKINDS] = {
	"word", "phrase", "identifier", "file", "exception", "code", "route", "status"
};

/* The name of a feature kind, as match evidence shows it. */
const char *
grouping_kind_name(int kind)
{
	if (kind < 0 || kind >= GF_NKINDS)
		return "unknown";
	return kind_names[kind];
}

/* The hash of a feature of the given kind and normalised text. */
uint64
grouping_feature_hash(int kind, const char *text)
{
	return hash_bytes_extended((const unsigned char *) text, strlen(text),
							   UINT64CONST(0x5167A0000000) + kind);
}

/* Add a feature (once); its index, or -1 when the set is full. */
static int
add_feature(GFeatureSet *out, int kind, const char *text)
{
	uint64		h;

	h = grouping_feature_hash(kind, text);
	for (int i = 0; i < out->n; i++)
		if (out->f[i].hash == h)
			return i;
	if (out->n >= GROUPING_MAX_FEATURES)
		return -1;
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
	out->f[out->n].part[0] = -1;
	out->f[out->n].part[1] = -1;
	out->f[out->n].in_title = false;
	out->f[out->n].prior = kind == GF_WORD ? grouping_word_prior(h) : 0;
	out->f[out->n].lines = 0;
	return out->n++;
}

/* A phrase of two dictionary words is about ten times rarer than its rarer word. */
static uint8
phrase_prior(uint8 a, uint8 b)
{
	if (a == 0 || b == 0)
		return 0;
	return Min(Max(a, b) + 2, 9);
}

/* Note that feature i was found in line l. */
static void
found_in_line(GFeatureSet *out, int i, int l)
{
	if (i < 0)
		return;
	out->f[i].lines |= UINT64CONST(1) << l;
	if (l == 0)
		out->f[i].in_title = true;
}

/*
 * Structure, not content: markdown headings, task-list check boxes, labels
 * in bold alone on their line and HTML comments (issue templates are made
 * of them).
 */
static bool
is_structural_line(const char *s, int len)
{
	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '>'))
		s++, len--;
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	if (len == 0)
		return true;
	if (s[0] == '#' && len > 1 && (s[1] == '#' || s[1] == ' '))
		return true;
	if ((s[0] == '-' || s[0] == '*' || s[0] == '+') && len >= 5 &&
		s[1] == ' ' && s[2] == '[' && s[4] == ']' &&
		(s[3] == ' ' || s[3] == 'x' || s[3] == 'X'))
		return true;
	if (len >= 4 && strncmp(s, "<!--", 4) == 0)
		return true;
	if (len > 4 && strncmp(s, "**", 2) == 0)
	{
		int			end = len;

		if (s[end - 1] == ':')
			end--;
		if (end > 4 && strncmp(s + end - 2, "**", 2) == 0 &&
			memchr(s + 2, '*', end - 4) == NULL)
			return true;
	}
	return false;
}

/* A line's hash, case, punctuation and digits aside; 0 when it has no letters. */
static uint64
line_hash(const char *s, int len)
{
	char	   *norm = palloc(len + 1);
	int			n = 0;
	bool		letters = false;
	uint64		h;

	for (int i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if (isalpha(c) || c >= 0x80)
		{
			norm[n++] = tolower(c);
			letters = true;
		}
		else if (isdigit(c))
		{
			if (n == 0 || norm[n - 1] != '#')
				norm[n++] = '#';
		}
		else if (n > 0 && norm[n - 1] != ' ')
			norm[n++] = ' ';
	}
	h = letters ? hash_bytes_extended((unsigned char *) norm, n, UINT64CONST(0x51671AE5)) : 0;
	pfree(norm);
	return h ? h : (letters ? 1 : 0);
}

/* The features of one line (number l) of a text, added to out. */
static void
extract_line(const char *text, int len, int l, GFeatureSet *out)
{
	GTokenList	toks = {0};
	const char *prev = NULL;
	int			prev_i = -1;

	grouping_tokenize(text, len, &toks);
	for (int i = 0; i < toks.n; i++)
	{
		GToken	   *t = &toks.t[i];
		int			kind = -1;

		switch (t->kind)
		{
			case GT_BREAK:
				prev = NULL;
				break;
			case GT_WORD:
			case GT_SUBWORD:
				{
					int			w = add_feature(out, GF_WORD, t->text);

					found_in_line(out, w, l);
					if (prev && strcmp(prev, t->text) != 0)
					{
						int			ph = add_feature(out, GF_PHRASE,
													 psprintf("%s %s", prev, t->text));

						if (ph >= 0 && out->f[ph].part[0] < 0)
						{
							out->f[ph].part[0] = prev_i;
							out->f[ph].part[1] = w;
							if (prev_i >= 0 && w >= 0)
								out->f[ph].prior = phrase_prior(out->f[prev_i].prior,
																out->f[w].prior);
						}
						found_in_line(out, ph, l);
					}
					prev = t->text;
					prev_i = w;
				}
				break;
			case GT_COMPOUND:
			case GT_PATHWORD:
				kind = GF_WORD;
				break;
			case GT_IDENT:
				kind = GF_IDENT;
				break;
			case GT_FILE:
				kind = GF_FILE;
				break;
			case GT_EXCEPTION:
				kind = GF_EXCEPTION;
				break;
			case GT_CODE:
				kind = GF_CODE;
				break;
			case GT_STATUS:
				kind = GF_STATUS;
				break;
			case GT_ROUTE:
				kind = GF_ROUTE;
				break;
		}
		if (kind >= 0)
			found_in_line(out, add_feature(out, kind, t->text), l);
	}
}

/*
 * The features of text[0..len), appended to out (normally empty), line by
 * line: the first line with content is the title (line 0); structural
 * lines give nothing; every other line's hash is kept, so that lines that
 * recur across a source's signals can be told apart as template text.
 */
void
grouping_extract_features(const char *text, int len, GFeatureSet *out)
{
	int			pos = 0;

	if (len > GROUPING_MAX_TEXT_BYTES)
	{
		/* cut at a character boundary */
		len = GROUPING_MAX_TEXT_BYTES;
		while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
			len--;
	}
	out->n_lines = 0;
	out->template_lines = 0;
	while (pos < len)
	{
		const char *nl = memchr(text + pos, '\n', len - pos);
		int			end = nl ? (int) (nl - text) : len;
		int			l = Min(out->n_lines, GROUPING_MAX_LINES - 1);
		bool		blank = true;

		for (int i = pos; i < end && blank; i++)
			if (!isspace((unsigned char) text[i]))
				blank = false;
		if (!blank && (out->n_lines == 0 || !is_structural_line(text + pos, end - pos)))
		{
			if (out->n_lines < GROUPING_MAX_LINES)
			{
				out->line_hash[l] = l == 0 ? 0 : line_hash(text + pos, end - pos);
				out->n_lines++;
			}
			extract_line(text + pos, end - pos, l, out);
		}
		pos = end + 1;
	}
}
