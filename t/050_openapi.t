# GET /api/schema/: the OpenAPI document, served without a key, valid per
# the OpenAPI 3.1 schema (checked with an npm validator), and describing
# every route of signals.routes() with its scope and parameters.
use strict;
use warnings;

use File::Temp;
use GatewayTest;
use JSON::PP;
use Test::More;

my $validator = $ENV{SIGNALS_OPENAPI_VALIDATOR}
  or BAIL_OUT('SIGNALS_OPENAPI_VALIDATOR is not set (t/run installs it)');

create_database('t_openapi');
my $gw = GatewayTest->new(dbname => 't_openapi', args => ['--threads=2']);

my $r = $gw->request('GET', '/api/schema/');
is($r->{status}, 200, 'GET /api/schema/ without a key: 200');
is($r->{headers}{'content-type'}, 'application/json', 'as JSON');
my $doc = decode_json_ok($r->{content});
is($gw->request('GET', '/api/schema')->{status}, 200, 'without the trailing slash too');
is($gw->request('POST', '/api/schema/', undef, '{}')->{status}, 405, 'POST is 405');

# The validator accepts it, and rejects a broken copy (so it really checks).
sub validate
{
	my ($json) = @_;
	my $file = File::Temp->new(SUFFIX => '.json');
	print $file $json;
	close $file;
	my $out = `"$validator" "$file" 2>&1`;
	return ($? >> 8, $out);
}
my ($rc, $out) = validate($r->{content});
is($rc, 0, 'the document validates as OpenAPI') or diag($out);
my $broken = decode_json($r->{content});
$broken->{paths}{'/x/'} = {get => {responses => {'200' => {}}, parameters => [{name => 'p'}]}};
($rc) = validate(encode_json($broken));
isnt($rc, 0, 'the validator rejects a broken document');

is($doc->{openapi}, '3.1.0', 'OpenAPI 3.1');
is($doc->{info}{version}, psql('t_openapi', "SELECT extversion FROM pg_extension WHERE extname = 'signals'"),
	'info.version is the extension version');
is_deeply($doc->{components}{securitySchemes}{PersonalAPIKey}, {
		type => 'http', scheme => 'bearer',
		description => $doc->{components}{securitySchemes}{PersonalAPIKey}{description} },
	'Bearer security scheme');
is_deeply($doc->{components}{schemas}{Error}{required}, [qw(type code detail attr)], 'error body schema');
is_deeply($doc->{components}{schemas}{ConflictError}{allOf}, [{'$ref' => '#/components/schemas/Error'},
		{type => 'object', properties => {type => {const => 'invalid_request'}, code => {const => 'conflict'}}}],
	'the 409 body: an error of type invalid_request, code conflict');
ok($doc->{paths}{'/api/projects/{project_id}/signals/reports/{id}/state/'}{post}{responses}{'409'},
	'POST reports/{id}/state/ documents its 409');
is_deeply($doc->{components}{schemas}{Page}{required}, [qw(count next previous results)],
	'pagination envelope schema');

# Every route is there, with its scope and its parameters.
my $routes = decode_json(psql('t_openapi', 'SELECT json_agg(r) FROM signals.routes() r'));
cmp_ok(scalar(@$routes), '>=', 11, 'signals.routes() lists the routes');
my $operations = 0;
$operations += scalar keys %{ $doc->{paths}{$_} } for keys %{ $doc->{paths} };
is($operations, scalar(@$routes), 'one operation per route');
my %ids;
for my $route (@$routes)
{
	my $name = "$route->{method} $route->{path}";
	my $op = $doc->{paths}{ $route->{path} }{ lc $route->{method} };
	ok($op, "$name: in the document") or next;
	is_deeply($op->{security}, [{PersonalAPIKey => [$route->{scope}]}], "$name: scope $route->{scope}");
	ok($op->{responses}{ $route->{success_status} }, "$name: success status $route->{success_status}");
	ok($op->{responses}{'401'} && $op->{responses}{'403'}, "$name: error responses");
	# A route that answers 409 by design documents it, with the error body.
	if ($route->{conflict})
	{
		is($op->{responses}{'409'}{description}, $route->{conflict}, "$name: 409 described");
		is($op->{responses}{'409'}{content}{'application/json'}{schema}{'$ref'},
			'#/components/schemas/ConflictError', "$name: 409 body is the error body");
	}
	else
	{
		ok(!$op->{responses}{'409'}, "$name: no 409");
	}
	# The success body's schema names the route's result type (signals.api_*).
	my $body = $op->{responses}{ $route->{success_status} }{content}{'application/json'}{schema};
	if ($route->{response} eq 'page')
	{
		is($body->{allOf}[0]{'$ref'}, '#/components/schemas/Page', "$name: paginated");
		is($body->{allOf}[1]{properties}{results}{items}{'$ref'}, "#/components/schemas/$route->{result}",
			"$name: a page of $route->{result}");
	}
	elsif ($route->{response} eq 'json')
	{
		(my $type = $route->{result}) =~ s/\[\]$//;
		my $ref = $route->{result} =~ /\[\]$/ ? $body->{items}{'$ref'} : $body->{'$ref'};
		is($ref, "#/components/schemas/$type", "$name: returns $route->{result}");
	}
	if ($route->{result})
	{
		(my $type = $route->{result}) =~ s/\[\]$//;
		ok($doc->{components}{schemas}{$type}{properties}, "$name: schema $type is defined");
	}
	like($op->{description}, qr/\S/, "$name: described");
	$ids{ $op->{operationId} }++;

	my %params = map { ($_->{name} // '') => 1 } grep { !$_->{'$ref'} } @{ $op->{parameters} };
	for my $template ($route->{path} =~ /\{(\w+)\}/g)
	{
		next if $template eq 'project_id';    # the shared ProjectId parameter
		ok($params{$template}, "$name: path parameter {$template} declared");
	}
	for my $arg (@{ $route->{args} })
	{
		if ($arg->{in} eq 'query')
		{
			ok($params{ $arg->{name} }, "$name: query parameter $arg->{name}");
		}
		elsif ($arg->{in} eq 'body')
		{
			ok($op->{requestBody}{content}{'application/json'}{schema}{properties}{ $arg->{name} },
				"$name: body field $arg->{name}");
		}
	}
}
is(scalar(grep { $ids{$_} > 1 } keys %ids), 0, 'operationIds are unique');

$gw->stop;
done_testing();
