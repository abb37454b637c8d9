-- Tenancy for SQL callers: granting a team to a database role, the policies
-- of the tables that are not keyed by team, and keeping user data in pg_dump.
-- Every team-keyed table gets its row-level security in 99_row_security.sql.
-- The extension owner bypasses these policies; signals.http_handle runs as
-- the owner and enforces tenancy itself from the API key.


ALTER TABLE @extschema@.team_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_roles ON @extschema@.team_roles
    USING (pg_catalog.pg_has_role(role_oid, 'USAGE'));

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

-- Give a role, or take back from it, the privileges a granted role holds:
-- USAGE on the schema and SELECT on the tables it reads (row-level security
-- keeps it inside its teams).  No table-level INSERT, UPDATE, DELETE or
-- TRUNCATE, which would let it LOCK a shared table and stop every other
-- team: it writes through signals_api, checked like an API key's calls.
-- Taking back also removes the writes that version 0.1.0's grant_team gave.
CREATE FUNCTION @extschema@.set_team_role_privileges(role regrole, granted boolean)
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
CREATE FUNCTION @extschema@.grant_team(team_id bigint, role regrole)
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
CREATE FUNCTION @extschema@.revoke_team(team_id bigint, role regrole)
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
