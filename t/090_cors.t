# CORS: off by default; with --cors-origin, allowed origins get
# Access-Control-Allow-Origin and preflights are answered by the gateway,
# other origins get neither.
use strict;
use warnings;

use GatewayTest;
use Test::More;

my $tokens = create_database('t_cors');
my $path = '/api/projects/1/signals/processing/';

# Off by default: no CORS headers, OPTIONS goes to the API.
my $gw = GatewayTest->new(dbname => 't_cors', args => ['--threads=1']);
my $r = $gw->request('GET', $path, $tokens->{alice_read}, undef, {origin => 'https://app.example.com'});
is($r->{status}, 200, 'CORS off: request served');
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'CORS off: no Access-Control-Allow-Origin');
$r = $gw->request('OPTIONS', $path, undef, undef,
	{origin => 'https://app.example.com', 'access-control-request-method' => 'GET'});
is($r->{status}, 401, 'CORS off: a preflight goes to the API like any request (401 without a key)');
$gw->stop;

$gw = GatewayTest->new(dbname => 't_cors',
	args => ['--threads=1', '--cors-origin=https://app.example.com', '--cors-origin=https://admin.example.com']);

$r = $gw->request('OPTIONS', $path, undef, undef,
	{origin => 'https://admin.example.com', 'access-control-request-method' => 'PUT',
		'access-control-request-headers' => 'authorization, content-type'});
is($r->{status}, 204, 'preflight from an allowed origin: 204');
is($r->{headers}{'access-control-allow-origin'}, 'https://admin.example.com', 'echoes the origin');
is($r->{headers}{'access-control-allow-methods'}, 'GET, POST, PUT, PATCH, DELETE, OPTIONS', 'allowed methods');
is($r->{headers}{'access-control-allow-headers'}, 'Authorization, Content-Type', 'allowed headers');
is($r->{headers}{'access-control-max-age'}, '600', 'max age');
is($r->{headers}{vary}, 'Origin', 'Vary: Origin');

$r = $gw->request('OPTIONS', $path, undef, undef,
	{origin => 'https://evil.example.com', 'access-control-request-method' => 'GET'});
is($r->{status}, 403, 'preflight from another origin: 403');
is($r->{content},
	'{"type":"authentication_error","code":"permission_denied","detail":"Cross-origin requests from this origin are not allowed.","attr":null}',
	'403 body');
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'and no Access-Control-Allow-Origin');

$r = $gw->request('GET', $path, $tokens->{alice_read}, undef, {origin => 'https://app.example.com'});
is($r->{status}, 200, 'a request from an allowed origin is served');
is($r->{headers}{'access-control-allow-origin'}, 'https://app.example.com', 'with Access-Control-Allow-Origin');
like($r->{headers}{'access-control-expose-headers'} // '', qr/Retry-After/, 'exposing Retry-After');

$r = $gw->request('GET', $path, undef, undef, {origin => 'https://app.example.com'});
is($r->{status}, 401, 'errors from an allowed origin');
is($r->{headers}{'access-control-allow-origin'}, 'https://app.example.com', 'carry the CORS header too');

$r = $gw->request('GET', $path, $tokens->{alice_read}, undef, {origin => 'https://evil.example.com'});
is($r->{status}, 200, 'a request from another origin is still served (the browser enforces CORS)');
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'but without Access-Control-Allow-Origin');
$gw->stop;

$gw = GatewayTest->new(dbname => 't_cors', args => ['--threads=1', '--cors-origin=*']);
$r = $gw->request('GET', $path, $tokens->{alice_read}, undef, {origin => 'https://anything.example'});
is($r->{headers}{'access-control-allow-origin'}, '*', '--cors-origin=* allows any origin with "*"');
$gw->stop;

done_testing();
