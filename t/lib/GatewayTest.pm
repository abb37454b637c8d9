# GatewayTest: helpers for the gateway's HTTP tests (t/*.t).
#
# The tests run against the cluster that scripts/test started: PGHOST,
# PGPORT and PGUSER point at it, SIGNALS_TEST_PGDATA and SIGNALS_TEST_PGBIN
# let a test stop and start it, GATEWAY_BIN is the gateway to run.  Each
# test file makes its own database (with the extension and the fixtures
# below) and starts its own gateway on a free port.
#
# With GATEWAY_VALGRIND=1 every gateway runs under valgrind, and stopping it
# asserts that valgrind found no errors and no leaks.
package GatewayTest;

use strict;
use warnings;

use Exporter 'import';
use File::Basename qw(basename);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT = qw(psql create_database mask decode_json_ok raw_request
  as_postgres pg_ctl wait_until server_log patience gateway_lock_waits);

my $pgbin = $ENV{SIGNALS_TEST_PGBIN} or die "SIGNALS_TEST_PGBIN is not set: run t/ through scripts/test\n";
my $tmproot = $ENV{SIGNALS_TEST_TMP} // '/tmp';
my $valgrind = $ENV{GATEWAY_VALGRIND} // '';
# Under scripts/citus-test: the script that makes a database on every node of
# the Citus cluster, and distributes it once the fixtures are in.
my $citus = $ENV{SIGNALS_TEST_CITUS} // '';

# A reader that goes away (| head) must not kill us before the gateways stop.
$SIG{PIPE} = 'IGNORE';

# How many times longer than usual a gateway may take (10 under valgrind),
# for the few tests that bound a wait.
sub patience
{
	return $valgrind ? 10 : 1;
}

# Run SQL with psql in the given database; returns its unaligned output.
sub psql
{
	my ($db, $sql) = @_;
	my $tmp = File::Temp->new(DIR => $tmproot, SUFFIX => '.sql');
	print $tmp $sql;
	close $tmp;
	my $out = `"$pgbin/psql" -XAtq -v ON_ERROR_STOP=1 -d "$db" -f "$tmp" 2>&1`;
	die "psql failed: $out" if $? != 0;
	chomp $out;
	return $out;
}

# A fresh database with the extension and the fixtures; returns the tokens
# by name.  Teams 1 (Acme, AI processing approved) and 2 (Globex); alice is in
# both, bob in 2.  Keys: alice_all {*}, alice_read {task:read,
# signal_scout:read}, alice_write {task:write}, alice_team1 {*} limited to
# team 1, bob_all {*}, revoked (a revoked {*} key of alice's), scout1 and
# scout2 (scout tokens of teams 1 and 2).
sub create_database
{
	my ($db) = @_;
	if ($citus)
	{
		system($citus, $db) == 0 or die "$citus $db failed\n";
	}
	else
	{
		psql('postgres', "DROP DATABASE IF EXISTS $db WITH (FORCE); CREATE DATABASE $db;");
	}
	my $out = psql($db, <<'SQL');
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('Acme', 1) \g /dev/null
SELECT signals.create_team('Globex', 2) \g /dev/null
SELECT signals.set_team_settings(1, ai_processing_approved => true) \g /dev/null
CREATE TEMP TABLE u AS
    SELECT name, signals.create_user(name || '@example.com') AS id
      FROM unnest('{alice,bob}'::text[]) name;
SELECT signals.add_team_member(t, (SELECT id FROM u WHERE name = 'alice'))
  FROM unnest('{1,2}'::bigint[]) t \g /dev/null
SELECT signals.add_team_member(2, (SELECT id FROM u WHERE name = 'bob')) \g /dev/null
CREATE TEMP TABLE k (name text, key_id uuid, token text);
INSERT INTO k SELECT 'alice_all', * FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{*}');
INSERT INTO k SELECT 'alice_read', * FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{task:read,signal_scout:read}');
INSERT INTO k SELECT 'alice_write', * FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{task:write}');
INSERT INTO k SELECT 'alice_team1', * FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{*}', '{1}');
INSERT INTO k SELECT 'bob_all', * FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'bob'), '{*}');
INSERT INTO k SELECT 'revoked', * FROM signals.create_personal_key((SELECT id FROM u WHERE name = 'alice'), '{*}');
SELECT signals.revoke_key(key_id) FROM k WHERE name = 'revoked' \g /dev/null
INSERT INTO k SELECT 'scout1', * FROM signals.create_scout_token(1);
INSERT INTO k SELECT 'scout2', * FROM signals.create_scout_token(2);
SELECT name || '=' || token FROM k ORDER BY name;
SQL
	system($citus, $db, 'distribute') == 0 or die "$citus $db distribute failed\n" if $citus;
	my %tokens = map { split /=/, $_, 2 } split /\n/, $out;
	return \%tokens;
}

# Ids and timestamps of a body as placeholders, as sql/setup.sql masks them.
sub mask
{
	my ($body) = @_;
	return undef unless defined $body;
	$body =~ s/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g;
	$body =~ s/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/<ts>/g;
	return $body;
}

# The body decoded as JSON, or undef (with a diagnostic) when it is not JSON.
sub decode_json_ok
{
	my ($body) = @_;
	my $v = eval { JSON::PP->new->decode($body) };
	diag("not JSON: $@" . substr($body // '', 0, 200)) unless defined $v;
	return $v;
}

# Send raw bytes on a new connection and read until the server closes it
# or timeout seconds pass (with half_close: end our side after sending, and
# stop at the first whole response).  Returns what was read.
sub raw_request
{
	my ($port, $bytes, $timeout, $half_close) = @_;
	$timeout //= 30;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
	  or die "connect: $!";
	$sock->autoflush(1);
	print $sock $bytes;
	shutdown($sock, 1) if $half_close;
	my $got = '';
	my $deadline = time + $timeout;
	while (time < $deadline)
	{
		my $rin = '';
		vec($rin, fileno($sock), 1) = 1;
		last unless select($rin, undef, undef, 0.2) >= 0;
		next unless vec($rin, fileno($sock), 1);
		my $n = sysread($sock, my $buf, 65536);
		last if !defined $n || $n == 0;
		$got .= $buf;
		last if $half_close && response_complete($got);
	}
	close $sock;
	return $got;
}

# Whether raw holds one whole response (headers, and a body of Content-Length).
sub response_complete
{
	my ($raw) = @_;
	my $end = index($raw, "\r\n\r\n");
	return 0 if $end < 0;
	my ($length) = substr($raw, 0, $end) =~ /^Content-Length:\s*(\d+)/mi;
	return length($raw) - $end - 4 >= ($length // 0);
}

# Run a command as the postgres OS user (the cluster's owner).
sub as_postgres
{
	my @cmd = @_;
	return $< == 0 ? system('runuser', '-u', 'postgres', '--', @cmd) : system('sudo', '-u', 'postgres', @cmd);
}

# The test cluster's server log (written by the postgres OS user) from byte
# offset on; server_log() with no offset is all of it.
sub server_log
{
	my ($offset) = @_;
	my $file = "$tmproot/server.log";
	my @cmd = $< == 0 ? ('runuser', '-u', 'postgres', '--') : ('sudo', '-u', 'postgres');
	open my $fh, '-|', @cmd, 'cat', $file or die "cannot read $file: $!";
	local $/;
	my $all = <$fh> // '';
	close $fh;
	return substr($all, $offset // 0);
}

# pg_ctl stop or start on the test cluster.
sub pg_ctl
{
	my ($action) = @_;
	my $data = $ENV{SIGNALS_TEST_PGDATA} or die "SIGNALS_TEST_PGDATA is not set\n";
	my @args = $action eq 'stop' ? ('-m', 'fast', 'stop') : ('-l', "$tmproot/server.log", 'start');
	unshift @args, '-s';
	return as_postgres("$pgbin/pg_ctl", '-D', $data, '-w', @args) == 0;
}

# How many of the gateway's requests wait on a lock in the database.  On
# Citus a request's statements may wait on the worker that holds the rows,
# in a backend of its own that carries the request's global pid.
sub gateway_lock_waits
{
	my ($db) = @_;
	return psql($db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'signals-gateway' "
		  . "AND wait_event_type = 'Lock'") unless $citus;
	return psql($db, "SELECT count(DISTINCT w.global_pid) FROM citus_stat_activity w "
		  . "WHERE w.wait_event_type = 'Lock' AND w.global_pid IN "
		  . "(SELECT g.global_pid FROM citus_stat_activity g WHERE g.application_name = 'signals-gateway')");
}

# Call $check every 0.1 s until it returns true or timeout seconds pass.
sub wait_until
{
	my ($check, $timeout) = @_;
	my $deadline = time + ($timeout // 60);
	while (time < $deadline)
	{
		return 1 if $check->();
		sleep 0.1;
	}
	return 0;
}

# Start a gateway: new(dbname => $db, args => [...]).  Waits until it listens.
sub new
{
	my ($class, %opts) = @_;
	my $bin = $ENV{GATEWAY_BIN} or die "GATEWAY_BIN is not set\n";
	my $dir = tempdir('gateway-XXXXXX', DIR => $tmproot, CLEANUP => 1);
	chmod 0755, $dir;
	my $self = bless {
		dir => $dir,
		stderr => "$dir/stderr.log",
		access => "$dir/access.log",
		vglog => "$dir/valgrind.log",
	}, $class;
	my @args = @{ $opts{args} // [] };
	# As root, the gateway must be told whom to run as.
	push @args, '--user=nobody' if $< == 0 && !grep { /^--user=/ } @args;
	my @cmd = ($bin, '--port=0', "--dbname=$opts{dbname}", "--access-log=$self->{access}", @args);
	if ($valgrind)
	{
		unshift @cmd, 'valgrind', '--quiet', '--leak-check=full', '--show-leak-kinds=definite,indirect',
		  '--errors-for-leak-kinds=definite,indirect', '--error-exitcode=99',
		  '--track-origins=yes', "--log-file=$self->{vglog}";
	}
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open STDOUT, '>', '/dev/null';
		open STDERR, '>', $self->{stderr};
		exec @cmd or POSIX::_exit(127);
	}
	$self->{pid} = $pid;
	my $listening = wait_until(sub {
		return 1 if $self->log =~ /listening on \S+:(\d+)/ && ($self->{port} = $1);
		return waitpid($pid, WNOHANG) == $pid ? ($self->{exited} = 1, 0)[1] : 0;
	}, $valgrind ? 120 : 30);
	die "gateway did not start:\n" . $self->log unless $listening && $self->{port};
	$self->{url} = "http://127.0.0.1:$self->{port}";
	$self->{http} = HTTP::Tiny->new(keep_alive => 1, timeout => $valgrind ? 120 : 30);
	return $self;
}

sub port { $_[0]{port} }
sub url { $_[0]{url} }
sub pid { $_[0]{pid} }

# The gateway's stderr (server log) so far.
sub log
{
	my ($self) = @_;
	open my $fh, '<', $self->{stderr} or return '';
	local $/;
	return <$fh>;
}

# The access log lines so far (their number, in scalar context).
sub access_lines
{
	my ($self) = @_;
	open my $fh, '<', $self->{access} or return ();
	my @lines = <$fh>;
	return @lines;
}

# request(METHOD, PATH, token, body, {extra headers}) over a keep-alive
# connection.  A token adds "Authorization: Bearer <token>"; a body adds
# "Content-Type: application/json" unless the headers say otherwise.
# Returns HTTP::Tiny's response (status, headers, content).
sub request
{
	my ($self, $method, $path, $token, $body, $headers) = @_;
	my %h = %{ $headers // {} };
	$h{authorization} = "Bearer $token" if defined $token && !exists $h{authorization};
	$h{'content-type'} = 'application/json' if defined $body && !exists $h{'content-type'};
	my %opts = (headers => \%h);
	$opts{content} = $body if defined $body;
	return $self->{http}->request($method, $self->{url} . $path, \%opts);
}

# Stop with SIGTERM; asserts a clean exit (and, under valgrind, a clean run).
sub stop
{
	my ($self) = @_;
	return if $self->{stopped};
	$self->{stopped} = 1;
	delete $self->{http};
	kill 'TERM', $self->{pid};
	my $done = wait_until(sub { waitpid($self->{pid}, WNOHANG) == $self->{pid} }, $valgrind ? 180 : 60);
	my $status = $?;
	if (!$done)
	{
		kill 'KILL', $self->{pid};
		waitpid($self->{pid}, 0);
		fail('gateway stops on SIGTERM');
		return;
	}
	is($status >> 8, 0, 'gateway exits with status 0 on SIGTERM')
	  or diag($self->log);
	unlike($self->log, qr/memory budget: \d+ bytes still counted/, 'the memory budget is all given back')
	  or diag($self->log);
	if ($valgrind)
	{
		my $vg = '';
		if (open my $fh, '<', $self->{vglog}) { local $/; $vg = <$fh>; }
		ok($status >> 8 != 99 && $vg !~ /(Invalid|uninitialised|definitely lost|indirectly lost)/,
			'valgrind: no memory errors, no leaks') or diag($vg);
	}
	return $status >> 8;
}

sub DESTROY
{
	my ($self) = @_;
	return if $self->{stopped} || !$self->{pid};
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
}

1;
