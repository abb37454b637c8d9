/*-------------------------------------------------------------------------
 *
 * budget.h
 *	  The gateway's memory bound (--max-memory).
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_BUDGET_H
#define GATEWAY_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

extern void budget_init(size_t limit);
extern bool budget_reserve(size_t bytes);
extern void budget_charge(size_t bytes);
extern void budget_release(size_t bytes);
extern size_t budget_used(void);

#endif							/* GATEWAY_BUDGET_H */
