# The memory bound (--max-memory): request buffers, bodies and responses
# share one budget.  With three large uploads in progress holding most of
# it, a fourth is refused at once with 503, Retry-After and the API's error
# body, while small requests are still served; once the uploads go, a large
# one fits again.
use strict;
use warnings;

use GatewayTest;
use IO::Socket::INET;
use Test::More;

my $max_body = 60_000;
my $tokens = create_database('t_memory');
my $gw = GatewayTest->new(dbname => 't_memory',
	args => ['--threads=2', "--max-body=$max_body", '--max-memory=262144']);
my $path = '/api/projects/1/signals/scout/scratchpad/';

# An upload of $length bytes: its head, with Expect: 100-continue (the
# gateway answers 100 once it has reserved the body's memory), then the
# first bytes of the body if it may go on.  Returns the socket and what the
# gateway answered to the head.
sub open_upload
{
	my ($length) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp')
	  or die "connect: $!";
	$s->autoflush(1);
	print $s "POST $path HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $tokens->{scout1}\r\n"
	  . "Content-Type: application/json\r\nContent-Length: $length\r\nExpect: 100-continue\r\n\r\n";
	my $answer = '';
	while ($answer !~ /\r\n\r\n/)
	{
		my $n = sysread($s, my $buf, 4096);
		last if !$n;
		$answer .= $buf;
	}
	print $s '{"key": "big", ' if $answer =~ m{^HTTP/1\.1 100 };
	return ($s, $answer);
}

# Three uploads of nearly --max-body bytes, stalled after their first bytes.
my @uploads;
for (1 .. 3)
{
	my ($s, $answer) = open_upload($max_body);
	like($answer, qr{^HTTP/1\.1 100 Continue\r\n\r\n$}, "large upload $_ may go on (its body is reserved)");
	push @uploads, $s;
}

my ($fourth, $raw) = open_upload($max_body);
while (sysread($fourth, my $buf, 4096)) { $raw .= $buf; }
like($raw, qr{^HTTP/1\.1 503 }, 'a fourth is refused: 503');
like($raw, qr{\r\nRetry-After: 1\r\n}, 'with Retry-After');
like($raw, qr{\r\nContent-Type: application/json\r\n}, 'as JSON');
like($raw, qr{\r\n\r\n\{"type":"server_error","code":"service_unavailable","detail":"The gateway is at its memory limit; try again later\.","attr":null\}$},
	'with the API error body');

my $r = $gw->request('GET', '/api/projects/1/signals/processing/', $tokens->{alice_read});
is($r->{status}, 200, 'a small API request is still served');
is($gw->request('GET', '/readyz')->{status}, 200, 'and /readyz');

close $_ for @uploads;
my $content = 'x' x 49_000;
ok(wait_until(sub {
	$gw->request('POST', $path, $tokens->{scout1}, qq({"key": "big", "content": "$content"}))->{status} == 200 }, 10),
	'once the uploads are gone, a large one fits again');
is(psql('t_memory', "SELECT length(content) FROM signals.scratchpad WHERE key = 'big'"), length($content),
	'and is stored whole');
ok(wait_until(sub { grep { m{"POST \Q$path\E" 503 } } $gw->access_lines }, 10), 'the 503 is in the access log');

$gw->stop;
done_testing();
