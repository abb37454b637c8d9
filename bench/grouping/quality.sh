#!/bin/sh
# Grouping quality on the labelled corpus through the real SQL path.
# Uses the server in PGHOST/PGPORT when set (extension installed); otherwise
# builds, installs and starts a throwaway cluster.  Arguments go to quality.py
# (e.g. --seeds 5 --baseline --compare-batch 1).
set -eu
cd "$(dirname "$0")/../.."
. scripts/common.sh
if [ -z "${PGHOST:-}" ]; then
    build_and_install
    start_throwaway_cluster
    psql -X -q -c "CREATE EXTENSION signals CASCADE"
fi
python3 bench/grouping/quality.py "$@"
