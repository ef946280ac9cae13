#!/usr/bin/env bash
# The README's run command: installs dependencies, builds (Release) and runs
# `bottega serve`. Arguments are passed on: ./deploy/run.sh --config my.yml
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
build_dir=${BOTTEGA_BUILD_DIR:-build/release}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBOTTEGA_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target bottega

# exec: Ctrl-C and SIGTERM reach the server itself, which stops cleanly.
exec "$build_dir/app/bottega" serve "$@"
