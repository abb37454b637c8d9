/*-------------------------------------------------------------------------
 *
 * signals.h
 *	  Declarations shared by the signals extension's C files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SIGNALS_H
#define SIGNALS_H

#include "lib/stringinfo.h"
#include "utils/timestamp.h"

/* json_text.c: JSON text building */
extern void json_append_string(StringInfo buf, const char *str);
extern void json_append_string_or_null(StringInfo buf, const char *str);
extern void json_append_iso_time(StringInfo buf, TimestampTz ts);
extern char *iso_time_cstring(TimestampTz ts);

/* grouping_guc.c: settings of the grouping engine */
extern void grouping_define_gucs(void);

/* worker.c: settings, shared memory and the background workers */
extern void worker_init(void);

/* profile.c: the project profile's settings */
extern void signals_define_profile_gucs(void);

/* role_drop.c: forget a dropped role's team grants */
extern void role_drop_init(void);

#endif							/* SIGNALS_H */
