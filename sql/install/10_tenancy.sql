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
    updated_at              timestamptz NOT NULL DEFAULT pg_catalog.now(),
    matching_mode           text NOT NULL DEFAULT 'engine'
                            CHECK (matching_mode OPERATOR(pg_catalog.=) ANY ('{engine,external}'::text[])),
    judge_deadline          interval NOT NULL DEFAULT '15 minutes'
                            CHECK (judge_deadline OPERATOR(pg_catalog.>) '0'::interval)
);
COMMENT ON TABLE @extschema@.team_settings IS
'per-team settings: AI processing approval (gates emits), product context for the project profile, who researches candidate reports (the built-in summarizer or an external agent), and who decides uncertain matches (the engine, or an external judge within judge_deadline)';

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
    team_id    bigint NOT NULL REFERENCES @extschema@.teams ON DELETE CASCADE,
    role_oid   oid NOT NULL,
    role_name  name NOT NULL,
    PRIMARY KEY (team_id, role_oid)
);
COMMENT ON TABLE @extschema@.team_roles IS
'database roles granted a team: members of such a role see that team''s rows through SQL and call signals_api for it';
COMMENT ON COLUMN @extschema@.team_roles.role_name IS
'the role''s name when it was granted: a row counts only while the role with role_oid has this name, so neither a dropped role''s OID taken by another role nor a dump restored into another cluster grants the team to anyone else';

-- The teams granted to roles whose privileges member has (USAGE: itself or a
-- role it inherits from; a NOINHERIT member must SET ROLE).  A grant counts only
-- while its role still has the OID and the name it had when granted.
CREATE FUNCTION @extschema@.team_ids_of_role(member oid)
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
CREATE FUNCTION @extschema@.visible_team_ids()
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
CREATE FUNCTION @extschema@.create_team(name text, team_id bigint DEFAULT NULL)
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
CREATE FUNCTION @extschema@.set_team_settings(
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
