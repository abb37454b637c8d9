/*-------------------------------------------------------------------------
 *
 * restore.c
 *	  Loading a dump: the extension's tables take their rows in any order.
 *
 * pg_dump keeps the extension's user data (pg_extension_config_dump), but
 * its archive records no order between the data of extension tables, so a
 * parallel pg_restore loads them in any order while the foreign keys made by
 * CREATE EXTENSION are already in force: a row arriving before the row it
 * references fails its whole COPY.  And the triggers on those tables (the
 * artefact-derived report fields) would run again on rows that already
 * carry their results.
 *
 * So a COPY into one of the extension's tables from a restore session is
 * run as pg_restore --disable-triggers runs a data-only load: with
 * session_replication_role = replica, which checks no foreign keys and fires
 * no triggers.  A restore session is a superuser's (only a superuser may
 * switch those checks off anyway) with row_security = off, as pg_dump and
 * pg_restore set it; an ordinary session's COPY is checked as usual.  The
 * dump was consistent when it was taken, so the loaded rows are too.
 *
 * While such a session is connected, it holds a lock that the background
 * workers try at every step: they do not group signals into a half-loaded
 * database.  The lock is an advisory lock of a class no SQL function can
 * take (field 4 is neither 1 nor 2, pg_advisory_lock's classes).
 *
 * Needs the library preloaded (shared_preload_libraries), so that the hook
 * is in every session of the restore.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lock.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/rls.h"

#include "signals.h"

/* Field 4 of the restore lock's tag: out of reach of pg_advisory_lock(). */
#define RESTORE_LOCK_CLASS 0x5167

static ProcessUtility_hook_type prev_process_utility = NULL;

static void
set_restore_lock_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, 0, 0, RESTORE_LOCK_CLASS);
}

/*
 * A worker step: take the restore lock for this transaction, or return
 * false when a restore session holds it.  Workers do not block each other.
 */
bool
restore_lock_try_worker(void)
{
	LOCKTAG		tag;

	set_restore_lock_tag(&tag);
	return LockAcquire(&tag, RowExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}

/* Whether a COPY statement loads rows into one of the extension's tables. */
static bool
copies_into_extension_table(const CopyStmt *stmt)
{
	Oid			relid;
	Oid			extension;

	if (!stmt->is_from || stmt->relation == NULL)
		return false;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return false;
	extension = get_extension_oid("signals", true);
	return OidIsValid(extension) &&
		getExtensionOfObject(RelationRelationId, relid) == extension;
}

/* Whether this session restores a dump: a superuser with row security off. */
static bool
is_restore_session(void)
{
	return !row_security && superuser();
}

static void
restore_process_utility(PlannedStmt *pstmt, const char *queryString,
						bool readOnlyTree, ProcessUtilityContext context,
						ParamListInfo params, QueryEnvironment *queryEnv,
						DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	int			nest_level = -1;

	if (IsA(parsetree, CopyStmt) &&
		copies_into_extension_table((CopyStmt *) parsetree) &&
		is_restore_session())
	{
		LOCKTAG		tag;

		/* Held until the session ends: a restore is many statements. */
		set_restore_lock_tag(&tag);
		if (!LockHeldByMe(&tag, ShareLock))
			(void) LockAcquire(&tag, ShareLock, true, false);
		/* Undone at the end of this statement, or by its abort. */
		nest_level = NewGUCNestLevel();
		(void) set_config_option("session_replication_role", "replica",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	}

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (nest_level >= 0)
		AtEOXact_GUC(true, nest_level);
}

/* Install the hook; called from _PG_init. */
void
restore_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = restore_process_utility;
}
