-- The processing pipeline end to end: emits queue signals, process_pending()
-- drains the unpaused teams in arrival order, promotion makes candidates,
-- the built-in summarizer makes them ready, and an external agent can take
-- the research instead.  Teams 41 and 42 are this test's own.
\set SHOW_CONTEXT never
SELECT signals.create_team('Pipeline', 41), signals.create_team('Paused', 42);
SELECT signals.set_team_settings(t, ai_processing_approved => true) FROM unnest('{41,42}'::bigint[]) t;
CREATE FUNCTION pg_temp.emit(team bigint, id text, body text, w float8, keys text[] DEFAULT '{}')
RETURNS boolean LANGUAGE sql AS $$
    SELECT (signals.emit_signal(team, 'error_tracking', 'issue_created', id, body, w,
                                dedupe_keys => keys)::jsonb ->> 'emitted')::boolean
$$;

-- Team 42 is paused: its signals are accepted and queued, not grouped.
SELECT signals.processing_pause(42, now() + interval '1 hour') IS NOT NULL AS paused;
SELECT pg_temp.emit(41, 'a1', E'TypeError: cart.total is undefined\n  at checkout (web/checkout.ts:88)', 0.6, '{et-1}');
SELECT pg_temp.emit(42, 'p1', 'Paused team: invoice PDF export fails with 504', 0.5);
SELECT pg_temp.emit(41, 'a2', 'Spike of TypeError in checkout.ts', 0.5, '{et-1}');
SELECT pg_temp.emit(42, 'p2', 'Paused team: PDF export 504 again', 0.5);
SELECT pg_temp.emit(41, 'b1', 'Dark mode: settings page text is unreadable', 0.2);
SELECT team_id, count(*) AS queued FROM signals.signals
 WHERE team_id IN (41, 42) AND grouped_at IS NULL GROUP BY team_id ORDER BY team_id;

-- A budget is honoured; then the rest of the unpaused team is drained.
SELECT signals.process_pending(1) AS grouped;
SELECT signals.process_pending() AS grouped;
SELECT team_id, count(*) FILTER (WHERE grouped_at IS NULL) AS queued,
       count(*) FILTER (WHERE grouped_at IS NOT NULL) AS grouped
  FROM signals.signals WHERE team_id IN (41, 42) GROUP BY team_id ORDER BY team_id;
SELECT signals.process_pending(-1);

-- The dedupe key made one report of a1 and a2; its weight crossed 1.0, so it
-- was promoted and, the team using the built-in summarizer, made ready.
SELECT s.source_id, s.match_method,
       s.report_id = (SELECT report_id FROM signals.signals WHERE team_id = 41 AND source_id = 'a1') AS with_a1
  FROM signals.signals s WHERE s.team_id = 41 ORDER BY s.id;
SELECT status, title, summary, signal_count, total_weight, signals_at_run, run_count, source_products
  FROM signals.reports WHERE team_id = 41 ORDER BY created_at, id;

-- The pause ends: the queue is drained in arrival order, once.
SELECT signals.processing_unpause(42)::jsonb ->> 'was_paused' AS was_paused;
SELECT signals.process_pending() AS grouped;
SELECT signals.process_pending() AS grouped_again;
SELECT source_id, grouped_at IS NOT NULL AS grouped FROM signals.signals WHERE team_id = 42 ORDER BY id;
SELECT count(*) AS reports, sum(signal_count) AS signals FROM signals.reports WHERE team_id = 42;
-- A pause in the past pauses nothing.
SELECT signals.processing_pause(42, now() - interval '1 minute') IS NOT NULL AS paused;
SELECT pg_temp.emit(42, 'p3', 'After an expired pause', 0.1);
SELECT signals.process_pending() AS grouped;

-- The report's signals through the API show how each joined.
SELECT id AS report_41 FROM signals.reports WHERE team_id = 41 AND signal_count = 2 \gset
SELECT signals.create_user('pipeline@example.com') AS pipeline_user \gset
SELECT signals.add_team_member(41, :'pipeline_user');
INSERT INTO test_keys SELECT 'pipeline', key_id, token FROM signals.create_personal_key(:'pipeline_user', '{*}');
SELECT jsonb_path_query_array(body::jsonb, '$.signals[*].match_method') AS methods,
       body::jsonb -> 'report' ->> 'status' AS status
  FROM api('GET', '/api/projects/41/signals/reports/' || :'report_41' || '/signals/', 'pipeline');

-- Signals keep arriving at a ready report; a snoozed report is promoted
-- again only after snooze_for more signals.
SELECT body::jsonb ->> 'status' AS status, body::jsonb -> 'signals_at_run' AS signals_at_run
  FROM api('POST', '/api/projects/41/signals/reports/' || :'report_41' || '/state/', 'pipeline',
           '{"state": "potential", "snooze_for": 2}');
SELECT pg_temp.emit(41, 'a3', 'TypeError again in checkout', 0.9, '{et-1}');
SELECT signals.process_pending() AS grouped;
SELECT status, signal_count FROM signals.reports WHERE id = :'report_41';
SELECT pg_temp.emit(41, 'a4', 'TypeError still in checkout', 0.9, '{et-1}');
SELECT signals.process_pending() AS grouped;
SELECT status, signal_count FROM signals.reports WHERE id = :'report_41';

-- A ready report that gathers signals_at_run signals again is promoted and
-- researched again.
SELECT signals_at_run, run_count FROM signals.reports WHERE id = :'report_41';
SELECT pg_temp.emit(41, 'a' || i, 'TypeError keeps coming in checkout', 0.5, '{et-1}') FROM generate_series(5, 7) i;
SELECT signals.process_pending() AS grouped;
SELECT status, signal_count, signals_at_run, run_count FROM signals.reports WHERE id = :'report_41';

-- A description whose first lines are blank (form feeds, tabs) still gets a title.
SELECT pg_temp.emit(41, 'ff', E'\f\n\t\x0B\nCheckout crashes on submit\nmore detail', 1.0, '{ff-1}');
SELECT signals.process_pending() AS grouped;
SELECT status, title FROM signals.reports WHERE team_id = 41 AND title LIKE 'Checkout crashes%';

-- A report a SQL caller broke (its count at the integer maximum) cannot be
-- summarized; it stays a candidate, and the other teams are still served.
UPDATE signals.reports SET status = 'candidate', signal_count = 2147483647 WHERE team_id = 42;
SELECT pg_temp.emit(41, 'after-broken', 'Dark mode: unreadable again', 0.1);
SET client_min_messages = error;
SELECT signals.process_pending() AS grouped;
RESET client_min_messages;
SELECT count(*) AS queued FROM signals.signals WHERE team_id IN (41, 42) AND grouped_at IS NULL;
SELECT status FROM signals.reports WHERE team_id = 42;
UPDATE signals.reports SET status = 'potential', signal_count = 3 WHERE team_id = 42;

-- External research: candidates wait for an agent.
SELECT signals.set_team_settings(41, research_mode => 'external');
SELECT pg_temp.emit(41, 'c1', E'DeadlockDetected in tasks.recalculate_balances\n  File "ledgerly/tasks/balances.py", line 40', 0.7, '{et-9}');
SELECT pg_temp.emit(41, 'c2', 'DeadlockDetected spike in recalculate_balances', 0.7, '{et-9}');
SELECT signals.process_pending() AS grouped;
SELECT id AS candidate FROM signals.reports WHERE team_id = 41 AND status = 'candidate' \gset
SELECT signals.claim_candidate('') ;
SELECT c -> 'claimed' -> 'report' ->> 'status' AS status,
       json_array_length(c -> 'claimed' -> 'signals') AS signals, c ->> 'team_id' AS team
  FROM signals.claim_candidate('agent-1', 41) c;
SELECT claimed_by, claimed_at IS NOT NULL AS claimed FROM signals.reports WHERE id = :'candidate';
SELECT signals.claim_candidate('agent-2', 41) IS NULL AS nothing_left;
-- A claim held too long is given back, and can be claimed again.
SELECT signals.release_stale_claims('1 hour') AS released_fresh;
UPDATE signals.reports SET claimed_at = now() - interval '2 hours' WHERE id = :'candidate';
SELECT signals.release_stale_claims('1 hour') AS released_stale;
SELECT status, claimed_by FROM signals.reports WHERE id = :'candidate';
SELECT c -> 'claimed' -> 'report' ->> 'status' AS status FROM signals.claim_candidate('agent-1', 41) c;
SELECT signals.add_artefact(41, :'candidate', 'actionability_judgment',
                            '{"actionability": "immediately_actionable", "already_addressed": false}') IS NOT NULL AS judged;
SELECT signals.finish_research(41, :'candidate', 'ready');
SELECT signals.finish_research(41, :'candidate', 'shipped');
SELECT status, title, actionability FROM signals.finish_research(41, :'candidate', 'ready',
       title => 'Deadlock in balance recalculation', summary => 'Two tasks update customers in opposite orders.')
       AS r(j) CROSS JOIN LATERAL json_to_record(r.j) AS x(status text, title text, actionability text);
SELECT signals.finish_research(41, :'candidate', 'failed');
-- Not actionable sends the report back to potential with its weight reset.
UPDATE signals.reports SET status = 'candidate' WHERE id = :'candidate';
SELECT (signals.claim_candidate('agent-1', 41) -> 'claimed' -> 'report' ->> 'status') AS status;
SELECT j ->> 'status' AS status, j -> 'total_weight' AS total_weight
  FROM signals.finish_research(41, :'candidate', 'not_actionable') j;
SELECT signals.set_team_settings(41, research_mode => 'manual');
