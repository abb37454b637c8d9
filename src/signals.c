/*-------------------------------------------------------------------------
 *
 * signals.c
 *	  Module entry point of the signals extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "signals.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Called when the library is loaded: settings, and the workers when preloaded. */
void
_PG_init(void)
{
	grouping_define_gucs();
	worker_init();
	signals_define_profile_gucs();
	role_drop_init();
	restore_init();
	MarkGUCPrefixReserved("signals");
}
