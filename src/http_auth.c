/*-------------------------------------------------------------------------
 *
 * http_auth.c
 *	  API keys: from the Authorization header to an identity, its scopes
 *	  and the teams it reaches.
 *
 * Tokens are looked up by their SHA-256 hash, so the table never holds a
 * usable secret.  The identity lives only in the router's C variables for
 * the length of one call; no SQL-visible setting carries it, so a SQL caller
 * cannot forge it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"

#include "http.h"

#define MAX_TOKEN_BYTES 256

static SPIPlanPtr key_plan = NULL;
static SPIPlanPtr member_plan = NULL;
static SPIPlanPtr only_team_plan = NULL;
static SPIPlanPtr touch_plan = NULL;

static SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	return plan;
}

/* The token of "Bearer <token>", or NULL when there is none. */
static char *
bearer_token(const char *authorization)
{
	const char *p = authorization;
	const char *end;

	if (p == NULL)
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (pg_strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return NULL;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == p)
		return NULL;
	return pnstrdup(p, end - p);
}

static bytea *
token_sha256(const char *data, size_t len)
{
	bytea	   *digest = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, (uint8 *) VARDATA(digest), PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	SET_VARSIZE(digest, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return digest;
}

static Datum
column(int attno, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, attno, isnull);
}

/* Fill who->scopes from a text[] value. */
static void
read_scopes(Identity *who, Datum array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	who->scopes = palloc(sizeof(char *) * (n + 1));
	who->nscopes = 0;
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			who->scopes[who->nscopes++] = TextDatumGetCString(elems[i]);
}

/* Fill who->scoped_teams from a bigint[] value. */
static void
read_scoped_teams(Identity *who, Datum array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(DatumGetArrayTypeP(array), INT8OID, 8, FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	who->scoped_teams = palloc(sizeof(int64) * (n + 1));
	who->nscoped_teams = 0;
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			who->scoped_teams[who->nscoped_teams++] = DatumGetInt64(elems[i]);
}

/*
 * Resolve the Authorization header to an identity.  Needs an SPI connection.
 */
AuthResult
authenticate(const char *authorization, Identity *who)
{
	char	   *token = bearer_token(authorization);
	Datum		hash;
	bool		isnull;
	int			rc;

	memset(who, 0, sizeof(Identity));
	if (token == NULL)
		return AUTH_MISSING;
	if (strlen(token) > MAX_TOKEN_BYTES)
		return AUTH_INVALID;

	if (key_plan == NULL)
	{
		Oid			argtypes[1] = {BYTEAOID};

		key_plan = keep_plan(
							 "SELECT k.key_id, k.kind OPERATOR(pg_catalog.=) 'scout', k.user_id, k.team_id,"
							 "       k.scopes, k.scoped_teams,"
							 "       (k.last_used_at IS NULL OR k.last_used_at OPERATOR(pg_catalog.<)"
							 "        (pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 hour'))"
							 "  FROM signals.api_keys k"
							 " WHERE k.token_hash OPERATOR(pg_catalog.=) $1"
							 "   AND k.revoked_at IS NULL",
							 1, argtypes);
	}
	hash = PointerGetDatum(token_sha256(token, strlen(token)));
	rc = SPI_execute_plan(key_plan, &hash, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "API key lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return AUTH_INVALID;

	memcpy(&who->key_id, DatumGetUUIDP(column(1, &isnull)), sizeof(pg_uuid_t));
	who->is_scout_token = DatumGetBool(column(2, &isnull));
	{
		Datum		user = column(3, &isnull);

		who->has_user = !isnull;
		if (!isnull)
			memcpy(&who->user_id, DatumGetUUIDP(user), sizeof(pg_uuid_t));
	}
	{
		Datum		team = column(4, &isnull);

		who->token_team = isnull ? 0 : DatumGetInt64(team);
	}
	read_scopes(who, column(5, &isnull));
	{
		Datum		teams = column(6, &isnull);

		who->nscoped_teams = -1;
		if (!isnull)
			read_scoped_teams(who, teams);
	}
	who->last_use_stale = DatumGetBool(column(7, &isnull));
	return AUTH_OK;
}

/*
 * Whether the key holds the scope: exactly, through "*" (never for internal
 * scopes), or for a :read scope through the matching :write scope.
 */
bool
identity_has_scope(const Identity *who, const char *scope)
{
	bool		internal = strstr(scope, "_internal:") != NULL;
	const char *colon = strrchr(scope, ':');
	bool		is_read = colon != NULL && strcmp(colon, ":read") == 0;

	for (int i = 0; i < who->nscopes; i++)
	{
		const char *held = who->scopes[i];

		if (strcmp(held, scope) == 0)
			return true;
		if (strcmp(held, "*") == 0 && !internal)
			return true;
		if (is_read && strncmp(held, scope, colon - scope) == 0 &&
			strcmp(held + (colon - scope), ":write") == 0)
			return true;
	}
	return false;
}

/*
 * The team "@current" stands for: the key's only team.  False when the key
 * reaches no team or several.
 */
bool
resolve_current_project(const Identity *who, int64 *team_id)
{
	Datum		user;
	int			rc;
	bool		isnull;

	if (who->is_scout_token)
	{
		*team_id = who->token_team;
		return true;
	}
	if (who->nscoped_teams >= 0)
	{
		if (who->nscoped_teams != 1)
			return false;
		*team_id = who->scoped_teams[0];
		return true;
	}

	if (only_team_plan == NULL)
	{
		Oid			argtypes[1] = {UUIDOID};

		only_team_plan = keep_plan(
								   "SELECT m.team_id FROM signals.team_members m"
								   " WHERE m.user_id OPERATOR(pg_catalog.=) $1 LIMIT 2",
								   1, argtypes);
	}
	user = UUIDPGetDatum(&((Identity *) who)->user_id);
	rc = SPI_execute_plan(only_team_plan, &user, NULL, true, 2);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "team lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed != 1)
		return false;
	*team_id = DatumGetInt64(column(1, &isnull));
	return true;
}

/*
 * Whether the key may act on the team.  When it may not, *denial is the
 * detail of the 403 response.
 */
bool
identity_reaches_team(const Identity *who, int64 team_id, const char **denial)
{
	Datum		args[2];
	bool		isnull;
	int			rc;

	*denial = "You don't have access to the project.";
	if (who->is_scout_token)
		return team_id == who->token_team;

	if (who->nscoped_teams >= 0)
	{
		bool		listed = false;

		for (int i = 0; i < who->nscoped_teams; i++)
			listed |= who->scoped_teams[i] == team_id;
		if (!listed)
		{
			*denial = psprintf("API key does not have access to the requested project: ID " INT64_FORMAT ".",
							   team_id);
			return false;
		}
	}

	if (member_plan == NULL)
	{
		Oid			argtypes[2] = {INT8OID, UUIDOID};

		member_plan = keep_plan(
								"SELECT EXISTS (SELECT FROM signals.team_members m"
								"                WHERE m.team_id OPERATOR(pg_catalog.=) $1"
								"                  AND m.user_id OPERATOR(pg_catalog.=) $2)",
								2, argtypes);
	}
	args[0] = Int64GetDatum(team_id);
	args[1] = UUIDPGetDatum(&((Identity *) who)->user_id);
	rc = SPI_execute_plan(member_plan, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "membership lookup failed: %s", SPI_result_code_string(rc));
	return DatumGetBool(column(1, &isnull));
}

/*
 * Record that the key was used, at most once an hour, so that reads stay
 * reads.  A row locked by someone else (a revoke, or another request doing
 * the same) is skipped rather than waited for.
 */
void
note_key_use(const Identity *who)
{
	Datum		key;
	int			rc;
	MemoryContext oldcontext;
	ResourceOwner oldowner;

	if (!who->last_use_stale || XactReadOnly || RecoveryInProgress())
		return;
	if (touch_plan == NULL)
	{
		Oid			argtypes[1] = {UUIDOID};

		touch_plan = keep_plan(
							   "UPDATE signals.api_keys k SET last_used_at = pg_catalog.now()"
							   " WHERE k.key_id OPERATOR(pg_catalog.=) ANY"
							   "       (SELECT l.key_id FROM signals.api_keys l"
							   "         WHERE l.key_id OPERATOR(pg_catalog.=) $1"
							   "           FOR UPDATE SKIP LOCKED)",
							   1, argtypes);
	}
	key = UUIDPGetDatum(&((Identity *) who)->key_id);

	/*
	 * On Citus the keys are a reference table, written on every node: with a
	 * node down the use cannot be recorded, and a call that does not need
	 * that node must not fail for it.  Only that failure is passed over.
	 */
	oldcontext = CurrentMemoryContext;
	oldowner = CurrentResourceOwner;
	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		rc = SPI_execute_plan(touch_plan, &key, NULL, false, 0);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "could not record API key use: %s", SPI_result_code_string(rc));
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_CONNECTION_EXCEPTION)
			ReThrowError(edata);
		FreeErrorData(edata);
	}
	PG_END_TRY();
}
