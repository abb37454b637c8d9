# Backup and restore: a loaded database (several teams, every table of the
# extension populated, t/lib/load.sql) dumped with pg_dump in the custom and
# the directory format and restored with pg_restore -j 4 into new databases:
# every table has the same rows (count and checksum), the sequence the same
# value, and the API the same answers to the old keys.  A COPY into the
# extension's tables outside a restore is still checked.
use strict;
use warnings;

use File::Temp qw(tempdir);
use GatewayTest;
use OpsTest;
use Test::More;

my $pgbin = $ENV{SIGNALS_TEST_PGBIN};
my $dumps = tempdir('dumps-XXXXXX', DIR => $ENV{SIGNALS_TEST_TMP}, CLEANUP => 1);

psql('postgres', 'DROP DATABASE IF EXISTS t_restore_src WITH (FORCE); CREATE DATABASE t_restore_src;');
psql('t_restore_src', 'SET client_min_messages = warning; CREATE EXTENSION signals CASCADE;');
psql_file('t_restore_src', 't/lib/load.sql');
# an external judge's pending decision, so that grouping_judgments has a row too
psql('t_restore_src', "INSERT INTO signals.grouping_judgments (team_id, signal_id, deadline, candidates)"
	. " SELECT team_id, id, now() + interval '1 hour', '[]' FROM signals.signals ORDER BY id LIMIT 1");
my $before = psql_file('t_restore_src', 't/lib/state.sql');
my @empty = map { /^table (\S+) 0 / ? $1 : () } split /\n/, $before;
is_deeply(\@empty, [], 'every table the dump keeps holds rows')
  or diag("empty: @empty");
cmp_ok(scalar(() = $before =~ /^answer .* 200 /mg), '>', 200, 'the fixture keys get answers');
same_lines(psql_file('t_restore_src', 't/lib/state.sql'), $before, 'the state is stable between two reads');

is(system("$pgbin/pg_dump", '-Fc', '-f', "$dumps/signals.dump", 't_restore_src'), 0, 'pg_dump -Fc');
is(system("$pgbin/pg_dump", '-Fd', '-j', '2', '-f', "$dumps/signals.dir", 't_restore_src'), 0, 'pg_dump -Fd -j 2');

for my $format (['custom', "$dumps/signals.dump"], ['directory', "$dumps/signals.dir"])
{
	my ($name, $path) = @$format;
	my $db = "t_restore_$name";
	psql('postgres', "DROP DATABASE IF EXISTS $db WITH (FORCE); CREATE DATABASE $db;");
	my $out = `"$pgbin/pg_restore" -j 4 -d $db "$path" 2>&1`;
	is($?, 0, "pg_restore -j 4 of the $name format exits 0");
	is($out, '', 'and reports no error') or diag($out);
	same_lines(psql_file($db, 't/lib/state.sql'), $before,
		"$name format: every table, the sequence and every API answer as before");
	psql('postgres', "DROP DATABASE $db WITH (FORCE);");
}

# Outside a restore (row security on, as sessions have it), a COPY is checked.
my $copy = "COPY signals.team_settings (team_id) FROM PROGRAM 'echo 999999'";
eval { psql('t_restore_src', "$copy;") };
like($@, qr/violates foreign key constraint "team_settings_team_id_fkey"/,
	'an ordinary COPY into an extension table checks its foreign keys');
is(psql('t_restore_src', "SET row_security = off; $copy;"
		. " SELECT count(*) FROM signals.team_settings WHERE team_id = 999999;"
		. " DELETE FROM signals.team_settings WHERE team_id = 999999;"), '1',
	'a restore session (superuser, row_security off) loads rows in any order');

psql('postgres', 'DROP DATABASE t_restore_src WITH (FORCE);');
done_testing();
