# On a Citus cluster (scripts/citus-test): moving a team's shards to the
# other worker while clients use the API loses nothing and fails nothing.
# Clients retry a 503 (Retry-After) a bounded number of times, as the API
# asks them to; every write they were told succeeded is there afterwards,
# and the team on the other worker is not disturbed.
use strict;
use warnings;

use GatewayTest;
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

plan skip_all => 'needs the Citus cluster of scripts/citus-test' unless $ENV{SIGNALS_TEST_CITUS};

my $db = 't_citus_move';
my $tokens = create_database($db);
my $gw = GatewayTest->new(dbname => $db, args => ['--threads=4']);
my $run = psql($db, "SELECT signals.set_scout_config(1, 'mover') \\g /dev/null\n"
	  . "SELECT signals.create_scout_run(1, 'mover', 1, 'task-m', 'taskrun-m', 'in_progress')");

# A client gives up on a request after this many 503s.
my $max_attempts = 20;

# The worker (port) holding a team's shards.
sub node_of
{
	my ($team) = @_;
	return psql($db, "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) "
		  . "WHERE p.shardid = get_shard_id_for_distribution_column('signals.signals', $team)");
}

# One client, in a child process, until $stop exists: for team 1 it writes
# the scratchpad, emits a finding of the run and lists reports; for team 2
# it writes the scratchpad.  Each request is retried on 503 after the
# Retry-After the gateway asks for (scaled down), at most $max_attempts
# times.  Prints one line per request: "kind key status attempts".  Lists
# are read with $reader (a scout token may not read reports).
my $stop = "$ENV{SIGNALS_TEST_TMP}/t310.stop";
unlink $stop;
sub client
{
	my ($name, $team, $token, $reader) = @_;
	my $http = HTTP::Tiny->new(timeout => 60);
	my $parent = getppid();
	my $base = $gw->url . "/api/projects/$team/signals";
	my $n = 0;
	while (!-e $stop && getppid() == $parent)
	{
		$n++;
		my @calls = (['scratchpad', 'POST', "$base/scout/scratchpad/",
			encode_json({key => "$name-$n", content => "written by $name"})]);
		push @calls, ['emit', 'POST', "$base/scout/runs/$run/emit-signal/",
			encode_json({description => "Finding $name-$n: checkout fails with code E$n", finding_id => "$name-$n"})],
		  ['list', 'GET', "$base/reports/", undef, $reader]
		  if $team == 1;
		for my $call (@calls)
		{
			my ($kind, $method, $url, $body, $key) = @$call;
			my ($status, $attempts, $why) = (0, 0, '');
			while ($attempts < $max_attempts)
			{
				$attempts++;
				my $r = $http->request($method, $url, {
					headers => {authorization => 'Bearer ' . ($key // $token), 'content-type' => 'application/json'},
					defined $body ? (content => $body) : ()});
				($status, $why) = ($r->{status}, $r->{status} == 200 ? '' : $r->{content});
				last unless $status == 503;
				sleep(0.1 * ($r->{headers}{'retry-after'} // 1));
			}
			$why =~ s/\s+/ /g;
			print "$kind $name-$n $status $attempts $why\n";
		}
	}
	close STDOUT;
	POSIX::_exit(0);    # not exit: the parent's gateway object must not stop the gateway
}

my @children;
for my $c (['a', 1, $tokens->{scout1}, $tokens->{alice_team1}], ['b', 1, $tokens->{scout1}, $tokens->{alice_team1}],
	['z', 2, $tokens->{scout2}])
{
	my $file = "$ENV{SIGNALS_TEST_TMP}/t310.$c->[0]";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0)
	{
		open STDOUT, '>', $file or die "$file: $!";
		STDOUT->autoflush(1);
		client(@$c);
	}
	push @children, [$pid, $file];
}
sub requests_done
{
	my $lines = 0;
	for my $child (@children)
	{
		open my $fh, '<', $child->[1] or next;
		$lines++ while defined(my $line = <$fh>);
	}
	return $lines;
}
ok(wait_until(sub { requests_done() >= 30 }, 60), 'clients are busy');

# Move team 1's shard group there and back: first online (logical
# replication, writes blocked only for the switch-over), then blocking writes
# for the whole copy.
my ($home, $other) = (node_of(1), node_of(2));
for my $move ([$home, $other, 'force_logical'], [$other, $home, 'block_writes'])
{
	my ($from, $to, $mode) = @$move;
	my $before = requests_done();
	psql($db, "SELECT citus_move_shard_placement(get_shard_id_for_distribution_column('signals.signals', 1), "
		  . "'127.0.0.1', $from, '127.0.0.1', $to, shard_transfer_mode => '$mode')");
	my $during = requests_done() - $before;
	is(node_of(1), $to, "team 1 moved from $from to $to ($mode)");
	cmp_ok($during, '>', 0, "with clients served while it ran ($during requests)");
	# What the move left to drop later (the old shards, a logical move's
	# replication roles, which outlive this database): dropped now.
	psql($db, 'CALL citus_cleanup_orphaned_resources()');
	ok(wait_until(sub { requests_done() >= $before + 30 }, 60), 'and clients went on');
}

open my $fh, '>', $stop or die "$stop: $!";
close $fh;
waitpid($_->[0], 0) for @children;
my @results;
for my $child (@children)
{
	open my $in, '<', $child->[1] or die "$child->[1]: $!";
	push @results, map { chomp; [split / /, $_, 5] } <$in>;
}
unlink $stop, map { $_->[1] } @children;

my @failed = grep { $_->[2] != 200 } @results;
is(scalar(@failed), 0, scalar(@results) . ' requests, none failed')
  or diag(join "\n", map { "@$_" } @failed[0 .. ($#failed < 9 ? $#failed : 9)]);
my ($retried, $most) = (0, 1);
for (@results)
{
	$retried++ if $_->[3] > 1;
	$most = $_->[3] if $_->[3] > $most;
}
note("$retried requests retried after a 503, at most $most attempts");

# Everything acknowledged is there, once.
for my $team (1, 2)
{
	my @keys = sort map { $_->[1] } grep { $_->[0] eq 'scratchpad' && $_->[1] =~ ($team == 1 ? qr/^[ab]-/ : qr/^z-/) }
	  @results;
	my %stored = map { $_ => 1 } split /\n/, psql($db, "SELECT key FROM signals.scratchpad WHERE team_id = $team");
	is_deeply([grep { !$stored{$_} } @keys], [], "team $team: every scratchpad write is there (" . scalar(@keys) . ')');
	is(scalar(keys %stored), scalar(@keys), 'and nothing else');
}
my @emits = sort map { $_->[1] } grep { $_->[0] eq 'emit' } @results;
my @recorded = sort split /\n/, psql($db, "SELECT f FROM signals.scout_runs r, unnest(r.emitted_finding_ids) f "
	  . "WHERE r.team_id = 1 AND r.id = '$run'");
ok(@recorded == @emits && join(' ', @recorded) eq join(' ', @emits),
	'every finding emitted is recorded on the run, once (' . scalar(@emits) . ')');
is(psql($db, "SELECT count(*) FROM signals.signals WHERE team_id = 1"), scalar(@emits),
	'and stored as one signal each');

$gw->stop;
done_testing();
