-- What a DBA relies on, at the SQL level: create_team never collides with
-- ids given explicitly, emits say when no background worker will group
-- them, writes refused by a read-only server are 503 read_only, the loaded
-- library's version, and pruning.  (The workers, restores, standbys and
-- upgrades are tested with processes: t/1*.t and scripts/upgrade-test.)
\set SHOW_CONTEXT never

-- create_team(name) takes the sequence's next value that no team holds.
SELECT setval('signals.team_id_seq', 100000) AS sequence_at;
SELECT 100001 AS next_id \gset
SELECT signals.create_team('Explicit A', :next_id) = :next_id AS explicit_a,
       signals.create_team('Explicit B', :next_id + 1) = :next_id + 1 AS explicit_b;
SELECT signals.create_team('Numbered') = :next_id + 2 AS numbered_skips_both;
SELECT signals.create_team('Numbered again') = :next_id + 3 AS next_numbered;
SELECT signals.create_team('Explicit again', :next_id);
SELECT signals.create_team('Explicit zero', 0);
SELECT count(*) AS teams_made FROM signals.teams WHERE team_id BETWEEN :next_id AND :next_id + 3;
DELETE FROM signals.teams WHERE team_id BETWEEN :next_id AND :next_id + 3;

-- This database is not the one the workers serve (signals.database is
-- postgres): an emit is queued, and says so (scripts/test turns the
-- warning off for the test role; a session turns it on again).
SHOW signals.warn_unserved_emits;
SELECT signals.unserved_queue_warning() IS NULL AS silent_when_off;
SET signals.warn_unserved_emits = on;
SELECT signals.unserved_queue_warning();
SELECT signals.emit_signal(1, 'error_tracking', 'issue_created', 'ops-unserved-1',
                           'Queued where no worker groups it', 0.1)::jsonb - 'signal_id' AS answer;
-- A duplicate is not queued again: no warning.
SELECT signals.emit_signal(1, 'error_tracking', 'issue_created', 'ops-unserved-1',
                           'Queued where no worker groups it', 0.1)::jsonb - 'signal_id' AS answer;
SELECT signals.set_scout_config(1, 'ops-scout') IS NOT NULL AS configured;
SELECT signals.create_scout_run(1, 'ops-scout', 1, 'ops-task', 'ops-run', 'in_progress') AS ops_run \gset
SELECT * FROM api('POST', '/api/projects/1/signals/scout/runs/' || :'ops_run' || '/emit-signal/', 'scout1',
                  '{"description": "Scout finding where no worker serves", "finding_id": "ops-1"}');
RESET signals.warn_unserved_emits;
SELECT * FROM api('POST', '/api/projects/1/signals/scout/runs/' || :'ops_run' || '/emit-signal/', 'scout1',
                  '{"description": "Scout finding, warning off", "finding_id": "ops-2"}');
SELECT signals.process_pending() >= 3 AS drained_by_hand;

-- A server that refuses writes (here a read-only transaction; on a hot
-- standby the detail names the primary): writes are 503 read_only with the
-- standard body, reads work.
BEGIN TRANSACTION READ ONLY;
SELECT * FROM api('PUT', '/api/projects/1/signals/processing/pause/', 'alice_all',
                  '{"timestamp": "2030-01-01T00:00:00Z"}');
SELECT * FROM api('POST', '/api/projects/1/signals/scout/scratchpad/', 'scout1',
                  '{"key": "ro", "content": "refused"}');
SELECT * FROM api('GET', '/api/projects/1/signals/processing/', 'alice_all');
ROLLBACK;

-- The loaded library serves this schema's version.
SELECT signals.library_version() = extversion AS library_matches_schema
  FROM pg_extension WHERE extname = 'signals';

-- Pruning one team (the workers prune every team, one per transaction).
SELECT signals.grouping_prune(1) >= 0 AS pruned;
