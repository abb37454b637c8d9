# A slow-headers flood from one address (300 connections, each sending one
# header line every half second and never finishing) does not lock other
# clients out: the address holds at most --max-connections-per-client
# connections (the rest get 429 at once), those it holds are answered 408
# once --header-timeout passes, and every request from another client
# meanwhile is served, promptly.
use strict;
use warnings;

use GatewayTest;
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

my $flood = 300;
my $share = 100;
my $tokens = create_database('t_flood');
my $gw = GatewayTest->new(dbname => 't_flood',
	args => ['--threads=2', '--header-timeout=2', "--max-connections-per-client=$share"]);
my $port = $gw->port;

# The attacker: 127.0.0.2 (any 127/8 address reaches the loopback).
my @slow;
for (1 .. $flood)
{
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, LocalAddr => '127.0.0.2',
		Proto => 'tcp') or die "connect: $!";
	$s->autoflush(1);
	$s->blocking(0);
	syswrite($s, "GET /healthz HTTP/1.1\r\nHost: t\r\n");
	push @slow, {sock => $s, got => '', eof => 0};
}

# Read what each slow connection got so far.
sub poll_slow
{
	for my $c (@slow)
	{
		next if $c->{eof};
		while (1)
		{
			my $n = sysread($c->{sock}, my $buf, 4096);
			if (defined $n && $n > 0) { $c->{got} .= $buf; next; }
			$c->{eof} = 1 if defined $n && $n == 0;
			last;
		}
	}
}

# For 4 s: one more header line on every slow connection each 0.5 s, and
# normal requests from 127.0.0.1 in between.
my $http = HTTP::Tiny->new(timeout => 10);
my ($served, $tried, $slowest) = (0, 0, 0);
my $start = time;
my $next_line = $start;
while (time - $start < 4)
{
	if (time >= $next_line)
	{
		local $SIG{PIPE} = 'IGNORE';
		syswrite($_->{sock}, "X-Slow: " . int(time * 1000) . "\r\n") for grep { !$_->{eof} } @slow;
		$next_line += 0.5;
	}
	for my $req (['/readyz'], ['/api/projects/1/signals/processing/', $tokens->{alice_read}])
	{
		my $t0 = time;
		my $r = $http->get("http://127.0.0.1:$port$req->[0]",
			{headers => $req->[1] ? {authorization => "Bearer $req->[1]"} : {}});
		my $took = time - $t0;
		$slowest = $took if $took > $slowest;
		$tried++;
		$served++ if $r->{status} == 200;
	}
	poll_slow();
	sleep 0.05;
}
wait_until(sub { poll_slow(); !grep { !$_->{eof} } @slow }, 30);

is($served, $tried, "every request from another client is served during the flood ($served of $tried)");
cmp_ok($slowest, '<', patience(), "each promptly (slowest: ${\ sprintf('%.3f', $slowest)} s)");

my @refused = grep { $_->{got} =~ m{^HTTP/1\.1 429 } } @slow;
is(scalar(@refused), $flood - $share, 'connections beyond the share are refused at once: 429');
like($refused[0]{got} // '', qr{\r\nRetry-After: 1\r\n.*\r\n\r\n\{"type":"invalid_request","code":"throttled","detail":"Too many open connections from this address; try again later\.","attr":null\}$}s,
	'with Retry-After and the API error body');
my @timed_out = grep {
	$_->{got} =~ m{^HTTP/1\.1 408 .*\r\n\r\n\{"type":"invalid_request","code":"request_timeout","detail":"The request headers took longer than 2 s\.","attr":null\}$}s
} @slow;
is(scalar(@timed_out), $share, "the $share held are answered 408 after --header-timeout");
is(scalar(grep { $_->{eof} } @slow), $flood, 'and every slow connection is closed');
close $_->{sock} for @slow;

my $r = $gw->request('GET', '/readyz');
is($r->{status}, 200, 'the gateway serves on');
$gw->stop;
done_testing();
