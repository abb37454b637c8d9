-- signals 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION signals UPDATE TO '0.2.0'" to load this file. \quit

-- The library loaded in this session must be 0.2.0's: the functions below
-- name its symbols.  A server that loaded 0.1.0's library before the new
-- one was installed keeps it until it restarts.
DO $$
BEGIN
    CREATE FUNCTION @extschema@.library_version()
    RETURNS text
    AS 'MODULE_PATHNAME', 'signals_library_version'
    LANGUAGE C STABLE PARALLEL SAFE;
EXCEPTION WHEN undefined_function THEN
    RAISE EXCEPTION 'the signals library loaded in this server is older than version 0.2.0'
        USING DETAIL = 'The server loaded the library before version 0.2.0 was installed.',
              HINT = 'Restart PostgreSQL so that it loads the installed library, then run ALTER EXTENSION signals UPDATE again.';
END
$$;
COMMENT ON FUNCTION @extschema@.library_version() IS
'the version of the signals library loaded in this session; it serves only a schema of the same version (ALTER EXTENSION signals UPDATE after installing a new one)';

-- 1. Functions that 0.2.0 drops or declares anew (another signature,
--    other argument names or result).
-- http_handle takes the Authorization header as an argument of its own (a
-- signals.secret, created below), so that no log shows it.
DROP FUNCTION @extschema@.http_handle(text, text, text, jsonb, text);
DROP FUNCTION @extschema@.http_handle(text, text, text, jsonb, bytea);
DROP FUNCTION @extschema@.profile_lock_key(bigint);
DROP FUNCTION @extschema@.report_transition(bigint, uuid, text, integer, text, text, text);
DROP FUNCTION @extschema@.routes();
DROP FUNCTION @extschema@.set_team_settings(bigint, boolean, text, text[], text);

-- 2. Tables.

-- Who decides uncertain matches (the external judge, 62_judge.sql).
ALTER TABLE @extschema@.team_settings
    ADD COLUMN matching_mode text NOT NULL DEFAULT 'engine'
        CHECK (matching_mode OPERATOR(pg_catalog.=) ANY ('{engine,external}'::text[])),
    ADD COLUMN judge_deadline interval NOT NULL DEFAULT '15 minutes'
        CHECK (judge_deadline OPERATOR(pg_catalog.>) '0'::interval);
COMMENT ON TABLE @extschema@.team_settings IS
'per-team settings: AI processing approval (gates emits), product context for the project profile, who researches candidate reports (the built-in summarizer or an external agent), and who decides uncertain matches (the engine, or an external judge within judge_deadline)';
-- A team granted to a role is kept by the role's OID and name: a grant
-- counts only while both match (a dropped role's OID taken by another, or a
-- dump restored elsewhere, grants nothing).
DROP POLICY own_roles ON @extschema@.team_roles;
ALTER TABLE @extschema@.team_roles ADD COLUMN role_oid oid, ADD COLUMN role_name name;
UPDATE @extschema@.team_roles r
   SET role_oid = r.role::oid,
       role_name = (SELECT a.rolname FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) r.role::oid);
ALTER TABLE @extschema@.team_roles
    DROP CONSTRAINT team_roles_pkey,
    DROP COLUMN role,
    ALTER COLUMN role_oid SET NOT NULL,
    ALTER COLUMN role_name SET NOT NULL,
    ADD PRIMARY KEY (team_id, role_oid);
CREATE POLICY own_roles ON @extschema@.team_roles
    USING (pg_catalog.pg_has_role(role_oid, 'USAGE'));
COMMENT ON TABLE @extschema@.team_roles IS
'database roles granted a team: members of such a role see that team''s rows through SQL and call signals_api for it';
COMMENT ON COLUMN @extschema@.team_roles.role_name IS
'the role''s name when it was granted: a row counts only while the role with role_oid has this name, so neither a dropped role''s OID taken by another role nor a dump restored into another cluster grants the team to anyone else';
-- A profile provider is pinned by OID and owner (found by name here, as
-- 0.1.0 found it; one whose function is gone is dropped with a notice).
ALTER TABLE @extschema@.profile_providers
    ADD COLUMN provider_oid oid, ADD COLUMN owner_oid oid, ADD COLUMN owner_name text;
UPDATE @extschema@.profile_providers pp
   SET provider_oid = p.oid, owner_oid = p.proowner,
       owner_name = (SELECT a.rolname FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) p.proowner)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(
           pg_catalog.format('%I.%I(bigint)', pp.provider_schema, pp.provider_name));
DO $$
DECLARE
    gone text;
BEGIN
    FOR gone IN DELETE FROM @extschema@.profile_providers WHERE provider_oid IS NULL RETURNING section LOOP
        RAISE NOTICE 'the provider of profile section % no longer exists and was unregistered', gone;
    END LOOP;
END
$$;
ALTER TABLE @extschema@.profile_providers
    ALTER COLUMN provider_oid SET NOT NULL,
    ALTER COLUMN owner_oid SET NOT NULL,
    ALTER COLUMN owner_name SET NOT NULL;
COMMENT ON TABLE @extschema@.profile_providers IS
'the function that fills each host-application section of the project profile: schema.name(team_id bigint) returning json or jsonb, pinned by OID and owner at registration; global, not per team';
COMMENT ON COLUMN @extschema@.profile_providers.provider_oid IS
'the registered function: a function of the same name with another OID (dropped and re-created, or a restored dump) is refused';
COMMENT ON COLUMN @extschema@.profile_providers.owner_oid IS
'the function''s owner at registration: the provider runs as this role, and is refused once the function has another owner';

-- Lineage: where a report went (merge) or came from (split).
ALTER TABLE @extschema@.reports
    ADD COLUMN merged_into uuid,
    ADD COLUMN split_from uuid,
    ADD CONSTRAINT reports_merged_into_fkey FOREIGN KEY (team_id, merged_into)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE SET NULL (merged_into),
    ADD CONSTRAINT reports_split_from_fkey FOREIGN KEY (team_id, split_from)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE SET NULL (split_from);
-- For the foreign keys' checks when a report row goes, and for the engine's
-- look-up of a report's split lineage.
CREATE INDEX reports_merged_into_idx
    ON @extschema@.reports (team_id, merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX reports_split_from_idx
    ON @extschema@.reports (team_id, split_from) WHERE split_from IS NOT NULL;
COMMENT ON COLUMN @extschema@.reports.merged_into IS
'the report this one was merged into (this one is then deleted; merging never rewrites this column)';
COMMENT ON COLUMN @extschema@.reports.split_from IS
'the report this one was split off from: the grouping engine never merges the two back';


-- Grouping (60_grouping.sql): the engine's tables name signals, not reports;
-- they are derived from the signals and rebuilt below.
DROP TABLE @extschema@.grouping_reports, @extschema@.grouping_postings, @extschema@.grouping_dedupe;
DELETE FROM @extschema@.grouping_df;
ALTER TABLE @extschema@.grouping_state ADD COLUMN width integer NOT NULL DEFAULT 1024;
COMMENT ON TABLE @extschema@.grouping_state IS
'per-team grouping state: how many signals the document-frequency sketch counts (halved on decay) and has ever counted, and its width; grouping holds the row while it works';COMMENT ON TABLE @extschema@.grouping_df IS
'per-team document frequencies of signal features and lines: a count-min sketch (grouping_state.width counters a row) stored as pages of 512 little-endian 16-bit counters';CREATE TABLE @extschema@.grouping_members (
    team_id     bigint NOT NULL,
    signal_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    features    bytea NOT NULL,
    PRIMARY KEY (team_id, signal_id),
    FOREIGN KEY (team_id, signal_id)
        REFERENCES @extschema@.signals (team_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.grouping_members IS
'a grouped signal''s features (hash, kind, prior class, title flag; 11 bytes each), which later signals are compared with';

CREATE TABLE @extschema@.grouping_postings (
    team_id    bigint NOT NULL,
    feature    bigint NOT NULL,
    signal_id  uuid NOT NULL,
    PRIMARY KEY (team_id, feature, signal_id)
);
COMMENT ON TABLE @extschema@.grouping_postings IS
'candidate index: for a feature hash, the grouped signals that carried it among their heaviest features (newest signal first by id)';

CREATE TABLE @extschema@.grouping_dedupe (
    team_id    bigint NOT NULL,
    key_hash   bigint NOT NULL,
    signal_id  uuid NOT NULL,
    seen_at    timestamptz NOT NULL,
    PRIMARY KEY (team_id, key_hash, signal_id)
);
COMMENT ON TABLE @extschema@.grouping_dedupe IS
'dedupe index: for a dedupe key hash, the grouped signals that carried it and when they arrived';
CREATE TABLE @extschema@.grouping_judgments (
    team_id      bigint NOT NULL,
    signal_id    uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deadline     timestamptz NOT NULL,
    candidates   jsonb NOT NULL,
    claimed_by   text,
    claimed_at   timestamptz,
    decided_at   timestamptz,
    decided_by   text,
    decision     uuid,
    applied_at   timestamptz,
    PRIMARY KEY (team_id, signal_id),
    FOREIGN KEY (team_id, signal_id) REFERENCES @extschema@.signals (team_id, id) ON DELETE CASCADE
);
CREATE INDEX grouping_judgments_pending_idx
    ON @extschema@.grouping_judgments (team_id, deadline) WHERE decided_at IS NULL;
COMMENT ON TABLE @extschema@.grouping_judgments IS
'uncertain matches waiting for (or decided by) an external judge: the signal''s best candidate reports with their evidence, who claimed it, and the decision (decision NULL with decided_at set: a new report)';
COMMENT ON COLUMN @extschema@.grouping_judgments.candidates IS
'the signal''s best candidate reports, best first: [{report_id, score, evidence, nearest_signal_id, shared}]';


-- The research queues are indexed; no worker step reads other teams' rows.
CREATE INDEX reports_candidates_idx
    ON @extschema@.reports (team_id, promoted_at, id)
    WHERE status OPERATOR(pg_catalog.=) 'candidate';
CREATE INDEX reports_candidates_all_teams_idx
    ON @extschema@.reports (promoted_at, team_id, id)
    WHERE status OPERATOR(pg_catalog.=) 'candidate';
CREATE INDEX reports_claims_idx
    ON @extschema@.reports (claimed_at, team_id, id)
    WHERE status OPERATOR(pg_catalog.=) 'in_progress' AND claimed_at IS NOT NULL;

COMMENT ON TYPE @extschema@.api_emit IS
'the JSON shape of POST scout/runs/:id/emit-signal/ (followed by a "warning" field when no background worker serves the database)';

-- 3. Every function as 0.2.0 defines it.

COMMENT ON FUNCTION @extschema@.library_version() IS
'the version of the signals library loaded in this session; it serves only a schema of the same version (ALTER EXTENSION signals UPDATE after installing a new one)';

-- Support functions in C that the schema and the domain functions build on.

-- Time-ordered UUID (version 7 layout): inserts stay at the right edge of indexes.
CREATE OR REPLACE FUNCTION @extschema@.uuid_v7()
RETURNS uuid
AS 'MODULE_PATHNAME', 'signals_uuid_v7'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.uuid_v7() IS
'a new UUID in the version 7 layout: 48 bits of Unix milliseconds, then random bits';

-- Timestamps as the API prints them: UTC, microseconds, a trailing Z.
CREATE OR REPLACE FUNCTION @extschema@.iso_time(timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_iso_time'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.iso_time(timestamptz) IS
'the timestamp in ISO 8601, UTC, with microseconds and a trailing Z, independent of TimeZone and DateStyle';

-- A random API token with the given prefix; only its hash is ever stored.
CREATE OR REPLACE FUNCTION @extschema@.new_token(prefix text)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_new_token'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.new_token(text) IS
'a new random token: the prefix followed by 43 base62 characters (256 bits of entropy)';

REVOKE ALL ON FUNCTION @extschema@.new_token(text) FROM PUBLIC;

-- The teams granted to roles whose privileges member has (USAGE: itself or a
-- role it inherits from; a NOINHERIT member must SET ROLE).  A grant counts only
-- while its role still has the OID and the name it had when granted.
CREATE OR REPLACE FUNCTION @extschema@.team_ids_of_role(member oid)
RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Functions, not a join with pg_roles: on Citus this query goes to the
    -- table's placement as text, with the view expanded to pg_authid, which
    -- the caller may not read.  A dropped role's OID has no name and no members.
    SELECT coalesce(pg_catalog.array_agg(DISTINCT r.team_id), '{}')
      FROM @extschema@.team_roles r
     WHERE pg_catalog.pg_get_userbyid(r.role_oid) OPERATOR(pg_catalog.=) r.role_name
       AND pg_catalog.pg_has_role($1, r.role_oid, 'USAGE')
$$;

COMMENT ON FUNCTION @extschema@.team_ids_of_role(oid) IS
'the teams granted (through grant_team) to a role whose privileges the given role has (itself, or a role it inherits from), counting only grants whose role still has its granted name';

-- The teams the calling database role may see through SQL.  Row-level security
-- on every team table compares team_id with this list.
CREATE OR REPLACE FUNCTION @extschema@.visible_team_ids()
RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.team_ids_of_role(a.oid)
      FROM pg_catalog.pg_roles a
     WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER
$$;

COMMENT ON FUNCTION @extschema@.visible_team_ids() IS
'the teams granted (through grant_team) to the current user or a role it inherits from';

-- Create a team with its settings row; the id is the PostHog project id when given.
-- Without an id, the sequence's next value that no team holds: teams created
-- with explicit ids are skipped, never collided with.
CREATE OR REPLACE FUNCTION @extschema@.create_team(name text, team_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id bigint := team_id;
BEGIN
    IF new_id OPERATOR(pg_catalog.<=) 0 THEN
        RAISE EXCEPTION 'team id must be positive'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'team_id';
    END IF;
    IF new_id IS NOT NULL THEN
        INSERT INTO @extschema@.teams (team_id, name) VALUES (new_id, name);
    ELSE
        -- ON CONFLICT waits for a concurrent insert of the same id and then
        -- skips it, so a sequence value some team holds is passed over.
        LOOP
            new_id := pg_catalog.nextval('@extschema@.team_id_seq');
            CONTINUE WHEN EXISTS (SELECT FROM @extschema@.teams t
                                   WHERE t.team_id OPERATOR(pg_catalog.=) new_id);
            INSERT INTO @extschema@.teams AS t (team_id, name) VALUES (new_id, name)
            ON CONFLICT ON CONSTRAINT teams_pkey DO NOTHING;
            EXIT WHEN FOUND;
        END LOOP;
    END IF;
    INSERT INTO @extschema@.team_settings (team_id) VALUES (new_id);
    INSERT INTO @extschema@.processing_state (team_id) VALUES (new_id);
    -- the team's grouping lock (grouping_store.c): there before anyone holds it
    INSERT INTO @extschema@.grouping_state (team_id) VALUES (new_id);
    RETURN new_id;
END
$$;

COMMENT ON FUNCTION @extschema@.create_team(text, bigint) IS
'create a team (project) with default settings; returns its id (without one: the next sequence value that no team holds)';

-- Change a team's settings; arguments left NULL keep their value.
CREATE OR REPLACE FUNCTION @extschema@.set_team_settings(
    team_id bigint,
    ai_processing_approved boolean DEFAULT NULL,
    product_description text DEFAULT NULL,
    app_urls text[] DEFAULT NULL,
    research_mode text DEFAULT NULL,
    matching_mode text DEFAULT NULL,
    judge_deadline interval DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF research_mode IS NOT NULL AND research_mode OPERATOR(pg_catalog.<>) ALL ('{builtin,external}'::text[]) THEN
        RAISE EXCEPTION 'research_mode must be builtin or external'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'research_mode';
    END IF;
    IF matching_mode IS NOT NULL AND matching_mode OPERATOR(pg_catalog.<>) ALL ('{engine,external}'::text[]) THEN
        RAISE EXCEPTION 'matching_mode must be engine or external'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'matching_mode';
    END IF;
    IF judge_deadline OPERATOR(pg_catalog.<=) '0'::interval THEN
        RAISE EXCEPTION 'judge_deadline must be positive'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'judge_deadline';
    END IF;
    UPDATE @extschema@.team_settings s
       SET ai_processing_approved = coalesce(set_team_settings.ai_processing_approved, s.ai_processing_approved),
           product_description = coalesce(set_team_settings.product_description, s.product_description),
           app_urls = coalesce(set_team_settings.app_urls, s.app_urls),
           research_mode = coalesce(set_team_settings.research_mode, s.research_mode),
           matching_mode = coalesce(set_team_settings.matching_mode, s.matching_mode),
           judge_deadline = coalesce(set_team_settings.judge_deadline, s.judge_deadline),
           updated_at = pg_catalog.now()
     WHERE s.team_id OPERATOR(pg_catalog.=) set_team_settings.team_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'team % does not exist', team_id
            USING ERRCODE = 'no_data_found', COLUMN = 'team_id';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.set_team_settings(bigint, boolean, text, text[], text, text, interval) IS
'change a team''s settings; NULL arguments leave the setting as it is';

-- Create a user; returns the new user's id.
CREATE OR REPLACE FUNCTION @extschema@.create_user(email text, github_login text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    IF email IS NULL OR pg_catalog.strpos(email, '@') OPERATOR(pg_catalog.<) 2 THEN
        RAISE EXCEPTION 'email must be an address like "name@example.com"'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'email';
    END IF;
    INSERT INTO @extschema@.users (email, github_login)
    VALUES (email, github_login)
    RETURNING user_id INTO new_id;
    RETURN new_id;
END
$$;

COMMENT ON FUNCTION @extschema@.create_user(text, text) IS
'create a user (unique by case-insensitive email); returns the user id';

-- Make a user a member of a team.
CREATE OR REPLACE FUNCTION @extschema@.add_team_member(team_id bigint, user_id uuid)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.team_members (team_id, user_id)
    VALUES ($1, $2)
    ON CONFLICT DO NOTHING
$$;

COMMENT ON FUNCTION @extschema@.add_team_member(bigint, uuid) IS
'make a user a member of a team (no error if already a member)';

-- Remove a user from a team.
CREATE OR REPLACE FUNCTION @extschema@.remove_team_member(team_id bigint, user_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM @extschema@.team_members m
         WHERE m.team_id OPERATOR(pg_catalog.=) $1
           AND m.user_id OPERATOR(pg_catalog.=) $2
        RETURNING 1)
    SELECT EXISTS (SELECT FROM gone)
$$;

COMMENT ON FUNCTION @extschema@.remove_team_member(bigint, uuid) IS
'remove a user from a team; returns whether they were a member';

-- Check a list of scopes for a key of the given kind; returns it sorted and deduplicated.
CREATE OR REPLACE FUNCTION @extschema@.checked_scopes(scopes text[], kind text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s text;
    is_internal boolean;
BEGIN
    IF scopes IS NULL OR pg_catalog.cardinality(scopes) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'an API key needs at least one scope'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'scopes';
    END IF;
    FOREACH s IN ARRAY scopes LOOP
        IF s OPERATOR(pg_catalog.=) '*' THEN
            CONTINUE;
        END IF;
        SELECT a.internal INTO is_internal
          FROM @extschema@.api_scopes a WHERE a.scope OPERATOR(pg_catalog.=) s;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown scope "%"', s
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'scopes',
                      HINT = 'Valid scopes are listed in signals.api_scopes, and "*" grants every non-internal scope.';
        END IF;
        IF is_internal AND kind OPERATOR(pg_catalog.=) 'personal' THEN
            RAISE EXCEPTION 'scope "%" cannot be granted to a personal API key', s
                USING ERRCODE = 'insufficient_privilege', COLUMN = 'scopes',
                      DETAIL = 'Internal scopes are carried only by scout tokens (signals.create_scout_token).';
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT u FROM pg_catalog.unnest(scopes) u ORDER BY u);
END
$$;

COMMENT ON FUNCTION @extschema@.checked_scopes(text[], text) IS
'validate scopes for a personal or scout key: known, and internal ones only on scout tokens';

-- Create a personal API key for a user; the token is returned once.
CREATE OR REPLACE FUNCTION @extschema@.create_personal_key(
    user_id uuid,
    scopes text[],
    teams bigint[] DEFAULT NULL,
    label text DEFAULT '',
    OUT key_id uuid,
    OUT token text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    checked text[] := @extschema@.checked_scopes(scopes, 'personal');
    t bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.users u WHERE u.user_id OPERATOR(pg_catalog.=) create_personal_key.user_id) THEN
        RAISE EXCEPTION 'user % does not exist', user_id
            USING ERRCODE = 'no_data_found', COLUMN = 'user_id';
    END IF;
    IF teams IS NOT NULL THEN
        IF pg_catalog.cardinality(teams) OPERATOR(pg_catalog.=) 0 THEN
            RAISE EXCEPTION 'a team-limited key needs at least one team'
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'teams',
                      HINT = 'Pass NULL for a key that reaches all of the user''s teams.';
        END IF;
        FOREACH t IN ARRAY teams LOOP
            IF NOT EXISTS (SELECT FROM @extschema@.team_members m
                            WHERE m.team_id OPERATOR(pg_catalog.=) t
                              AND m.user_id OPERATOR(pg_catalog.=) create_personal_key.user_id) THEN
                RAISE EXCEPTION 'the key''s user is not a member of team %', t
                    USING ERRCODE = 'invalid_parameter_value', COLUMN = 'teams';
            END IF;
        END LOOP;
        teams := ARRAY(SELECT DISTINCT x FROM pg_catalog.unnest(teams) x ORDER BY x);
    END IF;
    token := @extschema@.new_token('phx_');
    INSERT INTO @extschema@.api_keys (kind, user_id, label, token_hash, mask, scopes, scoped_teams)
    VALUES ('personal', user_id, coalesce(label, ''),
            pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')),
            pg_catalog.left(token, 8) OPERATOR(pg_catalog.||) '...' OPERATOR(pg_catalog.||) pg_catalog.right(token, 4),
            checked, teams)
    RETURNING api_keys.key_id INTO key_id;
END
$$;

COMMENT ON FUNCTION @extschema@.create_personal_key(uuid, text[], bigint[], text) IS
'create a personal API key for a user with the given scopes, optionally limited to some of the user''s teams; the token is shown only here';

REVOKE ALL ON FUNCTION @extschema@.create_personal_key(uuid, text[], bigint[], text) FROM PUBLIC;

-- Create an internal scout token for a team; the token is returned once.
CREATE OR REPLACE FUNCTION @extschema@.create_scout_token(
    team_id bigint,
    label text DEFAULT 'scout',
    scopes text[] DEFAULT '{signal_scout:read,signal_scout_internal:write}',
    OUT key_id uuid,
    OUT token text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    checked text[] := @extschema@.checked_scopes(scopes, 'scout');
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.teams t WHERE t.team_id OPERATOR(pg_catalog.=) create_scout_token.team_id) THEN
        RAISE EXCEPTION 'team % does not exist', team_id
            USING ERRCODE = 'no_data_found', COLUMN = 'team_id';
    END IF;
    token := @extschema@.new_token('phs_');
    INSERT INTO @extschema@.api_keys (kind, team_id, label, token_hash, mask, scopes)
    VALUES ('scout', team_id, coalesce(label, ''),
            pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')),
            pg_catalog.left(token, 8) OPERATOR(pg_catalog.||) '...' OPERATOR(pg_catalog.||) pg_catalog.right(token, 4),
            checked)
    RETURNING api_keys.key_id INTO key_id;
END
$$;

COMMENT ON FUNCTION @extschema@.create_scout_token(bigint, text, text[]) IS
'create an internal scout token for a team (by default signal_scout:read and signal_scout_internal:write); the token is shown only here';

REVOKE ALL ON FUNCTION @extschema@.create_scout_token(bigint, text, text[]) FROM PUBLIC;

-- Revoke a key: from now on it authenticates nothing.
CREATE OR REPLACE FUNCTION @extschema@.revoke_key(key_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH revoked AS (
        UPDATE @extschema@.api_keys k
           SET revoked_at = pg_catalog.now()
         WHERE k.key_id OPERATOR(pg_catalog.=) $1
           AND k.revoked_at IS NULL
        RETURNING 1)
    SELECT EXISTS (SELECT FROM revoked)
$$;

COMMENT ON FUNCTION @extschema@.revoke_key(uuid) IS
'revoke an API key; returns false when it was unknown or already revoked';

REVOKE ALL ON FUNCTION @extschema@.revoke_key(uuid) FROM PUBLIC;

-- Give a role, or take back from it, the privileges a granted role holds:
-- USAGE on the schema and SELECT on the tables it reads (row-level security
-- keeps it inside its teams).  No table-level INSERT, UPDATE, DELETE or
-- TRUNCATE, which would let it LOCK a shared table and stop every other
-- team: it writes through signals_api, checked like an API key's calls.
-- Taking back also removes the writes that version 0.1.0's grant_team gave.
CREATE OR REPLACE FUNCTION @extschema@.set_team_role_privileges(role regrole, granted boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tables text := '@extschema@.teams, @extschema@.team_settings, @extschema@.users,
                    @extschema@.team_members, @extschema@.team_roles,
                    @extschema@.source_products, @extschema@.source_types,
                    @extschema@.api_scopes, @extschema@.grouping_state,
                    @extschema@.grouping_df, @extschema@.grouping_members,
                    @extschema@.grouping_postings, @extschema@.grouping_dedupe,
                    @extschema@.grouping_judgments, @extschema@.processing_state, @extschema@.source_configs,
                    @extschema@.scout_configs, @extschema@.scout_runs, @extschema@.reports,
                    @extschema@.report_artefacts, @extschema@.signals,
                    @extschema@.scratchpad, @extschema@.project_profiles';
BEGIN
    IF granted THEN
        EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role);
        EXECUTE pg_catalog.format('GRANT SELECT ON %s TO %s', tables, role);
    ELSE
        EXECUTE pg_catalog.format('REVOKE SELECT, INSERT, UPDATE, DELETE ON %s FROM %s', tables, role);
        EXECUTE pg_catalog.format('REVOKE USAGE ON SCHEMA @extschema@ FROM %s', role);
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.set_team_role_privileges(regrole, boolean) IS
'grant a role what a role granted a team holds (schema usage, SELECT on the tables), or take it back (with the table writes an older grant_team gave)';

REVOKE ALL ON FUNCTION @extschema@.set_team_role_privileges(regrole, boolean) FROM PUBLIC;

-- Let a database role work with one team's data through SQL.
CREATE OR REPLACE FUNCTION @extschema@.grant_team(team_id bigint, role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The name is kept with the OID: the grant counts only while both match.
    INSERT INTO @extschema@.team_roles AS r (team_id, role_oid, role_name)
    SELECT grant_team.team_id, a.oid, a.rolname
      FROM pg_catalog.pg_roles a
     WHERE a.oid OPERATOR(pg_catalog.=) grant_team.role
    ON CONFLICT ON CONSTRAINT team_roles_pkey DO UPDATE
       SET role_name = excluded.role_name;
    PERFORM @extschema@.set_team_role_privileges(role, true);
END
$$;

COMMENT ON FUNCTION @extschema@.grant_team(bigint, regrole) IS
'let members of a database role read one team''s rows (row-level security keeps other teams out) and call the signals_api functions for it';

REVOKE ALL ON FUNCTION @extschema@.grant_team(bigint, regrole) FROM PUBLIC;

-- Take a team away from a database role; with its last team go its privileges.
CREATE OR REPLACE FUNCTION @extschema@.revoke_team(team_id bigint, role regrole)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    had boolean;
BEGIN
    DELETE FROM @extschema@.team_roles r
     WHERE r.team_id OPERATOR(pg_catalog.=) revoke_team.team_id
       AND r.role_oid OPERATOR(pg_catalog.=) revoke_team.role;
    had := FOUND;
    IF NOT EXISTS (SELECT FROM @extschema@.team_roles r
                    WHERE r.role_oid OPERATOR(pg_catalog.=) revoke_team.role) THEN
        PERFORM @extschema@.set_team_role_privileges(role, false);
    END IF;
    RETURN had;
END
$$;

COMMENT ON FUNCTION @extschema@.revoke_team(bigint, regrole) IS
'stop a database role from reaching a team; with its last team it loses what grant_team gave it; returns whether it had the team';

REVOKE ALL ON FUNCTION @extschema@.revoke_team(bigint, regrole) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.create_team(text, bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.set_team_settings(bigint, boolean, text, text[], text, text, interval) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.create_user(text, text) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.add_team_member(bigint, uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.remove_team_member(bigint, uuid) FROM PUBLIC;

-- Small helpers shared by the domain functions.

-- A LIKE pattern matching the text anywhere, with %, _ and \ taken literally.
-- This and is_blank have no SET clause so that they inline; their bodies are
-- fully qualified.
CREATE OR REPLACE FUNCTION @extschema@.contains_pattern(needle text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT '%' OPERATOR(pg_catalog.||)
           pg_catalog.regexp_replace(needle, '([\\%_])', '\\\1', 'g')
           OPERATOR(pg_catalog.||) '%'
$$;

COMMENT ON FUNCTION @extschema@.contains_pattern(text) IS
'a LIKE/ILIKE pattern that matches the given text as a substring, with wildcards escaped';

-- Whether a text is empty once whitespace is trimmed.
CREATE OR REPLACE FUNCTION @extschema@.is_blank(value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT pg_catalog.btrim(value, E' \t\n\r\x0B\f') OPERATOR(pg_catalog.=) ''
$$;

COMMENT ON FUNCTION @extschema@.is_blank(text) IS
'true when the text is empty or only whitespace';

-- Check a required text field: present, not blank, at most max_chars characters.
CREATE OR REPLACE FUNCTION @extschema@.check_text_field(field text, value text, max_chars integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% is required', field
            USING ERRCODE = 'not_null_violation', COLUMN = field;
    END IF;
    IF @extschema@.is_blank(value) THEN
        RAISE EXCEPTION '% may not be blank', field
            USING ERRCODE = 'zero_length_character_string', COLUMN = field;
    END IF;
    n := pg_catalog.length(value);
    IF n OPERATOR(pg_catalog.>) max_chars THEN
        RAISE EXCEPTION '% has % characters, max is %', field, n, max_chars
            USING ERRCODE = 'string_data_right_truncation', COLUMN = field;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.check_text_field(text, text, integer) IS
'raise the API''s validation error unless value is present, not blank and at most max_chars characters';

-- GET processing/: the processing state as a one-item page.
CREATE OR REPLACE FUNCTION @extschema@.processing_list(
    team_id bigint,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    total := 1;
    IF page_offset OPERATOR(pg_catalog.>) 0 OR page_limit OPERATOR(pg_catalog.<) 1 THEN
        results := '[]';
        RETURN;
    END IF;
    SELECT pg_catalog.json_build_array(pg_catalog.row_to_json(
               ROW(@extschema@.iso_time(p.paused_until))::@extschema@.api_processing_state))
      INTO results
      FROM (SELECT) one
      LEFT JOIN @extschema@.processing_state p
             ON p.team_id OPERATOR(pg_catalog.=) processing_list.team_id;
END
$$;

COMMENT ON FUNCTION @extschema@.processing_list(bigint, integer, integer) IS
'the team''s processing state, paginated like every list (always one result)';

-- PUT processing/pause/: hold grouping of the team's signals until the given time.
CREATE OR REPLACE FUNCTION @extschema@.processing_pause(team_id bigint, paused_until timestamptz)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF paused_until IS NULL THEN
        RAISE EXCEPTION 'timestamp is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'timestamp';
    END IF;
    IF NOT pg_catalog.isfinite(paused_until) THEN
        RAISE EXCEPTION 'timestamp must be a finite date and time'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'timestamp';
    END IF;
    INSERT INTO @extschema@.processing_state AS p (team_id, paused_until)
    VALUES (processing_pause.team_id, processing_pause.paused_until)
    ON CONFLICT ON CONSTRAINT processing_state_pkey DO UPDATE
       SET paused_until = excluded.paused_until, updated_at = excluded.updated_at;  -- now(), the default (Citus takes no volatile call here)
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.row_to_json(ROW('paused', @extschema@.iso_time(paused_until))::@extschema@.api_pause);
END
$$;

COMMENT ON FUNCTION @extschema@.processing_pause(bigint, timestamptz) IS
'pause grouping for the team until the given time; signals keep arriving and wait in the queue';

-- DELETE processing/pause/: end the pause now.
CREATE OR REPLACE FUNCTION @extschema@.processing_unpause(team_id bigint)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    previous timestamptz;
BEGIN
    SELECT p.paused_until INTO previous
      FROM @extschema@.processing_state p
     WHERE p.team_id OPERATOR(pg_catalog.=) processing_unpause.team_id
       FOR UPDATE;
    INSERT INTO @extschema@.processing_state AS p (team_id, paused_until)
    VALUES (processing_unpause.team_id, NULL)
    ON CONFLICT ON CONSTRAINT processing_state_pkey DO UPDATE
       SET paused_until = NULL, updated_at = excluded.updated_at;  -- now(), the default (Citus takes no volatile call here)
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.row_to_json(ROW('unpaused', NULL,
                                      coalesce(previous OPERATOR(pg_catalog.>) pg_catalog.now(), false)
                                     )::@extschema@.api_unpause);
END
$$;

COMMENT ON FUNCTION @extschema@.processing_unpause(bigint) IS
'end the team''s pause; was_paused tells whether a pause was still in force';

-- A source config as the API shows it.  The row-to-JSON helpers have no SET
-- search_path and no FROM clause, so that the planner inlines them: their
-- bodies are fully qualified and use no operators.
CREATE OR REPLACE FUNCTION @extschema@.source_config_json(c @extschema@.source_configs)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(c.id, c.source_product, c.source_type, c.enabled, c.config,
                                      @extschema@.iso_time(c.created_at),
                                      @extschema@.iso_time(c.updated_at),
                                      c.status)::@extschema@.api_source_config)
$$;

COMMENT ON FUNCTION @extschema@.source_config_json(@extschema@.source_configs) IS
'a source config row as the API shows it';

-- Check that a product and a type are known (rows of source_products and source_types).
CREATE OR REPLACE FUNCTION @extschema@.check_source(source_product text, source_type text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF source_product IS NULL THEN
        RAISE EXCEPTION 'source_product is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'source_product';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.source_products p
                    WHERE p.source_product OPERATOR(pg_catalog.=) check_source.source_product) THEN
        RAISE EXCEPTION '"%" is not a valid source_product', pg_catalog.left(source_product, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_product',
                  HINT = 'Known products are the rows of signals.source_products.';
    END IF;
    IF source_type IS NULL THEN
        RAISE EXCEPTION 'source_type is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'source_type';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.source_types t
                    WHERE t.source_type OPERATOR(pg_catalog.=) check_source.source_type) THEN
        RAISE EXCEPTION '"%" is not a valid source_type', pg_catalog.left(source_type, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_type',
                  HINT = 'Known types are the rows of signals.source_types.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.check_source(text, text) IS
'raise the API''s validation error unless the product and type are known';

-- Check that a config is a JSON object.
CREATE OR REPLACE FUNCTION @extschema@.check_config(config jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.jsonb_typeof(config) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'config must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'config';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.check_config(jsonb) IS
'raise the API''s validation error unless config is a JSON object';

-- GET source_configs/: the team's source configs, most recently updated first.
CREATE OR REPLACE FUNCTION @extschema@.source_configs_list(
    team_id bigint,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT pg_catalog.count(*) INTO total
      FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_configs_list.team_id;
    SELECT coalesce(pg_catalog.json_agg(@extschema@.source_config_json(c)
                                        ORDER BY c.updated_at DESC, c.id DESC), '[]')
      INTO results
      FROM (SELECT *
              FROM @extschema@.source_configs c
             WHERE c.team_id OPERATOR(pg_catalog.=) source_configs_list.team_id
             ORDER BY c.updated_at DESC, c.id DESC
             LIMIT coalesce(page_limit, 100) OFFSET coalesce(page_offset, 0)) c;
END
$$;

COMMENT ON FUNCTION @extschema@.source_configs_list(bigint, integer, integer) IS
'a page of the team''s source configs, most recently updated first';

-- GET source_configs/:id/
CREATE OR REPLACE FUNCTION @extschema@.source_config_get(team_id bigint, id uuid)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.source_config_json(ROW(c.*)::@extschema@.source_configs) INTO result  -- ROW(): see 98_citus.sql
      FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_config_get.team_id
       AND c.id OPERATOR(pg_catalog.=) source_config_get.id;
    IF result IS NULL THEN
        RAISE EXCEPTION 'source config not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN result;
END
$$;

COMMENT ON FUNCTION @extschema@.source_config_get(bigint, uuid) IS
'one source config of the team';

-- POST source_configs/
CREATE OR REPLACE FUNCTION @extschema@.source_config_create(
    team_id bigint,
    source_product text,
    source_type text,
    enabled boolean DEFAULT true,
    config jsonb DEFAULT '{}')
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    created @extschema@.source_configs;
BEGIN
    PERFORM @extschema@.check_source(source_product, source_type);
    PERFORM @extschema@.check_config(coalesce(config, '{}'));
    -- ON CONFLICT waits for a concurrent insert of the same source to commit,
    -- so of two racing creates exactly one wins and the other gets the 400.
    INSERT INTO @extschema@.source_configs AS c (team_id, source_product, source_type, enabled, config)
    VALUES (source_config_create.team_id, source_config_create.source_product,
            source_config_create.source_type, coalesce(source_config_create.enabled, true),
            coalesce(source_config_create.config, '{}'))
    ON CONFLICT ON CONSTRAINT source_configs_source_key DO NOTHING
    RETURNING * INTO created;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a configuration for this source product and type already exists for this team'
            USING ERRCODE = 'unique_violation', COLUMN = 'source_product';
    END IF;
    RETURN @extschema@.source_config_json(created);
END
$$;

COMMENT ON FUNCTION @extschema@.source_config_create(bigint, text, text, boolean, jsonb) IS
'configure a signal source for the team; one config per (source_product, source_type)';

-- PATCH source_configs/:id/: NULL arguments leave a field as it is.
CREATE OR REPLACE FUNCTION @extschema@.source_config_update(
    team_id bigint,
    id uuid,
    source_product text DEFAULT NULL,
    source_type text DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    config jsonb DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current @extschema@.source_configs;
BEGIN
    SELECT * INTO current
      FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_config_update.team_id
       AND c.id OPERATOR(pg_catalog.=) source_config_update.id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source config not found' USING ERRCODE = 'no_data_found';
    END IF;
    IF source_product IS NOT NULL AND source_product OPERATOR(pg_catalog.<>) current.source_product THEN
        RAISE EXCEPTION 'source_product cannot be changed after creation'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_product',
                  HINT = 'Delete this config and create one for the other source.';
    END IF;
    IF source_type IS NOT NULL AND source_type OPERATOR(pg_catalog.<>) current.source_type THEN
        RAISE EXCEPTION 'source_type cannot be changed after creation'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'source_type',
                  HINT = 'Delete this config and create one for the other source.';
    END IF;
    IF config IS NOT NULL THEN
        PERFORM @extschema@.check_config(config);
    END IF;
    UPDATE @extschema@.source_configs c
       SET enabled = coalesce(source_config_update.enabled, c.enabled),
           config = coalesce(source_config_update.config, c.config),
           updated_at = pg_catalog.now()
     WHERE c.team_id OPERATOR(pg_catalog.=) current.team_id
       AND c.id OPERATOR(pg_catalog.=) current.id
    RETURNING * INTO current;
    RETURN @extschema@.source_config_json(current);
END
$$;

COMMENT ON FUNCTION @extschema@.source_config_update(bigint, uuid, text, text, boolean, jsonb) IS
'change a source config''s enabled flag or config; its product and type are fixed at creation';

-- DELETE source_configs/:id/
CREATE OR REPLACE FUNCTION @extschema@.source_config_delete(team_id bigint, id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM @extschema@.source_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) source_config_delete.team_id
       AND c.id OPERATOR(pg_catalog.=) source_config_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source config not found' USING ERRCODE = 'no_data_found';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.source_config_delete(bigint, uuid) IS
'remove a source config; emits from that source are accepted again as for an unconfigured source';

-- A scratchpad entry as the API shows it (inlinable, like source_config_json).
CREATE OR REPLACE FUNCTION @extschema@.scratchpad_json(e @extschema@.scratchpad)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(e.key, e.content,
                                      @extschema@.iso_time(e.created_at),
                                      @extschema@.iso_time(e.updated_at),
                                      e.created_by_run_id)::@extschema@.api_scratchpad_entry)
$$;

COMMENT ON FUNCTION @extschema@.scratchpad_json(@extschema@.scratchpad) IS
'a scratchpad entry as the API shows it';

-- GET scout/scratchpad/: entries newest first, optionally matching a text.
CREATE OR REPLACE FUNCTION @extschema@.scratchpad_list(
    team_id bigint,
    text_filter text DEFAULT NULL,
    max_entries integer DEFAULT 20)
RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    -- Two queries, not one with "filter IS NULL OR ...": each keeps a plan
    -- that fits it (the newest-first index, or the trigram indexes).
    IF coalesce(text_filter, '') OPERATOR(pg_catalog.=) '' THEN
        SELECT coalesce(pg_catalog.json_agg(@extschema@.scratchpad_json(e)
                                            ORDER BY e.updated_at DESC, e.key DESC), '[]')
          INTO result
          FROM (SELECT *
                  FROM @extschema@.scratchpad e
                 WHERE e.team_id OPERATOR(pg_catalog.=) scratchpad_list.team_id
                 ORDER BY e.updated_at DESC, e.key DESC
                 LIMIT pg_catalog.int4larger(1, pg_catalog.int4smaller(coalesce(max_entries, 20), 100))) e;
    ELSE
        SELECT coalesce(pg_catalog.json_agg(@extschema@.scratchpad_json(e)
                                            ORDER BY e.updated_at DESC, e.key DESC), '[]')
          INTO result
          FROM (SELECT *
                  FROM @extschema@.scratchpad e
                 WHERE e.team_id OPERATOR(pg_catalog.=) scratchpad_list.team_id
                   AND (e.key OPERATOR(pg_catalog.~~*) @extschema@.contains_pattern(text_filter)
                        OR e.content OPERATOR(pg_catalog.~~*) @extschema@.contains_pattern(text_filter))
                 ORDER BY e.updated_at DESC, e.key DESC
                 LIMIT pg_catalog.int4larger(1, pg_catalog.int4smaller(coalesce(max_entries, 20), 100))) e;
    END IF;
    RETURN result;
END
$$;

COMMENT ON FUNCTION @extschema@.scratchpad_list(bigint, text, integer) IS
'the team''s scratchpad entries, newest first; text_filter matches key or content case-insensitively; max_entries is clamped to 1..100';

-- POST scout/scratchpad/: write an entry, or refresh the one with the same key.
CREATE OR REPLACE FUNCTION @extschema@.scratchpad_upsert(
    team_id bigint,
    key text,
    content text,
    run_id uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    own_run uuid;
    written @extschema@.scratchpad;
BEGIN
    PERFORM @extschema@.check_text_field('key', key, 300);
    PERFORM @extschema@.check_text_field('content', content, 50000);
    -- A run of another team (or no run at all) is not recorded.
    SELECT r.id INTO own_run
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) scratchpad_upsert.team_id
       AND r.id OPERATOR(pg_catalog.=) scratchpad_upsert.run_id;
    INSERT INTO @extschema@.scratchpad AS e (team_id, key, content, created_by_run_id)
    VALUES (scratchpad_upsert.team_id, scratchpad_upsert.key, scratchpad_upsert.content, own_run)
    ON CONFLICT ON CONSTRAINT scratchpad_pkey DO UPDATE
       SET content = excluded.content, updated_at = excluded.updated_at  -- now(), the default (Citus takes no volatile call here)
    RETURNING * INTO written;
    RETURN @extschema@.scratchpad_json(written);
END
$$;

COMMENT ON FUNCTION @extschema@.scratchpad_upsert(bigint, text, text, uuid) IS
'write a scratchpad entry keyed on (team, key); an existing entry keeps its created_by_run_id';

-- POST scout/scratchpad/forget/: delete an entry by key.
CREATE OR REPLACE FUNCTION @extschema@.scratchpad_forget(team_id bigint, key text)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.check_text_field('key', key, 300);
    DELETE FROM @extschema@.scratchpad e
     WHERE e.team_id OPERATOR(pg_catalog.=) scratchpad_forget.team_id
       AND e.key OPERATOR(pg_catalog.=) scratchpad_forget.key;
    RETURN pg_catalog.row_to_json(ROW(FOUND)::@extschema@.api_forget);
END
$$;

COMMENT ON FUNCTION @extschema@.scratchpad_forget(bigint, text) IS
'delete the team''s scratchpad entry with this key; {"deleted": false} when there was none';

-- Scout configs and runs: created, started and finished by the scout harness
-- through SQL; read through scout/runs/.

-- Configure a scout skill for a team (or change it); returns the config id.
CREATE OR REPLACE FUNCTION @extschema@.set_scout_config(
    team_id bigint,
    skill_name text,
    enabled boolean DEFAULT NULL,
    emit boolean DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config_id uuid;
BEGIN
    PERFORM @extschema@.check_text_field('skill_name', skill_name, 200);
    INSERT INTO @extschema@.scout_configs AS c (team_id, skill_name, enabled, emit)
    VALUES (set_scout_config.team_id, set_scout_config.skill_name,
            coalesce(set_scout_config.enabled, true), coalesce(set_scout_config.emit, true))
    ON CONFLICT ON CONSTRAINT scout_configs_skill_key DO UPDATE
       SET enabled = coalesce(set_scout_config.enabled, c.enabled),
           emit = coalesce(set_scout_config.emit, c.emit),
           updated_at = excluded.updated_at  -- now(), the default (Citus takes no volatile call here)
    RETURNING c.id INTO config_id;
    RETURN config_id;
END
$$;

COMMENT ON FUNCTION @extschema@.set_scout_config(bigint, text, boolean, boolean) IS
'create or change the scout config of a skill; emit = false makes its runs dry runs; NULL arguments keep the current value';

-- Create a run of a configured skill; returns the run id.
CREATE OR REPLACE FUNCTION @extschema@.create_scout_run(
    team_id bigint,
    skill_name text,
    skill_version integer DEFAULT 1,
    task_id text DEFAULT NULL,
    task_run_id text DEFAULT NULL,
    status text DEFAULT 'queued')
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config_id uuid;
    run_id uuid;
BEGIN
    PERFORM @extschema@.check_text_field('skill_name', skill_name, 200);
    IF status IS NULL OR status OPERATOR(pg_catalog.<>) ALL ('{not_started,queued,in_progress}'::text[]) THEN
        RAISE EXCEPTION 'a new run''s status must be not_started, queued or in_progress'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
    END IF;
    SELECT c.id INTO config_id
      FROM @extschema@.scout_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) create_scout_run.team_id
       AND c.skill_name OPERATOR(pg_catalog.=) create_scout_run.skill_name;
    INSERT INTO @extschema@.scout_runs
        (team_id, scout_config_id, skill_name, skill_version, task_id, task_run_id, status, started_at)
    VALUES (create_scout_run.team_id, config_id, create_scout_run.skill_name,
            coalesce(create_scout_run.skill_version, 1), create_scout_run.task_id,
            create_scout_run.task_run_id, create_scout_run.status,
            CASE WHEN create_scout_run.status OPERATOR(pg_catalog.=) 'in_progress' THEN pg_catalog.now() END)
    RETURNING id INTO run_id;
    RETURN run_id;
END
$$;

COMMENT ON FUNCTION @extschema@.create_scout_run(bigint, text, integer, text, text, text) IS
'create a scout run for a skill (linked to its scout config when one exists); returns the run id';

-- The run's status, the run locked for update; not found when it is missing.
CREATE OR REPLACE FUNCTION @extschema@.locked_scout_run_status(team_id bigint, run_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current text;
BEGIN
    SELECT r.status INTO current
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) locked_scout_run_status.team_id
       AND r.id OPERATOR(pg_catalog.=) locked_scout_run_status.run_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'scout run not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN current;
END
$$;

COMMENT ON FUNCTION @extschema@.locked_scout_run_status(bigint, uuid) IS
'lock a scout run and return its status (the not-found error when there is no such run)';

-- Mark a run as started.
CREATE OR REPLACE FUNCTION @extschema@.start_scout_run(team_id bigint, run_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current text := @extschema@.locked_scout_run_status(team_id, run_id);
BEGIN
    IF current OPERATOR(pg_catalog.<>) ALL ('{not_started,queued}'::text[]) THEN
        RAISE EXCEPTION 'cannot start a run that is %', current
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE @extschema@.scout_runs r
       SET status = 'in_progress', started_at = pg_catalog.now()
     WHERE r.team_id OPERATOR(pg_catalog.=) start_scout_run.team_id
       AND r.id OPERATOR(pg_catalog.=) start_scout_run.run_id;
END
$$;

COMMENT ON FUNCTION @extschema@.start_scout_run(bigint, uuid) IS
'move a not-started or queued run to in_progress';

-- Finish a run: completed, failed or cancelled, with its summary and error.
CREATE OR REPLACE FUNCTION @extschema@.finish_scout_run(
    team_id bigint,
    run_id uuid,
    status text,
    summary text DEFAULT NULL,
    error text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current text;
BEGIN
    IF status IS NULL OR status OPERATOR(pg_catalog.<>) ALL ('{completed,failed,cancelled}'::text[]) THEN
        RAISE EXCEPTION 'a run finishes as completed, failed or cancelled'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
    END IF;
    current := @extschema@.locked_scout_run_status(team_id, run_id);
    IF current OPERATOR(pg_catalog.=) ANY ('{completed,failed,cancelled}'::text[]) THEN
        RAISE EXCEPTION 'the run has already finished as %', current
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE @extschema@.scout_runs r
       SET status = finish_scout_run.status,
           summary = coalesce(finish_scout_run.summary, r.summary),
           error = CASE WHEN finish_scout_run.status OPERATOR(pg_catalog.=) 'completed'
                        THEN NULL ELSE finish_scout_run.error END,
           completed_at = pg_catalog.now()
     WHERE r.team_id OPERATOR(pg_catalog.=) finish_scout_run.team_id
       AND r.id OPERATOR(pg_catalog.=) finish_scout_run.run_id;
END
$$;

COMMENT ON FUNCTION @extschema@.finish_scout_run(bigint, uuid, text, text, text) IS
'finish a run as completed, failed or cancelled, recording its summary and (for failures) its error';

-- A run as the API shows it (inlinable, like source_config_json).
CREATE OR REPLACE FUNCTION @extschema@.scout_run_json(r @extschema@.scout_runs)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(
               r.id, r.skill_name, r.skill_version, r.status,
               @extschema@.iso_time(r.started_at), @extschema@.iso_time(r.completed_at),
               r.task_id, r.task_run_id,
               CASE WHEN r.task_id IS NOT NULL AND r.task_run_id IS NOT NULL
                    THEN pg_catalog.format('/project/%s/tasks/%s?runId=%s',
                                           r.team_id, r.task_id, r.task_run_id)
               END,
               r.summary, @extschema@.iso_time(r.created_at),
               r.emitted_count, r.emitted_finding_ids, r.error)::@extschema@.api_scout_run)
$$;

COMMENT ON FUNCTION @extschema@.scout_run_json(@extschema@.scout_runs) IS
'a scout run as the API shows it';

-- GET scout/runs/: recent runs newest first, in a half-open window on creation time.
CREATE OR REPLACE FUNCTION @extschema@.scout_runs_list(
    team_id bigint,
    date_from timestamptz DEFAULT NULL,
    date_to timestamptz DEFAULT NULL,
    text_filter text DEFAULT NULL,
    max_runs integer DEFAULT 20)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    IF max_runs IS NOT NULL AND (max_runs OPERATOR(pg_catalog.<) 1 OR max_runs OPERATOR(pg_catalog.>) 100) THEN
        RAISE EXCEPTION 'limit must be between 1 and 100'
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = 'limit';
    END IF;
    SELECT coalesce(pg_catalog.json_agg(@extschema@.scout_run_json(r)
                                        ORDER BY r.created_at DESC, r.id DESC),
                    '[]')
      INTO result
      FROM (SELECT *
              FROM @extschema@.scout_runs r
             WHERE r.team_id OPERATOR(pg_catalog.=) scout_runs_list.team_id
               AND (scout_runs_list.date_from IS NULL
                    OR r.created_at OPERATOR(pg_catalog.>=) scout_runs_list.date_from)
               AND (scout_runs_list.date_to IS NULL
                    OR r.created_at OPERATOR(pg_catalog.<) scout_runs_list.date_to)
               AND (coalesce(text_filter, '') OPERATOR(pg_catalog.=) ''
                    OR r.summary OPERATOR(pg_catalog.~~*) @extschema@.contains_pattern(text_filter))
             ORDER BY r.created_at DESC, r.id DESC
             LIMIT coalesce(max_runs, 20)) r;
    RETURN result;
END
$$;

COMMENT ON FUNCTION @extschema@.scout_runs_list(bigint, timestamptz, timestamptz, text, integer) IS
'the team''s scout runs newest first: created in [date_from, date_to), summary matching text_filter, at most max_runs (1..100)';

-- GET scout/runs/:id/
CREATE OR REPLACE FUNCTION @extschema@.scout_run_get(team_id bigint, run_id uuid)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.scout_run_json(ROW(r.*)::@extschema@.scout_runs) INTO result  -- ROW(): see 98_citus.sql
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_run_get.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_run_get.run_id;
    IF result IS NULL THEN
        RAISE EXCEPTION 'scout run not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN result;
END
$$;

COMMENT ON FUNCTION @extschema@.scout_run_get(bigint, uuid) IS
'one scout run of the team';

-- Emitting signals: from applications (emit_signal) and from scout runs
-- (scout_emit, the emit-signal route).  Both validate, apply the gates, and
-- queue the signal through enqueue_signal; the worker groups it later.

-- Wake the background workers once the current transaction commits.
CREATE OR REPLACE FUNCTION @extschema@.wake_worker()
RETURNS void
AS 'MODULE_PATHNAME', 'signals_wake_worker'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.wake_worker() IS
'ask the background workers to look at the queues as soon as this transaction commits (no-op without the preloaded library)';

-- Why no background worker will group a signal queued in this database, or
-- NULL when one will (or when signals.warn_unserved_emits is off).
CREATE OR REPLACE FUNCTION @extschema@.unserved_queue_warning()
RETURNS text
AS 'MODULE_PATHNAME', 'signals_unserved_queue_warning'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.unserved_queue_warning() IS
'a sentence saying why no background worker groups the signals queued in this database (library not preloaded, no workers, workers serving another database), or NULL when they are grouped or signals.warn_unserved_emits is off';

-- An emit's answer with the unserved-queue warning added as its last field
-- (only when there is one, so that the usual answer keeps its shape).
CREATE OR REPLACE FUNCTION @extschema@.emit_answer(answer json, warning text)
RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN $2 IS NULL THEN $1
                ELSE (pg_catalog.left(pg_catalog.rtrim($1::text), -1)
                      OPERATOR(pg_catalog.||) ',"warning":'
                      OPERATOR(pg_catalog.||) pg_catalog.to_json($2)::text
                      OPERATOR(pg_catalog.||) '}')::json END
$$;

COMMENT ON FUNCTION @extschema@.emit_answer(json, text) IS
'an emit''s JSON answer with a "warning" field appended when warning is not NULL';

-- Raise the API's validation error unless value is in [0, 1].
CREATE OR REPLACE FUNCTION @extschema@.check_unit_interval(field text, value double precision)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NOT NULL AND NOT (value OPERATOR(pg_catalog.>=) 0 AND value OPERATOR(pg_catalog.<=) 1) THEN
        RAISE EXCEPTION '% must be between 0 and 1, got %', field, value
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = field;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.check_unit_interval(text, double precision) IS
'raise the API''s validation error unless the value lies in [0, 1]';

-- Raise the API's validation error unless the dedupe keys are usable.
CREATE OR REPLACE FUNCTION @extschema@.check_dedupe_keys(dedupe_keys text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF pg_catalog.cardinality(dedupe_keys) OPERATOR(pg_catalog.>) 50 THEN
        RAISE EXCEPTION 'dedupe_keys has % entries, max is 50', pg_catalog.cardinality(dedupe_keys)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'dedupe_keys';
    END IF;
    FOREACH k IN ARRAY coalesce(dedupe_keys, '{}') LOOP
        IF k IS NULL OR @extschema@.is_blank(k) THEN
            RAISE EXCEPTION 'dedupe_keys may not hold blank keys'
                USING ERRCODE = 'zero_length_character_string', COLUMN = 'dedupe_keys';
        END IF;
        IF pg_catalog.length(k) OPERATOR(pg_catalog.>) 200 THEN
            RAISE EXCEPTION 'a dedupe key has % characters, max is 200', pg_catalog.length(k)
                USING ERRCODE = 'string_data_right_truncation', COLUMN = 'dedupe_keys';
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.check_dedupe_keys(text[]) IS
'raise the API''s validation error unless there are at most 50 dedupe keys, each 1..200 characters';

-- Queue a validated signal.  An application signal repeating (product, type,
-- source id) is not stored again: inserted is false and signal_id names the
-- signal already stored.
CREATE OR REPLACE FUNCTION @extschema@.enqueue_signal(
    team_id bigint,
    source_product text,
    source_type text,
    source_id text,
    description text,
    weight double precision,
    extra jsonb,
    dedupe_keys text[],
    run_id uuid,
    OUT signal_id uuid,
    OUT inserted boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    warning text;
BEGIN
    IF enqueue_signal.run_id IS NULL THEN
        INSERT INTO @extschema@.signals AS s
            (team_id, source_product, source_type, source_id, description, weight, extra, dedupe_keys)
        VALUES (enqueue_signal.team_id, enqueue_signal.source_product, enqueue_signal.source_type,
                enqueue_signal.source_id, enqueue_signal.description, enqueue_signal.weight,
                enqueue_signal.extra, enqueue_signal.dedupe_keys)
        ON CONFLICT (team_id, source_product, source_type, source_id) WHERE run_id IS NULL DO NOTHING
        RETURNING s.id INTO signal_id;
        inserted := FOUND;
        IF NOT inserted THEN
            SELECT s.id INTO signal_id
              FROM @extschema@.signals s
             WHERE s.team_id OPERATOR(pg_catalog.=) enqueue_signal.team_id
               AND s.source_product OPERATOR(pg_catalog.=) enqueue_signal.source_product
               AND s.source_type OPERATOR(pg_catalog.=) enqueue_signal.source_type
               AND s.source_id OPERATOR(pg_catalog.=) enqueue_signal.source_id
               AND s.run_id IS NULL;
            RETURN;
        END IF;
    ELSE
        INSERT INTO @extschema@.signals AS s
            (team_id, source_product, source_type, source_id, description, weight, extra, dedupe_keys, run_id)
        VALUES (enqueue_signal.team_id, enqueue_signal.source_product, enqueue_signal.source_type,
                enqueue_signal.source_id, enqueue_signal.description, enqueue_signal.weight,
                enqueue_signal.extra, enqueue_signal.dedupe_keys, enqueue_signal.run_id)
        RETURNING s.id INTO signal_id;
        inserted := true;
    END IF;
    PERFORM @extschema@.wake_worker();
    warning := @extschema@.unserved_queue_warning();
    IF warning IS NOT NULL THEN
        RAISE NOTICE 'signal queued in database "%", where no background worker groups signals', pg_catalog.current_database()
            USING DETAIL = warning,
                  HINT = 'Set signals.database to this database and restart, or drain the queue with signals.process_pending() (from pg_cron, say) and set signals.warn_unserved_emits = off.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.enqueue_signal(bigint, text, text, text, text, double precision, jsonb, text[], uuid) IS
'store a validated signal in its team''s queue and wake the workers (with a NOTICE when no worker serves this database); application signals are stored once per (product, type, source id)';

-- Why an emit from this source would be skipped right now, or NULL.
CREATE OR REPLACE FUNCTION @extschema@.emit_gate(team_id bigint, source_product text, source_type text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT coalesce((SELECT s.ai_processing_approved FROM @extschema@.team_settings s
                      WHERE s.team_id OPERATOR(pg_catalog.=) emit_gate.team_id), false) THEN
        RETURN 'ai_processing_not_approved';
    END IF;
    IF EXISTS (SELECT FROM @extschema@.source_configs c
                WHERE c.team_id OPERATOR(pg_catalog.=) emit_gate.team_id
                  AND c.source_product OPERATOR(pg_catalog.=) emit_gate.source_product
                  AND c.source_type OPERATOR(pg_catalog.=) emit_gate.source_type
                  AND NOT c.enabled) THEN
        RETURN 'source_disabled';
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.emit_gate(bigint, text, text) IS
'the skipped_reason for an emit from this source (AI processing not approved, or source config disabled), or NULL when it may proceed';

-- Emit a signal from an application.
CREATE OR REPLACE FUNCTION @extschema@.emit_signal(
    team_id bigint,
    source_product text,
    source_type text,
    source_id text,
    description text,
    weight double precision DEFAULT 1.0,
    extra jsonb DEFAULT '{}',
    dedupe_keys text[] DEFAULT '{}')
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    gate text;
    queued record;
BEGIN
    PERFORM @extschema@.check_source(source_product, source_type);
    PERFORM @extschema@.check_text_field('source_id', source_id, 500);
    PERFORM @extschema@.check_text_field('description', description, 50000);
    PERFORM @extschema@.check_unit_interval('weight', weight);
    IF extra IS NOT NULL AND pg_catalog.jsonb_typeof(extra) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'extra';
    END IF;
    PERFORM @extschema@.check_dedupe_keys(dedupe_keys);

    gate := @extschema@.emit_gate(team_id, source_product, source_type);
    IF gate IS NOT NULL THEN
        RETURN pg_catalog.row_to_json(r)
          FROM (SELECT false AS emitted, NULL::uuid AS signal_id, gate AS skipped_reason) r;
    END IF;

    queued := @extschema@.enqueue_signal(team_id, source_product, source_type, source_id, description,
                                         coalesce(weight, 1.0), coalesce(extra, '{}'),
                                         coalesce(dedupe_keys, '{}'), NULL);
    RETURN @extschema@.emit_answer(
               pg_catalog.row_to_json(r),
               CASE WHEN queued.inserted THEN @extschema@.unserved_queue_warning() END)
      FROM (SELECT queued.inserted AS emitted, queued.signal_id,
                   CASE WHEN NOT queued.inserted THEN 'duplicate' END AS skipped_reason) r;
END
$$;

COMMENT ON FUNCTION @extschema@.emit_signal(bigint, text, text, text, text, double precision, jsonb, text[]) IS
'emit a signal from an application: validated, queued for grouping when the caller commits, skipped (with a reason) when AI processing is not approved, the source is disabled, or the same (product, type, source id) was already emitted; a "warning" field says when no background worker serves this database';

-- POST scout/runs/:id/emit-signal/: emit a finding of an in-progress scout run.
CREATE OR REPLACE FUNCTION @extschema@.scout_emit(
    team_id bigint,
    run_id uuid,
    description text,
    weight double precision DEFAULT NULL,
    confidence double precision DEFAULT NULL,
    evidence jsonb DEFAULT NULL,
    hypothesis text DEFAULT NULL,
    severity text DEFAULT NULL,
    dedupe_keys text[] DEFAULT NULL,
    time_range jsonb DEFAULT NULL,
    mcp_trace_id text DEFAULT NULL,
    finding_id text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run @extschema@.scout_runs;
    config @extschema@.scout_configs;
    gate text;
    i integer;
    queued record;
BEGIN
    SELECT * INTO run
      FROM @extschema@.scout_runs r
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_emit.run_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'scout run not found' USING ERRCODE = 'no_data_found';
    END IF;
    IF run.status OPERATOR(pg_catalog.<>) 'in_progress' THEN
        RAISE EXCEPTION 'findings can only be emitted on in-progress runs (current: %)', run.status
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
    END IF;

    PERFORM @extschema@.check_text_field('description', description, 50000);
    PERFORM @extschema@.check_unit_interval('weight', weight);
    PERFORM @extschema@.check_unit_interval('confidence', confidence);
    IF evidence IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(evidence) OPERATOR(pg_catalog.<>) 'array' THEN
            RAISE EXCEPTION 'evidence must be a JSON array'
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'evidence';
        END IF;
        IF pg_catalog.jsonb_array_length(evidence) OPERATOR(pg_catalog.>) 20 THEN
            RAISE EXCEPTION 'evidence has % entries, max is 20', pg_catalog.jsonb_array_length(evidence)
                USING ERRCODE = 'string_data_right_truncation', COLUMN = 'evidence';
        END IF;
        FOR i IN 0 .. pg_catalog.jsonb_array_length(evidence) OPERATOR(pg_catalog.-) 1 LOOP
            IF pg_catalog.jsonb_typeof(evidence OPERATOR(pg_catalog.->) i) OPERATOR(pg_catalog.<>) 'object' THEN
                RAISE EXCEPTION 'evidence[%] must be a JSON object', i
                    USING ERRCODE = 'invalid_parameter_value', COLUMN = 'evidence';
            END IF;
        END LOOP;
    END IF;
    IF hypothesis IS NOT NULL AND pg_catalog.length(hypothesis) OPERATOR(pg_catalog.>) 10000 THEN
        RAISE EXCEPTION 'hypothesis has % characters, max is 10000', pg_catalog.length(hypothesis)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'hypothesis';
    END IF;
    IF severity IS NOT NULL AND severity OPERATOR(pg_catalog.<>) ALL ('{P0,P1,P2,P3,P4}'::text[]) THEN
        RAISE EXCEPTION '"%" is not a valid severity', pg_catalog.left(severity, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'severity',
                  HINT = 'Severity is one of P0, P1, P2, P3, P4.';
    END IF;
    PERFORM @extschema@.check_dedupe_keys(dedupe_keys);
    IF time_range IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(time_range OPERATOR(pg_catalog.->) 'date_from') IS DISTINCT FROM 'string'
           OR pg_catalog.jsonb_typeof(time_range OPERATOR(pg_catalog.->) 'date_to') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'time_range must have string fields date_from and date_to'
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'time_range';
        END IF;
    END IF;
    IF mcp_trace_id IS NOT NULL AND pg_catalog.length(mcp_trace_id) OPERATOR(pg_catalog.>) 200 THEN
        RAISE EXCEPTION 'mcp_trace_id has % characters, max is 200', pg_catalog.length(mcp_trace_id)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'mcp_trace_id';
    END IF;
    IF finding_id IS NULL OR @extschema@.is_blank(finding_id) THEN
        finding_id := pg_catalog.gen_random_uuid()::text;
    ELSIF pg_catalog.length(finding_id) OPERATOR(pg_catalog.>) 100 THEN
        RAISE EXCEPTION 'finding_id has % characters, max is 100', pg_catalog.length(finding_id)
            USING ERRCODE = 'string_data_right_truncation', COLUMN = 'finding_id';
    END IF;

    -- The preflight gates, in order; a skipped emit writes nothing.
    SELECT * INTO config
      FROM @extschema@.scout_configs c
     WHERE c.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND c.id OPERATOR(pg_catalog.=) run.scout_config_id;
    IF NOT FOUND THEN
        gate := 'scout_config_missing';
    ELSIF NOT config.emit THEN
        gate := 'scout_emit_disabled';
    ELSE
        gate := @extschema@.emit_gate(team_id, 'signals_scout', 'cross_source_issue');
    END IF;
    IF gate IS NOT NULL THEN
        RETURN pg_catalog.row_to_json(ROW(finding_id, false, gate)::@extschema@.api_emit);
    END IF;

    queued := @extschema@.enqueue_signal(
        team_id, 'signals_scout', 'cross_source_issue',
        pg_catalog.format('run:%s:finding:%s', run_id, finding_id),
        description, coalesce(weight, 1.0),
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'scout_run_id', run_id, 'finding_id', finding_id,
            'skill_name', run.skill_name, 'skill_version', run.skill_version,
            'confidence', confidence, 'evidence', coalesce(evidence, '[]'),
            'hypothesis', hypothesis, 'severity', severity, 'dedupe_keys', dedupe_keys,
            'time_range', time_range, 'mcp_trace_id', mcp_trace_id)),
        coalesce(dedupe_keys, '{}'), run_id);
    UPDATE @extschema@.scout_runs r
       SET emitted_count = r.emitted_count OPERATOR(pg_catalog.+) 1,
           emitted_finding_ids = r.emitted_finding_ids OPERATOR(pg_catalog.||) scout_emit.finding_id
     WHERE r.team_id OPERATOR(pg_catalog.=) scout_emit.team_id
       AND r.id OPERATOR(pg_catalog.=) scout_emit.run_id;
    RETURN @extschema@.emit_answer(pg_catalog.row_to_json(ROW(finding_id, true, NULL)::@extschema@.api_emit),
                                   @extschema@.unserved_queue_warning());
END
$$;

COMMENT ON FUNCTION @extschema@.scout_emit(bigint, uuid, text, double precision, double precision, jsonb, text, text, text[], jsonb, text, text) IS
'emit a finding of an in-progress scout run as a signals_scout/cross_source_issue signal; not idempotent: every call emits; a "warning" field says when no background worker serves this database';

-- Whether the viewer is a suggested reviewer of the report (never for failed
-- reports, nor for ready ones judged not actionable).  Inlinable.
CREATE OR REPLACE FUNCTION @extschema@.is_suggested_reviewer(r @extschema@.reports, viewer uuid)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.array_position(r.suggested_reviewers, viewer) IS NOT NULL
           AND r.status_rank OPERATOR(pg_catalog.<>) ALL ('{1,6}'::smallint[])
$$;

COMMENT ON FUNCTION @extschema@.is_suggested_reviewer(@extschema@.reports, uuid) IS
'whether the viewer appears in the report''s newest suggested_reviewers artefact (false for failed, and for ready + not_actionable)';

-- A report as the API shows it, for the given viewer.  Inlinable (no SET, no
-- FROM): lists build it for every row of a page.
CREATE OR REPLACE FUNCTION @extschema@.report_api(r @extschema@.reports, viewer uuid)
RETURNS @extschema@.api_report
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ROW(r.id, r.title, r.summary, r.status, r.total_weight, r.signal_count,
               r.signals_at_run, @extschema@.iso_time(r.created_at), @extschema@.iso_time(r.updated_at),
               r.artefact_count, r.priority, r.actionability, r.already_addressed,
               @extschema@.is_suggested_reviewer(r, viewer),
               r.source_products, r.implementation_pr_url)::@extschema@.api_report
$$;

COMMENT ON FUNCTION @extschema@.report_api(@extschema@.reports, uuid) IS
'a report in its API shape, for the given viewer';

CREATE OR REPLACE FUNCTION @extschema@.report_json(r @extschema@.reports, viewer uuid)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(@extschema@.report_api(r, viewer))
$$;

COMMENT ON FUNCTION @extschema@.report_json(@extschema@.reports, uuid) IS
'a report as the API shows it to the viewer';

-- The report row, locked when for_update, unless it is missing or deleted (404).
CREATE OR REPLACE FUNCTION @extschema@.live_report(team_id bigint, report_id uuid, for_update boolean DEFAULT false)
RETURNS @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports;
BEGIN
    IF for_update THEN
        SELECT * INTO r FROM @extschema@.reports x
         WHERE x.team_id OPERATOR(pg_catalog.=) live_report.team_id
           AND x.id OPERATOR(pg_catalog.=) live_report.report_id
           FOR UPDATE;
    ELSE
        SELECT * INTO r FROM @extschema@.reports x
         WHERE x.team_id OPERATOR(pg_catalog.=) live_report.team_id
           AND x.id OPERATOR(pg_catalog.=) live_report.report_id;
    END IF;
    IF r.id IS NULL OR r.status OPERATOR(pg_catalog.=) 'deleted' THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;

COMMENT ON FUNCTION @extschema@.live_report(bigint, uuid, boolean) IS
'the report, unless missing or deleted (then the not-found error); locked for update when asked';

-- The items of a comma-separated list, trimmed, without empty ones.
CREATE OR REPLACE FUNCTION @extschema@.comma_list(value text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ARRAY(SELECT pg_catalog.btrim(item)
                   FROM pg_catalog.unnest(pg_catalog.string_to_array(value, ',')) WITH ORDINALITY AS x(item, n)
                  WHERE pg_catalog.btrim(item) OPERATOR(pg_catalog.<>) ''
                  ORDER BY n);
END
$$;

COMMENT ON FUNCTION @extschema@.comma_list(text) IS
'the trimmed, non-empty items of a comma-separated list';

-- The ORDER BY items for an ordering parameter (SPEC.md "ordering"): known
-- names only, "-" for descending, unknown and repeated names ignored, the
-- default when nothing is left, and id appended as the tiebreak.  Items name
-- columns of reports (the viewer-dependent is_suggested_reviewer aside).
CREATE OR REPLACE FUNCTION @extschema@.report_order_by(ordering text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item text;
    name text;
    descending boolean;
    expr text;
    seen text[] := '{}';
    items text[] := '{}';
BEGIN
    FOREACH item IN ARRAY @extschema@.comma_list(ordering) LOOP
        descending := pg_catalog.left(item, 1) OPERATOR(pg_catalog.=) '-';
        name := CASE WHEN descending THEN pg_catalog.substr(item, 2) ELSE item END;
        expr := CASE name
            WHEN 'status' THEN 'status_rank'
            WHEN 'is_suggested_reviewer' THEN 'is_suggested_reviewer'
            WHEN 'signal_count' THEN 'signal_count'
            WHEN 'total_weight' THEN 'total_weight'
            WHEN 'priority' THEN 'priority_rank'
            WHEN 'created_at' THEN 'created_at'
            WHEN 'updated_at' THEN 'updated_at'
            WHEN 'id' THEN 'id'
        END;
        CONTINUE WHEN expr IS NULL OR name OPERATOR(pg_catalog.=) ANY (seen);
        seen := seen OPERATOR(pg_catalog.||) name;
        items := items OPERATOR(pg_catalog.||) (expr OPERATOR(pg_catalog.||)
                                                CASE WHEN descending THEN ' DESC' ELSE ' ASC' END);
    END LOOP;
    IF pg_catalog.cardinality(items) OPERATOR(pg_catalog.=) 0 THEN
        RETURN @extschema@.report_order_by('-is_suggested_reviewer,status,-updated_at');
    END IF;
    IF NOT 'id' OPERATOR(pg_catalog.=) ANY (seen) THEN
        items := items OPERATOR(pg_catalog.||) 'id ASC'::text;
    END IF;
    RETURN items;
END
$$;

COMMENT ON FUNCTION @extschema@.report_order_by(text) IS
'the ORDER BY items for an ordering parameter: known names only, "-" for descending, the default when none is known, id appended as tiebreak';

-- GET reports/: a page of the inbox.
--
-- The page is found by ids first and its rows are shaped last, so that only
-- the page's reports are turned into JSON.  When the ordering starts with
-- is_suggested_reviewer (as the default does), the viewer's reviews and the
-- rest are read as two ordered parts, each able to walk an index and stop
-- after the page, instead of sorting the whole inbox by a per-viewer value.
CREATE OR REPLACE FUNCTION @extschema@.reports_list(
    team_id bigint,
    viewer uuid DEFAULT NULL,
    status text DEFAULT NULL,
    search text DEFAULT NULL,
    source_product text DEFAULT NULL,
    suggested_reviewers text DEFAULT NULL,
    ordering text DEFAULT NULL,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    accepted constant text[] := '{candidate,failed,in_progress,pending_input,potential,ready,resolved,suppressed}';
    reviewer_part constant text := 'r.suggested_reviewers OPERATOR(pg_catalog.@>) ARRAY[$1]'
                                   ' AND r.status_rank OPERATOR(pg_catalog.<>) ALL (''{1,6}''::smallint[])';
    statuses text[] := @extschema@.comma_list(status);
    ranks smallint[];
    products text[] := @extschema@.comma_list(source_product);
    reviewer_items text[] := @extschema@.comma_list(suggested_reviewers);
    reviewers uuid[] := '{}';
    invalid text[];
    item text;
    order_items text[] := @extschema@.report_order_by(ordering);
    filters text := 'r.team_id OPERATOR(pg_catalog.=) $2';
    page_ids text;
    source text := '@extschema@.reports r';
    matches text := '';
BEGIN
    -- status: a comma list of accepted values; by default all but suppressed.
    IF pg_catalog.cardinality(statuses) OPERATOR(pg_catalog.=) 0 THEN
        filters := filters OPERATOR(pg_catalog.||) ' AND r.status_rank OPERATOR(pg_catalog.<) 8';
    ELSE
        invalid := ARRAY(SELECT DISTINCT s FROM pg_catalog.unnest(statuses) s
                          WHERE s OPERATOR(pg_catalog.<>) ALL (accepted) ORDER BY s);
        IF pg_catalog.cardinality(invalid) OPERATOR(pg_catalog.>) 0 THEN
            RAISE EXCEPTION 'invalid status value(s): %; accepted values: %',
                            pg_catalog.left(pg_catalog.array_to_string(invalid, ', '), 200),
                            pg_catalog.array_to_string(accepted, ', ')
                USING ERRCODE = 'invalid_parameter_value', COLUMN = 'status';
        END IF;
        -- Each status has its own rank, except ready (0 or 1).
        ranks := ARRAY(SELECT CASE s WHEN 'ready' THEN 0 WHEN 'pending_input' THEN 2
                                     WHEN 'in_progress' THEN 3 WHEN 'candidate' THEN 4
                                     WHEN 'potential' THEN 5 WHEN 'failed' THEN 6
                                     WHEN 'resolved' THEN 7 WHEN 'suppressed' THEN 8 END
                         FROM pg_catalog.unnest(statuses) s);
        IF 'ready' OPERATOR(pg_catalog.=) ANY (statuses) THEN
            ranks := ranks OPERATOR(pg_catalog.||) 1::smallint;
        END IF;
        -- The range keeps an index walk in status order possible; ANY picks the ranks.
        filters := filters OPERATOR(pg_catalog.||)
            ' AND r.status_rank OPERATOR(pg_catalog.>=) $10 AND r.status_rank OPERATOR(pg_catalog.<=) $11'
            ' AND r.status_rank OPERATOR(pg_catalog.=) ANY ($3)';
    END IF;

    IF coalesce(search, '') OPERATOR(pg_catalog.<>) '' THEN
        filters := filters OPERATOR(pg_catalog.||)
            ' AND (r.title OPERATOR(pg_catalog.~~*) $4 OR r.summary OPERATOR(pg_catalog.~~*) $4)';
    END IF;

    IF pg_catalog.cardinality(products) OPERATOR(pg_catalog.>) 0 THEN
        filters := filters OPERATOR(pg_catalog.||) ' AND r.source_products OPERATOR(pg_catalog.&&) $5';
    END IF;

    IF pg_catalog.cardinality(reviewer_items) OPERATOR(pg_catalog.>) 0 THEN
        FOREACH item IN ARRAY reviewer_items LOOP
            IF item OPERATOR(pg_catalog.!~) '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' THEN
                RAISE EXCEPTION 'invalid user UUID: "%"', pg_catalog.left(item, 100)
                    USING ERRCODE = 'invalid_text_representation', COLUMN = 'suggested_reviewers';
            END IF;
            reviewers := reviewers OPERATOR(pg_catalog.||) item::uuid;
        END LOOP;
        filters := filters OPERATOR(pg_catalog.||) ' AND r.suggested_reviewers OPERATOR(pg_catalog.&&) $6';
    END IF;

    EXECUTE 'SELECT pg_catalog.count(*) FROM @extschema@.reports r WHERE ' OPERATOR(pg_catalog.||) filters
       INTO total
      USING viewer, team_id, ranks, @extschema@.contains_pattern(search), products, reviewers,
            NULL::integer, NULL::integer, NULL::bigint,
            (SELECT pg_catalog.min(x) FROM pg_catalog.unnest(ranks) x),
            (SELECT pg_catalog.max(x) FROM pg_catalog.unnest(ranks) x);

    -- A search matching few reports is answered by the trigram indexes
    -- first; walking an ordered index would test most of the inbox before
    -- finding a page of them.  One matching many finds its page at once.
    IF coalesce(search, '') OPERATOR(pg_catalog.<>) '' AND total OPERATOR(pg_catalog.<=) 20000 THEN
        matches := pg_catalog.format(
            'WITH matches AS MATERIALIZED (SELECT r.* FROM @extschema@.reports r WHERE %s) ', filters);
        source := 'matches r';
        filters := 'true';
    END IF;

    IF order_items[1] OPERATOR(pg_catalog.=) 'is_suggested_reviewer DESC' THEN
        -- $9 bounds each part: no part needs more rows than the page's end.
        page_ids := pg_catalog.format(
            'SELECT p.id, pg_catalog.row_number() OVER (ORDER BY p.part, %2$s) AS n
               FROM ((SELECT 0 AS part, r.* FROM %4$s
                       WHERE %1$s AND %3$s ORDER BY %2$s LIMIT $9)
                     UNION ALL
                     (SELECT 1 AS part, r.* FROM %4$s
                       WHERE %1$s AND NOT coalesce(%3$s, false) ORDER BY %2$s LIMIT $9)) p
              ORDER BY p.part, %2$s
              LIMIT $7 OFFSET $8',
            filters, pg_catalog.array_to_string(order_items[2:], ', '), reviewer_part, source);
    ELSE
        page_ids := pg_catalog.format(
            'SELECT r.id, pg_catalog.row_number() OVER (ORDER BY %2$s) AS n
               FROM %3$s
              WHERE %1$s
              ORDER BY %2$s
              LIMIT $7 OFFSET $8',
            filters,
            pg_catalog.replace(pg_catalog.array_to_string(order_items, ', '),
                               'is_suggested_reviewer', '@extschema@.is_suggested_reviewer(ROW(r.*)::@extschema@.reports, $1)'),
            source);
    END IF;
    EXECUTE pg_catalog.format(
        '%sSELECT coalesce(pg_catalog.json_agg(@extschema@.report_json(ROW(r.*)::@extschema@.reports, $1) ORDER BY page.n), ''[]'')
           FROM (%s) page
           JOIN @extschema@.reports r
             ON r.team_id OPERATOR(pg_catalog.=) $2 AND r.id OPERATOR(pg_catalog.=) page.id',
        matches, page_ids)
       INTO results
      USING viewer, team_id, ranks, @extschema@.contains_pattern(search), products, reviewers,
            coalesce(page_limit, 100), coalesce(page_offset, 0),
            coalesce(page_limit, 100)::bigint OPERATOR(pg_catalog.+) coalesce(page_offset, 0),
            (SELECT pg_catalog.min(x) FROM pg_catalog.unnest(ranks) x),
            (SELECT pg_catalog.max(x) FROM pg_catalog.unnest(ranks) x);
END
$$;

COMMENT ON FUNCTION @extschema@.reports_list(bigint, uuid, text, text, text, text, text, integer, integer) IS
'a page of the team''s reports: filtered by status (default: all but suppressed), search (title or summary), source products and suggested reviewers; ordered by the ordering parameter (default -is_suggested_reviewer,status,-updated_at)';

-- GET reports/:id/ (one query: this is the hottest read of the API)
CREATE OR REPLACE FUNCTION @extschema@.report_get(team_id bigint, report_id uuid, viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.report_json(ROW(r.*)::@extschema@.reports, viewer) INTO result  -- ROW(): see 98_citus.sql
      FROM @extschema@.reports r
     WHERE r.team_id OPERATOR(pg_catalog.=) report_get.team_id
       AND r.id OPERATOR(pg_catalog.=) report_get.report_id
       AND r.status OPERATOR(pg_catalog.<>) 'deleted';
    IF result IS NULL THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN result;
END
$$;

COMMENT ON FUNCTION @extschema@.report_get(bigint, uuid, uuid) IS
'one report of the team (deleted reports are not found)';

-- The state machine of reports (SPEC.md).  Its rules live here and nowhere
-- else: report_move_refusal() says whether a move is allowed,
-- report_promotion_due() when a report is promoted, and move_reports() is
-- the one statement that writes a report's status and what goes with it.
-- report_transition() (one report, with errors), promote_reports() (the
-- grouping engine's promotion, set-based) and the research, merge and split
-- functions all go through them.

-- The title grouping gives a new report, from a signal's description (the
-- rule is shared with the engine, in C).
CREATE OR REPLACE FUNCTION @extschema@.report_title(description text)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_report_title'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.report_title(text) IS
'the title of a new report made from a signal''s description: its first non-blank line, trimmed, cut at 200 characters with an ellipsis; "(empty signal)" when blank';

-- The setting signals.promote_weight (read in C, so that the library that
-- defines it is loaded in any session).
CREATE OR REPLACE FUNCTION @extschema@.promote_weight()
RETURNS double precision
AS 'MODULE_PATHNAME', 'signals_promote_weight'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.promote_weight() IS
'the total weight at which a potential (or ready) report becomes a candidate: the setting signals.promote_weight';

-- Why the report may not move to to_status, or NULL when it may.  new_title
-- and new_summary are what the move would write (NULL: keep the report's).
CREATE OR REPLACE FUNCTION @extschema@.report_move_refusal(
    r @extschema@.reports,
    to_status text,
    new_title text DEFAULT NULL,
    new_summary text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    from_status text := r.status;
    allowed boolean;
BEGIN
    allowed := CASE to_status
        -- promotion (potential, ready), or research given back (in_progress)
        WHEN 'candidate' THEN from_status OPERATOR(pg_catalog.=) ANY ('{potential,ready,in_progress}'::text[])
        WHEN 'in_progress' THEN from_status OPERATOR(pg_catalog.=) 'candidate'
        WHEN 'ready' THEN from_status OPERATOR(pg_catalog.=) 'in_progress'
        WHEN 'pending_input' THEN from_status OPERATOR(pg_catalog.=) 'in_progress'
        WHEN 'failed' THEN from_status OPERATOR(pg_catalog.=) 'in_progress'
        WHEN 'potential' THEN from_status OPERATOR(pg_catalog.=) ANY
                              ('{in_progress,pending_input,suppressed,ready,resolved,failed}'::text[])
        WHEN 'suppressed' THEN from_status OPERATOR(pg_catalog.<>) ALL ('{suppressed,deleted}'::text[])
        WHEN 'resolved' THEN from_status OPERATOR(pg_catalog.=) ANY ('{pending_input,ready}'::text[])
        WHEN 'deleted' THEN from_status OPERATOR(pg_catalog.<>) 'deleted'
        ELSE false
    END;
    -- Out of suppression: to potential, or back to where the report was.
    -- Research that was under way starts over from candidate, since whoever
    -- was doing it has let go (nobody would finish an in_progress report).
    IF from_status OPERATOR(pg_catalog.=) 'suppressed'
       AND to_status OPERATOR(pg_catalog.<>) ALL ('{potential,deleted}'::text[]) THEN
        allowed := to_status IS NOT DISTINCT FROM
                   CASE r.status_before_suppression WHEN 'in_progress' THEN 'candidate'
                                                    ELSE r.status_before_suppression END;
    END IF;
    IF NOT allowed THEN
        RETURN pg_catalog.format('cannot move a report from %s to %s', from_status, coalesce(to_status, 'NULL'));
    END IF;
    IF to_status OPERATOR(pg_catalog.=) 'ready'
       AND (@extschema@.is_blank(coalesce(new_title, r.title)) OR @extschema@.is_blank(coalesce(new_summary, r.summary))) THEN
        RETURN 'a report needs a title and a summary to be ready';
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.report_move_refusal(@extschema@.reports, text, text, text) IS
'the state machine (SPEC.md): why the report may not move to the status (the 409 message), or NULL when it may';

-- Whether grouping should promote the report now: potential (or ready, when
-- new signals came after research) with enough weight and signals.
CREATE OR REPLACE FUNCTION @extschema@.report_promotion_due(r @extschema@.reports)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.status OPERATOR(pg_catalog.=) ANY ('{potential,ready}'::text[])
           AND r.total_weight OPERATOR(pg_catalog.>=) @extschema@.promote_weight()
           AND r.signal_count OPERATOR(pg_catalog.>=) r.signals_at_run
$$;

COMMENT ON FUNCTION @extschema@.report_promotion_due(@extschema@.reports) IS
'whether the report is due for promotion to candidate: potential or ready, total_weight >= signals.promote_weight and signal_count >= signals_at_run';

-- snooze_for is 1..100000.
CREATE OR REPLACE FUNCTION @extschema@.check_snooze_for(snooze_for integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF snooze_for OPERATOR(pg_catalog.<) 1 OR snooze_for OPERATOR(pg_catalog.>) 100000 THEN
        RAISE EXCEPTION 'snooze_for must be between 1 and 100000'
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = 'snooze_for';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.check_snooze_for(integer) IS
'raise the API''s validation error unless snooze_for (when given) is between 1 and 100000';

-- Move reports to to_status and apply what goes with each move: the one
-- statement that writes report statuses.  Reports the state machine refuses
-- are left as they are (callers that must tell why check
-- report_move_refusal() first, on rows they have locked).  Returns the
-- moved rows.
--   snooze_for    to potential: wait for this many more signals
--   title, summary, error   written with the move (error kept only by
--                 failed and pending_input)
--   agent         to in_progress: the external agent claiming the research
--   weight_reset  to potential: total_weight starts again from 0 (research
--                 found the report not actionable: it must earn promotion again)
CREATE OR REPLACE FUNCTION @extschema@.move_reports(
    team_id bigint,
    report_ids uuid[],
    to_status text,
    snooze_for integer DEFAULT NULL,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL,
    agent text DEFAULT NULL,
    weight_reset boolean DEFAULT false)
RETURNS SETOF @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    moved bigint;
BEGIN
    RETURN QUERY
    UPDATE @extschema@.reports x
       SET status = to_status,
           status_before_suppression = CASE WHEN to_status OPERATOR(pg_catalog.=) 'suppressed'
                                            THEN x.status END,
           title = coalesce(move_reports.title, x.title),
           summary = coalesce(move_reports.summary, x.summary),
           error = CASE WHEN to_status OPERATOR(pg_catalog.=) ANY ('{failed,pending_input}'::text[])
                        THEN coalesce(move_reports.error, x.error) END,
           total_weight = CASE WHEN weight_reset AND to_status OPERATOR(pg_catalog.=) 'potential'
                               THEN 0 ELSE x.total_weight END,
           signals_at_run = CASE
               WHEN to_status OPERATOR(pg_catalog.=) 'in_progress'
                   THEN x.signal_count OPERATOR(pg_catalog.+) 3
               WHEN to_status OPERATOR(pg_catalog.=) 'potential' AND snooze_for IS NOT NULL
                   THEN x.signal_count OPERATOR(pg_catalog.+) snooze_for
               ELSE x.signals_at_run END,
           run_count = x.run_count OPERATOR(pg_catalog.+)
                       CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN 1 ELSE 0 END,
           promoted_at = CASE WHEN to_status OPERATOR(pg_catalog.=) 'candidate' THEN pg_catalog.now()
                              WHEN to_status OPERATOR(pg_catalog.=) ANY ('{potential,suppressed}'::text[]) THEN NULL
                              ELSE x.promoted_at END,
           claimed_by = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN agent END,
           claimed_at = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' AND agent IS NOT NULL
                             THEN pg_catalog.now() END,
           updated_at = pg_catalog.now()
     WHERE x.team_id OPERATOR(pg_catalog.=) move_reports.team_id
       AND x.id OPERATOR(pg_catalog.=) ANY (report_ids)
       AND @extschema@.report_move_refusal(ROW(x.*)::@extschema@.reports, to_status, move_reports.title, move_reports.summary) IS NULL
    RETURNING x.*;
    GET DIAGNOSTICS moved = ROW_COUNT;
    -- External research agents LISTEN for new candidates: a bare wake-up,
    -- since any role may LISTEN, so it names no team; agents read what they
    -- may see (claim_candidate, reports under row-level security).
    IF to_status OPERATOR(pg_catalog.=) 'candidate' AND moved OPERATOR(pg_catalog.>) 0 THEN
        PERFORM pg_catalog.pg_notify('signals_candidates', '');
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.move_reports(bigint, uuid[], text, integer, text, text, text, text, boolean) IS
'move the team''s reports to a status with the effects of the state machine (the one place report statuses are written); refused moves are skipped; returns the moved rows';

-- Promote the given reports that are due (report_promotion_due): potential
-- or ready -> candidate, with promoted_at set.  The grouping engine calls
-- this after it has added signals to reports; merge and split do too.
-- Returns how many were promoted.
CREATE OR REPLACE FUNCTION @extschema@.promote_reports(team_id bigint, report_ids uuid[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    due uuid[];
    promoted integer;
BEGIN
    -- Locked in id order, and re-checked on the locked rows.
    SELECT pg_catalog.array_agg(d.id ORDER BY d.id) INTO due
      FROM (SELECT r.id FROM @extschema@.reports r
             WHERE r.team_id OPERATOR(pg_catalog.=) promote_reports.team_id
               AND r.id OPERATOR(pg_catalog.=) ANY (report_ids)
               AND @extschema@.report_promotion_due(ROW(r.*)::@extschema@.reports)  -- ROW(): see 98_citus.sql
             ORDER BY r.id
               FOR NO KEY UPDATE) d;
    IF due IS NULL THEN
        RETURN 0;
    END IF;
    SELECT pg_catalog.count(*) INTO promoted
      FROM @extschema@.move_reports(team_id, due, 'candidate');
    RETURN promoted;
END
$$;

COMMENT ON FUNCTION @extschema@.promote_reports(bigint, uuid[]) IS
'promote those of the team''s given reports that are due (potential or ready, total_weight >= signals.promote_weight, signal_count >= signals_at_run) to candidate; returns how many';

-- Move one report to another state, enforcing the state machine; returns the
-- updated row.  A missing or deleted report is not found; a refused move is
-- object_not_in_prerequisite_state (409 over HTTP) with the reason.
CREATE OR REPLACE FUNCTION @extschema@.report_transition(
    team_id bigint,
    report_id uuid,
    to_status text,
    snooze_for integer DEFAULT NULL,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL,
    agent text DEFAULT NULL,
    weight_reset boolean DEFAULT false)
RETURNS @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id, true);
    refusal text;
BEGIN
    PERFORM @extschema@.check_snooze_for(snooze_for);
    refusal := @extschema@.report_move_refusal(r, to_status, title, summary);
    IF refusal IS NOT NULL THEN
        RAISE EXCEPTION '%', refusal USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT * INTO STRICT r
      FROM @extschema@.move_reports(team_id, ARRAY[report_id], to_status, snooze_for,
                                    title, summary, error, agent, weight_reset);
    RETURN r;
END
$$;

COMMENT ON FUNCTION @extschema@.report_transition(bigint, uuid, text, integer, text, text, text, text, boolean) IS
'move a report along the state machine (SPEC.md): refused moves raise object_not_in_prerequisite_state (409 over HTTP)';

-- POST reports/:id/state/: suppress, snooze (potential) or resolve a report.
-- The body is checked before the move, so a bad field is always its 400.
CREATE OR REPLACE FUNCTION @extschema@.report_set_state(
    team_id bigint,
    report_id uuid,
    state text,
    snooze_for integer DEFAULT NULL,
    viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id, true);
BEGIN
    IF state IS NULL THEN
        RAISE EXCEPTION 'state is required' USING ERRCODE = 'not_null_violation', COLUMN = 'state';
    END IF;
    IF state OPERATOR(pg_catalog.<>) ALL ('{suppressed,potential,resolved}'::text[]) THEN
        RAISE EXCEPTION '"%" is not a valid state', pg_catalog.left(state, 100)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'state',
                  HINT = 'state is one of suppressed, potential, resolved.';
    END IF;
    IF snooze_for IS NOT NULL AND state OPERATOR(pg_catalog.<>) 'potential' THEN
        RAISE EXCEPTION 'snooze_for applies only to state potential'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'snooze_for';
    END IF;
    PERFORM @extschema@.check_snooze_for(snooze_for);
    -- The state asked for is the state given (SPEC.md: a suppressed report
    -- may go back to potential), or the 409 that says why not.
    r := @extschema@.report_transition(team_id, report_id, state, snooze_for);
    RETURN @extschema@.report_json(r, viewer);
END
$$;

COMMENT ON FUNCTION @extschema@.report_set_state(bigint, uuid, text, integer, uuid) IS
'suppress a report, snooze it (potential, for snooze_for more signals), bring it back from suppression to potential, or resolve it';

-- DELETE reports/:id/
CREATE OR REPLACE FUNCTION @extschema@.report_delete(team_id bigint, report_id uuid)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.report_transition(team_id, report_id, 'deleted');
    RETURN pg_catalog.row_to_json(ROW('deletion_started', report_id)::@extschema@.api_deletion);
END
$$;

COMMENT ON FUNCTION @extschema@.report_delete(bigint, uuid) IS
'delete a report: it disappears from the API and no signal joins it again';

-- An artefact as the API shows it.  Inlinable.
CREATE OR REPLACE FUNCTION @extschema@.artefact_json(a @extschema@.report_artefacts)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(a.id, a.type, a.content,
                                      @extschema@.iso_time(a.created_at))::@extschema@.api_artefact)
$$;

COMMENT ON FUNCTION @extschema@.artefact_json(@extschema@.report_artefacts) IS
'a report artefact as the API shows it';

-- GET reports/:id/artefacts/: newest first.
CREATE OR REPLACE FUNCTION @extschema@.report_artefacts_list(
    team_id bigint,
    report_id uuid,
    page_limit integer DEFAULT 100,
    page_offset integer DEFAULT 0,
    OUT total bigint,
    OUT results json)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.live_report(team_id, report_id);
    SELECT pg_catalog.count(*) INTO total
      FROM @extschema@.report_artefacts a
     WHERE a.team_id OPERATOR(pg_catalog.=) report_artefacts_list.team_id
       AND a.report_id OPERATOR(pg_catalog.=) report_artefacts_list.report_id;
    SELECT coalesce(pg_catalog.json_agg(@extschema@.artefact_json(a) ORDER BY a.created_at DESC, a.id DESC), '[]')
      INTO results
      FROM (SELECT * FROM @extschema@.report_artefacts a
             WHERE a.team_id OPERATOR(pg_catalog.=) report_artefacts_list.team_id
               AND a.report_id OPERATOR(pg_catalog.=) report_artefacts_list.report_id
             ORDER BY a.created_at DESC, a.id DESC
             LIMIT coalesce(page_limit, 100) OFFSET coalesce(page_offset, 0)) a;
END
$$;

COMMENT ON FUNCTION @extschema@.report_artefacts_list(bigint, uuid, integer, integer) IS
'a page of the report''s artefacts, newest first';

-- A signal with its match evidence, as GET reports/:id/signals/ shows it.  Inlinable.
CREATE OR REPLACE FUNCTION @extschema@.signal_api(s @extschema@.signals)
RETURNS @extschema@.api_signal
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ROW(s.id, s.source_product, s.source_type, s.source_id, s.description, s.weight,
               s.extra, s.dedupe_keys, s.run_id,
               @extschema@.iso_time(s.created_at), @extschema@.iso_time(s.grouped_at),
               s.match_method, s.match_score, s.match_detail)::@extschema@.api_signal
$$;

COMMENT ON FUNCTION @extschema@.signal_api(@extschema@.signals) IS
'a signal and how it joined its report (match_method, match_score, match_detail), in its API shape';

-- GET reports/:id/signals/: the report and its signals in arrival order.
CREATE OR REPLACE FUNCTION @extschema@.report_signals(
    team_id bigint,
    report_id uuid,
    viewer uuid DEFAULT NULL,
    max_signals integer DEFAULT 1000)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id);
BEGIN
    RETURN pg_catalog.row_to_json(ROW(
               @extschema@.report_api(r, viewer),
               ARRAY(SELECT @extschema@.signal_api(ROW(s.*)::@extschema@.signals)  -- ROW(): see 98_citus.sql
                       FROM @extschema@.signals s
                      WHERE s.team_id OPERATOR(pg_catalog.=) report_signals.team_id
                        AND s.report_id OPERATOR(pg_catalog.=) report_signals.report_id
                      ORDER BY s.id
                      LIMIT coalesce(max_signals, 1000))
           )::@extschema@.api_report_signals);
END
$$;

COMMENT ON FUNCTION @extschema@.report_signals(bigint, uuid, uuid, integer) IS
'the report and (up to max_signals of) its signals in arrival order, each with its match evidence';

-- Research: what happens to candidate reports.  Artefacts and the report
-- fields derived from them, the built-in extractive summarizer, and the
-- SQL interface for an external research agent.

-- Recompute the report fields that come from its artefacts: the count, the
-- newest priority and actionability judgments, the newest suggested
-- reviewers and the newest implementation PR.
CREATE OR REPLACE FUNCTION @extschema@.refresh_artefact_fields(team_id bigint, report_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WITH artefacts AS (
        SELECT a.type, a.content, a.created_at, a.id
          FROM @extschema@.report_artefacts a
         WHERE a.team_id OPERATOR(pg_catalog.=) refresh_artefact_fields.team_id
           AND a.report_id OPERATOR(pg_catalog.=) refresh_artefact_fields.report_id),
    newest AS (
        SELECT DISTINCT ON (type) type, content
          FROM artefacts
         ORDER BY type, created_at DESC, id DESC),
    pr AS (
        SELECT content OPERATOR(pg_catalog.->>) 'pr_url' AS url
          FROM artefacts
         WHERE type OPERATOR(pg_catalog.=) 'task_run'
           AND coalesce(content OPERATOR(pg_catalog.->>) 'pr_url', '') OPERATOR(pg_catalog.<>) ''
         ORDER BY created_at DESC, id DESC
         LIMIT 1),
    judged AS (
        SELECT
            (SELECT content OPERATOR(pg_catalog.->>) 'priority' FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'priority_judgment') AS priority,
            (SELECT content OPERATOR(pg_catalog.->>) 'actionability' FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'actionability_judgment') AS actionability,
            (SELECT content OPERATOR(pg_catalog.->) 'already_addressed' FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'actionability_judgment') AS already_addressed,
            (SELECT content FROM newest
              WHERE type OPERATOR(pg_catalog.=) 'suggested_reviewers') AS reviewers)
    UPDATE @extschema@.reports r
       SET artefact_count = (SELECT pg_catalog.count(*) FROM artefacts),
           priority = CASE WHEN j.priority OPERATOR(pg_catalog.=) ANY ('{P0,P1,P2,P3,P4}'::text[])
                           THEN j.priority END,
           actionability = CASE WHEN j.actionability OPERATOR(pg_catalog.=) ANY
                                     ('{immediately_actionable,requires_human_input,not_actionable}'::text[])
                                THEN j.actionability END,
           already_addressed = CASE WHEN pg_catalog.jsonb_typeof(j.already_addressed) OPERATOR(pg_catalog.=) 'boolean'
                                    THEN j.already_addressed::boolean END,
           suggested_reviewers = ARRAY(
               SELECT DISTINCT u.user_id
                 FROM pg_catalog.jsonb_array_elements(
                          CASE WHEN pg_catalog.jsonb_typeof(j.reviewers) OPERATOR(pg_catalog.=) 'array'
                               THEN j.reviewers ELSE '[]' END) e
                 JOIN @extschema@.users u
                   ON u.user_id::text OPERATOR(pg_catalog.=) pg_catalog.lower(e OPERATOR(pg_catalog.->>) 'user_uuid')
                   OR pg_catalog.lower(u.github_login) OPERATOR(pg_catalog.=) pg_catalog.lower(e OPERATOR(pg_catalog.->>) 'github_login')
                ORDER BY u.user_id),
           implementation_pr_url = (SELECT url FROM pr)
      FROM judged j
     WHERE r.team_id OPERATOR(pg_catalog.=) refresh_artefact_fields.team_id
       AND r.id OPERATOR(pg_catalog.=) refresh_artefact_fields.report_id;
END
$$;

COMMENT ON FUNCTION @extschema@.refresh_artefact_fields(bigint, uuid) IS
'recompute artefact_count, priority, actionability, already_addressed, suggested_reviewers and implementation_pr_url of a report from its artefacts';

CREATE OR REPLACE FUNCTION @extschema@.artefacts_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
        PERFORM @extschema@.refresh_artefact_fields(OLD.team_id, OLD.report_id);
    END IF;
    IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN
        PERFORM @extschema@.refresh_artefact_fields(NEW.team_id, NEW.report_id);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.artefacts_changed() IS
'trigger: keep a report''s artefact-derived fields in step with its artefacts, whoever writes them';

-- Write an artefact for a report (research agents, the summarizer, people).
CREATE OR REPLACE FUNCTION @extschema@.add_artefact(team_id bigint, report_id uuid, type text, content jsonb)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    written @extschema@.report_artefacts;
BEGIN
    PERFORM @extschema@.live_report(team_id, report_id);
    PERFORM @extschema@.check_text_field('type', type, 100);
    IF content IS NULL THEN
        RAISE EXCEPTION 'content is required' USING ERRCODE = 'not_null_violation', COLUMN = 'content';
    END IF;
    IF type OPERATOR(pg_catalog.=) 'priority_judgment'
       AND coalesce(content OPERATOR(pg_catalog.->>) 'priority', '') OPERATOR(pg_catalog.<>) ALL ('{P0,P1,P2,P3,P4}'::text[]) THEN
        RAISE EXCEPTION 'a priority_judgment needs "priority": one of P0, P1, P2, P3, P4'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'content';
    END IF;
    IF type OPERATOR(pg_catalog.=) 'actionability_judgment'
       AND coalesce(content OPERATOR(pg_catalog.->>) 'actionability', '') OPERATOR(pg_catalog.<>) ALL
           ('{immediately_actionable,requires_human_input,not_actionable}'::text[]) THEN
        RAISE EXCEPTION 'an actionability_judgment needs "actionability": immediately_actionable, requires_human_input or not_actionable'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'content';
    END IF;
    IF type OPERATOR(pg_catalog.=) 'suggested_reviewers'
       AND (pg_catalog.jsonb_typeof(content) OPERATOR(pg_catalog.<>) 'array'
            OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(content) e
                        WHERE pg_catalog.jsonb_typeof(e) OPERATOR(pg_catalog.<>) 'object'
                           OR (e OPERATOR(pg_catalog.->>) 'github_login' IS NULL
                               AND e OPERATOR(pg_catalog.->>) 'user_uuid' IS NULL))) THEN
        RAISE EXCEPTION 'suggested_reviewers is a list of objects, each with a github_login, a user_uuid, or both'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'content';
    END IF;
    INSERT INTO @extschema@.report_artefacts (team_id, report_id, type, content)
    VALUES (add_artefact.team_id, add_artefact.report_id, add_artefact.type, add_artefact.content)
    RETURNING * INTO written;
    RETURN @extschema@.artefact_json(written);
END
$$;

COMMENT ON FUNCTION @extschema@.add_artefact(bigint, uuid, text, jsonb) IS
'write an artefact for a report; judgments and reviewer lists are checked, and the report''s derived fields follow';

-- The first line of a text that is not blank (by is_blank()'s whitespace),
-- trimmed and cut to max_chars; NULL when the whole text is blank.
CREATE OR REPLACE FUNCTION @extschema@.first_line(value text, max_chars integer)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    line text := pg_catalog.btrim(pg_catalog.split_part(pg_catalog.ltrim(value, E' \t\n\r\x0B\f'), E'\n', 1),
                                  E' \t\r\x0B\f');
BEGIN
    IF line OPERATOR(pg_catalog.=) '' THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.length(line) OPERATOR(pg_catalog.>) max_chars THEN
        RETURN pg_catalog.rtrim(pg_catalog.left(line, max_chars OPERATOR(pg_catalog.-) 1)) OPERATOR(pg_catalog.||) '…';
    END IF;
    RETURN line;
END
$$;

COMMENT ON FUNCTION @extschema@.first_line(text, integer) IS
'the first non-blank line of a text, trimmed and cut to max_chars with an ellipsis; NULL for a blank text';

-- The built-in summarizer: research one candidate report without a model.
-- The title is the first line of its heaviest signal; the summary quotes the
-- first lines of its three heaviest distinct signals and counts its sources.
-- Scout severities become a priority judgment.
CREATE OR REPLACE FUNCTION @extschema@.summarize_report(team_id bigint, report_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.report_transition(team_id, report_id, 'in_progress');
    new_title text;
    new_summary text;
    severity text;
BEGIN
    SELECT @extschema@.first_line(s.description, 200) INTO new_title
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) summarize_report.team_id
       AND s.report_id OPERATOR(pg_catalog.=) summarize_report.report_id
     ORDER BY s.weight DESC, s.id
     LIMIT 1;
    SELECT pg_catalog.string_agg(line, E'\n' ORDER BY w DESC, first_id)
      INTO new_summary
      FROM (SELECT @extschema@.first_line(s.description, 300) AS line,
                   pg_catalog.max(s.weight) AS w, pg_catalog.min(s.id::text) AS first_id
              FROM @extschema@.signals s
             WHERE s.team_id OPERATOR(pg_catalog.=) summarize_report.team_id
               AND s.report_id OPERATOR(pg_catalog.=) summarize_report.report_id
             GROUP BY 1
             ORDER BY 2 DESC, 3
             LIMIT 3) top;
    new_summary := coalesce(new_summary, '') OPERATOR(pg_catalog.||) pg_catalog.format(
        E'\n\n%s signal%s from %s.', r.signal_count,
        CASE WHEN r.signal_count OPERATOR(pg_catalog.=) 1 THEN '' ELSE 's' END,
        coalesce(nullif(pg_catalog.array_to_string(r.source_products, ', '), ''), 'unknown sources'));
    SELECT pg_catalog.min(s.extra OPERATOR(pg_catalog.->>) 'severity') INTO severity
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) summarize_report.team_id
       AND s.report_id OPERATOR(pg_catalog.=) summarize_report.report_id
       AND s.extra OPERATOR(pg_catalog.->>) 'severity' OPERATOR(pg_catalog.=) ANY ('{P0,P1,P2,P3,P4}'::text[]);
    IF severity IS NOT NULL THEN
        PERFORM @extschema@.add_artefact(team_id, report_id, 'priority_judgment',
            pg_catalog.jsonb_build_object('priority', severity,
                'explanation', 'the highest severity among the report''s scout findings',
                'dollar_value', NULL));
    END IF;
    PERFORM @extschema@.report_transition(team_id, report_id, 'ready',
                                          title => coalesce(new_title, 'Untitled report'),
                                          summary => new_summary);
END
$$;

COMMENT ON FUNCTION @extschema@.summarize_report(bigint, uuid) IS
'research a candidate report with the built-in extractive summarizer: candidate -> in_progress -> ready with a title, a summary and (from scout severities) a priority';

-- Summarize the team's candidates, oldest promotion first, when the team uses
-- the built-in summarizer; returns how many were summarized.
CREATE OR REPLACE FUNCTION @extschema@.summarize_candidates(team_id bigint, max_reports integer DEFAULT 100)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    candidate_id uuid;
    done integer := 0;
    failure text;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.team_settings s
                    WHERE s.team_id OPERATOR(pg_catalog.=) summarize_candidates.team_id
                      AND s.research_mode OPERATOR(pg_catalog.=) 'builtin') THEN
        RETURN 0;
    END IF;
    FOR candidate_id IN
        SELECT r.id FROM @extschema@.reports r
         WHERE r.team_id OPERATOR(pg_catalog.=) summarize_candidates.team_id
           AND r.status OPERATOR(pg_catalog.=) 'candidate'
         ORDER BY r.promoted_at, r.id
         LIMIT coalesce(max_reports, 100)
           FOR UPDATE SKIP LOCKED
    LOOP
        BEGIN
            PERFORM @extschema@.summarize_report(team_id, candidate_id);
        EXCEPTION WHEN OTHERS THEN
            -- A report the summarizer cannot handle fails on its own (research
            -- started, then failed); the team's other candidates and the worker
            -- carry on.
            failure := SQLERRM;
            RAISE WARNING 'signals: summarizing report % of team % failed: %', candidate_id, team_id, failure;
            BEGIN
                PERFORM @extschema@.report_transition(team_id, candidate_id, 'in_progress');
                PERFORM @extschema@.report_transition(team_id, candidate_id, 'failed',
                                                      error => 'summarizer: ' OPERATOR(pg_catalog.||) failure);
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'signals: could not mark report % of team % failed: %', candidate_id, team_id, SQLERRM;
            END;
        END;
        done := done OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN done;
END
$$;

COMMENT ON FUNCTION @extschema@.summarize_candidates(bigint, integer) IS
'run the built-in summarizer over the team''s candidate reports (teams whose research_mode is builtin)';

-- External research: claim the oldest candidate (of one team, or of any team
-- when team_id is NULL) for an agent.  Returns the report with its signals,
-- or NULL when there is nothing to claim.  Agents LISTEN on signals_candidates,
-- whose notifications carry no payload (any role may LISTEN, so they name no
-- team), and claim on each one and on a timer.
CREATE OR REPLACE FUNCTION @extschema@.claim_candidate(agent text, team_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    picked record;
BEGIN
    PERFORM @extschema@.check_text_field('agent', agent, 200);
    -- Two queries, so that each reads its own index of candidates
    -- (reports_candidates_idx, reports_candidates_all_teams_idx).
    IF claim_candidate.team_id IS NULL THEN
        SELECT r.team_id, r.id INTO picked
          FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'candidate'
         ORDER BY r.promoted_at, r.team_id, r.id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
    ELSE
        SELECT r.team_id, r.id INTO picked
          FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'candidate'
           AND r.team_id OPERATOR(pg_catalog.=) claim_candidate.team_id
         ORDER BY r.promoted_at, r.id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
    END IF;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM @extschema@.report_transition(picked.team_id, picked.id, 'in_progress', agent => agent);
    RETURN pg_catalog.row_to_json(x)
      FROM (SELECT picked.team_id,
                   @extschema@.report_signals(picked.team_id, picked.id) AS claimed) x;
END
$$;

COMMENT ON FUNCTION @extschema@.claim_candidate(text, bigint) IS
'claim the oldest candidate report for an external research agent (candidate -> in_progress); NULL when none is waiting';

-- External research: give back claims an agent has held too long (it died, or
-- lost its connection), so that the reports are candidates again.
CREATE OR REPLACE FUNCTION @extschema@.release_stale_claims(max_age interval DEFAULT '1 hour')
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stale record;
    released integer := 0;
BEGIN
    FOR stale IN
        SELECT r.team_id, r.id FROM @extschema@.reports r
         WHERE r.status OPERATOR(pg_catalog.=) 'in_progress'
           AND r.claimed_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) max_age)
         ORDER BY r.claimed_at, r.team_id, r.id
           FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM @extschema@.report_transition(stale.team_id, stale.id, 'candidate');
        released := released OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN released;
END
$$;

COMMENT ON FUNCTION @extschema@.release_stale_claims(interval) IS
'move reports claimed by an external agent longer than max_age ago back to candidate; returns how many';

-- External research: record the outcome of a claimed report.
CREATE OR REPLACE FUNCTION @extschema@.finish_research(
    team_id bigint,
    report_id uuid,
    outcome text,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports;
BEGIN
    IF outcome IS NULL OR outcome OPERATOR(pg_catalog.<>) ALL
       ('{ready,pending_input,failed,not_actionable,candidate}'::text[]) THEN
        RAISE EXCEPTION 'outcome must be ready, pending_input, failed, not_actionable or candidate'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'outcome';
    END IF;
    r := @extschema@.live_report(team_id, report_id, true);
    IF r.status OPERATOR(pg_catalog.<>) 'in_progress' THEN
        RAISE EXCEPTION 'the report is %, not in_progress', r.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF outcome OPERATOR(pg_catalog.=) 'not_actionable' THEN
        -- Back to potential with its weight reset: it must earn promotion again.
        r := @extschema@.report_transition(team_id, report_id, 'potential', title => title, summary => summary,
                                           weight_reset => true);
    ELSE
        r := @extschema@.report_transition(team_id, report_id, outcome,
                                           title => title, summary => summary, error => error);
    END IF;
    RETURN @extschema@.report_json(r, NULL);
END
$$;

COMMENT ON FUNCTION @extschema@.finish_research(bigint, uuid, text, text, text, text) IS
'finish research of an in-progress report: ready (needs title and summary), pending_input, failed, not_actionable (back to potential, weight reset) or candidate (released)';

-- The processing pipeline: drain the teams' queues.  The background worker
-- calls process_next_team() in a loop, one transaction each; without the
-- preloaded library, process_pending() does the same on demand (by hand or
-- from pg_cron).

-- Group one batch of the next team, after after_team in team order, that has
-- queued signals and is not paused, then summarize its new candidates.
-- Teams are locked with SKIP LOCKED, so concurrent callers take different
-- teams and one team's signals are grouped by one caller at a time.
CREATE OR REPLACE FUNCTION @extschema@.process_next_team(
    after_team bigint,
    max_signals integer,
    OUT team_id bigint,
    OUT grouped integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- On Citus the recursive skip below is refused (98_citus.sql).
    IF @extschema@.citus_distributed() THEN
        process_next_team.team_id := @extschema@.citus_next_team(after_team);
    ELSE
        -- The teams with queued signals, found by skipping through the queue
        -- index one team at a time rather than reading every queued signal.
        WITH RECURSIVE queued(team_id) AS (
            (SELECT s.team_id FROM @extschema@.signals s
              WHERE s.grouped_at IS NULL AND s.team_id OPERATOR(pg_catalog.>) after_team
              ORDER BY s.team_id LIMIT 1)
            UNION ALL
            SELECT (SELECT s.team_id FROM @extschema@.signals s
                     WHERE s.grouped_at IS NULL AND s.team_id OPERATOR(pg_catalog.>) q.team_id
                     ORDER BY s.team_id LIMIT 1)
              FROM queued q
             WHERE q.team_id IS NOT NULL)
        SELECT p.team_id INTO process_next_team.team_id
          FROM queued q
          JOIN @extschema@.processing_state p ON p.team_id OPERATOR(pg_catalog.=) q.team_id
         WHERE p.paused_until IS NULL OR p.paused_until OPERATOR(pg_catalog.<=) pg_catalog.now()
         ORDER BY p.team_id
         LIMIT 1
           FOR UPDATE OF p SKIP LOCKED;
    END IF;
    IF process_next_team.team_id IS NULL THEN
        grouped := 0;
        RETURN;
    END IF;
    -- A row some session keeps locked must not hold up every team (the
    -- workers wait less than this already).
    IF pg_catalog.current_setting('lock_timeout') OPERATOR(pg_catalog.=) '0' THEN
        PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    END IF;
    BEGIN
        grouped := @extschema@.group_pending(process_next_team.team_id, max_signals);
    EXCEPTION WHEN OTHERS THEN
        -- One team's trouble (a lock held too long, a row a SQL caller broke)
        -- leaves its signals queued for a later step and the other teams going.
        RAISE WARNING 'signals: grouping the signals of team % failed: %', process_next_team.team_id, SQLERRM;
        grouped := 0;
    END;
    PERFORM @extschema@.summarize_candidates(process_next_team.team_id);
END
$$;

COMMENT ON FUNCTION @extschema@.process_next_team(bigint, integer) IS
'group up to max_signals queued signals of the first unpaused team after after_team (locked, skipping teams others hold) and summarize its candidates; a failure is logged and leaves that team''s signals queued; team_id is NULL when no team is ready';

-- Drain every unpaused team's queue now, in team order, each team's signals
-- in arrival order; returns how many signals were grouped.
CREATE OR REPLACE FUNCTION @extschema@.process_pending(max_signals integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    budget bigint := coalesce(max_signals, 9223372036854775807);
    done bigint := 0;
    cursor_team bigint := 0;
    step record;
BEGIN
    IF budget OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'max_signals must not be negative'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'max_signals';
    END IF;
    WHILE done OPERATOR(pg_catalog.<) budget LOOP
        step := @extschema@.process_next_team(
                    cursor_team, pg_catalog.int8smaller(budget OPERATOR(pg_catalog.-) done, 1000)::integer);
        EXIT WHEN step.team_id IS NULL;
        done := done OPERATOR(pg_catalog.+) step.grouped;
        -- Stay on a team while it still has signals; move on once it is drained
        -- or another session is grouping it.
        IF step.grouped OPERATOR(pg_catalog.=) 0 THEN
            cursor_team := step.team_id;
        ELSE
            cursor_team := step.team_id OPERATOR(pg_catalog.-) 1;
        END IF;
    END LOOP;
    RETURN done;
END
$$;

COMMENT ON FUNCTION @extschema@.process_pending(integer) IS
'group queued signals of every unpaused team now (at most max_signals); for installations without the background worker';

-- Draining queues is the workers' job, or an administrator's (pg_cron).
REVOKE ALL ON FUNCTION @extschema@.process_next_team(bigint, integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.process_pending(integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.summarize_candidates(bigint, integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.summarize_report(bigint, uuid) FROM PUBLIC;

-- Hold the team's grouping: lock its row in grouping_state (made when
-- missing), as the grouping engine does before it groups the team.  With
-- wait = false, return false at once when another transaction holds it.
CREATE OR REPLACE FUNCTION @extschema@.lock_team_grouping(team_id bigint, wait boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.team_id OPERATOR(pg_catalog.=) lock_team_grouping.team_id) THEN
        RAISE EXCEPTION 'team % not found', team_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO @extschema@.grouping_state (team_id) VALUES (lock_team_grouping.team_id)
        ON CONFLICT DO NOTHING;
    IF coalesce(wait, true) THEN
        PERFORM FROM @extschema@.grouping_state g
          WHERE g.team_id OPERATOR(pg_catalog.=) lock_team_grouping.team_id
            FOR UPDATE;
        RETURN true;
    END IF;
    PERFORM FROM @extschema@.grouping_state g
      WHERE g.team_id OPERATOR(pg_catalog.=) lock_team_grouping.team_id
        FOR UPDATE SKIP LOCKED;
    RETURN FOUND;
END
$$;

COMMENT ON FUNCTION @extschema@.lock_team_grouping(bigint, boolean) IS
'lock the team''s grouping (its grouping_state row, made when missing) until the transaction ends; with wait = false, false when another transaction holds it';

-- Recompute the report fields that come from its signals: how many, their
-- total weight and their sorted distinct source products.
CREATE OR REPLACE FUNCTION @extschema@.refresh_signal_fields(team_id bigint, report_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.reports r
       SET signal_count = t.n,
           total_weight = t.w,
           source_products = t.products,
           updated_at = pg_catalog.now()
      FROM (SELECT x.id,
                   (SELECT pg_catalog.count(*)::integer FROM @extschema@.signals s
                     WHERE s.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
                       AND s.report_id OPERATOR(pg_catalog.=) x.id) AS n,
                   (SELECT coalesce(pg_catalog.sum(s.weight), 0) FROM @extschema@.signals s
                     WHERE s.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
                       AND s.report_id OPERATOR(pg_catalog.=) x.id) AS w,
                   ARRAY(SELECT DISTINCT s.source_product COLLATE "C" FROM @extschema@.signals s
                          WHERE s.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
                            AND s.report_id OPERATOR(pg_catalog.=) x.id
                          ORDER BY 1) AS products
              FROM pg_catalog.unnest(report_ids) AS x(id)) t
     WHERE r.team_id OPERATOR(pg_catalog.=) refresh_signal_fields.team_id
       AND r.id OPERATOR(pg_catalog.=) t.id;
END
$$;

COMMENT ON FUNCTION @extschema@.refresh_signal_fields(bigint, uuid[]) IS
'recompute signal_count, total_weight and source_products of the team''s given reports from their signals';

-- 409 unless forced: research is under way on the report.
CREATE OR REPLACE FUNCTION @extschema@.check_no_research(r @extschema@.reports, force boolean, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF r.status OPERATOR(pg_catalog.=) 'in_progress' AND NOT coalesce(force, false) THEN
        RAISE EXCEPTION 'research is in progress on %', what
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Pass "force": true to go ahead anyway; the research under way is then lost.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.check_no_research(@extschema@.reports, boolean, text) IS
'raise the 409 "research is in progress on <what>" when the report is in_progress and force is not set';

-- POST reports/:id/merge/: move every signal (and artefact) of the report
-- into another live report of the team, recompute the target, and delete
-- the source with merged_into set.  Returns the target.
CREATE OR REPLACE FUNCTION @extschema@.report_merge(
    team_id bigint,
    report_id uuid,
    into_id uuid,
    force boolean DEFAULT false,
    viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports;
    source @extschema@.reports;
    target @extschema@.reports;
BEGIN
    IF into_id IS NULL THEN
        RAISE EXCEPTION 'into is required' USING ERRCODE = 'not_null_violation', COLUMN = 'into';
    END IF;
    IF into_id OPERATOR(pg_catalog.=) report_id THEN
        RAISE EXCEPTION 'cannot merge a report into itself'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'into';
    END IF;
    -- The team's grouping first, then both reports in id order: the order
    -- every correction takes, so two of them never deadlock.
    PERFORM @extschema@.lock_team_grouping(team_id);
    FOR r IN
        SELECT * FROM @extschema@.reports x
         WHERE x.team_id OPERATOR(pg_catalog.=) report_merge.team_id
           AND x.id OPERATOR(pg_catalog.=) ANY (ARRAY[report_id, into_id])
         ORDER BY x.id
           FOR UPDATE
    LOOP
        IF r.id OPERATOR(pg_catalog.=) report_id THEN
            source := r;
        ELSE
            target := r;
        END IF;
    END LOOP;
    IF source.id IS NULL OR source.status OPERATOR(pg_catalog.=) 'deleted' THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found';
    END IF;
    IF target.id IS NULL THEN
        RAISE EXCEPTION 'report to merge into not found' USING ERRCODE = 'no_data_found', COLUMN = 'into';
    END IF;
    IF target.merged_into IS NOT NULL THEN
        RAISE EXCEPTION 'cannot merge into a report that was merged into report %', target.merged_into
            USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'into';
    END IF;
    IF target.status OPERATOR(pg_catalog.=) ANY ('{deleted,suppressed}'::text[]) THEN
        RAISE EXCEPTION 'cannot merge into a % report', target.status
            USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'into';
    END IF;
    PERFORM @extschema@.check_no_research(source, force, 'the report');
    PERFORM @extschema@.check_no_research(target, force, 'the report to merge into');

    UPDATE @extschema@.signals s
       SET report_id = into_id
     WHERE s.team_id OPERATOR(pg_catalog.=) report_merge.team_id
       AND s.report_id OPERATOR(pg_catalog.=) source.id;
    -- Research on the source is about the same issue: its judgments join the
    -- target's (the newest of each kind wins, as always).
    UPDATE @extschema@.report_artefacts a
       SET report_id = into_id
     WHERE a.team_id OPERATOR(pg_catalog.=) report_merge.team_id
       AND a.report_id OPERATOR(pg_catalog.=) source.id;
    PERFORM @extschema@.refresh_signal_fields(team_id, ARRAY[source.id, into_id]);
    PERFORM @extschema@.move_reports(team_id, ARRAY[source.id], 'deleted');
    UPDATE @extschema@.reports x
       SET merged_into = into_id
     WHERE x.team_id OPERATOR(pg_catalog.=) report_merge.team_id
       AND x.id OPERATOR(pg_catalog.=) source.id;
    PERFORM @extschema@.promote_reports(team_id, ARRAY[into_id]);
    RETURN @extschema@.report_get(team_id, into_id, viewer);
END
$$;

COMMENT ON FUNCTION @extschema@.report_merge(bigint, uuid, uuid, boolean, uuid) IS
'merge a report into another of the team: its signals and artefacts move, the target''s counters, source products, artefact fields and promotion are recomputed, and the source is deleted with merged_into set; research in progress on either is a 409 unless forced';

-- POST reports/:id/split/: move some of the report's signals to a new
-- report, made as grouping makes one (potential, titled from the first
-- moved signal unless a title is given, promoted when due), remembered as
-- split from this one.  Returns the new report.
CREATE OR REPLACE FUNCTION @extschema@.report_split(
    team_id bigint,
    report_id uuid,
    signal_ids text[],
    title text DEFAULT NULL,
    force boolean DEFAULT false,
    viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids uuid[] := '{}';
    item text;
    r @extschema@.reports;
    members integer;
    stranger uuid;
    new_id uuid := @extschema@.uuid_v7();
BEGIN
    IF signal_ids IS NULL THEN
        RAISE EXCEPTION 'signal_ids is required' USING ERRCODE = 'not_null_violation', COLUMN = 'signal_ids';
    END IF;
    IF pg_catalog.cardinality(signal_ids) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'signal_ids must name at least one signal'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'signal_ids';
    END IF;
    FOREACH item IN ARRAY signal_ids LOOP
        IF item IS NULL OR item OPERATOR(pg_catalog.!~)
           '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' THEN
            RAISE EXCEPTION 'invalid signal id: "%"', pg_catalog.left(coalesce(item, 'null'), 100)
                USING ERRCODE = 'invalid_text_representation', COLUMN = 'signal_ids';
        END IF;
        ids := ids OPERATOR(pg_catalog.||) item::uuid;
    END LOOP;
    ids := ARRAY(SELECT DISTINCT i FROM pg_catalog.unnest(ids) i ORDER BY i);
    IF title IS NOT NULL THEN
        PERFORM @extschema@.check_text_field('title', title, 200);
    END IF;

    PERFORM @extschema@.lock_team_grouping(team_id);
    r := @extschema@.live_report(team_id, report_id, true);
    SELECT i INTO stranger
      FROM pg_catalog.unnest(ids) i
     WHERE NOT EXISTS (SELECT FROM @extschema@.signals s
                        WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
                          AND s.id OPERATOR(pg_catalog.=) i
                          AND s.report_id OPERATOR(pg_catalog.=) r.id)
     ORDER BY i
     LIMIT 1;
    IF stranger IS NOT NULL THEN
        RAISE EXCEPTION 'signal % is not a signal of this report', stranger
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'signal_ids';
    END IF;
    SELECT pg_catalog.count(*) INTO members
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
       AND s.report_id OPERATOR(pg_catalog.=) r.id;
    IF members OPERATOR(pg_catalog.=) pg_catalog.cardinality(ids) THEN
        RAISE EXCEPTION 'cannot split off every signal of a report'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'signal_ids',
                  HINT = 'Leave at least one signal in the report.';
    END IF;
    PERFORM @extschema@.check_no_research(r, force, 'the report');

    INSERT INTO @extschema@.reports (team_id, id, title, status, split_from)
    SELECT report_split.team_id, new_id,
           coalesce(report_split.title, @extschema@.report_title(s.description)), 'potential', r.id
      FROM @extschema@.signals s
     WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
       AND s.id OPERATOR(pg_catalog.=) ids[1];
    UPDATE @extschema@.signals s
       SET report_id = new_id
     WHERE s.team_id OPERATOR(pg_catalog.=) report_split.team_id
       AND s.id OPERATOR(pg_catalog.=) ANY (ids);
    PERFORM @extschema@.refresh_signal_fields(team_id, ARRAY[r.id, new_id]);
    PERFORM @extschema@.promote_reports(team_id, ARRAY[r.id, new_id]);
    RETURN @extschema@.report_get(team_id, new_id, viewer);
END
$$;

COMMENT ON FUNCTION @extschema@.report_split(bigint, uuid, text[], text, boolean, uuid) IS
'split some signals of a report off into a new report (computed as grouping computes a new one, split_from set); research in progress is a 409 unless forced';

-- Group up to max_signals of the team's queued signals; returns how many.
CREATE OR REPLACE FUNCTION @extschema@.group_pending(team_id bigint, max_signals integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'signals_group_pending_0_2_0'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.group_pending(bigint, integer) IS
'assign up to max_signals of the team''s queued signals, in arrival order, to reports (dedupe key, else text similarity, else a new potential report); returns how many were grouped, 0 at once when another session is grouping the team';

REVOKE ALL ON FUNCTION @extschema@.group_pending(bigint, integer) FROM PUBLIC;

-- The features grouping sees in a text, weighed with the team's frequencies.
CREATE OR REPLACE FUNCTION @extschema@.grouping_features(description text, team_id bigint DEFAULT NULL)
RETURNS TABLE (feature text, kind text, df integer, weight real)
AS 'MODULE_PATHNAME', 'signals_grouping_features_0_2_0'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.grouping_features(text, bigint) IS
'the words, phrases and error signatures grouping extracts from a text, with their document frequency and weight in the team (or in an empty team when team_id is null); grouping also caps the weight by the frequency within the signal''s source, which this function does not know';

-- How similar b is to a report made of a alone, as grouping scores it.
CREATE OR REPLACE FUNCTION @extschema@.signal_similarity(a text, b text, team_id bigint DEFAULT NULL)
RETURNS real
AS 'MODULE_PATHNAME', 'signals_signal_similarity_0_2_0'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.signal_similarity(text, text, bigint) IS
'the score (0..1, the cosine of the two texts'' feature weights, cut for conflicting error signatures or titles) grouping would give text b against an earlier signal with text a, with the team''s feature weights; compare with signals.similarity_threshold';

-- Rebuild the team's grouping tables from its stored signals, as grouped.
CREATE OR REPLACE FUNCTION @extschema@.grouping_replay(team_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'signals_grouping_replay_0_2_0'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.grouping_replay(bigint) IS
'rebuild the team''s grouping tables (document-frequency sketch, signal features, candidate and dedupe indexes) by replaying its grouped signals of live reports in arrival order into the reports they are in; reports and assignments do not change (after a restore without the grouping tables); returns how many signals were replayed';

REVOKE ALL ON FUNCTION @extschema@.grouping_replay(bigint) FROM PUBLIC;

-- Regroup the team's stored signals with the engine as it is now.
CREATE OR REPLACE FUNCTION @extschema@.grouping_rebuild(team_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    before_signals uuid[];
    before_reports uuid[];
    regrouped bigint;
    kept uuid[];
    gone uuid[];
BEGIN
    PERFORM @extschema@.lock_team_grouping(grouping_rebuild.team_id);
    -- the grouped signals of live reports, and where they were
    SELECT pg_catalog.array_agg(s.id ORDER BY s.id), pg_catalog.array_agg(s.report_id ORDER BY s.id)
      INTO before_signals, before_reports
      FROM @extschema@.signals s
      JOIN @extschema@.reports r ON r.team_id OPERATOR(pg_catalog.=) s.team_id
                                AND r.id OPERATOR(pg_catalog.=) s.report_id
     WHERE s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND s.grouped_at IS NOT NULL AND r.status OPERATOR(pg_catalog.<>) 'deleted';
    IF before_signals IS NULL THEN
        RETURN 0;
    END IF;

    -- group them again from nothing, in arrival order, into new reports
    DELETE FROM @extschema@.grouping_members g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    DELETE FROM @extschema@.grouping_postings g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    DELETE FROM @extschema@.grouping_dedupe g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    DELETE FROM @extschema@.grouping_df g WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    UPDATE @extschema@.grouping_state g SET n_docs = 0, total_docs = 0, width = 1024
     WHERE g.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id;
    UPDATE @extschema@.signals s SET grouped_at = NULL
     WHERE s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND s.id OPERATOR(pg_catalog.=) ANY (before_signals);
    regrouped := @extschema@.group_pending(grouping_rebuild.team_id, pg_catalog.cardinality(before_signals));

    -- A new report that holds most of an old report's signals takes the old
    -- report's id (and with it its status, research and artefacts); when it
    -- holds most of several, the one it holds most of.
    CREATE TEMP TABLE regroup_keep ON COMMIT DROP AS
    WITH b AS (SELECT u.signal_id, u.old_id
                 FROM ROWS FROM (pg_catalog.unnest(before_signals), pg_catalog.unnest(before_reports))
                      AS u(signal_id, old_id)),
         pairs AS (SELECT b.old_id, s.report_id AS new_id, pg_catalog.count(*) AS c
                     FROM b JOIN @extschema@.signals s
                       ON s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
                      AND s.id OPERATOR(pg_catalog.=) b.signal_id
                    GROUP BY 1, 2),
         sizes AS (SELECT p.old_id, pg_catalog.sum(p.c) AS total FROM pairs p GROUP BY 1)
    SELECT DISTINCT ON (p.new_id) p.new_id, p.old_id
      FROM pairs p JOIN sizes z ON z.old_id OPERATOR(pg_catalog.=) p.old_id
     WHERE p.c OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.>) z.total
     ORDER BY p.new_id, p.c DESC, p.old_id;
    UPDATE @extschema@.signals s
       SET report_id = k.old_id,
           match_detail = pg_catalog.jsonb_set(s.match_detail, '{report_id}', pg_catalog.to_jsonb(k.old_id::text))
      FROM regroup_keep k
     WHERE s.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND s.report_id OPERATOR(pg_catalog.=) k.new_id;
    DELETE FROM @extschema@.reports r USING regroup_keep k
     WHERE r.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
       AND r.id OPERATOR(pg_catalog.=) k.new_id;
    SELECT pg_catalog.array_agg(k.old_id) INTO kept FROM regroup_keep k;
    DROP TABLE regroup_keep;

    -- old reports that kept none: deleted, pointing at where most went
    SELECT pg_catalog.array_agg(DISTINCT o.id) INTO gone
      FROM pg_catalog.unnest(before_reports) AS o(id)
     WHERE kept IS NULL OR NOT o.id OPERATOR(pg_catalog.=) ANY (kept);
    IF gone IS NOT NULL THEN
        UPDATE @extschema@.reports r
           SET merged_into = (SELECT s.report_id
                                FROM ROWS FROM (pg_catalog.unnest(before_signals), pg_catalog.unnest(before_reports))
                                     AS u(signal_id, old_id)
                                JOIN @extschema@.signals s
                                  ON s.team_id OPERATOR(pg_catalog.=) r.team_id
                                 AND s.id OPERATOR(pg_catalog.=) u.signal_id
                               WHERE u.old_id OPERATOR(pg_catalog.=) r.id
                               GROUP BY s.report_id ORDER BY pg_catalog.count(*) DESC, s.report_id LIMIT 1)
         WHERE r.team_id OPERATOR(pg_catalog.=) grouping_rebuild.team_id
           AND r.id OPERATOR(pg_catalog.=) ANY (gone);
        PERFORM FROM @extschema@.move_reports(grouping_rebuild.team_id, gone, 'deleted');
    END IF;
    IF kept IS NOT NULL THEN
        PERFORM @extschema@.refresh_signal_fields(grouping_rebuild.team_id, kept);
        PERFORM @extschema@.promote_reports(grouping_rebuild.team_id, kept);
    END IF;
    RETURN regrouped;
END
$$;

COMMENT ON FUNCTION @extschema@.grouping_rebuild(bigint) IS
'regroup the team''s grouped signals of live reports with the grouping engine as it is now (after an engine change), in arrival order; a report keeps its id (status, research, artefacts) when one new report holds most of its signals, and a report that keeps none is deleted with merged_into naming where most of them went; returns how many signals were regrouped';

REVOKE ALL ON FUNCTION @extschema@.grouping_rebuild(bigint) FROM PUBLIC;

-- Remove grouping index rows that can no longer match.
CREATE OR REPLACE FUNCTION @extschema@.grouping_prune(team_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Calling the library loads it, and with it the setting read next (with
    -- its default), also where the library is not preloaded.
    library text := @extschema@.library_version();
    horizon timestamptz := pg_catalog.now() OPERATOR(pg_catalog.-)
        pg_catalog.make_interval(days => pg_catalog.current_setting('signals.grouping_window_days')::integer);
    gone bigint := 0;
    n bigint;
BEGIN
    -- features of signals out of the window or in deleted reports
    DELETE FROM @extschema@.grouping_members m
     USING @extschema@.signals s, @extschema@.reports r
     WHERE m.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND s.team_id OPERATOR(pg_catalog.=) m.team_id AND s.id OPERATOR(pg_catalog.=) m.signal_id
       AND r.team_id OPERATOR(pg_catalog.=) s.team_id AND r.id OPERATOR(pg_catalog.=) s.report_id
       AND (r.status OPERATOR(pg_catalog.=) 'deleted'
            OR m.created_at OPERATOR(pg_catalog.<) horizon);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    -- index rows of signals without features
    DELETE FROM @extschema@.grouping_postings p
     WHERE p.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND NOT EXISTS (SELECT FROM @extschema@.grouping_members m
                        WHERE m.team_id OPERATOR(pg_catalog.=) p.team_id
                          AND m.signal_id OPERATOR(pg_catalog.=) p.signal_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    DELETE FROM @extschema@.grouping_dedupe k
     WHERE k.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND (k.seen_at OPERATOR(pg_catalog.<) horizon
            OR NOT EXISTS (SELECT FROM @extschema@.grouping_members m
                            WHERE m.team_id OPERATOR(pg_catalog.=) k.team_id
                              AND m.signal_id OPERATOR(pg_catalog.=) k.signal_id));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN gone OPERATOR(pg_catalog.+) n;
END
$$;

COMMENT ON FUNCTION @extschema@.grouping_prune(bigint) IS
'delete the team''s grouping rows of signals in deleted reports or out of the window (also after the team itself was deleted); returns how many rows went';

REVOKE ALL ON FUNCTION @extschema@.grouping_prune(bigint) FROM PUBLIC;

-- Claim up to max_judgments pending judgments (of one team, or of every team
-- the caller may see), for judge, for lease; returns them with the text of
-- the signal, of each candidate report and of its nearest signal.
CREATE OR REPLACE FUNCTION @extschema@.judge_claim(
    judge text,
    team_id bigint DEFAULT NULL,
    max_judgments integer DEFAULT 10,
    lease interval DEFAULT '5 minutes')
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    claimed json;
BEGIN
    IF judge IS NULL OR pg_catalog.btrim(judge) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'judge must not be blank' USING ERRCODE = 'invalid_parameter_value', COLUMN = 'judge';
    END IF;
    IF max_judgments IS NULL OR max_judgments OPERATOR(pg_catalog.<) 1 OR max_judgments OPERATOR(pg_catalog.>) 1000 THEN
        RAISE EXCEPTION 'max_judgments must be between 1 and 1000'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'max_judgments';
    END IF;
    WITH mine AS (
        SELECT j.team_id, j.signal_id
          FROM @extschema@.grouping_judgments j
         WHERE (judge_claim.team_id IS NULL OR j.team_id OPERATOR(pg_catalog.=) judge_claim.team_id)
           AND j.decided_at IS NULL AND j.deadline OPERATOR(pg_catalog.>) pg_catalog.now()
           AND (j.claimed_at IS NULL OR j.claimed_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) lease))
         ORDER BY j.deadline, j.team_id, j.signal_id
         LIMIT max_judgments
           FOR UPDATE SKIP LOCKED),
    taken AS (
        UPDATE @extschema@.grouping_judgments j
           SET claimed_by = judge_claim.judge, claimed_at = pg_catalog.now()
          FROM mine m
         WHERE j.team_id OPERATOR(pg_catalog.=) m.team_id AND j.signal_id OPERATOR(pg_catalog.=) m.signal_id
        RETURNING j.*)
    SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
               'team_id', t.team_id,
               'signal_id', t.signal_id,
               'source_id', s.source_id,
               'description', s.description,
               'source_product', s.source_product,
               'source_type', s.source_type,
               'deadline', @extschema@.iso_time(t.deadline),
               'candidates', (SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                                  'report_id', r.id, 'title', r.title, 'summary', r.summary,
                                  'signal_count', r.signal_count,
                                  'score', c.value -> 'score', 'evidence', c.value -> 'evidence',
                                  'shared', c.value -> 'shared',
                                  'nearest_signal', pg_catalog.json_build_object(
                                      'id', n.id, 'source_id', n.source_id, 'description', n.description))
                                  ORDER BY c.ordinality), '[]')
                                FROM pg_catalog.jsonb_array_elements(t.candidates) WITH ORDINALITY c
                                JOIN @extschema@.reports r
                                  ON r.team_id OPERATOR(pg_catalog.=) t.team_id
                                 AND r.id OPERATOR(pg_catalog.=) (c.value ->> 'report_id')::uuid
                                LEFT JOIN @extschema@.signals n
                                  ON n.team_id OPERATOR(pg_catalog.=) t.team_id
                                 AND n.id OPERATOR(pg_catalog.=) (c.value ->> 'nearest_signal_id')::uuid))
               ORDER BY t.deadline, t.team_id, t.signal_id), '[]')
      INTO claimed
      FROM taken t
      JOIN @extschema@.signals s ON s.team_id OPERATOR(pg_catalog.=) t.team_id
                                AND s.id OPERATOR(pg_catalog.=) t.signal_id;
    RETURN claimed;
END
$$;

COMMENT ON FUNCTION @extschema@.judge_claim(text, bigint, integer, interval) IS
'claim up to max_judgments undecided judgments before their deadline (unclaimed, or claimed longer ago than lease), of one team or of all the caller may see; two judges never get the same one; returns each signal''s text with its candidate reports and their nearest signals';

-- Decide a judgment: join report_id, or (NULL) a new report.
CREATE OR REPLACE FUNCTION @extschema@.judge_decide(
    team_id bigint,
    signal_id uuid,
    report_id uuid,
    judge text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    j @extschema@.grouping_judgments;
    target_status text;
BEGIN
    SELECT * INTO j FROM @extschema@.grouping_judgments g
     WHERE g.team_id OPERATOR(pg_catalog.=) judge_decide.team_id
       AND g.signal_id OPERATOR(pg_catalog.=) judge_decide.signal_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'judgment not found' USING ERRCODE = 'no_data_found', COLUMN = 'signal_id';
    END IF;
    IF report_id IS NOT NULL THEN
        SELECT r.status INTO target_status FROM @extschema@.reports r
         WHERE r.team_id OPERATOR(pg_catalog.=) judge_decide.team_id
           AND r.id OPERATOR(pg_catalog.=) judge_decide.report_id;
        IF target_status IS NULL OR target_status OPERATOR(pg_catalog.=) 'deleted' THEN
            RAISE EXCEPTION 'report not found' USING ERRCODE = 'no_data_found', COLUMN = 'report_id';
        END IF;
        IF target_status OPERATOR(pg_catalog.=) 'suppressed' THEN
            RAISE EXCEPTION 'cannot join a suppressed report'
                USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'report_id';
        END IF;
    END IF;
    IF j.decided_at IS NOT NULL THEN
        -- the same decision again is a no-op; another one is refused
        IF j.decision IS NOT DISTINCT FROM report_id THEN
            RETURN pg_catalog.json_build_object('signal_id', j.signal_id, 'report_id', j.decision,
                                                'decided_by', j.decided_by, 'already_decided', true);
        END IF;
        RAISE EXCEPTION 'the judgment was already decided by %', j.decided_by
            USING ERRCODE = 'object_not_in_prerequisite_state', COLUMN = 'signal_id';
    END IF;
    UPDATE @extschema@.grouping_judgments g
       SET decided_at = pg_catalog.now(), decision = judge_decide.report_id,
           decided_by = COALESCE(judge_decide.judge, j.claimed_by, CURRENT_USER::text)
     WHERE g.team_id OPERATOR(pg_catalog.=) j.team_id AND g.signal_id OPERATOR(pg_catalog.=) j.signal_id
    RETURNING * INTO j;
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.json_build_object('signal_id', j.signal_id, 'report_id', j.decision,
                                        'decided_by', j.decided_by, 'already_decided', false);
END
$$;

COMMENT ON FUNCTION @extschema@.judge_decide(bigint, uuid, uuid, text) IS
'decide a pending judgment: join report_id (a live report of the team) or, with NULL, open a new report; the next grouping step applies it; the same decision again is a no-op, another one after a decision (the judge''s or the engine''s at the deadline) is refused';

REVOKE ALL ON FUNCTION @extschema@.judge_claim(text, bigint, integer, interval) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.judge_decide(bigint, uuid, uuid, text) FROM PUBLIC;

-- scout/project_profile/current/: a deterministic summary of a team's product
-- mix, cached per team.
--
-- The payload is {"inventory": {<section>: ..., ...}, "warnings": [...]}.
-- Determinism ("sorted keys"): the payload is built as compact JSON text
-- (no whitespace) and stored as json, not jsonb, so its bytes are kept.
-- Keys are never in hash or jsonb order; they follow one fixed, documented
-- order: the sections in signals.profile_sections.position order (the
-- reference's order, with the extra emit_eligibility section after
-- signal_source_configs where PostHog's later versions put it), and inside a
-- section the field order of the section's shape (the reference's).  Every
-- list has an explicit ORDER BY with a tiebreak, strings compare in the C
-- collation, timestamps are printed by signals.iso_time() (UTC, microseconds,
-- Z), and the builder runs with fixed TimeZone and DateStyle.
--
-- Sections the extension owns (project_context, signal_source_configs,
-- emit_eligibility, existing_inbox_reports) are built here from its tables.
-- Every other section comes from a provider function that a DBA registers
-- with signals.register_profile_provider(); its output is checked against the
-- section's shape and re-serialised in the shape's key order, so a provider's
-- own key order or formatting never reaches the payload.  A provider that
-- fails, is gone, or returns the wrong shape gives the empty section, a
-- WARNING and an entry in the payload's "warnings" list; the profile is still
-- built.  Unregistered sections are present and empty.
--
-- A provider is called as schema.name(team_id bigint) with the builder's
-- settings: search_path = pg_catalog, pg_temp (qualify names, or give the
-- provider its own SET search_path) and TimeZone = UTC.  It runs with the
-- rights of its owner, never the builder's (the builder runs as the extension
-- owner inside http_handle): registration pins the function by OID and its
-- owner, and a provider that was dropped and re-created, renamed, or given
-- another owner since is refused (an empty section and a warning) until a
-- DBA registers it again.  Registering is for DBAs, and only for functions
-- whose owner the registrant can act as.  A provider orders its lists stably
-- (the builder keeps that order, only cutting at max_items); a list of strings is
-- a set and is sorted.  Timestamps may be any dated ISO 8601 text or a
-- to_json(timestamptz) and are rewritten by signals.iso_time().

-- The version of the builder: the cache serves rows of this version only.
-- Change it whenever the payload's shape or content rules change.
CREATE OR REPLACE FUNCTION @extschema@.profile_source_version()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'signals-profile-v1'::text
$$;

COMMENT ON FUNCTION @extschema@.profile_source_version() IS
'the project profile builder''s version, stored as source_version; cached rows of another version are never served';

-- The cache lifetime (setting signals.profile_ttl, default one hour).
CREATE OR REPLACE FUNCTION @extschema@.profile_ttl()
RETURNS interval
AS 'MODULE_PATHNAME', 'signals_profile_ttl'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.profile_ttl() IS
'how long a built project profile stays fresh: the signals.profile_ttl setting (default 1h) as an interval';

-- A JSON array of the given elements, in their order, without whitespace.
CREATE OR REPLACE FUNCTION @extschema@.compact_json_array(items json[])
RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ('[' OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_to_string(items, ','), '')
            OPERATOR(pg_catalog.||) ']')::json
$$;

COMMENT ON FUNCTION @extschema@.compact_json_array(json[]) IS
'the elements as one JSON array with no whitespace (json_agg would add spaces); NULL gives []';

-- Wait for the team's profile build lock, held to the end of the transaction.
-- It is an advisory lock in a class no SQL function reaches, so no role can
-- hold a team's builds up with pg_advisory_lock().
CREATE OR REPLACE FUNCTION @extschema@.profile_build_lock(team_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'signals_profile_build_lock'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.profile_build_lock(bigint) IS
'take the lock that serialises a team''s profile builds (an advisory lock of a class SQL cannot take), until the transaction ends';

REVOKE ALL ON FUNCTION @extschema@.profile_build_lock(bigint) FROM PUBLIC;

-- Call a registered provider as its pinned owner (see the top of this file).
CREATE OR REPLACE FUNCTION @extschema@.profile_call_provider(provider oid, owner oid, team_id bigint)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'signals_profile_call_provider'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.profile_call_provider(oid, oid, bigint) IS
'call provider(team_id) with the rights of owner (which must still own it) in a restricted security context; its result as jsonb';

REVOKE ALL ON FUNCTION @extschema@.profile_call_provider(oid, oid, bigint) FROM PUBLIC;

-- Check a provider's output against a shape and write it in the shape's key order.
CREATE OR REPLACE FUNCTION @extschema@.profile_conform(shape json, value jsonb, path text, max_items integer DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind text := pg_catalog.json_typeof(shape);
    vkind text := pg_catalog.jsonb_typeof(value);
    parts text[] := '{}';
    k text;
    sub json;
    elem jsonb;
    i bigint;
    leaf text;
    nullable boolean;
    s text;
    n numeric;
    ts timestamptz;
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% is missing', path;
    END IF;
    IF kind OPERATOR(pg_catalog.=) 'object' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'object' THEN
            RAISE EXCEPTION '% must be an object, not %', path, vkind;
        END IF;
        SELECT pg_catalog.min(vk COLLATE "C") INTO k
          FROM pg_catalog.jsonb_object_keys(value) vk
         WHERE NOT EXISTS (SELECT FROM pg_catalog.json_object_keys(shape) sk
                            WHERE sk OPERATOR(pg_catalog.=) vk);
        IF k IS NOT NULL THEN
            RAISE EXCEPTION '% has an unexpected key "%"', path, k;
        END IF;
        FOR k, sub IN SELECT e.key, e.value FROM pg_catalog.json_each(shape) e LOOP
            parts := parts OPERATOR(pg_catalog.||)
                     (pg_catalog.to_json(k)::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||)
                      @extschema@.profile_conform(sub, pg_catalog.jsonb_extract_path(value, k),
                                                  path OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) k,
                                                  max_items));
        END LOOP;
        RETURN '{' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(parts, ',') OPERATOR(pg_catalog.||) '}';
    END IF;

    IF kind OPERATOR(pg_catalog.=) 'array' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'array' THEN
            RAISE EXCEPTION '% must be an array, not %', path, vkind;
        END IF;
        sub := pg_catalog.json_array_element(shape, 0);
        IF pg_catalog.json_typeof(sub) OPERATOR(pg_catalog.=) 'string' THEN
            -- A list of strings is a set: checked, deduplicated, sorted.
            FOR elem, i IN SELECT e, o FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY a(e, o) LOOP
                IF pg_catalog.jsonb_typeof(elem) OPERATOR(pg_catalog.<>) 'string' THEN
                    RAISE EXCEPTION '%[%] must be a string, not %', path, i OPERATOR(pg_catalog.-) 1,
                        pg_catalog.jsonb_typeof(elem);
                END IF;
            END LOOP;
            SELECT pg_catalog.array_agg(pg_catalog.to_json(t)::text ORDER BY t COLLATE "C")
              INTO parts
              FROM (SELECT DISTINCT e AS t
                      FROM pg_catalog.jsonb_array_elements_text(value) e) d;
            IF max_items IS NOT NULL THEN
                parts := parts[1:max_items];
            END IF;
        ELSE
            FOR elem, i IN SELECT e, o FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY a(e, o)
                            ORDER BY o LIMIT max_items LOOP
                parts := parts OPERATOR(pg_catalog.||)
                         @extschema@.profile_conform(sub, elem,
                                                     path OPERATOR(pg_catalog.||) '[' OPERATOR(pg_catalog.||)
                                                     (i OPERATOR(pg_catalog.-) 1)::text OPERATOR(pg_catalog.||) ']',
                                                     max_items);
            END LOOP;
        END IF;
        RETURN '[' OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_to_string(parts, ','), '')
               OPERATOR(pg_catalog.||) ']';
    END IF;

    -- A leaf: the shape names a type, with ? when null is allowed.
    leaf := shape OPERATOR(pg_catalog.#>>) '{}'::text[];
    nullable := pg_catalog.right(leaf, 1) OPERATOR(pg_catalog.=) '?';
    leaf := pg_catalog.rtrim(leaf, '?');
    IF vkind OPERATOR(pg_catalog.=) 'null' THEN
        IF nullable THEN
            RETURN 'null';
        END IF;
        RAISE EXCEPTION '% may not be null', path;
    END IF;
    IF leaf OPERATOR(pg_catalog.=) 'string' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'string' THEN
            RAISE EXCEPTION '% must be a string, not %', path, vkind;
        END IF;
        RETURN value::text;
    ELSIF leaf OPERATOR(pg_catalog.=) 'boolean' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'boolean' THEN
            RAISE EXCEPTION '% must be a boolean, not %', path, vkind;
        END IF;
        RETURN value::text;
    ELSIF leaf OPERATOR(pg_catalog.=) 'integer' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'number' THEN
            RAISE EXCEPTION '% must be an integer, not %', path, vkind;
        END IF;
        n := value::text::numeric;
        IF n OPERATOR(pg_catalog.<>) pg_catalog.trunc(n)
           OR n OPERATOR(pg_catalog.<) -9223372036854775808::numeric
           OR n OPERATOR(pg_catalog.>) 9223372036854775807::numeric THEN
            RAISE EXCEPTION '% must be an integer, not %', path, value::text;
        END IF;
        RETURN n::bigint::text;
    ELSIF leaf OPERATOR(pg_catalog.=) 'timestamp' THEN
        IF vkind OPERATOR(pg_catalog.<>) 'string' THEN
            RAISE EXCEPTION '% must be an ISO 8601 timestamp string, not %', path, vkind;
        END IF;
        s := value OPERATOR(pg_catalog.#>>) '{}'::text[];
        -- Only dated ISO 8601 text: no 'now', 'today' or other relative inputs.
        IF s OPERATOR(pg_catalog.!~) '^\d{4}-\d\d-\d\d([T ]|$)' THEN
            RAISE EXCEPTION '% must be an ISO 8601 timestamp, not %', path, value::text;
        END IF;
        BEGIN
            ts := s::timestamptz;
        EXCEPTION WHEN data_exception THEN
            RAISE EXCEPTION '% must be an ISO 8601 timestamp, not %', path, value::text;
        END;
        RETURN pg_catalog.to_json(@extschema@.iso_time(ts))::text;
    END IF;
    RAISE EXCEPTION 'shape of % names the unknown type "%"', path, leaf;
END
$$;

COMMENT ON FUNCTION @extschema@.profile_conform(json, jsonb, text, integer) IS
'check a value against a profile section shape and return it as compact JSON text in the shape''s key order; raises naming the first offending path';

-- Register the provider of a project profile section (DBA only).
CREATE OR REPLACE FUNCTION @extschema@.register_profile_provider(section text, provider regprocedure)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sec @extschema@.profile_sections;
    fn record;
BEGIN
    SELECT * INTO sec FROM @extschema@.profile_sections s
     WHERE s.section OPERATOR(pg_catalog.=) register_profile_provider.section;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown project profile section "%"', section
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'section',
                  HINT = 'The sections are the rows of signals.profile_sections.';
    END IF;
    IF sec.owner OPERATOR(pg_catalog.<>) 'provider' THEN
        RAISE EXCEPTION 'project profile section "%" is built by the extension and takes no provider', section
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'section';
    END IF;
    IF provider IS NULL THEN
        RAISE EXCEPTION 'provider is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'provider';
    END IF;
    SELECT n.nspname, p.proname, p.pronargs, p.proargtypes, p.prorettype, p.proretset, p.prokind,
           p.proowner, a.rolname AS owner_name
      INTO fn
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
      JOIN pg_catalog.pg_roles a ON a.oid OPERATOR(pg_catalog.=) p.proowner
     WHERE p.oid OPERATOR(pg_catalog.=) provider;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'function % does not exist', provider
            USING ERRCODE = 'undefined_function', COLUMN = 'provider';
    END IF;
    IF fn.prokind OPERATOR(pg_catalog.<>) 'f' OR fn.proretset
       OR fn.pronargs OPERATOR(pg_catalog.<>) 1
       OR fn.proargtypes[0] OPERATOR(pg_catalog.<>) 'pg_catalog.int8'::pg_catalog.regtype
       OR NOT fn.prorettype OPERATOR(pg_catalog.=) ANY
              (ARRAY['pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype]::oid[]) THEN
        RAISE EXCEPTION 'provider % must be a function taking (team_id bigint) and returning json or jsonb', provider
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'provider';
    END IF;
    IF fn.nspname OPERATOR(pg_catalog.~~) 'pg\_temp%' THEN
        RAISE EXCEPTION 'provider %(bigint) is a temporary function', pg_catalog.quote_ident(fn.proname)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'provider';
    END IF;
    -- The provider will run as its owner: only a role that can act as that
    -- owner may hand its function to the builder.
    IF NOT pg_catalog.pg_has_role(CURRENT_USER, fn.proowner, 'USAGE') THEN
        RAISE EXCEPTION 'must be able to act as role "%" to register its function % as a provider',
                        fn.owner_name, provider
            USING ERRCODE = 'insufficient_privilege', COLUMN = 'provider',
                  DETAIL = 'A provider runs with the rights of the role that owns it.';
    END IF;
    INSERT INTO @extschema@.profile_providers AS pp
           (section, provider_schema, provider_name, provider_oid, owner_oid, owner_name)
    VALUES (sec.section, fn.nspname, fn.proname, provider, fn.proowner, fn.owner_name)
    ON CONFLICT ON CONSTRAINT profile_providers_pkey DO UPDATE
       SET provider_schema = excluded.provider_schema,
           provider_name = excluded.provider_name,
           provider_oid = excluded.provider_oid,
           owner_oid = excluded.owner_oid,
           owner_name = excluded.owner_name,
           registered_at = pg_catalog.now(),
           registered_by = CURRENT_USER;
    PERFORM @extschema@.expire_project_profiles();
END
$$;

COMMENT ON FUNCTION @extschema@.register_profile_provider(text, regprocedure) IS
'make a function (team_id bigint) returning json or jsonb the provider of a project profile section, replacing any other; pins the function and its owner, as whom it will run; expires every cached profile';

REVOKE ALL ON FUNCTION @extschema@.register_profile_provider(text, regprocedure) FROM PUBLIC;

-- Remove the provider of a section (DBA only).
CREATE OR REPLACE FUNCTION @extschema@.unregister_profile_provider(section text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM @extschema@.profile_providers p
     WHERE p.section OPERATOR(pg_catalog.=) unregister_profile_provider.section;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM @extschema@.expire_project_profiles();
    RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.unregister_profile_provider(text) IS
'remove the provider of a project profile section (it becomes empty); returns whether there was one; expires every cached profile';

REVOKE ALL ON FUNCTION @extschema@.unregister_profile_provider(text) FROM PUBLIC;

-- End the freshness of every cached profile, so that the next scout read rebuilds.
CREATE OR REPLACE FUNCTION @extschema@.expire_project_profiles()
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH expired AS (
        UPDATE @extschema@.project_profiles p
           SET expires_at = pg_catalog.now()
         WHERE p.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
        RETURNING 1)
    SELECT pg_catalog.count(*) FROM expired
$$;

COMMENT ON FUNCTION @extschema@.expire_project_profiles() IS
'mark every cached project profile (of the teams the caller sees) as expired; returns how many were fresh';

REVOKE ALL ON FUNCTION @extschema@.expire_project_profiles() FROM PUBLIC;

-- Section project_context: from the team's settings.
CREATE OR REPLACE FUNCTION @extschema@.profile_project_context(team_id bigint)
RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- plpgsql, not sql: Citus plans no SQL-function query with parameters
    RETURN (SELECT pg_catalog.row_to_json(r)
          FROM (SELECT CASE WHEN @extschema@.is_blank(s.product_description) THEN NULL
                            ELSE pg_catalog.btrim(s.product_description, E' \t\n\r\x0B\f') END
                           AS product_description,
                       ARRAY(SELECT u.url
                               FROM pg_catalog.unnest(s.app_urls) WITH ORDINALITY u(url, n)
                              WHERE NOT coalesce(@extschema@.is_blank(u.url), true)
                              ORDER BY u.n) AS app_urls
                  FROM (SELECT) one
                  LEFT JOIN @extschema@.team_settings s
                         ON s.team_id OPERATOR(pg_catalog.=) $1) r);
END
$$;

COMMENT ON FUNCTION @extschema@.profile_project_context(bigint) IS
'profile section project_context: the trimmed product description (null when blank) and the non-blank app URLs in their order';

-- Section signal_source_configs: sources split by their enabled flag.
CREATE OR REPLACE FUNCTION @extschema@.profile_signal_source_configs(team_id bigint)
RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- plpgsql, not sql: Citus plans no SQL-function query with parameters
    RETURN (SELECT pg_catalog.row_to_json(r)
          FROM (SELECT @extschema@.compact_json_array(
                           pg_catalog.array_agg(c.entry ORDER BY c.source_product COLLATE "C", c.source_type COLLATE "C")
                           FILTER (WHERE c.enabled)) AS enabled,
                       @extschema@.compact_json_array(
                           pg_catalog.array_agg(c.entry ORDER BY c.source_product COLLATE "C", c.source_type COLLATE "C")
                           FILTER (WHERE NOT c.enabled)) AS disabled
                  FROM (SELECT sc.source_product, sc.source_type, sc.enabled,
                               (SELECT pg_catalog.row_to_json(e)
                                  FROM (SELECT sc.source_product, sc.source_type) e) AS entry
                          FROM @extschema@.source_configs sc
                         WHERE sc.team_id OPERATOR(pg_catalog.=) $1) c) r);
END
$$;

COMMENT ON FUNCTION @extschema@.profile_signal_source_configs(bigint) IS
'profile section signal_source_configs: {enabled, disabled} lists of {source_product, source_type}, by product then type';

-- Section emit_eligibility: whether a scout's findings can reach the inbox.
CREATE OR REPLACE FUNCTION @extschema@.profile_emit_eligibility(team_id bigint)
RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- plpgsql, not sql: Citus plans no SQL-function query with parameters
    RETURN (SELECT pg_catalog.row_to_json(r)
          FROM (SELECT g.ai_processing_approved,
                       g.source_enabled,
                       g.ai_processing_approved AND g.source_enabled AS can_emit,
                       CASE WHEN NOT g.ai_processing_approved
                            THEN 'AI data processing is not approved for this team, so every emit is skipped (ai_processing_not_approved).'
                            WHEN NOT g.source_enabled
                            THEN 'The signals_scout/cross_source_issue source config is disabled, so every emit is skipped (source_disabled).'
                       END AS remediation
                  FROM (SELECT coalesce((SELECT s.ai_processing_approved
                                           FROM @extschema@.team_settings s
                                          WHERE s.team_id OPERATOR(pg_catalog.=) $1), false)
                                   AS ai_processing_approved,
                               -- Fail-open: enabled unless a config turns it off.
                               NOT EXISTS (SELECT FROM @extschema@.source_configs c
                                            WHERE c.team_id OPERATOR(pg_catalog.=) $1
                                              AND c.source_product OPERATOR(pg_catalog.=) 'signals_scout'
                                              AND c.source_type OPERATOR(pg_catalog.=) 'cross_source_issue'
                                              AND NOT c.enabled) AS source_enabled) g) r);
END
$$;

COMMENT ON FUNCTION @extschema@.profile_emit_eligibility(bigint) IS
'profile section emit_eligibility: AI processing approval, whether signals_scout/cross_source_issue is enabled (unless a config disables it), and the first failing gate';

-- Section existing_inbox_reports: live reports by status.
CREATE OR REPLACE FUNCTION @extschema@.profile_existing_inbox_reports(team_id bigint)
RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- plpgsql, not sql: Citus plans no SQL-function query with parameters
    RETURN (SELECT pg_catalog.row_to_json(r)
          FROM (SELECT coalesce(pg_catalog.sum(g.count), 0)::bigint AS total,
                       @extschema@.compact_json_array(
                           pg_catalog.array_agg(pg_catalog.row_to_json(g) ORDER BY g.status COLLATE "C"))
                           AS by_status
                  FROM (SELECT rp.status, pg_catalog.count(*) AS count
                          FROM @extschema@.reports rp
                         WHERE rp.team_id OPERATOR(pg_catalog.=) $1
                           AND rp.status OPERATOR(pg_catalog.<>) ALL ('{deleted,suppressed}'::text[])
                         GROUP BY rp.status) g) r);
END
$$;

COMMENT ON FUNCTION @extschema@.profile_existing_inbox_reports(bigint) IS
'profile section existing_inbox_reports: {total, by_status} over the team''s reports that are neither deleted nor suppressed, statuses in alphabetical order';

-- Build a team's profile payload from the database (no caching).
CREATE OR REPLACE FUNCTION @extschema@.project_profile_build(team_id bigint)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
AS $$
DECLARE
    sec record;
    fn record;
    parts text[] := '{}';
    warnings text[] := '{}';
    part text;
    raw jsonb;
    reason text;
    failure text;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.teams t WHERE t.team_id OPERATOR(pg_catalog.=) project_profile_build.team_id) THEN
        RAISE EXCEPTION 'team % does not exist', team_id
            USING ERRCODE = 'no_data_found', COLUMN = 'team_id';
    END IF;
    FOR sec IN SELECT s.section, s.owner, s.shape, s.empty, s.max_items,
                      p.provider_schema, p.provider_name, p.provider_oid, p.owner_oid, p.owner_name
                 FROM @extschema@.profile_sections s
                 LEFT JOIN @extschema@.profile_providers p
                        ON p.section OPERATOR(pg_catalog.=) s.section
                ORDER BY s.position LOOP
        part := NULL;
        reason := NULL;
        IF sec.owner OPERATOR(pg_catalog.=) 'extension' THEN
            part := CASE sec.section
                WHEN 'project_context' THEN @extschema@.profile_project_context(team_id)
                WHEN 'signal_source_configs' THEN @extschema@.profile_signal_source_configs(team_id)
                WHEN 'emit_eligibility' THEN @extschema@.profile_emit_eligibility(team_id)
                WHEN 'existing_inbox_reports' THEN @extschema@.profile_existing_inbox_reports(team_id)
            END::text;
            IF part IS NULL THEN
                RAISE EXCEPTION 'project profile section "%" has no builder', sec.section;
            END IF;
        ELSIF sec.provider_oid IS NOT NULL THEN
            -- The function registered, by OID: it may have been dropped,
            -- re-created, renamed or given to another owner since.
            SELECT p.oid::pg_catalog.regprocedure::text AS signature, n.nspname, p.proname,
                   p.proowner, a.rolname AS owner_name, p.prorettype, p.proretset, p.prokind
              INTO fn
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
              LEFT JOIN pg_catalog.pg_roles a ON a.oid OPERATOR(pg_catalog.=) p.proowner
             WHERE p.oid OPERATOR(pg_catalog.=) sec.provider_oid;
            IF NOT FOUND OR fn.nspname OPERATOR(pg_catalog.<>) sec.provider_schema
               OR fn.proname OPERATOR(pg_catalog.<>) sec.provider_name THEN
                reason := pg_catalog.format('provider %I.%I(bigint) was dropped, replaced or renamed since it was registered; register it again',
                                            sec.provider_schema, sec.provider_name);
            ELSIF fn.proowner OPERATOR(pg_catalog.<>) sec.owner_oid
                  OR fn.owner_name IS DISTINCT FROM sec.owner_name THEN
                reason := pg_catalog.format('provider %s is owned by %s, not by %s who owned it when it was registered; register it again',
                                            fn.signature, coalesce(pg_catalog.quote_ident(fn.owner_name), 'a dropped role'),
                                            pg_catalog.quote_ident(sec.owner_name));
            ELSIF fn.prokind OPERATOR(pg_catalog.<>) 'f' OR fn.proretset
                  OR NOT fn.prorettype OPERATOR(pg_catalog.=) ANY
                         (ARRAY['pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype]::oid[]) THEN
                reason := pg_catalog.format('provider %s does not return json or jsonb', fn.signature);
            ELSE
                -- Each provider runs in its own subtransaction, as its owner:
                -- its failure (and anything it wrote) is rolled back, and the
                -- build goes on.
                BEGIN
                    raw := @extschema@.profile_call_provider(sec.provider_oid, sec.owner_oid, team_id);
                EXCEPTION WHEN OTHERS THEN
                    -- The payload is read by API keys: it names the failure,
                    -- the server log keeps the provider's own message.
                    reason := pg_catalog.format('provider %s failed (SQLSTATE %s)', fn.signature, SQLSTATE);
                    failure := SQLERRM;
                END;
                IF reason IS NULL AND raw IS NULL THEN
                    reason := pg_catalog.format('provider %s returned NULL', fn.signature);
                ELSIF reason IS NULL THEN
                    BEGIN
                        part := @extschema@.profile_conform(sec.shape, raw, sec.section, sec.max_items);
                    EXCEPTION WHEN OTHERS THEN
                        reason := pg_catalog.format('provider %s returned the wrong shape: %s',
                                                    fn.signature, SQLERRM);
                    END;
                END IF;
            END IF;
            IF reason IS NOT NULL THEN
                part := NULL;
                IF failure IS NULL THEN
                    RAISE WARNING 'project profile section "%" is empty: %', sec.section, reason;
                ELSE
                    RAISE WARNING 'project profile section "%" is empty: %', sec.section, reason
                        USING DETAIL = failure;
                    failure := NULL;
                END IF;
                warnings := warnings OPERATOR(pg_catalog.||)
                            (SELECT pg_catalog.row_to_json(w)::text
                               FROM (SELECT sec.section AS section, reason AS reason) w);
            END IF;
        END IF;
        parts := parts OPERATOR(pg_catalog.||)
                 (pg_catalog.to_json(sec.section)::text OPERATOR(pg_catalog.||) ':'
                  OPERATOR(pg_catalog.||) coalesce(part, sec.empty::text));
    END LOOP;
    RETURN ('{"inventory":{' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(parts, ',')
            OPERATOR(pg_catalog.||) '},"warnings":[' OPERATOR(pg_catalog.||)
            pg_catalog.array_to_string(warnings, ',') OPERATOR(pg_catalog.||) ']}')::json;
END
$$;

COMMENT ON FUNCTION @extschema@.project_profile_build(bigint) IS
'build the team''s project profile payload {inventory, warnings} from the database; the same data gives the same bytes; writes nothing';

-- The newest cached profile of the current builder version; fresh_only skips expired rows.
CREATE OR REPLACE FUNCTION @extschema@.project_profile_cached(team_id bigint, fresh_only boolean)
RETURNS SETOF @extschema@.project_profiles
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- plpgsql, not sql: Citus plans no SQL-function query with parameters
    RETURN QUERY
        SELECT p.*
          FROM @extschema@.project_profiles p
         WHERE p.team_id OPERATOR(pg_catalog.=) $1
           AND p.source_version OPERATOR(pg_catalog.=) @extschema@.profile_source_version()
           AND (NOT $2 OR p.expires_at OPERATOR(pg_catalog.>) pg_catalog.now())
         ORDER BY p.computed_at DESC, p.id DESC
         LIMIT 1;
END
$$;

COMMENT ON FUNCTION @extschema@.project_profile_cached(bigint, boolean) IS
'the team''s newest cached project profile built by the current builder version (only unexpired ones when fresh_only), or no row';

-- The team's fresh profile: the cached one, else built now (force: always built now).
CREATE OR REPLACE FUNCTION @extschema@.project_profile_compute(team_id bigint, force boolean DEFAULT false)
RETURNS @extschema@.project_profiles
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    built @extschema@.project_profiles;
    payload json;
    computed timestamptz;
BEGIN
    IF NOT coalesce(force, false) THEN
        SELECT * INTO built FROM @extschema@.project_profile_cached(team_id, true);
        IF FOUND THEN
            RETURN built;
        END IF;
    END IF;
    -- One build per team at a time.  A concurrent miss waits here, then
    -- finds the row the first one committed (in READ COMMITTED every
    -- statement below sees it).
    PERFORM @extschema@.profile_build_lock(team_id);
    IF NOT coalesce(force, false) THEN
        SELECT * INTO built FROM @extschema@.project_profile_cached(team_id, true);
        IF FOUND THEN
            RETURN built;
        END IF;
    END IF;
    payload := @extschema@.project_profile_build(team_id);
    computed := pg_catalog.clock_timestamp();
    -- A hot standby cannot store it: the profile is built for this answer only.
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN ROW(team_id, @extschema@.uuid_v7(), @extschema@.profile_source_version(), payload,
                   computed, computed OPERATOR(pg_catalog.+) @extschema@.profile_ttl());
    END IF;
    INSERT INTO @extschema@.project_profiles (team_id, source_version, payload, computed_at, expires_at)
    VALUES (team_id, @extschema@.profile_source_version(), payload, computed,
            computed OPERATOR(pg_catalog.+) @extschema@.profile_ttl())
    RETURNING * INTO built;
    -- Keep the newest 10 rows of the team.
    DELETE FROM @extschema@.project_profiles old
     WHERE old.team_id OPERATOR(pg_catalog.=) project_profile_compute.team_id
       AND NOT old.id OPERATOR(pg_catalog.=) ANY (ARRAY(
               SELECT k.id FROM @extschema@.project_profiles k
                WHERE k.team_id OPERATOR(pg_catalog.=) project_profile_compute.team_id
                ORDER BY k.computed_at DESC, k.id DESC
                LIMIT 10));
    RETURN built;
END
$$;

COMMENT ON FUNCTION @extschema@.project_profile_compute(bigint, boolean) IS
'the team''s fresh project profile row: the newest unexpired row of the current version, else one built now under the team''s build lock (always built when force); keeps the newest 10 rows; on a hot standby, a row built now is returned without being stored';

-- A cached profile as the API shows it.  No SET search_path, so that it inlines.
CREATE OR REPLACE FUNCTION @extschema@.project_profile_json(p @extschema@.project_profiles)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(p.id, @extschema@.iso_time(p.computed_at),
                                      @extschema@.iso_time(p.expires_at), p.source_version,
                                      p.payload)::@extschema@.api_project_profile)
$$;

COMMENT ON FUNCTION @extschema@.project_profile_json(@extschema@.project_profiles) IS
'a cached project profile as the API shows it: {profile_id, computed_at, expires_at, source_version, payload}';

-- GET scout/project_profile/current/
CREATE OR REPLACE FUNCTION @extschema@.project_profile_current(
    team_id bigint,
    is_scout_token boolean DEFAULT false,
    force_refresh boolean DEFAULT false)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_row @extschema@.project_profiles;
BEGIN
    IF coalesce(is_scout_token, false) THEN
        found_row := @extschema@.project_profile_compute(team_id, coalesce(force_refresh, false));
    ELSE
        -- Other callers never build, whatever force_refresh says: they get
        -- the newest row of the current version, fresh or not.
        SELECT * INTO found_row FROM @extschema@.project_profile_cached(team_id, false);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'No project profile has been built for this team yet.'
                USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    RETURN @extschema@.project_profile_json(found_row);
END
$$;

COMMENT ON FUNCTION @extschema@.project_profile_current(bigint, boolean, boolean) IS
'the team''s project profile: internal scout tokens get the fresh cached row or one built now (always with force_refresh); other callers get the newest cached row, or no_data_found when none was built';

-- Text that can be written but never shown: http_handle takes the
-- Authorization header as one, so that no log prints it (see src/http_secret.c).
CREATE TYPE @extschema@.secret;

CREATE OR REPLACE FUNCTION @extschema@.secret_in(cstring)
RETURNS @extschema@.secret
AS 'MODULE_PATHNAME', 'signals_secret_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.secret_in(cstring) IS
'input function of signals.secret: any text';

CREATE OR REPLACE FUNCTION @extschema@.secret_out(@extschema@.secret)
RETURNS cstring
AS 'MODULE_PATHNAME', 'signals_secret_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.secret_out(@extschema@.secret) IS
'output function of signals.secret: always "(redacted)"';

CREATE OR REPLACE FUNCTION @extschema@.secret_recv(internal)
RETURNS @extschema@.secret
AS 'MODULE_PATHNAME', 'signals_secret_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.secret_recv(internal) IS
'binary input function of signals.secret: the bytes, valid in the server encoding';

CREATE OR REPLACE FUNCTION @extschema@.secret_send(@extschema@.secret)
RETURNS bytea
AS 'MODULE_PATHNAME', 'signals_secret_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.secret_send(@extschema@.secret) IS
'binary output function of signals.secret: always "(redacted)"';

CREATE TYPE @extschema@.secret (
    INPUT = @extschema@.secret_in,
    OUTPUT = @extschema@.secret_out,
    RECEIVE = @extschema@.secret_recv,
    SEND = @extschema@.secret_send,
    LIKE = pg_catalog.text
);

COMMENT ON TYPE @extschema@.secret IS
'text that never shows: output, binary output and logged parameters print "(redacted)"; there is no cast back to text';

-- Text converts as it is (same representation), so a text expression can be
-- passed where a secret is expected.
CREATE CAST (pg_catalog.text AS @extschema@.secret) WITHOUT FUNCTION AS IMPLICIT;

COMMENT ON CAST (pg_catalog.text AS @extschema@.secret) IS
'any text is a secret (the reverse has no cast: the value is never shown)';

-- Serve one API request.  Runs as the extension owner: tenancy comes from the
-- API key in the authorization argument, not from the calling role.
CREATE OR REPLACE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text DEFAULT '',
    headers jsonb DEFAULT '{}',
    body bytea DEFAULT NULL,
    authorization @extschema@.secret DEFAULT NULL)
RETURNS @extschema@.http_response
AS 'MODULE_PATHNAME', 'signals_http_handle_0_2_0'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD';

COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, bytea, @extschema@.secret) IS
'serve one REST API request: method, path (percent-encoded), raw query string, request headers as a JSON object (without Authorization), raw body, and the Authorization header''s value ("Bearer <token>"), which no log shows; returns status, header lines and body';

-- The same with a text body, for calls typed by hand in psql.
CREATE OR REPLACE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text,
    headers jsonb,
    body text,
    authorization @extschema@.secret DEFAULT NULL)
RETURNS @extschema@.http_response
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.http_handle($1, $2, $3, $4, pg_catalog.convert_to($5, 'UTF8'), $6)
$$;

COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text, @extschema@.secret) IS
'serve one REST API request with a text body (see the bytea variant)';

-- The route table, for documentation and the OpenAPI document.
CREATE OR REPLACE FUNCTION @extschema@.routes(
    OUT method text,
    OUT path text,
    OUT scope text,
    OUT function text,
    OUT response text,
    OUT success_status integer,
    OUT summary text,
    OUT args json,
    OUT result text,
    OUT conflict text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'signals_routes_list_0_2_0'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.routes() IS
'the REST API''s routes: method, path, required scope, the domain function serving it, response kind, arguments, the signals.api_* type of the result ("[]" for an array of it), and when the route answers 409 (NULL: never)';

-- The OpenAPI 3.1 document of the REST API, generated from the route table
-- (signals.routes()) and the comments on the domain functions, so that it
-- describes every route there is without a hand-kept list.  The gateway
-- serves it at GET /api/schema/.

-- The JSON Schema of a route argument, from the type name signals.routes() gives.
CREATE OR REPLACE FUNCTION @extschema@.openapi_arg_schema(arg_type text, nullable boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN $2 THEN
                    pg_catalog.jsonb_set(s, '{type}',
                                         pg_catalog.jsonb_build_array(s OPERATOR(pg_catalog.->) 'type', 'null'))
                ELSE s END
      FROM (SELECT CASE $1
                       WHEN 'integer' THEN '{"type": "integer"}'
                       WHEN 'boolean' THEN '{"type": "boolean"}'
                       WHEN 'number' THEN '{"type": "number"}'
                       WHEN 'uuid' THEN '{"type": "string", "format": "uuid"}'
                       WHEN 'date-time' THEN '{"type": "string", "format": "date-time"}'
                       WHEN 'object' THEN '{"type": "object"}'
                       WHEN 'array' THEN '{"type": "array"}'
                       WHEN 'array of strings' THEN '{"type": "array", "items": {"type": "string"}}'
                       ELSE '{"type": "string"}'
                   END::jsonb AS s) t
$$;

COMMENT ON FUNCTION @extschema@.openapi_arg_schema(text, boolean) IS
'the JSON Schema (OpenAPI 3.1) of a route argument of the given type, allowing null when nullable';

-- The JSON Schema of a response field, from its column type in a
-- signals.api_* type: nested api_* types become references.
CREATE OR REPLACE FUNCTION @extschema@.openapi_field_schema(field name, field_type regtype)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    element regtype := (SELECT t.typelem FROM pg_catalog.pg_type t
                         WHERE t.oid OPERATOR(pg_catalog.=) field_type
                           AND t.typcategory OPERATOR(pg_catalog.=) 'A');
    api_type text := (SELECT t.typname FROM pg_catalog.pg_type t
                       WHERE t.oid OPERATOR(pg_catalog.=) coalesce(element, field_type)
                         AND t.typtype OPERATOR(pg_catalog.=) 'c'
                         AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace);
    item jsonb;
BEGIN
    IF api_type IS NOT NULL THEN
        item := pg_catalog.jsonb_build_object('$ref', '#/components/schemas/' OPERATOR(pg_catalog.||) api_type);
    ELSE
        item := CASE coalesce(element, field_type)
            WHEN 'uuid'::regtype THEN '{"type": ["string", "null"], "format": "uuid"}'
            WHEN 'boolean'::regtype THEN '{"type": ["boolean", "null"]}'
            WHEN 'smallint'::regtype THEN '{"type": ["integer", "null"]}'
            WHEN 'integer'::regtype THEN '{"type": ["integer", "null"]}'
            WHEN 'bigint'::regtype THEN '{"type": ["integer", "null"]}'
            WHEN 'real'::regtype THEN '{"type": ["number", "null"]}'
            WHEN 'double precision'::regtype THEN '{"type": ["number", "null"]}'
            WHEN 'json'::regtype THEN '{}'
            WHEN 'jsonb'::regtype THEN '{}'
            ELSE CASE WHEN field OPERATOR(pg_catalog.~~) '%\_at'
                      THEN '{"type": ["string", "null"], "format": "date-time"}'
                      ELSE '{"type": ["string", "null"]}' END
        END::jsonb;
    END IF;
    IF element IS NOT NULL THEN
        RETURN pg_catalog.jsonb_build_object('type', 'array', 'items', item);
    END IF;
    RETURN item;
END
$$;

COMMENT ON FUNCTION @extschema@.openapi_field_schema(name, regtype) IS
'the JSON Schema of a field of a response type: its JSON type, timestamps (*_at) as date-time, nested api_* types as references';

-- The JSON Schemas of the response types (signals.api_*), by type name.
CREATE OR REPLACE FUNCTION @extschema@.openapi_response_schemas()
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.jsonb_object_agg(t.typname, (
               SELECT pg_catalog.jsonb_build_object(
                          'type', 'object',
                          'description', pg_catalog.obj_description(t.oid, 'pg_type'),
                          'properties', pg_catalog.jsonb_object_agg(
                              a.attname, @extschema@.openapi_field_schema(a.attname, a.atttypid::regtype)),
                          'required', pg_catalog.jsonb_agg(a.attname ORDER BY a.attnum))
                 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid OPERATOR(pg_catalog.=) t.typrelid
                  AND a.attnum OPERATOR(pg_catalog.>) 0
                  AND NOT a.attisdropped)), '{}')
      FROM pg_catalog.pg_type t
      JOIN pg_catalog.pg_class k ON k.oid OPERATOR(pg_catalog.=) t.typrelid
     WHERE t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
       AND k.relkind OPERATOR(pg_catalog.=) 'c'
       AND t.typname OPERATOR(pg_catalog.~~) 'api\_%'
$$;

COMMENT ON FUNCTION @extschema@.openapi_response_schemas() IS
'the JSON Schemas of the API''s response shapes, one per signals.api_* type';

-- The schema of a route's success body, from its result ("api_x" or "api_x[]").
CREATE OR REPLACE FUNCTION @extschema@.openapi_result_schema(response text, result text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN $1 OPERATOR(pg_catalog.=) 'page' THEN pg_catalog.jsonb_build_object('allOf', pg_catalog.jsonb_build_array(
                 '{"$ref": "#/components/schemas/Page"}'::jsonb,
                 pg_catalog.jsonb_build_object('type', 'object', 'properties', pg_catalog.jsonb_build_object(
                     'results', pg_catalog.jsonb_build_object('type', 'array', 'items', ref)))))
        WHEN $2 OPERATOR(pg_catalog.~~) '%[]' THEN pg_catalog.jsonb_build_object('type', 'array', 'items', ref)
        ELSE ref
    END
      FROM (SELECT pg_catalog.jsonb_build_object('$ref', '#/components/schemas/' OPERATOR(pg_catalog.||)
                                                 pg_catalog.rtrim($2, '[]')) AS ref) r
$$;

COMMENT ON FUNCTION @extschema@.openapi_result_schema(text, text) IS
'the JSON Schema of a route''s success body: its result type, an array of it, or a page of it';

-- The OpenAPI document: one operation per route, with its scope, parameters,
-- body fields, success response, the error responses every route can give,
-- and the 409 of the routes that answer it (signals.routes().conflict).
CREATE OR REPLACE FUNCTION @extschema@.openapi()
RETURNS json
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH route AS (
    SELECT r.method, r.path, r.scope, r.function, r.response, r.success_status,
           r.summary, r.args, r.result, r.conflict,
           pg_catalog.lower(r.method) AS verb,
           CASE WHEN pg_catalog.count(*) OVER (PARTITION BY r.function) OPERATOR(pg_catalog.>) 1
                THEN pg_catalog.split_part(r.function, '.', 2) OPERATOR(pg_catalog.||) '_'
                     OPERATOR(pg_catalog.||) pg_catalog.lower(r.method)
                ELSE pg_catalog.split_part(r.function, '.', 2) END AS operation_id,
           pg_catalog.split_part(
               pg_catalog.substr(r.path, pg_catalog.strpos(r.path, '/signals/') OPERATOR(pg_catalog.+) 9),
               '/', 1) AS tag,
           (SELECT pg_catalog.string_agg(pg_catalog.obj_description(p.oid, 'pg_proc'), ' ' ORDER BY p.oid)
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
             WHERE n.nspname OPERATOR(pg_catalog.=) pg_catalog.split_part(r.function, '.', 1)
               AND p.proname OPERATOR(pg_catalog.=) pg_catalog.split_part(r.function, '.', 2)) AS comment
      FROM @extschema@.routes() r
),
operation AS (
    SELECT r.path, r.verb,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'operationId', r.operation_id,
               'summary', r.summary,
               'description', coalesce(r.comment, r.summary)
                   OPERATOR(pg_catalog.||) E'\n\nRequired API key scope: `'
                   OPERATOR(pg_catalog.||) r.scope OPERATOR(pg_catalog.||) '`.',
               'tags', pg_catalog.jsonb_build_array(r.tag),
               'security', pg_catalog.jsonb_build_array(
                   pg_catalog.jsonb_build_object('PersonalAPIKey', pg_catalog.jsonb_build_array(r.scope))),
               'x-required-scopes', pg_catalog.jsonb_build_array(r.scope),
               'parameters',
               pg_catalog.jsonb_build_array('{"$ref": "#/components/parameters/ProjectId"}'::jsonb)
                   OPERATOR(pg_catalog.||)
               (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(
                           pg_catalog.jsonb_build_object(
                               'name', a.name,
                               'in', a."in",
                               'required', a."in" OPERATOR(pg_catalog.=) 'path',
                               'description', coalesce(a.description,
                                   CASE WHEN a."in" OPERATOR(pg_catalog.=) 'path'
                                        THEN 'The object''s id (a UUID).' END),
                               'schema', @extschema@.openapi_arg_schema(a.type, false)))
                           ORDER BY a.ord), '[]')
                  FROM ROWS FROM (pg_catalog.json_to_recordset(r.args)
                                      AS (name text, "in" text, type text, nullable boolean,
                                          description text))
                       WITH ORDINALITY AS a(name, "in", type, nullable, description, ord)
                 WHERE a."in" OPERATOR(pg_catalog.=) ANY ('{path,query}'::text[])),
               'requestBody',
               (SELECT pg_catalog.jsonb_build_object(
                           'required', false,
                           'content', pg_catalog.jsonb_build_object(
                               'application/json', pg_catalog.jsonb_build_object(
                                   'schema', pg_catalog.jsonb_build_object(
                                       'type', 'object',
                                       'properties', pg_catalog.jsonb_object_agg(
                                           a.name,
                                           @extschema@.openapi_arg_schema(a.type, a.nullable)
                                               OPERATOR(pg_catalog.||)
                                           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                                               'description', a.description)))))))
                  FROM pg_catalog.json_to_recordset(r.args)
                       AS a(name text, "in" text, type text, nullable boolean, description text)
                 WHERE a."in" OPERATOR(pg_catalog.=) 'body'
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0),
               'responses',
               pg_catalog.jsonb_build_object(
                   r.success_status::text,
                   CASE r.response
                       WHEN 'empty' THEN '{"description": "Done; no content."}'::jsonb
                       ELSE pg_catalog.jsonb_build_object(
                           'description', CASE r.response WHEN 'page' THEN 'One page of results.'
                                                          ELSE 'The result.' END,
                           'content', pg_catalog.jsonb_build_object('application/json',
                               pg_catalog.jsonb_build_object('schema',
                                   @extschema@.openapi_result_schema(r.response, r.result))))
                   END,
                   '400', '{"$ref": "#/components/responses/BadRequest"}'::jsonb,
                   '401', '{"$ref": "#/components/responses/Unauthorized"}'::jsonb,
                   '403', '{"$ref": "#/components/responses/Forbidden"}'::jsonb,
                   '404', '{"$ref": "#/components/responses/NotFound"}'::jsonb,
                   '405', '{"$ref": "#/components/responses/MethodNotAllowed"}'::jsonb,
                   '413', '{"$ref": "#/components/responses/PayloadTooLarge"}'::jsonb,
                   '500', '{"$ref": "#/components/responses/ServerError"}'::jsonb,
                   '503', '{"$ref": "#/components/responses/Unavailable"}'::jsonb,
                   '504', '{"$ref": "#/components/responses/Timeout"}'::jsonb,
                   'default', '{"$ref": "#/components/responses/Error"}'::jsonb)
               OPERATOR(pg_catalog.||)
               CASE WHEN r.conflict IS NOT NULL
                    THEN pg_catalog.jsonb_build_object('409', pg_catalog.jsonb_build_object(
                             'description', r.conflict,
                             'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/ConflictError"}}}'::jsonb))
                    ELSE '{}'::jsonb END
               OPERATOR(pg_catalog.||)
               CASE WHEN EXISTS (SELECT FROM pg_catalog.json_array_elements(r.args) e
                                  WHERE (e OPERATOR(pg_catalog.->>) 'in') OPERATOR(pg_catalog.=) 'body')
                    THEN '{"415": {"$ref": "#/components/responses/UnsupportedMediaType"}}'::jsonb
                    ELSE '{}'::jsonb END)) AS op
      FROM route r
),
path AS (
    SELECT o.path, pg_catalog.jsonb_object_agg(o.verb, o.op) AS ops
      FROM operation o
     GROUP BY o.path
)
SELECT pg_catalog.jsonb_build_object(
    'openapi', '3.1.0',
    'info', pg_catalog.jsonb_build_object(
        'title', 'Signals API',
        'version', (SELECT e.extversion FROM pg_catalog.pg_extension e
                     WHERE e.extname OPERATOR(pg_catalog.=) 'signals'),
        'description', 'PostHog''s Signals API, served from PostgreSQL by the signals extension. '
            'Every path is under /api/projects/{project_id}/signals/, with or without a trailing slash. '
            'Errors have the body {"type", "code", "detail", "attr"}.'),
    'security', '[{"PersonalAPIKey": []}]'::jsonb,
    'paths', (SELECT coalesce(pg_catalog.jsonb_object_agg(p.path, p.ops), '{}') FROM path p),
    'components', (SELECT pg_catalog.jsonb_set(c, '{schemas}',
                                               (c OPERATOR(pg_catalog.->) 'schemas') OPERATOR(pg_catalog.||)
                                               @extschema@.openapi_response_schemas())
                     FROM (SELECT '{
        "securitySchemes": {
            "PersonalAPIKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API key (phx_...) or an internal scout token (phs_...), as \"Authorization: Bearer <token>\". Each operation lists the scope it needs."
            }
        },
        "parameters": {
            "ProjectId": {
                "name": "project_id",
                "in": "path",
                "required": true,
                "description": "The project (team) id, or @current for the key''s only project.",
                "schema": {"type": "string", "pattern": "^([1-9][0-9]*|@current)$"}
            }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["type", "code", "detail", "attr"],
                "properties": {
                    "type": {"type": "string", "enum": ["validation_error", "authentication_error", "invalid_request", "server_error"]},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "attr": {"type": ["string", "null"], "description": "The field at fault, or null."}
                }
            },
            "ConflictError": {
                "description": "The body of a 409: the object''s state does not allow the request; detail says why.",
                "allOf": [
                    {"$ref": "#/components/schemas/Error"},
                    {"type": "object", "properties": {"type": {"const": "invalid_request"}, "code": {"const": "conflict"}}}
                ]
            },
            "Page": {
                "type": "object",
                "required": ["count", "next", "previous", "results"],
                "properties": {
                    "count": {"type": "integer"},
                    "next": {"type": ["string", "null"], "format": "uri", "description": "The next page''s absolute URL."},
                    "previous": {"type": ["string", "null"], "format": "uri", "description": "The previous page''s absolute URL."},
                    "results": {"type": "array", "items": {}}
                }
            }
        },
        "responses": {
            "BadRequest": {"description": "Invalid input (type validation_error).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Unauthorized": {"description": "No API key, or an unknown or revoked one.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Forbidden": {"description": "The key lacks the scope, or cannot reach the project.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "NotFound": {"description": "No such object in this project.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "MethodNotAllowed": {"description": "The path does not take this method.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "PayloadTooLarge": {"description": "The request body is too large.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "UnsupportedMediaType": {"description": "The body is not application/json.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "ServerError": {"description": "An unexpected server error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Unavailable": {"description": "The database is unavailable; retry after the given delay.", "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Timeout": {"description": "The request ran longer than the statement timeout.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Error": {"description": "Any other error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    }'::jsonb AS c) fixed))::json
$$;

COMMENT ON FUNCTION @extschema@.openapi() IS
'the OpenAPI 3.1 document of the REST API, generated from signals.routes() and the domain functions'' comments';

-- Scaling out on Citus: signals.distribute() turns an installed database,
-- with its data, into a distributed one.  What goes where is read from the
-- catalog, so tables and functions added later follow the same rules:
--
--   team-keyed tables (a team_id column, every unique index including it)
--       are distributed by team_id, all colocated, so a team's rows are on
--       one node;
--   the other tables (users, keys, scopes, the catalogues), any team-keyed
--       table a reference table points at (teams), and the tables read
--       across teams on every call (citus_catalogue_tables()) are reference
--       tables, copied to every node;
--   functions with a team_id argument are delegated on it, colocated with
--       the team's rows (a top-level call runs on the node that holds them).
--
-- Elsewhere, a query that passes a table's whole row to a function writes
-- it as ROW(t.*)::@extschema@.table: Citus sends a query on a distributed
-- table to a shard as text, where a bare whole-row reference would have the
-- shard's row type, which no function takes.
--
-- Nothing here needs Citus to be installed: the functions look for it when
-- called.

-- Team-keyed tables that must be on every node anyway: row-level security
-- reads them across teams (visible_team_ids() and the users policy), and a
-- worker cannot query a distributed table from inside a shard's query.
CREATE OR REPLACE FUNCTION @extschema@.citus_catalogue_tables()
RETURNS regclass[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT '{@extschema@.team_members,@extschema@.team_roles}'::regclass[]
$$;

COMMENT ON FUNCTION @extschema@.citus_catalogue_tables() IS
'team-keyed tables that signals.distribute() makes reference tables because row-level security reads them across teams';

-- The users the current role may see through SQL: the members of its teams.
-- The users policy says the same with a subquery, which Citus refuses in
-- the policies of its tables; distribute() rewrites the policy to this.
CREATE OR REPLACE FUNCTION @extschema@.visible_user_ids()
RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.array_agg(DISTINCT m.user_id), '{}')
      FROM @extschema@.team_members m
     WHERE m.team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids())
$$;

COMMENT ON FUNCTION @extschema@.visible_user_ids() IS
'the users who are members of a team granted (through grant_team) to the current user or a role it inherits from';

-- Whether this database's tables are distributed (signals.distribute() ran):
-- the few places that must work differently on Citus ask this.
CREATE OR REPLACE FUNCTION @extschema@.citus_distributed()
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    distributed boolean;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d
                             WHERE d.logicalrelid OPERATOR(pg_catalog.=) $1)'
       INTO distributed
      USING '@extschema@.processing_state'::regclass;
    RETURN distributed;
END
$$;

COMMENT ON FUNCTION @extschema@.citus_distributed() IS
'whether signals.distribute() has distributed this database''s tables over a Citus cluster';

-- process_next_team() on Citus: the first unpaused team after after_team
-- with queued signals, its processing-state row locked (SKIP LOCKED), or
-- NULL.  Citus refuses the recursive skip through the queue index that one
-- node uses, and FOR UPDATE across shards, so the teams with queued signals
-- are read from every shard and then locked one at a time on their node.
CREATE OR REPLACE FUNCTION @extschema@.citus_next_team(after_team bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    candidate bigint;
    locked bigint;
BEGIN
    FOR candidate IN
        SELECT DISTINCT s.team_id FROM @extschema@.signals s
         WHERE s.grouped_at IS NULL AND s.team_id OPERATOR(pg_catalog.>) after_team
         ORDER BY s.team_id
    LOOP
        SELECT p.team_id INTO locked
          FROM @extschema@.processing_state p
         WHERE p.team_id OPERATOR(pg_catalog.=) candidate
           AND (p.paused_until IS NULL OR p.paused_until OPERATOR(pg_catalog.<=) pg_catalog.now())
           FOR UPDATE SKIP LOCKED;
        IF locked IS NOT NULL THEN
            RETURN locked;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.citus_next_team(bigint) IS
'process_next_team() on a Citus cluster: the next unpaused team with queued signals after after_team, locked, skipping teams others hold; NULL when none';

REVOKE ALL ON FUNCTION @extschema@.citus_next_team(bigint) FROM PUBLIC;

-- How distribute() places each of the extension's tables: 'distributed' or
-- 'reference', in an order where every table comes after the tables its
-- foreign keys point at.
CREATE OR REPLACE FUNCTION @extschema@.citus_placement(
    OUT table_name regclass,
    OUT placement text,
    OUT reason text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind jsonb := '{}';
    why jsonb := '{}';
    changed boolean := true;
    t regclass;
    placed regclass[] := '{}';
    pending regclass[];
BEGIN
    FOR t IN
        SELECT c.oid::regclass
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_depend d
            ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
           AND d.objid OPERATOR(pg_catalog.=) c.oid
           AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
           AND d.deptype OPERATOR(pg_catalog.=) 'e'
          JOIN pg_catalog.pg_extension e
            ON e.oid OPERATOR(pg_catalog.=) d.refobjid AND e.extname OPERATOR(pg_catalog.=) 'signals'
         WHERE c.relkind OPERATOR(pg_catalog.=) 'r'
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) t AND a.attname OPERATOR(pg_catalog.=) 'team_id'
                          AND NOT a.attisdropped) THEN
            kind := kind OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'reference');
            why := why OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'no team_id column');
        ELSIF t OPERATOR(pg_catalog.=) ANY (@extschema@.citus_catalogue_tables()) THEN
            kind := kind OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'reference');
            why := why OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'read across teams by row-level security');
        ELSIF EXISTS (
                SELECT FROM pg_catalog.pg_index i
                 WHERE i.indrelid OPERATOR(pg_catalog.=) t AND i.indisunique
                   AND NOT EXISTS (
                       SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) t
                          AND a.attname OPERATOR(pg_catalog.=) 'team_id'
                          AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::int2[]))) THEN
            kind := kind OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'reference');
            why := why OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'a unique index without team_id');
        ELSE
            kind := kind OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'distributed');
            why := why OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'team-keyed');
        END IF;
    END LOOP;
    -- A reference table may point only at reference tables.
    WHILE changed LOOP
        changed := false;
        FOR t IN
            SELECT DISTINCT f.confrelid::regclass
              FROM pg_catalog.pg_constraint f
             WHERE f.contype OPERATOR(pg_catalog.=) 'f'
               AND kind OPERATOR(pg_catalog.->>) f.conrelid::oid::text OPERATOR(pg_catalog.=) 'reference'
               AND kind OPERATOR(pg_catalog.->>) f.confrelid::oid::text OPERATOR(pg_catalog.=) 'distributed'
        LOOP
            kind := kind OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'reference');
            why := why OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t::oid::text, 'a reference table points at it');
            changed := true;
        END LOOP;
    END LOOP;
    -- Foreign-key order: reference tables first, then distributed ones,
    -- each after the tables it points at.
    FOREACH placement IN ARRAY '{reference,distributed}'::text[] LOOP
        LOOP
            SELECT pg_catalog.array_agg(k.key::oid::regclass ORDER BY k.key::oid::regclass::text)
              INTO pending
              FROM pg_catalog.jsonb_each_text(kind) k
             WHERE k.value OPERATOR(pg_catalog.=) placement
               AND NOT k.key::oid::regclass OPERATOR(pg_catalog.=) ANY (placed)
               AND NOT EXISTS (
                   SELECT FROM pg_catalog.pg_constraint f
                    WHERE f.contype OPERATOR(pg_catalog.=) 'f'
                      AND f.conrelid OPERATOR(pg_catalog.=) k.key::oid
                      AND f.confrelid OPERATOR(pg_catalog.<>) f.conrelid
                      AND NOT f.confrelid::regclass OPERATOR(pg_catalog.=) ANY (placed));
            EXIT WHEN pending IS NULL;
            FOREACH table_name IN ARRAY pending LOOP
                reason := why OPERATOR(pg_catalog.->>) table_name::oid::text;
                RETURN NEXT;
            END LOOP;
            placed := placed OPERATOR(pg_catalog.||) pending;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.citus_placement() IS
'how signals.distribute() places each table of the extension (distributed by team_id or reference) and why, in foreign-key order';

-- The functions distribute() delegates: those of the extension with an
-- argument named team_id, with that argument's position.
CREATE OR REPLACE FUNCTION @extschema@.citus_delegated_functions(
    OUT function_name regprocedure,
    OUT team_argument integer)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.fn, a.pos::integer
      FROM (SELECT p.oid::regprocedure AS fn, x.name, x.mode, p.proargtypes,
                   pg_catalog.count(*) FILTER (WHERE coalesce(x.mode, 'i') OPERATOR(pg_catalog.=) ANY ('{i,b,v}'::"char"[]))
                       OVER (PARTITION BY p.oid ORDER BY x.n) AS pos
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_depend d
                ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
               AND d.objid OPERATOR(pg_catalog.=) p.oid
               AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
               AND d.deptype OPERATOR(pg_catalog.=) 'e'
              JOIN pg_catalog.pg_extension e
                ON e.oid OPERATOR(pg_catalog.=) d.refobjid AND e.extname OPERATOR(pg_catalog.=) 'signals'
             CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(p.proargnames), pg_catalog.unnest(p.proargmodes))
                   WITH ORDINALITY AS x(name, mode, n)
             WHERE p.prokind OPERATOR(pg_catalog.=) 'f') a
     WHERE a.name OPERATOR(pg_catalog.=) 'team_id'
       AND coalesce(a.mode, 'i') OPERATOR(pg_catalog.=) ANY ('{i,b}'::"char"[])
       AND a.proargtypes[a.pos::integer OPERATOR(pg_catalog.-) 1] OPERATOR(pg_catalog.=) 'pg_catalog.int8'::regtype
       -- a function given a role changes its privileges, which Citus
       -- allows only on the coordinator (grant_team, revoke_team)
       AND NOT 'pg_catalog.regrole'::regtype::oid OPERATOR(pg_catalog.=) ANY (a.proargtypes::oid[])
     ORDER BY a.fn::text
$$;

COMMENT ON FUNCTION @extschema@.citus_delegated_functions() IS
'the functions signals.distribute() delegates to the node holding the team: those of the extension with a bigint argument named team_id (but none given a role), and its position';

-- The ON DELETE SET NULL of a foreign key Citus refuses (it allows no SET
-- NULL in a key that includes the distribution column): after a row of the
-- referenced table is deleted, the referencing rows of the same team get
-- NULL in the columns the key named.  Arguments: the referencing table, its
-- key columns and the referenced table's (comma-separated, in order), and
-- the columns to set NULL.
CREATE OR REPLACE FUNCTION @extschema@.citus_fk_set_null()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    referencing_cols text[] := pg_catalog.string_to_array(TG_ARGV[1], ',');
    referenced_cols text[] := pg_catalog.string_to_array(TG_ARGV[2], ',');
    null_cols text[] := pg_catalog.string_to_array(TG_ARGV[3], ',');
    sets text;
    conds text;
    old_row jsonb := pg_catalog.to_jsonb(OLD);
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.format('%I = NULL', c), ', ') INTO sets
      FROM pg_catalog.unnest(null_cols) c;
    SELECT pg_catalog.string_agg(pg_catalog.format('%I OPERATOR(pg_catalog.=) %L', f.c, old_row OPERATOR(pg_catalog.->>) t.c), ' AND ')
      INTO conds
      FROM ROWS FROM (pg_catalog.unnest(referencing_cols), pg_catalog.unnest(referenced_cols)) AS x(fc, tc),
           LATERAL (SELECT x.fc AS c) f, LATERAL (SELECT x.tc AS c) t;
    EXECUTE pg_catalog.format('UPDATE %s SET %s WHERE %s', TG_ARGV[0], sets, conds);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.citus_fk_set_null() IS
'trigger: the ON DELETE SET NULL (columns) of a foreign key that Citus refuses, done after the referenced row is deleted';

-- Run a statement on every worker, in this database, as the same change to
-- the extension's own copy of its objects there (Citus propagates changes
-- to distributed objects only); an error on any worker is raised here.
CREATE OR REPLACE FUNCTION @extschema@.citus_on_workers(statement text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM pg_catalog.run_command_on_workers(statement) LOOP
        IF NOT r.success THEN
            RAISE EXCEPTION 'could not change the signals objects on worker %:%', r.nodename, r.nodeport
                USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = r.result;
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.citus_on_workers(text) IS
'run a statement on every Citus worker (for the extension''s own objects there, which Citus does not change for us); raises the first failure';

REVOKE ALL ON FUNCTION @extschema@.citus_on_workers(text) FROM PUBLIC;

-- Distribute an installed database over the Citus cluster it belongs to.
CREATE OR REPLACE FUNCTION @extschema@.distribute(shard_count integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
    colocate_with regclass;
    fk record;
    readd text[] := '{}';
    stmt text;
    tables regclass[];
    placements text[];
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER AND r.rolsuper) THEN
        RAISE EXCEPTION 'only a superuser may distribute the signals tables'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF shard_count IS NOT NULL AND shard_count OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'shard_count must be positive'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'shard_count';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION 'the citus extension is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run CREATE EXTENSION citus and add the workers first.';
    END IF;
    -- Decided once, before the foreign keys that decide it are set aside.
    SELECT pg_catalog.array_agg(c.table_name ORDER BY c.n), pg_catalog.array_agg(c.placement ORDER BY c.n)
      INTO tables, placements
      FROM @extschema@.citus_placement() WITH ORDINALITY c(table_name, placement, reason, n);
    -- Foreign keys between the tables are set aside while they are placed:
    -- otherwise Citus turns every local table a new reference table is
    -- linked to into a Citus local table at once, and creating that on
    -- the workers collides with the extension's own copy there.
    FOR fk IN
        SELECT f.conrelid::regclass AS tab, f.conname, pg_catalog.pg_get_constraintdef(f.oid) AS def,
               f.confrelid::regclass AS referenced,
               f.confdeltype OPERATOR(pg_catalog.=) 'n'
                 AND placements[pg_catalog.array_position(tables, f.conrelid::regclass)]
                     OPERATOR(pg_catalog.=) 'distributed' AS set_null,
               (SELECT pg_catalog.string_agg(a.attname, ',' ORDER BY k.n)
                  FROM pg_catalog.unnest(f.conkey) WITH ORDINALITY k(att, n)
                  JOIN pg_catalog.pg_attribute a
                    ON a.attrelid OPERATOR(pg_catalog.=) f.conrelid AND a.attnum OPERATOR(pg_catalog.=) k.att) AS cols,
               (SELECT pg_catalog.string_agg(a.attname, ',' ORDER BY k.n)
                  FROM pg_catalog.unnest(f.confkey) WITH ORDINALITY k(att, n)
                  JOIN pg_catalog.pg_attribute a
                    ON a.attrelid OPERATOR(pg_catalog.=) f.confrelid AND a.attnum OPERATOR(pg_catalog.=) k.att) AS refcols,
               (SELECT pg_catalog.string_agg(a.attname, ',')
                  FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid OPERATOR(pg_catalog.=) f.conrelid
                   AND a.attnum OPERATOR(pg_catalog.=) ANY (coalesce(f.confdelsetcols, f.conkey))
                   AND a.attname OPERATOR(pg_catalog.<>) 'team_id') AS nullcols
          FROM pg_catalog.pg_constraint f
         WHERE f.contype OPERATOR(pg_catalog.=) 'f'
           AND f.conrelid::regclass OPERATOR(pg_catalog.=) ANY (tables)
    LOOP
        IF fk.set_null THEN
            readd := readd OPERATOR(pg_catalog.||)
                     pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON %s FOR EACH ROW
                                        EXECUTE FUNCTION @extschema@.citus_fk_set_null(%L, %L, %L, %L)',
                                       fk.conname, fk.referenced, fk.tab, fk.cols, fk.refcols, fk.nullcols);
        ELSE
            readd := readd OPERATOR(pg_catalog.||)
                     pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.tab, fk.conname, fk.def);
        END IF;
        stmt := pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk.tab, fk.conname);
        EXECUTE stmt;
        PERFORM @extschema@.citus_on_workers(stmt);
    END LOOP;
    -- The tables' triggers touch only the same team's rows, which are on the
    -- same node (colocated): what Citus calls a safe use of an unsafe trigger.
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    -- Foreign keys to reference tables need one connection per node for the
    -- whole transaction.
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    IF EXISTS (SELECT FROM pg_catalog.pg_policy y
                WHERE y.polrelid OPERATOR(pg_catalog.=) '@extschema@.users'::regclass
                  AND y.polname OPERATOR(pg_catalog.=) 'team_users') THEN
        stmt := 'ALTER POLICY team_users ON @extschema@.users
                     USING (user_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_user_ids()))';
        EXECUTE stmt;
        PERFORM @extschema@.citus_on_workers(stmt);
    END IF;
    -- Row-level security reads the granted roles and the members (reference
    -- tables) inside each shard's query on a worker: a read of that node's
    -- own copy in the same transaction, which Citus allows there only when
    -- told so.
    FOREACH stmt IN ARRAY ARRAY[
        'ALTER FUNCTION @extschema@.team_ids_of_role(oid) SET citus.allow_nested_distributed_execution = on',
        'ALTER FUNCTION @extschema@.visible_user_ids() SET citus.allow_nested_distributed_execution = on'] LOOP
        EXECUTE stmt;
        PERFORM @extschema@.citus_on_workers(stmt);
    END LOOP;
    -- A role has another OID on each node (each has its own catalog), so a
    -- worker matches the grants by the role's name, reading them as the
    -- owner: the workers' copies of team_roles keep the coordinator's policy,
    -- which compares OIDs.  A role dropped on the coordinator loses its
    -- grants there (the role-drop hook), and the workers' copies follow.
    -- (Citus takes function changes only from the coordinator unless told
    -- that this one is not to be propagated.)
    PERFORM @extschema@.citus_on_workers(
        'SET LOCAL citus.enable_ddl_propagation = off;
         CREATE OR REPLACE FUNCTION @extschema@.team_ids_of_role(member oid)
         RETURNS bigint[]
         LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
         SET citus.allow_nested_distributed_execution = on
         AS $f$
             SELECT coalesce(pg_catalog.array_agg(DISTINCT r.team_id), ''{}'')
               FROM @extschema@.team_roles r
              WHERE pg_catalog.pg_has_role($1, pg_catalog.to_regrole(pg_catalog.quote_ident(r.role_name)), ''USAGE'')
                -- as the owner, it answers only for the caller''s own roles
                AND pg_catalog.pg_has_role(SESSION_USER, $1, ''USAGE'')
         $f$');
    FOR p IN SELECT * FROM ROWS FROM (pg_catalog.unnest(tables), pg_catalog.unnest(placements)) AS u(table_name, placement) LOOP
        IF p.placement OPERATOR(pg_catalog.=) 'distributed' AND colocate_with IS NULL
           AND EXISTS (SELECT FROM pg_catalog.pg_dist_partition d
                        WHERE d.logicalrelid OPERATOR(pg_catalog.=) p.table_name) THEN
            colocate_with := p.table_name;
        END IF;
        IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition d
                    WHERE d.logicalrelid OPERATOR(pg_catalog.=) p.table_name) THEN
            CONTINUE;  -- already placed: distribute() may be run again
        END IF;
        IF p.placement OPERATOR(pg_catalog.=) 'reference' THEN
            PERFORM pg_catalog.create_reference_table(p.table_name);
        ELSIF colocate_with IS NULL THEN
            PERFORM pg_catalog.create_distributed_table(p.table_name, 'team_id',
                        colocate_with => 'none',
                        shard_count => coalesce(shard_count,
                                                pg_catalog.current_setting('citus.shard_count')::integer));
        ELSE
            PERFORM pg_catalog.create_distributed_table(p.table_name, 'team_id',
                        colocate_with => colocate_with::text);
        END IF;
        IF p.placement OPERATOR(pg_catalog.=) 'distributed' AND colocate_with IS NULL THEN
            colocate_with := p.table_name;
        END IF;
    END LOOP;
    FOREACH stmt IN ARRAY readd LOOP
        EXECUTE stmt;
    END LOOP;
    FOR p IN SELECT * FROM @extschema@.citus_delegated_functions() LOOP
        PERFORM pg_catalog.create_distributed_function(p.function_name, '$' OPERATOR(pg_catalog.||) p.team_argument,
                    colocate_with => colocate_with::text);
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.distribute(integer) IS
'turn this database into a distributed one on its Citus cluster: team-keyed tables distributed by team_id and colocated, the others reference tables, functions with a team_id argument delegated on it; superuser only, may be run again';

REVOKE ALL ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.citus_placement() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.citus_delegated_functions() FROM PUBLIC;

-- Row-level security by team on every table with a team_id column, whoever
-- added it: a role sees and writes only the rows of the teams granted to it
-- (signals.grant_team).  These tables also hold user data, so pg_dump keeps
-- them.  The API keys (which a team's scout tokens reference) are not for SQL
-- callers at all, and team_roles has its own policy (40_security.sql).
-- A function, not a one-off block, so that upgrade scripts call it again
-- for the tables they add.

CREATE OR REPLACE FUNCTION @extschema@.secure_team_tables()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t name;
BEGIN
    FOR t IN
        SELECT c.relname
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
          -- the extension's own tables only (not, say, the shards Citus
          -- keeps in this schema, nor a user's table)
          JOIN pg_catalog.pg_depend d
            ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
           AND d.objid OPERATOR(pg_catalog.=) c.oid
           AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
           AND d.deptype OPERATOR(pg_catalog.=) 'e'
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND c.relkind OPERATOR(pg_catalog.=) 'r'
           AND a.attname OPERATOR(pg_catalog.=) 'team_id'
           AND NOT a.attisdropped
           AND c.relname OPERATOR(pg_catalog.<>) ALL ('{api_keys,team_roles}'::name[])
         ORDER BY c.relname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_policy p
                        WHERE p.polrelid OPERATOR(pg_catalog.=) pg_catalog.format('@extschema@.%I', t)::regclass
                          AND p.polname OPERATOR(pg_catalog.=) 'team_isolation') THEN
            EXECUTE pg_catalog.format(
                'CREATE POLICY team_isolation ON @extschema@.%I
                     USING (team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids()))
                     WITH CHECK (team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids()))', t);
        END IF;
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.format('@extschema@.%I', t), '');
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.secure_team_tables() IS
'give every team-keyed table of the extension its row-level security policy and register it for pg_dump; run by the install script and again by upgrade scripts that add tables (only inside CREATE or ALTER EXTENSION)';

REVOKE ALL ON FUNCTION @extschema@.secure_team_tables() FROM PUBLIC;

-- 4. What the install script sets up once the functions exist.

-- Row-level security and pg_dump registration of the new team tables.
SELECT @extschema@.secure_team_tables();

-- The API for granted roles and PostgREST (97_api_schema.sql).
CREATE SCHEMA signals_api;
COMMENT ON SCHEMA signals_api IS
'the signals API as SQL functions (one per operation, each checked against the caller''s granted teams); nothing else, for roles granted a team and for PostgREST or PostGraphile';
GRANT USAGE ON SCHEMA signals_api TO PUBLIC;

DO $$
DECLARE
    api_functions name[] := '{processing_list,processing_pause,processing_unpause,
        source_configs_list,source_config_get,source_config_create,source_config_update,source_config_delete,
        scratchpad_list,scratchpad_upsert,scratchpad_forget,
        set_scout_config,create_scout_run,start_scout_run,finish_scout_run,scout_runs_list,scout_run_get,
        emit_signal,scout_emit,
        reports_list,report_get,report_set_state,report_delete,report_artefacts_list,report_signals,
        report_merge,report_split,
        add_artefact,claim_candidate,finish_research,
        project_profile_current}';
    f record;
    made integer := 0;
BEGIN
    FOR f IN
        SELECT p.oid, p.proname, p.provolatile, p.proisstrict, p.proretset, p.proargnames,
               pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
               pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity,
               pg_catalog.pg_get_function_result(p.oid) AS result,
               pg_catalog.obj_description(p.oid, 'pg_proc') AS description
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND p.proname OPERATOR(pg_catalog.=) ANY (api_functions)
         ORDER BY p.proname
    LOOP
        IF f.proretset OR NOT 'team_id'::text OPERATOR(pg_catalog.=) ANY (f.proargnames) THEN
            RAISE EXCEPTION 'signals.% cannot be in signals_api: it must return one value and take team_id', f.proname;
        END IF;
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION signals_api.%I(%s) RETURNS %s AS %L, %L LANGUAGE C %s %s',
            f.proname, f.arguments, f.result, 'MODULE_PATHNAME', 'signals_api_call',
            CASE f.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
            CASE WHEN f.proisstrict THEN 'STRICT' ELSE 'CALLED ON NULL INPUT' END);
        EXECUTE pg_catalog.format(
            'COMMENT ON FUNCTION signals_api.%I(%s) IS %L',
            f.proname, f.identity,
            coalesce(f.description, f.proname::text) OPERATOR(pg_catalog.||)
            ' (checked against the calling role''s granted teams, then run as the extension owner)');
        made := made OPERATOR(pg_catalog.+) 1;
    END LOOP;
    IF made OPERATOR(pg_catalog.<>) pg_catalog.cardinality(api_functions) THEN
        RAISE EXCEPTION 'signals_api: % functions listed, % made', pg_catalog.cardinality(api_functions), made;
    END IF;
END
$$;

-- Roles granted a team by 0.1.0 held table-level writes: 0.2.0 gives them
-- SELECT and signals_api only.
SELECT @extschema@.set_team_role_privileges(r.role_oid::regrole, false),
       @extschema@.set_team_role_privileges(r.role_oid::regrole, true)
  FROM (SELECT DISTINCT t.role_oid FROM @extschema@.team_roles t
         WHERE EXISTS (SELECT FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) t.role_oid)) r;

-- Every team's grouping lock row, and its grouping tables rebuilt from its
-- signals as they are grouped (grouping_rebuild(team) regroups them with
-- the new engine, when a DBA chooses to).
INSERT INTO @extschema@.grouping_state (team_id)
SELECT t.team_id FROM @extschema@.teams t
    ON CONFLICT (team_id) DO NOTHING;
SELECT @extschema@.grouping_replay(t.team_id) FROM @extschema@.teams t ORDER BY t.team_id;
