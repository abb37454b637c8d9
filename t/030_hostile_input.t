# Malformed and hostile requests: bad JSON, wrong content types, oversized
# bodies, path traversal and encoded slashes, very long targets and headers,
# odd bytes in headers.  Each gets a clean error with the API's error body
# (t/210_http_errors.t has the refusals at every size), and the gateway
# keeps serving.
use strict;
use warnings;

use GatewayTest;
use Test::More;

my $tokens = create_database('t_hostile');
my $gw = GatewayTest->new(dbname => 't_hostile',
	args => ['--threads=2', '--max-body=4096', '--max-url=2048', '--max-headers=4096']);
my $port = $gw->port;
my $base = '/api/projects/1/signals';
my $scout = $tokens->{scout1};
my $alice = $tokens->{alice_all};

sub error_body
{
	my ($type, $code, $detail, $attr) = @_;
	$detail =~ s/(["\\])/\\$1/g;
	return qq({"type":"$type","code":"$code","detail":"$detail","attr":)
	  . (defined $attr ? qq("$attr") : 'null') . '}';
}
my $not_found = error_body('invalid_request', 'not_found', 'Not found.');

# Status and body of a raw response.
sub parse_response
{
	my ($raw) = @_;
	my ($status) = $raw =~ m{^HTTP/1\.[01] (\d{3}) };
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	return ($status // 0, $body // '', $head // '');
}

# --- bodies (through a normal client) ---
my @bodies = (
	['malformed JSON', 'application/json', '{"key": ', 400,
		error_body('validation_error', 'parse_error', 'request body is not valid JSON: The input string ended unexpectedly.')],
	['a JSON array', 'application/json', '[1, 2]', 400,
		error_body('validation_error', 'invalid_input', 'request body must be a JSON object')],
	['a field of the wrong type', 'application/json', '{"key": 5, "content": "c"}', 400,
		error_body('validation_error', 'invalid_input', 'key must be a string', 'key')],
	['text/plain', 'text/plain', '{"key": "k", "content": "c"}', 415,
		error_body('invalid_request', 'unsupported_media_type',
			'unsupported media type "text/plain": the body must be application/json')],
	['a NUL byte', 'application/json', qq({"key": "k\0", "content": "c"}), 400,
		error_body('validation_error', 'parse_error', 'request body contains a NUL byte')],
	['invalid UTF-8', 'application/json', qq({"key": "\xff\xfe", "content": "c"}), 400,
		error_body('validation_error', 'parse_error', 'request body is not valid UTF-8')],
	['a body of exactly --max-body bytes', 'application/json',
		'{"key": "big", "content": "' . ('x' x (4096 - 29)) . '"}', 200, undef],
	['a body one byte over --max-body', 'application/json',
		'{"key": "big", "content": "' . ('x' x (4096 - 28)) . '"}', 413,
		error_body('invalid_request', 'payload_too_large', 'The request body is larger than 4096 bytes.')],
);
for my $c (@bodies)
{
	my ($name, $type, $body, $status, $expected) = @$c;
	my $r = $gw->request('POST', "$base/scout/scratchpad/", $scout, $body, {'content-type' => $type});
	is($r->{status}, $status, "body with $name: $status");
	is($r->{content}, $expected, "body with $name: error body") if defined $expected;
}
is(psql('t_hostile', "SELECT string_agg(key, ',') FROM signals.scratchpad"), 'big',
	'only the valid body was written');

# A declared length over the cap is refused before any body is read.
my ($status, $body, $head) = parse_response(raw_request($port,
	"POST $base/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $scout\r\n"
	  . "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"));
is($status, 413, 'Content-Length over --max-body: 413 at once');
is($body, error_body('invalid_request', 'payload_too_large', 'The request body is larger than 4096 bytes.'),
	'413 body');
($status) = parse_response(raw_request($port,
	"POST $base/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $scout\r\n"
	  . "Content-Type: application/json\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
is($status, 413, 'Expect: 100-continue over --max-body: 413 instead of 100 Continue');

# A chunked body over the cap is read to its end and refused; the
# connection then serves the next request.
my $chunk = 'x' x 2000;
my $raw = raw_request($port,
	"POST $base/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $scout\r\n"
	  . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
	  . ("7d0\r\n$chunk\r\n" x 3) . "0\r\n\r\n"
	  . "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
my @statuses = $raw =~ m{HTTP/1\.1 (\d{3}) }g;
is_deeply(\@statuses, [413, 200], 'chunked body over --max-body: 413, and the connection goes on');

# --- paths: traversal, encoded slashes, odd bytes (raw, so nothing normalises them) ---
my @paths = (
	["$base/../signals/processing/", 404, $not_found],
	["$base/%2e%2e/signals/processing/", 404, $not_found],
	["$base/./processing/", 404, $not_found],
	['/api/projects/1/../1/signals/processing/', 404, $not_found],
	["$base/source_configs%2F", 404, $not_found],
	["$base/processing%2fpause/", 404, $not_found],
	["$base/scout%2Fscratchpad/", 404, $not_found],
	["$base//processing/", 404, $not_found],
	["$base/processing/%00", 404, $not_found],
	["$base/processing/%zz/", 404, $not_found],
	["$base/source_configs/not-a-uuid/", 404, $not_found],
	['/api/projects/0/signals/processing/', 404, $not_found],
	['/api/projects/99999999999999999999/signals/processing/', 404, $not_found],
	["$base/processing/?limit=%zz", 400,
		error_body('validation_error', 'invalid_input', 'query string is not valid percent-encoded UTF-8')],
	["$base/processing/?nope=1", 400,
		error_body('validation_error', 'invalid_input', 'unknown query parameter "nope"', 'nope')],
	["$base/processing/?limit=-1", 400,
		error_body('validation_error', 'invalid_input', 'limit must be a positive integer', 'limit')],
	["$base/proc\xffessing/", 400,
		error_body('validation_error', 'invalid_input',
			'The request target must be printable ASCII; percent-encode other bytes.')],
	["$base/processing/?text=caf\xc3\xa9", 400,
		error_body('validation_error', 'invalid_input',
			'The request target must be printable ASCII; percent-encode other bytes.')],
);
for my $c (@paths)
{
	my ($path, $want, $expected) = @$c;
	my ($s, $b) = parse_response(raw_request($port,
		"GET $path HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $alice\r\nConnection: close\r\n\r\n"));
	(my $name = $path) =~ s/([^\x21-\x7e])/sprintf('\\x%02x', ord $1)/ge;
	is($s, $want, "GET $name: $want");
	is($b, $expected, "GET $name: body");
}

# --- very long targets and headers ---
($status, $body) = parse_response(raw_request($port,
	"GET $base/processing/?" . ('a' x 3000) . " HTTP/1.1\r\nHost: t\r\n\r\n"));
is($status, 414, 'a target over --max-url: 414');
like($body, qr/^\{"type":"invalid_request","code":"uri_too_long","detail":"The request target has 30\d\d bytes; the limit is 2048\.","attr":null\}$/,
	'414 body');
($status, $body) = parse_response(raw_request($port,
	"GET $base/processing/ HTTP/1.1\r\nHost: t\r\nX-Padding: " . ('p' x 5000) . "\r\n\r\n"));
is($status, 431, 'headers over --max-headers: 431');
like($body, qr/^\{"type":"invalid_request","code":"request_header_fields_too_large","detail":"The request headers have 50\d\d bytes; the limit is 4096\.","attr":null\}$/,
	'431 body');
my $many = join '', map { "X-H$_: v\r\n" } 1 .. 600;
($status) = parse_response(raw_request($port, "GET $base/processing/ HTTP/1.1\r\nHost: t\r\n$many\r\n"));
is($status, 431, 'many small headers over --max-headers: 431');
($status) = parse_response(raw_request($port,
	"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Huge: " . ('h' x 200000) . "\r\n\r\n"));
is($status, 431, 'headers of 200 KB: 431');
($status) = parse_response(raw_request($port, "GET /" . ('u' x 200000) . " HTTP/1.1\r\nHost: t\r\n\r\n"));
is($status, 414, 'a target of 200 KB: 414');

# --- odd bytes in header values still make valid JSON for the router ---
($status, $body) = parse_response(raw_request($port,
	"GET $base/processing/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $alice\r\n"
	  . "X-Quote: say \"hi\" \\ there\r\nX-Latin1: caf\xe9 \xff\x80\r\nX-Control: a\x01b\x7fc\tend\r\n"
	  . "User-Agent: \xf0\x9f\x98\x80 agent\r\nConnection: close\r\n\r\n"));
is($status, 200, 'quotes, backslashes, control bytes and bytes >= 0x80 in headers: served');
is($body, '{"count":1,"next":null,"previous":null,"results":[{"paused_until":null}]}', 'with the right body');
($status, $body) = parse_response(raw_request($port,
	"GET $base/processing/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer phx_\xff\xfe\x01\r\nConnection: close\r\n\r\n"));
is($status, 401, 'a token with odd bytes: 401');
is($body, error_body('authentication_error', 'authentication_failed',
		'Personal API key found in request Authorization header is invalid.'), '401 body');
($status, $body) = parse_response(raw_request($port,
	"GET $base/processing/ HTTP/1.1\r\nHost: evil\"host/\r\nAuthorization: Bearer $alice\r\nConnection: close\r\n\r\n"));
is($status, 200, 'a Host with a quote: served');

# --- methods ---
($status, $body, $head) = parse_response(raw_request($port,
	"BREW $base/processing/pause/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $alice\r\nConnection: close\r\n\r\n"));
is($status, 405, 'an unknown method: 405');
like($head, qr/^Allow: PUT, DELETE\r?$/m, 'with Allow');
is($body, error_body('invalid_request', 'method_not_allowed', 'Method "BREW" not allowed.'), '405 body');

# Random garbage, and valid requests with random bytes in every part, from a
# fixed seed: every answer is a 1xx-4xx status line or nothing (garbage that
# never makes a request line waits for --request-timeout).
srand(20261126);
sub random_bytes { join '', map { chr(int(rand(256))) } 1 .. $_[0] }
my $answered = 0;
for my $i (1 .. 40)
{
	my $kind = $i % 4;
	my $req =
	    $kind == 0 ? random_bytes(1 + int(rand(300)))
	  : $kind == 1 ? random_bytes(int(rand(8))) . " $base/" . random_bytes(int(rand(40))) . " HTTP/1.1\r\nHost: t\r\n\r\n"
	  : $kind == 2 ? "POST $base/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $scout\r\n"
		  . "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n" . random_bytes(40)
	  : "GET $base/processing/?" . random_bytes(int(rand(60))) . " HTTP/1.1\r\nHost: t\r\nX-R: "
		  . random_bytes(int(rand(60))) . "\r\nAuthorization: Bearer $alice\r\n\r\n";
	my $raw = raw_request($port, $req, 1, 1);
	$answered++ if $raw eq '' || $raw =~ m{^HTTP/1\.[01] [1-4]\d\d };
	if ($raw =~ m{^HTTP/1\.[01] 5\d\d })
	{
		fail('no 5xx for random input');
		diag(substr($raw, 0, 300));
	}
}
is($answered, 40, '40 random requests: each answered with a status, or not at all');

# Still alive and serving after all of it.
my $r = $gw->request('GET', '/readyz');
is($r->{status}, 200, 'the gateway still serves');
unlike($gw->log, qr/ERROR/, 'no errors in the server log');

$gw->stop;
done_testing();
