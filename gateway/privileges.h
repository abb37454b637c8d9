/*-------------------------------------------------------------------------
 *
 * privileges.h
 *	  Never serving as root: dropping to --user.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEWAY_PRIVILEGES_H
#define GATEWAY_PRIVILEGES_H

#include <stdbool.h>

extern bool privileges_check(const char *user);
extern bool privileges_drop(const char *user);

#endif							/* GATEWAY_PRIVILEGES_H */
