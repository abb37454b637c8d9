# The gateway's own surface: --help, bad options, /healthz, /readyz, 404s
# for paths outside the API, keep-alive, and one access log line per request.
use strict;
use warnings;

use GatewayTest;
use Test::More;

my $bin = $ENV{GATEWAY_BIN};

# --help and bad options
my $help = `"$bin" --help`;
is($? >> 8, 0, '--help exits 0');
like($help, qr/--statement-timeout=MS/, '--help lists the options');
like($help, qr/PGHOST/, '--help names the libpq environment');
like($help, qr/default 127\.0\.0\.1/, '--help shows that it binds to 127.0.0.1 by default');
my $bad = `"$bin" --threads=0 2>&1`;
is($? >> 8, 2, 'an out-of-range option exits 2');
like($bad, qr/invalid value "0" for --threads/, 'and says which option');
`"$bin" --no-such-option 2>&1`;
is($? >> 8, 2, 'an unknown option exits 2');

create_database('t_basics');
my $gw = GatewayTest->new(dbname => 't_basics', args => ['--threads=2']);
my $requests = 0;

my $r = $gw->request('GET', '/healthz');
$requests++;
is($r->{status}, 200, '/healthz is 200');
is($r->{content}, '{"status":"ok"}', '/healthz body');
is($r->{headers}{'content-type'}, 'application/json', '/healthz is JSON');

$r = $gw->request('HEAD', '/healthz');
$requests++;
is($r->{status}, 200, 'HEAD /healthz is 200');
is(length($r->{content} // ''), 0, 'HEAD has no body');

$r = $gw->request('POST', '/healthz', undef, '{}');
$requests++;
is($r->{status}, 405, 'POST /healthz is 405');
is($r->{content},
	'{"type":"invalid_request","code":"method_not_allowed","detail":"Only GET and HEAD are allowed here.","attr":null}',
	'405 body has the API error shape');

$r = $gw->request('GET', '/readyz');
$requests++;
is($r->{status}, 200, '/readyz is 200 with the database up');
is($r->{content}, '{"status":"ready"}', '/readyz body');

for my $path ('/', '/api/', '/api/projects', '/favicon.ico', '/healthz/', '/API/projects/1/signals/processing/')
{
	$r = $gw->request('GET', $path);
	$requests++;
	is($r->{status}, 404, "$path is 404");
	is($r->{content}, '{"type":"invalid_request","code":"not_found","detail":"Not found.","attr":null}',
		"$path: 404 body has the API error shape");
}

# Keep-alive: two pipelined requests on one connection get two responses.
my $raw = raw_request($gw->port,
	"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
$requests += 2;
my @statuses = $raw =~ m{HTTP/1\.1 (\d{3}) }g;
is_deeply(\@statuses, [200, 200], 'two requests on one kept-alive connection');
like($raw, qr/\{"status":"ok"\}.*\{"status":"ready"\}/s, 'in order');

# HTTP/1.0 without keep-alive is served too.
$raw = raw_request($gw->port, "GET /healthz HTTP/1.0\r\n\r\n");
$requests++;
like($raw, qr{^HTTP/1\.[01] 200 }, 'HTTP/1.0 request is served');

# One access log line per request, in the documented format.
ok(wait_until(sub { my @l = $gw->access_lines; @l == $requests }, 10),
	"one access log line per request ($requests)")
  or diag(join '', $gw->access_lines);
my @lines = $gw->access_lines;
like($lines[0], qr{^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1 "GET /healthz" 200 15 \d+\.\d{3}ms$},
	'access log line format');
is(scalar(grep { m{"HEAD /healthz" 200 } } @lines), 1, 'HEAD logged');

$gw->stop;
like($gw->log, qr/received SIGTERM: shutting down.*stopped/s, 'server log records the shutdown');
done_testing();
