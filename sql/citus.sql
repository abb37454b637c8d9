-- Scaling out on Citus (98_citus.sql).  The cluster itself is tested by
-- scripts/citus-test; here, on one node without Citus: where distribute()
-- would put each table and which functions it would delegate, as read from
-- the catalog, and its refusals.
-- The special cases: every table that is not distributed, and why.
SELECT table_name, reason FROM signals.citus_placement() WHERE placement = 'reference';

-- Every other table is team-keyed: it has team_id, in every unique index.
SELECT bool_and(EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = table_name AND a.attname = 'team_id')
                AND NOT EXISTS (SELECT FROM pg_index i
                                 WHERE i.indrelid = table_name AND i.indisunique
                                   AND NOT (SELECT a.attnum FROM pg_attribute a
                                             WHERE a.attrelid = table_name AND a.attname = 'team_id')
                                           = ANY (i.indkey::int2[]))) AS distributed_are_team_keyed,
       count(*) >= 15 AS most_are_distributed,
       bool_or(table_name = 'signals.signals'::regclass) AS signals_distributed
  FROM signals.citus_placement() WHERE placement = 'distributed';

-- Every table of the extension is placed exactly once.
SELECT (SELECT count(*) FROM signals.citus_placement()) =
       (SELECT count(*) FROM pg_class c
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'signals'
         WHERE c.relkind = 'r') AS every_table_placed;

-- Foreign-key order: no table comes before a table it points at.
WITH p AS (SELECT table_name, row_number() OVER () AS n FROM signals.citus_placement())
SELECT f.conrelid::regclass AS referencing, f.confrelid::regclass AS referenced
  FROM pg_constraint f
  JOIN p a ON a.table_name = f.conrelid
  JOIN p b ON b.table_name = f.confrelid
 WHERE f.contype = 'f' AND f.conrelid <> f.confrelid AND b.n > a.n;

-- Delegated: every function with a bigint team_id argument, on that argument.
SELECT count(*) > 20 AS many_delegated,
       bool_and(team_argument >= 1) AS positions_valid
  FROM signals.citus_delegated_functions();
SELECT function_name, team_argument FROM signals.citus_delegated_functions()
 WHERE function_name::text ~ '^signals\.(create_team|process_next_team|emit_signal|report_transition)\(';
-- A function given a role changes its privileges: only on the coordinator.
SELECT count(*) AS role_functions_delegated FROM signals.citus_delegated_functions()
 WHERE function_name::text ~ '^signals\.(grant_team|revoke_team)\(';

-- The users policy rewritten for Citus sees exactly the users the original
-- policy shows a role granted a team.
BEGIN;
CREATE ROLE regress_citus_reader;
SELECT signals.grant_team(2, 'regress_citus_reader');
SET ROLE regress_citus_reader;
SELECT (SELECT coalesce(array_agg(user_id ORDER BY user_id), '{}') FROM signals.users) =
       (SELECT coalesce(array_agg(u ORDER BY u), '{}') FROM unnest(signals.visible_user_ids()) u) AS same_users,
       cardinality(signals.visible_user_ids()) > 0 AS sees_some;
ROLLBACK;

-- Refusals: a bad shard count; without Citus; not a superuser (even when
-- granted the function).
SELECT signals.distribute(0);
SELECT signals.distribute();
BEGIN;
GRANT USAGE ON SCHEMA signals TO regress_team1;
SET ROLE regress_team1;
SELECT signals.distribute();
ROLLBACK;
BEGIN;
GRANT USAGE ON SCHEMA signals TO regress_team1;
GRANT EXECUTE ON FUNCTION signals.distribute(integer) TO regress_team1;
SET ROLE regress_team1;
SELECT signals.distribute();
ROLLBACK;
