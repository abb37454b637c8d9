/*-------------------------------------------------------------------------
 *
 * role_drop.c
 *	  Forget a dropped role's team grants.
 *
 * signals.team_roles names each granted role by OID and name, and a row
 * counts only while a role with that OID still has that name, so a dropped
 * role's rows grant nothing, whatever role later gets its OID (here, or in a
 * database restored from a dump).  This hook also deletes them when the role
 * is dropped, in the database of the session that drops it (roles belong to
 * the cluster; other databases keep inert rows, which grant nothing).  It works wherever the library is loaded, which
 * shared_preload_libraries makes every session.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_authid.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "signals.h"

static object_access_hook_type prev_object_access_hook = NULL;

/* Delete the team grants of a role being dropped, as the table's owner. */
static void
forget_role_grants(Oid role)
{
	Oid			extension = get_extension_oid("signals", true);
	Oid			table;
	HeapTuple	tuple;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	Datum		arg = ObjectIdGetDatum(role);
	Oid			argtype = OIDOID;

	if (!OidIsValid(extension))
		return;
	table = get_relname_relid("team_roles", get_namespace_oid("signals", true));
	/* Nothing to do before the extension's update to a version with role_oid. */
	if (!OidIsValid(table) || get_attnum(table, "role_oid") == InvalidAttrNumber)
		return;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(table));
	if (!HeapTupleIsValid(tuple))
		return;
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("DELETE FROM signals.team_roles"
							  " WHERE role_oid OPERATOR(pg_catalog.=) $1",
							  1, &argtype, &arg, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not forget the team grants of role %u", role);
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

static void
signals_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					  int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access == OAT_DROP && classId == AuthIdRelationId && IsTransactionState())
		forget_role_grants(objectId);
}

/* Install the hook; called from _PG_init. */
void
role_drop_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = signals_object_access;
}
