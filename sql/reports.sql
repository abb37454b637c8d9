-- reports/: list filters, ordering and computed fields; retrieve; state
-- changes; delete; artefacts; signals with their match evidence; and the
-- whole state machine from SQL.
\set SHOW_CONTEXT never

-- An inbox built directly, as a DBA might: one report per status, with
-- weights, counts and sources to sort and filter on.
INSERT INTO signals.reports (team_id, id, title, summary, status, total_weight, signal_count,
                             source_products, created_at, updated_at, status_before_suppression)
VALUES
 (1, '00000000-0000-7000-8000-000000000001', 'Checkout fails with TypeError', 'cart.js throws on submit', 'ready', 3.5, 7, '{error_tracking,zendesk}', '2030-01-01', '2030-01-10', NULL),
 (1, '00000000-0000-7000-8000-000000000002', 'Login is slow', 'p95 above 2s', 'ready', 1.2, 3, '{session_replay}', '2030-01-02', '2030-01-09', NULL),
 (1, '00000000-0000-7000-8000-000000000003', 'Export button hidden', 'users cannot find export', 'pending_input', 2.0, 4, '{zendesk}', '2030-01-03', '2030-01-08', NULL),
 (1, '00000000-0000-7000-8000-000000000004', 'Search returns 500', 'ES timeout', 'in_progress', 1.0, 2, '{error_tracking}', '2030-01-04', '2030-01-07', NULL),
 (1, '00000000-0000-7000-8000-000000000005', 'Invoice PDF blank', '100% of PDFs empty', 'candidate', 1.1, 2, '{github}', '2030-01-05', '2030-01-06', NULL),
 (1, '00000000-0000-7000-8000-000000000006', 'Dark mode flicker', 'cosmetic', 'potential', 0.3, 1, '{session_replay}', '2030-01-06', '2030-01-05', NULL),
 (1, '00000000-0000-7000-8000-000000000007', 'Webhook retries storm', 'failed research', 'failed', 2.2, 5, '{github,linear}', '2030-01-07', '2030-01-04', NULL),
 (1, '00000000-0000-7000-8000-000000000008', 'Old CSV bug', 'fixed last week', 'resolved', 1.5, 3, '{linear}', '2030-01-08', '2030-01-03', NULL),
 (1, '00000000-0000-7000-8000-000000000009', 'Noisy bot traffic', 'spam', 'suppressed', 0.9, 9, '{session_replay}', '2030-01-09', '2030-01-02', 'potential'),
 (1, '00000000-0000-7000-8000-00000000000a', 'Gone for good', 'deleted', 'deleted', 5.0, 10, '{github}', '2030-01-10', '2030-01-11', NULL),
 (2, '00000000-0000-7000-8000-00000000000b', 'Team two report', 'not yours', 'ready', 1.0, 1, '{github}', '2030-01-11', '2030-01-12', NULL);
\set r1 '00000000-0000-7000-8000-000000000001'
\set r2 '00000000-0000-7000-8000-000000000002'
\set r5 '00000000-0000-7000-8000-000000000005'
\set r7 '00000000-0000-7000-8000-000000000007'
\set r9 '00000000-0000-7000-8000-000000000009'

-- Judgments and reviewers as artefacts; the report fields follow the newest.
UPDATE signals.users SET github_login = 'Carol-GH' WHERE email = 'carol@example.com';
SELECT signals.add_artefact(1, :'r1', 'priority_judgment', '{"priority": "P2", "explanation": "first take"}') IS NOT NULL AS added;
SELECT pg_sleep(0.01);
SELECT signals.add_artefact(1, :'r1', 'priority_judgment', '{"priority": "P0", "explanation": "revenue impact"}') IS NOT NULL AS added;
SELECT signals.add_artefact(1, :'r1', 'actionability_judgment',
                            '{"actionability": "immediately_actionable", "already_addressed": false, "explanation": "clear fix"}') IS NOT NULL AS added;
SELECT signals.add_artefact(1, :'r1', 'suggested_reviewers',
    json_build_array(json_build_object('user_uuid', (SELECT user_id FROM test_users WHERE name = 'alice'), 'reason', 'owns cart.js'),
                     json_build_object('github_login', 'carol-gh'))::jsonb) IS NOT NULL AS added;
SELECT signals.add_artefact(1, :'r1', 'task_run', '{"product": "signals", "type": "implementation", "pr_url": "https://github.test/acme/pull/7"}') IS NOT NULL AS added;
SELECT signals.add_artefact(1, :'r2', 'actionability_judgment', '{"actionability": "not_actionable", "already_addressed": true}') IS NOT NULL AS added;
SELECT signals.add_artefact(1, :'r2', 'suggested_reviewers',
    json_build_array(json_build_object('user_uuid', (SELECT user_id FROM test_users WHERE name = 'alice')))::jsonb) IS NOT NULL AS added;
SELECT signals.add_artefact(1, :'r7', 'suggested_reviewers',
    json_build_array(json_build_object('user_uuid', (SELECT user_id FROM test_users WHERE name = 'alice')))::jsonb) IS NOT NULL AS added;
SELECT signals.add_artefact(1, '00000000-0000-7000-8000-000000000003', 'priority_judgment', '{"priority": "P3"}') IS NOT NULL AS added;
SELECT signals.add_artefact(1, '00000000-0000-7000-8000-000000000004', 'priority_judgment', '{"priority": "P1"}') IS NOT NULL AS added;
-- Artefacts that do not parse are refused.
SELECT signals.add_artefact(1, :'r1', 'priority_judgment', '{"priority": "urgent"}');
SELECT signals.add_artefact(1, :'r1', 'actionability_judgment', '{}');
SELECT signals.add_artefact(1, :'r1', 'suggested_reviewers', '[{"reason": "nobody"}]');
SELECT signals.add_artefact(1, :'r1', '', '{}');
SELECT signals.add_artefact(1, '00000000-0000-7000-8000-00000000000a', 'note', '{}');

-- Retrieve: every computed field.
SELECT * FROM api('GET', '/api/projects/1/signals/reports/' || :'r1' || '/', 'alice_all');
-- Carol is a reviewer through her GitHub login; a caller without a user is none.
SELECT body::jsonb -> 'is_suggested_reviewer' AS carol_view FROM api('GET', '/api/projects/1/signals/reports/' || :'r1', 'carol_all');
SELECT signals.report_get(1, :'r1')::jsonb -> 'is_suggested_reviewer' AS anonymous_view;
-- Forced false for ready + not_actionable and for failed.
SELECT body::jsonb -> 'is_suggested_reviewer' AS not_actionable_view FROM api('GET', '/api/projects/1/signals/reports/' || :'r2', 'alice_all');
SELECT body::jsonb -> 'is_suggested_reviewer' AS failed_view FROM api('GET', '/api/projects/1/signals/reports/' || :'r7', 'alice_all');
-- Deleted, foreign, unknown and malformed ids are 404.
SELECT * FROM api('GET', '/api/projects/1/signals/reports/00000000-0000-7000-8000-00000000000a/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/00000000-0000-7000-8000-00000000000b/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/00000000-0000-0000-0000-000000000000/', 'alice_all');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/report-1/', 'alice_all');

-- The list.
CREATE FUNCTION pg_temp.titles(body text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(e ->> 'title' ORDER BY n), '{}')
      FROM jsonb_array_elements(body::jsonb -> 'results') WITH ORDINALITY AS x(e, n)
$$;
-- Default ordering -is_suggested_reviewer,status,-updated_at: alice's reviews
-- first, then by pipeline rank; suppressed and deleted left out.
SELECT body::jsonb -> 'count' AS count, pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_team1');
-- The status filter, and its errors.
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'status=suppressed');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'status=ready,%20failed');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'status=deleted');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'status=ready,open,closed');
-- Search: title or summary, any case, wildcards literal.
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'search=TYPEERROR');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'search=es%20timeout');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'search=100%25');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'search=_');
-- Source products and suggested reviewers.
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'source_product=zendesk,linear');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL,
                                     'suggested_reviewers=' || (SELECT user_id FROM test_users WHERE name = 'carol'));
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL,
                                     'suggested_reviewers=' || (SELECT user_id FROM test_users WHERE name = 'bob'));
SELECT * FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'suggested_reviewers=alice');
-- Ordering: each allowed name, descending, unknown names ignored, id as tiebreak.
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=-total_weight');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=signal_count,-id');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=priority');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=-priority');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=created_at');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=-status');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=bogus,-updated_at');
SELECT pg_temp.titles(body) FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'ordering=bogus');
-- Pages, combined filters.
SELECT body::jsonb - 'results' AS page, pg_temp.titles(body)
  FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'limit=3&offset=3&ordering=created_at&status=ready,pending_input,in_progress,candidate,potential,failed,resolved');
SELECT body::jsonb -> 'count' AS count, pg_temp.titles(body)
  FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'source_product=session_replay&search=slow&status=ready');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'statuses=ready');

-- State changes through the API.
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r5' || '/state/', 'alice_all', '{}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r5' || '/state/', 'alice_all', '{"state": "ready"}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r5' || '/state/', 'alice_all', '{"state": "suppressed", "snooze_for": 3}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r1' || '/state/', 'alice_all', '{"state": "potential", "snooze_for": 0}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r1' || '/state/', 'alice_all', '{"state": "potential", "snooze_for": 100001}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r1' || '/state/', 'alice_all', '{"state": "potential", "snooze_for": "soon"}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r1' || '/state/', 'alice_all', '{"state": "potential", "snooze_for": 2.5}');
-- A report suppressed while in_progress, asked back to potential, is
-- potential (SPEC.md: a suppressed report returns to potential or to its
-- previous state; the client named potential).
SELECT body::jsonb ->> 'status' AS status
  FROM api('POST', '/api/projects/1/signals/reports/00000000-0000-7000-8000-000000000004/state/', 'alice_all', '{"state": "suppressed"}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/00000000-0000-7000-8000-000000000004/state/', 'alice_all', '{"state": "potential"}');
-- A bad snooze_for is the 400 that names it, whatever the report's state
-- (here potential, where the move itself would be refused, and resolved).
SELECT * FROM api('POST', '/api/projects/1/signals/reports/00000000-0000-7000-8000-000000000004/state/', 'alice_all', '{"state": "potential", "snooze_for": 0}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/00000000-0000-7000-8000-000000000004/state/', 'alice_all', '{"state": "potential", "snooze_for": 100001}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/00000000-0000-7000-8000-000000000004/state/', 'alice_all', '{"state": "suppressed", "snooze_for": 5}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/00000000-0000-7000-8000-000000000004/state/', 'alice_all', '{"state": "potential"}');
-- candidate -> potential is refused (409); candidate -> suppressed -> potential.
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r5' || '/state/', 'alice_all', '{"state": "potential"}');
SELECT body::jsonb ->> 'status' AS status FROM api('POST', '/api/projects/1/signals/reports/' || :'r5' || '/state/', 'alice_all', '{"state": "suppressed"}');
SELECT body::jsonb ->> 'status' AS status FROM api('POST', '/api/projects/1/signals/reports/' || :'r5' || '/state/', 'alice_all', '{"state": "potential"}');
-- A report born suppressed goes back to potential; snoozing sets signals_at_run.
SELECT body::jsonb ->> 'status' AS status FROM api('POST', '/api/projects/1/signals/reports/' || :'r9' || '/state/', 'alice_all', '{"state": "potential"}');
SELECT body::jsonb -> 'signals_at_run' AS signals_at_run, body::jsonb ->> 'status' AS status
  FROM api('POST', '/api/projects/1/signals/reports/' || :'r1' || '/state/', 'alice_all', '{"state": "potential", "snooze_for": 5.0}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r1' || '/state/', 'alice_all', '{"state": "resolved"}');
SELECT body::jsonb ->> 'status' AS status FROM api('POST', '/api/projects/1/signals/reports/' || :'r2' || '/state/', 'alice_all', '{"state": "resolved"}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r2' || '/state/', 'alice_all', '{"state": "potential", "snooze_for": 0}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r2' || '/state/', 'alice_all', '{"state": "potential", "snooze_for": 100001}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r2' || '/state/', 'alice_read', '{"state": "suppressed"}');

-- Delete: 202, then gone everywhere.
SELECT * FROM api('DELETE', '/api/projects/1/signals/reports/' || :'r7' || '/', 'alice_all');
SELECT * FROM api('DELETE', '/api/projects/1/signals/reports/' || :'r7' || '/', 'alice_all');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'r7' || '/state/', 'alice_all', '{"state": "potential"}');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/' || :'r7' || '/artefacts/', 'alice_all');
SELECT 'Webhook retries storm' = ANY (pg_temp.titles(body)) AS still_listed
  FROM api('GET', '/api/projects/1/signals/reports/', 'alice_all', NULL, 'status=failed');

-- Artefacts: newest first, paginated.
SELECT body::jsonb - 'results' AS page, jsonb_path_query_array(body::jsonb, '$.results[*].type') AS types
  FROM api('GET', '/api/projects/1/signals/reports/' || :'r1' || '/artefacts/', 'alice_all', NULL, 'limit=2');
SELECT jsonb_path_query_array(body::jsonb, '$.results[*].content.priority') AS priorities
  FROM api('GET', '/api/projects/1/signals/reports/' || :'r1' || '/artefacts/', 'alice_all', NULL, 'offset=3');

-- Signals with their match evidence, in arrival order.
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight,
                             report_id, grouped_at, match_method, match_score, match_detail, created_at)
VALUES (1, '00000000-0000-7000-8000-0000000000f1', 'error_tracking', 'issue', 'report-e-1', 'TypeError in cart.js', 0.5,
        :'r1', '2030-01-01', 'new_report', NULL, '{"reason": "no similar report"}', '2030-01-01'),
       (1, '00000000-0000-7000-8000-0000000000f2', 'zendesk', 'ticket', 'report-z-1', 'Cannot pay, checkout broken', 0.5,
        :'r1', '2030-01-02', 'similarity', 0.61, '{"shared_terms": ["checkout"]}', '2030-01-02');
SELECT * FROM api('GET', '/api/projects/1/signals/reports/' || :'r1' || '/signals/', 'alice_all');

-- The whole state machine from SQL: every (from, to) pair.
CREATE TEMP TABLE transitions AS
SELECT f AS from_status, t AS to_status, NULL::text AS outcome
  FROM unnest('{potential,candidate,in_progress,pending_input,ready,resolved,failed,suppressed,deleted}'::text[]) f,
       unnest('{potential,candidate,in_progress,pending_input,ready,resolved,failed,suppressed,deleted}'::text[]) t;
DO $$
DECLARE
    tr record;
    rid uuid;
BEGIN
    FOR tr IN SELECT * FROM transitions LOOP
        INSERT INTO signals.reports (team_id, title, summary, status, status_before_suppression)
        VALUES (2, 'machine', 'machine', tr.from_status,
                CASE WHEN tr.from_status = 'suppressed' THEN 'ready' END)
        RETURNING id INTO rid;
        BEGIN
            PERFORM signals.report_transition(2, rid, tr.to_status);
            UPDATE transitions SET outcome = 'ok'
             WHERE from_status = tr.from_status AND to_status = tr.to_status;
        EXCEPTION WHEN object_not_in_prerequisite_state OR no_data_found THEN
            UPDATE transitions SET outcome = '-'
             WHERE from_status = tr.from_status AND to_status = tr.to_status;
        END;
    END LOOP;
END
$$;
SELECT from_status,
       string_agg(to_status || ':' || outcome, ' ' ORDER BY array_position(
           '{potential,candidate,in_progress,pending_input,ready,resolved,failed,suppressed,deleted}'::text[], to_status)) AS moves
  FROM transitions
 GROUP BY from_status
 ORDER BY array_position('{potential,candidate,in_progress,pending_input,ready,resolved,failed,suppressed,deleted}'::text[], from_status);
-- Side effects: research starts with signals_at_run = signal_count + 3; ready needs a title and summary.
INSERT INTO signals.reports (team_id, id, title, summary, status, signal_count)
VALUES (2, '00000000-0000-7000-8000-0000000000c1', '', '', 'candidate', 4);
SELECT status, signals_at_run, run_count FROM signals.report_transition(2, '00000000-0000-7000-8000-0000000000c1', 'in_progress');
SELECT signals.report_transition(2, '00000000-0000-7000-8000-0000000000c1', 'ready');
SELECT status, title FROM signals.report_transition(2, '00000000-0000-7000-8000-0000000000c1', 'ready', title => 'T', summary => 'S');
-- A snooze outside 1..100000 is refused before the move.
SELECT signals.report_transition(2, '00000000-0000-7000-8000-0000000000c1', 'potential', snooze_for => 0);
SELECT signals.report_transition(2, '00000000-0000-7000-8000-0000000000c1', 'suppressed', snooze_for => 100001);
-- Suppressed while in_progress: back to potential, or (SQL) restored to
-- candidate, since research under way was let go; never in_progress.
INSERT INTO signals.reports (team_id, id, title, summary, status, signal_count)
VALUES (2, '00000000-0000-7000-8000-0000000000c2', 'machine', 'machine', 'in_progress', 4);
SELECT status, status_before_suppression FROM signals.report_transition(2, '00000000-0000-7000-8000-0000000000c2', 'suppressed');
SELECT signals.report_transition(2, '00000000-0000-7000-8000-0000000000c2', 'in_progress');
SELECT status, status_before_suppression, promoted_at IS NOT NULL AS promoted
  FROM signals.report_transition(2, '00000000-0000-7000-8000-0000000000c2', 'candidate');
-- The rule itself, as the set-based callers use it.
SELECT to_status, signals.report_move_refusal(r, to_status, new_title, new_summary) AS refusal
  FROM signals.reports r,
       (VALUES ('in_progress', NULL, NULL), ('ready', NULL, NULL), ('suppressed', NULL, NULL),
               ('resolved', NULL, NULL), (NULL, NULL, NULL), ('open', NULL, NULL)) AS m(to_status, new_title, new_summary)
 WHERE r.team_id = 2 AND r.id = '00000000-0000-7000-8000-0000000000c2';
SELECT signals.report_move_refusal(r, 'ready') AS blank, signals.report_move_refusal(r, 'ready', 'T') AS no_summary,
       signals.report_move_refusal(r, 'ready', 'T', 'S') AS with_both
  FROM jsonb_populate_record(NULL::signals.reports, '{"status": "in_progress", "title": "", "summary": " "}') r;
-- move_reports skips what the state machine refuses and returns what moved.
SELECT id, status FROM signals.move_reports(2, '{00000000-0000-7000-8000-0000000000c1,00000000-0000-7000-8000-0000000000c2}', 'suppressed') ORDER BY id;
SELECT id, status FROM signals.move_reports(2, '{00000000-0000-7000-8000-0000000000c1,00000000-0000-7000-8000-0000000000c2}', 'suppressed') ORDER BY id;
DELETE FROM signals.reports WHERE team_id = 2 AND title IN ('machine', 'T');

-- Promotion, set-based: potential or ready with weight >= promote_weight and
-- signal_count >= signals_at_run become candidates; nothing else moves.
SELECT signals.promote_weight();
INSERT INTO signals.reports (team_id, id, title, status, total_weight, signal_count, signals_at_run)
VALUES (2, '00000000-0000-7000-8000-0000000000d1', 'due', 'potential', 1.0, 2, 0),
       (2, '00000000-0000-7000-8000-0000000000d2', 'light', 'potential', 0.9, 5, 0),
       (2, '00000000-0000-7000-8000-0000000000d3', 'snoozed', 'potential', 3.0, 5, 6),
       (2, '00000000-0000-7000-8000-0000000000d4', 'ready again', 'ready', 2.0, 8, 8),
       (2, '00000000-0000-7000-8000-0000000000d5', 'already', 'candidate', 2.0, 8, 0),
       (2, '00000000-0000-7000-8000-0000000000d6', 'hidden', 'suppressed', 2.0, 8, 0),
       (2, '00000000-0000-7000-8000-0000000000d7', 'researching', 'in_progress', 2.0, 8, 0),
       (2, '00000000-0000-7000-8000-0000000000d8', 'not asked', 'potential', 2.0, 8, 0);
SELECT signals.promote_reports(2, '{00000000-0000-7000-8000-0000000000d1,00000000-0000-7000-8000-0000000000d2,00000000-0000-7000-8000-0000000000d3,00000000-0000-7000-8000-0000000000d4,00000000-0000-7000-8000-0000000000d5,00000000-0000-7000-8000-0000000000d6,00000000-0000-7000-8000-0000000000d7,00000000-0000-7000-8000-00000000000b}') AS promoted;
SELECT title, status, promoted_at IS NOT NULL AS promoted FROM signals.reports
 WHERE team_id = 2 AND id::text LIKE '%0000000000d_' ORDER BY id;
-- Another team's ids are not promoted through this team.
SELECT signals.promote_reports(1, '{00000000-0000-7000-8000-0000000000d8}') AS promoted;
SELECT signals.promote_reports(2, '{}') AS promoted;
DELETE FROM signals.reports WHERE team_id = 2 AND id::text LIKE '%0000000000d_';

-- The title of a new report, as grouping and split make it.
SELECT signals.report_title(d) AS title
  FROM unnest(ARRAY[E'  \n\t Checkout fails  \nstack trace', '', E' \n ', 'short',
                    repeat('word ', 60), repeat('x', 250)]) d;

