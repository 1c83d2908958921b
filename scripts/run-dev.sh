#!/usr/bin/env bash
# `make run`: local services, a debug build, development secrets, demo data, then the gateway
# on http://127.0.0.1:8080 (HOST/PORT override).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

scripts/services.sh start
swift build --product gateway

# Generated once and kept: regenerating would invalidate every session and token.
SECRETS_FILE="$ROOT/.data/dev-secrets.env"
random_hex() {
    openssl rand -hex 48 2>/dev/null || python3 -c 'import secrets; print(secrets.token_hex(48))'
}
if [[ ! -s $SECRETS_FILE ]]; then
    mkdir -p "$(dirname "$SECRETS_FILE")"
    (
        umask 077
        {
            echo "SECRET_KEY=$(random_hex)"
            echo "JWT_SECRET=$(random_hex)"
            echo "REFRESH_TOKEN_HASH_KEY=$(random_hex)"
        } >"$SECRETS_FILE.tmp"
    )
    mv "$SECRETS_FILE.tmp" "$SECRETS_FILE"
    echo "[run-dev] wrote development secrets to $SECRETS_FILE" >&2
fi

set -a
# shellcheck source=/dev/null
. .data/services.env
# shellcheck source=/dev/null
. "$SECRETS_FILE"
set +a
export ENVIRONMENT=development
export HOST="${HOST:-127.0.0.1}"
export PORT="${PORT:-8080}"
export STATIC_DIR="$ROOT/static"

.build/debug/gateway seed-demo
exec .build/debug/gateway serve
