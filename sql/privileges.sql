-- Tenancy for SQL callers: a role granted one team reads only that team's
-- rows, and writes only through signals_api, which checks its team like the
-- router checks an API key.  It holds no table privilege that could lock a
-- shared table; administrative functions and the key table stay out of reach.
\set SHOW_CONTEXT never

CREATE ROLE regress_team1;
CREATE ROLE regress_team2;
CREATE ROLE regress_nobody;
SELECT signals.grant_team(1, 'regress_team1');
SELECT signals.grant_team(1, 'regress_team1');
SELECT signals.grant_team(2, 'regress_team2');
GRANT SELECT ON public.test_keys, public.test_users TO regress_team1, regress_team2, regress_nobody;
SELECT signals.scratchpad_upsert(2, 'team2-secret', 'only for team 2')::jsonb ->> 'key' AS key;
SELECT id AS team2_config FROM signals.source_configs WHERE team_id = 2 LIMIT 1 \gset
SELECT id AS team1_config FROM signals.source_configs WHERE team_id = 1 LIMIT 1 \gset
-- A grant keeps the role's name with its OID.
SELECT team_id, role_name, role_oid = 'regress_team1'::regrole AS same_oid
  FROM signals.team_roles ORDER BY team_id, role_name COLLATE "C";

-- What a granted role holds: SELECT, and no table privilege that locks.
SELECT c.relname,
       has_table_privilege('regress_team1', c.oid, 'SELECT') AS sel,
       has_table_privilege('regress_team1', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS other
  FROM pg_class c
 WHERE c.relnamespace = 'signals'::regnamespace AND c.relkind IN ('r', 'v', 'S')
 ORDER BY c.relname COLLATE "C";

SET ROLE regress_team1;
SELECT signals.visible_team_ids();
SELECT team_id, name FROM signals.teams ORDER BY team_id;
SELECT DISTINCT team_id FROM signals.source_configs;
SELECT DISTINCT team_id FROM signals.scratchpad;
SELECT email FROM signals.users ORDER BY email COLLATE "C";
-- No lock that would stop other teams or the worker, on any table.
BEGIN;
LOCK TABLE signals.reports IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE signals.processing_state IN SHARE ROW EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE signals.signals IN ROW EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
SELECT team_id FROM signals.processing_state WHERE team_id = 1 FOR UPDATE;
ROLLBACK;
BEGIN;
SELECT team_id FROM signals.teams WHERE team_id = 1 FOR KEY SHARE;
ROLLBACK;
-- No direct writes, to its own team or any other.
INSERT INTO signals.scratchpad (team_id, key, content) VALUES (1, 'direct', 'x');
INSERT INTO signals.scratchpad (team_id, key, content) VALUES (2, 'planted', 'x');
UPDATE signals.scratchpad SET content = 'overwritten' WHERE team_id = 1;
UPDATE signals.processing_state SET paused_until = now() + interval '1 day' WHERE team_id = 2;
DELETE FROM signals.source_configs WHERE team_id = 1;
DELETE FROM signals.reports;
TRUNCATE signals.signals;
-- The domain functions of schema signals run with its own rights: they write nothing.
SELECT signals.scratchpad_upsert(1, 'direct', 'x');
SELECT signals.processing_pause(1, now() + interval '1 day');
-- signals_api checks the team: another team is refused before anything runs.
SELECT signals_api.scratchpad_list(2);
SELECT signals_api.scratchpad_upsert(2, 'planted', 'x');
SELECT signals_api.scratchpad_forget(2, 'team2-secret');
SELECT signals_api.source_config_create(2, 'linear', 'ticket');
SELECT signals_api.source_config_get(2, :'team2_config');
SELECT signals_api.source_config_delete(2, :'team2_config');
SELECT signals_api.processing_pause(2, now() + interval '1 day');
SELECT total FROM signals_api.source_configs_list(2);
SELECT signals_api.emit_signal(2, 'github', 'issue', 'x-1', 'planted');
SELECT signals_api.claim_candidate('agent', 2);
SELECT signals_api.claim_candidate('agent');
SELECT signals_api.reports_list(NULL);
-- ... and an id of another team is not found through its own team.
SELECT signals_api.source_config_get(1, :'team2_config');
SELECT signals_api.source_config_delete(1, :'team2_config');
-- Its own team works through signals_api.
SELECT signals_api.scratchpad_upsert(1, 'from-role', 'written by regress_team1')::jsonb ->> 'key' AS key;
SELECT signals_api.scratchpad_list(1, 'regress_team1')::jsonb -> 0 ->> 'key' AS listed;
SELECT signals_api.scratchpad_forget(1, 'from-role')::jsonb ->> 'deleted' AS forgotten;
SELECT signals_api.source_config_update(1, :'team1_config', enabled => true)::jsonb ->> 'enabled' AS enabled;
-- (Paused, so that the workers leave the emitted signal alone.)
SELECT signals_api.processing_pause(1, '2030-01-01T00:00:00Z')::jsonb ->> 'status' AS status;
SELECT total FROM signals_api.processing_list(1);
SELECT signals_api.emit_signal(1, 'github', 'issue', 'role-emit-1', 'emitted by a granted role')::jsonb ->> 'skipped_reason' AS skipped;
SELECT count(*) AS own_emit FROM signals.signals WHERE source_id = 'role-emit-1';
-- Keys, key creation and team administration are out of reach.
SELECT count(*) FROM signals.api_keys;
SELECT count(*) FROM signals.api_key_list;
SELECT signals.create_team('Sneaky');
SELECT signals.create_personal_key((SELECT user_id FROM public.test_users WHERE name = 'alice'), '{*}');
SELECT signals.create_scout_token(1);
SELECT signals.grant_team(2, 'regress_team1');
SELECT signals.revoke_key((SELECT key_id FROM public.test_keys WHERE name = 'alice_all'));
-- Through http_handle the key decides, whatever the role: a key of team 1 is
-- refused on team 2.
SELECT status FROM api('GET', '/api/projects/1/signals/processing/', 'alice_team1');
SELECT * FROM api('GET', '/api/projects/2/signals/scout/scratchpad/', 'alice_team1');
SELECT status FROM api('GET', '/api/projects/2/signals/scout/scratchpad/', 'scout2');
RESET ROLE;

-- Nothing of team 2 changed.
SELECT key, content FROM signals.scratchpad WHERE team_id = 2 ORDER BY key COLLATE "C";
SELECT count(*) AS team2_configs FROM signals.source_configs WHERE team_id = 2;
SELECT paused_until FROM signals.processing_state WHERE team_id = 2;
DELETE FROM signals.signals WHERE source_id = 'role-emit-1';
SET ROLE regress_team1;
SELECT signals_api.processing_unpause(1)::jsonb ->> 'was_paused' AS was_paused;
RESET ROLE;

-- A role with no team sees nothing, and cannot even reach the schema.
SET ROLE regress_nobody;
SELECT count(*) FROM signals.teams;
SELECT * FROM signals.http_handle('GET', '/api/projects/1/signals/processing/');
SELECT signals_api.scratchpad_list(1);
RESET ROLE;

-- Revoking the team leaves the role blind, and takes back what grant_team gave.
SELECT signals.revoke_team(1, 'regress_team1');
SELECT signals.revoke_team(1, 'regress_team1');
SELECT has_schema_privilege('regress_team1', 'signals', 'USAGE') AS usage,
       (SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.relnamespace = 'signals'::regnamespace
           AND a.grantee = 'regress_team1'::regrole) AS table_privileges;
SET ROLE regress_team1;
SELECT signals_api.scratchpad_list(1);
RESET ROLE;
-- A role with several teams keeps its privileges until its last team goes.
SELECT signals.grant_team(1, 'regress_team2');
SELECT signals.revoke_team(1, 'regress_team2');
SELECT has_schema_privilege('regress_team2', 'signals', 'USAGE') AS still_usage;
SET ROLE regress_team2;
SELECT signals.visible_team_ids();
RESET ROLE;

--
-- team_roles names a role by OID and name: a grant counts only while both match.
--
CREATE ROLE regress_gone;
SELECT signals.grant_team(1, 'regress_gone');
SELECT 'regress_gone'::regrole::oid AS gone_oid \gset
-- Dropping the role (after what it holds) forgets its grants.
DROP OWNED BY regress_gone;
DROP ROLE regress_gone;
SELECT count(*) AS rows_of_dropped_role FROM signals.team_roles WHERE role_oid = :gone_oid;
-- A new role of the same name gets nothing.
CREATE ROLE regress_gone;
SET ROLE regress_gone;
SELECT signals_api.scratchpad_list(1);
RESET ROLE;
DROP ROLE regress_gone;
-- A restored dump (or another database, where no hook ran) may hold a row
-- whose OID now belongs to another role: that role gets nothing.
GRANT USAGE ON SCHEMA signals TO regress_nobody;
GRANT SELECT ON signals.teams, signals.scratchpad, signals.team_roles TO regress_nobody;
INSERT INTO signals.team_roles (team_id, role_oid, role_name)
VALUES (1, 'regress_nobody'::regrole, 'regress_role_of_the_old_cluster');
SET ROLE regress_nobody;
SELECT signals.visible_team_ids();
SELECT count(*) AS visible_teams FROM signals.teams;
SELECT count(*) AS visible_entries FROM signals.scratchpad;
SELECT signals_api.scratchpad_list(1);
RESET ROLE;
-- Granting the role again binds its OID to its current name.
SELECT signals.grant_team(1, 'regress_nobody');
SELECT role_name FROM signals.team_roles WHERE role_oid = 'regress_nobody'::regrole;
SET ROLE regress_nobody;
SELECT signals.visible_team_ids();
RESET ROLE;
SELECT signals.revoke_team(1, 'regress_nobody');
SELECT has_schema_privilege('regress_nobody', 'signals', 'USAGE') AS usage;
