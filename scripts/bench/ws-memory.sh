#!/usr/bin/env bash
# Gateway memory per idle WebSocket connection (issue #4: ≤ 16 KB at 10,000 sockets): one gateway,
# SOCKETS sockets authenticated and subscribed to one chat each, left idle. Prints the RSS before,
# with the sockets open, and after closing them, and the growth per socket, as markdown.
#
#   scripts/bench/ws-memory.sh
#   SOCKETS=1000 MODE=open scripts/bench/ws-memory.sh             # upgraded only, for comparison
#   GATEWAY_ENV="MALLOC_ARENA_MAX=8" TRIM_PROBE=1 scripts/bench/ws-memory.sh
#
# Environment (defaults in brackets):
#   GATEWAY_BIN   binary to measure [bench_binary in common.sh: .build-release, .build/release, .build/debug]
#   SOCKETS       idle sockets [10000; 1000 with QUICK=1]
#   BATCH         sockets opened concurrently [200]
#   WARMUP        sockets opened and closed before the baseline is read [200]
#   CHATS         chats the sockets are spread over, one each [10]
#   MODE          subscribed (auth by ?token= and one subscribe) | auth (no subscribe) | open
#                 (upgraded only; the server closes these after its 10 s auth timeout, so keep
#                 SOCKETS small) [subscribed]
#   BUS           redis (REDIS_URL of the dev services, as in production) | in-process [redis]
#   GATEWAY_ENV   extra VAR=value words for the gateway, e.g. "MALLOC_ARENA_MAX=8" []
#   TRIM_PROBE=1  also call malloc_trim(0) in the gateway (through gdb) after each reading: the
#                 difference is free memory glibc kept, not memory in use
#   OUT_DIR       gateway log, result.json, summary.md [a new /tmp/bench-ws-memory.*]
#
# The RSS is the kernel's VmRSS of the gateway process (/proc/PID/status), read once it has moved
# by less than 256 KB over 2 s. "per socket" = (RSS with the sockets open − RSS before) / SOCKETS.
# One user owns every socket (password hashing stays out of the run, and presence counts one user),
# so per-user state is not in the figure; per-chat state is spread over SOCKETS / CHATS sockets.
# The client is one node process (20+, for its WebSocket client); the file-descriptor limit is
# raised to the hard limit for both processes and checked against SOCKETS.
#
# Needs: node 20+, curl, psql, openssl (gdb for TRIM_PROBE); the dev services (started for you).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=scripts/bench/common.sh
. scripts/bench/common.sh

GATEWAY_BIN="${GATEWAY_BIN:-$(bench_binary gateway)}"
if [[ ${QUICK:-0} == 1 ]]; then SOCKETS="${SOCKETS:-1000}"; fi
SOCKETS="${SOCKETS:-10000}"
BATCH="${BATCH:-200}"
WARMUP="${WARMUP:-200}"
CHATS="${CHATS:-10}"
MODE="${MODE:-subscribed}"
BUS="${BUS:-redis}"
GATEWAY_ENV="${GATEWAY_ENV:-}"
TRIM_PROBE="${TRIM_PROBE:-0}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-ws-memory.XXXXXX)}"
BENCH_DB=bench_ws_memory


require_tools node curl psql openssl
[[ $TRIM_PROBE != 1 ]] || command -v gdb >/dev/null || die "TRIM_PROBE=1 needs gdb"
[[ -x $GATEWAY_BIN ]] || die "no gateway binary at $GATEWAY_BIN (swift build -c release --product gateway)"
[[ $SOCKETS =~ ^[0-9]+$ ]] && ((SOCKETS >= 1)) || die "SOCKETS must be a positive integer"
[[ $MODE == subscribed || $MODE == auth || $MODE == open ]] || die "MODE must be subscribed, auth or open"
[[ $BUS == redis || $BUS == in-process ]] || die "BUS must be redis or in-process"
case "$GATEWAY_BIN" in
    *release*) BUILD_KIND=release ;;
    *debug*) BUILD_KIND=debug ;;
    *) BUILD_KIND=unknown ;;
esac
mkdir -p "$OUT_DIR"
# A private copy: a rebuild by someone else mid-run cannot swap the binary.
cp "$GATEWAY_BIN" "$OUT_DIR/gateway"
GATEWAY="$OUT_DIR/gateway"

# Each side holds one descriptor per socket plus its own (the gateway's pools, node's internals).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= SOCKETS + 1000)) || die "open-file limit $(ulimit -n) is too low for $SOCKETS sockets (raise the hard limit)"
read -r port_low port_high </proc/sys/net/ipv4/ip_local_port_range
((port_high - port_low > SOCKETS + WARMUP + 1000)) || die "ephemeral port range $port_low-$port_high is too small for $SOCKETS sockets"

GATEWAY_PID=""
cleanup() {
    local status=$?
    if [[ -n $GATEWAY_PID ]]; then
        kill -TERM "$GATEWAY_PID" 2>/dev/null || true
        wait "$GATEWAY_PID" 2>/dev/null || true
    fi
    if [[ -n ${ADMIN_URL:-} ]]; then drop_bench_database; fi
    log "outputs: $OUT_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_services
recreate_bench_database

bench_gateway_env
if [[ $BUS == redis ]]; then gateway_env+=(REDIS_URL="$REDIS_URL"); fi
read -r -a extra_env <<<"$GATEWAY_ENV"

env "${gateway_env[@]}" "$GATEWAY" migrate >"$OUT_DIR/migrate.log" 2>&1 \
    || { cat "$OUT_DIR/migrate.log" >&2; die "gateway migrate failed"; }

PORT="$(free_port)" || die "no free loopback port"
BASE="http://127.0.0.1:$PORT"
env "${gateway_env[@]}" "${extra_env[@]}" PORT="$PORT" "$GATEWAY" serve >"$OUT_DIR/gateway.log" 2>&1 &
GATEWAY_PID=$!
await_gateway "$BASE/health" "$GATEWAY_PID" "$OUT_DIR/gateway.log" "the gateway"
gateway_limit="$(awk '/^Max open files/ {print $4}' "/proc/$GATEWAY_PID/limits")"
((gateway_limit >= SOCKETS + 1000)) || die "the gateway's open-file limit $gateway_limit is too low for $SOCKETS sockets"

log "setting up one user and $CHATS chats (binary: $BUILD_KIND build of $(date -u -r "$GATEWAY_BIN" '+%Y-%m-%d %H:%M UTC'))"
post "$BASE" /auth/register '{"username":"idler","email":"idler@bench.test","password":"bench-password-1"}' >/dev/null
TOKEN="$(post "$BASE" /auth/login '{"username":"idler","password":"bench-password-1"}' | json_field access_token)"
[[ -n $TOKEN ]] || die "login failed"
CHAT_IDS=""
for ((i = 0; i < CHATS; i++)); do
    id="$(post "$BASE" /chats "{\"type\":\"group\",\"title\":\"idle $i\",\"member_ids\":[]}" "$TOKEN" | json_field id)"
    [[ -n $id ]] || die "creating chat $i failed"
    CHAT_IDS+="${CHAT_IDS:+,}$id"
done

log "$SOCKETS sockets ($MODE, $BUS bus, batches of $BATCH, warm-up $WARMUP)${GATEWAY_ENV:+, gateway env: $GATEWAY_ENV}"
URL="$BASE" TOKEN="$TOKEN" CHAT_IDS="$CHAT_IDS" SOCKETS="$SOCKETS" BATCH="$BATCH" WARMUP="$WARMUP" MODE="$MODE" \
    PID="$GATEWAY_PID" TRIM_PROBE="$TRIM_PROBE" LABEL="$MODE, $BUS bus${GATEWAY_ENV:+, $GATEWAY_ENV}" \
    node --experimental-websocket --no-warnings --max-old-space-size=8192 "$ROOT/scripts/bench/ws-memory.mjs" \
    >"$OUT_DIR/result.json" || die "the client failed (see above)"

COMMAND="GATEWAY_BIN=$GATEWAY_BIN SOCKETS=$SOCKETS MODE=$MODE BUS=$BUS"
if [[ -n $GATEWAY_ENV ]]; then COMMAND+=" GATEWAY_ENV=\"$GATEWAY_ENV\""; fi
if [[ $TRIM_PROBE == 1 ]]; then COMMAND+=" TRIM_PROBE=1"; fi
COMMAND+=" scripts/bench/ws-memory.sh"
node - "$OUT_DIR/result.json" "$BUILD_KIND" "$SOCKETS" "$COMMAND" >"$OUT_DIR/summary.md" <<'JS'
const fs = require("fs");
const [file, kind, wanted, command] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(file, "utf8"));
const mb = (kb) => (kb / 1024).toFixed(1) + " MB";
const kb = (v) => (v == null ? "–" : v.toFixed(1) + " KB");
console.log(`### WebSocket memory per idle connection (${kind} build)`);
console.log();
console.log(`- command: \`${command}\``);
console.log(`- one gateway; each socket ${r.mode === "subscribed" ? "authenticated (?token=) and subscribed to one chat" : r.mode === "auth" ? "authenticated (?token=), no subscription" : "upgraded only (no auth)"}, then idle; ` +
  `per socket = (RSS idle − RSS before) / sockets, RSS read once it moved < 256 KB in 2 s`);
if (r.still_open !== r.sockets && r.mode !== "open") console.log(`- **invalid run**: only ${r.still_open} of ${r.sockets} sockets stayed open during the measurement`);
console.log();
console.log("| configuration | sockets | RSS before | RSS idle | per socket (RSS) | per socket (anon) | after malloc_trim | RSS after close | kept per socket after close | opened at |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
console.log(`| ${r.label} | ${r.still_open}/${wanted} | ${mb(r.before.rss_kb)} | ${mb(r.idle.rss_kb)} | **${kb(r.rss_kb_per_socket)}** | ${kb(r.anon_kb_per_socket)} | ` +
  `${kb(r.trimmed_kb_per_socket)} | ${mb(r.after_close.rss_kb)} | ${kb(r.retained_kb_per_socket_after_close)} | ${r.sockets_per_second.toFixed(0)} sockets/s |`);
console.log();
console.log(`Target (issue #4): ≤ 16 KB per idle socket at 10,000 sockets. Gateway threads: ${r.idle.threads}; client RSS ${r.client_rss_mb.toFixed(0)} MB.`);
JS
cat "$OUT_DIR/summary.md"
log "machine: $(nproc) cores; load now: $(cut -d' ' -f1-3 /proc/loadavg)"
# A run where sockets failed or were closed under the measurement is not a figure.
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.exit(r.still_open === r.sockets || r.mode === "open" ? 0 : 1)' \
    "$OUT_DIR/result.json" || die "only some sockets stayed open during the measurement"
