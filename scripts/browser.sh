#!/usr/bin/env bash
# Headless Chromium for the SPA's browser tests (Tests/EndToEndTests/Browser*Tests.swift).
#   scripts/browser.sh install   install Debian's chromium + chromium-driver when missing (root)
#   scripts/browser.sh check     print the versions; fails when either is missing
# The tests find /usr/bin/chromium and /usr/bin/chromedriver (CHROMIUM / CHROMEDRIVER override).
# A missing browser fails the browser tests; it is never a skip.
set -euo pipefail

log() { printf '[browser] %s\n' "$*" >&2; }
die() { printf '[browser] ERROR: %s\n' "$*" >&2; exit 1; }

installed() {
    command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1 && command -v "${CHROMEDRIVER:-chromedriver}" >/dev/null 2>&1
}

install() {
    installed && return 0
    [[ $EUID -eq 0 ]] || die "chromium/chromedriver missing (as root: apt-get install -y chromium chromium-driver)"
    log "installing chromium and chromium-driver"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
    installed || die "apt-get installed chromium-driver but chromium or chromedriver is still missing"
}

check() {
    installed || die "chromium or chromedriver missing (scripts/browser.sh install)"
    "${CHROMIUM:-chromium}" --version
    "${CHROMEDRIVER:-chromedriver}" --version
}

case "${1:-check}" in
    install) install ;;
    check) check ;;
    *) die "usage: $0 install|check" ;;
esac
