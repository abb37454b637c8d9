# POST reports/:id/merge/ and reports/:id/split/ over real HTTP: every
# success and error path with its exact status and body (ids and timestamps
# masked as <uuid> and <ts>), then the rows behind them.
use strict;
use warnings;

use GatewayTest;
use JSON::PP;
use Test::More;

my $db = 't_corrections';
my $tokens = create_database($db);
my $gw = GatewayTest->new(dbname => $db, args => ['--threads=2']);

# Reports of team 1 (and one of team 2) with their signals.
my %id = (
	A => '00000000-0000-7000-8000-00000000a001',    # potential, 2 signals
	B => '00000000-0000-7000-8000-00000000a002',    # potential, 1 signal
	S => '00000000-0000-7000-8000-00000000a003',    # suppressed
	D => '00000000-0000-7000-8000-00000000a004',    # deleted
	P => '00000000-0000-7000-8000-00000000a005',    # in_progress
	R => '00000000-0000-7000-8000-00000000a006',    # ready, 3 signals
	O => '00000000-0000-7000-8000-00000000b001',    # team 2
	none => '00000000-0000-7000-8000-00000000ffff',
	r1 => '00000000-0000-7000-8000-00000000c001',
	r2 => '00000000-0000-7000-8000-00000000c002',
	r3 => '00000000-0000-7000-8000-00000000c003',
	a1 => '00000000-0000-7000-8000-00000000c011',
	o1 => '00000000-0000-7000-8000-00000000c021',
);
psql($db, <<"SQL");
INSERT INTO signals.reports (team_id, id, title, status, total_weight, signal_count, source_products, status_before_suppression)
VALUES (1, '$id{A}', 'Cart A', 'potential', 0.5, 2, '{github,zendesk}', NULL),
       (1, '$id{B}', 'Cart B', 'potential', 0.3, 1, '{github}', NULL),
       (1, '$id{S}', 'Hidden', 'suppressed', 0, 0, '{}', 'potential'),
       (1, '$id{D}', 'Gone', 'deleted', 0, 0, '{}', NULL),
       (1, '$id{P}', 'Researching', 'in_progress', 0, 0, '{}', NULL),
       (1, '$id{R}', 'Ready', 'ready', 1.5, 3, '{error_tracking}', NULL),
       (2, '$id{O}', 'Other team', 'potential', 0.1, 1, '{github}', NULL);
INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, description, weight, report_id, grouped_at)
VALUES (1, '$id{a1}', 'github', 'issue', 'a-1', 'cart is undefined', 0.3, '$id{A}', now()),
       (1, '00000000-0000-7000-8000-00000000c012', 'zendesk', 'ticket', 'a-2', 'cart broken', 0.2, '$id{A}', now()),
       (1, '00000000-0000-7000-8000-00000000c013', 'github', 'issue', 'b-1', 'cart undefined again', 0.3, '$id{B}', now()),
       (1, '$id{r1}', 'error_tracking', 'issue', 'r-1', 'PDF timeout', 0.5, '$id{R}', now()),
       (1, '$id{r2}', 'error_tracking', 'issue', 'r-2', E'Invoice totals wrong\\nsteps', 0.6, '$id{R}', now()),
       (1, '$id{r3}', 'error_tracking', 'issue', 'r-3', 'Invoice rounding', 0.4, '$id{R}', now()),
       (2, '$id{o1}', 'github', 'issue', 'o-1', 'other', 0.1, '$id{O}', now());
SQL

my $report = '{"id":"<uuid>","title":"%s","summary":"","status":"%s","total_weight":%s,"signal_count":%d,"signals_at_run":0,"created_at":"<ts>","updated_at":"<ts>","artefact_count":0,"priority":null,"actionability":null,"already_addressed":null,"is_suggested_reviewer":false,"source_products":[%s],"implementation_pr_url":null}';
sub error
{
	my ($type, $code, $detail, $attr) = @_;
	return sprintf('{"type":"%s","code":"%s","detail":"%s","attr":%s}',
		$type, $code, $detail, defined $attr ? "\"$attr\"" : 'null');
}
my $not_found = error('invalid_request', 'not_found', 'report not found');

# [method, path below signals/ ({X}: an id above), key, body, status, masked body, project]
my @cases = (
	# merge: the body, the scope, then the reports
	['POST', 'reports/{A}/merge/', 'alice_write', '{}', 400,
		error('validation_error', 'required', 'into is required', 'into')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": null}', 400,
		error('validation_error', 'null', 'into may not be null', 'into')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "B"}', 400,
		error('validation_error', 'invalid_input', 'into must be a valid UUID', 'into')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{B}", "force": 1}', 400,
		error('validation_error', 'invalid_input', 'force must be a boolean', 'force')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{A}"}', 400,
		error('validation_error', 'invalid_input', 'cannot merge a report into itself', 'into')],
	['POST', 'reports/{A}/merge/', 'alice_write', '[1]', 400,
		error('validation_error', 'invalid_input', 'request body must be a JSON object')],
	['POST', 'reports/{A}/merge/', 'alice_read', '{"into": "{B}"}', 403,
		error('authentication_error', 'permission_denied', "API key missing required scope 'task:write'")],
	['GET', 'reports/{A}/merge/', 'alice_write', undef, 405,
		error('invalid_request', 'method_not_allowed', 'Method \"GET\" not allowed.')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{O}"}', 404,
		error('invalid_request', 'not_found', 'report to merge into not found', 'into')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{none}"}', 404,
		error('invalid_request', 'not_found', 'report to merge into not found', 'into')],
	['POST', 'reports/{O}/merge/', 'alice_write', '{"into": "{A}"}', 404, $not_found],
	['POST', 'reports/{D}/merge/', 'alice_write', '{"into": "{A}"}', 404, $not_found],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{D}"}', 409,
		error('invalid_request', 'conflict', 'cannot merge into a deleted report', 'into')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{S}"}', 409,
		error('invalid_request', 'conflict', 'cannot merge into a suppressed report', 'into')],
	['POST', 'reports/{P}/merge/', 'alice_write', '{"into": "{A}"}', 409,
		error('invalid_request', 'conflict', 'research is in progress on the report')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{P}"}', 409,
		error('invalid_request', 'conflict', 'research is in progress on the report to merge into')],
	['POST', 'reports/{A}/merge/', 'alice_write', '{"into": "{B}"}', 200,
		sprintf($report, 'Cart B', 'potential', '0.8', 3, '"github","zendesk"')],
	['GET', 'reports/{A}/', 'alice_read', undef, 404, $not_found],
	['POST', 'reports/{B}/merge/', 'alice_write', '{"into": "{A}"}', 409,
		error('invalid_request', 'conflict', 'cannot merge into a report that was merged into report <uuid>', 'into')],
	# forced into a report under research: it keeps researching, with more signals
	['POST', 'reports/{B}/merge/', 'alice_write', '{"into": "{P}", "force": true}', 200,
		sprintf($report, 'Researching', 'in_progress', '0.8', 3, '"github","zendesk"')],

	# split: the body, the scope, then the report and its signals
	['POST', 'reports/{R}/split/', 'alice_write', '{}', 400,
		error('validation_error', 'required', 'signal_ids is required', 'signal_ids')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": null}', 400,
		error('validation_error', 'null', 'signal_ids may not be null', 'signal_ids')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": "{r1}"}', 400,
		error('validation_error', 'invalid_input', 'signal_ids must be a list of strings', 'signal_ids')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": []}', 400,
		error('validation_error', 'invalid_input', 'signal_ids must name at least one signal', 'signal_ids')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["r1"]}', 400,
		error('validation_error', 'invalid_input', 'invalid signal id: \"r1\"', 'signal_ids')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{r1}"], "title": ""}', 400,
		error('validation_error', 'blank', 'title may not be blank', 'title')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{r1}"], "title": "' . ('t' x 201) . '"}', 400,
		error('validation_error', 'max_length', 'title has 201 characters, max is 200', 'title')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{r1}"], "force": "yes"}', 400,
		error('validation_error', 'invalid_input', 'force must be a boolean', 'force')],
	['POST', 'reports/{R}/split/', 'alice_read', '{"signal_ids": ["{r1}"]}', 403,
		error('authentication_error', 'permission_denied', "API key missing required scope 'task:write'")],
	['POST', 'reports/{O}/split/', 'alice_write', '{"signal_ids": ["{o1}"]}', 404, $not_found],
	['POST', 'reports/{D}/split/', 'alice_write', '{"signal_ids": ["{r1}"]}', 404, $not_found],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{r1}", "{a1}"]}', 400,
		error('validation_error', 'invalid_input', 'signal <uuid> is not a signal of this report', 'signal_ids')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{o1}"]}', 400,
		error('validation_error', 'invalid_input', 'signal <uuid> is not a signal of this report', 'signal_ids')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{r1}", "{r2}", "{r3}"]}', 400,
		error('validation_error', 'invalid_input', 'cannot split off every signal of a report', 'signal_ids')],
	['POST', 'reports/{P}/split/', 'alice_write', '{"signal_ids": ["{a1}"]}', 409,
		error('invalid_request', 'conflict', 'research is in progress on the report')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{r3}", "{r2}"]}', 201,
		sprintf($report, 'Invoice totals wrong', 'candidate', '1', 2, '"error_tracking"')],
	['POST', 'reports/{R}/split/', 'alice_write', '{"signal_ids": ["{r1}"]}', 400,
		error('validation_error', 'invalid_input', 'cannot split off every signal of a report', 'signal_ids')],
	['POST', 'reports/{P}/split/', 'alice_write', '{"signal_ids": ["{a1}"], "title": "Cart errors", "force": true}', 201,
		sprintf($report, 'Cart errors', 'potential', '0.3', 1, '"github"')],
);

for my $case (@cases)
{
	my ($method, $path, $key, $body, $status, $expected) = @$case;
	s/\{(\w+)\}/$id{$1} \/\/ die "no id $1"/ge for grep { defined } ($path, $body);
	my $r = $gw->request($method, "/api/projects/1/signals/$path", $tokens->{$key}, $body);
	my $name = "$method $path as $key" . (defined $body ? " $body" : '');
	$name = substr($name, 0, 160);
	is($r->{status}, $status, "$name: status $status");
	is(GatewayTest::mask($r->{content}), $expected, "$name: body");
}

# The rows behind the answers: lineage, and counters equal to the sums.
is(psql($db, "SELECT merged_into FROM signals.reports WHERE id = '$id{A}'"), $id{B}, 'A was merged into B');
is(psql($db, "SELECT merged_into FROM signals.reports WHERE id = '$id{B}'"), $id{P}, 'then B into P');
is(psql($db, "SELECT string_agg(source_id, ',' ORDER BY id) FROM signals.signals WHERE report_id = '$id{P}'"),
	'a-2,b-1', "P holds A's and B's signals but the one split off");
is(psql($db, "SELECT count(*) FROM signals.reports WHERE split_from = '$id{R}'"), 1, 'one report split from R');
is(psql($db, <<'SQL'), 't', 'every live report counts exactly its signals');
SELECT bool_and(r.signal_count = (SELECT count(*) FROM signals.signals s WHERE s.report_id = r.id)
                AND round(r.total_weight::numeric, 9) = (SELECT round(coalesce(sum(s.weight), 0)::numeric, 9)
                                                         FROM signals.signals s WHERE s.report_id = r.id))
  FROM signals.reports r WHERE r.status <> 'deleted'
SQL

$gw->stop;
done_testing();
