-- An external judge for uncertain matches (sql/install/62_judge.sql): team
-- 51 lets a judge decide scores in [judge_band_low, judge_band_high).
SELECT signals.create_team('Judged', 51);
SELECT signals.set_team_settings(51, matching_mode => 'external', judge_deadline => '1 hour');
SELECT signals.set_team_settings(51, matching_mode => 'llm');
SELECT signals.set_team_settings(51, judge_deadline => '-1 minute');
SELECT matching_mode, judge_deadline FROM signals.team_settings WHERE team_id = 51;
SHOW signals.judge_band_low;
SHOW signals.judge_band_high;

-- s1 opens a report; s2 (the same problem in other words, score in the
-- band) waits for the judge, queued; s3 (near identical) joins at once;
-- s4 (unrelated) opens its own.  (The notification on channel
-- signals_judgments is shown in specs/judge_concurrent.spec.)
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
VALUES (51, '01900000-0000-7000-8000-000000000511', 'github', 'issue', 's1', 'System tray icon disappears after update on Ubuntu', 0.3),
       (51, '01900000-0000-7000-8000-000000000512', 'github', 'issue', 's2', 'Tray icon missing on Ubuntu after upgrading', 0.3),
       (51, '01900000-0000-7000-8000-000000000513', 'github', 'issue', 's3', 'System tray icon disappears after update on Ubuntu 24.04', 0.3),
       (51, '01900000-0000-7000-8000-000000000514', 'github', 'issue', 's4', 'Dark mode colours are unreadable in settings', 0.3);
SELECT signals.group_pending(51, 100) AS grouped;
SELECT s.source_id, s.grouped_at IS NOT NULL AS grouped, s.match_method,
       s.report_id = (SELECT report_id FROM signals.signals WHERE team_id = 51 AND source_id = 's1') AS with_s1
  FROM signals.signals s WHERE s.team_id = 51 ORDER BY s.source_id;
SELECT (SELECT source_id FROM signals.signals s WHERE s.team_id = j.team_id AND s.id = j.signal_id) AS waiting,
       j.deadline > now() + interval '59 minutes' AS deadline_from_team,
       jsonb_array_length(j.candidates) AS candidates,
       (j.candidates -> 0 ->> 'report_id')::uuid = (SELECT report_id FROM signals.signals WHERE team_id = 51 AND source_id = 's1') AS best_is_s1s,
       (j.candidates -> 0 ->> 'score')::float BETWEEN 0.2 AND 0.6 AS in_band
  FROM signals.grouping_judgments j WHERE j.team_id = 51;
-- waiting is not queued work: grouping again decides nothing
SELECT signals.group_pending(51, 100) AS grouped_again;

-- Claims: one judge gets it, a second gets nothing; bad arguments
SELECT json_array_length(c) AS claimed, c -> 0 ->> 'description' AS description,
       c -> 0 -> 'candidates' -> 0 ->> 'title' AS candidate_title,
       c -> 0 -> 'candidates' -> 0 -> 'nearest_signal' ->> 'description' AS nearest
  FROM signals.judge_claim('judge-a', 51) c;
SELECT signals.judge_claim('judge-b', 51) AS second_judge;
SELECT signals.judge_claim(' ', 51);
SELECT signals.judge_claim('judge-b', 51, 0);

-- Decisions are validated and idempotent
SELECT report_id AS s1_report FROM signals.signals WHERE team_id = 51 AND source_id = 's1' \gset
SELECT report_id AS s4_report FROM signals.signals WHERE team_id = 51 AND source_id = 's4' \gset
SELECT signals.create_team('Other', 52);
SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000512', '01900000-0000-7000-8000-00000000dead');
SELECT signals.judge_decide(52, '01900000-0000-7000-8000-000000000512', :'s1_report');
SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000514', :'s1_report');
UPDATE signals.reports SET status = 'suppressed' WHERE team_id = 51 AND id = :'s4_report';
SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000512', :'s4_report');
SELECT d - 'signal_id' - 'report_id' AS decided, d ->> 'report_id' = :'s1_report' AS to_s1
  FROM (SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000512', :'s1_report', 'judge-a')::jsonb AS d) x;
SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000512', :'s1_report')::jsonb ->> 'already_decided' AS same_again;
SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000512', NULL);
-- the next grouping step applies it
SELECT signals.group_pending(51, 100) AS grouped;
SELECT s.match_method, s.report_id = :'s1_report' AS joined_s1, s.match_detail ->> 'decided_by' AS decided_by,
       s.match_detail ->> 'judge_decision' AS decision,
       (SELECT signal_count FROM signals.reports WHERE team_id = 51 AND id = :'s1_report') AS s1_count,
       (SELECT applied_at IS NOT NULL FROM signals.grouping_judgments WHERE team_id = 51 AND signal_id = s.id) AS applied
  FROM signals.signals s WHERE s.team_id = 51 AND s.source_id = 's2';

-- Undecided at the deadline: the engine decides (a new report), and a judge
-- deciding afterwards is refused.
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
VALUES (51, '01900000-0000-7000-8000-000000000515', 'github', 'issue', 's5', 'Ubuntu icon problem after upgrading', 0.3);
SELECT signals.group_pending(51, 100) AS grouped;
SELECT count(*) AS waiting FROM signals.grouping_judgments WHERE team_id = 51 AND decided_at IS NULL;
UPDATE signals.grouping_judgments SET deadline = now() - interval '1 second'
 WHERE team_id = 51 AND signal_id = '01900000-0000-7000-8000-000000000515';
SELECT signals.judge_claim('judge-a', 51) AS expired_not_offered;
SELECT signals.group_pending(51, 100) AS grouped;
SELECT s.match_method, s.match_detail ->> 'decided_by' AS decided_by, s.match_detail ->> 'judge_decision' AS decision,
       (SELECT count(*) FROM signals.signals x WHERE x.team_id = 51 AND x.report_id = s.report_id) AS alone
  FROM signals.signals s WHERE s.team_id = 51 AND s.source_id = 's5';
SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000515', :'s1_report');

-- With the engine deciding (the default), the same band is decided at once.
SELECT signals.set_team_settings(51, matching_mode => 'engine');
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight)
VALUES (51, '01900000-0000-7000-8000-000000000516', 'github', 'issue', 's6', 'Tray icon missing on Ubuntu after upgrading again', 0.3);
SELECT signals.group_pending(51, 100) AS grouped;
SELECT count(*) AS judgments FROM signals.grouping_judgments WHERE team_id = 51;

-- Only privileged roles judge.
CREATE ROLE regress_judge_user;
GRANT USAGE ON SCHEMA signals TO regress_judge_user;
SET ROLE regress_judge_user;
SELECT signals.judge_claim('me');
SELECT signals.judge_decide(51, '01900000-0000-7000-8000-000000000512', NULL);
RESET ROLE;
REVOKE USAGE ON SCHEMA signals FROM regress_judge_user;
DROP ROLE regress_judge_user;

DELETE FROM signals.teams WHERE team_id IN (51, 52);
SELECT signals.grouping_prune(t) >= 0 FROM (VALUES (51), (52)) v(t);
