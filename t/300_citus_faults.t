# On a Citus cluster (scripts/citus-test): a worker down makes the calls of
# the teams it holds answer 503 with Retry-After, while the teams on the
# other worker keep working, and they recover when it is back.
use strict;
use warnings;

use GatewayTest;
use Test::More;

plan skip_all => 'needs the Citus cluster of scripts/citus-test' unless $ENV{SIGNALS_TEST_CITUS};

my $db = 't_citus_faults';
my $tokens = create_database($db);
my $gw = GatewayTest->new(dbname => $db, args => ['--threads=2']);

# The worker (port) holding a team's shards.
sub node_of
{
	my ($team) = @_;
	return psql($db, "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) "
		  . "WHERE p.shardid = get_shard_id_for_distribution_column('signals.signals', $team)");
}
my ($n1, $n2) = (node_of(1), node_of(2));
isnt($n1, $n2, 'teams 1 and 2 are on different workers');

my $path = sub { "/api/projects/$_[0]/signals/processing/" };
is($gw->request('GET', $path->(2), $tokens->{bob_all})->{status}, 200, "team 2's call works");

my $data = "$ENV{SIGNALS_TEST_TMP}/n$n2";
ok(as_postgres("$ENV{SIGNALS_TEST_PGBIN}/pg_ctl", '-D', $data, '-w', '-s', '-m', 'fast', 'stop') == 0,
	"team 2's worker stopped");

my $r = $gw->request('GET', $path->(2), $tokens->{bob_all});
is($r->{status}, 503, "team 2's call is 503 while its worker is down");
is($r->{headers}{'retry-after'}, '5', 'with Retry-After');
is($r->{content},
	'{"type":"server_error","code":"unavailable","detail":"The database node that holds this team cannot be reached; try again later.","attr":null}',
	'and says why');
$r = $gw->request('GET', $path->(1), $tokens->{alice_team1});
is($r->{status}, 200, "team 1's call works meanwhile");
is($r->{content}, '{"count":1,"next":null,"previous":null,"results":[{"paused_until":null}]}', 'with its body');

ok(as_postgres("$ENV{SIGNALS_TEST_PGBIN}/pg_ctl", '-D', $data, '-w', '-s', '-l', "$data.log", 'start') == 0,
	"team 2's worker started again");
ok(wait_until(sub { $gw->request('GET', $path->(2), $tokens->{bob_all})->{status} == 200 }, 60),
	"team 2's calls work again");

$gw->stop;
done_testing();
