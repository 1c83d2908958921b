#!/usr/bin/env bash
# JWT API benchmark: requests/s and p50/p99 latency of
#   POST /auth/login, GET /chats, GET /chats/{id}/messages?limit=50, POST /chats/{id}/messages
# with wrk on loopback, against a seeded database of realistic size, plus a check that a login
# burst leaves the other endpoints' latency alone. Prints a markdown table for the README.
#
#   scripts/bench/api.sh
#   USERS=1000 MESSAGES=50000 DURATION=5s scripts/bench/api.sh      # quick run
#   KEEP_DB=1 scripts/bench/api.sh                                   # reuse the seeded database
#
# Environment (defaults in brackets):
#   GATEWAY_BIN   binary to measure [bench_binary in common.sh: .build-release, .build/release, .build/debug]
#   DURATION      wrk duration of each measured run [15s]
#   CONNECTIONS   wrk connections [64]        THREADS  wrk threads [2]
#   USERS         seeded users, the benchmark user included [10000]
#   MESSAGES      seeded messages [1000000]
#   KEEP_DB=1     reuse database bench_api if it was seeded before (else: drop, recreate, seed)
#   DROP_DB=1     drop database bench_api at the end (default: keep it for KEEP_DB=1 runs)
#   BURST_CONNECTIONS  connections of the concurrent login burst [16]
#   WARMUP        unmeasured wrk run before each endpoint's measured run [3s]; 0 to skip
#   CPUSET        optional `taskset -c` list for the gateway and wrk, e.g. "0,1" on a larger
#                 machine (PostgreSQL is not pinned)
#   OUT_DIR       where wrk outputs, the gateway log and summary.md go [a new /tmp/bench-api.*]
#
# Everything runs on 127.0.0.1: the dev services (scripts/services.sh start), a gateway on a free
# loopback port, and wrk. Each wrk run is bounded by DURATION (and an outer `timeout`): six
# measured runs, three warm-ups, pauses until the gateway is idle again, plus seeding (20–40 s for
# 1M messages). About 2.5 minutes with the defaults. The report (also in $OUT_DIR/summary.md)
# includes the CPU each run took per process group and warns when other processes (a build, tests)
# competed for the cores, since that makes the figures meaningless on a small machine.
#
# Needs: wrk, curl, psql, openssl, coreutils `timeout` (and taskset for CPUSET).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
BENCH_DIR="$ROOT/scripts/bench"
cd "$ROOT"
# shellcheck source=scripts/bench/common.sh
. scripts/bench/common.sh

# ---------------------------------------------------------------- options

GATEWAY_BIN="${GATEWAY_BIN:-$(bench_binary gateway)}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
USERS="${USERS:-10000}"
MESSAGES="${MESSAGES:-1000000}"
KEEP_DB="${KEEP_DB:-0}"
DROP_DB="${DROP_DB:-0}"
BURST_CONNECTIONS="${BURST_CONNECTIONS:-16}"
WARMUP="${WARMUP:-3s}"
CPUSET="${CPUSET:-}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-api.XXXXXX)}"

BENCH_DB=bench_api
BENCH_USER=bench
BENCH_PASSWORD=bench-password-1   # every seeded user shares it (one precomputed hash)

# The previous C++ implementation on the same kind of machine (wrk 2 threads / 64 connections,
# everything on 2 cores): requests/s ranges from the issue; the ratio uses their midpoints.
declare -A REFERENCE=([chats]="1,100–1,300" [messages]="350–730" [post]="900–1,000")
declare -A REFERENCE_MID=([chats]=1200 [messages]=540 [post]=950)


# "15s" / "2m" / "1h" / "15" -> seconds (wrk accepts the same forms).
seconds() {
    local value="$1"
    case "$value" in
        *h) echo $((${value%h} * 3600)) ;;
        *m) echo $((${value%m} * 60)) ;;
        *s) echo "${value%s}" ;;
        *) echo "$value" ;;
    esac
}

if ! [[ $USERS =~ ^[0-9]+$ ]] || ((USERS < 100)); then die "USERS must be an integer >= 100"; fi
if ! [[ $MESSAGES =~ ^[0-9]+$ ]] || ((MESSAGES < 10000)); then die "MESSAGES must be an integer >= 10000"; fi
[[ $(seconds "$DURATION") =~ ^[0-9]+$ ]] || die "DURATION must look like 15s, 2m or 15"
[[ $WARMUP == 0 || $(seconds "$WARMUP") =~ ^[0-9]+$ ]] || die "WARMUP must look like 3s or 0"
require_tools wrk curl psql openssl timeout
[[ -x $GATEWAY_BIN ]] || die "no gateway binary at $GATEWAY_BIN (swift build -c release --product gateway)"

PIN=()
if [[ -n $CPUSET ]]; then PIN=(taskset -c "$CPUSET"); fi
mkdir -p "$OUT_DIR"

# The binary is rebuilt often by others; measure a private copy so that one build is used for
# the whole run (migrate and serve) and a rebuild mid-run cannot swap it.
case "$GATEWAY_BIN" in
    */release/*) BUILD_KIND=release ;;
    */debug/*) BUILD_KIND=DEBUG ;;
    *) BUILD_KIND=unknown ;;
esac
BUILD_TIME="$(date -u -r "$GATEWAY_BIN" '+%Y-%m-%d %H:%M UTC')"
cp "$GATEWAY_BIN" "$OUT_DIR/gateway"
GATEWAY="$OUT_DIR/gateway"

# ---------------------------------------------------------------- cleanup

GATEWAY_PID=""
BURST_PID=""
PEAK_RSS_KB=""

# Fails the run if the gateway has exited, with its exit status and the end of its log.
check_gateway() {
    kill -0 "$GATEWAY_PID" 2>/dev/null && return 0
    local status=0
    wait "$GATEWAY_PID" || status=$?
    GATEWAY_PID=""
    tail -n 30 "$OUT_DIR/gateway.log" >&2
    if ((status > 128)); then
        die "the gateway died during $1 (killed by signal $((status - 128)): $(kill -l $((status - 128)) 2>/dev/null))"
    fi
    die "the gateway exited with status $status during $1"
}

stop_gateway() {
    [[ -n $GATEWAY_PID ]] || return 0
    if kill -0 "$GATEWAY_PID" 2>/dev/null; then
        PEAK_RSS_KB="$(awk '/^VmHWM:/ {print $2}' "/proc/$GATEWAY_PID/status" 2>/dev/null || true)"
        kill -TERM "$GATEWAY_PID" 2>/dev/null || true
        local i
        for ((i = 0; i < 100; i++)); do
            kill -0 "$GATEWAY_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$GATEWAY_PID" 2>/dev/null || true
    fi
    wait "$GATEWAY_PID" 2>/dev/null || true
    GATEWAY_PID=""
}

cleanup() {
    local status=$?
    if [[ -n $BURST_PID ]]; then kill -TERM "$BURST_PID" 2>/dev/null || true; fi
    stop_gateway
    rm -f "$GATEWAY"
    if [[ $DROP_DB == 1 && -n ${ADMIN_URL:-} ]]; then
        log "dropping database $BENCH_DB"
        drop_bench_database
    fi
    log "outputs: $OUT_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- database

bench_services

psql_bench() { psql -X -q -v ON_ERROR_STOP=1 "$BENCH_URL" "$@"; }

seeded=no
# A kept database is reused only when it was seeded with the sizes asked for now.
if [[ $KEEP_DB == 1 ]] && psql -X -qtA "$BENCH_URL" -c "SELECT 1 FROM bench_seed WHERE users = $USERS AND messages = $MESSAGES" 2>/dev/null | grep -q 1; then
    seeded=yes
    log "KEEP_DB=1: reusing the seeded database $BENCH_DB"
else
    log "creating database $BENCH_DB"
    recreate_bench_database
fi

# Production mode with generated secrets: the configuration a deployment runs.
bench_gateway_env \
    REDIS_URL="$REDIS_URL" \
    S3_ENDPOINT="$S3_ENDPOINT" S3_ACCESS_KEY="$S3_ACCESS_KEY" S3_SECRET_KEY="$S3_SECRET_KEY" S3_REGION="$S3_REGION"

log "migrating $BENCH_DB with $GATEWAY_BIN ($BUILD_KIND build of $BUILD_TIME)"
env "${gateway_env[@]}" "$GATEWAY" migrate >"$OUT_DIR/migrate.log" 2>&1 \
    || { cat "$OUT_DIR/migrate.log" >&2; die "gateway migrate failed"; }

# ---------------------------------------------------------------- gateway

PORT="$(free_port)" || die "no free loopback port found"
BASE="http://127.0.0.1:$PORT"

log "starting the gateway on $BASE (log: $OUT_DIR/gateway.log)"
# env and taskset exec, so $! is the gateway's own pid (for VmHWM and for stopping it).
env "${gateway_env[@]}" PORT="$PORT" "${PIN[@]}" "$GATEWAY" serve --shutdown-grace-seconds 2 \
    >"$OUT_DIR/gateway.log" 2>&1 &
GATEWAY_PID=$!

await_gateway "$BASE/health" "$GATEWAY_PID" "$OUT_DIR/gateway.log" "the gateway"

# http METHOD PATH [BODY]: prints the status code; the response body is left in $OUT_DIR/last-body.
http() {
    local method="$1" path="$2" body="${3:-}"
    local args=(-sS -o "$OUT_DIR/last-body" -w '%{http_code}' --max-time 30 -X "$method")
    if [[ -n ${TOKEN:-} ]]; then args+=(-H "Authorization: Bearer $TOKEN"); fi
    if [[ -n $body ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
    curl "${args[@]}" "$BASE$path" || true   # -w still prints 000 when the connection fails
}

body_excerpt() { head -c 200 "$OUT_DIR/last-body" | tr '\n' ' '; }

# ---------------------------------------------------------------- seed

if [[ $seeded == no ]]; then
    # The benchmark user goes through the API, so its password hash is one the gateway wrote and
    # will accept; every other seeded user gets a copy of that hash (no key derivation per user).
    status="$(http POST /auth/register \
        "{\"username\":\"$BENCH_USER\",\"email\":\"$BENCH_USER@bench.invalid\",\"password\":\"$BENCH_PASSWORD\"}")"
    [[ $status == 201 ]] || die "POST /auth/register answered $status: $(body_excerpt)"
    bench_id="$(json_field id <"$OUT_DIR/last-body")"
    password_hash="$(psql -X -qtA "$BENCH_URL" -c "SELECT password_hash FROM users WHERE id = $bench_id")"
    [[ -n $password_hash ]] || die "no password hash for user $bench_id"

    log "seeding $USERS users and $MESSAGES messages"
    seed_start=$SECONDS
    psql_bench -v bench_id="$bench_id" -v password_hash="$password_hash" \
        -v users="$USERS" -v messages="$MESSAGES" -f "$BENCH_DIR/api-seed.sql" >/dev/null
    SEED_SECONDS=$((SECONDS - seed_start))
    log "seeded in ${SEED_SECONDS} s"
fi

IFS='|' read -r DB_USERS DB_MESSAGES BENCH_ID READ_CHAT POST_CHAT SEEDED_AT < <(psql -X -qtA "$BENCH_URL" -c \
    "SELECT users, messages, bench_user_id, read_chat_id, post_chat_id, to_char(seeded_at, 'YYYY-MM-DD HH24:MI') FROM bench_seed")
if [[ $seeded == yes && ($DB_USERS != "$USERS" || $DB_MESSAGES != "$MESSAGES") ]]; then
    log "note: the kept database was seeded with $DB_USERS users and $DB_MESSAGES messages (not $USERS / $MESSAGES)"
fi
READ_CHAT_MESSAGES="$(psql -X -qtA "$BENCH_URL" -c "SELECT count(*) FROM messages WHERE chat_id = $READ_CHAT")"
BENCH_CHATS="$(psql -X -qtA "$BENCH_URL" -c "SELECT count(*) FROM chat_members WHERE user_id = $BENCH_ID")"
# The method part of the stored hash, e.g. pbkdf2:sha256:600000 (what each login pays for).
HASH_METHOD="$(psql -X -qtA "$BENCH_URL" -c "SELECT split_part(password_hash, '\$', 1) FROM users WHERE id = $BENCH_ID")"

# ---------------------------------------------------------------- token

TOKEN=""
status="$(http POST /auth/login "{\"username\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\"}")"
[[ $status == 200 ]] || die "POST /auth/login answered $status: $(body_excerpt)"
TOKEN="$(json_field access_token <"$OUT_DIR/last-body")"
[[ -n $TOKEN ]] || die "no access_token in the login response"

# ---------------------------------------------------------------- wrk runs

declare -A RPS P50 P99 PROBLEMS CPU RUN_LABEL
declare -a NOTES=()
WRK_TIMEOUT=30s   # wrk's default of 2 s would drop queued logins from the latency figures

# wrk_command CONNECTIONS DURATION [wrk arguments]: the full command line in the array WRK.
wrk_command() {
    local connections="$1" duration="$2"
    shift 2
    local threads=$THREADS
    ((threads <= connections)) || threads=$connections
    WRK=(timeout --kill-after=5 "$(($(seconds "$duration") + 30))" "${PIN[@]}"
        wrk --latency -t "$threads" -c "$connections" -d "$duration" --timeout "$WRK_TIMEOUT" "$@")
}

# Latencies as wrk prints them (850.00us, 12.34ms, 1.20s, 1.00m) in milliseconds.
# parse_wrk FILE: prints "requests/s p50_ms p99_ms non2xx socket_errors".
parse_wrk() {
    awk '
        function ms(v,   n, unit) {
            n = v + 0; unit = v; sub(/^[0-9.]+/, "", unit)
            if (unit == "us") return n / 1000
            if (unit == "s") return n * 1000
            if (unit == "m") return n * 60000
            return n
        }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
        END { printf "%s %s %s %d %d\n", (rps == "" ? "-" : rps), (p50 == "" ? "-" : p50), (p99 == "" ? "-" : p99), non2xx, errors }
    ' "$1"
}

# "pid start-time cpu-ticks group" of every process, grouped into the gateway, postgres, the
# load generator ("driver": wrk, timeout and this script, whose reaped children are the wrk runs)
# and "other" (builds, tests: anything that makes the figures unrepresentative). Ticks include
# reaped children (cutime, cstime), so a compiler that starts and exits within a run is still
# seen through its build driver. The fields after the parenthesised name are split separately
# because the name may contain spaces.
cpu_snapshot() {
    # A process may exit between the glob and cat (cat then fails, and pipefail would end the run).
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v gateway="$GATEWAY_PID" -v self="$$" '{
        close_paren = 0
        for (i = length($0); i > 0; i--) if (substr($0, i, 1) == ")") { close_paren = i; break }
        name = substr($0, index($0, "(") + 1, close_paren - index($0, "(") - 1)
        group = "other"
        if ($1 == gateway) group = "gateway"
        else if (name == "postgres") group = "postgres"
        else if ($1 == self || name == "wrk" || name == "timeout") group = "driver"
        split(substr($0, close_paren + 2), field, " ")   # field[k] is stat field k + 2
        print $1, field[20], field[12] + field[13] + field[14] + field[15], group
    }'
}

# cpu_usage BEFORE AFTER MILLISECONDS: "gateway postgres driver other", the CPU each group used
# in between, in cores (1.00 = one core busy). A process that ended in between shows up in full
# in its parent's child time, so its share from before the window is taken off again.
cpu_usage() {
    awk -v hz="$(getconf CLK_TCK)" -v ms="$3" '
        NR == FNR { before[$1 " " $2] = $3; group_of[$1 " " $2] = $4; next }
        { key = $1 " " $2; seen[key] = 1; used[$4] += (key in before) ? $3 - before[key] : $3 }
        END {
            for (key in before) if (!(key in seen)) used[group_of[key]] -= before[key]
            split("gateway postgres driver other", groups, " ")
            for (g = 1; g <= 4; g++) {
                cores = (ms > 0 ? used[groups[g]] * 1000 / (hz * ms) : 0)
                printf "%.2f%s", (cores < 0 ? 0 : cores), (g < 4 ? " " : "\n")
            }
        }' "$1" "$2"
}

# Response counts by "METHOD path status" from the gateway's own /metrics (public when
# METRICS_TOKEN is unset), so error responses can be reported by status code without making wrk
# inspect every response.
metrics_snapshot() {
    curl -s --max-time 10 "$BASE/metrics" | awk '
        /^messenger_http_requests_total\{/ {
            method = $0; sub(/.*method="/, "", method); sub(/".*/, "", method)
            path = $0; sub(/.*path="/, "", path); sub(/".*/, "", path)
            status = $0; sub(/.*status="/, "", status); sub(/".*/, "", status)
            print method " " path " " status " " $NF
        }' >"$1" || true
}

# status_changes BEFORE AFTER: "METHOD path: HTTP 500 ×12, HTTP 503 ×3", the non-2xx responses in between.
status_changes() {
    awk '
        NR == FNR { before[$1 " " $2 " " $3] = $4; next }
        $3 !~ /^2/ && $4 - before[$1 " " $2 " " $3] > 0 {
            key = $1 " " $2
            out[key] = out[key] (out[key] == "" ? "" : ", ") "HTTP " $3 " ×" ($4 - before[$1 " " $2 " " $3])
        }
        END { for (k in out) print k ": " out[k] }' "$1" "$2"
}

# Wait (at most 120 s) until the gateway uses less than a tenth of a core. After a login run it
# keeps deriving keys for queued requests whose clients are gone; the next measurement must not
# pay for that.
wait_idle() {
    local deadline=$((SECONDS + 120)) start=$SECONDS hz before after
    hz="$(getconf CLK_TCK)"
    while ((SECONDS < deadline)); do
        check_gateway "the wait for it to go idle"
        # utime + stime of the gateway (fields 14 and 15; its name has no spaces)
        before="$(awk '{print $14 + $15}' "/proc/$GATEWAY_PID/stat")"
        sleep 1
        after="$(awk '{print $14 + $15}' "/proc/$GATEWAY_PID/stat")"
        if (((after - before) * 10 < hz)); then
            if ((SECONDS - start > 2)); then log "waited $((SECONDS - start)) s for the gateway to go idle"; fi
            return 0
        fi
    done
    log "warning: the gateway is still busy after 120 s; measuring anyway"
}

# run_endpoint KEY LABEL METHOD PATH [wrk options] [-- Lua script arguments]: check the endpoint
# with one curl request, warm up, measure, and record req/s and percentiles under KEY. An endpoint
# whose check fails (e.g. not implemented yet) is recorded as n/a instead of failing the run.
run_endpoint() {
    local key="$1" label="$2" method="$3" path="$4"
    shift 4
    # wrk wants the URL after its options and before the script's arguments.
    local -a options=() script_args=()
    while (($#)); do
        if [[ $1 == -- ]]; then script_args=("$@"); break; fi
        options+=("$1")
        shift
    done
    local probe_body="" status expected=200
    case "$key" in
        post) probe_body='{"content":"benchmark probe","type":"text"}'; expected=201 ;;
        login) probe_body="{\"username\":\"user2\",\"password\":\"$BENCH_PASSWORD\"}" ;;
    esac
    status="$(http "$method" "$path" "$probe_body")"
    if [[ $status != "$expected" ]]; then
        log "$label: skipped, the check answered HTTP $status ($(body_excerpt))"
        PROBLEMS[$key]="n/a: HTTP $status $(body_excerpt | head -c 80)"
        NOTES+=("$label: not measured, a single request answered HTTP $status: \`$(body_excerpt | head -c 120)\`")
        return 0
    fi
    wait_idle
    if [[ $WARMUP != 0 && $key != login ]]; then
        wrk_command "$CONNECTIONS" "$WARMUP" "${options[@]}" "$BASE$path" "${script_args[@]}"
        "${WRK[@]}" >"$OUT_DIR/$key-warmup.txt" 2>&1 || true
    fi
    log "$label: wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
    wrk_command "$CONNECTIONS" "$DURATION" "${options[@]}" "$BASE$path" "${script_args[@]}"
    measure "$key" "$label"
}

# measure KEY LABEL: run the command in WRK (output: $OUT_DIR/KEY.txt) and record its figures,
# together with the response statuses (from /metrics, into KEY.metrics-*) and the CPU share that
# processes other than the gateway, wrk and PostgreSQL took meanwhile.
measure() {
    local key="$1" label="$2" started
    RUN_LABEL[$key]="$label"
    metrics_snapshot "$OUT_DIR/$key.metrics-before"
    cpu_snapshot >"$OUT_DIR/$key.cpu-before"
    started="$(date +%s%N)"
    "${WRK[@]}" >"$OUT_DIR/$key.txt" 2>&1 || { cat "$OUT_DIR/$key.txt" >&2; die "wrk failed for $label"; }
    cpu_snapshot >"$OUT_DIR/$key.cpu-after"
    CPU[$key]="$(cpu_usage "$OUT_DIR/$key.cpu-before" "$OUT_DIR/$key.cpu-after" \
        $((($(date +%s%N) - started) / 1000000)))"
    check_gateway "$label"
    metrics_snapshot "$OUT_DIR/$key.metrics-after"
    record "$key" "$label" "$key"
}

# record KEY LABEL METRICS_KEY: store the figures parsed from $OUT_DIR/KEY.txt; note error
# responses (by status code, from METRICS_KEY.metrics-*) and CPU taken by other processes.
record() {
    local key="$1" label="$2" metrics="$OUT_DIR/$3" rps p50 p99 non2xx errors statuses
    read -r rps p50 p99 non2xx errors < <(parse_wrk "$OUT_DIR/$key.txt")
    RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99
    if ((non2xx > 0 || errors > 0)); then
        statuses="$(status_changes "$metrics.metrics-before" "$metrics.metrics-after" | paste -sd ';' - | sed 's/;/; /g')"
        NOTES+=("$label: $non2xx non-2xx responses${statuses:+ ($statuses)}, $errors socket errors/timeouts (see $OUT_DIR/$key.txt)")
        log "$label: $non2xx non-2xx responses${statuses:+ ($statuses)}, $errors socket errors"
    fi
    local other="${CPU[$key]:-0 0 0 0}"
    other="${other##* }"
    if awk -v o="$other" 'BEGIN { exit !(o >= 0.2) }'; then
        NOTES+=("$label: other processes (builds, tests) kept $other cores busy during the run; its figures are low")
        log "$label: warning: other processes kept $other cores busy during the run"
    fi
    log "$label: $rps req/s, p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99")"
}

fmt_ms() {
    awk -v v="$1" 'BEGIN {
        if (v == "-" || v == "") print "–"
        else if (v >= 1000) printf "%.2f s\n", v / 1000
        else if (v >= 100) printf "%.0f ms\n", v
        else if (v >= 10) printf "%.1f ms\n", v
        else printf "%.2f ms\n", v }'
}

fmt_rps() {
    awk -v v="$1" 'BEGIN { if (v == "-" || v == "") print "–"; else if (v < 10) printf "%.1f\n", v; else printf "%.0f\n", v }'
}

# Ratio against the midpoint of the C++ reference range ("×2.3").
fmt_ratio() { awk -v v="$1" -v ref="$2" 'BEGIN { if (v == "-" || v == "" || ref == "") print "–"; else printf "×%.1f\n", v / ref }'; }

# Share of the machine's CPU time that others (a build, tests) used over 3 s while the gateway
# was idle: on a shared machine, figures taken next to a compiler are not comparable.
busy_percent() {
    local -a a b
    read -r -a a < <(grep '^cpu ' /proc/stat)
    sleep 3
    read -r -a b < <(grep '^cpu ' /proc/stat)
    # fields: user nice system idle iowait irq softirq steal
    local total=0 idle i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    idle=$((b[4] - a[4] + b[5] - a[5]))
    echo $(((total - idle) * 100 / (total > 0 ? total : 1)))
}
wait_idle
BACKGROUND_BUSY="$(busy_percent)"
if ((BACKGROUND_BUSY >= 10)); then
    log "warning: other processes keep the CPUs ${BACKGROUND_BUSY}% busy; the figures will be low"
    NOTES+=("the machine was not idle: other processes used ${BACKGROUND_BUSY}% of the CPUs just before the runs")
fi

AUTH=(-H "Authorization: Bearer $TOKEN")
CHATS_PATH=/chats
MESSAGES_PATH="/chats/$READ_CHAT/messages?limit=50"

run_endpoint chats "GET /chats" GET "$CHATS_PATH" "${AUTH[@]}"
run_endpoint messages "GET /chats/{id}/messages?limit=50" GET "$MESSAGES_PATH" "${AUTH[@]}"
run_endpoint post "POST /chats/{id}/messages" POST "/chats/$POST_CHAT/messages" \
    -s "$BENCH_DIR/api-post-message.lua" -- "$POST_CHAT" "$TOKEN"
run_endpoint login "POST /auth/login" POST /auth/login \
    -s "$BENCH_DIR/api-login.lua" -- "$DB_USERS" "$BENCH_PASSWORD"

# ---------------------------------------------------------------- login burst

# GET /chats alone, then GET /chats while a second wrk keeps BURST_CONNECTIONS logins in flight
# (started first, ending after it), so the two latency distributions can be compared directly.
# If GET /chats is not available, the message page stands in for it.
burst_key=chats burst_label="GET /chats" burst_path="$CHATS_PATH"
if [[ -n ${PROBLEMS[chats]:-} ]]; then burst_key=messages burst_label="GET /chats/{id}/messages?limit=50" burst_path="$MESSAGES_PATH"; fi
BURST_DONE=no
if [[ -z ${PROBLEMS[$burst_key]:-} && -z ${PROBLEMS[login]:-} ]]; then
    wait_idle
    log "login burst: $burst_label alone"
    wrk_command "$CONNECTIONS" "$DURATION" "${AUTH[@]}" "$BASE$burst_path"
    measure burst-alone "$burst_label alone"

    wait_idle
    log "login burst: $burst_label during $BURST_CONNECTIONS connections of POST /auth/login"
    burst_duration="$(($(seconds "$DURATION") + 4))s"
    wrk_command "$BURST_CONNECTIONS" "$burst_duration" -s "$BENCH_DIR/api-login.lua" "$BASE/auth/login" -- "$DB_USERS" "$BENCH_PASSWORD"
    "${WRK[@]}" >"$OUT_DIR/burst-logins.txt" 2>&1 &
    BURST_PID=$!
    sleep 2   # let the key-derivation queue fill before measuring
    wrk_command "$CONNECTIONS" "$DURATION" "${AUTH[@]}" "$BASE$burst_path"
    measure burst-during "$burst_label during a login burst"
    wait "$BURST_PID" || true
    BURST_PID=""
    check_gateway "the login burst"
    record burst-logins "POST /auth/login (burst)" burst-during
    BURST_DONE=yes
fi

stop_gateway

# ---------------------------------------------------------------- report

row() {
    local key="$1" label="$2"
    if [[ -n ${PROBLEMS[$key]:-} ]]; then
        printf '| %s | n/a | n/a | n/a | %s | – |\n' "$label" "${REFERENCE[$key]:-–}"
        return
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(fmt_rps "${RPS[$key]}")" \
        "$(fmt_ms "${P50[$key]}")" "$(fmt_ms "${P99[$key]}")" "${REFERENCE[$key]:-–}" \
        "$(fmt_ratio "${RPS[$key]}" "${REFERENCE_MID[$key]:-}")"
}

cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
mem_gib="$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
pg_version="$(psql -X -qtA "$BENCH_URL" -c 'SHOW server_version')"
command_line="GATEWAY_BIN=$GATEWAY_BIN USERS=$USERS MESSAGES=$MESSAGES DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS"
[[ -z $CPUSET ]] || command_line+=" CPUSET=$CPUSET"
command_line+=" scripts/bench/api.sh"

{
    echo "### JWT API benchmark ($BUILD_KIND build)"
    echo
    echo "- machine: $(nproc) × $cpu_model, ${mem_gib} GiB RAM, $(uname -sr); PostgreSQL $pg_version, gateway and wrk on the same cores${CPUSET:+ (taskset $CPUSET)}; ${BACKGROUND_BUSY}% CPU used by other processes before the runs"
    echo "- gateway: \`$GATEWAY_BIN\` ($BUILD_KIND, built $BUILD_TIME), ENVIRONMENT=production, rate limits off, DB pool ${DB_POOL_SIZE:-10}, peak RSS $(awk -v kb="${PEAK_RSS_KB:-0}" 'BEGIN { printf "%.0f MiB", kb / 1024 }')"
    echo "- data: $DB_USERS users, $DB_MESSAGES messages (seeded $SEEDED_AT UTC${SEED_SECONDS:+ in ${SEED_SECONDS} s}); the benchmark user has $BENCH_CHATS chats, the page is read from a chat of $READ_CHAT_MESSAGES messages"
    echo "- load: wrk --latency -t$THREADS -c$CONNECTIONS -d$DURATION on 127.0.0.1, one endpoint at a time$([[ $WARMUP == 0 ]] || echo ", each after a $WARMUP warm-up")"
    echo "- command: \`$command_line\`"
    echo
    echo "| endpoint | req/s | p50 | p99 | reference C++ req/s | ratio |"
    echo "|---|---:|---:|---:|---:|---:|"
    row chats "GET /chats ($BENCH_CHATS chats)"
    row messages "GET /chats/{id}/messages?limit=50 ($READ_CHAT_MESSAGES-message chat)"
    row post "POST /chats/{id}/messages"
    row login "POST /auth/login"
    echo
    echo "Reference p99 was 80–370 ms; the target is at least ×2 the reference requests/s. Ratios use the midpoint of the reference range. Logins are bounded by the deliberately expensive password hash (\`$HASH_METHOD\`)."
    echo
    echo "CPU used during each run, in cores ($(nproc) available; \"driver\" is wrk):"
    echo
    echo "| run | gateway | PostgreSQL | driver | other processes |"
    echo "|---|---:|---:|---:|---:|"
    for key in chats messages post login burst-alone burst-during; do
        [[ -n ${CPU[$key]:-} ]] || continue
        read -r gateway_cpu postgres_cpu driver_cpu other_cpu <<<"${CPU[$key]}"
        echo "| ${RUN_LABEL[$key]} | $gateway_cpu | $postgres_cpu | $driver_cpu | $other_cpu |"
    done
    if [[ $BURST_DONE == yes ]]; then
        echo
        echo "Login burst ($BURST_CONNECTIONS connections of POST /auth/login running alongside; $(fmt_rps "${RPS[burst-logins]}") logins/s, p50 $(fmt_ms "${P50[burst-logins]}")):"
        echo
        echo "| $burst_label | req/s | p50 | p99 |"
        echo "|---|---:|---:|---:|"
        echo "| alone | $(fmt_rps "${RPS[burst-alone]}") | $(fmt_ms "${P50[burst-alone]}") | $(fmt_ms "${P99[burst-alone]}") |"
        echo "| during the login burst | $(fmt_rps "${RPS[burst-during]}") | $(fmt_ms "${P50[burst-during]}") | $(fmt_ms "${P99[burst-during]}") |"
    else
        echo
        echo "Login burst: not measured (an endpoint it needs is not available)."
    fi
    if ((${#NOTES[@]})); then
        echo
        echo "Problems:"
        printf -- '- %s\n' "${NOTES[@]}"
    fi
} | tee "$OUT_DIR/summary.md"
