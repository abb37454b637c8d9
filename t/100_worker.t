# The background workers: visible in pg_stat_activity, woken at once by an
# emit (not by their naptime), holding a paused team's signals until the
# pause ends, and losing or repeating nothing across a crash and restart.
# scripts/test starts the cluster with two workers in database postgres.
use strict;
use warnings;

use GatewayTest;
use Test::More;
use Time::HiRes qw(sleep);

my $db = 'postgres';
psql($db, <<'SQL');
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('Worker ' || t, t) FROM generate_series(1, 4) t \g /dev/null
SELECT signals.set_team_settings(t, ai_processing_approved => true) FROM generate_series(1, 4) t \g /dev/null
ALTER SYSTEM SET signals.naptime = '1h';
SELECT pg_reload_conf() \g /dev/null
SQL
END
{
	eval { psql($db, "ALTER SYSTEM RESET signals.naptime; ALTER SYSTEM RESET signals.prune_interval;"
			. " SELECT pg_reload_conf(); DROP EXTENSION IF EXISTS signals;") };
}
sleep 0.5;

sub emit
{
	my ($team, $count, $prefix) = @_;
	psql($db, "SELECT count(signals.emit_signal($team, 'error_tracking', 'issue_created', '$prefix-' || i,
	                    'TypeError in checkout.ts, case ' || i, 0.01, dedupe_keys => ARRAY['$prefix-' || (i % 50)]))
	             FROM generate_series(1, $count) i;");
}

sub queued
{
	my ($team) = @_;
	my $where = defined $team ? "AND team_id = $team" : '';
	return psql($db, "SELECT count(*) FROM signals.signals WHERE grouped_at IS NULL $where");
}

# Two workers, shown as such, in the configured database.
ok(wait_until(sub { psql($db,
	"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'signals worker' AND datname = 'postgres'") == 2 }, 30),
	'two signals workers appear in pg_stat_activity');
is(psql($db, "SELECT DISTINCT application_name FROM pg_stat_activity WHERE backend_type = 'signals worker'"),
	'signals worker', 'named "signals worker"');

# With a naptime of an hour, only the latch set at commit can wake them.
emit(1, 1, 'wake');
ok(wait_until(sub { queued(1) == 0 }, 15), 'an emitted signal is grouped at once, not after the naptime');

# A paused team's signals wait; the end of the pause wakes the workers.
psql($db, "SELECT signals.processing_pause(2, now() + interval '1 hour')");
emit(2, 20, 'paused');
emit(3, 5, 'unpaused');
ok(wait_until(sub { queued(3) == 0 }, 15), 'the unpaused team is drained');
is(queued(2), 20, 'the paused team\'s signals are still queued');
psql($db, "SELECT signals.processing_unpause(2)");
ok(wait_until(sub { queued(2) == 0 }, 15), 'ending the pause drains its queue');

# A crash in the middle of a large drain loses and repeats nothing.
emit($_, 10000, "bulk$_") for 1 .. 4;
ok(wait_until(sub { queued() < 38000 }, 60), 'the workers are draining the bulk');
my $data = $ENV{SIGNALS_TEST_PGDATA};
my $pgbin = $ENV{SIGNALS_TEST_PGBIN};
cmp_ok(queued(), '>', 0, 'signals are still queued when the server crashes');
is(as_postgres("$pgbin/pg_ctl", '-D', $data, '-s', '-m', 'immediate', 'stop'), 0, 'server crashed (immediate stop)');
ok(GatewayTest::pg_ctl('start'), 'server restarted');
ok(wait_until(sub { my $n = eval { queued() }; defined $n && $n == 0 }, 180), 'every queued signal was grouped after the restart');
is(psql($db, "SELECT count(*) FROM signals.signals WHERE report_id IS NULL"), 0, 'no signal lost its report');
is(psql($db, <<'SQL'), '0', 'every report counts exactly the signals it holds, once each');
SELECT count(*) FROM signals.reports r
 WHERE r.signal_count <> (SELECT count(*) FROM signals.signals s WHERE s.team_id = r.team_id AND s.report_id = r.id)
    OR abs(r.total_weight - (SELECT coalesce(sum(s.weight), 0) FROM signals.signals s
                              WHERE s.team_id = r.team_id AND s.report_id = r.id)) > 1e-6
SQL
is(psql($db, "SELECT sum(signal_count) FROM signals.reports"),
	psql($db, "SELECT count(*) FROM signals.signals"), 'the reports hold every signal exactly once');

# Worker 1 prunes the grouping index now and then: a deleted report's rows go.
my $deleted = psql($db, "SELECT id FROM signals.reports WHERE team_id = 1 ORDER BY id LIMIT 1");
psql($db, "SELECT signals.report_delete(1, '$deleted')");
my $index_rows = "SELECT count(*) FROM signals.grouping_postings p JOIN signals.signals s"
	. " ON s.team_id = p.team_id AND s.id = p.signal_id WHERE s.report_id = '$deleted'";
cmp_ok(psql($db, $index_rows), '>', 0, 'the deleted report\'s signals still have grouping index rows');
psql($db, "ALTER SYSTEM SET signals.prune_interval = '1s'; SELECT pg_reload_conf();");
ok(wait_until(sub { psql($db, $index_rows) == 0 }, 30),
	'the worker pruned them');
psql($db, "ALTER SYSTEM RESET signals.prune_interval; SELECT pg_reload_conf();");

done_testing();
