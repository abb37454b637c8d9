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

BUILD_PACKAGES="make gcc postgresql-15 postgresql-contrib postgresql-server-dev-15 libpq-dev libmicrohttpd-dev"

# Build and install the extension (and the gateway).
build_and_install() {
    make -s
    as_root make -s install PG_CONFIG="$PG_CONFIG"
}

pg_bindir() {
    "$PG_CONFIG" --bindir
}
