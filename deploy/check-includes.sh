#!/usr/bin/env bash
# The dependency direction of DESIGN.md §2: app → engine → github → config,
# never back. Fails, naming file and line, on an include that points back:
#   config/ including github/, engine/ or app/
#   github/ including engine/ or app/
#   engine/ including app/
# and on one that reaches into a module's private inside from outside it:
#   github/client/ (the REST client's parts) from engine/ or app/
# Usage: deploy/check-includes.sh [root]   (root: default the repository;
# tests/deploy/check_includes_test.sh passes a temporary tree)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

status=0
# forbid <folder> <why> <path>...: no file under <folder> includes a
# header under any <path>/.
forbid() {
  local dir=$1 why=$2
  shift 2
  [ -d "$dir" ] || return 0
  local paths
  paths=$(IFS='|' && echo "$*")
  local hit
  while IFS= read -r hit; do
    echo "check-includes: $hit" >&2
    echo "  $dir/ must not include $* ($why)" >&2
    status=1
  done < <(grep -rnE --include='*.h' --include='*.hpp' --include='*.cpp' --include='*.cc' \
    "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"](\.\./)*($paths)/" "$dir" || true)
}

direction="the dependency points from app to engine to github to config"
forbid config "$direction" github engine app
forbid github "$direction" engine app
forbid engine "$direction" app
private="private to github/; use github/client.h"
forbid engine "$private" github/client
forbid app "$private" github/client
exit "$status"
