#!/usr/bin/env bash
# Migrator benchmark: rows/s of `migrator run` (full mapping, checkpoints and digests included)
# on a generated legacy database, next to pgloader loading the same SQLite file into a scratch
# database, and next to a raw COPY of the same message rows (psql \copy into an unindexed table:
# PostgreSQL's ingest ceiling on this machine). Prints a markdown table for the README.
#
#   scripts/bench/migrator.sh
#   USERS=1000 CONVERSATIONS=5000 MESSAGES=100000 scripts/bench/migrator.sh    # quick run
#
# Environment (defaults in brackets):
#   MIGRATOR_BIN  binary to measure [bench_binary in common.sh: .build-release, .build/release, .build/debug]
#   GATEWAY_BIN   used for `gateway migrate` [bench_binary in common.sh]
#   USERS [10000]  CONVERSATIONS [50000]  MESSAGES [1000000]
#   BATCH         messages per transaction [20000]
#   SKIP_PGLOADER=1  leave pgloader out (Debian package `pgloader`)
#   BASELINE_BIN  another migrator binary: after the usual table, PAIRS [5] first runs of it and of
#                 MIGRATOR_BIN alternate on a fresh target each (same fixture, same machine, minutes
#                 apart), with wall time and PostgreSQL's CPU per run: how a change is judged here,
#                 where the machine's speed drifts by ±10 % within minutes
#   OUT_DIR       fixture, logs, reports [a new /tmp/bench-migrator.*]
#
# Needs the dev services (scripts/services.sh start), sqlite3, psql, and pgloader.
set -euo pipefail
trap 'echo "bench: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"

# shellcheck source=scripts/bench/common.sh
. scripts/bench/common.sh
MIGRATOR_BIN="${MIGRATOR_BIN:-$(bench_binary migrator)}"
GATEWAY_BIN="${GATEWAY_BIN:-$(bench_binary gateway)}"
USERS="${USERS:-10000}"
CONVERSATIONS="${CONVERSATIONS:-50000}"
MESSAGES="${MESSAGES:-1000000}"
BATCH="${BATCH:-20000}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-migrator.XXXXXX)}"
mkdir -p "$OUT_DIR"

[[ -f .data/services.env ]] || { echo "start the services first: scripts/services.sh start" >&2; exit 1; }
set -a; . .data/services.env; set +a
[[ -x $MIGRATOR_BIN && -x $GATEWAY_BIN ]] || { echo "build first: swift build -c release" >&2; exit 1; }

ADMIN_URL="$DATABASE_URL"
BASE_URL="${DATABASE_URL%/*}"
TARGET_DB=bench_migrator
PGLOADER_DB=bench_pgloader
RAW_DB=bench_rawcopy

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
rate() { printf '%.0f' "$(echo "$1 / $2" | bc -l)"; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- fixture
LEGACY="$OUT_DIR/legacy.db"
echo "generating $USERS users, $CONVERSATIONS conversations, $MESSAGES messages in $LEGACY" >&2
rm -f "$LEGACY"
t0=$(now)
sqlite3 "$LEGACY" <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL COLLATE NOCASE,
    password_hash TEXT NOT NULL, display_name TEXT, bio TEXT, avatar_path TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, user_a_id INTEGER NOT NULL REFERENCES users(id),
    user_b_id INTEGER NOT NULL REFERENCES users(id), updated_at DATETIME DEFAULT CURRENT_TIMESTAMP, UNIQUE(user_a_id, user_b_id));
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    from_user_id INTEGER NOT NULL REFERENCES users(id), content TEXT, message_type TEXT NOT NULL DEFAULT 'text',
    attachment_path TEXT, duration_seconds INTEGER, created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX idx_messages_conv ON messages(conversation_id, id);
CREATE TABLE user_settings (user_id INTEGER PRIMARY KEY REFERENCES users(id), theme TEXT NOT NULL DEFAULT 'light',
    notifications_enabled INTEGER NOT NULL DEFAULT 1, language TEXT NOT NULL DEFAULT 'en');
CREATE TABLE stickers (id INTEGER PRIMARY KEY AUTOINCREMENT, pack_name TEXT NOT NULL, label TEXT NOT NULL, file_path TEXT NOT NULL);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
INSERT INTO users (id, username, password_hash, display_name, bio, created_at)
SELECT i, 'user' || i, 'pbkdf2:sha256:1000\$AbCdEfGh12345678\$c44bcd50078bb5dccdf0f3892bcfe1889a23076f750d38e47c9ffac3247e9a77',
       'User ' || i, CASE WHEN i % 3 = 0 THEN 'bio of ' || i END, datetime('2022-01-01', '+' || i || ' minutes') FROM n;
INSERT INTO user_settings (user_id, theme) SELECT id, CASE WHEN id % 2 = 0 THEN 'dark' ELSE 'light' END FROM users WHERE id % 4 = 0;
INSERT INTO stickers (pack_name, label, file_path) VALUES ('Emojis', 'grin', 'stickers/s01.svg'), ('Emojis', 'lol', 'stickers/s02.svg');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $CONVERSATIONS - 1)
INSERT INTO conversations (user_a_id, user_b_id, updated_at)
SELECT i % $USERS + 1, (i % $USERS + 1) + 1 + (i / $USERS), '2024-06-01 00:00:00' FROM n
WHERE (i % $USERS + 1) + 1 + (i / $USERS) <= $USERS;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $MESSAGES)
INSERT INTO messages (id, conversation_id, from_user_id, content, message_type, created_at)
SELECT n.i, c.id, CASE WHEN n.i % 2 = 0 THEN c.user_a_id ELSE c.user_b_id END,
       CASE WHEN n.i % 50 = 0 THEN '1' ELSE 'message number ' || n.i || ' — with a little ünïcödé' END,
       CASE WHEN n.i % 50 = 0 THEN 'sticker' ELSE 'text' END,
       datetime('2022-01-01', '+' || (n.i * 26280 / $MESSAGES) || ' hours')
FROM n JOIN conversations c ON c.id = n.i % (SELECT count(*) FROM conversations) + 1;
COMMIT;
SQL
echo "  fixture generated in $(printf '%.1f' "$(elapsed "$t0" "$(now)")") s" >&2
SOURCE_USERS=$(sqlite3 "$LEGACY" "SELECT count(*) FROM users")
SOURCE_CONVERSATIONS=$(sqlite3 "$LEGACY" "SELECT count(*) FROM conversations")
SOURCE_MESSAGES=$(sqlite3 "$LEGACY" "SELECT count(*) FROM messages")
SOURCE_OTHER=$(sqlite3 "$LEGACY" "SELECT (SELECT count(*) FROM user_settings) + (SELECT count(*) FROM stickers)")
SOURCE_ROWS=$((SOURCE_USERS + SOURCE_CONVERSATIONS + SOURCE_MESSAGES + SOURCE_OTHER))

recreate() {
    psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}

# ---------------------------------------------------------------- migrator
BLOB_DIR="$OUT_DIR/blobs"
mkdir -p "$BLOB_DIR/bh-stickers/stickers"
echo '<svg/>' > "$BLOB_DIR/bh-stickers/stickers/s01.svg"; echo '<svg/>' > "$BLOB_DIR/bh-stickers/stickers/s02.svg"

# CPU seconds PostgreSQL's processes have used so far: the postmaster's reaped children (the
# backends of finished connections) plus every live postgres process.
postgres_cpu() {
    local ticks=0 pid
    for pid in $(pgrep -x postgres); do
        ticks=$((ticks + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$ticks / $(getconf CLK_TCK)" | bc -l
}

# A first `migrator run` of binary $1 into a fresh target database, report in $2: prints its wall
# seconds and the CPU seconds PostgreSQL spent meanwhile.
first_run() {
    recreate "$TARGET_DB"
    DATABASE_URL="$BASE_URL/$TARGET_DB" MIGRATIONS_DIR="$ROOT/migrations" ENVIRONMENT=development "$GATEWAY_BIN" migrate >/dev/null 2>"$OUT_DIR/migrate.log"
    local cpu0 t0
    cpu0=$(postgres_cpu)
    t0=$(now)
    env -u S3_ENDPOINT -u S3_ACCESS_KEY -u S3_SECRET_KEY BLOB_DIR="$BLOB_DIR" "$1" run --legacy-db "$LEGACY" \
        --database-url "$BASE_URL/$TARGET_DB" --batch-size "$BATCH" --quiet --report "$2" >"${2%.json}.log"
    echo "$(elapsed "$t0" "$(now)") $(echo "$(postgres_cpu) - $cpu0" | bc -l)"
}

echo "migrator run ($MIGRATOR_BIN, batch $BATCH)" >&2
read -r MIGRATOR_SECONDS _ < <(first_run "$MIGRATOR_BIN" "$OUT_DIR/run.json")
MIGRATOR_WRITTEN=$(python3 -c "import json,sys; print(json.load(open('$OUT_DIR/run.json'))['rows_written'])")
echo "  $MIGRATOR_WRITTEN rows in $(printf '%.1f' "$MIGRATOR_SECONDS") s" >&2

t0=$(now)
env -u S3_ENDPOINT -u S3_ACCESS_KEY -u S3_SECRET_KEY BLOB_DIR="$BLOB_DIR" "$MIGRATOR_BIN" run --legacy-db "$LEGACY" \
    --database-url "$BASE_URL/$TARGET_DB" --quiet --report "$OUT_DIR/rerun.json" >"$OUT_DIR/rerun.log"
RERUN_SECONDS=$(elapsed "$t0" "$(now)")

t0=$(now)
VERIFY_STATUS=0
env -u S3_ENDPOINT -u S3_ACCESS_KEY -u S3_SECRET_KEY BLOB_DIR="$BLOB_DIR" "$MIGRATOR_BIN" verify --legacy-db "$LEGACY" \
    --database-url "$BASE_URL/$TARGET_DB" --quiet --report "$OUT_DIR/verify.json" >"$OUT_DIR/verify.log" || VERIFY_STATUS=$?
VERIFY_SECONDS=$(elapsed "$t0" "$(now)")

# ---------------------------------------------------------------- raw COPY (messages only)
recreate "$RAW_DB"
psql -q "$BASE_URL/$RAW_DB" -c "CREATE TABLE messages (id bigint, chat_id bigint, sender_id bigint, content text, message_type text, created_at timestamptz)"
sqlite3 -separator $'\t' "$LEGACY" "SELECT id, conversation_id, from_user_id, replace(replace(content, char(92), char(92)||char(92)), char(9), ' '), message_type, created_at || '+00' FROM messages" >"$OUT_DIR/messages.tsv"
t0=$(now)
psql -q "$BASE_URL/$RAW_DB" -c "\\copy messages FROM '$OUT_DIR/messages.tsv'"
RAW_SECONDS=$(elapsed "$t0" "$(now)")

# ---------------------------------------------------------------- pgloader
PGLOADER_LINE="| pgloader (same SQLite file, no mapping) | skipped | | |"
if [[ ${SKIP_PGLOADER:-0} != 1 ]] && command -v pgloader >/dev/null; then
    recreate "$PGLOADER_DB"
    t0=$(now)
    pgloader --quiet "sqlite://$LEGACY" "$BASE_URL/$PGLOADER_DB" >"$OUT_DIR/pgloader.log" 2>&1 || echo "pgloader failed, see $OUT_DIR/pgloader.log" >&2
    PGLOADER_SECONDS=$(elapsed "$t0" "$(now)")
    PGLOADER_LINE="| pgloader (same SQLite file, no mapping) | $SOURCE_ROWS | $(printf '%.1f' "$PGLOADER_SECONDS") | $(rate "$SOURCE_ROWS" "$PGLOADER_SECONDS") |"
fi

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
MACHINE="load average $LOAD_BEFORE before, $LOAD_AFTER after; $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), PostgreSQL $(psql -tA "$ADMIN_URL" -c 'SHOW server_version')"
cat <<EOF2 | tee "$OUT_DIR/summary.md"

Migrator benchmark ($MACHINE; binary $MIGRATOR_BIN; $SOURCE_USERS users, $SOURCE_CONVERSATIONS conversations, $SOURCE_MESSAGES messages)

| what | rows | seconds | rows/s |
|---|---|---|---|
| \`migrator run\` (full mapping, COPY, checkpoints, digests) | $MIGRATOR_WRITTEN | $(printf '%.1f' "$MIGRATOR_SECONDS") | $(rate "$MIGRATOR_WRITTEN" "$MIGRATOR_SECONDS") |
$PGLOADER_LINE
| raw COPY of the messages (psql \\copy, unindexed table) | $SOURCE_MESSAGES | $(printf '%.1f' "$RAW_SECONDS") | $(rate "$SOURCE_MESSAGES" "$RAW_SECONDS") |
| \`migrator run\` again (nothing new) | 0 | $(printf '%.1f' "$RERUN_SECONDS") | |
| \`migrator verify\` (exit $VERIFY_STATUS) | $SOURCE_ROWS | $(printf '%.1f' "$VERIFY_SECONDS") | $(rate "$SOURCE_ROWS" "$VERIFY_SECONDS") |

Outputs in $OUT_DIR
EOF2

# ---------------------------------------------------------------- A/B against BASELINE_BIN
if [[ -n ${BASELINE_BIN:-} ]]; then
    [[ -x $BASELINE_BIN ]] || die "BASELINE_BIN $BASELINE_BIN is not executable"
    rows=()
    for pair in $(seq "${PAIRS:-5}"); do
        echo "A/B pair $pair" >&2
        read -r base_s base_cpu < <(first_run "$BASELINE_BIN" "$OUT_DIR/ab-baseline-$pair.json")
        read -r cand_s cand_cpu < <(first_run "$MIGRATOR_BIN" "$OUT_DIR/ab-candidate-$pair.json")
        rows+=("$base_s $cand_s $base_cpu $cand_cpu")
    done
    printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
runs = [[float(x) for x in line.split()] for line in sys.stdin if line.strip()]
print()
print("A/B, first runs alternating on a fresh target (baseline %s, candidate %s)" % (sys.argv[1], sys.argv[2]))
print()
print("| pair | baseline s | candidate s | baseline PostgreSQL CPU s | candidate PostgreSQL CPU s |")
print("|---|---|---|---|---|")
for i, (b, c, bc, cc) in enumerate(runs, 1):
    print("| %d | %.2f | %.2f | %.2f | %.2f |" % (i, b, c, bc, cc))
col = lambda k: [r[k] for r in runs]
print("| mean | %.2f | %.2f | %.2f | %.2f |" % tuple(statistics.mean(col(k)) for k in range(4)))
print("| median | %.2f | %.2f | %.2f | %.2f |" % tuple(statistics.median(col(k)) for k in range(4)))
' "$BASELINE_BIN" "$MIGRATOR_BIN" | tee -a "$OUT_DIR/summary.md"
fi
