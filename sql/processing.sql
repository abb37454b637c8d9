-- processing/: reading, setting and ending the pause.
\set SHOW_CONTEXT never

SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'alice_all');
-- The single result pages like any list; the envelope carries absolute URLs.
SELECT * FROM api('GET', '/api/projects/1/signals/processing', 'alice_all', NULL, 'offset=1');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'alice_all', NULL, 'limit=1&offset=0');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'alice_all', NULL, 'limit=0');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'alice_all', NULL, 'offset=-1');

-- Pause.
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all',
                  '{"timestamp": "2031-05-06T07:08:09.123456Z"}');
SELECT api_json('GET', '/api/projects/1/signals/processing/', 'alice_all') -> 'results';
-- A time without a zone is UTC; an offset is honoured.
SELECT api_json('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all',
                '{"timestamp": "2031-05-06 07:08:09"}') -> 'paused_until' AS utc;
SELECT api_json('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all',
                '{"timestamp": "2031-05-06T09:08:09+02:00"}') -> 'paused_until' AS offset;
-- Bad pauses change nothing.
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', NULL);
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": null}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "tomorrow-ish"}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": 1735689600}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "infinity"}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "now"}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "epoch"}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "01/02/2031"}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "2031"}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "2031-13-45T00:00:00Z"}');
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '["2031-05-06T07:08:09Z"]');
SELECT paused_until FROM signals.processing_state WHERE team_id = 1;
-- HEAD is served as GET.
SELECT status FROM api('HEAD', '/api/projects/1/signals/processing/', 'alice_all');
-- Other methods on the pause are refused with the allowed ones listed.
SELECT status, headers, body FROM signals.http_handle('POST', '/api/projects/1/signals/processing/pause/', '',
    '{}', NULL::bytea, 'Bearer ' || (SELECT token FROM test_keys WHERE name = 'alice_all'));
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/', 'alice_all');

-- Unpause: was_paused tells whether the pause was still in force.
SELECT * FROM api('DELETE', '/api/projects/1/signals/processing/pause/', 'alice_all');
SELECT * FROM api('DELETE', '/api/projects/1/signals/processing/pause/', 'alice_all');
SELECT status FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all', '{"timestamp": "2001-01-01T00:00:00Z"}');
SELECT * FROM api('DELETE', '/api/projects/1/signals/processing/pause/', 'alice_all');
-- Team 2 was never touched.
SELECT * FROM api('GET', '/api/projects/2/signals/processing/', 'bob_all');

-- The same operations straight from SQL.
SELECT signals.processing_pause(2, '2040-01-01T00:00:00Z');
SELECT * FROM signals.processing_list(2);
SELECT signals.processing_unpause(2);
SELECT signals.processing_pause(2, NULL);
SELECT signals.processing_pause(2, 'infinity');
