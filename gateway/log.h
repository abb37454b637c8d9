/*-------------------------------------------------------------------------
 *
 * log.h
 *	  The access log (one line per request) and the server log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_LOG_H
#define GATEWAY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Server log levels */
#define LOG_LEVEL_INFO		0
#define LOG_LEVEL_WARNING	1
#define LOG_LEVEL_ERROR		2

extern bool log_open_access(const char *path);
extern void log_close_access(void);
extern void log_access(const char *client, const char *method, const char *uri,
					   int status, size_t bytes, int64_t duration_us);
extern void log_message(int level, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#endif							/* GATEWAY_LOG_H */
