# A hot standby (pg_basebackup -R of the test cluster, streaming): every
# read of the API answers as on the primary, through http_handle and
# through the gateway, including the scout's project profile when no fresh
# one is cached (built for the answer, not stored); every write is 503 with
# the read_only error; the workers do not run until the standby is promoted,
# and then they start.
use strict;
use warnings;

use GatewayTest;
use JSON::PP;
use OpsTest;
use Test::More;

my $db = 't_standby';
psql('postgres', "DROP DATABASE IF EXISTS $db WITH (FORCE); CREATE DATABASE $db;");
psql($db, 'SET client_min_messages = warning; CREATE EXTENSION signals CASCADE;');
psql_file($db, 't/lib/load.sql');
my $primary_state = psql_file($db, 't/lib/state.sql');

my $standby = OpsTest->new(name => 'standby', from => 'basebackup', conf => 'hot_standby = on');
ok($standby->start, 'the standby starts');
is($standby->psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'it is in recovery');

# Wait until the standby has replayed everything the primary wrote.
sub caught_up
{
	my $lsn = psql('postgres', 'SELECT pg_current_wal_lsn()');
	return wait_until(sub { $standby->psql('postgres', "SELECT pg_last_wal_replay_lsn() >= '$lsn'") eq 't' }, 60);
}
ok(caught_up(), 'the standby caught up');

# Every read, with every key: the same answers and rows as on the primary.
same_lines($standby->psql($db, OpsTest::slurp('t/lib/state.sql')), $primary_state,
	'reads on the standby: the same answers, tables and sequence as the primary');

# No fresh profile cached: the scout token gets one built now, not stored.
psql($db, 'SELECT signals.expire_project_profiles();');
ok(caught_up(), 'the expiry reached the standby');
my $scout = psql($db, "SELECT token FROM fixture.tokens WHERE name = 'scout11'");
my $rows = psql($db, 'SELECT count(*) FROM signals.project_profiles WHERE team_id = 11');
my ($status, $profile) = split /\|/, $standby->psql($db, <<"SQL"), 2;
SELECT status, body FROM signals.http_handle('GET', '/api/projects/11/signals/scout/project_profile/current/', '',
                                             '{}', NULL::bytea, 'Bearer $scout')
SQL
is($status, 200, 'the scout\'s profile on the standby without a fresh cached one: 200');
my $fresh = decode_json_ok($profile);
is(JSON::PP->new->canonical->encode($fresh->{payload}),
	JSON::PP->new->canonical->encode(decode_json_ok(psql($db, 'SELECT signals.project_profile_build(11)'))),
	'its payload is the profile built from the current data');
is($standby->psql($db, 'SELECT count(*) FROM signals.project_profiles WHERE team_id = 11'), $rows,
	'nothing was stored on the standby');
ok(!psql($db, "SELECT count(*) FROM signals.project_profiles WHERE id = '$fresh->{profile_id}'"),
	'nor on the primary');

# Writes: 503 read_only, the standard error body.
my $key = psql($db, "SELECT token FROM fixture.tokens WHERE name = 'alice_all'");
my $config = psql($db, "SELECT id FROM signals.source_configs WHERE team_id = 11 ORDER BY id LIMIT 1");
my $report = psql($db, "SELECT id FROM signals.reports WHERE team_id = 11 AND status = 'ready' ORDER BY id LIMIT 1");
my $run = psql($db, "SELECT id FROM signals.scout_runs WHERE team_id = 11 AND status = 'in_progress' LIMIT 1");
my $read_only = '{"type":"server_error","code":"read_only","detail":"This database server is a read-only standby; send writes to the primary.","attr":null}';
my @writes = (
	['PUT', 'processing/pause/', $key, '{"timestamp": "2030-01-01T00:00:00Z"}'],
	['DELETE', 'processing/pause/', $key],
	['POST', 'source_configs/', $key, '{"source_product": "github", "source_type": "issue"}'],
	['PATCH', "source_configs/$config/", $key, '{"enabled": false}'],
	['DELETE', "source_configs/$config/", $key],
	['POST', "reports/$report/state/", $key, '{"state": "suppressed"}'],
	['DELETE', "reports/$report/", $key],
	['POST', "scout/runs/$run/emit-signal/", $scout, '{"description": "written on a standby"}'],
	['POST', 'scout/scratchpad/', $scout, '{"key": "k", "content": "c"}'],
	['POST', 'scout/scratchpad/forget/', $scout, '{"key": "note-1"}'],
);
for my $w (@writes)
{
	my ($method, $path, $token, $body) = @$w;
	my $got = $standby->psql($db, sprintf(
		"SELECT status || ' ' || body FROM signals.http_handle('%s', '/api/projects/11/signals/%s', '', '{\"content-type\": \"application/json\"}', %s, 'Bearer %s')",
		$method, $path, defined $body ? "convert_to('$body', 'UTF8')" : 'NULL::bytea', $token));
	is($got, "503 $read_only", "$method $path on the standby: 503 read_only");
}

# The same through the gateway, connected to the standby.
my $gw = GatewayTest->new(dbname => "host=" . $standby->dir . " port=" . $standby->port . " dbname=$db",
	args => ['--threads=1']);
my $r = $gw->request('GET', '/api/projects/11/signals/reports/', $key);
is($r->{status}, 200, 'GET through the gateway on the standby: 200');
my ($expected) = $primary_state =~ m{^answer alice_all /api/projects/11/signals/reports/ 200 (.*)$}m;
is($r->{content}, $expected, 'the same body as the primary');
$r = $gw->request('POST', '/api/projects/11/signals/source_configs/', $key, '{"source_product": "github", "source_type": "issue"}');
is($r->{status}, 503, 'a write through the gateway on the standby: 503');
is($r->{content}, $read_only, 'with the read_only body');
$gw->stop;

# The workers: none on the standby; promoted, it starts them.
is($standby->psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'signals worker'"), 0,
	'no signals worker runs on the standby');
ok($standby->pg_ctl('promote'), 'the standby is promoted');
ok(wait_until(sub { $standby->psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'signals worker'") == 2 }, 30),
	'the promoted server starts its two workers');
is($standby->psql($db, "SELECT (signals.http_handle('PUT', '/api/projects/11/signals/processing/pause/', '', '{\"content-type\": \"application/json\"}', convert_to('{\"timestamp\": \"2030-01-01T00:00:00Z\"}', 'UTF8'), 'Bearer $key')).status"),
	200, 'and takes writes');

$standby->stop('immediate');
psql('postgres', "DROP DATABASE $db WITH (FORCE);");
done_testing();
