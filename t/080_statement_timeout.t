# A statement that runs past --statement-timeout is cancelled by the server
# and answered 504 with the API error body; nothing is written, and the
# connection serves the next request.
use strict;
use warnings;

use GatewayTest;
use IPC::Run qw(start pump finish timeout);
use Test::More;

my $tokens = create_database('t_timeout');
my $gw = GatewayTest->new(dbname => 't_timeout', args => ['--threads=1', '--statement-timeout=300']);

my ($in, $out) = ('', '');
my $locker = start(["$ENV{SIGNALS_TEST_PGBIN}/psql", '-XAtq', '-d', 't_timeout'], \$in, \$out, \$out,
	timeout(60));
$in .= "BEGIN; LOCK TABLE signals.scratchpad IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n";
pump $locker until $out =~ /locked/;

my $r = $gw->request('POST', '/api/projects/1/signals/scout/scratchpad/', $tokens->{scout1},
	'{"key": "slow", "content": "blocked by a lock"}');
is($r->{status}, 504, 'a statement past the timeout: 504');
is($r->{content},
	'{"type":"server_error","code":"timeout","detail":"The request took longer than the statement timeout.","attr":null}',
	'504 body');

$r = $gw->request('GET', '/api/projects/1/signals/scout/scratchpad/', $tokens->{scout1});
is($r->{status}, 504, 'a read blocked by the lock: 504 too');

$in .= "COMMIT;\n";
finish $locker;

# (On Citus the cancelled call's connections to the workers are made anew,
# which a loaded machine may not do within the 300 ms.)
ok(wait_until(sub {
	($r = $gw->request('GET', '/api/projects/1/signals/scout/scratchpad/', $tokens->{scout1}))->{status} == 200 }, 10),
	'the same connection serves the next requests');
is($r->{content}, '[]', 'and nothing was written by the timed-out one');
is(psql('t_timeout',
	"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'signals-gateway' AND datname = 't_timeout'"),
	'1', 'on its one database connection (no reconnect needed)');

$gw->stop;
done_testing();
