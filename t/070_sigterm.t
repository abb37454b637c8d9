# SIGTERM with a request in flight: the gateway stops accepting, lets the
# request finish (its write commits and the client gets the full response,
# with Connection: close), then exits 0 without waiting for idle
# keep-alive connections.  A request that does not finish within
# --shutdown-timeout is abandoned and the gateway still exits 0.
use strict;
use warnings;

use GatewayTest;
use IO::Socket::INET;
use IPC::Run qw(start pump finish timeout);
use POSIX qw(WNOHANG);
use Test::More;

my $tokens = create_database('t_sigterm');
my $gw = GatewayTest->new(dbname => 't_sigterm', args => ['--threads=2', '--shutdown-timeout=600']);
my $port = $gw->port;

sub open_socket
{
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
	  or die "connect: $!";
	$s->autoflush(1);
	return $s;
}

sub read_all
{
	my ($s) = @_;
	my $got = '';
	while (1)
	{
		my $n = sysread($s, my $buf, 65536);
		last if !$n;
		$got .= $buf;
	}
	return $got;
}

# An idle keep-alive connection, which must not hold up the shutdown.
my $idle = open_socket();
print $idle "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
sysread($idle, my $first, 4096);
like($first, qr{^HTTP/1\.1 200}, 'a keep-alive connection, now idle');

# Hold a lock that the scratchpad upsert waits for.
my ($in, $out) = ('', '');
my $locker = start(["$ENV{SIGNALS_TEST_PGBIN}/psql", '-XAtq', '-d', 't_sigterm'], \$in, \$out, \$out,
	timeout(60));
$in .= "BEGIN; LOCK TABLE signals.scratchpad IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n";
pump $locker until $out =~ /locked/;

my $body = '{"key": "in-flight", "content": "written during shutdown"}';
my $client = open_socket();
print $client "POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\n"
  . "Authorization: Bearer $tokens->{scout1}\r\nContent-Type: application/json\r\n"
  . "Content-Length: " . length($body) . "\r\n\r\n$body";
ok(wait_until(sub {
	gateway_lock_waits('t_sigterm') eq '1' }, 30),
	'the request is in flight, waiting in the database');

kill 'TERM', $gw->pid;
ok(wait_until(sub { $gw->log =~ /received SIGTERM/ }, 30), 'the gateway got SIGTERM');
is(waitpid($gw->pid, WNOHANG), 0, 'and is still running while the request is in flight');

$in .= "COMMIT;\n";
finish $locker;
my $response = read_all($client);
like($response, qr{^HTTP/1\.1 200 }, 'the in-flight request completes with 200');
like($response, qr{^Connection: close\r$}mi, 'with Connection: close');
like($response,
	qr/\r\n\r\n\{"key":"in-flight","content":"written during shutdown","created_at":"[^"]+","updated_at":"[^"]+","created_by_run_id":null\}$/,
	'and its full body');
is($gw->stop, 0, 'the gateway exits 0 with an idle keep-alive connection still open');
is(psql('t_sigterm', "SELECT content FROM signals.scratchpad WHERE key = 'in-flight'"),
	'written during shutdown', 'the in-flight write committed');
is(read_all($idle), '', 'the idle connection was closed');
like($gw->log, qr/received SIGTERM: shutting down.*stopped/s, 'shutdown logged');
unlike($gw->log, qr/still in flight/, 'nothing was abandoned');

# A request still waiting on the database after --shutdown-timeout is
# cancelled and answered 503, and the gateway exits 0.
my $gw2 = GatewayTest->new(dbname => 't_sigterm', args => ['--threads=2', '--shutdown-timeout=1']);
$port = $gw2->port;
($in, $out) = ('', '');
$locker = start(["$ENV{SIGNALS_TEST_PGBIN}/psql", '-XAtq', '-d', 't_sigterm'], \$in, \$out, \$out,
	timeout(60));
$in .= "BEGIN; LOCK TABLE signals.scratchpad IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n";
pump $locker until $out =~ /locked/;
$body = '{"key": "abandoned", "content": "never written"}';
$client = open_socket();
print $client "POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\n"
  . "Authorization: Bearer $tokens->{scout1}\r\nContent-Type: application/json\r\n"
  . "Content-Length: " . length($body) . "\r\n\r\n$body";
ok(wait_until(sub {
	gateway_lock_waits('t_sigterm') eq '1' }, 30),
	'a second request is in flight, waiting in the database');
is($gw2->stop, 0, 'with it still waiting after --shutdown-timeout, the gateway exits 0');
$response = read_all($client);
like($response, qr{^HTTP/1\.1 503 }, 'the abandoned request is answered 503');
like($response,
	qr/\r\n\r\n\{"type":"server_error","code":"service_unavailable","detail":"The gateway is shutting down.","attr":null\}$/,
	'with the API error body');
like($gw2->log, qr/closing 1 requests still in flight after 1 s/, 'the abandonment is logged');
$in .= "COMMIT;\n";
finish $locker;
is(psql('t_sigterm', "SELECT count(*) FROM signals.scratchpad WHERE key = 'abandoned'"), '0',
	'the abandoned write did not happen');

done_testing();
