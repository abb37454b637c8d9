/*-------------------------------------------------------------------------
 *
 * json_text.c
 *	  Building JSON text: strings, and timestamps in the API's format.
 *
 * The API prints every timestamp in UTC with microseconds and a trailing Z,
 * whatever the session's TimeZone and DateStyle are.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"

#include "signals.h"

/* Append str as a JSON string literal. */
void
json_append_string(StringInfo buf, const char *str)
{
	escape_json(buf, str);
}

/* Append str as a JSON string literal, or null when str is NULL. */
void
json_append_string_or_null(StringInfo buf, const char *str)
{
	if (str == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, str);
}

/* The timestamp as "YYYY-MM-DDTHH:MM:SS.ffffffZ" in UTC. */
char *
iso_time_cstring(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_IS_NOBEGIN(ts))
		return pstrdup("-infinity");
	if (TIMESTAMP_IS_NOEND(ts))
		return pstrdup("infinity");
	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));

	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

/* Append the timestamp as a JSON string in the API's format. */
void
json_append_iso_time(StringInfo buf, TimestampTz ts)
{
	char	   *iso = iso_time_cstring(ts);

	appendStringInfoChar(buf, '"');
	appendStringInfoString(buf, iso);
	appendStringInfoChar(buf, '"');
	pfree(iso);
}

/* signals.iso_time(timestamptz): the timestamp in the API's format. */
PG_FUNCTION_INFO_V1(signals_iso_time);
Datum
signals_iso_time(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(iso_time_cstring(PG_GETARG_TIMESTAMPTZ(0))));
}
