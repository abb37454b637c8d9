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
                         @extschema@.api_scopes,
                         @extschema@.grouping_df, @extschema@.grouping_members,
                         @extschema@.grouping_postings, @extschema@.grouping_dedupe
         TO %s', role);
    -- Corrections (merge, split) lock the team's grouping_state row.
    EXECUTE pg_catalog.format(
        'GRANT SELECT, INSERT, UPDATE ON @extschema@.grouping_state TO %s', role);
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
