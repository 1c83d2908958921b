#!/usr/bin/env bash
# WebSocket send→deliver latency across two gateway nodes sharing Redis, with the in-process bus of
# a single node as the same-run baseline. Prints a markdown table for the README.
#
#   scripts/bench/ws-latency.sh                                   # the issue's load (≈ 5 minutes)
#   SUBSCRIBERS=400 CHATS=20 RATE=100 DURATION=20 scripts/bench/ws-latency.sh   # a quick run
#
# Environment (defaults in brackets):
#   GATEWAY_BIN   binary to measure [bench_binary in common.sh: .build-release, .build/release, .build/debug]
#   SUBSCRIBERS   sockets, split evenly between the nodes [2000]
#   CHATS         group chats the sockets and messages are spread over [1000: two sockets per
#                 chat, one on each node, so every message crosses Redis to the other node]
#   RATE          messages per second, all sent over HTTP to node A [1000]
#   DURATION      seconds of measured sending per configuration [60]
#   WARMUP        seconds of sending first, delivered and counted but not in the latencies [5]
#   OUT_DIR       gateway logs and results [a new /tmp/bench-ws.*]
#
# What is measured: each message carries the time the benchmark client started its POST; the
# latency is its arrival on a socket minus that time (HTTP request, insert, publish, bus, socket
# write). "node A" sockets sit on the node that took the POST, "node B" sockets on the other one,
# so their figures include the Redis hop to another process. Every socket belongs to one user, so
# only two accounts are created (password hashing stays out of the figures). Also reported: the
# gateway's RSS growth per idle socket, and delivered/expected (every message must reach every
# subscriber of its chat exactly once).
#
# Needs: node (20+, for its WebSocket client), curl, psql, openssl; the dev services
# (scripts/services.sh start is run for you).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=scripts/bench/common.sh
. scripts/bench/common.sh

GATEWAY_BIN="${GATEWAY_BIN:-$(bench_binary gateway)}"
SUBSCRIBERS="${SUBSCRIBERS:-2000}"
CHATS="${CHATS:-1000}"
RATE="${RATE:-1000}"
DURATION="${DURATION:-60}"
WARMUP="${WARMUP:-5}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-ws.XXXXXX)}"
BENCH_DB=bench_ws


require_tools node curl psql openssl
[[ -x $GATEWAY_BIN ]] || die "no gateway binary at $GATEWAY_BIN (swift build --product gateway)"
mkdir -p "$OUT_DIR"
case "$GATEWAY_BIN" in
    */release/*) BUILD_KIND=release ;;
    */debug/*) BUILD_KIND=debug ;;
    *) BUILD_KIND=unknown ;;
esac
# A private copy: a rebuild by someone else mid-run cannot swap the binary.
cp "$GATEWAY_BIN" "$OUT_DIR/gateway"
GATEWAY="$OUT_DIR/gateway"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_services
recreate_bench_database

bench_gateway_env
env "${gateway_env[@]}" "$GATEWAY" migrate >"$OUT_DIR/migrate.log" 2>&1 \
    || { cat "$OUT_DIR/migrate.log" >&2; die "gateway migrate failed"; }

# start_gateway NAME [VAR=value...]: starts a node, waits for /health; sets PORT_<NAME>, PID_<NAME>.
start_gateway() {
    local name="$1" port pid
    shift
    port="$(free_port)" || die "no free loopback port"
    env "${gateway_env[@]}" "$@" PORT="$port" "$GATEWAY" serve >"$OUT_DIR/gateway-$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    await_gateway "http://127.0.0.1:$port/health" "$pid" "$OUT_DIR/gateway-$name.log" "gateway $name"
    printf -v "PORT_$name" '%s' "$port"
    printf -v "PID_$name" '%s' "$pid"
}

stop_gateways() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}

# ---------------------------------------------------------------- fixtures (through node A)
log "setting up users and $CHATS chats (binary: $BUILD_KIND build of $(date -u -r "$GATEWAY_BIN" '+%Y-%m-%d %H:%M UTC'))"
start_gateway setup
SETUP="http://127.0.0.1:$PORT_setup"
for user in alice bob; do
    post "$SETUP" /auth/register "{\"username\":\"$user\",\"email\":\"$user@bench.test\",\"password\":\"bench-password-1\"}" >/dev/null
done
ALICE_TOKEN="$(post "$SETUP" /auth/login '{"username":"alice","password":"bench-password-1"}' | json_field access_token)"
BOB_LOGIN="$(post "$SETUP" /auth/login '{"username":"bob","password":"bench-password-1"}')"
BOB_TOKEN="$(json_field access_token <<<"$BOB_LOGIN")"
BOB_ID="$(json_field user_id <<<"$BOB_LOGIN")"
CHAT_IDS=""
for ((i = 0; i < CHATS; i++)); do
    id="$(post "$SETUP" /chats "{\"type\":\"group\",\"title\":\"bench $i\",\"member_ids\":[$BOB_ID]}" "$ALICE_TOKEN" | json_field id)"
    CHAT_IDS+="${CHAT_IDS:+,}$id"
done
stop_gateways

run_client() {
    local label="$1" a="$2" b="$3" pids="$4"
    log "$label: $SUBSCRIBERS sockets, $RATE msg/s for $DURATION s"
    A_URL="$a" B_URL="$b" ALICE_TOKEN="$ALICE_TOKEN" BOB_TOKEN="$BOB_TOKEN" CHAT_IDS="$CHAT_IDS" \
        SUBSCRIBERS="$SUBSCRIBERS" RATE="$RATE" WARMUP_S="$WARMUP" DURATION_S="$DURATION" PIDS="$pids" LABEL="$label" \
        node --experimental-websocket --no-warnings "$ROOT/scripts/bench/ws-latency.mjs" | tee -a "$OUT_DIR/results.jsonl"
}

# ---------------------------------------------------------------- two nodes on Redis
start_gateway A REDIS_URL="$REDIS_URL"
start_gateway B REDIS_URL="$REDIS_URL"
run_client redis-2-nodes "http://127.0.0.1:$PORT_A" "http://127.0.0.1:$PORT_B" "$PID_A,$PID_B" >/dev/null
curl -fsS "http://127.0.0.1:$PORT_A/metrics" >"$OUT_DIR/metrics-A.txt" || true
curl -fsS "http://127.0.0.1:$PORT_B/metrics" >"$OUT_DIR/metrics-B.txt" || true
grep '^messenger_bus_delivery_lag_seconds' "$OUT_DIR/metrics-B.txt" >"$OUT_DIR/lag-node-b.txt" || true
stop_gateways

# ---------------------------------------------------------------- baseline: one node, in-process bus
start_gateway S
run_client in-process-1-node "http://127.0.0.1:$PORT_S" "http://127.0.0.1:$PORT_S" "$PID_S" >/dev/null
curl -fsS "http://127.0.0.1:$PORT_S/metrics" >"$OUT_DIR/metrics-S.txt" || true
stop_gateways

# ---------------------------------------------------------------- report
{
echo "### WebSocket send→deliver latency ($BUILD_KIND build)"
echo
echo "- load: $SUBSCRIBERS sockets over $CHATS group chats, $RATE messages/s over HTTP to node A for $DURATION s after a $WARMUP s warm-up (delivered and counted, not in the latencies); sender and the receivers of each node in separate processes"
echo "- latency: arrival on a socket minus the start of the POST that created the message (HTTP, insert, publish, bus, socket write); target p99 ≤ 10 ms, 100 % delivered"
echo "- command: \`GATEWAY_BIN=$GATEWAY_BIN SUBSCRIBERS=$SUBSCRIBERS CHATS=$CHATS RATE=$RATE DURATION=$DURATION WARMUP=$WARMUP scripts/bench/ws-latency.sh\`"
echo
node - "$OUT_DIR/results.jsonl" "$OUT_DIR/lag-node-b.txt" <<'JS'
const fs = require("fs");
const [results, lagFile] = process.argv.slice(2);
const runs = fs.readFileSync(results, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const ms = (v) => (v == null ? "–" : v < 10 ? v.toFixed(2) + " ms" : v.toFixed(1) + " ms");
console.log("| configuration | sockets on | p50 | p90 | p99 | max | delivered/expected | duplicates | idle RSS/socket |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of runs) {
  const share = `${r.delivered}/${r.expected} (${((100 * r.delivered) / Math.max(1, r.expected)).toFixed(2)} %)`;
  const rss = r.idle_rss_kb_per_socket.map((k) => k.toFixed(1) + " KB").join(" / ");
  r.per_node.forEach((n, i) => {
    const where = r.nodes === 1 ? "the only node" : i === 0 ? "node A (took the POST)" : "node B (other node)";
    console.log(`| ${r.label}, ${r.achieved_rate.toFixed(0)} msg/s, ${r.chats} chats | ${where} | ${ms(n.p50_ms)} | ${ms(n.p90_ms)} | ${ms(n.p99_ms)} | ${ms(n.max_ms)} | ${i === 0 ? share : ""} | ${i === 0 ? r.duplicates : ""} | ${i === 0 ? rss : ""} |`);
  });
}
// Publish → arrival on node B through Redis, from the gateway's own histogram: the bucket that
// holds each percentile (an upper bound).
const lag = fs.existsSync(lagFile) ? fs.readFileSync(lagFile, "utf8") : "";
const buckets = [...lag.matchAll(/_bucket\{le="([^"]+)"\} (\d+)/g)].map((m) => [m[1], Number(m[2])]);
const count = buckets.length ? buckets[buckets.length - 1][1] : 0;
if (count) {
  const bound = (p) => {
    const hit = buckets.find(([, n]) => n >= (p / 100) * count);
    return hit[0] === "+Inf" ? "> 1 s" : "≤ " + (Number(hit[0]) * 1000).toString() + " ms";
  };
  console.log(`\nnode B, publish → arrival through Redis (messenger_bus_delivery_lag_seconds, ${count} events): ` +
    `p50 ${bound(50)}, p90 ${bound(90)}, p99 ${bound(99)}, max ${bound(100)}`);
}
JS
} | tee "$OUT_DIR/summary.md"
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
log "results: $OUT_DIR/results.jsonl"
