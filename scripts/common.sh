# Shared by scripts/up and scripts/test: privilege helpers, packages, paths.
# Works as root (CI) and as a user who can sudo.

PG_CONFIG=${PG_CONFIG:-pg_config}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# Install the Debian packages that are missing (a no-op when all are there).
ensure_packages() {
    missing=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' ||
            missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    echo "installing:$missing"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

BUILD_PACKAGES="make gcc scowl postgresql-15 postgresql-contrib postgresql-server-dev-15 libpq-dev"

# Build and install the extension (and the gateway).  The tests build with
# warnings as errors (STRICT=1); the shipped Makefile does not.
build_and_install() {
    if [ "${STRICT:-0}" = 1 ]; then
        make -s -C gateway PG_CONFIG="$PG_CONFIG" CFLAGS="-O2 -g -Werror"
        make -s PG_CFLAGS="-Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror"
    else
        make -s
    fi
    as_root make -s install PG_CONFIG="$PG_CONFIG"
}

pg_bindir() {
    "$PG_CONFIG" --bindir
}

# Start a throwaway cluster as the postgres OS user, with the library
# preloaded and any extra postgresql.conf lines given as the first argument.
# Exports PGHOST, PGPORT and PGUSER, sets CLUSTER_DIR, and removes the
# cluster when the calling script exits.
start_throwaway_cluster() {
    bindir=$(pg_bindir)
    CLUSTER_DIR=$(mktemp -d /tmp/signals-cluster.XXXXXX)
    # The server (as postgres) puts its data, socket and log here, and the
    # tests (as the invoking user) their scratch files.
    chmod 1777 "$CLUSTER_DIR"
    port=$((20000 + $$ % 20000))
    trap stop_throwaway_cluster EXIT INT TERM
    as_postgres "$bindir/initdb" -D "$CLUSTER_DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
    cat <<CONF | as_postgres tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR'
port = $port
shared_preload_libraries = 'signals'
fsync = off
${1:-}
CONF
    as_postgres "$bindir/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null
    export PGHOST="$CLUSTER_DIR" PGPORT="$port" PGUSER=postgres
}

stop_throwaway_cluster() {
    as_postgres "$(pg_bindir)/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    as_root rm -rf "$CLUSTER_DIR"
}
