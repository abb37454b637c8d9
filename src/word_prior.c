/*-------------------------------------------------------------------------
 *
 * word_prior.c
 *	  General English word frequencies: the prior that makes common words
 *	  common from a team's first signal.
 *
 * The words come from SCOWL (Spell Checker Oriented Word Lists, Kevin
 * Atkinson; Debian package scowl; permissive licence, see README), whose
 * size classes rank English words by how common they are.  Classes 10, 20,
 * 35, 40, 50, 55 and 60 become prior classes 1 to 7; df_sketch.c turns a
 * class into the share of documents that hold such a word.  The lists are
 * compiled in (src/word_prior_data.h, generated at build time by
 * scripts/word_prior.sh); on first use each word goes through the same
 * normalisation as signal text (thesaurus, stemming), and the table maps
 * the word's feature hash to its class, the commonest class winning.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "grouping.h"
#include "word_prior_data.h"

typedef struct PriorEntry
{
	uint64		hash;			/* feature hash of the normalised word */
	uint8		prior;
} PriorEntry;

static HTAB *prior_by_hash = NULL;

static void
build_prior_table(void)
{
	HASHCTL		ctl;
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext,
												  "signals word prior",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	HTAB	   *table;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(PriorEntry);
	ctl.hcxt = TopMemoryContext;
	table = hash_create("signals word prior", 131072, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	old = MemoryContextSwitchTo(scratch);
	for (int c = 0; c < (int) lengthof(word_prior_classes); c++)
	{
		const char *p = word_prior_classes[c];

		while (*p)
		{
			const char *end = strchr(p, ' ');
			int			len = end ? (int) (end - p) : (int) strlen(p);
			GTokenList	toks = {0};

			grouping_tokenize(p, len, &toks);
			for (int i = 0; i < toks.n; i++)
				if (toks.t[i].kind == GT_WORD)
				{
					uint64		h = grouping_feature_hash(GF_WORD, toks.t[i].text);
					bool		found;
					PriorEntry *e = hash_search(table, &h, HASH_ENTER, &found);

					if (!found)
						e->prior = c + 1;
				}
			p += len;
			while (*p == ' ')
				p++;
			MemoryContextReset(scratch);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	prior_by_hash = table;
}

/* The prior class (1: commonest .. 7) of a word feature, 0 when it has none. */
uint8
grouping_word_prior(uint64 word_hash)
{
	PriorEntry *e;

	if (prior_by_hash == NULL)
		build_prior_table();
	e = hash_search(prior_by_hash, &word_hash, HASH_FIND, NULL);
	return e ? e->prior : 0;
}
