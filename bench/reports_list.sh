#!/bin/sh
# Benchmark: GET reports/ latency through signals.http_handle with 1e5
# reports in one team, for the default ordering, each filter, search and
# other orderings.  Prints p50 and p99 per scenario (pgbench, one client,
# per-transaction log).
#   bench/reports_list.sh [reports] [requests per scenario]
set -eu
cd "$(dirname "$0")/.."
. scripts/common.sh

reports=${1:-100000}
requests=${2:-400}

ensure_packages $BUILD_PACKAGES
build_and_install
start_throwaway_cluster
bindir=$(pg_bindir)
export PGDATABASE=postgres
psql="$bindir/psql -X -q -v ON_ERROR_STOP=1"

$psql -v reports="$reports" -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('Bench', 1);
SELECT signals.create_team('Other', 2);
SELECT signals.create_user('viewer@bench.test');
SELECT signals.add_team_member(1, (SELECT user_id FROM signals.users));
CREATE TABLE bench_words AS
SELECT w, row_number() OVER () AS n
  FROM unnest(string_to_array(
    'checkout cart payment invoice login signup export import search filter dashboard chart ' ||
    'webhook billing refund coupon session replay recording heatmap funnel cohort retention ' ||
    'insight query timeout latency crash error exception memory leak spike drop regression ' ||
    'mobile android ios safari chrome firefox upload download email notification slack ' ||
    'integration github linear zendesk sso saml oauth token permission role team project', ' ')) w;
-- A realistic inbox: mostly potential reports, some in every other state.
INSERT INTO signals.reports (team_id, title, summary, status, total_weight, signal_count,
                             source_products, suggested_reviewers, created_at, updated_at)
SELECT t,
       initcap(w1.w) || ' ' || w2.w || ' fails for ' || w3.w || ' users #' || i,
       'Users report that ' || w2.w || ' ' || w3.w || ' breaks after ' || w1.w || ' changes (' || i || ').',
       CASE WHEN r < 0.60 THEN 'potential' WHEN r < 0.65 THEN 'candidate' WHEN r < 0.67 THEN 'in_progress'
            WHEN r < 0.70 THEN 'pending_input' WHEN r < 0.85 THEN 'ready' WHEN r < 0.95 THEN 'resolved'
            WHEN r < 0.97 THEN 'failed' ELSE 'suppressed' END,
       round((random() * 5)::numeric, 2), 1 + (random() * 30)::int,
       CASE i % 6 WHEN 0 THEN '{error_tracking}'::text[] WHEN 1 THEN '{session_replay}'
                  WHEN 2 THEN '{github,linear}' WHEN 3 THEN '{zendesk}'
                  WHEN 4 THEN '{error_tracking,zendesk}' ELSE '{llm_analytics}' END,
       CASE WHEN i % 20 = 0 THEN ARRAY[(SELECT user_id FROM signals.users)] ELSE '{}' END,
       now() - (i || ' minutes')::interval, now() - ((i * 7919) % 100000 || ' seconds')::interval
  FROM generate_series(1, :reports) i
  CROSS JOIN LATERAL (SELECT random() + 0 * i AS r) rr
  JOIN bench_words w1 ON w1.n = 1 + i % 60
  JOIN bench_words w2 ON w2.n = 1 + (i / 60) % 60
  JOIN bench_words w3 ON w3.n = 1 + (i / 3600) % 60
  CROSS JOIN (VALUES (1)) tm(t);
UPDATE signals.reports SET priority = (ARRAY['P0','P1','P2','P3','P4'])[1 + (abs(hashtext(id::text)) % 5)],
                           actionability = CASE WHEN abs(hashtext(id::text)) % 7 = 0 THEN 'not_actionable'
                                                ELSE 'immediately_actionable' END
 WHERE status IN ('ready', 'pending_input', 'resolved');
INSERT INTO signals.reports (team_id, title, status) SELECT 2, 'other team ' || i, 'potential' FROM generate_series(1, 10000) i;
VACUUM ANALYZE signals.reports;
CREATE TABLE bench_key AS
SELECT token FROM signals.create_personal_key((SELECT user_id FROM signals.users), '{*}');
SQL

token=$($psql -t -A -c "SELECT token FROM bench_key")
viewer=$($psql -t -A -c "SELECT user_id FROM signals.users")
echo "GET reports/ through signals.http_handle, $reports reports in the team, $requests requests per scenario"
printf '%-40s %10s %10s %8s\n' scenario p50_ms p99_ms count

run() {
    name=$1
    query=$2
    cat > "$CLUSTER_DIR/list.sql" <<EOF
SELECT status FROM signals.http_handle('GET', '/api/projects/1/signals/reports/', '$query',
    '{"host": "bench.test"}', NULL::bytea, 'Bearer $token');
EOF
    count=$($psql -t -A -c "SELECT (body::jsonb ->> 'count') || ' ' || status FROM signals.http_handle('GET', '/api/projects/1/signals/reports/', '$query', '{}', NULL::bytea, 'Bearer $token')")
    rm -f "$CLUSTER_DIR"/pgbench_log.*
    (cd "$CLUSTER_DIR" && "$bindir/pgbench" -n -M prepared -c 1 -t "$requests" -l -f list.sql >/dev/null 2>&1)
    cat "$CLUSTER_DIR"/pgbench_log.* | awk '{print $3}' | sort -n | awk -v name="$name" -v count="$count" '
        { v[NR] = $1 }
        END { printf "%-40s %10.2f %10.2f %8s\n", name, v[int(NR * 0.50)] / 1000, v[int(NR * 0.99)] / 1000, count }'
}

run "default ordering" ""
run "status=ready" "status=ready"
run "status=potential,candidate" "status=potential,candidate"
run "status=suppressed" "status=suppressed"
run "search=webhook (rare word)" "search=webhook"
run "search=fails (every title)" "search=fails"
run "search=#4242 (a dozen reports)" "search=%234242"
run "source_product=github" "source_product=github"
run "suggested_reviewers=<viewer>" "suggested_reviewers=$viewer"
run "ordering=-total_weight" "ordering=-total_weight"
run "ordering=priority" "ordering=priority"
run "ordering=-created_at" "ordering=-created_at"
run "default ordering, offset=5000" "offset=5000"
run "status+search+source_product" "status=ready&search=crash&source_product=zendesk"
