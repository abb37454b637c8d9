-- Correcting grouping: merge and split over HTTP and from SQL.  Every error
-- path with its exact status and body; merge chains; splitting a merged
-- report; counters equal the sums of the signals afterwards; lineage kept;
-- the grouping tables untouched; a role granted the team can correct it.
\set SHOW_CONTEXT never

-- Reports of team 2 with their signals, grouped as a DBA might have them.
INSERT INTO signals.reports (team_id, id, title, summary, status, total_weight, signal_count,
                             signals_at_run, source_products, status_before_suppression)
VALUES
 (2, '00000000-0000-7000-8000-0000000002a1', 'Cart TypeError', '', 'potential', 0.5, 2, 0, '{error_tracking,zendesk}', NULL),
 (2, '00000000-0000-7000-8000-0000000002a2', 'Cart undefined', '', 'potential', 0.4, 1, 0, '{github}', NULL),
 (2, '00000000-0000-7000-8000-0000000002a3', 'Checkout broken', '', 'potential', 0.2, 1, 0, '{zendesk}', NULL),
 (2, '00000000-0000-7000-8000-0000000002a4', 'Bot traffic', '', 'suppressed', 0.9, 1, 0, '{session_replay}', 'potential'),
 (2, '00000000-0000-7000-8000-0000000002a5', 'Gone', '', 'deleted', 0, 0, 0, '{}', NULL),
 (2, '00000000-0000-7000-8000-0000000002a6', 'Being researched', '', 'in_progress', 0.7, 1, 4, '{linear}', NULL),
 (2, '00000000-0000-7000-8000-0000000002a7', 'Invoices', 'four issues', 'ready', 2.0, 4, 3, '{error_tracking,github}', NULL),
 (1, '00000000-0000-7000-8000-0000000001a1', 'Team one', '', 'potential', 0.3, 1, 0, '{github}', NULL);
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight,
                             report_id, grouped_at, match_method)
VALUES
 (2, '00000000-0000-7000-8000-0000000002b1', 'error_tracking', 'issue', 'c-1', 'TypeError: cart is undefined', 0.3, '00000000-0000-7000-8000-0000000002a1', now(), 'new_report'),
 (2, '00000000-0000-7000-8000-0000000002b2', 'zendesk', 'ticket', 'c-2', 'Cart page crashes', 0.2, '00000000-0000-7000-8000-0000000002a1', now(), 'similarity'),
 (2, '00000000-0000-7000-8000-0000000002b3', 'github', 'issue', 'c-3', 'cart undefined on submit', 0.4, '00000000-0000-7000-8000-0000000002a2', now(), 'new_report'),
 (2, '00000000-0000-7000-8000-0000000002b4', 'zendesk', 'ticket', 'c-4', 'Checkout broken', 0.2, '00000000-0000-7000-8000-0000000002a3', now(), 'new_report'),
 (2, '00000000-0000-7000-8000-0000000002b5', 'session_replay', 'session_analysis_cluster', 'c-5', 'Bots', 0.9, '00000000-0000-7000-8000-0000000002a4', now(), 'new_report'),
 (2, '00000000-0000-7000-8000-0000000002b6', 'linear', 'issue', 'c-6', 'Researched', 0.7, '00000000-0000-7000-8000-0000000002a6', now(), 'new_report'),
 (2, '00000000-0000-7000-8000-0000000002c1', 'error_tracking', 'issue', 'i-1', 'PDF render timeout', 0.5, '00000000-0000-7000-8000-0000000002a7', now(), 'new_report'),
 (2, '00000000-0000-7000-8000-0000000002c2', 'github', 'issue', 'i-2', E'  \n Invoice totals wrong for EUR  \nsteps: ...', 0.6, '00000000-0000-7000-8000-0000000002a7', now(), 'similarity'),
 (2, '00000000-0000-7000-8000-0000000002c3', 'error_tracking', 'issue', 'i-3', 'Invoice totals off by one cent', 0.5, '00000000-0000-7000-8000-0000000002a7', now(), 'similarity'),
 (2, '00000000-0000-7000-8000-0000000002c4', 'error_tracking', 'issue', 'i-4', 'PDF render timeout again', 0.4, '00000000-0000-7000-8000-0000000002a7', now(), 'dedupe_key'),
 (1, '00000000-0000-7000-8000-0000000001b1', 'github', 'issue', 'o-1', 'Team one signal', 0.3, '00000000-0000-7000-8000-0000000001a1', now(), 'new_report');
SELECT signals.add_artefact(2, '00000000-0000-7000-8000-0000000002a2', 'priority_judgment', '{"priority": "P1"}') IS NOT NULL AS added;
\set a1 '00000000-0000-7000-8000-0000000002a1'
\set a2 '00000000-0000-7000-8000-0000000002a2'
\set a3 '00000000-0000-7000-8000-0000000002a3'
\set a4 '00000000-0000-7000-8000-0000000002a4'
\set a5 '00000000-0000-7000-8000-0000000002a5'
\set a6 '00000000-0000-7000-8000-0000000002a6'
\set a7 '00000000-0000-7000-8000-0000000002a7'
\set o1 '00000000-0000-7000-8000-0000000001a1'
\set reports '/api/projects/2/signals/reports/'

-- Every report's counters equal the sums of its signals (the reports of this
-- test: those made above and those split off them).
CREATE FUNCTION pg_temp.counters_exact(team bigint) RETURNS boolean LANGUAGE sql AS $$
    SELECT bool_and(r.signal_count = coalesce(s.n, 0)
                    AND round(r.total_weight::numeric, 9) = round(coalesce(s.w, 0)::numeric, 9)
                    AND r.source_products = coalesce(s.products, '{}'))
      FROM signals.reports r
      LEFT JOIN (SELECT report_id, count(*) AS n, sum(weight) AS w,
                        array_agg(DISTINCT source_product COLLATE "C" ORDER BY source_product COLLATE "C") AS products
                   FROM signals.signals WHERE team_id = team GROUP BY report_id) s ON s.report_id = r.id
     WHERE r.team_id = team AND r.status <> 'deleted'
       AND (r.id::text ~ '-0000000002a.$|-0000000001a1$' OR r.split_from IS NOT NULL)
$$;
CREATE FUNCTION pg_temp.report_row(rid uuid)
RETURNS TABLE (title text, status text, signal_count integer, total_weight numeric, source_products text[],
               merged_into uuid, split_from uuid, promoted boolean, priority text, artefact_count integer)
LANGUAGE sql AS $$
    SELECT title, status, signal_count, round(total_weight::numeric, 6), source_products,
           merged_into, split_from, promoted_at IS NOT NULL, priority, artefact_count
      FROM signals.reports WHERE id = rid
$$;
-- A statement's error as SQLSTATE, message and column.
CREATE FUNCTION pg_temp.sql_error(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    field text;
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, field = COLUMN_NAME;
    RETURN state || ': ' || message || coalesce(' (' || nullif(field, '') || ')', '');
END
$$;
SELECT pg_temp.counters_exact(2) AS exact_before;
SELECT count(*) AS grouping_rows_before FROM signals.grouping_members WHERE team_id = 2;

-- Merge errors, in the order they are checked.
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', '{}');
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', '{"into": null}');
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', '{"into": "a2"}');
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', '{"into": 7}');
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s", "force": "yes"}', :'a2'));
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a1'));
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_read', format('{"into": "%s"}', :'a2'));
-- Either id of another team, or unknown: 404.
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'o1'));
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', '{"into": "00000000-0000-7000-8000-00000000ffff"}');
SELECT * FROM api('POST', :'reports' || :'o1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a2'));
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'o1'));
SELECT * FROM api('POST', :'reports' || :'a5' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a2'));
-- Target deleted or suppressed: 409.
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a5'));
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a4'));
-- Research in progress on either: 409 unless forced.
SELECT * FROM api('POST', :'reports' || :'a6' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a2'));
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a6'));
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s", "force": false}', :'a6'));
-- Nothing moved.
SELECT pg_temp.counters_exact(2) AS exact, count(*) FILTER (WHERE status = 'deleted') AS deleted
  FROM signals.reports WHERE team_id = 2;

-- A into B: 200 with the target, recomputed.
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a2'));
SELECT * FROM pg_temp.report_row(:'a1');
SELECT * FROM pg_temp.report_row(:'a2');
SELECT * FROM api('GET', :'reports' || :'a1' || '/', 'alice_all');
SELECT * FROM api('POST', :'reports' || :'a1' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a3'));
-- Merged into it: a merged report is no target.
SELECT * FROM api('POST', :'reports' || :'a3' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a1'));
-- B into C: A's merged_into stays B; every signal is in C, whose weight now
-- promotes it; B's priority judgment went with it.
SELECT body::jsonb - '{id,created_at,updated_at}'::text[] AS target
  FROM api('POST', :'reports' || :'a2' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a3'));
SELECT * FROM pg_temp.report_row(:'a1');
SELECT * FROM pg_temp.report_row(:'a2');
SELECT * FROM pg_temp.report_row(:'a3');
SELECT array_agg(source_id ORDER BY id) AS signals_of_c FROM signals.signals WHERE report_id = :'a3';
SELECT pg_temp.counters_exact(2) AS exact;

-- Forced: research in progress on the source is dropped with it.
SELECT body::jsonb ->> 'signal_count' AS signal_count
  FROM api('POST', :'reports' || :'a6' || '/merge/', 'alice_all', format('{"into": "%s", "force": true}', :'a3'));
SELECT status, merged_into = :'a3' AS into_c, claimed_by FROM signals.reports WHERE id = :'a6';
-- Merging a suppressed report into a live one is allowed.
SELECT body::jsonb ->> 'signal_count' AS signal_count, body::jsonb -> 'source_products' AS products
  FROM api('POST', :'reports' || :'a4' || '/merge/', 'alice_all', format('{"into": "%s"}', :'a3'));

-- From SQL: the same errors as SQLSTATEs.
SELECT pg_temp.sql_error(format('SELECT signals.report_merge(2, %L, %s)', :'a3', x)) AS error
  FROM unnest(ARRAY['NULL', quote_literal(:'a3'), quote_literal(:'o1'), quote_literal(:'a5'),
                    quote_literal(:'a1'), quote_literal(:'a4')]) x;
SELECT pg_temp.sql_error(format('SELECT signals.report_merge(99, %L, %L)', :'a3', :'a7')) AS error;
SELECT pg_temp.sql_error(format('SELECT signals.report_merge(2, %L, %L)', :'a1', :'a7')) AS error;

-- Split errors, in the order they are checked.
\set split '/api/projects/2/signals/reports/00000000-0000-7000-8000-0000000002a7/split/'
SELECT * FROM api('POST', :'split', 'alice_all', '{}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": null}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": "00000000-0000-7000-8000-0000000002c1"}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": [1]}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": []}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1", "c2"]}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1"], "title": "  "}');
SELECT * FROM api('POST', :'split', 'alice_all', format('{"signal_ids": ["00000000-0000-7000-8000-0000000002c1"], "title": "%s"}', repeat('t', 201)));
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1"], "title": 5}');
SELECT * FROM api('POST', :'split', 'alice_read', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1"]}');
SELECT * FROM api('POST', :'reports' || :'a5' || '/split/', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1"]}');
SELECT * FROM api('POST', '/api/projects/1/signals/reports/' || :'a7' || '/split/', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1"]}');
SELECT api_json('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1", "00000000-0000-7000-8000-0000000002b1"]}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000001b1"]}');
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-00000000ffff"]}');
SELECT * FROM api('POST', :'split', 'alice_all',
                  '{"signal_ids": ["00000000-0000-7000-8000-0000000002c1", "00000000-0000-7000-8000-0000000002c2", "00000000-0000-7000-8000-0000000002c3", "00000000-0000-7000-8000-0000000002c4"]}');

-- Split: 201 with the new report, made as grouping makes one: titled from
-- the first moved signal (arrival order), potential, promoted when due.
SELECT * FROM api('POST', :'split', 'alice_all',
                  '{"signal_ids": ["00000000-0000-7000-8000-0000000002c3", "00000000-0000-7000-8000-0000000002c2", "00000000-0000-7000-8000-0000000002c3"]}');
SELECT id AS invoices_totals FROM signals.reports WHERE split_from = :'a7' \gset
SELECT * FROM pg_temp.report_row(:'invoices_totals');
SELECT (r).split_from = :'a7' AS split_from_invoices FROM (SELECT r FROM signals.reports r WHERE id = :'invoices_totals') x;
SELECT array_agg(source_id ORDER BY id) AS signals_of_new FROM signals.signals WHERE report_id = :'invoices_totals';
-- The source keeps its state and the rest of its signals.
SELECT * FROM pg_temp.report_row(:'a7');
-- A title given is used; a light split stays potential.
SELECT body::jsonb ->> 'title' AS title, body::jsonb ->> 'status' AS status, body::jsonb -> 'total_weight' AS weight
  FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c4"], "title": "PDF timeouts (again)"}');
SELECT pg_temp.counters_exact(2) AS exact;

-- Research in progress: 409 unless forced.
SELECT (signals.report_transition(2, :'a7', 'candidate')).status;
SELECT (signals.report_transition(2, :'a7', 'in_progress')).status;
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight, report_id, grouped_at)
VALUES (2, '00000000-0000-7000-8000-0000000002c5', 'github', 'issue', 'i-5', 'PDF render timeout in EU', 0.1, :'a7', now());
SELECT signals.refresh_signal_fields(2, ARRAY[:'a7'::uuid]);
SELECT * FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c5"]}');
SELECT body::jsonb ->> 'title' AS title
  FROM api('POST', :'split', 'alice_all', '{"signal_ids": ["00000000-0000-7000-8000-0000000002c5"], "force": true}');
SELECT status FROM signals.reports WHERE id = :'a7';

-- Splitting a merged report: the signals that came with A leave C again.
SELECT body::jsonb ->> 'title' AS title, body::jsonb -> 'signal_count' AS signal_count,
       body::jsonb -> 'source_products' AS products
  FROM api('POST', :'reports' || :'a3' || '/split/', 'alice_all',
           '{"signal_ids": ["00000000-0000-7000-8000-0000000002b2", "00000000-0000-7000-8000-0000000002b1"]}');
SELECT r.title, r.split_from = :'a3' AS split_from_c, s.merged_into = :'a2' AS a_still_into_b
  FROM signals.reports r, signals.reports s
 WHERE r.team_id = 2 AND r.split_from = :'a3' AND s.id = :'a1';
SELECT pg_temp.counters_exact(2) AS exact;

-- From SQL: the same errors as SQLSTATEs.
SELECT pg_temp.sql_error(format('SELECT signals.report_split(2, %L, %s)', :'a3', x)) AS error
  FROM unnest(ARRAY['NULL', '''{}''', '''{x}''', '''{NULL}''',
                    '''{00000000-0000-7000-8000-0000000002b4}'', title => ''''',
                    '''{00000000-0000-7000-8000-0000000002b4}'', title => repeat(''x'', 201)',
                    '''{00000000-0000-7000-8000-00000000ffff}'', title => NULL, force => NULL']) x;
SELECT pg_temp.sql_error(format('SELECT signals.report_split(2, %L, ''{00000000-0000-7000-8000-0000000002b4}'')', :'a1')) AS error;

-- The grouping tables were not touched; the team's grouping row exists now.
SELECT count(*) AS grouping_rows_after FROM signals.grouping_members WHERE team_id = 2;
SELECT count(*) AS grouping_state_rows FROM signals.grouping_state WHERE team_id = 2;
SELECT signals.lock_team_grouping(2), signals.lock_team_grouping(2, false);
SELECT pg_temp.sql_error('SELECT signals.lock_team_grouping(99)') AS error;

-- A role granted the team corrects it through signals_api, and only it.
CREATE ROLE regress_corrector;
SELECT signals.grant_team(2, 'regress_corrector');
SET ROLE regress_corrector;
SELECT pg_temp.sql_error(format('SELECT signals_api.report_merge(2, %L, %L)', :'a7', :'o1')) AS error;
SELECT pg_temp.sql_error(format('SELECT signals_api.report_merge(1, %L, %L)', :'o1', :'a7')) AS error;
SELECT (signals_api.report_split(2, :'a3', '{00000000-0000-7000-8000-0000000002b4}')::jsonb ->> 'title') AS split_title;
RESET ROLE;
SELECT pg_temp.counters_exact(2) AS exact, pg_temp.counters_exact(1) AS exact_team1;
SELECT signals.revoke_team(2, 'regress_corrector');
DROP OWNED BY regress_corrector;
DROP ROLE regress_corrector;
