/*-------------------------------------------------------------------------
 *
 * clock.h
 *	  The monotonic clock every deadline and duration of the gateway uses.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_CLOCK_H
#define GATEWAY_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Microseconds on a clock that never jumps. */
static inline int64_t
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif							/* GATEWAY_CLOCK_H */
