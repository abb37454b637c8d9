#!/bin/sh
# Grouping throughput through the SQL path with 1e4, 1e5 and 1e6 signals
# already stored.  Uses the server in PGHOST/PGPORT when set (the extension
# must be installed there); otherwise builds, installs and starts a throwaway
# cluster like scripts/test does.
#   PG_CONFIG=... bench/grouping/bench.sh [levels...]   (default: 10000 100000 1000000)
set -eu
cd "$(dirname "$0")/../.."
. scripts/common.sh
levels=${*:-"10000 100000 1000000"}
measure=${MEASURE:-20000}

if [ -z "${PGHOST:-}" ]; then
    build_and_install
    start_throwaway_cluster "shared_buffers = 2GB
max_wal_size = 16GB
checkpoint_timeout = 30min"
    psql -X -q -c "CREATE EXTENSION signals CASCADE"
fi

# the corpus texts, as bench_corpus(i, product, type, text)
python3 - <<'PY' | psql -X -q
import sys
sys.path.insert(0, "bench/grouping")
import quality
sigs = quality.load_corpus("bench/grouping/corpus.txt")
print("DROP TABLE IF EXISTS bench_corpus; CREATE TABLE bench_corpus (i int PRIMARY KEY, product text, type text, text text);")
print("COPY bench_corpus FROM stdin;")
esc = lambda s: s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
for i, s in enumerate(sigs, 1):
    print("%d\t%s\t%s\t%s" % (i, s["product"], s["type"], esc(s["text"])))
print("\\.")
PY

[ -n "${BENCH_CORPUS_ONLY:-}" ] && exit 0

team=${TEAM:-9001}
psql -X -q -c "DELETE FROM signals.teams WHERE team_id = $team" -c "SELECT signals.grouping_prune($team)" >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr); $(date -u +%Y-%m-%d)"
for n in $levels; do
    psql -X -q -v stored="$n" -v measure="$measure" -v team="$team" -f bench/grouping/bench.sql
done
