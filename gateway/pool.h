/*-------------------------------------------------------------------------
 *
 * pool.h
 *	  The fixed pool of database connections: one per worker thread, and one
 *	  for readiness checks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_POOL_H
#define GATEWAY_POOL_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "config.h"

/* The statements a connection prepares (on first use). */
typedef enum Statement
{
	STMT_ROUTER,				/* signals.http_handle($1, ..., $6) */
	STMT_OPENAPI,				/* signals.openapi() */
	STMT_READY,					/* a cheap call of signals.http_handle() */
	STMT_COUNT
} Statement;

typedef enum CallStatus
{
	CALL_OK,					/* the statement returned its row */
	CALL_UNAVAILABLE,			/* no database connection: 503 */
	CALL_TIMEOUT,				/* the statement ran too long: 504 */
	CALL_FAILED					/* the statement failed: see sqlstate */
} CallStatus;

typedef struct CallResult
{
	CallStatus	status;
	PGresult   *res;			/* CALL_OK: the result, one row; caller frees */
	int			retry_after;	/* CALL_UNAVAILABLE: seconds to wait */
	char		sqlstate[6];	/* CALL_FAILED: the error's SQLSTATE */
} CallResult;

typedef struct Slot Slot;

extern void pool_init(const GatewayConfig *config);
extern void pool_close(void);
extern int	pool_cancel_all(void);
extern Slot *pool_slot(int i);
extern Slot *pool_ready_slot(void);
extern void pool_call(Slot *slot, Statement stmt, int nparams,
					  const char *const *values, const int *lengths,
					  const int *formats, CallResult *result);

#endif							/* GATEWAY_POOL_H */
