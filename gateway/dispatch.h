/*-------------------------------------------------------------------------
 *
 * dispatch.h
 *	  The worker threads that make the database calls, and their queues.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_DISPATCH_H
#define GATEWAY_DISPATCH_H

#include <stdbool.h>

#include "request.h"
#include "response.h"

typedef enum WorkKind
{
	WORK_API,					/* the router or the OpenAPI document */
	WORK_READY					/* a readiness check */
} WorkKind;

/* One request handed to a worker; the response comes back through done. */
typedef struct Work
{
	struct Work *next;
	WorkKind	kind;
	Request    *req;
	Response   *resp;
	void		(*done) (struct Work *work);	/* called by the worker */
} Work;

extern bool dispatch_start(int workers);
extern void dispatch_submit(Work *work);
extern void dispatch_stop(void);

#endif							/* GATEWAY_DISPATCH_H */
