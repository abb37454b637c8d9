# OpsTest: helpers for the operations tests (restore, standby, workers).
#
# Next to GatewayTest's: the server log of the test cluster, clusters of
# their own (a standby, a cluster with other postmaster settings), psql
# sessions held open in the background, and comparing state dumps
# (t/lib/state.sql).
package OpsTest;

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep);

use GatewayTest ();

our @EXPORT = qw(server_log log_mark log_since psql_file background_psql
  same_lines slurp);

my $pgbin = $ENV{SIGNALS_TEST_PGBIN};
my $tmproot = $ENV{SIGNALS_TEST_TMP} // '/tmp';

sub slurp
{
	my ($file) = @_;
	open my $fh, '<', $file or die "$file: $!";
	local $/;
	return <$fh>;
}

# A file owned by the postgres OS user (the server log), read as it.
sub read_as_postgres
{
	my ($file) = @_;
	my @cmd = $< == 0 ? ('runuser', '-u', 'postgres', '--', 'cat', $file) : ('sudo', '-u', 'postgres', 'cat', $file);
	open my $fh, '-|', @cmd or die "cat $file: $!";
	local $/;
	my $text = <$fh> // '';
	close $fh;
	return $text;
}

# The test cluster's server log, whole.
sub server_log { return read_as_postgres("$tmproot/server.log"); }

# A mark in the server log, and what was logged after it.
sub log_mark { return length(server_log()); }

sub log_since
{
	my ($mark) = @_;
	return substr(server_log(), $mark);
}

# Run a psql script file (with its meta-commands) in a database.
sub psql_file
{
	my ($db, $file) = @_;
	return GatewayTest::psql($db, slurp($file));
}

# Start psql running the given commands in the background, each sent on its
# own (so each is its own transaction unless it says BEGIN) in one session;
# returns its pid.  waitpid on it to wait for the end.
sub background_psql
{
	my ($db, @commands) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open STDOUT, '>', '/dev/null';
		open STDERR, '>', '/dev/null';
		exec "$pgbin/psql", '-X', '-q', '-d', $db, map({ ('-c', $_) } @commands) or POSIX::_exit(127);
	}
	return $pid;
}

# Compare two multi-line texts; on a difference show the first lines that differ.
sub same_lines
{
	my ($got, $expected, $name) = @_;
	my @g = split /\n/, $got;
	my @e = split /\n/, $expected;
	my @diff;
	for my $i (0 .. ($#g > $#e ? $#g : $#e))
	{
		my ($x, $y) = ($g[$i] // '<none>', $e[$i] // '<none>');
		push @diff, "line $i:\n   got: " . substr($x, 0, 300) . "\nwanted: " . substr($y, 0, 300) if $x ne $y;
		last if @diff >= 5;
	}
	ok(!@diff, $name) or diag(join("\n", @diff));
	return !@diff;
}

# A cluster of the test's own: new(name => ..., conf => "...", from => 'initdb' | 'basebackup').
# The data directory and socket are under the test tree, the port is free.
sub new
{
	my ($class, %opts) = @_;
	my $dir = tempdir("$opts{name}-XXXXXX", DIR => $tmproot, CLEANUP => 0);
	chmod 01777, $dir;
	my $self = bless { dir => $dir, data => "$dir/data", log => "$dir/server.log" }, $class;
	$self->{port} = free_port();
	if (($opts{from} // 'initdb') eq 'basebackup')
	{
		as_postgres_quiet("$pgbin/pg_basebackup", '-D', $self->{data}, '-R', '-X', 'stream', '-c', 'fast',
			'-h', $ENV{PGHOST}, '-p', $ENV{PGPORT}, '-U', 'postgres') == 0
		  or die "pg_basebackup failed";
	}
	else
	{
		as_postgres_quiet("$pgbin/initdb", '-D', $self->{data}, '-U', 'postgres', '-E', 'UTF8',
			'--locale=C.UTF-8', '-A', 'trust', '-N') == 0 or die "initdb failed";
	}
	$self->set_conf("listen_addresses = ''\nunix_socket_directories = '$dir'\nport = $self->{port}\n"
		  . "fsync = off\n" . ($opts{conf} // ''));
	return $self;
}

sub dir { $_[0]{dir} }
sub port { $_[0]{port} }

# Append lines to postgresql.conf (later lines win).
sub set_conf
{
	my ($self, $lines) = @_;
	my $file = "$self->{data}/postgresql.conf";
	my @as = $< == 0 ? ('runuser', '-u', 'postgres', '--') : ('sudo', '-u', 'postgres');
	open my $fh, '|-', join(' ', @as, 'tee', '-a', $file, '>/dev/null') or die "tee: $!";
	print $fh "\n$lines\n";
	close $fh or die "could not write $file";
}

sub pg_ctl
{
	my ($self, @args) = @_;
	return GatewayTest::as_postgres("$pgbin/pg_ctl", '-D', $self->{data}, '-l', $self->{log}, '-w', '-s', @args) == 0;
}

sub start { @{ $_[0] }{qw(started stopped)} = (1, 0); return $_[0]->pg_ctl('start'); }
sub restart { return $_[0]->pg_ctl('-m', 'fast', 'restart'); }

sub stop
{
	my ($self, $mode) = @_;
	$self->{stopped} = 1;
	return $self->pg_ctl('-m', $mode // 'fast', 'stop');
}

sub log { return read_as_postgres($_[0]{log}); }

# Run SQL in one of this cluster's databases (as psql() does for the test cluster).
sub psql
{
	my ($self, $db, $sql) = @_;
	local $ENV{PGHOST} = $self->{dir};
	local $ENV{PGPORT} = $self->{port};
	return GatewayTest::psql($db, $sql);
}

# Like psql, but returns (exit status, combined output) instead of dying.
sub psql_try
{
	my ($self, $db, $sql) = @_;
	local $ENV{PGHOST} = $self->{dir};
	local $ENV{PGPORT} = $self->{port};
	my $tmp = File::Temp->new(DIR => $tmproot, SUFFIX => '.sql');
	print $tmp $sql;
	close $tmp;
	my $out = `"$pgbin/psql" -XAtq -v ON_ERROR_STOP=1 -d "$db" -f "$tmp" 2>&1`;
	return ($? >> 8, $out);
}

sub DESTROY
{
	my ($self) = @_;
	return unless $self->{data} && -d $self->{dir};
	GatewayTest::as_postgres("$pgbin/pg_ctl", '-D', $self->{data}, '-m', 'immediate', '-s', 'stop')
	  if $self->{started} && !$self->{stopped};
	system($< == 0 ? ('rm', '-rf', $self->{dir}) : ('sudo', 'rm', '-rf', $self->{dir}));
}

# Run a command as the postgres OS user, its output thrown away; returns its status.
sub as_postgres_quiet
{
	my @cmd = ($< == 0 ? ('runuser', '-u', 'postgres', '--') : ('sudo', '-u', 'postgres'), @_);
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open STDOUT, '>', '/dev/null';
		exec @cmd or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	return $?;
}

# A TCP port nobody listens on (the clusters use only their socket, but the
# socket's name carries the port).
sub free_port
{
	for (1 .. 100)
	{
		my $port = 30000 + int(rand(20000));
		return $port unless -e "/tmp/.s.PGSQL.$port" || glob("$tmproot/*/.s.PGSQL.$port");
	}
	die "no free port";
}

1;
