#!/usr/bin/env bash
# Upload benchmark: POST /files throughput (MB/s) and the gateway's peak RSS while it streams a
# large upload into the object store. Prints a markdown table for the README.
#
#   scripts/bench/upload.sh
#   SIZE_MB=50 RUNS=3 STORE=local scripts/bench/upload.sh
#
# Environment (defaults in brackets):
#   GATEWAY_BIN   binary to measure [bench_binary in common.sh: .build-release, .build/release, .build/debug]
#   SIZE_MB       size of the uploaded file in MiB [50]
#   RUNS          measured uploads, one after the other [3]
#   STORE         s3 (the dev rclone server) or local (BLOB_DIR under OUT_DIR) [s3]
#   OUT_DIR       outputs: gateway log, the test file, summary.md [a new /tmp/bench-upload.*]
#
# Peak RSS: the kernel's high-water mark (VmHWM) is reset (clear_refs 5) after the gateway has
# started and served one small warm-up upload, so the figure is the peak *during* the measured
# uploads; the RSS before them is printed too. Everything runs on 127.0.0.1 with the dev services
# (scripts/services.sh start). Needs curl, psql, openssl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=scripts/bench/common.sh
. scripts/bench/common.sh

GATEWAY_BIN="${GATEWAY_BIN:-$(bench_binary gateway)}"
SIZE_MB="${SIZE_MB:-50}"
RUNS="${RUNS:-3}"
STORE="${STORE:-s3}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-upload.XXXXXX)}"
BENCH_DB=bench_upload


[[ -x $GATEWAY_BIN ]] || die "no gateway binary at $GATEWAY_BIN (swift build --product gateway)"
[[ $SIZE_MB =~ ^[0-9]+$ ]] && ((SIZE_MB >= 1)) || die "SIZE_MB must be a positive integer"
[[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= 1)) || die "RUNS must be a positive integer"
[[ $STORE == s3 || $STORE == local ]] || die "STORE must be s3 or local"
case "$GATEWAY_BIN" in
    *release*) BUILD_KIND=release ;;
    *) BUILD_KIND=debug ;;
esac

GATEWAY_PID=""
cleanup() {
    local status=$?
    if [[ -n $GATEWAY_PID ]]; then
        kill -TERM "$GATEWAY_PID" 2>/dev/null || true
        wait "$GATEWAY_PID" 2>/dev/null || true
    fi
    rm -f "$OUT_DIR/upload.bin"
    if [[ -n ${ADMIN_URL:-} ]]; then drop_bench_database; fi
    log "outputs: $OUT_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- services and database

bench_services
recreate_bench_database

# The limit counts the multipart framing too.
bench_gateway_env MAX_FILE_SIZE_MB=$((SIZE_MB + 1))
if [[ $STORE == s3 ]]; then
    gateway_env+=(S3_ENDPOINT="$S3_ENDPOINT" S3_ACCESS_KEY="$S3_ACCESS_KEY" S3_SECRET_KEY="$S3_SECRET_KEY" S3_REGION="$S3_REGION")
else
    gateway_env+=(BLOB_DIR="$OUT_DIR/blobs")
fi

# ---------------------------------------------------------------- gateway

PORT="$(free_port)" || die "no free loopback port found"
BASE="http://127.0.0.1:$PORT"

log "starting $GATEWAY_BIN ($BUILD_KIND) on $BASE, store: $STORE"
env "${gateway_env[@]}" PORT="$PORT" "$GATEWAY_BIN" serve >"$OUT_DIR/gateway.log" 2>&1 &
GATEWAY_PID=$!
await_gateway "$BASE/health" "$GATEWAY_PID" "$OUT_DIR/gateway.log" "the gateway"

USERNAME="bench_$(openssl rand -hex 4)"
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USERNAME\",\"email\":\"$USERNAME@example.test\",\"password\":\"bench-password-1\"}" "$BASE/auth/register"
TOKEN="$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USERNAME\",\"password\":\"bench-password-1\"}" "$BASE/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')"
[[ -n $TOKEN ]] || die "login failed"

rss_kb() { awk "/^$1:/ {print \$2}" "/proc/$GATEWAY_PID/status"; }
# CPU time the gateway used so far (user + system), in clock ticks: throughput on a shared
# machine depends on what else runs, CPU per MiB does not.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$GATEWAY_PID/stat"; }
TICKS_PER_SECOND="$(getconf CLK_TCK)"

upload() {
    # No "Expect: 100-continue": curl would wait a second for an interim answer first.
    curl -sS -o "$OUT_DIR/reply.json" -w '%{http_code} %{time_total} %{size_upload}\n' \
        -H "Authorization: Bearer $TOKEN" -H 'Expect:' -F "file=@$1;type=application/octet-stream" "$BASE/files"
}

# Warm-up: one small upload, so connection pools and code paths exist before the peak is reset.
head -c 65536 /dev/urandom >"$OUT_DIR/warmup.bin"
read -r code _ _ < <(upload "$OUT_DIR/warmup.bin")
[[ $code == 201 ]] || { cat "$OUT_DIR/reply.json" >&2; die "warm-up upload answered $code"; }

head -c $((SIZE_MB << 20)) /dev/urandom >"$OUT_DIR/upload.bin"
RSS_BEFORE_KB="$(rss_kb VmRSS)"
echo 5 >"/proc/$GATEWAY_PID/clear_refs" || die "cannot reset the peak RSS (needs Linux >= 4.0)"

rates=()
cpu_costs=()
for ((run = 1; run <= RUNS; run++)); do
    ticks_before="$(cpu_ticks)"
    read -r code seconds bytes < <(upload "$OUT_DIR/upload.bin")
    [[ $code == 201 ]] || { cat "$OUT_DIR/reply.json" >&2; die "upload $run answered $code"; }
    rate="$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.1f", b / 1048576 / s }')"
    cpu_ms="$(awk -v t="$(($(cpu_ticks) - ticks_before))" -v hz="$TICKS_PER_SECOND" -v mb="$SIZE_MB" 'BEGIN { printf "%.0f", t * 1000 / hz / mb }')"
    log "run $run: ${SIZE_MB} MiB in ${seconds}s = $rate MB/s; gateway CPU $cpu_ms ms per MiB"
    rates+=("$rate")
    cpu_costs+=("$cpu_ms")
done
PEAK_KB="$(rss_kb VmHWM)"
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
MEDIAN="$(median "${rates[@]}")"
CPU_MEDIAN="$(median "${cpu_costs[@]}")"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"

{
    echo "Machine: $(nproc) × $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); load average $LOAD; gateway $BUILD_KIND build; store $STORE"
    echo
    echo "| upload (POST /files, ${SIZE_MB} MiB, $RUNS runs) | MB/s (median) | gateway CPU per MiB | gateway RSS before | peak RSS during |"
    echo "|---|---:|---:|---:|---:|"
    echo "| $STORE store, $BUILD_KIND build | $MEDIAN (${rates[*]}) | $CPU_MEDIAN ms | $((RSS_BEFORE_KB / 1024)) MiB | $((PEAK_KB / 1024)) MiB |"
} | tee "$OUT_DIR/summary.md"
