# Requests the gateway refuses before they reach the router: oversized
# heads at every size (the limits are the defaults: --max-url=8192,
# --max-headers=16384), oversized bodies, malformed request lines, headers
# and framing, unknown HTTP versions.  Each gets a 4xx with Content-Type:
# application/json and the API's error body, and the connection is closed
# after it; a libmicrohttpd-based gateway answered some of these with HTML
# and no Content-Type, and a head of about 40.6 KB with nothing at all.
use strict;
use warnings;

use GatewayTest;
use JSON::PP;
use Test::More;

create_database('t_errors');
my $gw = GatewayTest->new(dbname => 't_errors', args => ['--threads=1']);
my $port = $gw->port;

# Status, lower-cased headers and body of the first response in raw.
sub parse_response
{
	my ($raw) = @_;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	my ($status) = ($head // '') =~ m{^HTTP/1\.1 (\d{3}) \S};
	my %headers;
	for my $line (split /\r\n/, $head // '')
	{
		$headers{ lc $1 } = $2 if $line =~ /^([^:]+):\s*(.*)$/;
	}
	return ($status // 0, \%headers, $body // '');
}

# One refused request: its status, JSON error body with the code (and the
# detail, when given), and the connection closed after it.
sub refused
{
	my ($name, $request, $status, $code, $detail) = @_;
	my $raw = raw_request($port, $request, 30);
	my ($got, $headers, $body) = parse_response($raw);
	is($got, $status, "$name: $status");
	is($headers->{'content-type'}, 'application/json', "$name: application/json");
	is($headers->{connection}, 'close', "$name: Connection: close");
	my $json = eval { decode_json($body) };
	is_deeply([sort keys %{ $json // {} }], [qw(attr code detail type)], "$name: the API's error body")
	  or diag($body);
	is($json->{code}, $code, "$name: code $code");
	is($json->{type}, $status == 400 ? 'validation_error' : 'invalid_request', "$name: type");
	like($json->{detail}, $detail, "$name: detail") if defined $detail;
	is($headers->{'content-length'}, length($body), "$name: Content-Length matches the body");
}

# Headers of about n bytes in all (one long header and Host).
sub headers_of
{
	my ($n) = @_;
	return "Host: t\r\nX-Padding: " . ('p' x ($n - 9 - 13)) . "\r\n";
}

my $ok = raw_request($port, "GET /healthz HTTP/1.1\r\n" . headers_of(16000) . "Connection: close\r\n\r\n");
like($ok, qr{^HTTP/1\.1 200 }, 'headers of 16,000 bytes (under --max-headers): served');

for my $size (16_500, 40_300, 40_600, 41_000, 65_536, 200_000, 1_048_576)
{
	refused("headers of $size bytes", "GET /healthz HTTP/1.1\r\n" . headers_of($size) . "\r\n",
		431, 'request_header_fields_too_large',
		qr/^The request headers (have \d+ bytes; the limit is 16384|are larger than 16384 bytes)\.$/);
}
refused('600 small headers over the limit',
	"GET /healthz HTTP/1.1\r\nHost: t\r\n" . join('', map { sprintf("X-Header-%03d: %s\r\n", $_, 'v' x 20) } 1 .. 600) . "\r\n",
	431, 'request_header_fields_too_large');
refused('headers that never end, 100 KB of them',
	"GET /healthz HTTP/1.1\r\nHost: t\r\n" . ("X-Endless: yes\r\n" x 6400),
	431, 'request_header_fields_too_large', qr/^The request headers are larger than 16384 bytes\.$/);

for my $size (9_000, 40_600, 200_000)
{
	refused("a target of $size bytes", "GET /api/projects/1/signals/processing/?" . ('q' x ($size - 36))
		  . " HTTP/1.1\r\nHost: t\r\n\r\n",
		414, 'uri_too_long', qr/^The request target (has $size bytes; the limit is 8192|is longer than 8192 bytes)\.$/);
}
refused('a request line that never ends', 'GET /' . ('x' x 100_000), 414, 'uri_too_long',
	qr/^The request target is longer than 8192 bytes\.$/);

refused('a declared body over --max-body',
	"POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
	  . "Content-Length: 2097152\r\n\r\n",
	413, 'payload_too_large', qr/^The request body is larger than 1048576 bytes\.$/);

# Malformed requests, and what the old gateway's library answered in HTML.
my @malformed = (
	['a request line without a version', "GET /healthz\r\n\r\n", 400, 'parse_error',
		qr/^The request line is malformed\.$/],
	['garbage for a request line', "HELLO\r\n\r\n", 400, 'parse_error'],
	['a malformed version', "GET /healthz HTTP/one\r\nHost: t\r\n\r\n", 400, 'parse_error'],
	['HTTP/2.0 in an HTTP/1 request line', "GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n", 400,
		'http_version_not_supported', qr/^HTTP\/2\.0 is not supported; send HTTP\/1\.1\.$/],
	['HTTP/0.9 as a version', "GET /healthz HTTP/0.9\r\nHost: t\r\n\r\n", 400, 'http_version_not_supported'],
	['a method with odd bytes', "G\x01T /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 400, 'invalid_input',
		qr/^The request method is malformed\.$/],
	['a header line without a colon', "GET /healthz HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n", 400,
		'parse_error', qr/^A header line is malformed\.$/],
	['a blank before the colon', "GET /healthz HTTP/1.1\r\nHost : t\r\n\r\n", 400, 'parse_error'],
	['obsolete line folding', "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: one\r\n two\r\n\r\n", 400,
		'parse_error', qr/obsolete line folding/],
	['a NUL byte in a header', "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n", 400, 'parse_error'],
	['HTTP/1.1 without Host', "GET /healthz HTTP/1.1\r\nX-A: b\r\n\r\n", 400, 'parse_error',
		qr/Host header/],
	['two Host headers', "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 'parse_error'],
	['a malformed Content-Length', "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 12a\r\n\r\n", 400,
		'parse_error', qr/Content-Length/],
	['two different Content-Lengths',
		"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, 'parse_error'],
	['Content-Length and Transfer-Encoding',
		"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
		'parse_error', qr/both Content-Length and Transfer-Encoding/],
	['a transfer coding other than chunked',
		"POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400, 'parse_error'],
	['a malformed chunk size',
		"POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
		'parse_error', qr/chunked request body is malformed/],
	['an expectation other than 100-continue',
		"POST /api/projects/1/signals/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: tea\r\n\r\n{}",
		417, 'expectation_failed'],
);
refused(@$_) for @malformed;

# Later minor versions are read as HTTP/1.1; leading empty lines are skipped.
like(raw_request($port, "GET /healthz HTTP/1.2\r\nHost: t\r\nConnection: close\r\n\r\n"), qr{^HTTP/1\.1 200 },
	'HTTP/1.2: served as HTTP/1.1');
like(raw_request($port, "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), qr{^HTTP/1\.1 200 },
	'empty lines before a request line: skipped');
like(raw_request($port, "GET /healthz HTTP/1.1\nHost: t\nConnection: close\n\n"), qr{^HTTP/1\.1 200 },
	'bare LF line ends: accepted');

# Expect: 100-continue within the limits gets the interim response, then the answer.
my $raw = raw_request($port, "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
	  . "Connection: close\r\n\r\n{}");
like($raw, qr{^HTTP/1\.1 100 Continue\r\n\r\nHTTP/1\.1 405 }, 'Expect: 100-continue: 100, then the answer (405)');

# Every refusal is in the access log with its status.
ok(wait_until(sub { (grep { / 431 \d+ / } $gw->access_lines) == 9 }, 10), 'the 431s are in the access log');
is($gw->request('GET', '/readyz')->{status}, 200, 'and the gateway still serves');
unlike($gw->log, qr/ERROR/, 'no errors in the server log');
$gw->stop;
done_testing();
