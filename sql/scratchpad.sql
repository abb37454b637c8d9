-- scout/scratchpad/: list with search and limits, upsert, forget, every length rule.
\set SHOW_CONTEXT never

SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1');
DELETE FROM signals.scratchpad;
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1');

-- Runs to attribute entries to: one of team 1, one of team 2.
INSERT INTO signals.scout_configs (team_id, skill_name) VALUES (1, 'scratch-skill'), (2, 'scratch-skill');
INSERT INTO signals.scout_runs (team_id, id, skill_name, status)
VALUES (1, '11111111-1111-7111-8111-111111111111', 'scratch-skill', 'in_progress'),
       (2, '22222222-2222-7222-8222-222222222222', 'scratch-skill', 'in_progress');

-- Upsert creates, then updates in place keeping the original run.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
                  '{"key": "billing-checked", "content": "Checked billing errors; nothing new.",
                    "run_id": "11111111-1111-7111-8111-111111111111"}');
SELECT pg_sleep(0.01);
SELECT api_json('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
                '{"key": "billing-checked", "content": "Billing errors doubled since Monday.", "run_id": null}')
       - '{created_at,updated_at}'::text[] AS updated;
SELECT count(*) AS rows, bool_and(updated_at > created_at) AS updated_later
  FROM signals.scratchpad WHERE team_id = 1 AND key = 'billing-checked';
-- A run of another team is not recorded; no run is fine.
SELECT body::jsonb -> 'created_by_run_id' AS run
  FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
           '{"key": "foreign-run", "content": "x", "run_id": "22222222-2222-7222-8222-222222222222"}');
SELECT body::jsonb -> 'created_by_run_id' AS run
  FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "no-run", "content": "y"}');

-- Length and blank rules, at and past each limit.
SELECT status, length(body::jsonb ->> 'key') AS key_chars
  FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
           json_build_object('key', repeat('k', 300), 'content', 'at the key limit')::text);
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
                  json_build_object('key', repeat('k', 301), 'content', 'one past')::text);
SELECT status, length(body::jsonb ->> 'content') AS content_chars
  FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
           json_build_object('key', 'long', 'content', repeat('é', 50000))::text);
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
                  json_build_object('key', 'longer', 'content', repeat('c', 50001))::text);
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "", "content": "x"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": " \t\n", "content": "x"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "k", "content": "   "}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "k"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"content": "x"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": ["k"], "content": "x"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "k", "content": "x", "run_id": "run-1"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "k", "content": "x", "run_id": 12}');
SELECT count(*) AS entries FROM signals.scratchpad WHERE team_id = 1;

-- List: newest first; text matches key or content, case-insensitively, literally.
CREATE FUNCTION pg_temp.keys(body text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(left(e ->> 'key', 12) ORDER BY n), '{}')
      FROM jsonb_array_elements(body::jsonb) WITH ORDINALITY AS x(e, n)
$$;
INSERT INTO signals.scratchpad (team_id, key, content, updated_at) VALUES
    (1, 'pct', 'conversion went 100% down', now() + interval '1 minute'),
    (1, 'under_score', 'an_underscore', now() + interval '2 minutes'),
    (2, 'secret', 'team two only', now() + interval '3 minutes');
SELECT pg_temp.keys(body)
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1');
SELECT pg_temp.keys(body)
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=BILLING');
SELECT pg_temp.keys(body)
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=100%25');
SELECT pg_temp.keys(body)
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=_');
SELECT pg_temp.keys(body)
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=secret');
SELECT pg_temp.keys(body)
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=');
-- Limits are clamped to 1..100; a limit that is not an integer is refused.
SELECT jsonb_array_length(body::jsonb) AS entries
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'limit=2');
SELECT jsonb_array_length(body::jsonb) AS entries
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'limit=0');
SELECT jsonb_array_length(body::jsonb) AS entries
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'limit=-3');
INSERT INTO signals.scratchpad (team_id, key, content)
SELECT 1, 'bulk-' || i, 'bulk entry ' || i FROM generate_series(1, 120) i;
SELECT jsonb_array_length(body::jsonb) AS entries
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'limit=1000');
SELECT jsonb_array_length(body::jsonb) AS entries
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'limit=ten');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'limit=2.5');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'offset=2');

-- Forget.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1', '{"key": "no-run"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1', '{"key": "no-run"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1', '{"key": "secret"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1', '{"key": ""}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1', '{}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1',
                  json_build_object('key', repeat('k', 301))::text);
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'alice_scout_read', '{"key": "pct"}');
SELECT count(*) AS team2_entries FROM signals.scratchpad WHERE team_id = 2;

-- The same from SQL.
SELECT signals.scratchpad_upsert(2, 'sql-key', 'from SQL')::jsonb ->> 'content' AS content;
SELECT json_array_length(signals.scratchpad_list(2, 'SQL', 5)) AS found;
SELECT signals.scratchpad_forget(2, 'sql-key');
SELECT signals.scratchpad_upsert(2, NULL, 'x');
