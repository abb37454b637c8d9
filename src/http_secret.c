/*-------------------------------------------------------------------------
 *
 * http_secret.c
 *	  signals.secret: text that can be written but never shown.
 *
 * signals.http_handle() takes the Authorization header as a value of this
 * type.  Its output and send functions print "(redacted)", and PostgreSQL
 * prints bind parameters through the type's output function (log_statement,
 * log_min_duration_statement, auto_explain, the error context), so a token
 * sent as a binary parameter never reaches a log line, an error message or
 * a result, whatever the logging settings.  A parameter sent as text is
 * kept as sent for log_parameter_max_length_on_error; that setting is 0
 * unless a superuser changes it, and signals-gateway sends binary.
 *
 * No cast leads from the type back to text: only C code of the extension
 * reads the value (secret_text()).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "http.h"

#define REDACTED "(redacted)"

/* signals.secret input: any text. */
PG_FUNCTION_INFO_V1(signals_secret_in);
Datum
signals_secret_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PG_GETARG_CSTRING(0)));
}

/* signals.secret output: never the value. */
PG_FUNCTION_INFO_V1(signals_secret_out);
Datum
signals_secret_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(pstrdup(REDACTED));
}

/*
 * signals.secret binary input: the bytes as they are, which must be valid in
 * the server encoding.  Unlike text's, the error names no byte of the value.
 */
PG_FUNCTION_INFO_V1(signals_secret_recv);
Datum
signals_secret_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, len);

	if (!pg_verifymbstr(bytes, len, true) || memchr(bytes, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("secret is not valid text in the server encoding")));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(bytes, len));
}

/* signals.secret binary output: never the value. */
PG_FUNCTION_INFO_V1(signals_secret_send);
Datum
signals_secret_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, REDACTED, strlen(REDACTED));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* The value of a signals.secret datum, for the router. */
char *
secret_text(Datum secret)
{
	return text_to_cstring(DatumGetTextPP(secret));
}
