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
    bindir=$(pg_bindir)
    tmp=$(mktemp -d /tmp/signals-quality.XXXXXX)
    chmod 755 "$tmp"; as_root chown postgres "$tmp"
    port=$((20000 + $$ % 20000))
    trap 'as_postgres "$bindir/pg_ctl" -D "$tmp/data" -m fast stop >/dev/null 2>&1 || true; as_root rm -rf "$tmp"' EXIT INT TERM
    as_postgres "$bindir/initdb" -D "$tmp/data" -U postgres -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
    printf "listen_addresses = ''\nunix_socket_directories = '%s'\nport = %s\nshared_preload_libraries = 'signals'\n" \
        "$tmp" "$port" | as_postgres tee -a "$tmp/data/postgresql.conf" >/dev/null
    as_postgres "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w start >/dev/null
    export PGHOST="$tmp" PGPORT="$port" PGUSER=postgres
    psql -X -q -c "CREATE EXTENSION signals CASCADE"
fi
exec python3 bench/grouping/quality.py "$@"
