-- Emitting signals: emit_signal for applications, and the scout route
-- scout/runs/:id/emit-signal/ with its validation and gates in order.
\set SHOW_CONTEXT never

-- Applications: validated, gated, recorded once per (product, type, source id).
SELECT signals.emit_signal(1, 'error_tracking', 'issue_created', 'err-1', 'TypeError: x is undefined in cart.js', 0.4)::jsonb
       - 'signal_id' AS emitted;
SELECT signals.emit_signal(1, 'error_tracking', 'issue_created', 'err-1', 'TypeError again', 0.9)::jsonb
       ->> 'skipped_reason' AS repeat;
SELECT count(*) AS stored, min(description) AS kept FROM signals.signals WHERE source_id = 'err-1';
SELECT signals.emit_signal(2, 'error_tracking', 'issue_created', 'err-1', 'Team 2 has AI processing off');
SELECT signals.emit_signal(1, 'zendesk', 'ticket', 'z-1', 'A ticket', extra => '{"priority": "high"}')::jsonb ->> 'emitted' AS emitted;
SELECT weight, extra FROM signals.signals WHERE source_id = 'z-1';
SELECT signals.source_config_create(1, 'linear', 'issue', enabled => false)::jsonb ->> 'enabled' AS linear_enabled;
SELECT signals.emit_signal(1, 'linear', 'issue', 'lin-1', 'From a disabled source');
SELECT signals.emit_signal(1, 'fax', 'issue', 'f-1', 'x');
SELECT signals.emit_signal(1, 'github', 'issue', NULL, 'x');
SELECT signals.emit_signal(1, 'github', 'issue', 'g-1', ' ');
SELECT signals.emit_signal(1, 'github', 'issue', 'g-1', repeat('d', 50001));
SELECT signals.emit_signal(1, 'github', 'issue', 'g-1', 'x', -0.1);
SELECT signals.emit_signal(1, 'github', 'issue', 'g-1', 'x', 'NaN');
SELECT signals.emit_signal(1, 'github', 'issue', 'g-1', 'x', extra => '[1]');
SELECT signals.emit_signal(1, 'github', 'issue', 'g-1', 'x', dedupe_keys => '{""}');
SELECT signals.emit_signal(1, 'github', 'issue', 'g-1', 'x',
                           dedupe_keys => ARRAY(SELECT 'k' || i FROM generate_series(1, 51) i));
SELECT count(*) AS queued FROM signals.signals WHERE team_id = 1 AND grouped_at IS NULL;

-- Scout runs to emit from.
SELECT signals.set_scout_config(1, 'emitter') IS NOT NULL AS configured;
SELECT signals.set_scout_config(1, 'dry-runner', emit => false) IS NOT NULL AS configured;
SELECT signals.set_scout_config(2, 'emitter') IS NOT NULL AS configured;
SELECT signals.create_scout_run(1, 'emitter', 2, status => 'in_progress') AS run \gset
SELECT signals.create_scout_run(1, 'emitter') AS queued_run \gset
SELECT signals.create_scout_run(1, 'dry-runner', status => 'in_progress') AS dry_run \gset
SELECT signals.create_scout_run(1, 'no-config-skill', status => 'in_progress') AS orphan_run \gset
SELECT signals.create_scout_run(2, 'emitter', status => 'in_progress') AS team2_run \gset
\set emit_path '/api/projects/1/signals/scout/runs/' :run '/emit-signal/'

-- Unknown runs are 404; runs not in progress are 400.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/runs/00000000-0000-0000-0000-000000000000/emit-signal/', 'scout1',
                  '{"description": "x"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/runs/' || :'team2_run' || '/emit-signal/', 'scout1',
                  '{"description": "x"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/runs/' || :'queued_run' || '/emit-signal/', 'scout1',
                  '{"description": "x"}');
-- Every validation rule.
SELECT * FROM api('POST', :'emit_path', 'scout1', '{}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "\n\t "}');
SELECT * FROM api('POST', :'emit_path', 'scout1', json_build_object('description', repeat('d', 50001))::text);
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "weight": 1.01}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "weight": "heavy"}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "weight": 1e400}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "confidence": -1}');
SELECT * FROM api('POST', :'emit_path', 'scout1',
                  json_build_object('description', 'x', 'evidence',
                                    (SELECT json_agg(json_build_object('summary', i)) FROM generate_series(1, 21) i))::text);
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "evidence": [{"summary": "ok"}, "not an object"]}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "evidence": {"summary": "ok"}}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "severity": "P5"}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "dedupe_keys": ["a", 2]}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "dedupe_keys": "a"}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "time_range": {"date_from": "2030-01-01"}}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "time_range": "last week"}');
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "hypothesis": 42}');
SELECT * FROM api('POST', :'emit_path', 'scout1', json_build_object('description', 'x', 'finding_id', repeat('f', 101))::text);
SELECT * FROM api('POST', :'emit_path', 'alice_all', '{"description": "x"}');
SELECT emitted_count, emitted_finding_ids FROM signals.scout_runs WHERE id = :'run';

-- The gates, in order, each writing nothing.
SELECT * FROM api('POST', '/api/projects/1/signals/scout/runs/' || :'orphan_run' || '/emit-signal/', 'scout1',
                  '{"description": "x", "finding_id": "f-gate"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/runs/' || :'dry_run' || '/emit-signal/', 'scout1',
                  '{"description": "x", "finding_id": "f-gate"}');
SELECT * FROM api('POST', '/api/projects/2/signals/scout/runs/' || :'team2_run' || '/emit-signal/', 'scout2',
                  '{"description": "x", "finding_id": "f-gate"}');
SELECT signals.source_config_create(1, 'signals_scout', 'cross_source_issue', enabled => false)::jsonb ->> 'enabled' AS scout_source;
SELECT * FROM api('POST', :'emit_path', 'scout1', '{"description": "x", "finding_id": "f-gate"}');
SELECT count(*) AS gated_signals FROM signals.signals WHERE source_id LIKE '%f-gate';
UPDATE signals.source_configs SET enabled = true WHERE team_id = 1 AND source_product = 'signals_scout';

-- Emitted: the source id names the run and the finding; the run counts it.
SELECT * FROM api('POST', :'emit_path', 'scout1',
                  '{"description": "Checkout p95 latency doubled after deploy 4521",
                    "weight": 0.7, "confidence": 0.9, "severity": "P1",
                    "evidence": [{"source_product": "error_tracking", "summary": "TypeError spike", "entity_id": "e-17"}],
                    "hypothesis": "cart.js regression", "dedupe_keys": ["deploy-4521"],
                    "time_range": {"date_from": "2030-01-01T00:00:00Z", "date_to": "2030-01-02T00:00:00Z"},
                    "mcp_trace_id": "trace-1", "finding_id": "checkout-latency"}');
SELECT source_product, source_type, source_id = 'run:' || :'run' || ':finding:checkout-latency' AS source_id_ok,
       weight, dedupe_keys, extra - 'scout_run_id' AS extra, extra ->> 'scout_run_id' = :'run' AS run_recorded
  FROM signals.signals WHERE run_id = :'run';
-- Not idempotent: the same finding emits again.  Without a finding id one is generated.
SELECT body::jsonb -> 'emitted' AS emitted
  FROM api('POST', :'emit_path', 'scout1', '{"description": "Checkout latency again", "finding_id": "checkout-latency"}');
SELECT b ->> 'finding_id' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' AS generated, b -> 'emitted' AS emitted
  FROM api_json('POST', :'emit_path', 'scout1', '{"description": "No finding id", "weight": null, "finding_id": null}') b;
SELECT emitted_count, emitted_finding_ids[1:2] AS first_findings, cardinality(emitted_finding_ids) AS findings
  FROM signals.scout_runs WHERE id = :'run';
SELECT count(*) AS run_signals, count(*) FILTER (WHERE weight = 1.0) AS default_weight FROM signals.signals WHERE run_id = :'run';
