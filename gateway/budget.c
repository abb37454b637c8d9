/*-------------------------------------------------------------------------
 *
 * budget.c
 *	  The gateway's memory bound (--max-memory).
 *
 * Every connection's buffers, request bodies and responses are counted
 * against one limit.  A reservation that does not fit is refused, and the
 * request that needed it is answered 503 with Retry-After: so many slow
 * uploads at once cannot make the process grow without bound (1,024
 * connections with 1 MiB bodies would be 1 GiB).  A database result is
 * charged after the fact (libpq has already allocated it, and the work it
 * reports is done), which refuses the next reservations until it is sent.
 *
 *-------------------------------------------------------------------------
 */
#include <stdatomic.h>

#include "budget.h"

static size_t budget_limit;
static atomic_size_t budget_in_use;

void
budget_init(size_t limit)
{
	budget_limit = limit;
	atomic_store(&budget_in_use, 0);
}

/* Take bytes from the budget; false (and nothing taken) when they do not fit. */
bool
budget_reserve(size_t bytes)
{
	size_t		used = atomic_load(&budget_in_use);

	do
	{
		if (used + bytes > budget_limit || used + bytes < used)
			return false;
	} while (!atomic_compare_exchange_weak(&budget_in_use, &used, used + bytes));
	return true;
}

/* Take bytes already allocated, even beyond the limit. */
void
budget_charge(size_t bytes)
{
	atomic_fetch_add(&budget_in_use, bytes);
}

void
budget_release(size_t bytes)
{
	atomic_fetch_sub(&budget_in_use, bytes);
}

/* Bytes taken now. */
size_t
budget_used(void)
{
	return atomic_load(&budget_in_use);
}
