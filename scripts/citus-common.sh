# Shared by scripts/citus-test and bench/citus.sh: Citus built once per
# machine from ../shared/vendor/, a private PostgreSQL copy with Citus and
# signals installed, and a coordinator with two workers on this machine.
# Source after scripts/common.sh.

CITUS_VENDOR=${CITUS_VENDOR:-$(pwd)/../shared/vendor}   # callers cd to the project root
CITUS_TARBALL=$CITUS_VENDOR/citus-13.2.2.tar.gz
CITUS_PATCH=$CITUS_VENDOR/citus-13.2.2-pg15.20.patch
CITUS_CACHE_ROOT=${CITUS_CACHE_ROOT:-/var/cache/signals-citus}
CITUS_PACKAGES="liblz4-dev libzstd-dev libkrb5-dev patch"   # libkrb5-dev: the server headers include gssapi.h

# The cache key: what the build depends on (the sources and the server's
# exact version, whose headers it compiled against).
citus_cache_key() {
    {
        sha256sum "$CITUS_TARBALL" "$CITUS_PATCH" | cut -d' ' -f1
        /usr/lib/postgresql/15/bin/pg_config --version
    } | sha256sum | cut -c1-16
}

# Build Citus against the system's server headers and stage its installed
# files in $CITUS_STAGE (a DESTDIR tree), once per key.  A half-finished
# build leaves no "done" mark and is redone.
ensure_citus_built() {
    ensure_packages $BUILD_PACKAGES $CITUS_PACKAGES
    CITUS_STAGE=$CITUS_CACHE_ROOT/$(citus_cache_key)
    [ -f "$CITUS_STAGE/done" ] && return 0
    echo "building Citus into $CITUS_STAGE (once per machine; about 5 minutes)"
    as_root rm -rf "$CITUS_STAGE"
    as_root mkdir -p "$CITUS_STAGE"
    src=$(mktemp -d /tmp/signals-citus-build.XXXXXX)
    tar xzf "$CITUS_TARBALL" -C "$src"
    (
        cd "$src/citus-13.2.2" || exit 1
        patch -s -p1 < "$CITUS_PATCH" || exit 1
        PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config ./configure --without-libcurl >"$src/configure.log" 2>&1 ||
            { tail -n 30 "$src/configure.log"; exit 1; }
        make -s -j"$(nproc)" >"$src/make.log" 2>&1 || { tail -n 30 "$src/make.log"; exit 1; }
        as_root make -s install DESTDIR="$CITUS_STAGE/root" >/dev/null || exit 1
    ) || { rm -rf "$src"; return 1; }
    rm -rf "$src"
    as_root touch "$CITUS_STAGE/done"
}

# A private copy of the system's PostgreSQL (as /usr/local/bin/private-pg
# makes one) at $1, with Citus installed into it; sets PG_CONFIG to it.
make_citus_pg_copy() {
    r=$1
    if [ ! -x "$r/usr/lib/postgresql/15/bin/pg_config" ]; then
        as_root mkdir -p "$r/usr/lib/postgresql" "$r/usr/share/postgresql" "$r/usr/include/postgresql" \
            "$r/usr/lib/x86_64-linux-gnu"
        as_root cp -a /usr/lib/postgresql/15 "$r/usr/lib/postgresql/"
        as_root cp -a /usr/share/postgresql/15 "$r/usr/share/postgresql/"
        as_root cp -a /usr/include/postgresql/15 "$r/usr/include/postgresql/"
        for f in /usr/include/postgresql/*; do
            [ -e "$r/usr/include/postgresql/$(basename "$f")" ] || as_root ln -s "$f" "$r/usr/include/postgresql/"
        done
        as_root sh -c "ln -sf /usr/lib/x86_64-linux-gnu/libpq.so* '$r/usr/lib/x86_64-linux-gnu/'"
    fi
    PG_CONFIG=$r/usr/lib/postgresql/15/bin/pg_config
    as_root cp -a "$CITUS_STAGE/root/usr/lib/postgresql/15/lib/." "$("$PG_CONFIG" --pkglibdir)/"
    as_root cp -a "$CITUS_STAGE/root/usr/share/postgresql/15/extension/." "$("$PG_CONFIG" --sharedir)/extension/"
}

# A directory for this run (the PostgreSQL copy, the nodes' data, sockets
# and logs), removed with everything in it when the calling script exits.
make_citus_dir() {
    CITUS_DIR=$(mktemp -d /tmp/signals-citus.XXXXXX)
    chmod 1777 "$CITUS_DIR"
    CITUS_PORTS=""
    trap stop_citus_cluster EXIT INT TERM
}

# Start a coordinator and two workers in $CITUS_DIR (as the postgres OS
# user, on TCP ports of 127.0.0.1 so the nodes reach each other), all with
# Citus and signals preloaded.  Sets CITUS_PORTS ("coordinator w1 w2"), and
# PGHOST, PGPORT and PGUSER for the coordinator.  The first argument adds
# postgresql.conf lines to every node.
start_citus_cluster() {
    bindir=$(pg_bindir)
    base=$((20000 + $$ % 20000))
    CITUS_PORTS="$base $((base + 1)) $((base + 2))"
    for port in $CITUS_PORTS; do
        as_postgres "$bindir/initdb" -D "$CITUS_DIR/n$port" -U postgres -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
        cat <<CONF | as_postgres tee -a "$CITUS_DIR/n$port/postgresql.conf" >/dev/null
listen_addresses = '127.0.0.1'
unix_socket_directories = '$CITUS_DIR'
port = $port
shared_preload_libraries = 'citus,signals'
fsync = off
max_prepared_transactions = 100
max_worker_processes = 64          # Citus runs a maintenance daemon per database
wal_level = logical
citus.log_remote_commands = off
${1:-}
CONF
        as_postgres "$bindir/pg_ctl" -D "$CITUS_DIR/n$port" -l "$CITUS_DIR/n$port.log" -w start >/dev/null
    done
    export PGHOST="$CITUS_DIR" PGPORT="$base" PGUSER=postgres
}

stop_citus_cluster() {
    for port in $CITUS_PORTS; do
        as_postgres "$(pg_bindir)/pg_ctl" -D "$CITUS_DIR/n$port" -m immediate stop >/dev/null 2>&1 || true
    done
    [ -n "${CITUS_KEEP:-}" ] || as_root rm -rf "$CITUS_DIR"
}
