/*-------------------------------------------------------------------------
 *
 * handler.h
 *	  What the gateway answers to a complete request.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_HANDLER_H
#define GATEWAY_HANDLER_H

#include "config.h"
#include "dispatch.h"
#include "pool.h"
#include "request.h"
#include "response.h"

/* How a request is answered: now, or by a worker. */
typedef enum Handling
{
	HANDLE_NOW,					/* the response is set */
	HANDLE_WORKER				/* a worker makes the database call */
} Handling;

extern void handler_init(const GatewayConfig *config);
extern Handling handler_begin(Request *req, Response *resp, WorkKind *kind);
extern void handler_run(WorkKind kind, Request *req, Response *resp, Slot *slot);
extern void handler_finish(const Request *req, Response *resp);
extern bool handler_shutting_down(void);
extern void handler_set_shutting_down(void);

#endif							/* GATEWAY_HANDLER_H */
