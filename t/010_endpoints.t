# Every endpoint of the API over real HTTP, with its exact status and body
# (ids and timestamps masked as <uuid> and <ts>).
#
# The table below is the test: one case per line.  A case names the method,
# the path below /api/projects/<project>/signals/ ("{name}", there and in the
# body, is replaced by an id saved by an earlier case), the key, the body, the
# expected status and the expected masked body (undef: no body).  "save"
# keeps the response's "id" under a name for later paths.  The last test
# checks that every route of signals.routes() is exercised by some case, so a
# new route needs a line here.
use strict;
use warnings;

use GatewayTest;
use JSON::PP;
use Test::More;

my $tokens = create_database('t_endpoints');
my $gw = GatewayTest->new(dbname => 't_endpoints', args => ['--threads=2']);

my $report_row = '{"id":"<uuid>","title":"Checkout TypeError","summary":"cart.js throws on empty carts","status":"%s","total_weight":1.5,"signal_count":2,"signals_at_run":2,"created_at":"<ts>","updated_at":"<ts>","artefact_count":0,"priority":null,"actionability":null,"already_addressed":null,"is_suggested_reviewer":false,"source_products":["error_tracking"],"implementation_pr_url":null}';
my $run_row = '{"run_id":"<uuid>","skill_name":"error-watcher","skill_version":3,"status":"in_progress","started_at":"<ts>","completed_at":null,"task_id":"task-1","task_run_id":"taskrun-1","task_url":"/project/1/tasks/task-1?runId=taskrun-1","summary":"","created_at":"<ts>","emitted_count":%d,"emitted_finding_ids":[%s],"error":null}';
my $profile = '{"profile_id":"<uuid>","computed_at":"<ts>","expires_at":"<ts>","source_version":"signals-profile-v1","payload":{"inventory":{"project_context":{"product_description":null,"app_urls":[]},"products_in_use":[],"product_intents":[],"integrations":[],"external_data_sources":[],"signal_source_configs":{"enabled":[],"disabled":[]},"emit_eligibility":{"ai_processing_approved":true,"source_enabled":true,"can_emit":true,"remediation":null},"existing_inbox_reports":{"total":1,"by_status":[{"status":"potential","count":1}]},"recent_activity":{"window_days":14,"by_scope":[]},"recent_dashboards":[],"recent_surveys":{"total_count":0,"active_count":0,"recent":[]},"recent_feature_flags":{"total_count":0,"active_count":0,"recent":[]},"recent_experiments":{"total_count":0,"running_count":0,"recent":[]},"recent_alerts":{"total_count":0,"enabled_count":0,"recent":[]},"recent_hog_functions":{"total_count":0,"enabled_count":0,"recent":[]},"recent_hog_flows":{"total_count":0,"active_count":0,"recent":[]},"recent_notebooks":{"total_count":0,"recent":[]},"recent_cohorts":{"total_count":0,"recent":[]},"recent_actions":{"total_count":0,"recent":[]},"top_events":[]},"warnings":[]}}';

my $grouped = '{"report":{"id":"<uuid>","title":"Checkout fails with TypeError in cart.js","summary":"","status":"potential","total_weight":0.8,"signal_count":1,"signals_at_run":0,"created_at":"<ts>","updated_at":"<ts>","artefact_count":0,"priority":null,"actionability":null,"already_addressed":null,"is_suggested_reviewer":false,"source_products":["signals_scout"],"implementation_pr_url":null},"signals":[{"id":"<uuid>","source_product":"signals_scout","source_type":"cross_source_issue","source_id":"run:<uuid>:finding:f-1","description":"Checkout fails with TypeError in cart.js","weight":0.8,"extra":{"evidence": [{"summary": "spike", "source_product": "error_tracking"}], "severity": "P1", "confidence": 0.9, "finding_id": "f-1", "skill_name": "error-watcher", "time_range": {"date_to": "2030-01-02", "date_from": "2030-01-01"}, "dedupe_keys": ["cart-typeerror"], "scout_run_id": "<uuid>", "skill_version": 3},"dedupe_keys":["cart-typeerror"],"run_id":"<uuid>","created_at":"<ts>","grouped_at":"<ts>","match_method":"new_report","match_score":0,"match_detail":{"report_id": "<uuid>", "threshold": 0.35, "candidates": 0}}]}';

# [method, path, key, body, status, masked body, {options}]; options: save =>
# name (keep the response's id), project => (default 1), headers => {...}.
# "{port}" in an expected body stands for the gateway's port.
# ['SQL', sql, name] runs SQL in the database (saving its output as name).
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
		'{"type":"invalid_request","code":"not_found","detail":"source config not found","attr":null}'],
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

	# scout/runs/ (runs are created through SQL by the scout harness)
	['SQL', "SELECT signals.set_scout_config(1, 'error-watcher') \\g /dev/null\n"
		  . "SELECT signals.create_scout_run(1, 'error-watcher', 3, 'task-1', 'taskrun-1', 'in_progress')", 'run'],
	['GET', 'scout/runs/', 'scout1', undef, 200, '[' . sprintf($run_row, 0, '') . ']'],
	['GET', 'scout/runs/?text=nothing&limit=5', 'alice_read', undef, 200, '[]'],
	['GET', 'scout/runs/{run}/', 'alice_read', undef, 200, sprintf($run_row, 0, '')],
	['POST', 'scout/runs/{run}/emit-signal/', 'scout1',
		'{"description": "Checkout fails with TypeError in cart.js", "weight": 0.8, "confidence": 0.9, '
		  . '"evidence": [{"source_product": "error_tracking", "summary": "spike"}], "severity": "P1", '
		  . '"dedupe_keys": ["cart-typeerror"], "time_range": {"date_from": "2030-01-01", "date_to": "2030-01-02"}, '
		  . '"finding_id": "f-1"}', 200,
		'{"finding_id":"f-1","emitted":true,"skipped_reason":null}'],
	['GET', 'scout/runs/{run}/', 'scout1', undef, 200, sprintf($run_row, 1, '"f-1"')],
	['POST', 'scout/runs/{run}/emit-signal/', 'scout1', '{"description": "  "}', 400,
		'{"type":"validation_error","code":"blank","detail":"description may not be blank","attr":"description"}'],

	# reports/ (made by the pipeline; here inserted directly)
	['SQL', "INSERT INTO signals.reports (team_id, title, summary, status, total_weight, signal_count, "
		  . "signals_at_run, source_products) VALUES (1, 'Checkout TypeError', 'cart.js throws on empty carts', "
		  . "'ready', 1.5, 2, 2, '{error_tracking}') RETURNING id", 'report'],
	['GET', 'reports/', 'alice_read', undef, 200,
		'{"count":1,"next":null,"previous":null,"results":[' . sprintf($report_row, 'ready') . ']}'],
	['GET', 'reports/?search=typeerror&status=ready,pending_input&ordering=-signal_count', 'alice_read', undef, 200,
		'{"count":1,"next":null,"previous":null,"results":[' . sprintf($report_row, 'ready') . ']}'],
	['GET', 'reports/{report}/', 'alice_read', undef, 200, sprintf($report_row, 'ready')],
	['GET', 'reports/{report}/artefacts/', 'alice_read', undef, 200,
		'{"count":0,"next":null,"previous":null,"results":[]}'],
	['GET', 'reports/{report}/signals/', 'alice_read', undef, 200,
		'{"report":' . sprintf($report_row, 'ready') . ',"signals":[]}'],
	['POST', 'reports/{report}/state/', 'alice_write', '{"state": "suppressed"}', 200,
		sprintf($report_row, 'suppressed')],
	# Back from suppression to the state named; the body is checked before the move.
	['POST', 'reports/{report}/state/', 'alice_write', '{"state": "potential"}', 200,
		sprintf($report_row, 'potential')],
	['POST', 'reports/{report}/state/', 'alice_write', '{"state": "potential", "snooze_for": 0}', 400,
		'{"type":"validation_error","code":"invalid_input","detail":"snooze_for must be between 1 and 100000","attr":"snooze_for"}'],
	['POST', 'reports/{report}/state/', 'alice_write', '{"state": "potential"}', 409,
		'{"type":"invalid_request","code":"conflict","detail":"cannot move a report from potential to potential","attr":null}'],
	['POST', 'reports/{report}/state/', 'alice_write', '{"state": "suppressed"}', 200,
		sprintf($report_row, 'suppressed')],
	['GET', 'reports/', 'alice_read', undef, 200, '{"count":0,"next":null,"previous":null,"results":[]}'],
	['DELETE', 'reports/{report}/', 'alice_write', undef, 202,
		'{"status":"deletion_started","report_id":"<uuid>"}'],
	['GET', 'reports/{report}/', 'alice_read', undef, 404,
		'{"type":"invalid_request","code":"not_found","detail":"report not found","attr":null}'],
	# The scout's emit above, grouped by the pipeline into a report.
	['SQL', "SELECT signals.process_pending() \\g /dev/null\n"
		  . "SELECT id FROM signals.reports WHERE team_id = 1 AND status <> 'deleted'", 'grouped'],
	['GET', 'reports/{grouped}/signals/', 'alice_read', undef, 200, 'GROUPED'],

	# scout/project_profile/current/
	['GET', 'scout/project_profile/current/', 'alice_read', undef, 404,
		'{"type":"invalid_request","code":"not_found","detail":"No project profile has been built for this team yet.","attr":null}'],
	['GET', 'scout/project_profile/current/', 'scout1', undef, 200, $profile],
	['GET', 'scout/project_profile/current/?force_refresh=true', 'scout1', undef, 200, $profile],
	['GET', 'scout/project_profile/current/', 'alice_read', undef, 200, $profile],

	# reports/:id/merge/ and split/ (every error path: t/110_report_corrections.t)
	['SQL', "INSERT INTO signals.reports (team_id, title, status) VALUES (1, 'Invoices', 'potential') RETURNING id", 'target'],
	['POST', 'reports/{grouped}/merge/', 'alice_write', '{"into": "{target}"}', 200,
		'{"id":"<uuid>","title":"Invoices","summary":"","status":"potential","total_weight":0.8,"signal_count":1,"signals_at_run":0,"created_at":"<ts>","updated_at":"<ts>","artefact_count":0,"priority":null,"actionability":null,"already_addressed":null,"is_suggested_reviewer":false,"source_products":["signals_scout"],"implementation_pr_url":null}'],
	['GET', 'reports/{grouped}/', 'alice_read', undef, 404,
		'{"type":"invalid_request","code":"not_found","detail":"report not found","attr":null}'],
	['SQL', "INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, report_id, grouped_at) "
		  . "SELECT 1, 'github', 'issue', 'inv-1', 'Invoice totals wrong', 0.5, id, now() FROM signals.reports "
		  . "WHERE team_id = 1 AND title = 'Invoices' RETURNING id", 'invoice_signal'],
	['POST', 'reports/{target}/split/', 'alice_write', '{"signal_ids": ["{invoice_signal}"]}', 201,
		'{"id":"<uuid>","title":"Invoice totals wrong","summary":"","status":"potential","total_weight":0.5,"signal_count":1,"signals_at_run":0,"created_at":"<ts>","updated_at":"<ts>","artefact_count":0,"priority":null,"actionability":null,"already_addressed":null,"is_suggested_reviewer":false,"source_products":["github"],"implementation_pr_url":null}'],
	['POST', 'reports/{target}/split/', 'alice_write', '{"signal_ids": ["{invoice_signal}"]}', 400,
		'{"type":"validation_error","code":"invalid_input","detail":"signal <uuid> is not a signal of this report","attr":"signal_ids"}'],
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
	if ($case->[0] eq 'SQL')
	{
		my $out = psql('t_endpoints', $case->[1]);
		$saved{ $case->[2] } = $out if $case->[2];
		next;
	}
	my ($method, $path, $key, $body, $status, $expected, $opts) = @$case;
	$opts //= {};
	s/\{(\w+)\}/$saved{$1} \/\/ die "no saved id $1"/ge for grep { defined } ($path, $body);
	$expected = $grouped if defined $expected && $expected eq 'GROUPED';
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
