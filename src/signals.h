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

/*
 * The C symbols of functions whose work depends on the schema carry the
 * schema version (versions.c): SCHEMA_VERSIONED(signals_x) is signals_x_0_2_0
 * for version 0.2.0 (the Makefile derives SIGNALS_SYMBOL_SUFFIX from the
 * extension's version).  Declare such a function with
 * SIGNALS_FUNCTION_INFO(SCHEMA_VERSIONED(signals_x)).
 */
#define SIGNALS_PASTE_(a, b) a##b
#define SIGNALS_PASTE(a, b) SIGNALS_PASTE_(a, b)
#define SCHEMA_VERSIONED(name) SIGNALS_PASTE(name, SIGNALS_SYMBOL_SUFFIX)
#define SIGNALS_FUNCTION_INFO(name) PG_FUNCTION_INFO_V1(name)

/* json_text.c: JSON text building */
extern void json_append_string(StringInfo buf, const char *str);
extern void json_append_string_or_null(StringInfo buf, const char *str);
extern void json_append_iso_time(StringInfo buf, TimestampTz ts);
extern char *iso_time_cstring(TimestampTz ts);

/* grouping_guc.c: settings of the grouping engine */
extern void grouping_define_gucs(void);

/* worker.c: settings, shared memory and the background workers */
extern void worker_init(void);

/* restore.c: loading a dump, and the lock that keeps workers out meanwhile */
extern void restore_init(void);
extern bool restore_lock_try_worker(void);

/* profile.c: the project profile's settings */
extern void signals_define_profile_gucs(void);

/* role_drop.c: forget a dropped role's team grants */
extern void role_drop_init(void);

#endif							/* SIGNALS_H */
