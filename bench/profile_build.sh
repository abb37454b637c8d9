#!/bin/sh
# Benchmark: build time of the scout project profile for a team with 1e5
# reports and 100 source configs, on a throwaway cluster.  Prints the
# builder alone (signals.project_profile_build, median of 30 in one session)
# and the whole route with force_refresh=true as the scout token (pgbench,
# one transaction per request: build, insert, prune).
#   PG_CONFIG=$(/work/tools/mkpg NAME) bench/profile_build.sh [reports] [configs]
set -eu
cd "$(dirname "$0")/.."
. scripts/common.sh

reports=${1:-100000}
configs=${2:-100}

ensure_packages $BUILD_PACKAGES
build_and_install

start_throwaway_cluster
bindir=$(pg_bindir)
export PGDATABASE=postgres
psql="$bindir/psql -X -q -v ON_ERROR_STOP=1"

$psql -v reports="$reports" -v configs="$configs" -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION signals CASCADE;
SELECT signals.create_team('Bench', 1);
SELECT signals.create_team('Other', 2);
SELECT signals.set_team_settings(1, ai_processing_approved => true,
                                 product_description => 'A team with many reports',
                                 app_urls => '{https://bench.test}');
-- Enough (product, type) pairs for the configs: the builtin ones and more.
INSERT INTO signals.source_types (source_type)
SELECT 'bench_type_' || g FROM generate_series(1, 10) g;
INSERT INTO signals.source_configs (team_id, source_product, source_type, enabled)
SELECT 1, p.source_product, t.source_type, (row_number() OVER ()) % 3 <> 0
  FROM signals.source_products p CROSS JOIN signals.source_types t
 ORDER BY p.source_product, t.source_type
 LIMIT :configs;
-- Reports of the team over every status, and as many for another team.
INSERT INTO signals.reports (team_id, status, title)
SELECT tm, (ARRAY['potential','candidate','in_progress','pending_input','ready',
                  'resolved','failed','suppressed','deleted'])[1 + g % 9], 'report ' || g
  FROM generate_series(1, :reports) g, (VALUES (1), (2)) teams(tm);
VACUUM ANALYZE;
CREATE TABLE bench_token AS SELECT token FROM signals.create_scout_token(1);
SQL

echo "profile build benchmark: $reports reports, $configs source configs (team 1; team 2 has as many reports)"
$psql <<'SQL'
SELECT (SELECT count(*) FROM signals.reports WHERE team_id = 1) AS reports,
       (SELECT count(*) FROM signals.source_configs WHERE team_id = 1) AS source_configs,
       length(signals.project_profile_build(1)::text) AS payload_bytes;
CREATE TEMP TABLE timing (ms float8);
DO $$
DECLARE
    t0 timestamptz;
BEGIN
    PERFORM signals.project_profile_build(1);
    FOR i IN 1..30 LOOP
        t0 := clock_timestamp();
        PERFORM signals.project_profile_build(1);
        INSERT INTO timing VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
END
$$;
SELECT 'signals.project_profile_build(1)' AS measured,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS median_ms,
       round(min(ms)::numeric, 2) AS min_ms, round(max(ms)::numeric, 2) AS max_ms
  FROM timing;
SQL

cat > "$CLUSTER_DIR/route.sql" <<'SQL'
SELECT status FROM signals.http_handle('GET', '/api/projects/1/signals/scout/project_profile/current/',
    'force_refresh=true',
    '{}', NULL::bytea, 'Bearer ' || (SELECT token FROM bench_token));
SQL
chmod 644 "$CLUSTER_DIR/route.sql"
echo "GET scout/project_profile/current/?force_refresh=true as the scout token (pgbench, 1 client, 200 requests):"
"$bindir/pgbench" -n -c 1 -t 200 -f "$CLUSTER_DIR/route.sql" | grep -E "latency average|tps"
$psql -c "SELECT count(*) AS cached_rows_kept FROM signals.project_profiles WHERE team_id = 1"
echo "cache hit (no force_refresh):"
sed 's/force_refresh=true//' "$CLUSTER_DIR/route.sql" > "$CLUSTER_DIR/hit.sql"
"$bindir/pgbench" -n -c 1 -t 2000 -f "$CLUSTER_DIR/hit.sql" | grep -E "latency average|tps"
