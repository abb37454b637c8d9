# No API token reaches a log, an error message or pg_stat_activity, with
# every statement and its parameters logged (log_statement = 'all',
# log_min_duration_statement = 0, parameters in full, also on error) and no
# setting on the gateway's role: the gateway sends the Authorization header
# as signals.http_handle's authorization argument, a binary signals.secret
# whose output is "(redacted)", and leaves it (and cookies) out of the
# headers object.  Its own access log masks anything shaped like a token.
use strict;
use warnings;

use GatewayTest;
use IPC::Run qw(start pump finish timeout);
use Test::More;

my $db = 't_secrets';
my $tokens = create_database($db);
psql('postgres', <<"SQL");
ALTER DATABASE $db SET log_statement = 'all';
ALTER DATABASE $db SET log_min_duration_statement = 0;
ALTER DATABASE $db SET log_parameter_max_length = -1;
ALTER DATABASE $db SET log_parameter_max_length_on_error = -1;
ALTER DATABASE $db SET log_error_verbosity = 'verbose';
SQL
my $log_start = length(server_log());

my $gw = GatewayTest->new(dbname => $db, args => ['--threads=2', '--statement-timeout=1000']);
my $base = '/api/projects/1/signals';
my $unknown = 'phx_' . join('', map { ('a' .. 'z', 'A' .. 'Z', 0 .. 9)[rand 62] } 1 .. 43);
my @used = ($tokens->{alice_read}, $tokens->{scout1}, $tokens->{alice_all}, $unknown);

# Authenticated requests that succeed, fail authentication, and fail in the
# database (a statement timeout: logged with its parameters on error).
my $r = $gw->request('GET', "$base/processing/", $tokens->{alice_read});
is($r->{status}, 200, 'a read with a key: 200');
$r = $gw->request('POST', "$base/scout/scratchpad/", $tokens->{scout1}, '{"key": "k", "content": "c"}',
	{cookie => "session=$tokens->{alice_all}"});
is($r->{status}, 200, 'a write with a scout token (and a token in a cookie): 200');
$r = $gw->request('GET', "$base/processing/", $unknown);
is($r->{status}, 401, 'an unknown token: 401');
$r = $gw->request('GET', "$base/processing/", undef, undef,
	{authorization => ["Bearer $tokens->{alice_all}", "Bearer $tokens->{alice_all}"]});
is($r->{status}, 401, 'a key sent twice: 401');

my ($in, $out) = ('', '');
my $locker = start(["$ENV{SIGNALS_TEST_PGBIN}/psql", '-XAtq', '-d', $db], \$in, \$out, \$out, timeout(60));
$in .= "BEGIN; LOCK TABLE signals.scratchpad IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n";
pump $locker until $out =~ /locked/;
my $waiting = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp')
  or die "connect: $!";
print $waiting "GET $base/scout/scratchpad/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $tokens->{scout1}\r\n"
  . "Connection: close\r\n\r\n";
ok(wait_until(sub {
	gateway_lock_waits($db) eq '1' }, 30), 'a request waits on a lock');
my $activity = psql($db,
	"SELECT string_agg(row_to_json(a)::text, E'\\n') FROM pg_stat_activity a WHERE application_name = 'signals-gateway'");
like($activity, qr/signals\.http_handle\(\$1, \$2, \$3, \$4, \$5, \$6\)/,
	'pg_stat_activity shows the gateway\'s statement');
is(scalar(grep { index($activity, $_) >= 0 } @used), 0, 'and no token, in any column');
my $response = join '', <$waiting>;
like($response, qr{^HTTP/1\.1 504 }, 'the waiting request times out: 504');
$in .= "ROLLBACK;\n";
finish $locker;

# A token where it does not belong, in a URL: the access log masks it.
$r = $gw->request('GET', "/healthz?token=$tokens->{alice_write}&other=1");
is($r->{status}, 200, 'a token in a URL (a client\'s mistake)');
push @used, $tokens->{alice_write};

$gw->stop;
my $log = server_log($log_start);
like($log, qr/execute router: SELECT status, headers, body FROM signals\.http_handle/,
	'the server log has every statement');
like($log, qr/parameters: \$1 = 'GET', .*\$6 = '\(redacted\)'/, 'with its parameters, the token redacted');
like($log, qr/canceling statement due to statement timeout.*\n(.*\n)*?.*\$6 = '\(redacted\)'/,
	'the failed statement is logged with its parameters, the token redacted');
is(join(', ', grep { index($log, $_) >= 0 } @used), '', 'the server log holds no token');
my $access = join '', $gw->access_lines;
like($access, qr{"GET /healthz\?token=phx_\.\.\.&other=1" 200 }, 'the access log masks a token in a URL');
is(join(', ', grep { index($access . $gw->log, $_) >= 0 } @used), '',
	'neither the access log nor the gateway\'s server log holds a token');

psql('postgres', "ALTER DATABASE $db RESET ALL");
done_testing();
