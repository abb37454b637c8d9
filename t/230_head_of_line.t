# Head-of-line blocking: requests waiting on a row lock hold only their own
# worker.  With four of five workers waiting, /healthz, /readyz and other
# API requests are served at once (a thread-per-connection-group gateway
# made every new request wait behind the locked ones); with all five
# waiting, /healthz and /readyz still are (readiness has its own worker),
# and API requests queue until a worker is free, then complete.
use strict;
use warnings;

use GatewayTest;
use HTTP::Tiny;
use IO::Socket::INET;
use IPC::Run qw(start pump finish timeout);
use Test::More;
use Time::HiRes qw(time);

my $workers = 5;
my $tokens = create_database('t_hol');
my $gw = GatewayTest->new(dbname => 't_hol', args => ["--threads=$workers", '--statement-timeout=120000']);
my $path = '/api/projects/1/signals/scout/scratchpad/';
is($gw->request('POST', $path, $tokens->{scout1}, '{"key": "hot", "content": "row"}')->{status}, 200,
	'a row to fight over');

my ($in, $out) = ('', '');
my $locker = start(["$ENV{SIGNALS_TEST_PGBIN}/psql", '-XAtq', '-d', 't_hol'], \$in, \$out, \$out, timeout(120));
$in .= "BEGIN; SELECT key FROM signals.scratchpad WHERE team_id = 1 AND key = 'hot' FOR UPDATE; SELECT 'locked';\n";
pump $locker until $out =~ /locked/;

# Requests that wait on the row lock, each on its own connection.
my @blocked;
sub block_one
{
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp')
	  or die "connect: $!";
	$s->autoflush(1);
	my $body = '{"key": "hot", "content": "update ' . scalar(@blocked) . '"}';
	print $s "POST $path HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $tokens->{scout1}\r\n"
	  . "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
	push @blocked, $s;
}

block_one() for 1 .. 4;
ok(wait_until(sub { gateway_lock_waits('t_hol') == 4 }, 30), 'four requests wait on a row lock');

# Each new request on a new connection, timed.
sub timed_get
{
	my ($p, $token) = @_;
	my $t0 = time;
	my $r = HTTP::Tiny->new(timeout => 60)->get($gw->url . $p,
		{headers => $token ? {authorization => "Bearer $token"} : {}});
	return ($r->{status}, time - $t0);
}
my ($ok, $slowest) = (0, 0);
for (1 .. 10)
{
	for my $req (['/healthz'], ['/readyz'], ['/api/projects/1/signals/processing/', $tokens->{alice_read}])
	{
		my ($status, $took) = timed_get(@$req);
		$ok++ if $status == 200;
		$slowest = $took if $took > $slowest;
	}
}
is($ok, 30, '30 requests (/healthz, /readyz, the API) meanwhile: all 200');
cmp_ok($slowest, '<', patience(), sprintf('none waited behind the locked ones (slowest %.3f s)', $slowest));

block_one();
ok(wait_until(sub { gateway_lock_waits('t_hol') == 5 }, 30), 'a fifth: now every worker waits');
($ok, $slowest) = (0, 0);
for (1 .. 5)
{
	for my $p ('/healthz', '/readyz')
	{
		my ($status, $took) = timed_get($p);
		$ok++ if $status == 200;
		$slowest = $took if $took > $slowest;
	}
}
is($ok, 10, '/healthz and /readyz still answer 200');
cmp_ok($slowest, '<', patience(), sprintf('at once (slowest %.3f s)', $slowest));

# An API request now waits for a free worker, then completes.
my $queued = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp')
  or die "connect: $!";
$queued->autoflush(1);
print $queued "GET /api/projects/1/signals/processing/ HTTP/1.1\r\nHost: t\r\n"
  . "Authorization: Bearer $tokens->{alice_read}\r\nConnection: close\r\n\r\n";
$in .= "COMMIT;\n";
finish $locker;
my $done = 0;
for my $s (@blocked, $queued)
{
	local $/;
	my $response = <$s>;
	$done++ if $response =~ m{^HTTP/1\.1 200 };
}
is($done, 6, 'once the lock goes, the five waiting and the queued one complete with 200');
is(psql('t_hol', "SELECT content LIKE 'update %' FROM signals.scratchpad WHERE key = 'hot'"), 't',
	'the updates went through');

$gw->stop;
done_testing();
