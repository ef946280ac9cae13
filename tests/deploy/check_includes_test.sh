#!/usr/bin/env bash
# Tests deploy/check-includes.sh on a temporary tree: a tree whose includes
# all point the right way passes; each wrong-direction include fails the
# check, which names the file and the line.
set -euo pipefail
script="$(cd "$(dirname "$0")/../.." && pwd)/deploy/check-includes.sh"
tree=$(mktemp -d "${TMPDIR:-/tmp}/check-includes.XXXXXX")
trap 'rm -rf "$tree"' EXIT
failures=0
fail() {
  echo "check_includes_test: FAIL: $*" >&2
  failures=$((failures + 1))
}

# The allowed directions, and text that only looks like an include.
mkdir -p "$tree"/{config/base,github/webhook,engine/worker,app}
printf '#include "config/base/result.h"\n// includes github/ for nothing\n' >"$tree/config/base/clock.h"
printf '#include "config/base/clock.h"\n#include "github/client/call.h"\n' >"$tree/github/client.h"
printf '#include "github/client.h"\n#include "config/base/clock.h"\n' >"$tree/engine/worker/job.cpp"
printf '#include "engine/worker/job.h"\n#include "github/client.h"\n' >"$tree/app/main.cpp"
if ! "$script" "$tree" 2>"$tree/out"; then
  fail "a tree with every include in the right direction was refused: $(cat "$tree/out")"
fi

# expect_refused <file> <line> <text>: adding <text> as line <line> of
# <file> fails the check, naming file:line.
expect_refused() {
  local file=$1 line=$2 text=$3
  cp "$tree/$file" "$tree/$file.good"
  printf '%s\n' "$text" >>"$tree/$file"
  if "$script" "$tree" 2>"$tree/out"; then
    fail "$file including '$text' passed the check"
  elif ! grep -qF "$file:$line:" "$tree/out"; then
    fail "the refusal of '$text' does not name $file:$line: $(cat "$tree/out")"
  fi
  mv "$tree/$file.good" "$tree/$file"
}
expect_refused config/base/clock.h 3 '#include "github/client.h"'
expect_refused config/base/clock.h 3 '#include "engine/worker/job.h"'
expect_refused config/base/clock.h 3 '  #  include <app/main.h>'
expect_refused github/client.h 3 '#include "engine/worker/job.h"'
expect_refused github/client.h 3 '#include "../app/server.h"'
expect_refused engine/worker/job.cpp 3 '#include "app/server.h"'
expect_refused engine/worker/job.cpp 3 '#include "github/client/rate_governor.h"'
expect_refused app/main.cpp 3 '#include "github/client/request_core.h"'

# Back to the good tree: it passes again (nothing left behind).
"$script" "$tree" 2>/dev/null || fail "the restored tree was refused"

if [ "$failures" -ne 0 ]; then exit 1; fi
echo "check_includes_test: ok"
