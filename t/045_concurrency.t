# Requests on different client connections run concurrently on different
# database connections: with N server threads, N clients that arrive at
# once are spread one per thread, so N requests can wait in the database
# at the same time, and all complete.
use strict;
use warnings;

use GatewayTest;
use IO::Socket::INET;
use IPC::Run qw(start pump finish timeout);
use Test::More;

my $threads = 3;
my $tokens = create_database('t_concurrency');
my $gw = GatewayTest->new(dbname => 't_concurrency', args => ["--threads=$threads"]);

my ($in, $out) = ('', '');
my $locker = start(["$ENV{SIGNALS_TEST_PGBIN}/psql", '-XAtq', '-d', 't_concurrency'], \$in, \$out, \$out,
	timeout(60));
$in .= "BEGIN; LOCK TABLE signals.scratchpad IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n";
pump $locker until $out =~ /locked/;

my @clients;
for my $i (1 .. $threads)
{
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp')
	  or die "connect: $!";
	$s->autoflush(1);
	my $body = qq({"key": "k$i", "content": "c$i"});
	print $s "POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\n"
	  . "Authorization: Bearer $tokens->{scout1}\r\nContent-Type: application/json\r\n"
	  . "Connection: close\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
	push @clients, $s;
}
ok(wait_until(sub {
	gateway_lock_waits('t_concurrency') eq $threads }, 30),
	"$threads requests from $threads clients wait in the database at the same time");

$in .= "COMMIT;\n";
finish $locker;
my $done = 0;
for my $s (@clients)
{
	local $/;
	my $response = <$s>;
	$done++ if $response =~ m{^HTTP/1\.1 200 };
}
is($done, $threads, 'and all complete with 200');
is(psql('t_concurrency', 'SELECT count(*) FROM signals.scratchpad'), $threads, 'each wrote its entry');

$gw->stop;
done_testing();
