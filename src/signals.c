/*-------------------------------------------------------------------------
 *
 * signals.c
 *	  Module entry point of the signals extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Called when the library is loaded. */
void
_PG_init(void)
{
}
