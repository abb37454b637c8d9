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
-- Nothing here needs Citus to be installed: the functions look for it when
-- called.

-- Team-keyed tables that must be on every node anyway: row-level security
-- reads them across teams (visible_team_ids() and the users policy), and a
-- worker cannot query a distributed table from inside a shard's query.
CREATE FUNCTION @extschema@.citus_catalogue_tables()
RETURNS regclass[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT '{@extschema@.team_members,@extschema@.team_roles}'::regclass[]
$$;
COMMENT ON FUNCTION @extschema@.citus_catalogue_tables() IS
'team-keyed tables that signals.distribute() makes reference tables because row-level security reads them across teams';

-- How distribute() places each of the extension's tables: 'distributed' or
-- 'reference', in an order where every table comes after the tables its
-- foreign keys point at.
CREATE FUNCTION @extschema@.citus_placement(
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
CREATE FUNCTION @extschema@.citus_delegated_functions(
    OUT function_name regprocedure,
    OUT team_argument integer)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.oid::regprocedure, a.n::integer
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_depend d
        ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
       AND d.objid OPERATOR(pg_catalog.=) p.oid
       AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
       AND d.deptype OPERATOR(pg_catalog.=) 'e'
      JOIN pg_catalog.pg_extension e
        ON e.oid OPERATOR(pg_catalog.=) d.refobjid AND e.extname OPERATOR(pg_catalog.=) 'signals'
     CROSS JOIN LATERAL pg_catalog.unnest(p.proargnames, p.proargmodes) WITH ORDINALITY AS a(name, mode, n)
     WHERE a.name OPERATOR(pg_catalog.=) 'team_id'
       AND coalesce(a.mode, 'i') OPERATOR(pg_catalog.=) ANY ('{i,b}'::"char"[])
       AND p.prokind OPERATOR(pg_catalog.=) 'f'
       AND p.proargtypes[a.n::integer OPERATOR(pg_catalog.-) 1] OPERATOR(pg_catalog.=) 'pg_catalog.int8'::regtype
     ORDER BY 1::text
$$;
COMMENT ON FUNCTION @extschema@.citus_delegated_functions() IS
'the functions signals.distribute() delegates to the node holding the team: those of the extension with a bigint argument named team_id, and its position';

-- Distribute an installed database over the Citus cluster it belongs to.
CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
    colocate_with regclass;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER AND r.rolsuper) THEN
        RAISE EXCEPTION 'only a superuser may distribute the signals tables'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION 'the citus extension is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run CREATE EXTENSION citus and add the workers first.';
    END IF;
    IF shard_count IS NOT NULL AND shard_count OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'shard_count must be positive'
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'shard_count';
    END IF;
    FOR p IN SELECT * FROM @extschema@.citus_placement() LOOP
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
