/*-------------------------------------------------------------------------
 *
 * report_rules.h
 *	  Rules about reports shared by the grouping engine and the SQL domain
 *	  functions (report_rules.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef REPORT_RULES_H
#define REPORT_RULES_H

/* A report's title is at most this many characters. */
#define REPORT_TITLE_MAX_CHARS 200

/* The title of a new report made from a signal's description (palloc'd). */
extern char *report_title_from(const char *description);

#endif							/* REPORT_RULES_H */
