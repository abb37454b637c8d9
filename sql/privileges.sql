-- Tenancy for SQL callers: a role granted one team reads and writes only that
-- team's rows, directly and through the domain functions; administrative
-- functions and the key table stay out of reach.
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

SET ROLE regress_team1;
SELECT signals.visible_team_ids();
SELECT team_id, name FROM signals.teams ORDER BY team_id;
SELECT DISTINCT team_id FROM signals.source_configs;
SELECT DISTINCT team_id FROM signals.scratchpad;
SELECT email FROM signals.users ORDER BY email COLLATE "C";
-- Writes into another team are refused or touch nothing.
INSERT INTO signals.scratchpad (team_id, key, content) VALUES (2, 'planted', 'x');
UPDATE signals.scratchpad SET content = 'overwritten' WHERE team_id = 2;
DELETE FROM signals.source_configs WHERE team_id = 2;
UPDATE signals.processing_state SET paused_until = now() + interval '1 day' WHERE team_id = 2;
-- The domain functions run with the caller's rights.
SELECT signals.scratchpad_list(2);
SELECT signals.scratchpad_upsert(2, 'planted', 'x');
SELECT signals.scratchpad_forget(2, 'team2-secret');
SELECT signals.source_config_create(2, 'linear', 'ticket');
SELECT signals.source_config_get(2, :'team2_config');
SELECT signals.source_config_delete(2, :'team2_config');
SELECT signals.processing_pause(2, now() + interval '1 day');
SELECT total FROM signals.source_configs_list(2);
-- Its own team works.
SELECT signals.scratchpad_upsert(1, 'from-role', 'written by regress_team1')::jsonb ->> 'key' AS key;
SELECT signals.processing_unpause(1)::jsonb ->> 'status' AS status;
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

-- A role with no team sees nothing, and cannot even reach the schema.
SET ROLE regress_nobody;
SELECT count(*) FROM signals.teams;
SELECT * FROM signals.http_handle('GET', '/api/projects/1/signals/processing/');
RESET ROLE;

-- Revoking the team leaves the role blind.
SELECT signals.revoke_team(1, 'regress_team1');
SELECT signals.revoke_team(1, 'regress_team1');
SET ROLE regress_team1;
SELECT count(*) AS visible_teams FROM signals.teams;
SELECT count(*) AS visible_entries FROM signals.scratchpad;
RESET ROLE;
