-- Bad input of every kind through http_handle: each a clean 4xx with nothing
-- written, never a server error.
\set SHOW_CONTEXT never

CREATE TEMP TABLE row_counts AS
SELECT (SELECT count(*) FROM signals.source_configs) AS configs,
       (SELECT count(*) FROM signals.scratchpad) AS entries,
       (SELECT count(*) FROM signals.processing_state WHERE paused_until IS NOT NULL) AS pauses;

-- Malformed JSON.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "a", "content": "b"');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{key: "a"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "a", "content": "b"} trailing');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "\x"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', repeat('[', 100000));
-- Arrays and scalars where an object belongs.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '[{"key": "a", "content": "b"}]');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '"key"');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', 'null');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "github", "source_type": "issue", "config": [{"a": 1}]}');
-- Wrong JSON types.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": true, "content": "b"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "a", "content": {"text": "b"}}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "github", "source_type": "issue", "enabled": 1}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": ["2030-01-01"]}');
-- Huge strings.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
                  json_build_object('key', 'big', 'content', repeat('x', 5000000))::text);
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  json_build_object('source_product', repeat('p', 1000000), 'source_type', 'issue')::text);
-- NUL bytes, raw and escaped, and invalid UTF-8.
SELECT status, body FROM signals.http_handle('POST', '/api/projects/1/signals/scout/scratchpad/', '',
    '{"content-type": "application/json"}',
    '\x7b226b6579223a202261002062222c2022636f6e74656e74223a202263227d'::bytea,
    'Bearer ' || (SELECT token FROM test_keys WHERE name = 'scout1'));
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1', '{"key": "a\u0000b", "content": "c"}');
SELECT status, body FROM signals.http_handle('POST', '/api/projects/1/signals/scout/scratchpad/', '',
    '{"content-type": "application/json"}',
    '\x7b226b6579223a2022ff222c2022636f6e74656e74223a202263227d'::bytea,
    'Bearer ' || (SELECT token FROM test_keys WHERE name = 'scout1'));
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=%00');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=%FF%FE');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=%zz');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL, 'text=%4');
-- Invalid UUIDs and odd paths: no route, no object.
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/1234/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/{00000000-0000-0000-0000-000000000000}/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/00000000-0000-0000-0000-00000000000g/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/..%2F..%2Fprocessing/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/scout%2Fscratchpad/', 'scout1');
SELECT * FROM api('GET', '/api/projects/1/signals/scout/../processing/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals//processing/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/processing//', 'alice_all');
SELECT * FROM api('GET', '/api/projects/abc/signals/processing/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/-1/signals/processing/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/99999999999999999999/signals/processing/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signalz/processing/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/', 'alice_all');
SELECT * FROM api('GET', '/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/' || repeat('a/', 5000), 'alice_all');
SELECT * FROM api('get', '/api/projects/1/signals/processing/', 'alice_all');
SELECT * FROM api('', '/api/projects/1/signals/processing/', 'alice_all');
SELECT status FROM signals.http_handle(NULL, NULL, NULL, NULL, NULL::bytea);
-- Limits and offsets that are not non-negative integers; unknown parameters.
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=-1');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=abc');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=1e3');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=%201');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'offset=-5');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'offset=99999999999');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'offset=');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'ordering=id');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=1&limit=2');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, '=1');
SELECT status FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, '&&limit=1&');
-- Bodies that are not JSON, and headers that are not an object.
SELECT status, body FROM signals.http_handle('POST', '/api/projects/1/signals/scout/scratchpad/', '',
    '{"content-type": "text/plain"}', 'key=a&content=b',
    'Bearer ' || (SELECT token FROM test_keys WHERE name = 'scout1'));
SELECT status, body FROM signals.http_handle('POST', '/api/projects/1/signals/scout/scratchpad/', '',
    '{}', '{"key": "a", "content": "b"}',
    'Bearer ' || (SELECT token FROM test_keys WHERE name = 'scout1'));
SELECT status FROM signals.http_handle('POST', '/api/projects/1/signals/scout/scratchpad/forget/', '',
    '{"content-type": "Application/JSON; charset=utf-8"}', '{"key": "a"}',
    'Bearer ' || (SELECT token FROM test_keys WHERE name = 'scout1'));
SELECT status, body FROM signals.http_handle('GET', '/api/projects/1/signals/processing/', '', '[1, 2]');
SELECT status, body FROM signals.http_handle('GET', '/api/projects/1/signals/processing/', '', '"Bearer x"');

-- SQL metacharacters are data, in every string.
SELECT status, body::jsonb ->> 'key' AS key
  FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
           $$ {"key": "x'); DROP TABLE signals.scratchpad; --", "content": "'\" OR 1=1; \\ $1 %s %n"} $$);
SELECT status, body::jsonb -> 0 ->> 'content' AS content
  FROM api('GET', '/api/projects/1/signals/scout/scratchpad/', 'scout1', NULL,
           'text=%27%29%3B%20DROP&limit=1');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  $$ {"source_product": "github' OR '1'='1", "source_type": "issue; DELETE FROM signals.teams"} $$);
SELECT status FROM api('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1',
                       $$ {"key": "x'); DROP TABLE signals.scratchpad; --"} $$);
SELECT count(*) AS teams FROM signals.teams WHERE team_id IN (1, 2);

-- Nothing was written by any of the refused requests above.
SELECT (SELECT count(*) FROM signals.source_configs) = configs AS configs_unchanged,
       (SELECT count(*) FROM signals.scratchpad) = entries AS entries_unchanged,
       (SELECT count(*) FROM signals.processing_state WHERE paused_until IS NOT NULL) = pauses AS pauses_unchanged
  FROM row_counts;

-- Random mutations of valid requests: every answer is a clean status below
-- 500 and no call raises.  The seed makes the run repeatable.
SELECT setseed(0.42);
CREATE TEMP TABLE mutation_results AS
WITH valid(method, path, key_name, body) AS (
    VALUES ('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
            '{"key": "mutant", "content": "some content", "run_id": null}'),
           ('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
            '{"source_product": "linear", "source_type": "issue", "enabled": true, "config": {"a": [1, 2]}}'),
           ('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all',
            '{"timestamp": "2001-01-01T00:00:00Z"}'),
           ('POST', '/api/projects/1/signals/scout/scratchpad/forget/', 'scout1', '{"key": "mutant"}')
), mutants AS (
    SELECT v.method, v.path, v.key_name, v.body, i,
           (random() * 4)::int AS kind,
           1 + (random() * (length(v.body) - 1))::int AS pos,
           chr(1 + (random() * 126)::int) AS ch
      FROM valid v, generate_series(1, 500) i
)
SELECT r.status
  FROM mutants m,
       LATERAL api(m.method, m.path, m.key_name,
                   CASE m.kind
                       WHEN 0 THEN overlay(m.body PLACING '' FROM m.pos FOR 1)
                       WHEN 1 THEN overlay(m.body PLACING m.ch FROM m.pos FOR 0)
                       WHEN 2 THEN overlay(m.body PLACING m.ch FROM m.pos FOR 1)
                       WHEN 3 THEN left(m.body, m.pos)
                       ELSE m.body || m.ch
                   END) r;
SELECT count(*) AS mutations, count(*) FILTER (WHERE status >= 500) AS server_errors,
       count(*) FILTER (WHERE status BETWEEN 400 AND 499) > 0 AS some_refused
  FROM mutation_results;
