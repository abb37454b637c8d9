# Authentication and authorization failures over HTTP, with exact bodies.
use strict;
use warnings;

use GatewayTest;
use Test::More;

my $tokens = create_database('t_auth');
my $gw = GatewayTest->new(dbname => 't_auth', args => ['--threads=2']);
my $base = '/api/projects/1/signals';

my $not_authenticated =
  '{"type":"authentication_error","code":"not_authenticated","detail":"Authentication credentials were not provided.","attr":null}';
my $invalid =
  '{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}';

# [name, method, path, headers, body, status, body]
my @cases = (
	['no Authorization header', 'GET', "$base/processing/", {}, undef, 401, $not_authenticated],
	['empty Bearer', 'GET', "$base/processing/", {authorization => 'Bearer '}, undef, 401, $not_authenticated],
	['Basic credentials', 'GET', "$base/processing/", {authorization => 'Basic YWxpY2U6c2VjcmV0'}, undef, 401,
		$not_authenticated],
	['unknown token', 'GET', "$base/processing/", {authorization => 'Bearer phx_nosuchkey'}, undef, 401, $invalid],
	['revoked key', 'GET', "$base/processing/", {authorization => "Bearer $tokens->{revoked}"}, undef, 401, $invalid],
	['same key sent twice (joined, so not a key)', 'GET', "$base/processing/",
		{authorization => ["Bearer $tokens->{alice_all}", "Bearer $tokens->{alice_all}"]}, undef, 401, $invalid],
	['read key on a write route', 'PUT', "$base/processing/pause/",
		{authorization => "Bearer $tokens->{alice_read}"}, '{"timestamp":"2030-01-01T00:00:00Z"}', 403,
		q({"type":"authentication_error","code":"permission_denied","detail":"API key missing required scope 'task:write'","attr":null})],
	['personal key on an internal route', 'POST', "$base/scout/scratchpad/",
		{authorization => "Bearer $tokens->{alice_all}"}, '{"key":"k","content":"c"}', 403,
		q({"type":"authentication_error","code":"permission_denied","detail":"API key missing required scope 'signal_scout_internal:write'","attr":null})],
	['scout token on a task route', 'GET', "$base/processing/",
		{authorization => "Bearer $tokens->{scout1}"}, undef, 403,
		q({"type":"authentication_error","code":"permission_denied","detail":"API key missing required scope 'task:read'","attr":null})],
	['member key on another team', 'GET', "$base/processing/",
		{authorization => "Bearer $tokens->{bob_all}"}, undef, 403,
		q({"type":"authentication_error","code":"permission_denied","detail":"You don't have access to the project.","attr":null})],
	['team-limited key on its other team', 'GET', '/api/projects/2/signals/processing/',
		{authorization => "Bearer $tokens->{alice_team1}"}, undef, 403,
		q({"type":"authentication_error","code":"permission_denied","detail":"API key does not have access to the requested project: ID 2.","attr":null})],
	['scout token of another team', 'GET', "$base/scout/scratchpad/",
		{authorization => "Bearer $tokens->{scout2}"}, undef, 403,
		q({"type":"authentication_error","code":"permission_denied","detail":"You don't have access to the project.","attr":null})],
	['@current with a key reaching two teams', 'GET', '/api/projects/@current/signals/processing/',
		{authorization => "Bearer $tokens->{alice_all}"}, undef, 400,
		q({"type":"validation_error","code":"invalid_input","detail":"\"@current\" stands for the key's only project, and this key reaches none or several","attr":"project_id"})],
	['no key on an unknown path is 404, not 401', 'GET', "$base/nothing/", {}, undef, 404,
		'{"type":"invalid_request","code":"not_found","detail":"Not found.","attr":null}'],
	['the OpenAPI document needs no key', 'GET', '/api/schema/', {}, undef, 200, undef],
);

for my $c (@cases)
{
	my ($name, $method, $path, $headers, $body, $status, $expected) = @$c;
	my $r = $gw->request($method, $path, undef, $body, $headers);
	is($r->{status}, $status, "$name: $status");
	is($r->{content}, $expected, "$name: body") if defined $expected;
}

# The key is checked before anything is written: a refused write changed nothing.
is(psql('t_auth', 'SELECT count(*) FROM signals.scratchpad'), '0', 'refused writes wrote nothing');
is(psql('t_auth', 'SELECT count(*) FROM signals.processing_state WHERE paused_until IS NOT NULL'), '0',
	'refused pause wrote nothing');

$gw->stop;
done_testing();
