#!/usr/bin/env bash
# Builds the container image and starts the compose file (the app with
# PostgreSQL 15), waits for /readyz, checks the setup link is logged, then
# takes everything down (volumes included). Needs a Docker daemon with the
# compose plugin and access to Docker Hub (debian:12, postgres:15).
#
#   ./deploy/container-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker info >/dev/null 2>&1; then
  echo "container-check: no Docker daemon here; nothing checked" >&2
  exit 2
fi
project=bottega-check-$$
export BOTTEGA_PUBLIC_URL=https://bottega.example.invalid
export BOTTEGA_SECRET_KEY=$(openssl rand -hex 32)
compose=(docker compose -p "$project" -f deploy/compose.yml)
cleanup() { "${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

"${compose[@]}" build
"${compose[@]}" up -d
for _ in $(seq 1 60); do
  if "${compose[@]}" exec -T bottega /bin/bash -c \
      'exec 3<>/dev/tcp/127.0.0.1/3000 && printf "GET /readyz HTTP/1.0\r\n\r\n" >&3 && cat <&3' \
      2>/dev/null | grep -q '^ready'; then
    ready=1
    break
  fi
  sleep 2
done
if [ "${ready:-0}" != 1 ]; then
  "${compose[@]}" logs bottega | tail -40 >&2
  echo "container-check: /readyz never answered ready" >&2
  exit 1
fi
"${compose[@]}" logs bottega | grep -q 'setup?token=' || {
  echo "container-check: no setup link in the log" >&2
  exit 1
}
"${compose[@]}" exec -T bottega bottega doctor || true  # shows what a fresh install lacks
echo "container-check: image built, compose up, /readyz ready, setup link logged"
