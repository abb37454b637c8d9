-- signals 0.1.0: install script as released (assembled then from sql/install/*.sql).
-- Frozen: never edit a released script; changes go into an upgrade script.
-- Everything is schema-qualified and every function pins search_path.

\echo Use "CREATE EXTENSION signals VERSION '0.1.0'" to load this file. \quit
-- Support functions in C that the schema and the domain functions build on.

-- Time-ordered UUID (version 7 layout): inserts stay at the right edge of indexes.
CREATE FUNCTION @extschema@.uuid_v7()
RETURNS uuid
AS 'MODULE_PATHNAME', 'signals_uuid_v7'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uuid_v7() IS
'a new UUID in the version 7 layout: 48 bits of Unix milliseconds, then random bits';

-- Timestamps as the API prints them: UTC, microseconds, a trailing Z.
CREATE FUNCTION @extschema@.iso_time(timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_iso_time'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iso_time(timestamptz) IS
'the timestamp in ISO 8601, UTC, with microseconds and a trailing Z, independent of TimeZone and DateStyle';

-- A random API token with the given prefix; only its hash is ever stored.
CREATE FUNCTION @extschema@.new_token(prefix text)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_new_token'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.new_token(text) IS
'a new random token: the prefix followed by 43 base62 characters (256 bits of entropy)';
REVOKE ALL ON FUNCTION @extschema@.new_token(text) FROM PUBLIC;
-- Tenancy: teams (= projects), their settings, users and membership, and the
-- database roles that may see a team's rows through SQL (row-level security).

CREATE TABLE @extschema@.teams (
    team_id     bigint PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.teams IS
'a team (PostHog project); every other row in the extension belongs to exactly one team';

CREATE SEQUENCE @extschema@.team_id_seq OWNED BY @extschema@.teams.team_id;
COMMENT ON SEQUENCE @extschema@.team_id_seq IS
'team ids for create_team() calls that do not name one; not used on any hot path';

CREATE TABLE @extschema@.team_settings (
    team_id                 bigint PRIMARY KEY
                            REFERENCES @extschema@.teams ON DELETE CASCADE,
    ai_processing_approved  boolean NOT NULL DEFAULT false,
    product_description     text NOT NULL DEFAULT '',
    app_urls                text[] NOT NULL DEFAULT '{}',
    research_mode           text NOT NULL DEFAULT 'builtin'
                            CHECK (research_mode OPERATOR(pg_catalog.=) ANY ('{builtin,external}'::text[])),
    updated_at              timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.team_settings IS
'per-team settings: AI processing approval (gates emits), product context for the project profile, and who researches candidate reports (the built-in summarizer or an external agent)';

CREATE TABLE @extschema@.users (
    user_id       uuid PRIMARY KEY DEFAULT @extschema@.uuid_v7(),
    email         text NOT NULL,
    github_login  text,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE UNIQUE INDEX users_email_key ON @extschema@.users (pg_catalog.lower(email));
COMMENT ON TABLE @extschema@.users IS
'people who hold personal API keys and may be suggested as reviewers; shared by all teams';

CREATE TABLE @extschema@.team_members (
    team_id     bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES @extschema@.users ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON @extschema@.team_members (user_id, team_id);
COMMENT ON TABLE @extschema@.team_members IS
'which users belong to which teams; a personal key reaches only its user''s teams';

CREATE TABLE @extschema@.team_roles (
    team_id  bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    role     regrole NOT NULL,
    PRIMARY KEY (team_id, role)
);
COMMENT ON TABLE @extschema@.team_roles IS
'database roles granted a team: members of such a role see that team''s rows through SQL';

-- The teams the calling database role may see through SQL.  Row-level security
-- on every team table compares team_id with this list.
CREATE FUNCTION @extschema@.visible_team_ids()
RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.array_agg(r.team_id), '{}')
      FROM @extschema@.team_roles r
     WHERE pg_catalog.pg_has_role(r.role, 'MEMBER')
$$;
COMMENT ON FUNCTION @extschema@.visible_team_ids() IS
'the teams granted (through grant_team) to a role the current user is a member of';

-- Create a team with its settings row; the id is the PostHog project id when given.
CREATE FUNCTION @extschema@.create_team(name text, team_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id bigint := coalesce(team_id, pg_catalog.nextval('@extschema@.team_id_seq'));
BEGIN
    IF new_id OPERATOR(pg_catalog.<=) 0 THEN
        RAISE EXCEPTION 'team id must be positive'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'team_id';
    END IF;
    INSERT INTO @extschema@.teams (team_id, name) VALUES (new_id, name);
    INSERT INTO @extschema@.team_settings (team_id) VALUES (new_id);
    INSERT INTO @extschema@.processing_state (team_id) VALUES (new_id);
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.create_team(text, bigint) IS
'create a team (project) with default settings; returns its id';

-- Change a team's settings; arguments left NULL keep their value.
CREATE FUNCTION @extschema@.set_team_settings(
    team_id bigint,
    ai_processing_approved boolean DEFAULT NULL,
    product_description text DEFAULT NULL,
    app_urls text[] DEFAULT NULL,
    research_mode text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF research_mode IS NOT NULL AND research_mode OPERATOR(pg_catalog.<>) ALL ('{builtin,external}'::text[]) THEN
        RAISE EXCEPTION 'research_mode must be builtin or external'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'research_mode';
    END IF;
    UPDATE @extschema@.team_settings s
       SET ai_processing_approved = coalesce(set_team_settings.ai_processing_approved, s.ai_processing_approved),
           product_description = coalesce(set_team_settings.product_description, s.product_description),
           app_urls = coalesce(set_team_settings.app_urls, s.app_urls),
           research_mode = coalesce(set_team_settings.research_mode, s.research_mode),
           updated_at = pg_catalog.now()
     WHERE s.team_id OPERATOR(pg_catalog.=) set_team_settings.team_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'team % does not exist', team_id
            USING ERRCODE = 'no_data_found', COLUMN = 'team_id';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.set_team_settings(bigint, boolean, text, text[], text) IS
'change a team''s settings; NULL arguments leave the setting as it is';

-- Create a user; returns the new user's id.
CREATE FUNCTION @extschema@.create_user(email text, github_login text DEFAULT NULL)
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
CREATE FUNCTION @extschema@.add_team_member(team_id bigint, user_id uuid)
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
CREATE FUNCTION @extschema@.remove_team_member(team_id bigint, user_id uuid)
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
-- API keys: personal keys (a user's, optionally limited to some teams) and
-- internal scout tokens (a team's).  Only a SHA-256 hash of each token is
-- stored; the token itself is returned once, by the function that creates it.

CREATE TABLE @extschema@.api_keys (
    key_id        uuid PRIMARY KEY DEFAULT @extschema@.uuid_v7(),
    kind          text NOT NULL
                  CHECK (kind OPERATOR(pg_catalog.=) ANY ('{personal,scout}'::text[])),
    user_id       uuid REFERENCES @extschema@.users ON DELETE CASCADE,
    team_id       bigint REFERENCES @extschema@.teams ON DELETE CASCADE,
    label         text NOT NULL DEFAULT '',
    token_hash    bytea NOT NULL UNIQUE,
    mask          text NOT NULL,
    scopes        text[] NOT NULL,
    scoped_teams  bigint[],
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CHECK ((kind OPERATOR(pg_catalog.=) 'personal') OPERATOR(pg_catalog.=) (user_id IS NOT NULL)),
    CHECK ((kind OPERATOR(pg_catalog.=) 'scout') OPERATOR(pg_catalog.=) (team_id IS NOT NULL))
);
COMMENT ON TABLE @extschema@.api_keys IS
'API keys by hash: personal keys belong to a user, scout tokens to a team; readable only by the extension owner';
REVOKE ALL ON @extschema@.api_keys FROM PUBLIC;

CREATE TABLE @extschema@.api_scopes (
    scope        text PRIMARY KEY,
    internal     boolean NOT NULL,
    description  text NOT NULL,
    -- The router recognises internal scopes by this naming rule; keep them in step.
    CHECK (internal OPERATOR(pg_catalog.=) (pg_catalog.strpos(scope, '_internal:') OPERATOR(pg_catalog.>) 0))
);
COMMENT ON TABLE @extschema@.api_scopes IS
'the scopes a key may hold; internal scopes (named *_internal:*) are carried only by scout tokens';
INSERT INTO @extschema@.api_scopes VALUES
    ('task:read', false, 'read reports, source configs and the processing state'),
    ('task:write', false, 'change reports, source configs and the processing state'),
    ('signal_scout:read', false, 'read scout runs, the scratchpad and the project profile'),
    ('signal_scout_internal:write', true, 'emit signals and write the scratchpad (scout tokens only)');

-- Check a list of scopes for a key of the given kind; returns it sorted and deduplicated.
CREATE FUNCTION @extschema@.checked_scopes(scopes text[], kind text)
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
CREATE FUNCTION @extschema@.create_personal_key(
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
CREATE FUNCTION @extschema@.create_scout_token(
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
CREATE FUNCTION @extschema@.revoke_key(key_id uuid)
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

-- Keys without their hashes, for administrators.
CREATE VIEW @extschema@.api_key_list AS
    SELECT key_id, kind, user_id, team_id, label, mask, scopes, scoped_teams,
           created_at, last_used_at, revoked_at
      FROM @extschema@.api_keys;
COMMENT ON VIEW @extschema@.api_key_list IS
'API keys as administrators see them: masked token, scopes and teams, never the hash';
REVOKE ALL ON @extschema@.api_key_list FROM PUBLIC;
-- The data model of the pipeline: processing state, source and scout
-- configuration, scout runs, signals (with their queue state), reports and
-- their artefacts, the scout scratchpad and the project profile cache.
-- team_id leads every key so that tables can be distributed by team.

CREATE TABLE @extschema@.processing_state (
    team_id       bigint PRIMARY KEY REFERENCES @extschema@.teams ON DELETE CASCADE,
    paused_until  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.processing_state IS
'per-team processing state: while now() < paused_until, the team''s signals are queued but not grouped';

-- The known source products and types are data: add rows to extend them.
CREATE TABLE @extschema@.source_products (
    source_product  text PRIMARY KEY,
    builtin         boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.source_products IS
'source products a source config or signal may name; insert rows to add more';
INSERT INTO @extschema@.source_products (source_product, builtin)
SELECT p, true
  FROM pg_catalog.unnest('{session_replay,llm_analytics,github,linear,jira,zendesk,conversations,error_tracking,endpoints,pganalyze,signals_scout}'::text[]) p;

CREATE TABLE @extschema@.source_types (
    source_type  text PRIMARY KEY,
    builtin      boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.source_types IS
'source types a source config or signal may name; insert rows to add more';
INSERT INTO @extschema@.source_types (source_type, builtin)
SELECT t, true
  FROM pg_catalog.unnest('{session_analysis_cluster,evaluation,issue,ticket,issue_created,issue_reopened,issue_spiking,cross_source_issue}'::text[]) t;

CREATE TABLE @extschema@.source_configs (
    team_id         bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    source_product  text NOT NULL REFERENCES @extschema@.source_products,
    source_type     text NOT NULL REFERENCES @extschema@.source_types,
    enabled         boolean NOT NULL DEFAULT true,
    config          jsonb NOT NULL DEFAULT '{}'
                    CHECK (pg_catalog.jsonb_typeof(config) OPERATOR(pg_catalog.=) 'object'),
    status          text,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, id),
    CONSTRAINT source_configs_source_key UNIQUE (team_id, source_product, source_type)
);
CREATE INDEX source_configs_updated_idx
    ON @extschema@.source_configs (team_id, updated_at DESC, id DESC);
COMMENT ON TABLE @extschema@.source_configs IS
'per-team configuration of a signal source; a disabled source''s emits are skipped';
COMMENT ON COLUMN @extschema@.source_configs.status IS
'read-only through the API: the state of the source''s data import, set by the host application';

CREATE TABLE @extschema@.scout_configs (
    team_id       bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    skill_name    text NOT NULL CHECK (pg_catalog.length(skill_name) OPERATOR(pg_catalog.<=) 200),
    enabled       boolean NOT NULL DEFAULT true,
    emit          boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, id),
    CONSTRAINT scout_configs_skill_key UNIQUE (team_id, skill_name)
);
COMMENT ON TABLE @extschema@.scout_configs IS
'a scout skill configured for a team; emit = false makes its runs a dry run';

CREATE TABLE @extschema@.scout_runs (
    team_id              bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    scout_config_id      uuid,
    skill_name           text NOT NULL,
    skill_version        integer NOT NULL DEFAULT 1,
    status               text NOT NULL DEFAULT 'not_started'
                         CHECK (status OPERATOR(pg_catalog.=) ANY
                                ('{not_started,queued,in_progress,completed,failed,cancelled}'::text[])),
    task_id              text,
    task_run_id          text,
    summary              text NOT NULL DEFAULT '',
    error                text,
    emitted_count        integer NOT NULL DEFAULT 0,
    emitted_finding_ids  text[] NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at           timestamptz,
    completed_at         timestamptz,
    PRIMARY KEY (team_id, id),
    FOREIGN KEY (team_id, scout_config_id)
        REFERENCES @extschema@.scout_configs (team_id, id) ON DELETE SET NULL (scout_config_id)
);
CREATE INDEX scout_runs_created_idx
    ON @extschema@.scout_runs (team_id, created_at DESC, id DESC);
CREATE INDEX scout_runs_summary_trgm_idx
    ON @extschema@.scout_runs USING gin (team_id, summary gin_trgm_ops);
COMMENT ON TABLE @extschema@.scout_runs IS
'one run of a scout skill: its status and timing, summary, and the findings it emitted';

CREATE TABLE @extschema@.reports (
    team_id                    bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id                         uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    title                      text NOT NULL DEFAULT '',
    summary                    text NOT NULL DEFAULT '',
    status                     text NOT NULL DEFAULT 'potential'
                               CHECK (status OPERATOR(pg_catalog.=) ANY
                                      ('{potential,candidate,in_progress,pending_input,ready,resolved,failed,suppressed,deleted}'::text[])),
    status_before_suppression  text,
    error                      text,
    total_weight               double precision NOT NULL DEFAULT 0,
    signal_count               integer NOT NULL DEFAULT 0,
    signals_at_run             integer NOT NULL DEFAULT 0,
    run_count                  integer NOT NULL DEFAULT 0,
    created_at                 timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at                 timestamptz NOT NULL DEFAULT pg_catalog.now(),
    promoted_at                timestamptz,
    claimed_by                 text,
    claimed_at                 timestamptz,
    -- Kept by the artefact and grouping code, so that lists sort and filter
    -- on plain columns instead of per-row subqueries.
    artefact_count             integer NOT NULL DEFAULT 0,
    priority                   text CHECK (priority OPERATOR(pg_catalog.=) ANY ('{P0,P1,P2,P3,P4}'::text[])),
    actionability              text CHECK (actionability OPERATOR(pg_catalog.=) ANY
                                      ('{immediately_actionable,requires_human_input,not_actionable}'::text[])),
    already_addressed          boolean,
    suggested_reviewers        uuid[] NOT NULL DEFAULT '{}',
    implementation_pr_url      text,
    source_products            text[] NOT NULL DEFAULT '{}',
    -- Sort keys of the inbox (SPEC.md "ordering"): the pipeline rank of the
    -- status, and P0..P4 with unjudged last.
    status_rank                smallint NOT NULL GENERATED ALWAYS AS (
        CASE status
            WHEN 'ready' THEN CASE WHEN actionability IS NOT DISTINCT FROM 'not_actionable' THEN 1 ELSE 0 END
            WHEN 'pending_input' THEN 2
            WHEN 'in_progress' THEN 3
            WHEN 'candidate' THEN 4
            WHEN 'potential' THEN 5
            WHEN 'failed' THEN 6
            WHEN 'resolved' THEN 7
            WHEN 'suppressed' THEN 8
            ELSE 9
        END) STORED,
    priority_rank              smallint NOT NULL GENERATED ALWAYS AS (
        CASE priority WHEN 'P0' THEN 0 WHEN 'P1' THEN 1 WHEN 'P2' THEN 2
                      WHEN 'P3' THEN 3 WHEN 'P4' THEN 4 ELSE 5 END) STORED,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX reports_inbox_idx
    ON @extschema@.reports (team_id, status_rank, updated_at DESC, id);
CREATE INDEX reports_title_trgm_idx
    ON @extschema@.reports USING gin (team_id, title gin_trgm_ops);
CREATE INDEX reports_summary_trgm_idx
    ON @extschema@.reports USING gin (team_id, summary gin_trgm_ops);
CREATE INDEX reports_source_products_idx
    ON @extschema@.reports USING gin (team_id, source_products);
CREATE INDEX reports_suggested_reviewers_idx
    ON @extschema@.reports USING gin (team_id, suggested_reviewers);
CREATE INDEX reports_created_idx
    ON @extschema@.reports (team_id, created_at DESC, id);
-- Priority changes only with a new judgment, so this index costs grouping
-- nothing; total_weight and signal_count change with every signal and have none.
CREATE INDEX reports_priority_idx
    ON @extschema@.reports (team_id, priority_rank, id);
COMMENT ON TABLE @extschema@.reports IS
'a group of related signals, worked through the inbox states from potential to ready or resolved';


CREATE TABLE @extschema@.report_artefacts (
    team_id     bigint NOT NULL,
    id          uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    report_id   uuid NOT NULL,
    type        text NOT NULL CHECK (pg_catalog.length(type) OPERATOR(pg_catalog.<=) 100),
    content     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, id),
    FOREIGN KEY (team_id, report_id)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE CASCADE
);
CREATE INDEX report_artefacts_report_idx
    ON @extschema@.report_artefacts (team_id, report_id, created_at DESC, id DESC);
COMMENT ON TABLE @extschema@.report_artefacts IS
'what research produced for a report: judgments (priority, actionability), suggested reviewers, task runs, notes';

CREATE TABLE @extschema@.signals (
    team_id         bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    source_product  text NOT NULL,
    source_type     text NOT NULL,
    source_id       text NOT NULL,
    description     text NOT NULL,
    weight          double precision NOT NULL
                    CHECK (weight OPERATOR(pg_catalog.>=) 0 AND weight OPERATOR(pg_catalog.<=) 1),
    extra           jsonb NOT NULL DEFAULT '{}',
    dedupe_keys     text[] NOT NULL DEFAULT '{}',
    run_id          uuid,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- Queue state: NULL until a worker has grouped the signal.
    grouped_at      timestamptz,
    report_id       uuid,
    match_method    text,
    match_score     real,
    match_detail    jsonb,
    PRIMARY KEY (team_id, id),
    FOREIGN KEY (team_id, report_id)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE SET NULL (report_id)
);
CREATE UNIQUE INDEX signals_source_key
    ON @extschema@.signals (team_id, source_product, source_type, source_id)
    WHERE run_id IS NULL;
CREATE INDEX signals_queue_idx
    ON @extschema@.signals (team_id, id)
    WHERE grouped_at IS NULL;
CREATE INDEX signals_report_idx
    ON @extschema@.signals (team_id, report_id, id);
COMMENT ON TABLE @extschema@.signals IS
'a finding from a product, monitor or scout; queued on arrival, then grouped into a report';
COMMENT ON COLUMN @extschema@.signals.grouped_at IS
'NULL while the signal waits in its team''s queue';

CREATE TABLE @extschema@.scratchpad (
    team_id            bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    key                text NOT NULL
                       CHECK (pg_catalog.length(key) OPERATOR(pg_catalog.<=) 300
                              AND pg_catalog.btrim(key) OPERATOR(pg_catalog.<>) ''),
    content            text NOT NULL
                       CHECK (pg_catalog.length(content) OPERATOR(pg_catalog.<=) 50000
                              AND pg_catalog.btrim(content) OPERATOR(pg_catalog.<>) ''),
    created_by_run_id  uuid,
    created_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, key)
);
CREATE INDEX scratchpad_updated_idx
    ON @extschema@.scratchpad (team_id, updated_at DESC, key DESC);
CREATE INDEX scratchpad_key_trgm_idx
    ON @extschema@.scratchpad USING gin (team_id, key gin_trgm_ops);
CREATE INDEX scratchpad_content_trgm_idx
    ON @extschema@.scratchpad USING gin (team_id, content gin_trgm_ops);
COMMENT ON TABLE @extschema@.scratchpad IS
'the scouts'' memory: one entry per (team, key), upserted by scout runs';

CREATE TABLE @extschema@.project_profiles (
    team_id         bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT @extschema@.uuid_v7(),
    source_version  text NOT NULL,
    payload         json NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX project_profiles_computed_idx
    ON @extschema@.project_profiles (team_id, computed_at DESC, id DESC);
COMMENT ON TABLE @extschema@.project_profiles IS
'cached project profiles, newest first; the payload is json (not jsonb) to keep its key order byte for byte';
-- Tenancy for SQL callers: granting a team to a database role, the policies
-- of the tables that are not keyed by team, and keeping user data in pg_dump.
-- Every team-keyed table gets its row-level security in 99_row_security.sql.
-- The extension owner bypasses these policies; signals.http_handle runs as
-- the owner and enforces tenancy itself from the API key.


ALTER TABLE @extschema@.team_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_roles ON @extschema@.team_roles
    USING (pg_catalog.pg_has_role(role, 'MEMBER'));

ALTER TABLE @extschema@.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_users ON @extschema@.users
    USING (EXISTS (SELECT FROM @extschema@.team_members m
                    WHERE m.user_id OPERATOR(pg_catalog.=) users.user_id
                      AND m.team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids())));

SELECT pg_catalog.pg_extension_config_dump('@extschema@.team_roles', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.users', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.api_keys', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.team_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.source_products', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.source_types', 'WHERE NOT builtin');

-- Let a database role work with one team's data through SQL.
CREATE FUNCTION @extschema@.grant_team(team_id bigint, role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO @extschema@.team_roles (team_id, role)
    VALUES (grant_team.team_id, grant_team.role)
    ON CONFLICT DO NOTHING;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role);
    EXECUTE pg_catalog.format(
        'GRANT SELECT ON @extschema@.teams, @extschema@.team_settings, @extschema@.users,
                         @extschema@.team_members, @extschema@.team_roles,
                         @extschema@.source_products, @extschema@.source_types,
                         @extschema@.api_scopes, @extschema@.grouping_state,
                         @extschema@.grouping_df, @extschema@.grouping_reports,
                         @extschema@.grouping_postings, @extschema@.grouping_dedupe
         TO %s', role);
    EXECUTE pg_catalog.format(
        'GRANT SELECT, INSERT, UPDATE, DELETE
            ON @extschema@.processing_state, @extschema@.source_configs,
               @extschema@.scout_configs, @extschema@.scout_runs, @extschema@.reports,
               @extschema@.report_artefacts, @extschema@.signals,
               @extschema@.scratchpad, @extschema@.project_profiles
         TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_team(bigint, regrole) IS
'let members of a database role read and write one team''s rows through the SQL API (row-level security keeps other teams out)';
REVOKE ALL ON FUNCTION @extschema@.grant_team(bigint, regrole) FROM PUBLIC;

-- Take a team away from a database role.
CREATE FUNCTION @extschema@.revoke_team(team_id bigint, role regrole)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM @extschema@.team_roles r
         WHERE r.team_id OPERATOR(pg_catalog.=) $1
           AND r.role OPERATOR(pg_catalog.=) $2
        RETURNING 1)
    SELECT EXISTS (SELECT FROM gone)
$$;
COMMENT ON FUNCTION @extschema@.revoke_team(bigint, regrole) IS
'stop a database role from seeing a team''s rows; returns whether it had the team';
REVOKE ALL ON FUNCTION @extschema@.revoke_team(bigint, regrole) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.create_team(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.set_team_settings(bigint, boolean, text, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.create_user(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.add_team_member(bigint, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.remove_team_member(bigint, uuid) FROM PUBLIC;
-- Small helpers shared by the domain functions.

-- A LIKE pattern matching the text anywhere, with %, _ and \ taken literally.
-- This and is_blank have no SET clause so that they inline; their bodies are
-- fully qualified.
CREATE FUNCTION @extschema@.contains_pattern(needle text)
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
CREATE FUNCTION @extschema@.is_blank(value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT pg_catalog.btrim(value, E' \t\n\r\x0B\f') OPERATOR(pg_catalog.=) ''
$$;
COMMENT ON FUNCTION @extschema@.is_blank(text) IS
'true when the text is empty or only whitespace';

-- Check a required text field: present, not blank, at most max_chars characters.
CREATE FUNCTION @extschema@.check_text_field(field text, value text, max_chars integer)
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
-- processing/: the team's pause of the grouping pipeline.

CREATE TYPE @extschema@.api_processing_state AS (paused_until text);
COMMENT ON TYPE @extschema@.api_processing_state IS
'the JSON shape of the processing state in API responses';
CREATE TYPE @extschema@.api_pause AS (status text, paused_until text);
COMMENT ON TYPE @extschema@.api_pause IS
'the JSON shape of PUT processing/pause/';
CREATE TYPE @extschema@.api_unpause AS (status text, paused_until text, was_paused boolean);
COMMENT ON TYPE @extschema@.api_unpause IS
'the JSON shape of DELETE processing/pause/';

-- GET processing/: the processing state as a one-item page.
CREATE FUNCTION @extschema@.processing_list(
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
CREATE FUNCTION @extschema@.processing_pause(team_id bigint, paused_until timestamptz)
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
       SET paused_until = excluded.paused_until, updated_at = pg_catalog.now();
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.row_to_json(ROW('paused', @extschema@.iso_time(paused_until))::@extschema@.api_pause);
END
$$;
COMMENT ON FUNCTION @extschema@.processing_pause(bigint, timestamptz) IS
'pause grouping for the team until the given time; signals keep arriving and wait in the queue';

-- DELETE processing/pause/: end the pause now.
CREATE FUNCTION @extschema@.processing_unpause(team_id bigint)
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
       SET paused_until = NULL, updated_at = pg_catalog.now();
    PERFORM @extschema@.wake_worker();
    RETURN pg_catalog.row_to_json(ROW('unpaused', NULL,
                                      coalesce(previous OPERATOR(pg_catalog.>) pg_catalog.now(), false)
                                     )::@extschema@.api_unpause);
END
$$;
COMMENT ON FUNCTION @extschema@.processing_unpause(bigint) IS
'end the team''s pause; was_paused tells whether a pause was still in force';
-- source_configs/: which signal sources a team has set up, and whether they are on.

-- A source config in API responses: the type names the JSON keys, in order.
CREATE TYPE @extschema@.api_source_config AS (
    id uuid, source_product text, source_type text, enabled boolean, config jsonb,
    created_at text, updated_at text, status text);
COMMENT ON TYPE @extschema@.api_source_config IS
'the JSON shape of a source config in API responses';

-- A source config as the API shows it.  The row-to-JSON helpers have no SET
-- search_path and no FROM clause, so that the planner inlines them: their
-- bodies are fully qualified and use no operators.
CREATE FUNCTION @extschema@.source_config_json(c @extschema@.source_configs)
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
CREATE FUNCTION @extschema@.check_source(source_product text, source_type text)
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
CREATE FUNCTION @extschema@.check_config(config jsonb)
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
CREATE FUNCTION @extschema@.source_configs_list(
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
CREATE FUNCTION @extschema@.source_config_get(team_id bigint, id uuid)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.source_config_json(c) INTO result
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
CREATE FUNCTION @extschema@.source_config_create(
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
CREATE FUNCTION @extschema@.source_config_update(
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
CREATE FUNCTION @extschema@.source_config_delete(team_id bigint, id uuid)
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
-- scout/scratchpad/: the scouts' memory, one entry per (team, key).

CREATE TYPE @extschema@.api_scratchpad_entry AS (
    key text, content text, created_at text, updated_at text, created_by_run_id uuid);
COMMENT ON TYPE @extschema@.api_scratchpad_entry IS
'the JSON shape of a scratchpad entry in API responses';

-- A scratchpad entry as the API shows it (inlinable, like source_config_json).
CREATE FUNCTION @extschema@.scratchpad_json(e @extschema@.scratchpad)
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
CREATE FUNCTION @extschema@.scratchpad_list(
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
CREATE FUNCTION @extschema@.scratchpad_upsert(
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
       SET content = excluded.content, updated_at = pg_catalog.now()
    RETURNING * INTO written;
    RETURN @extschema@.scratchpad_json(written);
END
$$;
COMMENT ON FUNCTION @extschema@.scratchpad_upsert(bigint, text, text, uuid) IS
'write a scratchpad entry keyed on (team, key); an existing entry keeps its created_by_run_id';

CREATE TYPE @extschema@.api_forget AS (deleted boolean);
COMMENT ON TYPE @extschema@.api_forget IS
'the JSON shape of POST scout/scratchpad/forget/';

-- POST scout/scratchpad/forget/: delete an entry by key.
CREATE FUNCTION @extschema@.scratchpad_forget(team_id bigint, key text)
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
CREATE FUNCTION @extschema@.set_scout_config(
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
           updated_at = pg_catalog.now()
    RETURNING c.id INTO config_id;
    RETURN config_id;
END
$$;
COMMENT ON FUNCTION @extschema@.set_scout_config(bigint, text, boolean, boolean) IS
'create or change the scout config of a skill; emit = false makes its runs dry runs; NULL arguments keep the current value';

-- Create a run of a configured skill; returns the run id.
CREATE FUNCTION @extschema@.create_scout_run(
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
CREATE FUNCTION @extschema@.locked_scout_run_status(team_id bigint, run_id uuid)
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
CREATE FUNCTION @extschema@.start_scout_run(team_id bigint, run_id uuid)
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
CREATE FUNCTION @extschema@.finish_scout_run(
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

CREATE TYPE @extschema@.api_scout_run AS (
    run_id uuid, skill_name text, skill_version integer, status text, started_at text,
    completed_at text, task_id text, task_run_id text, task_url text, summary text,
    created_at text, emitted_count integer, emitted_finding_ids text[], error text);
COMMENT ON TYPE @extschema@.api_scout_run IS
'the JSON shape of a scout run in API responses';

-- A run as the API shows it (inlinable, like source_config_json).
CREATE FUNCTION @extschema@.scout_run_json(r @extschema@.scout_runs)
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
CREATE FUNCTION @extschema@.scout_runs_list(
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
CREATE FUNCTION @extschema@.scout_run_get(team_id bigint, run_id uuid)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.scout_run_json(r) INTO result
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
CREATE FUNCTION @extschema@.wake_worker()
RETURNS void
AS 'MODULE_PATHNAME', 'signals_wake_worker'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wake_worker() IS
'ask the background workers to look at the queues as soon as this transaction commits (no-op without the preloaded library)';

-- Raise the API's validation error unless value is in [0, 1].
CREATE FUNCTION @extschema@.check_unit_interval(field text, value double precision)
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
CREATE FUNCTION @extschema@.check_dedupe_keys(dedupe_keys text[])
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
CREATE FUNCTION @extschema@.enqueue_signal(
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
END
$$;
COMMENT ON FUNCTION @extschema@.enqueue_signal(bigint, text, text, text, text, double precision, jsonb, text[], uuid) IS
'store a validated signal in its team''s queue and wake the workers; application signals are stored once per (product, type, source id)';

-- Why an emit from this source would be skipped right now, or NULL.
CREATE FUNCTION @extschema@.emit_gate(team_id bigint, source_product text, source_type text)
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
CREATE FUNCTION @extschema@.emit_signal(
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
    RETURN pg_catalog.row_to_json(r)
      FROM (SELECT queued.inserted AS emitted, queued.signal_id,
                   CASE WHEN NOT queued.inserted THEN 'duplicate' END AS skipped_reason) r;
END
$$;
COMMENT ON FUNCTION @extschema@.emit_signal(bigint, text, text, text, text, double precision, jsonb, text[]) IS
'emit a signal from an application: validated, queued for grouping when the caller commits, skipped (with a reason) when AI processing is not approved, the source is disabled, or the same (product, type, source id) was already emitted';

CREATE TYPE @extschema@.api_emit AS (finding_id text, emitted boolean, skipped_reason text);
COMMENT ON TYPE @extschema@.api_emit IS
'the JSON shape of POST scout/runs/:id/emit-signal/';

-- POST scout/runs/:id/emit-signal/: emit a finding of an in-progress scout run.
CREATE FUNCTION @extschema@.scout_emit(
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
    RETURN pg_catalog.row_to_json(ROW(finding_id, true, NULL)::@extschema@.api_emit);
END
$$;
COMMENT ON FUNCTION @extschema@.scout_emit(bigint, uuid, text, double precision, double precision, jsonb, text, text, text[], jsonb, text, text) IS
'emit a finding of an in-progress scout run as a signals_scout/cross_source_issue signal; not idempotent: every call emits';
-- reports/: the inbox.  Listing with filters and ordering, retrieval, the
-- state machine, deletion, artefacts and the signals of a report.

-- Whether the viewer is a suggested reviewer of the report (never for failed
-- reports, nor for ready ones judged not actionable).  Inlinable.
CREATE FUNCTION @extschema@.is_suggested_reviewer(r @extschema@.reports, viewer uuid)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.array_position(r.suggested_reviewers, viewer) IS NOT NULL
           AND r.status_rank OPERATOR(pg_catalog.<>) ALL ('{1,6}'::smallint[])
$$;
COMMENT ON FUNCTION @extschema@.is_suggested_reviewer(@extschema@.reports, uuid) IS
'whether the viewer appears in the report''s newest suggested_reviewers artefact (false for failed, and for ready + not_actionable)';

CREATE TYPE @extschema@.api_report AS (
    id uuid, title text, summary text, status text, total_weight double precision,
    signal_count integer, signals_at_run integer, created_at text, updated_at text,
    artefact_count integer, priority text, actionability text, already_addressed boolean,
    is_suggested_reviewer boolean, source_products text[], implementation_pr_url text);
COMMENT ON TYPE @extschema@.api_report IS
'the JSON shape of a report in API responses';

-- A report as the API shows it, for the given viewer.  Inlinable (no SET, no
-- FROM): lists build it for every row of a page.
CREATE FUNCTION @extschema@.report_api(r @extschema@.reports, viewer uuid)
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

CREATE FUNCTION @extschema@.report_json(r @extschema@.reports, viewer uuid)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(@extschema@.report_api(r, viewer))
$$;
COMMENT ON FUNCTION @extschema@.report_json(@extschema@.reports, uuid) IS
'a report as the API shows it to the viewer';

-- The report row, locked when for_update, unless it is missing or deleted (404).
CREATE FUNCTION @extschema@.live_report(team_id bigint, report_id uuid, for_update boolean DEFAULT false)
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
CREATE FUNCTION @extschema@.comma_list(value text)
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
CREATE FUNCTION @extschema@.report_order_by(ordering text)
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
CREATE FUNCTION @extschema@.reports_list(
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
                               'is_suggested_reviewer', '@extschema@.is_suggested_reviewer(r, $1)'),
            source);
    END IF;
    EXECUTE pg_catalog.format(
        '%sSELECT coalesce(pg_catalog.json_agg(@extschema@.report_json(r, $1) ORDER BY page.n), ''[]'')
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
CREATE FUNCTION @extschema@.report_get(team_id bigint, report_id uuid, viewer uuid DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result json;
BEGIN
    SELECT @extschema@.report_json(r, viewer) INTO result
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

-- Move a report to another state, enforcing the state machine; returns the
-- updated row.  The single place where report statuses change.
CREATE FUNCTION @extschema@.report_transition(
    team_id bigint,
    report_id uuid,
    to_status text,
    snooze_for integer DEFAULT NULL,
    title text DEFAULT NULL,
    summary text DEFAULT NULL,
    error text DEFAULT NULL)
RETURNS @extschema@.reports
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reports := @extschema@.live_report(team_id, report_id, true);
    from_status text := r.status;
    allowed boolean;
BEGIN
    allowed := CASE to_status
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
    -- Out of suppression only back to where the report was (or to potential);
    -- research that was under way when it was suppressed starts over from
    -- candidate, since whoever was doing it has let go.
    IF from_status OPERATOR(pg_catalog.=) 'suppressed'
       AND to_status OPERATOR(pg_catalog.<>) ALL ('{potential,deleted}'::text[]) THEN
        allowed := to_status IS NOT DISTINCT FROM
                   CASE r.status_before_suppression WHEN 'in_progress' THEN 'candidate'
                                                    ELSE r.status_before_suppression END;
    END IF;
    IF NOT allowed THEN
        RAISE EXCEPTION 'cannot move a report from % to %', from_status, coalesce(to_status, 'NULL')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_status OPERATOR(pg_catalog.=) 'ready' AND from_status OPERATOR(pg_catalog.=) 'in_progress'
       AND (@extschema@.is_blank(coalesce(title, r.title)) OR @extschema@.is_blank(coalesce(summary, r.summary))) THEN
        RAISE EXCEPTION 'a report needs a title and a summary to be ready'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF snooze_for IS NOT NULL AND (snooze_for OPERATOR(pg_catalog.<) 1 OR snooze_for OPERATOR(pg_catalog.>) 100000) THEN
        RAISE EXCEPTION 'snooze_for must be between 1 and 100000'
            USING ERRCODE = 'numeric_value_out_of_range', COLUMN = 'snooze_for';
    END IF;

    UPDATE @extschema@.reports x
       SET status = to_status,
           status_before_suppression = CASE WHEN to_status OPERATOR(pg_catalog.=) 'suppressed'
                                            THEN from_status END,
           title = coalesce(report_transition.title, x.title),
           summary = coalesce(report_transition.summary, x.summary),
           error = CASE WHEN to_status OPERATOR(pg_catalog.=) ANY ('{failed,pending_input}'::text[])
                        THEN coalesce(report_transition.error, x.error) END,
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
           claimed_by = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN x.claimed_by END,
           claimed_at = CASE WHEN to_status OPERATOR(pg_catalog.=) 'in_progress' THEN x.claimed_at END,
           updated_at = pg_catalog.now()
     WHERE x.team_id OPERATOR(pg_catalog.=) r.team_id
       AND x.id OPERATOR(pg_catalog.=) r.id
    RETURNING * INTO r;
    IF to_status OPERATOR(pg_catalog.=) 'candidate' THEN
        PERFORM pg_catalog.pg_notify('signals_candidates', team_id::text);
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.report_transition(bigint, uuid, text, integer, text, text, text) IS
'move a report along the state machine (SPEC.md): refused moves raise object_not_in_prerequisite_state (409 over HTTP)';

-- POST reports/:id/state/: suppress, snooze (potential) or resolve a report.
CREATE FUNCTION @extschema@.report_set_state(
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
    target text := state;
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
    -- Un-suppressing without a snooze restores the state before suppression
    -- (research under way is queued again as a candidate).
    IF state OPERATOR(pg_catalog.=) 'potential' AND r.status OPERATOR(pg_catalog.=) 'suppressed'
       AND snooze_for IS NULL THEN
        target := CASE coalesce(r.status_before_suppression, 'potential')
                      WHEN 'in_progress' THEN 'candidate'
                      ELSE coalesce(r.status_before_suppression, 'potential') END;
    END IF;
    r := @extschema@.report_transition(team_id, report_id, target, snooze_for);
    RETURN @extschema@.report_json(r, viewer);
END
$$;
COMMENT ON FUNCTION @extschema@.report_set_state(bigint, uuid, text, integer, uuid) IS
'suppress a report, snooze it back to potential for snooze_for more signals, un-suppress it, or resolve it';

CREATE TYPE @extschema@.api_deletion AS (status text, report_id uuid);
COMMENT ON TYPE @extschema@.api_deletion IS
'the JSON shape of DELETE reports/:id/';

-- DELETE reports/:id/
CREATE FUNCTION @extschema@.report_delete(team_id bigint, report_id uuid)
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

CREATE TYPE @extschema@.api_artefact AS (id uuid, type text, content jsonb, created_at text);
COMMENT ON TYPE @extschema@.api_artefact IS
'the JSON shape of a report artefact in API responses';

-- An artefact as the API shows it.  Inlinable.
CREATE FUNCTION @extschema@.artefact_json(a @extschema@.report_artefacts)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.row_to_json(ROW(a.id, a.type, a.content,
                                      @extschema@.iso_time(a.created_at))::@extschema@.api_artefact)
$$;
COMMENT ON FUNCTION @extschema@.artefact_json(@extschema@.report_artefacts) IS
'a report artefact as the API shows it';

-- GET reports/:id/artefacts/: newest first.
CREATE FUNCTION @extschema@.report_artefacts_list(
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

CREATE TYPE @extschema@.api_signal AS (
    id uuid, source_product text, source_type text, source_id text, description text,
    weight double precision, extra jsonb, dedupe_keys text[], run_id uuid, created_at text,
    grouped_at text, match_method text, match_score real, match_detail jsonb);
COMMENT ON TYPE @extschema@.api_signal IS
'the JSON shape of a signal, with how it joined its report, in API responses';

-- A signal with its match evidence, as GET reports/:id/signals/ shows it.  Inlinable.
CREATE FUNCTION @extschema@.signal_api(s @extschema@.signals)
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

CREATE TYPE @extschema@.api_report_signals AS (report @extschema@.api_report, signals @extschema@.api_signal[]);
COMMENT ON TYPE @extschema@.api_report_signals IS
'the JSON shape of GET reports/:id/signals/';

-- GET reports/:id/signals/: the report and its signals in arrival order.
CREATE FUNCTION @extschema@.report_signals(
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
               ARRAY(SELECT @extschema@.signal_api(s)
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
CREATE FUNCTION @extschema@.refresh_artefact_fields(team_id bigint, report_id uuid)
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

CREATE FUNCTION @extschema@.artefacts_changed()
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

CREATE TRIGGER artefacts_changed
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.report_artefacts
    FOR EACH ROW EXECUTE FUNCTION @extschema@.artefacts_changed();

-- Write an artefact for a report (research agents, the summarizer, people).
CREATE FUNCTION @extschema@.add_artefact(team_id bigint, report_id uuid, type text, content jsonb)
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
CREATE FUNCTION @extschema@.first_line(value text, max_chars integer)
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
CREATE FUNCTION @extschema@.summarize_report(team_id bigint, report_id uuid)
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
CREATE FUNCTION @extschema@.summarize_candidates(team_id bigint, max_reports integer DEFAULT 100)
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
-- or NULL when there is nothing to claim.  Agents LISTEN on signals_candidates.
CREATE FUNCTION @extschema@.claim_candidate(agent text, team_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    picked record;
BEGIN
    PERFORM @extschema@.check_text_field('agent', agent, 200);
    SELECT r.team_id, r.id INTO picked
      FROM @extschema@.reports r
     WHERE r.status OPERATOR(pg_catalog.=) 'candidate'
       AND (claim_candidate.team_id IS NULL OR r.team_id OPERATOR(pg_catalog.=) claim_candidate.team_id)
     ORDER BY r.promoted_at, r.team_id, r.id
     LIMIT 1
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM @extschema@.report_transition(picked.team_id, picked.id, 'in_progress');
    UPDATE @extschema@.reports r
       SET claimed_by = agent, claimed_at = pg_catalog.now()
     WHERE r.team_id OPERATOR(pg_catalog.=) picked.team_id
       AND r.id OPERATOR(pg_catalog.=) picked.id;
    RETURN pg_catalog.row_to_json(x)
      FROM (SELECT picked.team_id,
                   @extschema@.report_signals(picked.team_id, picked.id) AS claimed) x;
END
$$;
COMMENT ON FUNCTION @extschema@.claim_candidate(text, bigint) IS
'claim the oldest candidate report for an external research agent (candidate -> in_progress); NULL when none is waiting';

-- External research: give back claims an agent has held too long (it died, or
-- lost its connection), so that the reports are candidates again.
CREATE FUNCTION @extschema@.release_stale_claims(max_age interval DEFAULT '1 hour')
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
CREATE FUNCTION @extschema@.finish_research(
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
        r := @extschema@.report_transition(team_id, report_id, 'potential', title => title, summary => summary);
        UPDATE @extschema@.reports x SET total_weight = 0
         WHERE x.team_id OPERATOR(pg_catalog.=) r.team_id AND x.id OPERATOR(pg_catalog.=) r.id
        RETURNING * INTO r;
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
CREATE FUNCTION @extschema@.process_next_team(
    after_team bigint,
    max_signals integer,
    OUT team_id bigint,
    OUT grouped integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
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
    IF process_next_team.team_id IS NULL THEN
        grouped := 0;
        RETURN;
    END IF;
    -- A row some session keeps locked must not hold up every team.
    PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
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
CREATE FUNCTION @extschema@.process_pending(max_signals integer DEFAULT NULL)
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
-- Grouping: how queued signals become reports (src/grouping.c and friends).
-- Five tables hold the engine's state, all keyed by team first:
--   grouping_state, grouping_df   the team's document-frequency sketch;
--   grouping_reports              each report's feature profile;
--   grouping_postings             the candidate index: feature -> reports;
--   grouping_dedupe               dedupe key -> reports that carried it.
-- They are derived from the signals, and grouping_rebuild(team) rebuilds
-- them from the stored signals (after an engine change in feature
-- extraction, or a restore without them); pg_dump still keeps them
-- (pg_extension_config_dump) so that a restore groups on at once.  Postings and dedupe rows have no foreign key (one
-- check per row would halve grouping throughput): rows of reports that are
-- gone are skipped when read and removed by grouping_prune().

CREATE TABLE @extschema@.grouping_state (
    team_id     bigint PRIMARY KEY REFERENCES @extschema@.teams ON DELETE CASCADE,
    n_docs      integer NOT NULL DEFAULT 0,
    total_docs  bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.grouping_state IS
'per-team grouping state: how many signals the document-frequency sketch counts (halved on decay) and has ever counted';

CREATE TABLE @extschema@.grouping_df (
    team_id  bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    page     integer NOT NULL,
    counts   bytea NOT NULL,
    PRIMARY KEY (team_id, page)
);
COMMENT ON TABLE @extschema@.grouping_df IS
'per-team document frequencies of signal features: a count-min sketch stored as pages of 512 little-endian 16-bit counters';

CREATE TABLE @extschema@.grouping_reports (
    team_id         bigint NOT NULL,
    report_id       uuid NOT NULL,
    last_signal_at  timestamptz NOT NULL,
    n_signals       integer NOT NULL,
    profile         bytea NOT NULL,
    PRIMARY KEY (team_id, report_id),
    FOREIGN KEY (team_id, report_id)
        REFERENCES @extschema@.reports (team_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.grouping_reports IS
'a report''s feature profile (features of its signals with how many carried each) and when its newest signal arrived';

CREATE TABLE @extschema@.grouping_postings (
    team_id    bigint NOT NULL,
    feature    bigint NOT NULL,
    report_id  uuid NOT NULL,
    PRIMARY KEY (team_id, feature, report_id)
);
COMMENT ON TABLE @extschema@.grouping_postings IS
'candidate index: for a feature hash, the reports whose signals carried it among their heaviest features (newest report first by id)';

CREATE TABLE @extschema@.grouping_dedupe (
    team_id       bigint NOT NULL,
    key_hash      bigint NOT NULL,
    report_id     uuid NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    PRIMARY KEY (team_id, key_hash, report_id)
);
COMMENT ON TABLE @extschema@.grouping_dedupe IS
'dedupe index: for a dedupe key hash, the reports whose signals carried it and when the newest of them arrived';


-- Group up to max_signals of the team's queued signals; returns how many.
CREATE FUNCTION @extschema@.group_pending(team_id bigint, max_signals integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'signals_group_pending'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.group_pending(bigint, integer) IS
'assign up to max_signals of the team''s queued signals, in arrival order, to reports (dedupe key, else text similarity, else a new potential report); returns how many were grouped, 0 at once when another session is grouping the team';
REVOKE ALL ON FUNCTION @extschema@.group_pending(bigint, integer) FROM PUBLIC;

-- The features grouping sees in a text, weighed with the team's frequencies.
CREATE FUNCTION @extschema@.grouping_features(description text, team_id bigint DEFAULT NULL)
RETURNS TABLE (feature text, kind text, df integer, weight real)
AS 'MODULE_PATHNAME', 'signals_grouping_features'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.grouping_features(text, bigint) IS
'the words, phrases and error signatures grouping extracts from a text, with their document frequency and weight in the team (or in an empty team when team_id is null); grouping also caps the weight by the frequency within the signal''s source, which this function does not know';

-- How similar b is to a report made of a alone, as grouping scores it.
CREATE FUNCTION @extschema@.signal_similarity(a text, b text, team_id bigint DEFAULT NULL)
RETURNS real
AS 'MODULE_PATHNAME', 'signals_signal_similarity'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.signal_similarity(text, text, bigint) IS
'the score (0..1, evidence / (evidence + 10)) grouping would give text b against a report holding only text a, with the team''s feature weights; compare with signals.similarity_threshold';

-- Rebuild the team's grouping tables from its stored signals.
CREATE FUNCTION @extschema@.grouping_rebuild(team_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'signals_grouping_rebuild'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.grouping_rebuild(bigint) IS
'rebuild the team''s grouping tables (document-frequency sketch, report profiles, candidate and dedupe indexes) by replaying its grouped signals of live reports in arrival order into the reports they are in; reports and assignments do not change; returns how many signals were replayed';
REVOKE ALL ON FUNCTION @extschema@.grouping_rebuild(bigint) FROM PUBLIC;

-- Remove grouping index rows that can no longer match.
CREATE FUNCTION @extschema@.grouping_prune(team_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    horizon timestamptz := pg_catalog.now() OPERATOR(pg_catalog.-)
        pg_catalog.make_interval(days => pg_catalog.current_setting('signals.grouping_window_days')::integer);
    gone bigint := 0;
    n bigint;
BEGIN
    -- profiles of deleted reports and of reports without a signal in the window
    DELETE FROM @extschema@.grouping_reports g
     USING @extschema@.reports r
     WHERE g.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND r.team_id OPERATOR(pg_catalog.=) g.team_id
       AND r.id OPERATOR(pg_catalog.=) g.report_id
       AND (r.status OPERATOR(pg_catalog.=) 'deleted'
            OR g.last_signal_at OPERATOR(pg_catalog.<) horizon);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    -- index rows of reports without a profile
    DELETE FROM @extschema@.grouping_postings p
     WHERE p.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND NOT EXISTS (SELECT FROM @extschema@.grouping_reports g
                        WHERE g.team_id OPERATOR(pg_catalog.=) p.team_id
                          AND g.report_id OPERATOR(pg_catalog.=) p.report_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    gone := gone OPERATOR(pg_catalog.+) n;
    DELETE FROM @extschema@.grouping_dedupe k
     WHERE k.team_id OPERATOR(pg_catalog.=) grouping_prune.team_id
       AND (k.last_seen_at OPERATOR(pg_catalog.<) horizon
            OR NOT EXISTS (SELECT FROM @extschema@.reports r
                            WHERE r.team_id OPERATOR(pg_catalog.=) k.team_id
                              AND r.id OPERATOR(pg_catalog.=) k.report_id
                              AND r.status OPERATOR(pg_catalog.<>) 'deleted'));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN gone OPERATOR(pg_catalog.+) n;
END
$$;
COMMENT ON FUNCTION @extschema@.grouping_prune(bigint) IS
'delete the team''s grouping index rows for deleted reports and reports without a signal in the window (also after the team itself was deleted); returns how many rows went';
REVOKE ALL ON FUNCTION @extschema@.grouping_prune(bigint) FROM PUBLIC;
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
-- provider its own SET search_path), TimeZone = UTC, and the privileges of
-- the caller (the extension owner when the call comes through http_handle).
-- Registering is therefore for DBAs only.  A provider orders its lists stably
-- (the builder keeps that order, only cutting at max_items); a list of strings is
-- a set and is sorted.  Timestamps may be any dated ISO 8601 text or a
-- to_json(timestamptz) and are rewritten by signals.iso_time().

-- The version of the builder: the cache serves rows of this version only.
-- Change it whenever the payload's shape or content rules change.
CREATE FUNCTION @extschema@.profile_source_version()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'signals-profile-v1'::text
$$;
COMMENT ON FUNCTION @extschema@.profile_source_version() IS
'the project profile builder''s version, stored as source_version; cached rows of another version are never served';

-- The cache lifetime (setting signals.profile_ttl, default one hour).
CREATE FUNCTION @extschema@.profile_ttl()
RETURNS interval
AS 'MODULE_PATHNAME', 'signals_profile_ttl'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_ttl() IS
'how long a built project profile stays fresh: the signals.profile_ttl setting (default 1h) as an interval';

CREATE TABLE @extschema@.profile_sections (
    section    text PRIMARY KEY,
    position   integer NOT NULL UNIQUE,
    owner      text NOT NULL
               CHECK (owner OPERATOR(pg_catalog.=) ANY ('{extension,provider}'::text[])),
    shape      json NOT NULL,
    empty      json,
    max_items  integer CHECK (max_items OPERATOR(pg_catalog.>) 0),
    CHECK ((owner OPERATOR(pg_catalog.=) 'provider') OPERATOR(pg_catalog.=) (empty IS NOT NULL))
);
COMMENT ON TABLE @extschema@.profile_sections IS
'the project profile''s sections in payload order: who builds each, its shape, its empty value and the cap on its list';
COMMENT ON COLUMN @extschema@.profile_sections.shape IS
'the section''s shape, keys in payload order: an object maps keys to shapes, a one-element array is a list of that shape, and a leaf names a type (string, integer, boolean, timestamp; a trailing ? allows null); a list of strings is a set, sorted and deduplicated';
COMMENT ON COLUMN @extschema@.profile_sections.max_items IS
'a provider''s list is cut to its first max_items entries (NULL: no cap)';
GRANT SELECT ON @extschema@.profile_sections TO PUBLIC;

-- The reference's sections and shapes; limits as in PostHog's builder.
INSERT INTO @extschema@.profile_sections (section, position, owner, shape, empty, max_items) VALUES
('project_context', 10, 'extension',
 '{"product_description":"string?","app_urls":["string"]}', NULL, NULL),
('products_in_use', 20, 'provider', '["string"]', '[]', NULL),
('product_intents', 30, 'provider',
 '[{"product_type":"string","activated_at":"timestamp?","created_at":"timestamp?"}]', '[]', NULL),
('integrations', 40, 'provider',
 '[{"kind":"string","created_at":"timestamp?"}]', '[]', NULL),
('external_data_sources', 50, 'provider',
 '[{"source_type":"string","status":"string","prefix":"string","created_at":"timestamp?"}]', '[]', NULL),
('signal_source_configs', 60, 'extension',
 '{"enabled":[{"source_product":"string","source_type":"string"}],"disabled":[{"source_product":"string","source_type":"string"}]}',
 NULL, NULL),
('emit_eligibility', 70, 'extension',
 '{"ai_processing_approved":"boolean","source_enabled":"boolean","can_emit":"boolean","remediation":"string?"}',
 NULL, NULL),
('existing_inbox_reports', 80, 'extension',
 '{"total":"integer","by_status":[{"status":"string","count":"integer"}]}', NULL, NULL),
('recent_activity', 90, 'provider',
 '{"window_days":"integer","by_scope":[{"scope":"string","edits":"integer","users":"integer","last_edit":"timestamp?"}]}',
 '{"window_days":14,"by_scope":[]}', 20),
('recent_dashboards', 100, 'provider',
 '[{"id":"integer","name":"string","last_accessed_at":"timestamp?","last_refresh":"timestamp?","created_at":"timestamp?"}]',
 '[]', 20),
('recent_surveys', 110, 'provider',
 '{"total_count":"integer","active_count":"integer","recent":[{"id":"string","name":"string","type":"string","status":"string","updated_at":"timestamp?"}]}',
 '{"total_count":0,"active_count":0,"recent":[]}', 5),
('recent_feature_flags', 120, 'provider',
 '{"total_count":"integer","active_count":"integer","recent":[{"id":"integer","key":"string","name":"string","active":"boolean","updated_at":"timestamp?"}]}',
 '{"total_count":0,"active_count":0,"recent":[]}', 5),
('recent_experiments', 130, 'provider',
 '{"total_count":"integer","running_count":"integer","recent":[{"id":"integer","name":"string","status":"string","feature_flag_key":"string?","updated_at":"timestamp?"}]}',
 '{"total_count":0,"running_count":0,"recent":[]}', 5),
('recent_alerts', 140, 'provider',
 '{"total_count":"integer","enabled_count":"integer","recent":[{"id":"string","name":"string","enabled":"boolean","state":"string","calculation_interval":"string?","insight_id":"integer?","created_at":"timestamp?"}]}',
 '{"total_count":0,"enabled_count":0,"recent":[]}', 5),
('recent_hog_functions', 150, 'provider',
 '{"total_count":"integer","enabled_count":"integer","recent":[{"id":"string","name":"string","type":"string?","kind":"string?","enabled":"boolean","updated_at":"timestamp?"}]}',
 '{"total_count":0,"enabled_count":0,"recent":[]}', 5),
('recent_hog_flows', 160, 'provider',
 '{"total_count":"integer","active_count":"integer","recent":[{"id":"string","name":"string","status":"string","updated_at":"timestamp?"}]}',
 '{"total_count":0,"active_count":0,"recent":[]}', 5),
('recent_notebooks', 170, 'provider',
 '{"total_count":"integer","recent":[{"short_id":"string","title":"string","last_modified_at":"timestamp?"}]}',
 '{"total_count":0,"recent":[]}', 5),
('recent_cohorts', 180, 'provider',
 '{"total_count":"integer","recent":[{"id":"integer","name":"string","is_static":"boolean","count":"integer?","created_at":"timestamp?"}]}',
 '{"total_count":0,"recent":[]}', 5),
('recent_actions', 190, 'provider',
 '{"total_count":"integer","recent":[{"id":"integer","name":"string","updated_at":"timestamp?"}]}',
 '{"total_count":0,"recent":[]}', 5),
('top_events', 200, 'provider',
 '[{"event":"string","count":"integer","distinct_users":"integer","recent_24h_count":"integer","recent_24h_users":"integer","first_seen":"timestamp?","last_seen":"timestamp?"}]',
 '[]', 50);

CREATE TABLE @extschema@.profile_providers (
    section          text PRIMARY KEY REFERENCES @extschema@.profile_sections,
    provider_schema  text NOT NULL,
    provider_name    text NOT NULL,
    registered_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by    text NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE @extschema@.profile_providers IS
'the function that fills each host-application section of the project profile: schema.name(team_id bigint) returning json or jsonb; global, not per team';
GRANT SELECT ON @extschema@.profile_providers TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.profile_providers', '');

-- A JSON array of the given elements, in their order, without whitespace.
CREATE FUNCTION @extschema@.compact_json_array(items json[])
RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ('[' OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_to_string(items, ','), '')
            OPERATOR(pg_catalog.||) ']')::json
$$;
COMMENT ON FUNCTION @extschema@.compact_json_array(json[]) IS
'the elements as one JSON array with no whitespace (json_agg would add spaces); NULL gives []';

-- The advisory lock key of a team's profile builds (with class 0x5191A1A6).
CREATE FUNCTION @extschema@.profile_lock_key(team_id bigint)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN team_id OPERATOR(pg_catalog.>=) -2147483648
                 AND team_id OPERATOR(pg_catalog.<=) 2147483647
                THEN team_id::integer
                ELSE pg_catalog.hashint8(team_id) END
$$;
COMMENT ON FUNCTION @extschema@.profile_lock_key(bigint) IS
'the second half of the advisory lock key that serialises a team''s profile builds: the team id, or its hash beyond 32 bits';

-- Check a provider's output against a shape and write it in the shape's key order.
CREATE FUNCTION @extschema@.profile_conform(shape json, value jsonb, path text, max_items integer DEFAULT NULL)
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
CREATE FUNCTION @extschema@.register_profile_provider(section text, provider regprocedure)
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
    SELECT n.nspname, p.proname, p.pronargs, p.proargtypes, p.prorettype, p.proretset, p.prokind
      INTO fn
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
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
    INSERT INTO @extschema@.profile_providers AS pp (section, provider_schema, provider_name)
    VALUES (sec.section, fn.nspname, fn.proname)
    ON CONFLICT ON CONSTRAINT profile_providers_pkey DO UPDATE
       SET provider_schema = excluded.provider_schema,
           provider_name = excluded.provider_name,
           registered_at = pg_catalog.now(),
           registered_by = CURRENT_USER;
    PERFORM @extschema@.expire_project_profiles();
END
$$;
COMMENT ON FUNCTION @extschema@.register_profile_provider(text, regprocedure) IS
'make a function (team_id bigint) returning json or jsonb the provider of a project profile section, replacing any other; expires every cached profile';
REVOKE ALL ON FUNCTION @extschema@.register_profile_provider(text, regprocedure) FROM PUBLIC;

-- Remove the provider of a section (DBA only).
CREATE FUNCTION @extschema@.unregister_profile_provider(section text)
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
CREATE FUNCTION @extschema@.expire_project_profiles()
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
CREATE FUNCTION @extschema@.profile_project_context(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
      FROM (SELECT CASE WHEN @extschema@.is_blank(s.product_description) THEN NULL
                        ELSE pg_catalog.btrim(s.product_description, E' \t\n\r\x0B\f') END
                       AS product_description,
                   ARRAY(SELECT u.url
                           FROM pg_catalog.unnest(s.app_urls) WITH ORDINALITY u(url, n)
                          WHERE NOT coalesce(@extschema@.is_blank(u.url), true)
                          ORDER BY u.n) AS app_urls
              FROM (SELECT) one
              LEFT JOIN @extschema@.team_settings s
                     ON s.team_id OPERATOR(pg_catalog.=) $1) r
$$;
COMMENT ON FUNCTION @extschema@.profile_project_context(bigint) IS
'profile section project_context: the trimmed product description (null when blank) and the non-blank app URLs in their order';

-- Section signal_source_configs: sources split by their enabled flag.
CREATE FUNCTION @extschema@.profile_signal_source_configs(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
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
                     WHERE sc.team_id OPERATOR(pg_catalog.=) $1) c) r
$$;
COMMENT ON FUNCTION @extschema@.profile_signal_source_configs(bigint) IS
'profile section signal_source_configs: {enabled, disabled} lists of {source_product, source_type}, by product then type';

-- Section emit_eligibility: whether a scout's findings can reach the inbox.
CREATE FUNCTION @extschema@.profile_emit_eligibility(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
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
                                          AND NOT c.enabled) AS source_enabled) g) r
$$;
COMMENT ON FUNCTION @extschema@.profile_emit_eligibility(bigint) IS
'profile section emit_eligibility: AI processing approval, whether signals_scout/cross_source_issue is enabled (unless a config disables it), and the first failing gate';

-- Section existing_inbox_reports: live reports by status.
CREATE FUNCTION @extschema@.profile_existing_inbox_reports(team_id bigint)
RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.row_to_json(r)
      FROM (SELECT coalesce(pg_catalog.sum(g.count), 0)::bigint AS total,
                   @extschema@.compact_json_array(
                       pg_catalog.array_agg(pg_catalog.row_to_json(g) ORDER BY g.status COLLATE "C"))
                       AS by_status
              FROM (SELECT rp.status, pg_catalog.count(*) AS count
                      FROM @extschema@.reports rp
                     WHERE rp.team_id OPERATOR(pg_catalog.=) $1
                       AND rp.status OPERATOR(pg_catalog.<>) ALL ('{deleted,suppressed}'::text[])
                     GROUP BY rp.status) g) r
$$;
COMMENT ON FUNCTION @extschema@.profile_existing_inbox_reports(bigint) IS
'profile section existing_inbox_reports: {total, by_status} over the team''s reports that are neither deleted nor suppressed, statuses in alphabetical order';

-- Build a team's profile payload from the database (no caching).
CREATE FUNCTION @extschema@.project_profile_build(team_id bigint)
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
                      p.provider_schema, p.provider_name
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
        ELSIF sec.provider_name IS NOT NULL THEN
            -- The function is found by name at each build: it may have been
            -- dropped, or re-created with another signature, since it was registered.
            SELECT p.oid::pg_catalog.regprocedure::text AS signature, p.prorettype, p.proretset, p.prokind
              INTO fn
              FROM pg_catalog.pg_proc p
             WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(
                       pg_catalog.format('%I.%I(bigint)', sec.provider_schema, sec.provider_name));
            IF NOT FOUND THEN
                reason := pg_catalog.format('provider %I.%I(bigint) does not exist',
                                            sec.provider_schema, sec.provider_name);
            ELSIF fn.prokind OPERATOR(pg_catalog.<>) 'f' OR fn.proretset
                  OR NOT fn.prorettype OPERATOR(pg_catalog.=) ANY
                         (ARRAY['pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype]::oid[]) THEN
                reason := pg_catalog.format('provider %s does not return json or jsonb', fn.signature);
            ELSE
                -- Each provider runs in its own subtransaction: its failure
                -- (and anything it wrote) is rolled back, and the build goes on.
                BEGIN
                    EXECUTE pg_catalog.format('SELECT %I.%I($1)::pg_catalog.jsonb',
                                              sec.provider_schema, sec.provider_name)
                       INTO raw USING team_id;
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
CREATE FUNCTION @extschema@.project_profile_cached(team_id bigint, fresh_only boolean)
RETURNS SETOF @extschema@.project_profiles
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.*
      FROM @extschema@.project_profiles p
     WHERE p.team_id OPERATOR(pg_catalog.=) $1
       AND p.source_version OPERATOR(pg_catalog.=) @extschema@.profile_source_version()
       AND (NOT $2 OR p.expires_at OPERATOR(pg_catalog.>) pg_catalog.now())
     ORDER BY p.computed_at DESC, p.id DESC
     LIMIT 1
$$;
COMMENT ON FUNCTION @extschema@.project_profile_cached(bigint, boolean) IS
'the team''s newest cached project profile built by the current builder version (only unexpired ones when fresh_only), or no row';

-- The team's fresh profile: the cached one, else built now (force: always built now).
CREATE FUNCTION @extschema@.project_profile_compute(team_id bigint, force boolean DEFAULT false)
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
    PERFORM pg_catalog.pg_advisory_xact_lock(1368498598, @extschema@.profile_lock_key(team_id));
    IF NOT coalesce(force, false) THEN
        SELECT * INTO built FROM @extschema@.project_profile_cached(team_id, true);
        IF FOUND THEN
            RETURN built;
        END IF;
    END IF;
    payload := @extschema@.project_profile_build(team_id);
    computed := pg_catalog.clock_timestamp();
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
'the team''s fresh project profile row: the newest unexpired row of the current version, else one built now under a per-team advisory lock (always built when force); keeps the newest 10 rows';

CREATE TYPE @extschema@.api_project_profile AS (
    profile_id uuid, computed_at text, expires_at text, source_version text, payload json);
COMMENT ON TYPE @extschema@.api_project_profile IS
'the JSON shape of GET scout/project_profile/current/';

-- A cached profile as the API shows it.  No SET search_path, so that it inlines.
CREATE FUNCTION @extschema@.project_profile_json(p @extschema@.project_profiles)
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
CREATE FUNCTION @extschema@.project_profile_current(
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
-- The REST API inside the database: one call per HTTP request.  Any HTTP front
-- (signals-gateway, PostgREST through an RPC, ...) serves the same API.

CREATE TYPE @extschema@.http_response AS (
    status   integer,
    headers  text,
    body     text
);
COMMENT ON TYPE @extschema@.http_response IS
'an HTTP response: status, header lines ("Name: value", one per line) and body (NULL for none)';

-- Serve one API request.  Runs as the extension owner: tenancy comes from the
-- API key in the Authorization header, not from the calling role.
CREATE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text DEFAULT '',
    headers jsonb DEFAULT '{}',
    body bytea DEFAULT NULL)
RETURNS @extschema@.http_response
AS 'MODULE_PATHNAME', 'signals_http_handle'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD';
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, bytea) IS
'serve one REST API request: method, path (percent-encoded), raw query string, request headers as a JSON object, raw body; returns status, header lines and body';

-- The same with a text body, for calls typed by hand in psql.
CREATE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text,
    headers jsonb,
    body text)
RETURNS @extschema@.http_response
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.http_handle($1, $2, $3, $4, pg_catalog.convert_to($5, 'UTF8'))
$$;
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) IS
'serve one REST API request with a text body (see the bytea variant)';

-- The route table, for documentation and the OpenAPI document.
CREATE FUNCTION @extschema@.routes(
    OUT method text,
    OUT path text,
    OUT scope text,
    OUT function text,
    OUT response text,
    OUT success_status integer,
    OUT summary text,
    OUT args json,
    OUT result text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'signals_routes_list'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.routes() IS
'the REST API''s routes: method, path, required scope, the domain function serving it, response kind, arguments, and the signals.api_* type of the result ("[]" for an array of it)';

-- Let a running PostgREST pick up the new functions.
NOTIFY pgrst, 'reload schema';
-- The OpenAPI 3.1 document of the REST API, generated from the route table
-- (signals.routes()) and the comments on the domain functions, so that it
-- describes every route there is without a hand-kept list.  The gateway
-- serves it at GET /api/schema/.

-- The JSON Schema of a route argument, from the type name signals.routes() gives.
CREATE FUNCTION @extschema@.openapi_arg_schema(arg_type text, nullable boolean)
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
CREATE FUNCTION @extschema@.openapi_field_schema(field name, field_type regtype)
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
CREATE FUNCTION @extschema@.openapi_response_schemas()
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
CREATE FUNCTION @extschema@.openapi_result_schema(response text, result text)
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
-- body fields, success response and the error responses every route can give.
CREATE FUNCTION @extschema@.openapi()
RETURNS json
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH route AS (
    SELECT r.method, r.path, r.scope, r.function, r.response, r.success_status,
           r.summary, r.args, r.result,
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
-- Row-level security by team on every table with a team_id column, whoever
-- added it: a role sees and writes only the rows of the teams granted to it
-- (signals.grant_team).  These tables also hold user data, so pg_dump keeps
-- them.  The API keys (which a team's scout tokens reference) are not for SQL
-- callers at all, and team_roles has its own policy (40_security.sql).

DO $$
DECLARE
    t name;
BEGIN
    FOR t IN
        SELECT c.relname
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND c.relkind OPERATOR(pg_catalog.=) 'r'
           AND a.attname OPERATOR(pg_catalog.=) 'team_id'
           AND NOT a.attisdropped
           AND c.relname OPERATOR(pg_catalog.<>) ALL ('{api_keys,team_roles}'::name[])
         ORDER BY c.relname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE pg_catalog.format(
            'CREATE POLICY team_isolation ON @extschema@.%I
                 USING (team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids()))
                 WITH CHECK (team_id OPERATOR(pg_catalog.=) ANY (@extschema@.visible_team_ids()))', t);
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.format('@extschema@.%I', t), '');
    END LOOP;
END
$$;
