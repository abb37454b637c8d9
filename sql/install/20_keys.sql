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
