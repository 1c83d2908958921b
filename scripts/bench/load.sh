#!/usr/bin/env bash
# WebSocket load test: N clients hold sockets spread over NODES gateways that share one Redis and
# one PostgreSQL, M senders post messages at RATE per second each for DURATION seconds, and every
# stored message must reach every subscribed member of its room on whichever node its socket is.
# Prints delivered/expected (must be 100 %), send->deliver latency percentiles, errors by kind,
# and each gateway's CPU and peak RSS, as markdown (also in $OUT_DIR/summary.md, figures in
# $OUT_DIR/result.json). Exit status 0 only when every expected delivery arrived.
#
#   scripts/bench/load.sh                                     # 2 nodes, 200 clients, 20 senders, 30 s
#   NODES=1 CLIENTS=50 SENDERS=5 DURATION=10 scripts/bench/load.sh   # quick, single node
#
# Environment (defaults in brackets):
#   GATEWAY_BIN  binary [bench_binary in common.sh: .build-release, .build/release, .build/debug]
#   NODES [2]  CLIENTS (N) [200]  SENDERS (M) [20]  ROOMS [10]  DURATION (T, seconds) [30]
#   RATE         messages per second per sender [2]
#   DRAIN        seconds to wait for late deliveries after sending stops [15]
#   DB_POOL_SIZE per gateway [10]
#   OUT_DIR      outputs (gateway logs, plan, result.json, summary.md) [a new /tmp/bench-load.*]
#
# Clients and senders are spread over the rooms (group chats) round robin; each room's clients
# alternate over the nodes and sender j posts to node j mod NODES, so with two nodes half of all
# deliveries cross nodes through Redis (the fan-out of branch `realtime`; without it, cross-node
# deliveries are missing and the run fails, as it should). Accounts and rooms are written with SQL
# into a private database `bench_load`; tokens are minted by the load generator with the
# gateways' JWT secret (no logins). Latency is measured from just before the POST to the socket's
# receipt, in the one load-generator process. Everything runs on 127.0.0.1, on the same cores as
# the gateways and PostgreSQL, so the load generator's CPU is reported too.
#
# Needs: psql, curl, openssl, python3 with python3-websockets (installed with apt-get when missing
# and run as root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=scripts/bench/common.sh
. scripts/bench/common.sh

GATEWAY_BIN="${GATEWAY_BIN:-$(bench_binary gateway)}"
NODES="${NODES:-2}"
CLIENTS="${CLIENTS:-200}"
SENDERS="${SENDERS:-20}"
ROOMS="${ROOMS:-10}"
DURATION="${DURATION:-30}"
RATE="${RATE:-2}"
DRAIN="${DRAIN:-15}"
DB_POOL_SIZE="${DB_POOL_SIZE:-10}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-load.XXXXXX)}"
BENCH_DB=bench_load
PYTHON=/usr/bin/python3

log() { printf '[load] %s\n' "$*" >&2; }
die() { printf '[load] ERROR: %s\n' "$*" >&2; exit 1; }

for value in NODES CLIENTS SENDERS ROOMS DURATION DRAIN; do
    [[ ${!value} =~ ^[1-9][0-9]*$ ]] || die "$value must be a positive integer"
done
[[ $RATE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "RATE must be a number"
((ROOMS <= CLIENTS && ROOMS <= SENDERS)) || die "every room needs a client and a sender (ROOMS <= CLIENTS, SENDERS)"
require_tools psql curl openssl
[[ -x $GATEWAY_BIN ]] || die "no gateway binary at $GATEWAY_BIN"
if ! "$PYTHON" -c 'import websockets' 2>/dev/null; then
    [[ $EUID -eq 0 ]] || die "python3-websockets is missing (sudo apt-get install python3-websockets)"
    log "installing python3-websockets"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-websockets >/dev/null \
        || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-websockets >/dev/null; }
fi
mkdir -p "$OUT_DIR"

case "$GATEWAY_BIN" in
    */release/*) BUILD_KIND=release ;;
    */debug/*) BUILD_KIND=DEBUG ;;
    *) BUILD_KIND=unknown ;;
esac
# A private copy: others may rebuild the binary during the run.
cp "$GATEWAY_BIN" "$OUT_DIR/gateway"
GATEWAY="$OUT_DIR/gateway"

PIDS=()
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    local status=$? pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -f "$GATEWAY"
    log "outputs: $OUT_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- services and data

bench_services

log "creating database $BENCH_DB"
recreate_bench_database

JWT_SECRET="$(openssl rand -hex 48)"
bench_gateway_env \
    REDIS_URL="$REDIS_URL" \
    S3_ENDPOINT="$S3_ENDPOINT" S3_ACCESS_KEY="$S3_ACCESS_KEY" S3_SECRET_KEY="$S3_SECRET_KEY" S3_REGION="$S3_REGION" \
    JWT_SECRET="$JWT_SECRET" \
    DB_POOL_SIZE="$DB_POOL_SIZE"
env "${gateway_env[@]}" "$GATEWAY" migrate >"$OUT_DIR/migrate.log" 2>&1 \
    || { cat "$OUT_DIR/migrate.log" >&2; die "gateway migrate failed"; }

# Accounts with an unusable password hash (nobody logs in: tokens are minted), rooms as group
# chats, members round robin. The plan lists user, role and room for the load generator.
log "seeding $CLIENTS clients and $SENDERS senders in $ROOMS rooms"
psql -X -q -v ON_ERROR_STOP=1 "$BENCH_URL" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE TABLE load_plan (user_id bigint PRIMARY KEY, role text NOT NULL, room int NOT NULL, chat_id bigint);
INSERT INTO users (username, email, password_hash, display_name)
SELECT 'load' || i, 'load' || i || '@bench.invalid', '!', 'Load ' || i FROM generate_series(1, $CLIENTS + $SENDERS) AS i;
INSERT INTO load_plan (user_id, role, room)
SELECT u.id, CASE WHEN n <= $CLIENTS THEN 'client' ELSE 'sender' END,
       CASE WHEN n <= $CLIENTS THEN (n - 1) % $ROOMS ELSE (n - $CLIENTS - 1) % $ROOMS END
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE username LIKE 'load%') AS u;
WITH rooms AS (
    INSERT INTO chats (type, name, title, owner_id)
    SELECT 'group', 'load room ' || r, 'load room ' || r,
           (SELECT min(user_id) FROM load_plan WHERE room = r AND role = 'sender')
    FROM generate_series(0, $ROOMS - 1) AS r
    RETURNING id, owner_id
)
UPDATE load_plan p SET chat_id = rooms.id
FROM rooms JOIN load_plan o ON o.user_id = rooms.owner_id
WHERE p.room = o.room;
INSERT INTO chat_members (chat_id, user_id, role)
SELECT chat_id, user_id, CASE WHEN user_id = (SELECT owner_id FROM chats WHERE id = chat_id) THEN 'owner' ELSE 'member' END
FROM load_plan;
SQL
psql -X -qtA -F $'\t' "$BENCH_URL" -c "SELECT user_id, role, chat_id FROM load_plan ORDER BY role, user_id" >"$OUT_DIR/plan.tsv"

# ---------------------------------------------------------------- gateways

URLS=()
for ((node = 1; node <= NODES; node++)); do
    port="$(free_port)" || die "no free loopback port"
    env "${gateway_env[@]}" PORT="$port" "$GATEWAY" serve --shutdown-grace-seconds 2 >"$OUT_DIR/gateway-$node.log" 2>&1 &
    PIDS+=($!)
    URLS+=("http://127.0.0.1:$port")
done
for ((node = 0; node < NODES; node++)); do
    await_gateway "${URLS[node]}/health/ready" "${PIDS[node]}" "$OUT_DIR/gateway-$((node + 1)).log" "gateway $((node + 1))"
done
log "gateways: ${URLS[*]} ($BUILD_KIND build of $GATEWAY_BIN)"

# ---------------------------------------------------------------- load

status=0
LOAD_JWT_SECRET="$JWT_SECRET" "$PYTHON" "$ROOT/scripts/bench/ws_load.py" \
    --nodes "$(IFS=,; echo "${URLS[*]}")" --plan "$OUT_DIR/plan.tsv" --duration "$DURATION" --rate "$RATE" \
    --drain "$DRAIN" --pids "$(IFS=,; echo "${PIDS[*]}")" --json "$OUT_DIR/result.json" >"$OUT_DIR/load.md" || status=$?

for ((node = 0; node < NODES; node++)); do
    kill -0 "${PIDS[node]}" 2>/dev/null || { status=1; log "gateway $((node + 1)) died during the run"; }
done

cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
{
    echo "### WebSocket fan-out load ($BUILD_KIND build)"
    echo
    echo "- $NODES gateway node(s) sharing one PostgreSQL and one Redis on $(nproc) × $cpu_model (gateways, PostgreSQL, Redis and the load generator on the same cores)"
    echo "- $CLIENTS sockets in $ROOMS rooms, $SENDERS senders × $RATE msg/s for $DURATION s; latency = POST sent → event received"
    echo "- command: \`GATEWAY_BIN=$GATEWAY_BIN NODES=$NODES CLIENTS=$CLIENTS SENDERS=$SENDERS ROOMS=$ROOMS DURATION=$DURATION RATE=$RATE scripts/bench/load.sh\`"
    echo
    cat "$OUT_DIR/load.md"
    if ((status != 0)); then
        echo
        echo "**Incomplete: not every expected delivery arrived, or a socket or gateway failed (exit status $status).**"
    fi
} | tee "$OUT_DIR/summary.md"
exit "$status"
