-- source_configs/: create, list, retrieve, update, delete, with every rule.
\set SHOW_CONTEXT never

SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all');

-- Create: defaults, explicit values, config null meaning {}.
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "error_tracking", "source_type": "issue_created"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "session_replay", "source_type": "session_analysis_cluster",
                    "enabled": false, "config": {"sample_rate": 0.25, "filters": ["a", "b"]}}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs', 'alice_all',
                  '{"source_product": "zendesk", "source_type": "ticket", "config": null, "status": "running"}');

-- Create: every validation error, and nothing written by any of them.
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all', '{"source_type": "issue"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all', '{"source_product": "github"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "myspace", "source_type": "issue"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "github", "source_type": "tweet"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": null, "source_type": "issue"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": 7, "source_type": "issue"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "github", "source_type": "issue", "enabled": "yes"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "github", "source_type": "issue", "enabled": null}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "github", "source_type": "issue", "config": [1, 2]}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "github", "source_type": "issue", "config": "{}"}');
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                  '{"source_product": "error_tracking", "source_type": "issue_created"}');
SELECT count(*) AS configs FROM signals.source_configs WHERE team_id = 1;

-- The list of known products is data: a new row makes a new product valid.
INSERT INTO signals.source_products VALUES ('myspace');
SELECT status FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_all',
                       '{"source_product": "myspace", "source_type": "issue"}');

-- List: most recently updated first, paginated with absolute URLs.
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=2');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=2&offset=2');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'offset=3&limit=1');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all', NULL, 'limit=1001&offset=99');
SELECT body::jsonb -> 'count' AS team2_count FROM api('GET', '/api/projects/2/signals/source_configs/', 'bob_all');

-- Retrieve, with and without the trailing slash; malformed and foreign ids are 404.
SELECT id AS zendesk_id FROM signals.source_configs WHERE team_id = 1 AND source_product = 'zendesk' \gset
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all');
SELECT status FROM api('GET', '/api/projects/1/signals/source_configs/' || :'zendesk_id', 'alice_all');
SELECT status FROM api('GET', '/api/projects/1/signals/source_configs/' || upper(:'zendesk_id'), 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/not-a-uuid/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/source_configs/00000000-0000-0000-0000-000000000000/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/2/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all');

-- Update: enabled and config change, product and type are fixed, status is read-only.
SELECT * FROM api('PATCH', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all',
                  '{"enabled": false, "config": {"steering": "only billing"}, "status": "hacked"}');
SELECT * FROM api('PATCH', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all',
                  '{"source_product": "zendesk", "source_type": "ticket", "config": null}');
SELECT * FROM api('PATCH', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all',
                  '{"source_product": "github"}');
SELECT * FROM api('PATCH', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all',
                  '{"source_type": "issue"}');
SELECT * FROM api('PATCH', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all',
                  '{"enabled": null}');
SELECT * FROM api('PATCH', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all',
                  '{"config": 12}');
SELECT * FROM api('PATCH', '/api/projects/1/signals/source_configs/00000000-0000-0000-0000-000000000000/', 'alice_all',
                  '{"enabled": true}');
SELECT * FROM api('PUT', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all',
                  '{"enabled": true}');
SELECT enabled, config FROM signals.source_configs WHERE id = :'zendesk_id';
-- The updated config moves to the front of the list.
SELECT body::jsonb -> 'results' -> 0 ->> 'source_product' AS first
  FROM api('GET', '/api/projects/1/signals/source_configs/', 'alice_all');

-- Delete: 204 without a body, then 404.
SELECT status, headers, body IS NULL AS no_body
  FROM signals.http_handle('DELETE', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', '',
       '{}', NULL::bytea, 'Bearer ' || (SELECT token FROM test_keys WHERE name = 'alice_all'));
SELECT * FROM api('DELETE', '/api/projects/1/signals/source_configs/' || :'zendesk_id' || '/', 'alice_all');

-- Writes need task:write.
SELECT * FROM api('POST', '/api/projects/1/signals/source_configs/', 'alice_read',
                  '{"source_product": "linear", "source_type": "issue"}');

-- The same from SQL.
SELECT signals.source_config_create(2, 'linear', 'issue')::jsonb - '{id,created_at,updated_at}'::text[] AS created;
SELECT total, json_array_length(results) AS results FROM signals.source_configs_list(2);
SELECT signals.source_config_create(2, 'linear', 'issue');
