#!/bin/sh
# Benchmark: the same data and calls on one node and on a Citus cluster (a
# coordinator and two workers) on this machine, side by side in one run.
# On one machine the cluster cannot be faster: what this measures is what a
# call costs more on Citus and where that goes.
#
#   bench/citus.sh
#
# Settings (environment): TEAMS (20) teams sharing SIGNALS (10000) grouped
# signals of the grouping bench's texts; DURATION (3) seconds per pgbench
# run; CLIENTS (4) for the throughput runs; ROUNDS (3) alternating rounds
# (one node, cluster, one node, ...), medians; QUEUE (2000) signals queued
# for the grouping throughput.
#
# Prints, as markdown: the storage per table and per signal, report and
# team; each call's latency (one client) and throughput (CLIENTS clients)
# on both; where the cluster's time goes (pg_stat_statements on every node,
# the connections the workers accepted, team 1's calls sent to its worker
# directly); the commands the coordinator sends; grouping throughput.
#
# Both sides run from the same private PostgreSQL copy with Citus and
# signals installed, with fsync off, signals.workers = 0 (no background
# worker groups anything behind the measurement: grouping is driven by the
# script) and pg_stat_statements (for the breakdown).  The single node
# preloads 'signals' only, as a single-node installation does: the ratio is
# then the whole price of Citus (its planner hooks included), not just of
# the hop to a worker.
set -eu
cd "$(dirname "$0")/.."
. scripts/common.sh
. scripts/citus-common.sh

teams=${TEAMS:-20}
signals=${SIGNALS:-10000}
duration=${DURATION:-3}
clients=${CLIENTS:-4}
rounds=${ROUNDS:-3}
queue=${QUEUE:-2000}

ensure_packages $BUILD_PACKAGES python3 bc
ensure_citus_built
make_citus_dir
make_citus_pg_copy "$CITUS_DIR/pg"
build_and_install >/dev/null
bindir=$(pg_bindir)

common_conf="signals.workers = 0
signals.warn_unserved_emits = off
shared_buffers = 512MB
max_connections = 100
pg_stat_statements.track_planning = on
log_connections = on"

# The single node: a server of its own in the same directory, so that the
# trap below removes it with the cluster (stopped first: the cluster's stop
# removes the directory).
stop_single() {
    as_postgres "$bindir/pg_ctl" -D "$CITUS_DIR/single" -m immediate stop >/dev/null 2>&1 || true
}
trap 'stop_single; stop_citus_cluster' EXIT INT TERM
start_citus_cluster "$common_conf
shared_preload_libraries = 'citus,signals,pg_stat_statements'"
coord=${CITUS_PORTS%% *}
workers=${CITUS_PORTS#* }
single=$((${CITUS_PORTS##* } + 1))
as_postgres "$bindir/initdb" -D "$CITUS_DIR/single" -U postgres -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
cat <<CONF | as_postgres tee -a "$CITUS_DIR/single/postgresql.conf" >/dev/null
listen_addresses = ''
unix_socket_directories = '$CITUS_DIR'
port = $single
fsync = off
$common_conf
shared_preload_libraries = 'signals,pg_stat_statements'
CONF
as_postgres "$bindir/pg_ctl" -D "$CITUS_DIR/single" -l "$CITUS_DIR/single.log" -w start >/dev/null

export PGDATABASE=bench
# q PORT [psql arguments]: psql on one node's bench database
q() { port=$1; shift; "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }
value() { q "$1" -At -c "$2"; }

# --- the same database on both ---------------------------------------------
CITUS_PORTS="$CITUS_PORTS" scripts/citus-db bench
q "$single" -d postgres -c "CREATE DATABASE bench"
for port in "$single" "$coord"; do
    # on the coordinator, CREATE EXTENSION runs on the workers too
    q "$port" -c "SET client_min_messages = warning" \
        -c "CREATE EXTENSION signals CASCADE" -c "CREATE EXTENSION pg_stat_statements"
    PGPORT=$port PGOPTIONS="-c client_min_messages=warning" BENCH_CORPUS_ONLY=1 bench/grouping/bench.sh
done

# Teams 1..$teams with AI processing approved; $signals signals spread over
# them round robin, texts as in bench/grouping/bench.sql (corpus texts with
# three pseudo-words appended, 30% ten pseudo-words: novel issues), all
# grouped; per team 20 scratchpad entries and one report with a known id
# (md5 of its team) for report_get.  Loaded before distribution: the
# cluster's copy is the single node's, moved into shards by distribute().
cat >"$CITUS_DIR/load.sql" <<'SQL'
\set ON_ERROR_STOP on
SELECT setseed(0.42);
SELECT count(signals.create_team('bench ' || t, t)) FROM generate_series(1, :teams) t;
SELECT count(signals.set_team_settings(t, ai_processing_approved => true)) FROM generate_series(1, :teams) t;
CREATE FUNCTION bench_word(n integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(to_hex(n + 4096), '0123456789abcdef', 'bcdfghjklmnpqrst')
$$;
-- plpgsql: Citus plans no SQL-function query with parameters
CREATE FUNCTION bench_queue(n integer, teams integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO signals.signals (team_id, source_product, source_type, source_id, description, weight, dedupe_keys)
    SELECT 1 + g % teams, c.product, c.type, 'bench-' || gen_random_uuid(),
           CASE WHEN x.novel
                THEN (SELECT string_agg(bench_word((random() * 50000 + g * 0 + w * 0)::int), ' ')
                        FROM generate_series(1, 10) w)
                ELSE c.text || ' ' || bench_word((random() * 50000)::int) || ' '
                     || bench_word((random() * 50000)::int) || ' ' || bench_word((random() * 50000)::int) END,
           0.3, CASE WHEN random() < 0.1 THEN ARRAY['key-' || (random() * 20000)::int] ELSE '{}' END
      FROM (SELECT g, 1 + (g * 7919 + (random() * 1000)::int) % (SELECT count(*) FROM bench_corpus) AS k,
                   random() < 0.3 AS novel
              FROM generate_series(1, n) g) x
      JOIN bench_corpus c ON c.i = x.k;
END $$;
SELECT bench_queue(:signals, :teams);
SELECT signals.process_pending();
INSERT INTO signals.reports (team_id, id, title, summary, status, total_weight, signal_count, priority, source_products)
SELECT t, md5('bench-report-' || t)::uuid, 'Checkout fails for some users', 'Users see an error when they pay.',
       'ready', 1.5, 7, 'P2', '{error_tracking}'
  FROM generate_series(1, :teams) t;
INSERT INTO signals.scratchpad (team_id, key, content)
SELECT t, 'note-' || g, 'Something the scout wants to remember, number ' || g
  FROM generate_series(1, :teams) t, generate_series(1, 20) g;
-- a call that does nothing but is delegated like the API's calls: the
-- price of the hop itself
CREATE FUNCTION bench_noop(team_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN team_id;
END $$;
SQL
for port in "$single" "$coord"; do
    t0=$(date +%s.%N)
    q "$port" -o /dev/null -v teams="$teams" -v signals="$signals" -f "$CITUS_DIR/load.sql"
    echo "loaded and grouped $signals signals on port $port in $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
done

# the cluster: distribute (four shards; teams 1 and 2 on different workers)
CITUS_PORTS="$CITUS_PORTS" scripts/citus-db bench distribute
q "$coord" -o /dev/null -c "SELECT create_distributed_function('bench_noop(bigint)', 'team_id', colocate_with := 'signals.signals')"
for port in "$single" "$coord"; do q "$port" -c "VACUUM ANALYZE"; done
for port in $workers; do q "$port" -c "VACUUM ANALYZE"; done

# --- what the data take on disk ---------------------------------------------
# One node: pg_total_relation_size (heap, TOAST, indexes).  Cluster: the sum
# of citus_shard_sizes() over a table's placements (the same measure per
# shard; a reference table is counted once per node).
cat >"$CITUS_DIR/sizes.sql" <<'SQL'
SELECT c.relname, pg_total_relation_size(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'signals' AND c.relkind = 'r'
SQL
value "$single" "$(cat "$CITUS_DIR/sizes.sql")" | sort >"$CITUS_DIR/sizes.single"
# (not the citus_shards view: it leaves out tables that belong to an extension)
value "$coord" "SELECT c.relname, sum(z.size)
                  FROM pg_dist_shard d JOIN pg_dist_placement p USING (shardid)
                  JOIN (SELECT shard_id, max(size) AS size FROM citus_shard_sizes() GROUP BY 1) z ON z.shard_id = d.shardid
                  JOIN pg_class c ON c.oid = d.logicalrelid
                 WHERE c.relnamespace = 'signals'::regnamespace GROUP BY 1" | sort >"$CITUS_DIR/sizes.cluster"
nsig=$(value "$single" "SELECT count(*) FROM signals.signals")
nrep=$(value "$single" "SELECT count(*) FROM signals.reports")
nrep_c=$(value "$coord" "SELECT count(*) FROM signals.reports")
echo
echo "## Storage after loading ($nsig signals, $nrep reports on one node, $nrep_c on the cluster, $teams teams)"
echo
echo "| table | rows (one node) | one node: bytes | cluster: bytes (all shards) | one node: bytes per signal |"
echo "|---|---|---|---|---|"
join -t '|' "$CITUS_DIR/sizes.single" "$CITUS_DIR/sizes.cluster" | while IFS='|' read -r t s c; do
    [ "$s" -gt 16384 ] || [ "$c" -gt 49152 ] || continue    # skip the empty ones
    rows=$(value "$single" "SELECT count(*) FROM signals.$t")
    printf '| %s | %s | %s | %s | %.0f |\n' "$t" "$rows" "$s" "$c" "$(echo "$s / $nsig" | bc -l)"
done
# Per signal: the signal row and its grouping rows (features, candidate
# index, dedupe keys); per report: the report row.  The frequency model
# (grouping_state, grouping_df) is per team.
per() { awk -F'|' -v n="$2" -v tables="$3" 'BEGIN {split(tables, t, " "); for (i in t) want[t[i]] = 1}
                                                 $1 in want {s += $2} END {printf "%.0f", s / n}' "$1"; }
pertables="signals grouping_members grouping_postings grouping_dedupe"
echo
echo "| bytes | one node | cluster |"
echo "|---|---|---|"
echo "| per signal: signals row + grouping rows ($pertables) | $(per "$CITUS_DIR/sizes.single" "$nsig" "$pertables") | $(per "$CITUS_DIR/sizes.cluster" "$nsig" "$pertables") |"
echo "| per report (reports) | $(per "$CITUS_DIR/sizes.single" "$nrep" reports) | $(per "$CITUS_DIR/sizes.cluster" "$nrep_c" reports) |"
echo "| per team: frequency model (grouping_state, grouping_df) at $((nsig / teams)) signals a team | $(per "$CITUS_DIR/sizes.single" "$teams" "grouping_state grouping_df") | $(per "$CITUS_DIR/sizes.cluster" "$teams" "grouping_state grouping_df") |"

# --- the calls --------------------------------------------------------------
# One pgbench script per call, a random team each time; the arguments are
# parameters or immutable expressions of them, so Citus can delegate the
# call to the worker holding the team (the "delegated" column checks it).
mkdir -p "$CITUS_DIR/scripts"
script() { printf '\\set team random(1, %s)\n\\set r random(1, 1000000000)\n%s\n' "$teams" "$2" >"$CITUS_DIR/scripts/$1.sql"; }
script select1 "SELECT 1;"
script noop "SELECT bench_noop(:team);"
script router "SELECT title FROM signals.reports WHERE team_id = :team AND id = md5('bench-report-' || :team)::uuid;"
script report_get "SELECT signals.report_get(:team, md5('bench-report-' || :team)::uuid);"
script reports_list "SELECT signals.reports_list(:team);"
script scratchpad_upsert "SELECT signals.scratchpad_upsert(:team, 'note-' || (:r % 20), 'The scout noted ' || :r);"
script scratchpad_list "SELECT signals.scratchpad_list(:team);"
script emit_signal "SELECT signals.emit_signal(:team, 'error_tracking', 'issue', 'pgbench-' || :r, 'Checkout fails with error ' || :r, 0.5);"
# the pattern that finds each call's statement in pg_stat_statements
pattern() {
    case $1 in
    select1) echo '^SELECT \$1$' ;;
    router) echo 'FROM signals\.reports' ;;
    noop) echo 'bench_noop' ;;
    *) echo "signals\\.$1\\(" ;;
    esac
}
calls="select1 noop router report_get reports_list scratchpad_list scratchpad_upsert emit_signal"

# stats PORT PATTERN: calls, total plan ms, total exec ms of the matching
# statements since the last reset
stats() {
    value "$1" "SELECT coalesce(sum(calls), 0) || ' ' || coalesce(sum(total_plan_time), 0) || ' ' || coalesce(sum(total_exec_time), 0)
                  FROM pg_stat_statements WHERE query ~ '$2' AND query !~ 'pg_stat_statements'"
}
reset() { for port in "$@"; do value "$port" "SELECT pg_stat_statements_reset()" >/dev/null; done; }

# bench NAME SIDE PORT CLIENTS: one pgbench run; appends "tps mean_ms p50_ms"
# to $CITUS_DIR/res.NAME.SIDE.CLIENTS
bench() {
    rm -f "$CITUS_DIR"/pglog*
    (cd "$CITUS_DIR" && "$bindir/pgbench" -n -M prepared -p "$3" -c "$4" -j "$(( $4 < 2 ? 1 : 2 ))" -T "$duration" \
        -l --log-prefix=pglog -f "scripts/$1.sql" >pgbench.out 2>&1) || { cat "$CITUS_DIR/pgbench.out"; exit 1; }
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$CITUS_DIR/pgbench.out")
    mean=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$CITUS_DIR/pgbench.out")
    p50=$(cat "$CITUS_DIR"/pglog* | awk '{print $3}' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)] / 1000}')
    echo "$tps $mean $p50" >>"$CITUS_DIR/res.$1.$2.$4"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
col() { awk -v c="$2" '{print $c}' "$1" | median; }

for name in $calls; do
    # warm both (prepared statements, caches, Citus's connections)
    for port in "$single" "$coord"; do
        "$bindir/pgbench" -n -M prepared -p "$port" -c "$clients" -j 2 -T 1 -f "$CITUS_DIR/scripts/$name.sql" >/dev/null 2>&1
    done
    p=$(pattern "$name")
    for round in $(seq "$rounds"); do
        # the breakdown and the connections the workers accepted: one
        # client, no queueing for the CPUs
        reset "$single" "$coord" $workers
        conns0=$(cat "$CITUS_DIR"/n*.log | grep -c "connection authorized.*application_name=citus" || true)
        bench "$name" single "$single" 1
        bench "$name" cluster "$coord" 1
        echo "$(stats "$single" "$p") $(stats "$coord" "$p") $(stats "${workers% *}" "$p") $(stats "${workers#* }" "$p")" \
            "$(( $(cat "$CITUS_DIR"/n*.log | grep -c "connection authorized.*application_name=citus" || true) - conns0 ))" >>"$CITUS_DIR/stats.$name"
        bench "$name" single "$single" "$clients"
        bench "$name" cluster "$coord" "$clients"
    done
done

echo
echo "## Calls: one node vs cluster (pgbench -M prepared, ${duration}s runs, medians of $rounds alternating rounds)"
echo
echo "| call | one node p50 / mean ms (c=1) | cluster p50 / mean ms (c=1) | added per call (p50, c=1) | one node tps (c=$clients) | cluster tps (c=$clients) | ratio |"
echo "|---|---|---|---|---|---|---|"
for name in $calls; do
    s1=$CITUS_DIR/res.$name.single.1 c1=$CITUS_DIR/res.$name.cluster.1
    sn=$CITUS_DIR/res.$name.single.$clients cn=$CITUS_DIR/res.$name.cluster.$clients
    printf '| %s | %.3f / %.3f | %.3f / %.3f | %.0f us | %.0f | %.0f | %.2f |\n' "$name" \
        "$(col "$s1" 3)" "$(col "$s1" 2)" "$(col "$c1" 3)" "$(col "$c1" 2)" \
        "$(echo "($(col "$c1" 3) - $(col "$s1" 3)) * 1000" | bc -l)" \
        "$(col "$sn" 1)" "$(col "$cn" 1)" "$(echo "$(col "$cn" 1) / $(col "$sn" 1)" | bc -l)"
done

# Where the time goes, from pg_stat_statements on every node (mean per
# call, microseconds): on one node, the statement's execution; on the
# cluster, the coordinator's planning and execution (which includes waiting
# for the worker) and the worker's execution of what it was sent.
echo
echo "## Where it goes (pg_stat_statements on every node, one client: mean us per call over the rounds)"
echo
echo "| call | one node: exec | coordinator: plan | coordinator: exec | worker: plan | worker: exec | coordinator exec minus worker plan and exec (the hop) | delegated (worker calls / coordinator calls) | connections the nodes accepted |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in $calls; do
    awk -v name="$name" '
        function per(t, n) { return n > 0 ? t * 1000 / n : 0 }
        { sc += $1; se += $3; cc += $4; cp += $5; ce += $6; wc += $7 + $10; wp += $8 + $11; we += $9 + $12; conns += $13 }
        END {
            printf "| %s | %.0f | %.0f | %.0f | %s | %s | %s | %s | %d |\n", name, per(se, sc), per(cp, cc), per(ce, cc),
                   (wc > 0 ? sprintf("%.0f", per(wp, wc)) : "-"),
                   (wc > 0 ? sprintf("%.0f", per(we, wc)) : "-"),
                   (wc > 0 ? sprintf("%.0f", per(ce, cc) - per(wp + we, wc)) : "-"),
                   (cc > 0 ? sprintf("%.2f", wc / cc) : "-"), conns
        }' "$CITUS_DIR/stats.$name"
done

# The worker's side: team 1's calls sent to the worker that holds it,
# directly (no coordinator), against the same calls on one node and through
# the coordinator.  On the worker, pg_stat_statements also tracks the
# statements inside the functions, to show what the worker spends its time on.
w=$(value "$coord" "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
                      WHERE p.shardid = get_shard_id_for_distribution_column('signals.signals', 1)")
echo
echo "## Team 1's calls on the worker holding it (port $w), directly (one client, ${duration}s, p50 ms)"
echo
echo "| call | one node | through the coordinator | on the worker directly |"
echo "|---|---|---|---|"
for name in noop report_get scratchpad_list emit_signal; do
    sed 's/random(1, [0-9]*)/random(1, 1)/' "$CITUS_DIR/scripts/$name.sql" >"$CITUS_DIR/scripts/$name.1.sql"
    row="| $name"
    for port in "$single" "$coord" "$w"; do
        bench "$name.1" "$port" "$port" 1
        row="$row | $(col "$CITUS_DIR/res.$name.1.$port.1" 3)"
    done
    echo "$row |"
done
reset "$w"
PGOPTIONS="-c pg_stat_statements.track=all" bench report_get.1 track "$w" 1
echo
echo "report_get on the worker directly, once more: the statements it ran (pg_stat_statements.track = all), mean us per call"
echo
echo "| calls | plan | exec | statement |"
echo "|---|---|---|---|"
value "$w" "SELECT '| ' || calls || ' | ' || round((total_plan_time / calls * 1000)::numeric) || ' | '
                   || round((total_exec_time / calls * 1000)::numeric) || ' | '
                   || replace(left(regexp_replace(query, '\s+', ' ', 'g'), 140), '|', '\|') || ' |'
              FROM pg_stat_statements WHERE calls > 10 AND query !~ 'pg_stat_statements'
             ORDER BY total_plan_time + total_exec_time DESC LIMIT 6"

# What the coordinator sends to the workers for one call of each kind
# (citus.log_remote_commands), and the plan of one delegated call (plain
# EXPLAIN: EXPLAIN ANALYZE of a delegated call fails on the worker with
# "cannot execute a distributed query from a query on a shard").
echo
echo "## Evidence: the commands the coordinator sends, one call each (team 1)"
echo
echo '```'
for name in $calls; do
    sql=$(sed -n '$p' "$CITUS_DIR/scripts/$name.sql" | sed 's/:team/1/g; s/:r/42/g')
    echo "$sql"
    q "$coord" -c "SET citus.log_remote_commands = on" -c "SET client_min_messages = log" -o /dev/null -c "$sql" 2>&1 |
        grep -v '^DETAIL' | sed 's/^/    /'
done
q "$coord" -At -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT signals.report_get(1, md5('bench-report-1')::uuid)" | sed 's/^/    /'
echo '```'

# --- grouping throughput ----------------------------------------------------
# The signals the emit runs queued are dropped (their numbers differ between
# the sides), then $queue more are queued and grouped twice on each side:
# by process_pending() (on the cluster it runs on the coordinator, and
# group_pending's queries go to the worker one by one) and by one top-level
# group_pending(team, ...) per team (delegated: it runs on the worker).
for t in $(seq "$teams"); do echo "SELECT signals.group_pending($t, 1000000);"; done >"$CITUS_DIR/per_team.sql"
echo
echo "## Grouping throughput ($queue signals queued over $teams teams, signals/s)"
echo
echo "| how | one node | cluster | ratio |"
echo "|---|---|---|---|"
for how in process_pending per_team; do
    for side in single coord; do
        port=$(eval echo \$$side)
        q "$port" -o /dev/null -c "DELETE FROM signals.signals WHERE grouped_at IS NULL" -c "SELECT bench_queue($queue, $teams)"
        t0=$(date +%s.%N)
        if [ $how = process_pending ]; then
            n=$(value "$port" "SELECT signals.process_pending()")
        else
            n=$(q "$port" -At -f "$CITUS_DIR/per_team.sql" | awk '{s += $1} END {print s}')
        fi
        echo "$n / ($(date +%s.%N) - $t0)" | bc -l >"$CITUS_DIR/rate.$how.$side"
    done
    s=$(cat "$CITUS_DIR/rate.$how.single") c=$(cat "$CITUS_DIR/rate.$how.coord")
    printf '| %s | %.0f | %.0f | %.2f |\n' "$how" "$s" "$c" "$(echo "$c / $s" | bc -l)"
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
