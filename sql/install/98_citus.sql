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
CREATE FUNCTION @extschema@.citus_catalogue_tables()
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
CREATE FUNCTION @extschema@.visible_user_ids()
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
CREATE FUNCTION @extschema@.citus_distributed()
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
CREATE FUNCTION @extschema@.citus_next_team(after_team bigint)
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
CREATE FUNCTION @extschema@.citus_fk_set_null()
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
CREATE FUNCTION @extschema@.citus_on_workers(statement text)
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
CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT NULL)
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
