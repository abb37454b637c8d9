# Slow clients: connections that never finish their headers or their body
# do not hold up anyone else; they are answered 408 (with the API's error
# body) and closed after --header-timeout or --request-timeout; a body
# trickled in for longer than that is cut off.  A client that goes away
# mid-request is logged with status 0.
use strict;
use warnings;

use GatewayTest;
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

my $tokens = create_database('t_slow');
my $gw = GatewayTest->new(dbname => 't_slow',
	args => ['--threads=2', '--request-timeout=3', '--header-timeout=3']);
my $port = $gw->port;

sub connect_slow
{
	my ($bytes) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
	  or die "connect: $!";
	$s->autoflush(1);
	print $s $bytes;
	return $s;
}

# Four clients stop in the middle of their headers, four in their body:
# more than there are server threads.
my @slow;
push @slow, connect_slow("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ") for 1 .. 4;
push @slow, connect_slow("POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\n"
	  . "Authorization: Bearer $tokens->{scout1}\r\nContent-Type: application/json\r\n"
	  . "Content-Length: 100\r\n\r\n{\"key\": \"sl") for 1 .. 4;

# Everyone else is served meanwhile, on new connections.
my $ok = 0;
for (1 .. 20)
{
	my $r = HTTP::Tiny->new(timeout => 30)->get("http://127.0.0.1:$port/api/projects/1/signals/processing/",
		{headers => {authorization => "Bearer $tokens->{alice_read}"}});
	$ok++ if $r->{status} == 200 && $r->{content} =~ /^\{"count":1,/;
}
is($ok, 20, 'other clients are served while 8 slow ones hold connections');

# The slow ones are answered 408 and closed: those in their headers after
# --header-timeout, those in their body after --request-timeout.
my $closed = 0;
my $answered = 0;
for my $s (@slow)
{
	my $got = '';
	my $eof = GatewayTest::wait_until(sub {
		my $rin = '';
		vec($rin, fileno($s), 1) = 1;
		return 0 unless select($rin, undef, undef, 0) > 0;
		my $n = sysread($s, my $buf, 4096);
		$got .= $buf if $n;
		return !$n;
	}, 60);
	$closed++ if $eof && $got !~ m{^HTTP/1\.1 200};
	$answered++ if $got =~ m{^HTTP/1\.1 408 .*\r\nContent-Type: application/json\r\n.*\r\n\r\n\{"type":"invalid_request","code":"request_timeout","detail":"The request (headers|body) took longer than 3 s\.","attr":null\}$}s;
	close $s;
}
is($closed, 8, 'the slow connections are closed without being served');
is($answered, 8, 'each answered 408 with the API error body');
is(psql('t_slow', 'SELECT count(*) FROM signals.scratchpad'), '0', 'their half-sent bodies wrote nothing');

# A body trickled in one byte at a time is cut off after --request-timeout,
# long before it is complete.
my $s = connect_slow("POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\n"
	  . "Authorization: Bearer $tokens->{scout1}\r\nContent-Type: application/json\r\n"
	  . "Content-Length: 400\r\n\r\n");
my $sent = 0;
local $SIG{PIPE} = 'IGNORE';
for (1 .. 400)
{
	last unless defined syswrite($s, ' ');
	$sent++;
	my $rin = '';
	vec($rin, fileno($s), 1) = 1;
	if (select($rin, undef, undef, 0.1) > 0)
	{
		my $n = sysread($s, my $buf, 4096);
		last if !$n;
	}
}
close $s;
cmp_ok($sent, '<', 400, "a trickled body is cut off before it is complete ($sent of 400 bytes sent)");

ok(wait_until(sub { (grep { / 408 \d+ \d+\.\d{3}ms$/ } $gw->access_lines) == 9 }, 10),
	'the 9 slow requests are in the access log with status 408');

# A client that goes away in the middle of its body: logged with status 0.
$s = connect_slow("POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\n"
	  . "Authorization: Bearer $tokens->{scout1}\r\nContent-Type: application/json\r\n"
	  . "Content-Length: 100\r\n\r\n{\"key\": \"gone");
sleep 0.3;
close $s;
ok(wait_until(sub { grep { m{"POST /api/projects/1/signals/scout/scratchpad/" 0 0 \d+\.\d{3}ms$} } $gw->access_lines }, 10),
	'an abandoned request is in the access log with status 0');

my $r = $gw->request('GET', '/healthz');
is($r->{status}, 200, 'still serving');
$gw->stop;
done_testing();
