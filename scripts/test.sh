#!/usr/bin/env bash
# The one test command (`make test`, `.ci/run`): start the private services, run
# `swift test` against them, stop the services, exit with swift test's status.
#   SWIFT_TEST_ARGS   extra arguments for `swift test` (word-split), e.g. "--filter GatewayTests"
#   KEEP_SERVICES=1   leave the services running afterwards
#   TEST_PARALLELISM  how many tests run at once (default 8)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    if [[ ${KEEP_SERVICES:-0} != 1 ]]; then
        scripts/services.sh stop || true
    fi
}
# Set before starting, so a half-started set of services is stopped too.
trap cleanup EXIT

scripts/services.sh start
# Headless Chromium for the SPA's browser tests.
scripts/browser.sh install

set -a
# shellcheck source=/dev/null
. .data/services.env
set +a
export MESSENGER_REPO_ROOT="$ROOT"

read -r -a extra_args <<<"${SWIFT_TEST_ARGS:-}"
status=0
# Build every product first: the end-to-end tests start the real gateway and migrator binaries.
swift build --build-tests || exit $?
# Swift Testing would start every test at once; most start a gateway (and some a browser, nginx or
# Prometheus), which on 2 cores turns into timeouts. A bounded width keeps the machine responsive.
swift test --skip-build --experimental-maximum-parallelization-width "${TEST_PARALLELISM:-8}" "${extra_args[@]}" || status=$?
exit "$status"
