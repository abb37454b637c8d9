-- Schema signals_api, for roles granted a team and for generic API layers
-- (PostgREST, PostGraphile): it holds the API's functions and nothing else,
-- and each checks the caller's team before it runs.
\set SHOW_CONTEXT never

-- Nothing but functions: a tool publishing the schema publishes no table.
SELECT count(*) AS relations FROM pg_class WHERE relnamespace = 'signals_api'::regnamespace;
SELECT count(*) AS types FROM pg_type WHERE typnamespace = 'signals_api'::regnamespace;
SELECT count(*) AS tables_published FROM information_schema.tables WHERE table_schema = 'signals_api';
-- Each function has its domain function's arguments, result and volatility.
SELECT a.proname, a.provolatile, a.prosrc
  FROM pg_proc a
 WHERE a.pronamespace = 'signals_api'::regnamespace
 ORDER BY a.proname COLLATE "C";
SELECT count(*) AS mismatched
  FROM pg_proc a
  JOIN pg_proc d ON d.pronamespace = 'signals'::regnamespace AND d.proname = a.proname
 WHERE a.pronamespace = 'signals_api'::regnamespace
   AND (pg_get_function_arguments(a.oid) <> pg_get_function_arguments(d.oid)
        OR pg_get_function_result(a.oid) <> pg_get_function_result(d.oid)
        OR a.provolatile <> d.provolatile OR a.proisstrict <> d.proisstrict);
-- The routes' domain functions are all there.
SELECT DISTINCT r.function AS route_function_missing
  FROM signals.routes() r
 WHERE NOT EXISTS (SELECT FROM pg_proc a WHERE a.pronamespace = 'signals_api'::regnamespace
                                          AND 'signals.' || a.proname = r.function);

-- The role README suggests for PostgREST: granted its team, nothing else;
-- an authenticator logs in and switches to it.
CREATE ROLE regress_web_team1 NOLOGIN;
CREATE ROLE regress_authenticator NOINHERIT;
GRANT regress_web_team1 TO regress_authenticator;
SELECT signals.grant_team(1, 'regress_web_team1');
SET ROLE regress_authenticator;
-- Before switching: no team.
SELECT signals_api.processing_list(1);
SET ROLE regress_web_team1;
-- It cannot see the keys, write any table, or reach another team.
SELECT count(*) FROM signals.api_keys;
SELECT count(*) FROM signals.api_key_list;
UPDATE signals.reports SET title = 'x';
SELECT total FROM signals_api.reports_list(team_id => 2);
SELECT signals_api.project_profile_current(2, true);
-- It calls the API functions for its team, by name as PostgREST does.
SELECT total, json_typeof(results) FROM signals_api.reports_list(team_id => 1, status => 'ready');
SELECT signals_api.scratchpad_upsert(team_id => 1, key => 'via-api', content => 'stored')::jsonb ->> 'key' AS key;
SELECT signals_api.scratchpad_forget(team_id => 1, key => 'via-api')::jsonb ->> 'deleted' AS deleted;
SELECT json_typeof(signals_api.project_profile_current(1, true) -> 'payload') AS profile;
-- Row-level security still confines what it reads directly.
SELECT DISTINCT team_id FROM signals.scratchpad;
RESET ROLE;
SELECT signals.revoke_team(1, 'regress_web_team1');
DROP ROLE regress_authenticator, regress_web_team1;
DELETE FROM signals.project_profiles WHERE team_id = 1;
