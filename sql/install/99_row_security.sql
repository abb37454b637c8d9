-- Row-level security by team on every table with a team_id column, whoever
-- added it: a role sees and writes only the rows of the teams granted to it
-- (signals.grant_team).  These tables also hold user data, so pg_dump keeps
-- them.  The API keys (which a team's scout tokens reference) are not for SQL
-- callers at all, and team_roles has its own policy (40_security.sql).
-- A function, not a one-off block, so that upgrade scripts call it again
-- for the tables they add.

CREATE FUNCTION @extschema@.secure_team_tables()
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

SELECT @extschema@.secure_team_tables();
