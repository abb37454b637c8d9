/*-------------------------------------------------------------------------
 *
 * privileges.c
 *	  Never serving as root: dropping to --user.
 *
 * Started as root (say, to bind port 80, or by an init script), the gateway
 * binds its port and opens its logs, then becomes --user (its groups, its
 * group and its user id, for good: getting root back must fail) before it
 * connects to the database or reads a request.  Started as root without
 * --user, it refuses to start.  Started as another user, --user may only
 * name that user.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* initgroups */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "privileges.h"

/* The account of a user name, or NULL (with a message) when there is none. */
static struct passwd *
lookup_user(const char *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		fprintf(stderr, "signals-gateway: --user=%s: %s\n", user,
				errno != 0 ? strerror(errno) : "no such user");
	return pw;
}

/*
 * Before anything starts: whether the process may run as it was started,
 * with this --user (NULL when none was given).  Prints why not.
 */
bool
privileges_check(const char *user)
{
	struct passwd *pw;

	if (geteuid() == 0 && user == NULL)
	{
		fprintf(stderr, "signals-gateway: refusing to run as root: give --user=USER, an unprivileged\n"
				"user to run as once the port is bound (see \"signals-gateway --help\")\n");
		return false;
	}
	if (user == NULL)
		return true;
	pw = lookup_user(user);
	if (pw == NULL)
		return false;
	if (pw->pw_uid == 0)
	{
		fprintf(stderr, "signals-gateway: --user=%s: must name an unprivileged user, not root\n", user);
		return false;
	}
	if (geteuid() != 0 && geteuid() != pw->pw_uid)
	{
		fprintf(stderr, "signals-gateway: --user=%s: only root can switch users\n", user);
		return false;
	}
	return true;
}

/* Become the user (when root); false (logged) when that fails. */
bool
privileges_drop(const char *user)
{
	struct passwd *pw;
	uid_t		uid;
	gid_t		gid;

	if (user == NULL || geteuid() != 0)
		return true;
	pw = getpwnam(user);
	if (pw == NULL)
	{
		log_message(LOG_LEVEL_ERROR, "user \"%s\" is gone", user);
		return false;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (initgroups(pw->pw_name, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
	{
		log_message(LOG_LEVEL_ERROR, "could not become user \"%s\": %s", user, strerror(errno));
		return false;
	}
	if (setuid(0) == 0 || geteuid() != uid || getegid() != gid)
	{
		log_message(LOG_LEVEL_ERROR, "could not drop root privileges for good");
		return false;
	}
	/* libpq finds ~/.pgpass and friends through the user's home. */
	setenv("HOME", pw->pw_dir, 1);
	log_message(LOG_LEVEL_INFO, "running as user \"%s\" (uid %d, gid %d)", user, (int) uid, (int) gid);
	return true;
}
