# Many clients at once, each sending a random mix from a fixed seed: writes
# with Content-Length and chunked bodies, pipelined requests, requests cut
# off halfway, responses never read, oversized heads and bodies, random
# bytes.  No client gets a 5xx or silence where an answer is due, the
# gateway stays ready, logs no error, and gives its whole memory budget
# back when it stops.
use strict;
use warnings;

use GatewayTest;
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(time);

my ($clients, $connections) = (6, 150);
my $tokens = create_database('t_mixed');
my $gw = GatewayTest->new(dbname => 't_mixed',
	args => ['--threads=3', '--max-body=20000', '--header-timeout=2', '--request-timeout=3']);
my $port = $gw->port;
my $path = '/api/projects/1/signals/scout/scratchpad/';
my $auth = "Authorization: Bearer $tokens->{scout1}\r\n";

# One connection's bytes, and whether an answer is due.
sub random_connection
{
	my $body = '{"key": "k' . int(rand(20)) . '", "content": "' . ('c' x int(rand(3000))) . '"}';
	my $post = "POST $path HTTP/1.1\r\nHost: t\r\n$auth" . "Content-Type: application/json\r\n"
	  . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
	my $chunked = "POST $path HTTP/1.1\r\nHost: t\r\n$auth" . "Content-Type: application/json\r\n"
	  . "Transfer-Encoding: chunked\r\n\r\n" . sprintf("%x\r\n%s\r\n0\r\n\r\n", length($body), $body);
	my $get = "GET $path HTTP/1.1\r\nHost: t\r\n$auth\r\n";
	my $last = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	my $kind = int(rand(8));
	return (
		[$post . $get . $chunked . $last, 'answer'],
		[$chunked . "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 'answer'],
		[substr($post, 0, int(rand(length $post))), 'hang up'],
		[$get x 3, 'hang up'],
		["GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " . ('x' x 20000) . "\r\n\r\n", 'answer'],
		[join('', map { chr(int(rand(256))) } 1 .. 200), 'maybe'],
		["POST $path HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n" . ('z' x 1000), 'answer'],
		[$post . $last, 'answer'],
	)[$kind]->@*;
}

my @children;
for my $client (1 .. $clients)
{
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		my $bad = 0;

		local $SIG{PIPE} = 'IGNORE';
		srand(20261202 + $client);
		for (1 .. $connections)
		{
			my ($bytes, $due) = random_connection();
			my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
			  or next;
			$s->autoflush(1);
			print $s $bytes;
			if ($due eq 'hang up')
			{
				close $s;
				next;
			}
			shutdown($s, 1) if $due eq 'maybe';
			my ($got, $start) = ('', time);
			while (time - $start < 10)
			{
				my $n = sysread($s, my $buf, 65536);
				last if !$n;
				$got .= $buf;
			}
			close $s;
			if ($got =~ m{^HTTP/1\.1 5\d\d} || $got =~ m{\r\n\r\nHTTP/1\.1 5\d\d} || ($due eq 'answer' && $got eq ''))
			{
				$bad++;
				print STDERR 'unexpected: ' . substr($got, 0, 200) . "\n";
			}
		}
		POSIX::_exit($bad ? 1 : 0);
	}
	push @children, $pid;
}
my $failed = 0;
for my $pid (@children)
{
	waitpid($pid, 0);
	$failed++ if $? != 0;
}
is($failed, 0, "$clients clients x $connections connections: no 5xx, no silence where an answer was due");
is($gw->request('GET', '/readyz')->{status}, 200, 'the gateway is still ready');
$gw->stop;
unlike($gw->log, qr/ERROR|WARNING/, 'and logged no error');
done_testing();
