#!/usr/bin/env bash
# Installs the Debian 12 packages Bottega builds, tests and runs with.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-all-dev libboost-json1.81-dev libboost-url1.81-dev
  libpqxx-dev libsimdjson-dev libspdlog-dev libssl-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev
  postgresql bubblewrap git curl ca-certificates openssl
  wrk procps
  clang-format-14  # deploy/check-format.sh: the formatter .clang-format is written for
  prometheus  # promtool checks the /metrics output (tests/e2e/metrics_test.cpp)
  clang-16 libclang-rt-16-dev llvm-16  # the fuzz build (tests/fuzz): libFuzzer, symbolizer
  chromium  # the web pages' browser test (tests/e2e/web_browser_test.sh), headless
)
# Node.js may come from another source (NodeSource ships npm inside nodejs).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
