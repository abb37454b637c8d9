-- Scout configs and runs through SQL, and scout/runs/ through the API.
\set SHOW_CONTEXT never

SELECT signals.set_scout_config(1, 'error-watcher') IS NOT NULL AS configured;
SELECT signals.set_scout_config(1, 'error-watcher', emit => false) =
       signals.set_scout_config(1, 'error-watcher') AS same_config;
SELECT skill_name, enabled, emit FROM signals.scout_configs WHERE team_id = 1 AND skill_name = 'error-watcher';
SELECT signals.set_scout_config(1, '  ');

-- Runs: created, started, finished; each step checked.
SELECT signals.create_scout_run(1, 'error-watcher', 3, 'task-1', 'taskrun-1') AS run_a \gset
SELECT signals.create_scout_run(1, 'error-watcher', 3) AS run_b \gset
SELECT signals.create_scout_run(1, 'unconfigured-skill', 1, status => 'in_progress') AS run_c \gset
SELECT signals.create_scout_run(2, 'error-watcher') AS run_other \gset
SELECT signals.create_scout_run(1, 'error-watcher', status => 'completed');
SELECT signals.start_scout_run(1, :'run_a');
SELECT signals.start_scout_run(1, :'run_a');
SELECT signals.finish_scout_run(1, :'run_a', 'completed', 'Looked at checkout errors; TypeError spike in cart.js');
SELECT signals.finish_scout_run(1, :'run_a', 'failed');
SELECT signals.start_scout_run(1, :'run_b');
SELECT signals.finish_scout_run(1, :'run_b', 'failed', 'Billing scan', 'quota exceeded');
SELECT signals.finish_scout_run(1, :'run_b', 'paused');
SELECT signals.finish_scout_run(1, '00000000-0000-0000-0000-000000000000', 'completed');
-- Fix creation times so the window tests are exact.
UPDATE signals.scout_runs SET created_at = '2030-01-01T10:00:00Z' WHERE id = :'run_a';
UPDATE signals.scout_runs SET created_at = '2030-01-02T10:00:00Z' WHERE id = :'run_b';
UPDATE signals.scout_runs SET created_at = '2030-01-03T10:00:00Z' WHERE id = :'run_c';
UPDATE signals.scout_runs SET created_at = '2030-01-04T10:00:00Z' WHERE id = :'run_other';
UPDATE signals.scout_runs SET created_at = '2029-12-31T10:00:00Z' WHERE id = '11111111-1111-7111-8111-111111111111';

-- The row shape, with task_url only when both task ids are known.
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/' || :'run_a' || '/', 'scout1');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/' || :'run_b' || '/', 'alice_scout_read');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/' || :'run_other' || '/', 'scout1');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/run-a/', 'scout1');

-- The list: newest first, a plain array.
SELECT jsonb_path_query_array(b, '$[*].created_at') AS created
  FROM api_json('GET', '/api/projects/1/signals/scout/runs/', 'scout1') b;
-- Half-open window on creation time: date_from inclusive, date_to exclusive.
SELECT jsonb_path_query_array(b, '$[*].created_at') AS created
  FROM api_json('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL,
           'date_from=2030-01-02T10:00:00Z&date_to=2030-01-03T10:00:00Z') b;
SELECT jsonb_path_query_array(b, '$[*].created_at') AS created
  FROM api_json('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'date_to=2030-01-02T10:00:00%2B00:00') b;
SELECT jsonb_path_query_array(b, '$[*].created_at') AS created
  FROM api_json('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'date_from=2030-01-02') b;
-- Text matches the summary, case-insensitively.
SELECT jsonb_path_query_array(body::jsonb, '$[*].summary') AS summaries
  FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'text=typeerror');
SELECT jsonb_path_query_array(body::jsonb, '$[*].summary') AS summaries
  FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'text=nothing-like-this');
-- Limits: 1..100, default 20.
SELECT jsonb_array_length(body::jsonb) AS runs
  FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'limit=1');
INSERT INTO signals.scout_runs (team_id, skill_name, created_at)
SELECT 1, 'bulk', '2029-01-01'::timestamptz + i * interval '1 minute' FROM generate_series(1, 130) i;
SELECT jsonb_array_length(body::jsonb) AS runs FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1');
SELECT jsonb_array_length(body::jsonb) AS runs
  FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'limit=100');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'limit=0');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'limit=101');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'limit=many');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'date_from=last+week');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'date_to=infinity');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/', 'scout1', NULL, 'skill=x');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/runs/', 'alice_write');
-- Runs of team 2 stay there.
SELECT jsonb_array_length(body::jsonb) AS runs FROM api('GET', '/api/projects/2/signals/scout/runs/', 'scout2');
DELETE FROM signals.scout_runs WHERE skill_name = 'bulk';
