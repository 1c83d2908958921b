#!/usr/bin/env bash
# The gateway image's health check: exit 0 when GET /health/ready answers 200 on this container's
# own port (PORT, default 8080). Uses bash's /dev/tcp so the slim image needs no curl or wget.
set -euo pipefail
port="${PORT:-8080}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 5 status_line <&3
[[ $status_line == "HTTP/1."[01]" 200 "* ]]
