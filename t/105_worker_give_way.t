# The workers give way to everyone else and read only what they need:
#   - no query of a worker step scans reports or signals of other teams or
#     states (auto_explain of a step over 40,000 reports: no sequential
#     scan of a large table, no index scan that filters away many rows);
#   - a lock held on the first table a step touches makes the step fail
#     after the lock timeout (logged), not hang; the worker retries;
#   - REINDEX of the busy tables under load never loses to a worker;
#   - pruning goes team by team: a team whose rows are locked is logged and
#     skipped, the others are pruned;
#   - while a restore session is connected, the workers wait.
# scripts/test starts the cluster with two workers in database postgres.
use strict;
use warnings;

use GatewayTest;
use OpsTest;
use Test::More;
use Time::HiRes qw(sleep);

# 1. The queries of a step, explained: the research queue over 40,000
#    reports of 20 teams, a few of them candidates.
psql('postgres', 'DROP DATABASE IF EXISTS t_scans WITH (FORCE); CREATE DATABASE t_scans;');
psql('t_scans', <<'SQL');
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('Team ' || t, t) FROM generate_series(1, 20) t \g /dev/null
SELECT signals.set_team_settings(t, ai_processing_approved => true) FROM generate_series(1, 20) t \g /dev/null
SELECT signals.set_team_settings(t, research_mode => 'external') FROM generate_series(11, 20) t \g /dev/null
INSERT INTO signals.reports (team_id, title, status, total_weight, signal_count, promoted_at, claimed_at, claimed_by)
SELECT t, 'Report ' || t || '-' || i,
       CASE WHEN i % 1000 = 7 THEN 'candidate' WHEN i % 1000 = 8 THEN 'in_progress'
            WHEN i % 3 = 0 THEN 'potential' WHEN i % 3 = 1 THEN 'ready' ELSE 'resolved' END,
       1, 1,
       CASE WHEN i % 1000 IN (7, 8) THEN now() - (i || ' seconds')::interval END,
       CASE WHEN i % 1000 = 8 THEN now() - interval '2 hours' END,
       CASE WHEN i % 1000 = 8 THEN 'agent' END
  FROM generate_series(1, 20) t, generate_series(1, 2000) i;
INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, grouped_at, report_id)
SELECT r.team_id, 'error_tracking', 'issue_created', 's-' || r.id, 'Signal of ' || r.title, 0.5, now(), r.id
  FROM signals.reports r;
SELECT count(signals.emit_signal(1, 'error_tracking', 'issue_created', 'queued-' || i, 'Checkout fails ' || i, 0.5))
  FROM generate_series(1, 20) i \g /dev/null
ANALYZE;
SQL

# The plans of every statement a step runs (and the agents' claims), with
# their actual row counts, as NOTICEs.
sub step_plans
{
	my ($before) = @_;
	return psql('t_scans', <<"SQL");
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_level = notice;
SET client_min_messages = notice;
BEGIN;
$before
SELECT team_id FROM signals.process_next_team(0, 500);
SELECT signals.claim_candidate('agent') IS NOT NULL;
SELECT signals.claim_candidate('agent', 15) IS NOT NULL;
SELECT signals.release_stale_claims() > 0;
ROLLBACK;
SQL
}

# What in the plans reads rows a step does not need.
sub wasteful
{
	my ($plans) = @_;
	my @found = $plans =~ /(Seq Scan on (?:reports|signals|report_artefacts)\b|Rows Removed by Filter: \d{3,})/g;
	return \@found;
}

my $plans = step_plans('');
like($plans, qr/Index Scan using reports_candidates_idx on reports/, 'the team\'s candidates come from their index');
like($plans, qr/Index Scan using reports_candidates_all_teams_idx on reports/, 'so do all teams\' candidates');
like($plans, qr/Index Scan using reports_claims_idx on reports/, 'and the claims under way');
is_deeply(wasteful($plans), [], 'no query of a step scans a large table or filters away many rows')
  or diag($plans);
# The check catches a missing index: without them the same step reads every team's reports.
cmp_ok(scalar @{ wasteful(step_plans('DROP INDEX signals.reports_candidates_idx, signals.reports_candidates_all_teams_idx;')) },
	'>', 0, 'without the candidate indexes the check fails');
psql('postgres', 'DROP DATABASE t_scans WITH (FORCE);');

# The workers' database.
my $db = 'postgres';
psql($db, <<'SQL');
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('Worker ' || t, t) FROM generate_series(1, 4) t \g /dev/null
SELECT signals.set_team_settings(t, ai_processing_approved => true) FROM generate_series(1, 4) t \g /dev/null
SQL
END
{
	eval { psql($db, "ALTER SYSTEM RESET signals.prune_interval; SELECT pg_reload_conf(); DROP EXTENSION IF EXISTS signals;") };
}

sub emit
{
	my ($team, $count, $prefix) = @_;
	psql($db, "SELECT count(signals.emit_signal($team, 'error_tracking', 'issue_created', '$prefix-' || i,
	                    'TypeError in checkout.ts, case ' || i, 0.01, dedupe_keys => ARRAY['$prefix-' || (i % 50)]))
	             FROM generate_series(1, $count) i;");
}

sub queued
{
	return psql($db, "SELECT count(*) FROM signals.signals WHERE grouped_at IS NULL");
}

sub worker_pids
{
	return psql($db, "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity WHERE backend_type = 'signals worker'");
}

ok(wait_until(sub { (() = worker_pids() =~ /\d+/g) == 2 }, 30), 'two workers run');
my $pids = worker_pids();

# 2. A lock on the first table a step reads: the step fails after the lock
#    timeout instead of waiting behind it, and is retried.
my $mark = log_mark();
my $locker = background_psql($db, 'BEGIN; LOCK TABLE signals.processing_state IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;');
ok(wait_until(sub { psql($db, "SELECT count(*) FROM pg_locks WHERE relation = 'signals.processing_state'::regclass AND mode = 'AccessExclusiveLock' AND granted") == 1 }, 10),
	'a session holds an exclusive lock on processing_state');
emit(1, 1, 'locked');
ok(wait_until(sub { log_since($mark) =~ /signals worker \d: a grouping step failed: canceling statement due to lock timeout/ }, 10),
	'the step gives up after the lock timeout, logged as a warning');
waitpid($locker, 0);
ok(wait_until(sub { queued() == 0 }, 30), 'the worker retries and groups the signal once the lock is gone');
is(worker_pids(), $pids, 'the same worker processes (no crash, no restart)');

# 3. REINDEX of the tables the workers write, while they drain a backlog:
#    every REINDEX succeeds (the workers wait less than the deadlock check).
emit($_, 1500, "reindex$_") for 1 .. 4;
my @failed;
for my $round (1 .. 3)
{
	for my $table (qw(signals reports grouping_postings grouping_members grouping_dedupe))
	{
		eval { psql($db, "REINDEX TABLE signals.$table;") };
		push @failed, "$table: $@" if $@;
	}
}
is_deeply(\@failed, [], 'every REINDEX under load succeeded');
ok(wait_until(sub { queued() == 0 }, 120), 'the backlog is grouped');
is(psql($db, <<'SQL'), '0', 'every report counts exactly the signals it holds');
SELECT count(*) FROM signals.reports r
 WHERE r.signal_count <> (SELECT count(*) FROM signals.signals s WHERE s.team_id = r.team_id AND s.report_id = r.id)
SQL

# 4. Pruning team by team: team 1's rows are locked, team 2's are pruned,
#    and team 1's failure is logged; once the lock goes, team 1 is pruned.
my %deleted;
for my $team (1, 2)
{
	$deleted{$team} = psql($db, "SELECT id FROM signals.reports WHERE team_id = $team ORDER BY id LIMIT 1");
	psql($db, "SELECT signals.report_delete($team, '$deleted{$team}')");
}
sub index_rows
{
	my ($team) = @_;
	return psql($db, "SELECT (count(*) > 0)::int FROM signals.grouping_members m JOIN signals.signals s"
		. " ON s.team_id = m.team_id AND s.id = m.signal_id"
		. " WHERE m.team_id = $team AND s.report_id = '$deleted{$team}'");
}
is(index_rows(1) . index_rows(2), '11', 'both deleted reports have grouping index rows');
$mark = log_mark();
$locker = background_psql($db, "BEGIN; SELECT FROM signals.grouping_members WHERE team_id = 1 FOR UPDATE; SELECT pg_sleep(8); COMMIT;");
sleep 0.5;
psql($db, "ALTER SYSTEM SET signals.prune_interval = '1s'; SELECT pg_reload_conf();");
ok(wait_until(sub { index_rows(2) == 0 }, 20), 'team 2 is pruned');
ok(wait_until(sub { log_since($mark) =~ /signals worker 1: pruning the grouping index of team 1 failed: canceling statement due to lock timeout/ }, 10),
	'team 1, locked, fails alone and is logged');
is(index_rows(1), 1, 'team 1 keeps its rows meanwhile');
waitpid($locker, 0);
ok(wait_until(sub { index_rows(1) == 0 }, 30), 'team 1 is pruned at the next prune');
psql($db, "ALTER SYSTEM RESET signals.prune_interval; SELECT pg_reload_conf();");

# 5. A restore session (superuser, row_security off, loading an extension
#    table) keeps the workers waiting until it disconnects.
$mark = log_mark();
my $restore = background_psql($db, 'SET row_security = off',
	"COPY signals.source_types (source_type) FROM PROGRAM 'echo restored_type'", 'SELECT pg_sleep(6)');
ok(wait_until(sub { psql($db, "SELECT count(*) FROM signals.source_types WHERE source_type = 'restored_type'") == 1 }, 10),
	'the restore session loaded a row');
emit(3, 1, 'during-restore');
sleep 1.5;
is(queued(), 1, 'the signal waits while the restore session is connected');
like(log_since($mark), qr/signals workers wait: a restore is loading data into database "postgres"/, 'the workers say why');
waitpid($restore, 0);
ok(wait_until(sub { queued() == 0 }, 20), 'grouped once the restore session is gone');
like(log_since($mark), qr/signals workers resume grouping in database "postgres"/, 'the workers say they resume');

done_testing();
