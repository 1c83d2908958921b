# Shared by the benchmark scripts (sourced, from the repository root): start the private services,
# export their settings, and name the benchmark's own database on the same cluster.
#   log MESSAGE / die MESSAGE   progress and fatal errors on stderr (a script may redefine them)
#   require_tools TOOL...  dies naming the first tool that is not installed
#   bench_services        starts the services and sets ADMIN_URL (the cluster's postgres database)
#                         and BENCH_URL (database $BENCH_DB, same credentials and query string)
#   free_port             prints a loopback port nothing listens on
#   bench_binary NAME     the newest kind of build of NAME there is: .build-release/release (what
#                         the README's figures use), then .build/release, then .build/debug
#   recreate_bench_database  drops and creates $BENCH_DB (after bench_services)
#   bench_gateway_env [NAME=VALUE...]  sets the array gateway_env: $BENCH_URL, production mode with
#                         generated secrets, rate limits off, warning logs, loopback, this checkout's
#                         migrations, then the given settings (a later one wins)

# Same cluster and credentials as the dev database, another database name (query string kept).
url_with_database() {
    local url="$1" name="$2" query=""
    if [[ $url == *\?* ]]; then query="?${url#*\?}"; url="${url%%\?*}"; fi
    printf '%s/%s%s\n' "${url%/*}" "$name" "$query"
}

bench_services() {
    scripts/services.sh start >/dev/null
    set -a
    # shellcheck source=/dev/null
    . .data/services.env
    set +a
    ADMIN_URL="$(url_with_database "$DATABASE_URL" postgres)"
    BENCH_URL="$(url_with_database "$DATABASE_URL" "$BENCH_DB")"
}

free_port() {
    local port
    for port in $(shuf -i 20000-29999 -n 100); do
        # A refused connection means nothing listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

bench_binary() {
    local candidate
    for candidate in ".build-release/release/$1" ".build/release/$1"; do
        if [[ -x $candidate ]]; then echo "$candidate"; return 0; fi
    done
    echo ".build/debug/$1"
}

recreate_bench_database() {
    psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" >/dev/null <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE);
CREATE DATABASE $BENCH_DB;
SQL
}

bench_gateway_env() {
    gateway_env=(
        DATABASE_URL="$BENCH_URL"
        ENVIRONMENT=production
        SECRET_KEY="$(openssl rand -hex 48)"
        JWT_SECRET="$(openssl rand -hex 48)"
        REFRESH_TOKEN_HASH_KEY="$(openssl rand -hex 48)"
        JWT_ACCESS_TTL=86400
        RATE_LIMIT_ENABLED=false
        LOG_LEVEL=warning
        MIGRATIONS_DIR="$ROOT/migrations"
        HOST=127.0.0.1
        "$@"
    )
}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is not installed"
    done
}
