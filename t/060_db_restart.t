# The database restarted under a running gateway: while it is down, API
# requests and /readyz get 503 with Retry-After and the API's error body,
# /healthz stays 200; once it is back, every server thread serves again
# with exactly one connection each (none stuck, none leaked).
use strict;
use warnings;

use GatewayTest;
use HTTP::Tiny;
use Test::More;

my $threads = 3;
my $tokens = create_database('t_restart');
my $gw = GatewayTest->new(dbname => 't_restart',
	args => ["--threads=$threads", '--reconnect-max=500', '--connect-timeout=2']);
my $path = '/api/projects/1/signals/processing/';
my $page = '{"count":1,"next":null,"previous":null,"results":[{"paused_until":null}]}';
my $unavailable =
  '{"type":"server_error","code":"service_unavailable","detail":"The database is unavailable; try again later.","attr":null}';

# A request on a new connection (so that it may land on any server thread).
sub fresh_get
{
	my ($p, $token) = @_;
	my %h;
	$h{authorization} = "Bearer $token" if $token;
	return HTTP::Tiny->new(timeout => 60)->get($gw->url . $p, {headers => \%h});
}

sub gateway_backends
{
	return psql('t_restart',
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'signals-gateway' AND datname = 't_restart'");
}

# Warm up every thread, then check the pool: one connection per thread.
fresh_get($path, $tokens->{alice_read}) for 1 .. 10;
is(gateway_backends(), $threads, "one database connection per server thread ($threads)");

my $restarted = 0;
END { GatewayTest::pg_ctl('start') if defined $restarted && !$restarted; }
ok(GatewayTest::pg_ctl('stop'), 'database stopped');

my (%statuses, $retry_ok, $body_ok) = ();
for (1 .. 12)
{
	my $r = fresh_get($path, $tokens->{alice_read});
	$statuses{ $r->{status} }++;
	$retry_ok++ if ($r->{headers}{'retry-after'} // '') =~ /^[1-9]\d*$/;
	$body_ok++ if ($r->{content} // '') eq $unavailable;
}
is_deeply(\%statuses, {503 => 12}, 'every API request is 503 while the database is down');
is($retry_ok, 12, 'each with a Retry-After in whole seconds');
is($body_ok, 12, 'each with the API error body');

my $r = fresh_get('/readyz');
is($r->{status}, 503, '/readyz is 503 while the database is down');
is($r->{content}, $unavailable, '/readyz body');
is(fresh_get('/healthz')->{status}, 200, '/healthz stays 200 (the process is alive)');
is(fresh_get('/api/schema/')->{status}, 503, '/api/schema/ is 503 too');

ok(GatewayTest::pg_ctl('start'), 'database started again');
$restarted = 1;

ok(wait_until(sub { fresh_get($path, $tokens->{alice_read})->{status} == 200 }, 60),
	'the API answers again once the database is back');
# Each thread reconnects (after its backoff, at most --reconnect-max).
ok(wait_until(sub {
	my $all = 1;
	for (1 .. 3 * $threads)
	{
		my $x = fresh_get($path, $tokens->{alice_read});
		$all = 0 unless $x->{status} == 200 && $x->{content} eq $page;
	}
	return $all;
}, 60), 'then every request succeeds, on every thread');
my %after;
$after{ fresh_get($path, $tokens->{alice_read})->{status} }++ for 1 .. 30;
is_deeply(\%after, {200 => 30}, '30 more requests on new connections: all 200');
is(gateway_backends(), $threads, "still exactly one database connection per thread ($threads)");
is(fresh_get('/readyz')->{status}, 200, '/readyz is 200 again');
like($gw->log, qr/database unavailable.*database connection restored/s,
	'the outage and the recovery are in the server log');

$gw->stop;
done_testing();
