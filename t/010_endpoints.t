# Every endpoint of the API over real HTTP, with its exact status and body
# (ids and timestamps masked as <uuid> and <ts>).
#
# The table below is the test: one case per line.  A case names the method,
# the path below /api/projects/<project>/signals/ ("{name}" is replaced by an
# id saved by an earlier case), the key, the body, the expected status and
# the expected masked body (undef: no body).  "save" keeps the response's
# "id" under a name for later paths.  The last test checks that every route
# of signals.routes() is exercised by some case, so a new route needs a line
# here.
use strict;
use warnings;

use GatewayTest;
use JSON::PP;
use Test::More;

my $tokens = create_database('t_endpoints');
my $gw = GatewayTest->new(dbname => 't_endpoints', args => ['--threads=2']);

# [method, path, key, body, status, masked body, {options}]; options: save =>
# name (keep the response's id), project => (default 1), headers => {...}.
# "{port}" in an expected body stands for the gateway's port.
my @cases = (
	# processing/
	['GET', 'processing/', 'alice_read', undef, 200,
		'{"count":1,"next":null,"previous":null,"results":[{"paused_until":null}]}'],
	['PUT', 'processing/pause/', 'alice_write', '{"timestamp": "2030-01-02T03:04:05Z"}', 200,
		'{"status":"paused","paused_until":"<ts>"}'],
	['GET', 'processing/', 'alice_all', undef, 200,
		'{"count":1,"next":null,"previous":null,"results":[{"paused_until":"<ts>"}]}'],
	['DELETE', 'processing/pause/', 'alice_write', undef, 200,
		'{"status":"unpaused","paused_until":null,"was_paused":true}'],
	['DELETE', 'processing/pause/', 'alice_write', undef, 200,
		'{"status":"unpaused","paused_until":null,"was_paused":false}'],

	# source_configs/
	['POST', 'source_configs/', 'alice_write', '{"source_product": "github", "source_type": "issue"}', 201,
		'{"id":"<uuid>","source_product":"github","source_type":"issue","enabled":true,"config":{},"created_at":"<ts>","updated_at":"<ts>","status":null}',
		{save => 'cfg'}],
	['GET', 'source_configs/', 'alice_read', undef, 200,
		'{"count":1,"next":null,"previous":null,"results":[{"id":"<uuid>","source_product":"github","source_type":"issue","enabled":true,"config":{},"created_at":"<ts>","updated_at":"<ts>","status":null}]}'],
	['GET', 'source_configs/{cfg}/', 'alice_read', undef, 200,
		'{"id":"<uuid>","source_product":"github","source_type":"issue","enabled":true,"config":{},"created_at":"<ts>","updated_at":"<ts>","status":null}'],
	['PATCH', 'source_configs/{cfg}/', 'alice_write', '{"enabled": false, "config": {"steering": "be brief"}}', 200,
		'{"id":"<uuid>","source_product":"github","source_type":"issue","enabled":false,"config":{"steering": "be brief"},"created_at":"<ts>","updated_at":"<ts>","status":null}'],
	['POST', 'source_configs/', 'alice_write', '{"source_product": "linear", "source_type": "issue", "enabled": true, "config": null}', 201,
		'{"id":"<uuid>","source_product":"linear","source_type":"issue","enabled":true,"config":{},"created_at":"<ts>","updated_at":"<ts>","status":null}',
		{save => 'cfg2'}],
	['GET', 'source_configs/?limit=1', 'alice_read', undef, 200,
		'{"count":2,"next":"http://127.0.0.1:{port}/api/projects/1/signals/source_configs/?limit=1&offset=1","previous":null,"results":[{"id":"<uuid>","source_product":"linear","source_type":"issue","enabled":true,"config":{},"created_at":"<ts>","updated_at":"<ts>","status":null}]}'],
	['GET', 'source_configs/?offset=1&limit=1', 'alice_read', undef, 200,
		'{"count":2,"next":null,"previous":"https://127.0.0.1:{port}/api/projects/1/signals/source_configs/?limit=1","results":[{"id":"<uuid>","source_product":"github","source_type":"issue","enabled":false,"config":{"steering": "be brief"},"created_at":"<ts>","updated_at":"<ts>","status":null}]}',
		{headers => {'x-forwarded-proto' => 'https'}}],
	['GET', 'source_configs/{cfg2}', 'alice_team1', undef, 200,
		'{"id":"<uuid>","source_product":"linear","source_type":"issue","enabled":true,"config":{},"created_at":"<ts>","updated_at":"<ts>","status":null}',
		{project => '@current'}],
	['DELETE', 'source_configs/{cfg}/', 'alice_write', undef, 204, undef],
	['DELETE', 'source_configs/{cfg2}/', 'alice_write', undef, 204, undef],
	['GET', 'source_configs/{cfg}/', 'alice_read', undef, 404,
		'{"type":"invalid_request","code":"not_found","detail":"source config <uuid> not found","attr":null}'],
	['GET', 'source_configs/{cfg2}/', 'bob_all', undef, 403,
		'{"type":"authentication_error","code":"permission_denied","detail":"You don\'t have access to the project.","attr":null}'],

	# scout/scratchpad/
	['POST', 'scout/scratchpad/', 'scout1', '{"key": "onboarding", "content": "Users drop at step 3"}', 200,
		'{"key":"onboarding","content":"Users drop at step 3","created_at":"<ts>","updated_at":"<ts>","created_by_run_id":null}'],
	['GET', 'scout/scratchpad/', 'alice_read', undef, 200,
		'[{"key":"onboarding","content":"Users drop at step 3","created_at":"<ts>","updated_at":"<ts>","created_by_run_id":null}]'],
	['GET', 'scout/scratchpad/?text=STEP&limit=5', 'scout1', undef, 200,
		'[{"key":"onboarding","content":"Users drop at step 3","created_at":"<ts>","updated_at":"<ts>","created_by_run_id":null}]'],
	['POST', 'scout/scratchpad/forget/', 'scout1', '{"key": "onboarding"}', 200, '{"deleted":true}'],
	['POST', 'scout/scratchpad/forget/', 'scout1', '{"key": "onboarding"}', 200, '{"deleted":false}'],
	['GET', 'scout/scratchpad/', 'scout1', undef, 200, '[]'],
);

my (%saved, %covered);
my $routes = decode_json(psql('t_endpoints',
	"SELECT json_agg(json_build_object('method', method, 'path', path)) FROM signals.routes()"));

# Which route (OpenAPI path form) a concrete path matches.
sub route_of
{
	my ($method, $path) = @_;
	$path =~ s/\?.*//;
	$path =~ s{/?$}{/};
	for my $r (@$routes)
	{
		next unless $r->{method} eq $method;
		my $re = quotemeta($r->{path});
		$re =~ s/\\\{project_id\\\}/[^\/]+/;
		$re =~ s/\\\{id\\\}/[^\/]+/g;
		return "$r->{method} $r->{path}" if $path =~ /^$re$/;
	}
	return undef;
}

for my $case (@cases)
{
	my ($method, $path, $key, $body, $status, $expected, $opts) = @$case;
	$opts //= {};
	$path =~ s/\{(\w+)\}/$saved{$1} \/\/ die "no saved id $1"/ge;
	my $full = '/api/projects/' . ($opts->{project} // 1) . "/signals/$path";
	my $r = $gw->request($method, $full, $tokens->{$key}, $body, $opts->{headers});
	my $name = "$method $path as $key";
	$expected =~ s/\{port\}/$gw->port/ge if defined $expected;
	is($r->{status}, $status, "$name: status $status");
	is(GatewayTest::mask(length($r->{content} // '') ? $r->{content} : undef), $expected, "$name: body");
	if (defined $expected)
	{
		is($r->{headers}{'content-type'}, 'application/json', "$name: content type");
	}
	if ($opts->{save})
	{
		my $v = decode_json_ok($r->{content});
		$saved{ $opts->{save} } = $v->{id} if $v;
	}
	if (my $route = route_of($method, $full))
	{
		$covered{$route}++ if $r->{status} == $status && $status < 300;
	}
}

# Every route has at least one successful case above.
for my $r (@$routes)
{
	ok($covered{"$r->{method} $r->{path}"}, "route $r->{method} $r->{path} is covered by a successful case");
}

$gw->stop;
done_testing();
