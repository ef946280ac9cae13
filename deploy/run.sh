#!/usr/bin/env bash
# The README's run command: installs dependencies, builds (Release) and runs
# `bottega serve`. Arguments are passed on: ./deploy/run.sh --config my.yml
#
# ./deploy/run.sh --demo [--demo-harness claude|codex|opencode --model M]
# plays the offline demo instead (spec/demo.md): a stand-in GitHub, the
# sample repository, a scripted agent (or a real one with your key), one
# whole task from issue to merged pull request, then the web pages until
# Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=0
if [ "${1:-}" = "--demo" ]; then
  demo=1
  shift
fi

./deploy/install-deps.sh
build_dir=${BOTTEGA_BUILD_DIR:-build/release}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBOTTEGA_BUILD_TESTS=OFF >/dev/null

if [ "$demo" = 1 ]; then
  cmake --build "$build_dir" -j "$(nproc)" --target bottega bottega-demo fake_agent
  args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --demo-harness) args+=(--harness "${2:?--demo-harness needs claude, codex or opencode}"); shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  # exec: Ctrl-C reaches the demo, which stops the server and everything it started.
  exec "$build_dir/app/demo/bottega-demo" "${args[@]+"${args[@]}"}"
fi

cmake --build "$build_dir" -j "$(nproc)" --target bottega
# exec: Ctrl-C and SIGTERM reach the server itself, which stops cleanly.
exec "$build_dir/app/bottega" serve "$@"
