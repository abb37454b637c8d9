-- Grouping: signals.group_pending() and its helpers.  Team 31 is this
-- test's own; signals go straight into signals.signals (queued: grouped_at
-- is NULL), as emit_signal would put them.
SELECT signals.create_team('Grouping', 31);

-- Settings and their defaults.
SHOW signals.similarity_threshold;
SHOW signals.promote_weight;
SHOW signals.grouping_window_days;
SET signals.similarity_threshold = 2;  -- out of range

-- What the text normaliser sees: exception, file, code, status and route
-- signatures, a compound, stemming; ids, numbers, measurements, UUIDs and
-- e-mail addresses dropped; hexadecimal codes and exit statuses kept.
SELECT feature, kind FROM signals.grouping_features(
    $$TypeError in InvoiceEditor.tsx:214 — users can't log in (HTTP 502), ERR_NETWORK_CHANGED;
order 48213 id 3f2a9c1e-1111-4a4a-8b8b-0123456789ab from bob@example.com
POST /api/v1/Orders/48213 took 74.2s (8.4MB)
HRESULT 0x8007000E, exit status 127$$)
 ORDER BY feature COLLATE "C";

-- Lines: the first is the title (its features weigh half as much again);
-- markdown headings, check boxes and bold labels give nothing.
SELECT feature, kind, weight > 5 AS heavy FROM signals.grouping_features(
    E'Tray icon missing\n### Steps to reproduce\n- [x] I searched existing issues\n**Describe the bug**\nthe tray icon vanished')
 ORDER BY feature COLLATE "C";
-- The prior: common English words weigh little from the first signal, words
-- no dictionary lists (product names, jargon) a lot.
SELECT feature, kind, round(weight::numeric, 2) AS weight
  FROM signals.grouping_features(E'title\nwindow qbittorrent')
 WHERE kind = 'word' ORDER BY weight;
SELECT count(*) AS features FROM signals.grouping_features(NULL);

-- Similarity helper: identical texts score 1 (a cosine), unrelated texts 0;
-- conflicting statuses, a single shared word or titles naming different
-- things cut the score; two shared signatures count on their own.
SELECT signals.signal_similarity('PDF export times out', 'PDF export times out') AS same,
       signals.signal_similarity('PDF export times out', 'dark mode colours') AS unrelated,
       signals.signal_similarity('a', NULL) IS NULL AS null_in_null_out;
SELECT signals.signal_similarity('Error: llama runner process has terminated: exit status 0xc0000409',
                                 'Error: llama runner process has terminated: exit status 0xc0000409')
         > current_setting('signals.similarity_threshold')::real AS same_status_joins,
       signals.signal_similarity('Error: llama runner process has terminated: exit status 0xc0000409',
                                 'Error: llama runner process has terminated: exit status 127')
         < current_setting('signals.similarity_threshold')::real AS other_status_does_not,
       signals.signal_similarity('gh', 'gh workflow')
         < current_setting('signals.similarity_threshold')::real AS one_word_does_not,
       signals.signal_similarity(E'UnicodeDecodeError: codec can''t decode byte\n  File "importers/csv_import.py", line 77, in parse_rows',
                                 'parse_rows in csv_import.py raises UnicodeDecodeError for files saved by Excel')
         > current_setting('signals.similarity_threshold')::real AS signatures_join;

-- Arguments.
SELECT signals.group_pending(31, -1);
SELECT signals.group_pending(31, 0) AS nothing_asked;
SELECT signals.group_pending(31, 10) AS nothing_queued;
SELECT signals.group_pending(NULL, 10) IS NULL AS strict;

-- A small stream: two paraphrases of one error (shared exception, file and
-- function names), two spikes sharing a dedupe key, and an unrelated one.
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys)
VALUES
  (31, 'error_tracking', 'issue_created', 'e1',
   E'UnicodeDecodeError: ''utf-8'' codec can''t decode byte 0xe9 in position 1042\n  File "importers/csv_import.py", line 77, in parse_rows',
   0.4, '{issue-9120}'),
  (31, 'zendesk', 'ticket', 'z1',
   'Dark mode makes the invoice preview unreadable: black text on a dark grey background.', 0.3, '{}'),
  (31, 'github', 'issue', 'g1',
   'parse_rows in csv_import.py raises UnicodeDecodeError for CSV files saved by Excel (cp1252), instead of a readable message',
   0.5, '{}'),
  (31, 'error_tracking', 'issue_spiking', 'e2',
   'Spike: 87 events in the last hour', 0.3, '{issue-9120}');
SELECT signals.group_pending(31, 100) AS grouped;
SELECT signals.group_pending(31, 100) AS grouped_again;

SELECT s.source_id, s.match_method, s.match_score > 0 AS scored,
       s.report_id = first_value(s.report_id) OVER (ORDER BY s.id) AS in_first_report,
       s.grouped_at IS NOT NULL AS grouped
  FROM signals.signals s WHERE s.team_id = 31 ORDER BY s.id;

-- The evidence: the dedupe key, or the shared features and the threshold.
SELECT s.source_id, s.match_detail ? 'report_id' AS has_report,
       s.match_detail ->> 'dedupe_key' AS dedupe_key,
       s.match_detail ->> 'threshold' AS threshold,
       (SELECT array_agg(f ->> 'feature' ORDER BY f ->> 'feature' COLLATE "C")
          FROM jsonb_array_elements(s.match_detail -> 'shared') f
         WHERE f ->> 'kind' IN ('exception', 'file', 'identifier')) AS shared_signatures
  FROM signals.signals s WHERE s.team_id = 31 ORDER BY s.id;

-- Reports: titled from the first line, counters and products exact,
-- promoted when the weight reaches signals.promote_weight (1.0).
SELECT r.title, r.summary, r.status, r.signal_count, r.total_weight, r.source_products,
       r.promoted_at IS NOT NULL AS promoted
  FROM signals.reports r WHERE r.team_id = 31 ORDER BY r.created_at, r.id;
SELECT bool_and(r.signal_count = (SELECT count(*) FROM signals.signals s
                                   WHERE s.team_id = r.team_id AND s.report_id = r.id)) AS counts_exact,
       bool_and(abs(r.total_weight - (SELECT sum(s.weight) FROM signals.signals s
                                       WHERE s.team_id = r.team_id AND s.report_id = r.id)) < 1e-9) AS weights_exact
  FROM signals.reports r WHERE r.team_id = 31;

-- A suppressed or deleted report is never joined, not even by dedupe key.
UPDATE signals.reports SET status = 'suppressed'
 WHERE team_id = 31 AND id = (SELECT report_id FROM signals.signals WHERE team_id = 31 AND source_id = 'e1');
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys)
VALUES (31, 'error_tracking', 'issue_spiking', 'e3', 'Spike again: UnicodeDecodeError in csv_import.parse_rows', 0.3, '{issue-9120}');
SELECT signals.group_pending(31, 100) AS grouped;
UPDATE signals.reports SET status = 'deleted'
 WHERE team_id = 31 AND id = (SELECT report_id FROM signals.signals WHERE team_id = 31 AND source_id = 'z1');
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys)
VALUES (31, 'zendesk', 'ticket', 'z2', 'Dark mode makes the invoice preview unreadable: black text on a dark grey background.', 0.3, '{}');
SELECT signals.group_pending(31, 100) AS grouped;
SELECT s.source_id, s.match_method, r.status
  FROM signals.signals s JOIN signals.reports r ON r.team_id = s.team_id AND r.id = s.report_id
 WHERE s.team_id = 31 AND s.source_id IN ('e3', 'z2') ORDER BY s.id;
-- e3 went to a new report; the next spike with that key joins it (dedupe).
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys)
VALUES (31, 'error_tracking', 'issue_spiking', 'e4', 'Spike: 300 events', 0.3, '{issue-9120}');
SELECT signals.group_pending(31, 100) AS grouped;
SELECT (SELECT report_id FROM signals.signals WHERE team_id = 31 AND source_id = 'e4')
     = (SELECT report_id FROM signals.signals WHERE team_id = 31 AND source_id = 'e3') AS e4_joined_e3,
       (SELECT match_method FROM signals.signals WHERE team_id = 31 AND source_id = 'e4') AS method;

-- The window counts back from the signal's own arrival: a report whose only
-- signal is older than 30 days is not joined.
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys, created_at)
VALUES (31, 'linear', 'issue', 'old', 'Recurring invoices on the 31st are skipped in short months', 0.2, '{recurring-31}',
        now() - interval '40 days');
SELECT signals.group_pending(31, 100) AS grouped;
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys)
VALUES (31, 'linear', 'issue', 'new', 'Recurring invoices on the 31st are skipped in short months', 0.2, '{recurring-31}');
SELECT signals.group_pending(31, 100) AS grouped;
SELECT source_id, match_method FROM signals.signals
 WHERE team_id = 31 AND source_id IN ('old', 'new') ORDER BY id;

-- A long first line makes a title of at most 200 characters, cut at a word.
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight)
VALUES (31, 'github', 'issue', 'long', repeat('overlong words ', 40) || E'\nsecond line', 0.1);
SELECT signals.group_pending(31, 100) AS grouped;
SELECT length(r.title) AS title_chars, right(r.title, 1) AS ends_with, r.title NOT LIKE '%second%' AS first_line_only
  FROM signals.reports r
 WHERE r.team_id = 31 AND r.id = (SELECT report_id FROM signals.signals WHERE team_id = 31 AND source_id = 'long');

-- Deterministic: the same signals in the same order give the same reports,
-- however the queue is cut into calls (team 32 one signal a call, team 33
-- all at once).
SELECT signals.create_team('Grouping A', 32), signals.create_team('Grouping B', 33);
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
SELECT t, ('01900000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, 'zendesk', 'ticket', i::text,
       (ARRAY['PDF export of big invoices times out with a 504 gateway timeout',
              'Stripe webhook SignatureVerificationError after rotating the signing secret',
              'Invoice PDF download spins and then shows 504 gateway timeout for long invoices',
              'Payments not marked paid: stripe webhook signature verification fails',
              'Dark mode invoice preview is unreadable',
              'CSV import UnicodeDecodeError for files saved by Excel'])[1 + i % 6] || ' #' || i, 0.3
  FROM generate_series(1, 30) i, (VALUES (32), (33)) teams(t);
DO $$ BEGIN WHILE signals.group_pending(32, 1) > 0 LOOP END LOOP; END $$;
SELECT signals.group_pending(33, 1000) AS grouped;
WITH parts AS (
    SELECT team_id, array_agg(source_id::int ORDER BY source_id::int)::text AS members
      FROM signals.signals WHERE team_id IN (32, 33) GROUP BY team_id, report_id)
SELECT (SELECT array_agg(members ORDER BY members) FROM parts WHERE team_id = 32)
     = (SELECT array_agg(members ORDER BY members) FROM parts WHERE team_id = 33) AS same_reports,
       (SELECT count(*) FROM parts WHERE team_id = 32) AS reports;

-- grouping_replay() gives the grouping tables back from the stored signals
-- exactly (team 32: nothing deleted), and grouping goes on from them.
CREATE TEMP VIEW grouping_state_32 AS
SELECT 'members' AS part, md5(string_agg(signal_id::text || ' ' || created_at || ' ' || encode(features, 'hex'), ',' ORDER BY signal_id)) AS digest
  FROM signals.grouping_members WHERE team_id = 32
UNION ALL
SELECT 'postings', md5(string_agg(feature || ' ' || signal_id, ',' ORDER BY feature, signal_id))
  FROM signals.grouping_postings WHERE team_id = 32
UNION ALL
SELECT 'sketch', md5(string_agg(page || ' ' || encode(counts, 'hex'), ',' ORDER BY page))
  FROM signals.grouping_df WHERE team_id = 32
UNION ALL
SELECT 'documents', n_docs || ' ' || total_docs || ' ' || width FROM signals.grouping_state WHERE team_id = 32;
CREATE TEMP TABLE grouping_before AS SELECT * FROM grouping_state_32;
SELECT signals.grouping_replay(32) AS replayed;
SELECT b.part, a.digest = b.digest AS same
  FROM grouping_before b JOIN grouping_state_32 a USING (part) ORDER BY b.part;
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight)
VALUES (32, 'zendesk', 'ticket', '31', 'Dark mode invoice preview is unreadable #31', 0.3);
SELECT signals.group_pending(32, 10) AS grouped;
SELECT s.match_method, r.signal_count
  FROM signals.signals s JOIN signals.reports r ON r.team_id = s.team_id AND r.id = s.report_id
 WHERE s.team_id = 32 AND s.source_id = '31';
-- team 31: the signals of the deleted report are left out
SELECT signals.grouping_replay(31) AS replayed,
       (SELECT count(*) FROM signals.signals s JOIN signals.reports r ON r.team_id = s.team_id AND r.id = s.report_id
         WHERE s.team_id = 31 AND r.status <> 'deleted') AS of_live_reports;

-- grouping_rebuild() regroups with the engine as it is now (the migration
-- after an engine change): team 34's six signals were put in one report by
-- an older engine (a hub of two problems); regrouped, the report keeps its
-- id for the problem that holds most of its signals, the other problem gets
-- a report of its own, and counters and evidence follow.
SELECT signals.create_team('Regroup', 34);
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
SELECT 34, ('01900000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, 'zendesk', 'ticket', 'r' || i,
       CASE WHEN i <= 4 THEN 'PDF export of big invoices times out with a 504 gateway timeout'
            ELSE 'Stripe webhook SignatureVerificationError after rotating the signing secret' END, 0.2
  FROM generate_series(1, 6) i;
SELECT signals.group_pending(34, 100) AS grouped;
SELECT report_id AS hub FROM signals.signals WHERE team_id = 34 AND source_id = 'r1' \gset
UPDATE signals.signals SET report_id = :'hub' WHERE team_id = 34;
DELETE FROM signals.reports WHERE team_id = 34 AND id <> :'hub';
SELECT signals.refresh_signal_fields(34, ARRAY[:'hub'::uuid]);
SELECT signals.grouping_rebuild(34) AS regrouped;
SELECT s.source_id, s.report_id = :'hub' AS in_old_report, s.match_method,
       s.match_detail ->> 'report_id' = s.report_id::text AS evidence_names_report
  FROM signals.signals s WHERE s.team_id = 34 ORDER BY s.source_id;
SELECT r.id = :'hub' AS old_id, r.signal_count, r.status,
       r.signal_count = (SELECT count(*) FROM signals.signals s WHERE s.team_id = 34 AND s.report_id = r.id) AS exact
  FROM signals.reports r WHERE r.team_id = 34 ORDER BY r.signal_count DESC;
SELECT signals.grouping_rebuild(34) AS again, count(DISTINCT report_id) AS reports
  FROM signals.signals WHERE team_id = 34;
SELECT signals.grouping_rebuild(99);

-- The engine follows corrections: after a merge, a signal like the merged
-- report's joins the target; after a split, a signal like the moved one
-- joins the new report (its nearest member is there now).
SELECT signals.create_team('Corrected', 35);
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
VALUES (35, '01900000-0000-7000-8000-000000000351', 'zendesk', 'ticket', 'pdf1', 'PDF export of big invoices times out with a 504 gateway timeout', 0.2),
       (35, '01900000-0000-7000-8000-000000000352', 'zendesk', 'ticket', 'hook1', 'Stripe webhook SignatureVerificationError after rotating the signing secret', 0.2),
       (35, '01900000-0000-7000-8000-000000000353', 'zendesk', 'ticket', 'logo1', 'Company logo is blurry in the invoice header since the redesign', 0.2);
SELECT signals.group_pending(35, 100) AS grouped;
SELECT report_id AS pdf_report FROM signals.signals WHERE team_id = 35 AND source_id = 'pdf1' \gset
SELECT report_id AS hook_report FROM signals.signals WHERE team_id = 35 AND source_id = 'hook1' \gset
SELECT signals.report_merge(35, :'hook_report', :'pdf_report') IS NOT NULL AS merged;
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
VALUES (35, '01900000-0000-7000-8000-000000000354', 'zendesk', 'ticket', 'hook2', 'Stripe webhook SignatureVerificationError after rotating the signing secret again', 0.2);
SELECT signals.group_pending(35, 100) AS grouped;
SELECT report_id = :'pdf_report' AS joined_merge_target, match_method
  FROM signals.signals WHERE team_id = 35 AND source_id = 'hook2';
SELECT (signals.report_split(35, :'pdf_report', ARRAY['01900000-0000-7000-8000-000000000352', '01900000-0000-7000-8000-000000000354'])::jsonb ->> 'id')::uuid AS split_report \gset
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
VALUES (35, '01900000-0000-7000-8000-000000000355', 'zendesk', 'ticket', 'hook3', 'Stripe webhook SignatureVerificationError after rotating the signing secret once more', 0.2);
SELECT signals.group_pending(35, 100) AS grouped;
SELECT report_id = :'split_report' AS joined_split_report, report_id = :'pdf_report' AS joined_old
  FROM signals.signals WHERE team_id = 35 AND source_id = 'hook3';

-- The grouping tables are kept per team and under row-level security.
SELECT relname, relrowsecurity FROM pg_class
 WHERE relnamespace = 'signals'::regnamespace AND relname LIKE 'grouping\_%' AND relkind = 'r'
 ORDER BY relname COLLATE "C";
SELECT n_docs, total_docs FROM signals.grouping_state WHERE team_id = 31;

-- Only privileged callers group.
CREATE ROLE regress_grouping_user;
GRANT USAGE ON SCHEMA signals TO regress_grouping_user;
SET ROLE regress_grouping_user;
SELECT signals.group_pending(31, 10);
SELECT signals.grouping_replay(31);
SELECT signals.grouping_rebuild(31);
RESET ROLE;
REVOKE USAGE ON SCHEMA signals FROM regress_grouping_user;
DROP ROLE regress_grouping_user;

-- Pruning removes the rows of deleted reports (z1's) and of signals out of
-- the window ('old'), and nothing live.
SELECT signals.grouping_prune(31) > 0 AS pruned;
SELECT count(*) AS rows_of_gone_signals FROM signals.grouping_postings p
 WHERE p.team_id = 31 AND NOT EXISTS (SELECT FROM signals.grouping_members m
                                       WHERE m.team_id = p.team_id AND m.signal_id = p.signal_id);
SELECT s.source_id FROM signals.grouping_members m
  JOIN signals.signals s ON s.team_id = m.team_id AND s.id = m.signal_id
 WHERE m.team_id = 31 AND s.source_id IN ('z1', 'old', 'e1') ORDER BY s.source_id COLLATE "C";

-- cleanup
DELETE FROM signals.teams WHERE team_id IN (31, 32, 33, 34, 35);
SELECT signals.grouping_prune(t) >= 0 FROM (VALUES (31), (32), (33), (34), (35)) v(t);
