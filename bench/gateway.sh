#!/bin/sh
# Benchmark: the HTTP gateway against pgbench calling signals.http_handle
# directly, for the same requests over the same number of connections, in
# one run on a throwaway cluster.  Requests:
#   GET reports/:id/        one report
#   GET reports/            the default page (100 of 1,000 reports)
#   GET scout/scratchpad/   the default 20 entries
# For each: pgbench (-M prepared, C clients) and wrk (C connections) with the
# gateway running C threads (= C database connections), alternating for
# $ROUNDS (3) rounds and reporting medians; then wrk with 64 connections for
# the latency percentiles and the gateway's memory.
# Data are plain INSERTs, so any route that exists is measured; a route that
# does not exist yet is skipped.
#   PG_CONFIG=$(/work/tools/mkpg NAME) bench/gateway.sh [seconds] [connections]
set -eu
cd "$(dirname "$0")/.."
. scripts/common.sh

seconds=${1:-10}
conns=${2:-$((2 * $(nproc)))}
rounds=${ROUNDS:-3}
port=$((30000 + $$ % 20000))

ensure_packages $BUILD_PACKAGES wrk
build_and_install

start_throwaway_cluster "signals.workers = 0
shared_buffers = 256MB
max_connections = 200"
bindir=$(pg_bindir)
export PGDATABASE=postgres
psql="$bindir/psql -X -q -v ON_ERROR_STOP=1"

$psql -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('Bench', 1);
SELECT signals.create_team('Other', 2);
CREATE TABLE bench_key AS
SELECT k.token FROM signals.create_personal_key(signals.create_user('bench@example.com'), '{*}') k;
SELECT signals.add_team_member(1, (SELECT user_id FROM signals.users WHERE email = 'bench@example.com'));
INSERT INTO signals.reports (team_id, title, summary, status, total_weight, signal_count, signals_at_run,
                             priority, source_products)
SELECT t, 'Report ' || g || ': checkout fails for some users',
       'Users see an error when they pay; seen ' || g || ' times.',
       (ARRAY['potential','candidate','in_progress','pending_input','ready','resolved','failed'])[1 + g % 7],
       (g % 10) / 4.0, g % 13, 3, (ARRAY['P0','P1','P2','P3','P4'])[1 + g % 5], '{error_tracking}'
  FROM generate_series(1, 1000) g, (VALUES (1), (2)) teams(t);
INSERT INTO signals.scratchpad (team_id, key, content)
SELECT 1, 'note-' || g, 'Something the scout wants to remember, number ' || g
  FROM generate_series(1, 50) g;
VACUUM ANALYZE;
CHECKPOINT;
SQL
token=$($psql -At -c "SELECT token FROM bench_key")
report=$($psql -At -c "SELECT id FROM signals.reports WHERE team_id = 1 ORDER BY id LIMIT 1 OFFSET 500")

gateway="$bindir/signals-gateway"
user_option=
[ "$(id -u)" != 0 ] || user_option=--user=nobody    # it never serves as root
"$gateway" --port="$port" --threads="$conns" --dbname=postgres $user_option \
    --access-log="$CLUSTER_DIR/access.log" 2>"$CLUSTER_DIR/gateway.log" &
gw_pid=$!
trap 'kill $gw_pid 2>/dev/null; stop_throwaway_cluster' EXIT INT TERM
i=0
until grep -q "listening on" "$CLUSTER_DIR/gateway.log"; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || { cat "$CLUSTER_DIR/gateway.log"; exit 1; }
done
url="http://127.0.0.1:$port"
headers="{\"host\": \"127.0.0.1:$port\"}"

cat > "$CLUSTER_DIR/call.sql" <<'SQL'
SELECT status, headers, body FROM signals.http_handle('GET', :path, '', :headers::jsonb, NULL::bytea, :authorization);
SQL
chmod 644 "$CLUSTER_DIR/call.sql"

routes=$($psql -At -c "SELECT string_agg(method || ' ' || path, ',') FROM signals.routes()")
has_route() { case ",$routes," in *",GET /api/projects/{project_id}/signals/$1,"*) return 0;; esac; return 1; }

# CPU time (clock ticks) used so far by the gateway, and by its backends.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
backend_ticks() {
    total=0
    for pid in $($psql -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = '${1:-signals-gateway}'"); do
        total=$((total + $(ticks "$pid")))
    done
    echo $total
}
hz=$(getconf CLK_TCK)

echo "# gateway vs pgbench: $(date -u +%Y-%m-%d), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem/ {print $2}') GB RAM"
echo "# $conns connections (gateway threads = pgbench clients = wrk connections), ${seconds}s per run, medians of $rounds alternating rounds; then wrk -c 64"
echo
echo "| request | pgbench req/s | gateway req/s | ratio | pgbench p50 / p99 | gateway p50 / p99 | CPU per request: pgbench's backends; gateway / its backends | gateway req/s (c=64) | gateway p50 / p99 (c=64) | gateway RSS (c=64) |"
echo "|---|---|---|---|---|---|---|---|---|---|"

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# One route: $rounds rounds of pgbench then wrk (alternating, so that other
# load on the machine weighs on both alike), medians reported; then wrk with
# 64 connections.
run() {
    name=$1 route=$2 path=$3
    if ! has_route "$route"; then
        echo "| $name | (route not on this branch) | | | | | | | | |"
        return
    fi
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url$path")
    [ "$status" = 200 ] || { echo "$name: HTTP $status" >&2; exit 1; }
    wrk -t 2 -c "$conns" -d 2 -H "Authorization: Bearer $token" "$url$path" >/dev/null

    pgs='' gws='' ratios='' p50s='' p99s='' pg50s='' pg99s='' pb=0 pn=0 gt=0 bt=0 gn=0
    for round in $(seq "$rounds"); do
        rm -f "$CLUSTER_DIR"/pglog.*
        "$bindir/pgbench" -n -M prepared -c "$conns" -j 2 -T "$seconds" -f "$CLUSTER_DIR/call.sql" \
            -l --log-prefix="$CLUSTER_DIR/pglog" \
            -D path="$path" -D headers="$headers" -D authorization="Bearer $token" >"$CLUSTER_DIR/pgbench.out" 2>&1 &
        pgbench_pid=$!
        sleep 1; pb0=$(backend_ticks pgbench); sleep $((seconds - 2)); pb1=$(backend_ticks pgbench)
        wait $pgbench_pid
        pg=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$CLUSTER_DIR/pgbench.out")
        pb=$((pb + pb1 - pb0)); pn=$(awk -v n="$pn" -v t="$pg" -v s=$((seconds - 2)) 'BEGIN {print n + t * s}')
        # pgbench's own latencies (third field of its per-transaction log, in us)
        cat "$CLUSTER_DIR"/pglog.* | awk '{print $3}' | sort -n >"$CLUSTER_DIR/pglat"
        n=$(wc -l <"$CLUSTER_DIR/pglat")
        pg50s="$pg50s $(sed -n "$(( (n + 1) / 2 ))p" "$CLUSTER_DIR/pglat" | awk '{print $1 / 1000}')"
        pg99s="$pg99s $(sed -n "$(( n * 99 / 100 ))p" "$CLUSTER_DIR/pglat" | awk '{print $1 / 1000}')"

        gw0=$(ticks $gw_pid); be0=$(backend_ticks)
        out=$(wrk -t 2 -c "$conns" -d "$seconds" --latency -H "Authorization: Bearer $token" "$url$path")
        gw1=$(ticks $gw_pid); be1=$(backend_ticks)
        gt=$((gt + gw1 - gw0)); bt=$((bt + be1 - be0))
        gn=$((gn + $(echo "$out" | sed -n 's/^\s*\([0-9]*\) requests in.*/\1/p')))
        gw=$(echo "$out" | sed -n 's/^Requests\/sec:\s*\([0-9.]*\).*/\1/p')
        errors=$(echo "$out" | grep -E "Non-2xx|Socket errors" || true)
        [ -z "$errors" ] || echo "$name (c=$conns, round $round): $errors" >&2

        pgs="$pgs $pg" gws="$gws $gw"
        ratios="$ratios $(awk -v a="$gw" -v b="$pg" 'BEGIN {printf "%.2f", a / b}')"
        p50s="$p50s $(echo "$out" | awk '$1 == "50%" {print $2}' | sed 's/us$/e-3/; s/ms$//; s/s$/e3/')"
        p99s="$p99s $(echo "$out" | awk '$1 == "99%" {print $2}' | sed 's/us$/e-3/; s/ms$//; s/s$/e3/')"
    done
    cpu=$(awk -v pb="$pb" -v pn="$pn" -v g="$gt" -v b="$bt" -v n="$gn" -v hz="$hz" \
        'BEGIN {printf "%.0f us; %.0f / %.0f us", pb * 1e6 / hz / pn, g * 1e6 / hz / n, b * 1e6 / hz / n}')

    out=$(wrk -t 2 -c 64 -d "$seconds" --latency -H "Authorization: Bearer $token" "$url$path" &
          sleep $((seconds / 2)); grep VmRSS /proc/$gw_pid/status >"$CLUSTER_DIR/rss"; wait)
    gw64=$(echo "$out" | sed -n 's/^Requests\/sec:\s*\([0-9.]*\).*/\1/p')
    p50_64=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99_64=$(echo "$out" | awk '$1 == "99%" {print $2}')
    errors=$(echo "$out" | grep -E "Non-2xx|Socket errors" || true)
    [ -z "$errors" ] || echo "$name (c=64): $errors" >&2
    rss=$(awk '{printf "%.1f MB", $2 / 1024}' "$CLUSTER_DIR/rss")

    printf '| %s | %.0f | %.0f | %s | %.2fms / %.2fms | %.2fms / %.2fms | %s | %.0f | %s / %s | %s |\n' "$name" \
        "$(echo $pgs | median)" "$(echo $gws | median)" "$(echo $ratios | median)" \
        "$(echo $pg50s | median)" "$(echo $pg99s | median)" \
        "$(echo $p50s | median)" "$(echo $p99s | median)" "$cpu" "$gw64" "$p50_64" "$p99_64" "$rss"
}

run 'GET reports/:id/' 'reports/{id}/' "/api/projects/1/signals/reports/$report/"
run 'GET reports/' 'reports/' '/api/projects/1/signals/reports/'
run 'GET scout/scratchpad/' 'scout/scratchpad/' '/api/projects/1/signals/scout/scratchpad/'

echo
echo "gateway peak RSS (VmHWM) over the whole run: $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' /proc/$gw_pid/status)"
echo "access log lines: $(wc -l < "$CLUSTER_DIR/access.log")"
