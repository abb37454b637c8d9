# PostgreSQL restarted under a running gateway, with no request while it
# was down: the first requests after each restart get real answers (the
# gateway notices that its idle connections were closed and reconnects
# before using them), /readyz and the API alike.  And readiness means the
# API answers: with the extension dropped, /readyz is 503 (the database
# alone answering is not enough), and 200 again once it is back.
use strict;
use warnings;

use GatewayTest;
use HTTP::Tiny;
use Test::More;

my $restarts = 5;
my $tokens = create_database('t_restarts');
my $gw = GatewayTest->new(dbname => 't_restarts', args => ['--threads=2']);
my $path = '/api/projects/1/signals/processing/';

sub fresh_get
{
	my ($p, $token) = @_;
	return HTTP::Tiny->new(timeout => 60)->get($gw->url . $p,
		{headers => $token ? {authorization => "Bearer $token"} : {}});
}

# Every worker and the readiness check have a connection.
fresh_get($path, $tokens->{alice_read}) for 1 .. 6;
is(fresh_get('/readyz')->{status}, 200, 'ready before the restarts');

my $down = 0;
END { GatewayTest::pg_ctl('start') if $down; }
for my $i (1 .. $restarts)
{
	$down = 1;
	GatewayTest::pg_ctl('stop') or BAIL_OUT('could not stop the cluster');
	GatewayTest::pg_ctl('start') or BAIL_OUT('could not start the cluster');
	$down = 0;
	my @first = $i % 2
	  ? (['/readyz'], [$path, $tokens->{alice_read}], [$path, $tokens->{alice_read}])
	  : ([$path, $tokens->{alice_read}], ['/readyz'], [$path, $tokens->{alice_read}]);
	my @statuses = map { fresh_get(@$_)->{status} } @first;
	is_deeply(\@statuses, [200, 200, 200],
		"restart $i: the first requests after it (" . join(', ', map { $_->[0] } @first) . ') answer 200');
}
like($gw->log, qr/connection closed by the server while idle/, 'the closed connections were noticed');
unlike(join('', $gw->access_lines), qr/" 503 /, 'no request was answered 503');

# Readiness checks the API, not just the database.
psql('t_restarts', 'DROP EXTENSION signals CASCADE');
my $r = fresh_get('/readyz');
is($r->{status}, 503, 'with the extension dropped, /readyz is 503');
is($r->{content},
	'{"type":"server_error","code":"service_unavailable","detail":"The database answers, but not the signals API (SQLSTATE 42883).","attr":null}',
	'saying that the API does not answer');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
is(fresh_get($path, $tokens->{alice_read})->{status}, 500, 'and API calls fail meanwhile');
psql('t_restarts', 'SET client_min_messages = warning; CREATE EXTENSION signals CASCADE');
is(fresh_get('/readyz')->{status}, 200, 'once the extension is back, /readyz is 200 again');
# The workers' prepared statements name the old extension's types: they
# start new sessions and serve (the old keys are gone with the old tables).
my %after;
$after{ fresh_get($path, $tokens->{alice_read})->{status} }++ for 1 .. 6;
is_deeply(\%after, {401 => 6}, 'and the API answers again (401: the keys went with the extension)');

$gw->stop;
done_testing();
