# Never serving as root: started as root, the gateway refuses to run
# without --user, and with --user=nobody it binds its port and opens its
# logs as root, then runs as nobody (user, group and supplementary groups,
# for good) and serves.  --user cannot name root, a user that does not
# exist, or (when not started as root) another user.
use strict;
use warnings;

use GatewayTest;
use Test::More;

plan skip_all => 'needs to run as root' if $< != 0;

my $bin = $ENV{GATEWAY_BIN};
my $tokens = create_database('t_privileges');

sub refused
{
	my ($name, $cmd, $message) = @_;
	my $out = `$cmd 2>&1`;
	is($? >> 8, 2, "$name: exits 2");
	like($out, $message, "$name: says why");
}
refused('as root without --user', "\"$bin\" --port=0 --dbname=t_privileges",
	qr/refusing to run as root: give --user=USER/);
refused('--user=root', "\"$bin\" --port=0 --dbname=t_privileges --user=root",
	qr/--user=root: must name an unprivileged user, not root/);
refused('--user naming nobody known', "\"$bin\" --port=0 --dbname=t_privileges --user=no_such_user_here",
	qr/--user=no_such_user_here: no such user/);
refused('another user, when not root', "runuser -u nobody -- \"$bin\" --port=0 --dbname=t_privileges --user=daemon",
	qr/--user=daemon: only root can switch users/);

my $gw = GatewayTest->new(dbname => 't_privileges', args => ['--threads=2', '--user=nobody']);
my (undef, undef, $uid, $gid) = getpwnam('nobody');
open my $fh, '<', '/proc/' . $gw->pid . '/status' or die "cannot read the gateway's status: $!";
my %status = map { /^(\w+):\s*(.*)$/ ? ($1, $2) : () } <$fh>;
close $fh;
is($status{Uid}, join("\t", ($uid) x 4), 'the process runs as nobody (real, effective, saved, fs uid)');
is($status{Gid}, join("\t", ($gid) x 4), 'in nobody\'s group');
is($status{Groups} =~ s/\s+$//r, $gid, 'with no other groups (root\'s are gone)');
like($gw->log, qr/running as user "nobody" \(uid $uid, gid $gid\)/, 'the switch is logged');
is($gw->request('GET', '/readyz')->{status}, 200, 'and it serves: /readyz');
is($gw->request('GET', '/api/projects/1/signals/processing/', $tokens->{alice_read})->{status}, 200,
	'and the API');
ok(wait_until(sub { $gw->access_lines >= 2 }, 10), 'its access log, opened as root, is written');
$gw->stop;
done_testing();
