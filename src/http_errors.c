/*-------------------------------------------------------------------------
 *
 * http_errors.c
 *	  Error responses: the {type, code, detail, attr} body, and how an error
 *	  raised by a domain function becomes an HTTP status.
 *
 * Domain functions report expected failures with a SQLSTATE (and the field
 * at fault as the error's COLUMN).  The SQLSTATE decides the status and the
 * code; the message becomes the detail.  A write refused because the server
 * is a read-only standby is 503 read_only.  Any other error is not the
 * client's fault, so it propagates and the transaction fails as usual.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "utils/elog.h"

#include "http.h"
#include "signals.h"

typedef struct SqlstateStatus
{
	int			sqlstate;
	int			status;
	const char *code;
} SqlstateStatus;

/* Specific SQLSTATEs first; whole classes are handled after this table. */
static const SqlstateStatus sqlstate_statuses[] = {
	{ERRCODE_NOT_NULL_VIOLATION, 400, "required"},
	{ERRCODE_NULL_VALUE_NOT_ALLOWED, 400, "null"},
	{ERRCODE_ZERO_LENGTH_CHARACTER_STRING, 400, "blank"},
	{ERRCODE_STRING_DATA_RIGHT_TRUNCATION, 400, "max_length"},
	{ERRCODE_UNIQUE_VIOLATION, 400, "unique"},
	{ERRCODE_NO_DATA_FOUND, 404, "not_found"},
	{ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, 409, "conflict"},
	{ERRCODE_INSUFFICIENT_PRIVILEGE, 403, "permission_denied"},
	/* A write on a hot standby (or in a read-only transaction). */
	{ERRCODE_READ_ONLY_SQL_TRANSACTION, 503, "read_only"},
};

/* The status and code for a SQLSTATE, or false if it is not a client error. */
static bool
lookup_sqlstate(int sqlstate, int *status, const char **code)
{
	int			class = ERRCODE_TO_CATEGORY(sqlstate);

	for (int i = 0; i < (int) lengthof(sqlstate_statuses); i++)
	{
		if (sqlstate_statuses[i].sqlstate == sqlstate)
		{
			*status = sqlstate_statuses[i].status;
			*code = sqlstate_statuses[i].code;
			return true;
		}
	}

	/*
	 * Data exceptions (bad values), integrity violations and program limits
	 * (input nested or sized beyond what the server takes) are all the
	 * request's fault.
	 */
	if (class == ERRCODE_DATA_EXCEPTION ||
		class == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION ||
		class == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
	{
		*status = 400;
		*code = "invalid_input";
		return true;
	}
	return false;
}

static const char *
type_for_status(int status)
{
	if (status == 400)
		return "validation_error";
	if (status == 401 || status == 403)
		return "authentication_error";
	if (status >= 500)
		return "server_error";
	return "invalid_request";
}

/* Make resp an error response with the standard body. */
void
respond_error(HttpResponse *resp, int status, const char *code,
			  const char *detail, const char *attr)
{
	resp->status = status;
	resp->has_body = true;
	resetStringInfo(&resp->body);
	appendStringInfoString(&resp->body, "{\"type\":");
	json_append_string(&resp->body, type_for_status(status));
	appendStringInfoString(&resp->body, ",\"code\":");
	json_append_string(&resp->body, code);
	appendStringInfoString(&resp->body, ",\"detail\":");
	json_append_string(&resp->body, detail);
	appendStringInfoString(&resp->body, ",\"attr\":");
	json_append_string_or_null(&resp->body, attr);
	appendStringInfoChar(&resp->body, '}');
}

/* Whether an error raised while serving a request is the client's fault. */
bool
error_is_client_error(const ErrorData *edata)
{
	int			status;
	const char *code;

	return edata->elevel == ERROR &&
		lookup_sqlstate(edata->sqlerrcode, &status, &code);
}

/* Make resp the error response for a client error raised in SQL. */
void
respond_sql_error(HttpResponse *resp, const ErrorData *edata)
{
	int			status;
	const char *code;

	if (!lookup_sqlstate(edata->sqlerrcode, &status, &code))
		elog(ERROR, "SQLSTATE %s is not a client error",
			 unpack_sql_state(edata->sqlerrcode));
	if (edata->sqlerrcode == ERRCODE_READ_ONLY_SQL_TRANSACTION)
		respond_error(resp, status, code,
					  RecoveryInProgress() ?
					  "This database server is a read-only standby; send writes to the primary." :
					  "The database is read-only now; try again later.",
					  NULL);
	else
		respond_error(resp, status, code, edata->message, edata->column_name);
}
