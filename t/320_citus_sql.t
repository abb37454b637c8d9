# On a Citus cluster (scripts/citus-test), through SQL on the coordinator,
# with teams 1 and 2 on different workers: grouping and the pause, external
# research, the project profile, and row-level security for a role granted
# a team behave as on one node.
use strict;
use warnings;

use GatewayTest;
use Test::More;

plan skip_all => 'needs the Citus cluster of scripts/citus-test' unless $ENV{SIGNALS_TEST_CITUS};

my $db = 't_citus_sql';
create_database($db);
is(psql($db, "SELECT count(DISTINCT n.nodeport) FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) "
	  . "WHERE p.shardid IN (get_shard_id_for_distribution_column('signals.signals', 1), "
	  . "get_shard_id_for_distribution_column('signals.signals', 2))"), 2, 'teams 1 and 2 are on different workers');

# Grouping on both workers, and the pause: a paused team's signals wait.
psql($db, <<'SQL');
SELECT signals.set_team_settings(2, ai_processing_approved => true) \g /dev/null
CREATE FUNCTION pg_temp.emit(team bigint, id text, body text, w float8, keys text[] DEFAULT '{}')
RETURNS boolean LANGUAGE sql AS $$
    SELECT (signals.emit_signal(team, 'error_tracking', 'issue_created', id, body, w,
                                dedupe_keys => keys)::jsonb ->> 'emitted')::boolean
$$;
SELECT signals.processing_pause(1, now() + interval '1 hour') \g /dev/null
SELECT pg_temp.emit(1, 'a1', E'TypeError: cart.total is undefined\n  at checkout (web/checkout.ts:88)', 0.6, '{et-1}') \g /dev/null
SELECT pg_temp.emit(1, 'a2', 'Spike of TypeError in checkout.ts', 0.5, '{et-1}') \g /dev/null
SELECT pg_temp.emit(2, 'b1', E'DeadlockDetected in tasks.recalculate_balances\n  File "ledgerly/tasks/balances.py", line 40', 0.7, '{et-9}') \g /dev/null
SELECT pg_temp.emit(2, 'b2', 'DeadlockDetected spike in recalculate_balances', 0.7, '{et-9}') \g /dev/null
SQL
psql($db, 'SELECT signals.process_pending()');
is(psql($db, 'SELECT team_id, count(*) FILTER (WHERE grouped_at IS NULL), count(DISTINCT report_id) '
	  . 'FROM signals.signals GROUP BY team_id ORDER BY team_id'), "1|2|0\n2|0|1",
	"the paused team's signals wait; the other team's two are grouped into one report");
psql($db, "SELECT signals.processing_unpause(1) \\g /dev/null\nSELECT signals.process_pending()");
is(psql($db, 'SELECT count(*) FILTER (WHERE grouped_at IS NULL), count(DISTINCT report_id) '
	  . 'FROM signals.signals WHERE team_id = 1'), '0|1', 'unpaused, they are grouped');

# External research on team 2's worker: claim, judge, finish.
psql($db, "SELECT signals.set_team_settings(2, research_mode => 'external') \\g /dev/null\n"
	  . "UPDATE signals.reports SET status = 'candidate' WHERE team_id = 2");
my $claimed = psql($db, "SELECT c -> 'claimed' -> 'report' ->> 'id' FROM signals.claim_candidate('agent-1', 2) c");
like($claimed, qr/^[0-9a-f-]{36}$/, 'an agent claims the candidate');
is(psql($db, "SELECT signals.claim_candidate('agent-2', 2) IS NULL"), 't', 'a second agent gets nothing');
psql($db, "SELECT signals.add_artefact(2, '$claimed', 'actionability_judgment', "
	  . "'{\"actionability\": \"immediately_actionable\", \"already_addressed\": false}') \\g /dev/null");
is(psql($db, "SELECT j ->> 'status' FROM signals.finish_research(2, '$claimed', 'ready', "
	  . "title => 'Deadlock in balance recalculation', summary => 'Two tasks lock in opposite orders.') j"),
	'ready', 'and finishes it: ready');
is(psql($db, "SELECT status || ' ' || title FROM signals.reports WHERE id = '$claimed'"),
	'ready Deadlock in balance recalculation', 'the report says so');

# The project profile: built on a miss, then the same bytes from the cache.
my $built = psql($db, 'SELECT signals.project_profile_current(2, true)');
like($built, qr/"existing_inbox_reports"/, 'the profile is built on the team\'s worker');
is(psql($db, 'SELECT signals.project_profile_current(2, true)'), $built, 'and read back unchanged');
is(psql($db, 'SELECT count(*) FROM signals.project_profiles WHERE team_id = 2'), 1, 'built once');

# A role granted team 1 sees team 1's rows only and writes through
# signals_api.  It can log in: Citus reaches the workers as the current user.
psql($db, "DROP ROLE IF EXISTS t320_team1; CREATE ROLE t320_team1 LOGIN; "
	  . "SELECT signals.grant_team(1, 't320_team1') \\g /dev/null");
is(psql($db, "SET ROLE t320_team1; SELECT string_agg(DISTINCT team_id::text, ',') FROM signals.signals"), '1',
	'the granted role reads its team\'s signals only');
is(psql($db, "SET ROLE t320_team1; SELECT count(*) FROM signals.reports"), '1', 'and its reports');
is(psql($db, "SET ROLE t320_team1; SELECT count(*) FROM signals.signals WHERE team_id = 2"), '0',
	'it never reads another team\'s rows');
like(psql($db, "SET ROLE t320_team1; SELECT signals_api.scratchpad_upsert(1, 'note', 'from SQL')"),
	qr/"key":"note"/, 'it writes its team through signals_api');
my $denied = eval { psql($db, "SET ROLE t320_team1; SELECT signals_api.scratchpad_upsert(2, 'note', 'x')"); 1 } ? ''
  : $@;
like($denied, qr/ERROR:.*team 2/, 'but not another team');
like((eval { psql($db, "SET ROLE t320_team1; INSERT INTO signals.scratchpad (team_id, key, content) "
	  . "VALUES (1, 'direct', 'x')"); 1 } ? '' : $@), qr/permission denied/, 'nor a table directly');
is(psql($db, 'SELECT string_agg(team_id || key, \',\' ORDER BY team_id) FROM signals.scratchpad'), '1note',
	'one row written, on team 1');

done_testing();
