#!/bin/sh
# Grouping state per team at 10, 1,000 and 100,000 signals (storage.sql), in
# the server in PGHOST/PGPORT (extension installed) or a throwaway cluster.
#   PG_CONFIG=... bench/grouping/storage.sh [sizes...]
set -eu
cd "$(dirname "$0")/../.."
. scripts/common.sh
sizes=${*:-"10 1000 100000"}
if [ -z "${PGHOST:-}" ]; then
    build_and_install
    start_throwaway_cluster
    psql -X -q -c "CREATE EXTENSION signals CASCADE"
fi
BENCH_CORPUS_ONLY=1 sh bench/grouping/bench.sh
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr); $(date -u +%Y-%m-%d)"
team=9100
for n in $sizes; do
    team=$((team + 1))
    psql -X -q -c "DELETE FROM signals.teams WHERE team_id = $team" >/dev/null
    psql -X -q -v stored="$n" -v team="$team" -f bench/grouping/storage.sql | tail -n 3 | head -n 1
    psql -X -q -c "DELETE FROM signals.teams WHERE team_id = $team" -c "SELECT signals.grouping_prune($team)" >/dev/null
done
