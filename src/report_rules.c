/*-------------------------------------------------------------------------
 *
 * report_rules.c
 *	  Rules about reports that both the grouping engine (C) and the SQL
 *	  domain functions apply, kept in one place: the title of a new report,
 *	  and the total weight at which a report is promoted.
 *
 * signals.report_title(description) and signals.promote_weight() expose
 * them to SQL (splitting a report makes a new report as grouping does; the
 * state machine in SQL promotes reports).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <stdlib.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "report_rules.h"

/*
 * The description's first non-blank line, trimmed and cut at
 * REPORT_TITLE_MAX_CHARS (at a word boundary when one is near, with an
 * ellipsis); "(empty signal)" when the description is blank.
 */
char *
report_title_from(const char *description)
{
	const char *s = description;
	const char *e;
	int			len,
				clip;
	char	   *title;

	/* the first line with something other than whitespace (as is_blank() sees it) */
	while (*s && isspace((unsigned char) *s))
		s++;
	e = strchr(s, '\n');
	len = e ? (int) (e - s) : (int) strlen(s);
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	if (len == 0)
		return pstrdup("(empty signal)");
	if (pg_mbstrlen_with_len(s, len) <= REPORT_TITLE_MAX_CHARS)
		return pnstrdup(s, len);

	/* cut at a word boundary when one is near the limit */
	clip = pg_mbcharcliplen(s, len, REPORT_TITLE_MAX_CHARS - 1);
	for (int i = clip; i > clip * 2 / 3; i--)
		if (s[i] == ' ')
		{
			clip = i;
			break;
		}
	while (clip > 0 && s[clip - 1] == ' ')
		clip--;
	title = palloc(clip + 4);
	memcpy(title, s, clip);
	strcpy(title + clip, "\xE2\x80\xA6");	/* … */
	return title;
}

/* signals.report_title(description): the title grouping gives a new report. */
PG_FUNCTION_INFO_V1(signals_report_title);
Datum
signals_report_title(PG_FUNCTION_ARGS)
{
	char	   *description = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(report_title_from(description)));
}

/*
 * signals.promote_weight(): the setting signals.promote_weight.  Read here
 * rather than with current_setting() so that the library, which defines the
 * setting, is loaded even in a session that has called no other C function.
 */
PG_FUNCTION_INFO_V1(signals_promote_weight);
Datum
signals_promote_weight(PG_FUNCTION_ARGS)
{
	const char *value = GetConfigOption("signals.promote_weight", false, false);

	/* a real setting: its text is a number the GUC machinery has checked */
	PG_RETURN_FLOAT8(strtod(value, NULL));
}
