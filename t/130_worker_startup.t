# The workers' start, in a cluster of this test's own (its postmaster
# settings differ from the suite's):
#   - without the preloaded library, pruning works (it loads the library
#     for its setting) and emits say that no worker runs;
#   - signals.workers = 8 with the default max_worker_processes = 8: a
#     warning at start says what to set, and 7 workers run;
#   - signals.database naming a missing database: one failed connection per
#     worker, then one warning saying what to fix, and quiet waiting; once
#     the database exists, the workers connect;
#   - with max_worker_processes raised, all 8 run.
use strict;
use warnings;

use GatewayTest;
use OpsTest;
use Test::More;
use Time::HiRes qw(sleep);

my $cluster = OpsTest->new(name => 'startup');
ok($cluster->start, 'a cluster without the library preloaded starts');
$cluster->psql('postgres', <<'SQL');
CREATE DATABASE app;
SQL
$cluster->psql('app', <<'SQL');
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('App', 1);
SELECT signals.set_team_settings(1, ai_processing_approved => true);
SQL

# A new session, the library not loaded yet: pruning reads its setting.
is($cluster->psql('app', 'SELECT signals.grouping_prune(1)'), '0',
	'grouping_prune runs in a session that has not loaded the library');
my (undef, $emit) = $cluster->psql_try('app',
	"SELECT signals.emit_signal(1, 'error_tracking', 'issue_created', 'a-1', 'Queued with no worker', 0.5)::jsonb ->> 'warning'");
like($emit, qr/NOTICE:  signal queued in database "app", where no background worker groups signals\nDETAIL:  No signals background worker runs: the signals library is not in shared_preload_libraries\.\nHINT:  Set signals\.database/,
	'an emit says that no worker runs, and what to do');
like($emit, qr/^No signals background worker runs: the signals library is not in shared_preload_libraries\.$/m,
	'and so does its answer\'s warning field');

# Eight workers and the default max_worker_processes; a missing database.
$cluster->set_conf("shared_preload_libraries = 'signals'\nsignals.workers = 8\nsignals.database = 'nowhere'\nsignals.naptime = 100");
ok($cluster->restart, 'restarted with the library preloaded, 8 workers, database "nowhere"');
sub count_in_log
{
	my ($re) = @_;
	return scalar(() = $cluster->log =~ /$re/g);
}
ok(wait_until(sub { count_in_log(qr/signals workers wait for database "nowhere" \(signals\.database\), which does not exist or does not allow connections/) == 1 }, 30),
	'one warning says the database is missing');
like($cluster->log, qr/HINT:  Create the database and the extension in it, or set signals\.database to the database that has the extension and restart the server\./,
	'and what to do about it');
like($cluster->log, qr/WARNING:  only 7 of the 8 signals workers can start: max_worker_processes is 8 and 1 of its slots are taken\n.*HINT:  Set max_worker_processes to at least 9 \(and more for parallel queries\) and restart the server\./,
	'a warning at start says that only 7 of 8 workers fit, and what to set');
my $fatal = qr/FATAL:  database "nowhere" does not exist/;
is(count_in_log($fatal), 7, 'each of the 7 workers failed to connect once');
sleep 5;
is(count_in_log($fatal), 7, 'then they wait quietly: no more failed connections');
is(count_in_log(qr/signals workers wait for database "nowhere"/), 1, 'and no repeated warning');

$cluster->psql('postgres', 'CREATE DATABASE nowhere');
sub workers
{
	return $cluster->psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'signals worker' AND datname = 'nowhere'");
}
ok(wait_until(sub { workers() == 7 }, 60), 'once the database exists, the 7 workers connect to it');

$cluster->set_conf('max_worker_processes = 10');
ok($cluster->restart, 'restarted with max_worker_processes = 10');
ok(wait_until(sub { workers() == 8 }, 30), 'all 8 workers run');
is(count_in_log(qr/only \d of the 8 signals workers can start/), 1, 'without a new warning');

$cluster->stop;
done_testing();
