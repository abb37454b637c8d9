/*-------------------------------------------------------------------------
 *
 * grouping_guc.c
 *	  Settings of the grouping engine.
 *
 * All are PGC_SUSET: grouping writes reports that every member of a team
 * sees, so only a superuser (or postgresql.conf) may change how it groups.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "grouping.h"
#include "signals.h"

double		grouping_similarity_threshold = 0.35;
double		grouping_promote_weight = 1.0;
double		grouping_judge_band_low = 0.2;
double		grouping_judge_band_high = 0.6;
int			grouping_window_days = 30;

/* Define the grouping settings; called from _PG_init. */
void
grouping_define_gucs(void)
{
	DefineCustomRealVariable("signals.similarity_threshold",
							 "Similarity from which a signal joins an existing report.",
							 "Between 0 and 1: the cosine similarity of the rarity-weighted features "
							 "of the signal and of the nearest earlier signal of the report, cut for "
							 "conflicting error signatures or titles.",
							 &grouping_similarity_threshold,
							 0.35, 0.0, 1.0,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("signals.promote_weight",
							 "Total weight from which a potential report becomes a candidate.",
							 NULL,
							 &grouping_promote_weight,
							 1.0, 0.0, 1e9,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("signals.judge_band_low",
							 "Score from which a team with an external judge asks it instead of opening a new report.",
							 "With matching_mode = 'external', a signal whose best score is in "
							 "[judge_band_low, judge_band_high) waits for the judge.",
							 &grouping_judge_band_low,
							 0.2, 0.0, 1.0,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("signals.judge_band_high",
							 "Score from which a team with an external judge joins at once.",
							 NULL,
							 &grouping_judge_band_high,
							 0.6, 0.0, 1.0,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("signals.grouping_window_days",
							"Days back in which a signal looks for a report to join.",
							"A report is joined only when one of its signals arrived within "
							"this many days before the new signal.",
							&grouping_window_days,
							30, 1, 3650,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}
