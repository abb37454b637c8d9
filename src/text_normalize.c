/*-------------------------------------------------------------------------
 *
 * text_normalize.c
 *	  Turn a signal's text into normalised tokens for grouping.
 *
 * The text is split into chunks at white space and punctuation that never
 * occurs inside code names.  Each chunk is classified:
 *   - URLs are read as their words; e-mail addresses are dropped;
 *   - paths and file names (a known extension, optionally :line:col) give a
 *     FILE token for the base name, and words for its parts;
 *   - CamelCase, snake_case, dotted and called (name() names give an
 *     IDENT token, or EXCEPTION when the name ends like an error class
 *     (TypeError, NullPointerException, ...), and words for their parts;
 *   - CONSTANT_CASE names and short letter-digit codes (E11000, 42P01) give
 *     CODE tokens, and so do HTTP error statuses 400..599;
 *   - HTTP routes (/api/v1/invoices) give a ROUTE token, id-like segments
 *     replaced by ":id", and words for their parts;
 *   - measurements (30s, 250ms, 8MB, 2x) are dropped like other numbers;
 *   - other numbers, hex strings, UUIDs and long letter-digit ids are
 *     dropped, so that duplicates differing only in ids and counts agree;
 *   - every other word is lower-cased, dropped if a stop word, and stemmed
 *     with a light suffix stripper (plurals, -ed, -ing, -ly, -ment, -ation,
 *     a final e), so that paraphrases ("uploads", "uploading") agree.
 * A word followed by a particle ("log in", "sign up", "check out") also
 * gives the compound ("login", "signup", "checkout").  Clause punctuation
 * and line ends give BREAK tokens, which two-word phrases never span.
 *
 * Everything is byte-oriented: ASCII is case-folded and classified, other
 * bytes (UTF-8 sequences) count as letters and are kept as they are.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"

#include "grouping.h"

/* Longest word kept; longer runs are treated as noise. */
#define MAX_WORD_BYTES 48
/* Most tokens taken from one text. */
#define MAX_TOKENS 600

static const char *const stopwords[] = {
	"a", "about", "above", "after", "again", "against", "all", "also", "am",
	"an", "and", "any", "anyone", "anything", "are", "aren", "as", "at",
	"be", "because", "been", "before", "being", "below", "between", "both",
	"but", "by", "can", "cannot", "cant", "com", "could", "couldn", "did",
	"didn", "do", "does", "doesn", "doing", "don", "dont", "down", "during",
	"e", "each", "eg", "either", "else", "etc", "even", "ever", "every", "few",
	"for", "from", "further", "get", "gets", "getting", "got", "had", "hadn",
	"has", "hasn", "have", "haven", "having", "he", "hello", "her", "here",
	"hers", "hey", "hi", "him", "his", "how", "however", "i", "ie", "if",
	"im", "in", "into", "is", "isn", "it", "its", "itself", "ive", "just",
	"let", "ll", "me", "might", "more", "most", "much", "must", "my",
	"myself", "need", "needs", "no", "nor", "not", "now", "of", "off", "ok",
	"okay", "on", "once", "one", "only", "or", "other", "our", "ours", "out",
	"over", "own", "please", "pls", "re", "really", "s", "same", "seem",
	"seems", "shall", "she", "should", "shouldn", "since", "so", "some",
	"someone", "something", "still", "such", "sure", "t", "than", "thank",
	"thanks", "that", "thats", "the", "their", "theirs", "them", "then",
	"there", "these", "they", "this", "those", "though", "through", "thx",
	"to", "too", "under", "until", "up", "us", "ve", "very", "via", "was",
	"wasn", "way", "we", "were", "weren", "what", "when", "where", "whether",
	"which", "while", "who", "whom", "why", "will", "with", "within",
	"without", "won", "would", "wouldn", "www", "yes", "yet", "you", "your",
	"yours", "yourself"
};

/* Particles that form compounds with the word before them. */
static const char *const particles[] = {
	"back", "down", "in", "off", "on", "out", "over", "up"
};

/* Verb-particle compounds worth joining ("log in" -> login). */
static const char *const compounds[] = {
	"addon", "backup", "breakdown", "callback", "checkin", "checkout",
	"cleanup", "countdown", "dropdown", "failover", "fallback", "feedback",
	"followup", "handover", "layout", "lockout", "login", "logoff", "logon",
	"logout", "lookup", "optin", "optout", "pickup", "plugin", "popup",
	"printout", "rollback", "rollout", "setup", "shutdown", "signin",
	"signoff", "signon", "signout", "signup", "startup", "takeover",
	"timeout", "timout"
};

/*
 * A small thesaurus of everyday support-ticket vocabulary (after stemming):
 * spelling variants, acronyms and plain synonyms that different people use
 * for one thing.  Generic on purpose: it names no product, and a word maps
 * only when its senses in bug reports agree (so no "grey" = disabled, no
 * "download" = export, no "white" = blank: true in one product, not in
 * general).
 */
static const struct
{
	const char *from;
	const char *to;
}			thesaurus[] = {
	{"2fa", "mfa"}, {"answer", "reply"},
	{"big", "larg"}, {"client", "customer"}, {"doubl", "duplicat"},
	{"empty", "blank"}, {"freez", "hang"},
	{"hug", "larg"},
	{"imag", "pictur"}, {"inaccurat", "wrong"}, {"incorrect", "wrong"},
	{"logoff", "logout"}, {"logon", "login"}, {"mail", "email"},
	{"modal", "popup"}, {"paid", "pay"},
	{"photo", "pictur"}, {"remov", "delet"}, {"respond", "reply"},
	{"signin", "login"}, {"signon", "sso"},
	{"signout", "logout"}, {"timout", "timeout"},
	{"twofactor", "mfa"}, {"unrespons", "hang"},
	{"unresponsiv", "hang"}
};

/* Units after a number ("30s", "8.4MB", "60min"): a measurement, not a name. */
static const char *const units[] = {
	"b", "d", "day", "days", "gb", "gib", "h", "hr", "hrs", "k", "kb", "kib",
	"m", "mb", "mib", "min", "mins", "ms", "ns", "px", "s", "sec", "secs", "tb",
	"us", "w", "x"
};

/* File extensions that make "name.ext" a file name. */
static const char *const file_exts[] = {
	"c", "cc", "cjs", "cpp", "cs", "css", "csv", "dart", "erl", "ex", "exs",
	"go", "h", "hpp", "htm", "html", "java", "jpeg", "jpg", "js", "json",
	"jsx", "kt", "kts", "log", "m", "mjs", "mm", "pdf", "php", "png", "py",
	"rb", "rs", "scala", "scss", "sh", "sql", "svelte", "swift", "toml", "ts",
	"tsx", "txt", "vue", "xls", "xlsx", "xml", "yaml", "yml", "zip"
};

/* Name endings that mark an exception or error class. */
static const char *const exception_suffixes[] = {
	"error", "exception", "exceeded", "detected", "failure", "fault",
	"timeout", "violation", "unsuccessful", "rejection", "interrupted",
	"overflow", "refused", "denied", "notfound", "invalid"
};

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static bool
in_sorted_list(const char *word, const char *const *list, size_t n)
{
	return bsearch(&word, list, n, sizeof(char *), cmp_cstr) != NULL;
}

/* Whether the lower-case word is a stop word. */
bool
grouping_is_stopword(const char *word)
{
	return in_sorted_list(word, stopwords, lengthof(stopwords));
}

static bool
is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static bool
has_vowel(const char *w, int len)
{
	for (int i = 0; i < len; i++)
		if (is_vowel(w[i]))
			return true;
	return false;
}

static bool
ends_with(const char *w, int len, const char *suffix)
{
	int			slen = strlen(suffix);

	return len >= slen && memcmp(w + len - slen, suffix, slen) == 0;
}

/*
 * Light stemmer for lower-case English words, in place.  It aims at making
 * the inflections of one word agree, not at linguistic roots.
 */
static void stem_word(char *w, bool full);

void
grouping_stem(char *w)
{
	stem_word(w, true);
}

/*
 * full = false strips only inflections (plural, -ed, -ing), for the first
 * word of a compound: "times out" -> time + out -> timeout.
 */
static void
stem_word(char *w, bool full)
{
	int			len = strlen(w);
	bool		stripped_verb = false;

	if (len <= 3)
		return;
	for (int i = 0; i < len; i++)
		if ((unsigned char) w[i] >= 0x80)
			return;				/* leave non-ASCII words alone */

	/* plurals */
	if (ends_with(w, len, "sses"))
		len -= 2;
	else if (ends_with(w, len, "ies") && len > 4)
	{
		len -= 3;
		w[len++] = 'y';
	}
	else if (w[len - 1] == 's' && !ends_with(w, len, "ss") &&
			 !ends_with(w, len, "us") && !ends_with(w, len, "is"))
		len -= 1;

	/* verb endings */
	if (ends_with(w, len, "ing") && len - 3 >= 3 && has_vowel(w, len - 3))
	{
		len -= 3;
		stripped_verb = true;
	}
	else if (ends_with(w, len, "ied") && len > 4)
	{
		len -= 3;
		w[len++] = 'y';
	}
	else if (ends_with(w, len, "ed") && !ends_with(w, len, "eed") &&
			 len - 2 >= 3 && has_vowel(w, len - 2))
	{
		len -= 2;
		stripped_verb = true;
	}
	if (stripped_verb && len >= 2 && w[len - 1] == w[len - 2] &&
		!is_vowel(w[len - 1]) && w[len - 1] != 'l' && w[len - 1] != 's' &&
		w[len - 1] != 'z')
		len -= 1;

	if (!full)
	{
		w[len] = '\0';
		return;
	}

	/* a few derivational endings */
	if (ends_with(w, len, "ation") && len - 5 >= 4)
		len -= 4;				/* validation -> validat(e) */
	else if (ends_with(w, len, "ment") && len - 4 >= 4)
		len -= 4;
	else if (ends_with(w, len, "ly") && len - 2 >= 4)
		len -= 2;

	/* a final e: save, saves, saved and saving agree */
	if (len > 3 && w[len - 1] == 'e')
		len -= 1;

	w[len] = '\0';
}

static void
emit(GTokenList *out, GTokenKind kind, const char *text, int len)
{
	if (out->n >= MAX_TOKENS)
		return;
	if (out->n >= out->cap)
	{
		out->cap = out->cap ? out->cap * 2 : 64;
		out->t = out->t ? repalloc(out->t, out->cap * sizeof(GToken))
			: palloc(out->cap * sizeof(GToken));
	}
	out->t[out->n].kind = kind;
	out->t[out->n].text = text ? pnstrdup(text, len) : NULL;
	out->n++;
}

static void
emit_break(GTokenList *out)
{
	if (out->n > 0 && out->t[out->n - 1].kind != GT_BREAK)
		emit(out, GT_BREAK, NULL, 0);
}

/* Lower-case copy of s[0..len). */
static char *
lower_copy(const char *s, int len)
{
	char	   *r = palloc(len + 1);

	for (int i = 0; i < len; i++)
		r[i] = pg_ascii_tolower((unsigned char) s[i]);
	r[len] = '\0';
	return r;
}

static int
cmp_thesaurus(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The thesaurus' word for a stemmed word (the word itself if none). */
static const char *
canonical(const char *w)
{
	const char *const *hit = bsearch(&w, thesaurus, lengthof(thesaurus),
									 sizeof(thesaurus[0]), cmp_thesaurus);

	return hit ? hit[1] : w;
}

/* Emit a plain word (any case): stop words dropped, the rest stemmed. */
static void
emit_word(GTokenList *out, GTokenKind kind, const char *s, int len)
{
	char	   *w;

	if (len < 2 || len > MAX_WORD_BYTES)
		return;
	w = lower_copy(s, len);
	if (grouping_is_stopword(w))
		return;
	grouping_stem(w);
	if (strlen(w) < 2 || grouping_is_stopword(w))
		return;
	w = (char *) canonical(w);
	emit(out, kind, w, strlen(w));
}

static bool
all_digits(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return len > 0;
}

static void
count_classes(const char *s, int len, int *upper, int *lower, int *digit,
			  int *other)
{
	*upper = *lower = *digit = *other = 0;
	for (int i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if (isupper(c))
			(*upper)++;
		else if (islower(c) || c >= 0x80)
			(*lower)++;
		else if (isdigit(c))
			(*digit)++;
		else
			(*other)++;
	}
}

/* An id-like run: hex with digits, or a long mix of letters and digits. */
static bool
looks_random(const char *s, int len)
{
	int			upper,
				lower,
				digit,
				other;
	bool		hex = true;

	count_classes(s, len, &upper, &lower, &digit, &other);
	if (digit == 0)
		return false;
	for (int i = 0; i < len; i++)
		if (!isxdigit((unsigned char) s[i]))
			hex = false;
	if (hex && len >= 6)
		return true;
	return (upper + lower) > 0 && len >= 8;
}

static bool
has_exception_suffix(const char *lower, int len)
{
	for (int i = 0; i < (int) lengthof(exception_suffixes); i++)
	{
		int			slen = strlen(exception_suffixes[i]);

		if (len > slen && memcmp(lower + len - slen, exception_suffixes[i], slen) == 0)
			return true;
	}
	return false;
}

/* A number with a unit: 30s, 250ms, 84MB, 2x. */
static bool
is_measurement(const char *s, int len)
{
	char		unit[8];
	int			i = 0,
				n = 0;

	while (i < len && isdigit((unsigned char) s[i]))
		i++;
	if (i == 0 || len - i < 1 || len - i >= (int) sizeof(unit))
		return false;
	for (; i < len; i++)
	{
		if (!isalpha((unsigned char) s[i]))
			return false;
		unit[n++] = pg_ascii_tolower((unsigned char) s[i]);
	}
	unit[n] = '\0';
	return in_sorted_list(unit, units, lengthof(units));
}

/* Split a CamelCase or mixed-case name into words. */
static void
emit_camel_parts(GTokenList *out, const char *s, int len)
{
	int			start = 0;

	for (int i = 1; i <= len; i++)
	{
		bool		cut = (i == len);

		if (!cut)
		{
			unsigned char prev = s[i - 1],
						c = s[i];

			/* aB, or the B of ABc (XMLParser -> XML Parser), or a digit */
			if ((islower(prev) && isupper(c)) ||
				(isupper(prev) && isupper(c) && i + 1 < len && islower((unsigned char) s[i + 1])) ||
				(isalpha(prev) && isdigit(c)) || (isdigit(prev) && isalpha(c)))
				cut = true;
		}
		if (cut)
		{
			if (!all_digits(s + start, i - start))
				emit_word(out, GT_SUBWORD, s + start, i - start);
			start = i;
		}
	}
}

/*
 * One atom: a run of letters, digits and underscores.  called: directly
 * followed by "(".
 */
static void
emit_atom(GTokenList *out, const char *s, int len, bool called)
{
	int			upper,
				lower,
				digit,
				other;

	if (len <= 0 || len > 3 * MAX_WORD_BYTES)
		return;
	count_classes(s, len, &upper, &lower, &digit, &other);

	/* numbers: only HTTP error statuses survive */
	if (digit == len)
	{
		if (len == 3 && (s[0] == '4' || s[0] == '5'))
			emit(out, GT_STATUS, s, 3);
		return;
	}

	/* snake_case and CONSTANT_CASE names */
	if (other > 0)
	{
		int			parts = 0,
					random_parts = 0,
					start = 0;

		for (int i = 0; i <= len; i++)
			if (i == len || s[i] == '_')
			{
				if (i > start)
				{
					parts++;
					if (looks_random(s + start, i - start) || all_digits(s + start, i - start))
						random_parts++;
				}
				start = i + 1;
			}
		if (parts >= 2 && random_parts == 0)
		{
			char	   *l = lower_copy(s, len);

			/* trim leading and trailing underscores (__init__) */
			while (*l == '_')
				l++;
			while (strlen(l) > 0 && l[strlen(l) - 1] == '_')
				l[strlen(l) - 1] = '\0';
			if (lower == 0)
				emit(out, GT_CODE, l, strlen(l));
			else
				emit(out, has_exception_suffix(l, strlen(l)) ? GT_EXCEPTION : GT_IDENT,
					 l, strlen(l));
		}
		start = 0;
		for (int i = 0; i <= len; i++)
			if (i == len || s[i] == '_')
			{
				if (i > start && !looks_random(s + start, i - start))
					emit_camel_parts(out, s + start, i - start);
				start = i + 1;
			}
		return;
	}

	/* hexadecimal error codes (0x8007000E, 0xc0000409) */
	if (len >= 6 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
	{
		bool		hex = true;

		for (int i = 2; i < len; i++)
			if (!isxdigit((unsigned char) s[i]))
				hex = false;
		if (hex)
		{
			emit(out, GT_STATUS, lower_copy(s, len), len);
			return;
		}
	}

	/* letters and digits mixed */
	if (digit > 0)
	{
		if (is_measurement(s, len))
		{
			/* "the logo 403s": an HTTP error status in the plural */
			if (len == 4 && (s[0] == '4' || s[0] == '5') && isdigit((unsigned char) s[1]) &&
				isdigit((unsigned char) s[2]) && (s[3] == 's' || s[3] == 'S'))
				emit(out, GT_STATUS, s, 3);
			return;
		}
		if (looks_random(s, len))
			return;
		if (digit >= 2)
		{
			char	   *l = lower_copy(s, len);

			emit(out, GT_CODE, l, len);
		}
		else
		{
			const char *w = canonical(lower_copy(s, len));

			emit(out, GT_WORD, w, strlen(w));
		}
		return;
	}

	/* mixed case: CamelCase, camelCase, iPhone */
	{
		bool		camel = false;

		for (int i = 1; i < len; i++)
			if (isupper((unsigned char) s[i]) && islower((unsigned char) s[i - 1]))
				camel = true;
		if (camel || (called && len >= 3))
		{
			char	   *l = lower_copy(s, len);

			emit(out, has_exception_suffix(l, len) ? GT_EXCEPTION : GT_IDENT, l, len);
			emit_camel_parts(out, s, len);
			return;
		}
	}

	emit_word(out, GT_WORD, s, len);
}

static bool
is_atom_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* Split s into atoms at anything that is not a letter, digit or _. */
static void
emit_atoms(GTokenList *out, const char *s, int len, GTokenKind word_kind)
{
	int			i = 0;

	while (i < len)
	{
		int			start;

		while (i < len && !is_atom_char((unsigned char) s[i]))
			i++;
		start = i;
		while (i < len && is_atom_char((unsigned char) s[i]))
			i++;
		if (i > start)
		{
			if (word_kind == GT_WORD)
				emit_atom(out, s + start, i - start, i < len && s[i] == '(');
			else if (!looks_random(s + start, i - start) &&
					 !all_digits(s + start, i - start))
				emit_word(out, word_kind, s + start, i - start);
		}
	}
}

/* Whether ext (len bytes, any case) is a known file extension. */
static bool
is_file_ext(const char *ext, int len)
{
	char		buf[8];

	if (len < 1 || len > 6)
		return false;
	for (int i = 0; i < len; i++)
	{
		if (!isalpha((unsigned char) ext[i]))
			return false;
		buf[i] = pg_ascii_tolower((unsigned char) ext[i]);
	}
	buf[len] = '\0';
	return in_sorted_list(buf, file_exts, lengthof(file_exts));
}

/*
 * If chunk names a file (dir/name.ext, name.ext:12:3), emit it and return
 * true.
 */
static bool
emit_file(GTokenList *out, const char *s, int len)
{
	int			end = len,
				base,
				dot = -1;
	bool		has_slash = false;

	/* strip :line:col */
	while (end > 0 && (isdigit((unsigned char) s[end - 1]) || s[end - 1] == ':'))
		end--;
	if (end < len && s[end] != ':')
		end = len;
	for (int i = 0; i < end; i++)
		if (s[i] == '/' || s[i] == '\\')
			has_slash = true;
	base = end;
	while (base > 0 && s[base - 1] != '/' && s[base - 1] != '\\')
		base--;
	for (int i = end - 1; i > base; i--)
		if (s[i] == '.')
		{
			dot = i;
			break;
		}
	if (dot < 0 || !is_file_ext(s + dot + 1, end - dot - 1))
	{
		/* a bare path (src/components/cart) is a list of words */
		if (has_slash && memchr(s, '.', len) == NULL)
		{
			emit_atoms(out, s, len, GT_PATHWORD);
			return true;
		}
		return false;
	}
	if (dot - base < 1)
		return false;

	emit(out, GT_FILE, lower_copy(s + base, end - base), end - base);
	if (base > 0)
		emit_atoms(out, s, base, GT_PATHWORD);
	/* the name itself: InvoiceEditor.tsx -> invoiceeditor, invoice, editor */
	emit_atoms(out, s + base, dot - base, GT_WORD);
	return true;
}

/* a.b.c where a part has a capital or an underscore: a code name */
static bool
emit_dotted(GTokenList *out, const char *s, int len)
{
	int			parts = 1;
	bool		codeish = false;

	for (int i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if (c == '.')
		{
			if (i == 0 || i == len - 1 || s[i - 1] == '.')
				return false;
			parts++;
		}
		else if (!is_atom_char(c))
			return false;
		else if (c == '_' || (isupper(c) && i > 0 && s[i - 1] != '.'))
			codeish = true;
	}
	/* 8.4MB, 1.2.3: numbers, not names */
	if (parts < 2 || !codeish || isdigit((unsigned char) s[0]))
		return false;

	{
		char	   *l = lower_copy(s, len);
		emit(out, has_exception_suffix(l, len) ? GT_EXCEPTION : GT_IDENT, l, len);
		/* each part too: stripe.error.CardError -> stripe, error, carderror */
		emit_atoms(out, s, len, GT_WORD);
	}
	return true;
}

static bool
is_separator(unsigned char c)
{
	return isspace(c) || strchr("\"'`()[]{}<>,;|=!?*", c) != NULL || c == '\0';
}

static bool
is_clause_end(unsigned char c)
{
	return c == '.' || c == '!' || c == '?' || c == ';' || c == ':' ||
		c == ',' || c == '\n' || c == '|' || c == '=';
}

/*
 * An HTTP route (/api/v1/invoices, /webhooks/stripe): if the chunk is one,
 * emit it as a ROUTE, its id-like segments replaced by ":id", then its words,
 * and return true.
 */
static bool
emit_route(GTokenList *out, const char *s, int len)
{
	StringInfoData buf;
	int			named = 0,
				i = 1;

	while (len > 1 && strchr(".:,;", s[len - 1]))
		len--;
	for (int k = 0; k < len; k++)
		if (s[k] == '?' || s[k] == '#')
		{
			len = k;
			break;
		}
	if (len < 2 || len > 200 || s[0] != '/' || !isalnum((unsigned char) s[1]))
		return false;

	initStringInfo(&buf);
	while (i < len)
	{
		int			start = i,
					seglen;
		bool		ok = true;

		while (i < len && s[i] != '/')
			i++;
		seglen = i - start;
		i++;					/* the slash */
		if (seglen == 0)
			continue;
		for (int k = start; k < start + seglen; k++)
			if (!isalnum((unsigned char) s[k]) && s[k] != '-' && s[k] != '_' && s[k] != '.')
				ok = false;
		if (!ok)
			return false;
		/* a file at the end is not a route: emit_file takes it */
		if (i >= len && memchr(s + start, '.', seglen))
			return false;
		appendStringInfoChar(&buf, '/');
		if (all_digits(s + start, seglen) || looks_random(s + start, seglen))
			appendStringInfoString(&buf, ":id");
		else
		{
			for (int k = start; k < start + seglen; k++)
				appendStringInfoChar(&buf, pg_ascii_tolower((unsigned char) s[k]));
			named++;
		}
	}
	if (named == 0)
		return false;
	emit(out, GT_ROUTE, buf.data, buf.len);
	emit_atoms(out, s, len, GT_PATHWORD);
	return true;
}

/* A chunk: a run without separators, stripped of outer punctuation. */
static void
emit_chunk(GTokenList *out, const char *s, int len)
{
	const char *at;

	if (len > 1 && s[0] == '/' && emit_route(out, s, len))
		return;
	while (len > 0 && strchr(".:-/\\#@$%&+~_", s[0]))
		s++, len--;
	while (len > 0 && strchr(".:-/\\#@$%&+~", s[len - 1]))
		len--;
	if (len <= 0)
		return;

	/* URL: its words, without the scheme */
	at = memchr(s, ':', len);
	if (at && at + 2 < s + len && at[1] == '/' && at[2] == '/')
	{
		int			skip = (at - s) + 3;

		emit_atoms(out, s + skip, len - skip, GT_PATHWORD);
		return;
	}
	/* e-mail address: personal, never shared by duplicates */
	at = memchr(s, '@', len);
	if (at && at > s && memchr(at, '.', len - (at - s)))
		return;

	if (emit_file(out, s, len) || emit_dotted(out, s, len))
		return;

	/* UUIDs and other hyphenated hex: ids */
	if (memchr(s, '-', len))
	{
		int			hyphens = 0;
		bool		hex = true;

		for (int i = 0; i < len; i++)
		{
			if (s[i] == '-')
				hyphens++;
			else if (!isxdigit((unsigned char) s[i]))
				hex = false;
		}
		if (hex && hyphens >= 2)
			return;
	}

	/* hyphenated words: the parts, and the joined word (sign-up -> signup) */
	if (memchr(s, '-', len))
	{
		bool		alpha = true;
		int			hyphens = 0;

		for (int i = 0; i < len; i++)
		{
			if (s[i] == '-')
				hyphens++;
			else if (!isalpha((unsigned char) s[i]))
				alpha = false;
		}
		emit_atoms(out, s, len, GT_WORD);
		if (alpha && hyphens <= 2)
		{
			char	   *joined = palloc(len + 1);
			int			j = 0;

			for (int i = 0; i < len; i++)
				if (s[i] != '-')
					joined[j++] = s[i];
			emit_word(out, GT_COMPOUND, joined, j);
		}
		return;
	}

	emit_atoms(out, s, len, GT_WORD);
}

/*
 * A number right after "status", "code", "errno", "error" or "exit" is an
 * error code ("exit status 127"): distinct numbers tell distinct failures
 * apart, so it is kept where other numbers are dropped.
 */
static int
status_number_len(const char *word, int wlen, const char *s, int len)
{
	static const char *const words[] = {"status", "code", "errno", "error", "exit"};

	while (len > 0 && (s[len - 1] == '.' || s[len - 1] == ',' || s[len - 1] == ')'))
		len--;
	if (len == 0 || len > 10 || !all_digits(s, len))
		return 0;
	for (int i = 0; i < (int) lengthof(words); i++)
		if (wlen == (int) strlen(words[i]) && pg_strncasecmp(word, words[i], wlen) == 0)
			return len;
	return 0;
}

/* The word just before position i (letters only), for particle compounds. */
static bool
particle_compound(GTokenList *out, const char *text, int wstart, int wlen,
				  const char *prev, int plen)
{
	char		buf[MAX_WORD_BYTES + 16];
	char	   *w;
	int			n;

	if (plen < 2 || plen > MAX_WORD_BYTES || wlen > 4)
		return false;
	for (int i = 0; i < plen; i++)
		if (!isalpha((unsigned char) prev[i]))
			return false;
	n = 0;
	for (int i = 0; i < wlen; i++)
	{
		if (!isalpha((unsigned char) text[wstart + i]))
			return false;
		buf[n++] = pg_ascii_tolower((unsigned char) text[wstart + i]);
	}
	buf[n] = '\0';
	if (!in_sorted_list(buf, particles, lengthof(particles)))
		return false;

	/* inflected verb + particle: logged in -> log + in */
	w = lower_copy(prev, plen);
	if (grouping_is_stopword(w))
		return false;
	stem_word(w, false);
	snprintf(buf, sizeof(buf), "%s%.*s", w, wlen, text + wstart);
	for (int i = 0; buf[i]; i++)
		buf[i] = pg_ascii_tolower((unsigned char) buf[i]);
	if (!in_sorted_list(buf, compounds, lengthof(compounds)))
		return false;
	emit_word(out, GT_COMPOUND, buf, strlen(buf));
	return true;
}

/* Tokens of text[0..len). */
void
grouping_tokenize(const char *text, int len, GTokenList *out)
{
	int			i = 0;
	const char *prev = NULL;	/* the previous chunk, if a plain word */
	int			plen = 0;
	char	   *copy;

	if (len > GROUPING_MAX_TEXT_BYTES)
	{
		/* cut at a character boundary */
		len = GROUPING_MAX_TEXT_BYTES;
		while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
			len--;
	}

	/*
	 * Non-ASCII punctuation (dashes, curly quotes, ellipsis, no-break space,
	 * guillemets, CJK comma and full stop) separates words like its ASCII
	 * kin; other non-ASCII bytes are letters.
	 */
	copy = pnstrdup(text, len);
	for (int k = 0; k < len; k++)
	{
		unsigned char c = copy[k];
		unsigned char c1 = k + 1 < len ? copy[k + 1] : 0;
		int			n = 0;

		if (c == 0xE2 && c1 == 0x80 && k + 2 < len)
			n = 3;
		else if (c == 0xE3 && c1 == 0x80 && k + 2 < len &&
				 ((unsigned char) copy[k + 2] == 0x81 || (unsigned char) copy[k + 2] == 0x82))
			n = 3;
		else if (c == 0xC2 && (c1 == 0xA0 || c1 == 0xAB || c1 == 0xBB))
			n = 2;
		for (int m = 0; m < n; m++)
			copy[k + m] = ' ';
		if (n > 0)
			k += n - 1;
	}
	text = copy;

	while (i < len)
	{
		int			start;
		int			code_len;
		bool		clause_end = false;
		bool		plain;

		while (i < len && is_separator((unsigned char) text[i]))
		{
			if (text[i] == '\n' || is_clause_end((unsigned char) text[i]))
			{
				emit_break(out);
				prev = NULL;
			}
			i++;
		}
		if (i >= len)
			break;
		start = i;
		while (i < len && !is_separator((unsigned char) text[i]))
			i++;

		/* trailing clause punctuation ends the clause after this chunk */
		if (i - start > 1 && (text[i - 1] == '.' || text[i - 1] == ':'))
			clause_end = true;

		if (prev && particle_compound(out, text, start, i - start, prev, plen))
			prev = NULL;

		emit_chunk(out, text + start, i - start);
		if (prev && (code_len = status_number_len(prev, plen, text + start, i - start)) > 0)
			emit(out, GT_STATUS, text + start, code_len);

		plain = !clause_end;
		for (int k = start; k < i && plain; k++)
			if (!isalpha((unsigned char) text[k]))
				plain = false;
		prev = plain ? text + start : NULL;
		plen = i - start;

		if (clause_end)
			emit_break(out);
	}
}
