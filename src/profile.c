/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  The project profile cache's lifetime: the signals.profile_ttl setting.
 *
 * The profile builder and its cache are SQL (sql/install/70_profile.sql).
 * They read the lifetime through signals.profile_ttl(), which, being a C
 * function of this library, also makes sure the library (and so the
 * setting) is loaded when it is not preloaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "signals.h"

/* signals.profile_ttl, in seconds */
static int	profile_ttl_seconds = 3600;

/* Define the project profile's settings; called from _PG_init. */
void
signals_define_profile_gucs(void)
{
	DefineCustomIntVariable("signals.profile_ttl",
							"How long a built project profile stays fresh.",
							"Internal scout tokens rebuild a team's project profile when its "
							"newest row is older than this; other callers read the cache only.",
							&profile_ttl_seconds,
							3600,
							1,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);
}

/* signals.profile_ttl(): the setting as an interval. */
PG_FUNCTION_INFO_V1(signals_profile_ttl);
Datum
signals_profile_ttl(PG_FUNCTION_ARGS)
{
	Interval   *result = palloc0(sizeof(Interval));

	result->time = (int64) profile_ttl_seconds * USECS_PER_SEC;
	PG_RETURN_INTERVAL_P(result);
}
