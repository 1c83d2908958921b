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

# The benchmark's database, dropped in a script's cleanup (errors ignored: it may not exist yet).
drop_bench_database() {
    psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true
}

# await_gateway URL PID LOG NAME: waits up to 60 s until URL answers; dies with the tail of LOG if
# the process PID exits first.
await_gateway() {
    local url="$1" pid="$2" log_file="$3" name="$4" deadline=$((SECONDS + 60))
    until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log_file" >&2; die "$name exited during startup"; }
        ((SECONDS < deadline)) || die "$name did not answer $url within 60 s"
        sleep 0.2
    done
}

# post BASE PATH BODY [TOKEN] -> response body on stdout (fails on a non-2xx status).
post() {
    local args=(-fsS --max-time 60 -X POST -H 'Content-Type: application/json' --data-binary "$3")
    if [[ -n ${4:-} ]]; then args+=(-H "Authorization: Bearer $4"); fi
    curl "${args[@]}" "$1$2"
}

# A string or number field of the JSON object on stdin (no jq needed).
json_field() { sed -n "s/.*\"$1\" *: *\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1; }

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is not installed"
    done
}
