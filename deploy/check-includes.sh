#!/usr/bin/env bash
# The dependency direction of DESIGN.md §2: app → engine → github → config,
# never back. Fails, naming file and line, on an include that points back:
#   config/ including github/, engine/ or app/
#   github/ including engine/ or app/
#   engine/ including app/
# Usage: deploy/check-includes.sh [root]   (root: default the repository;
# tests/deploy/check_includes_test.sh passes a temporary tree)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

status=0
# forbid <folder> <module>...: no file under <folder> includes a <module>/.
forbid() {
  local dir=$1
  shift
  [ -d "$dir" ] || return 0
  local modules
  modules=$(IFS='|' && echo "$*")
  local hit
  while IFS= read -r hit; do
    echo "check-includes: $hit" >&2
    echo "  $dir/ must not include $* (the dependency points from app to engine to github to config)" >&2
    status=1
  done < <(grep -rnE --include='*.h' --include='*.hpp' --include='*.cpp' --include='*.cc' \
    "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"](\.\./)*($modules)/" "$dir" || true)
}

forbid config github engine app
forbid github engine app
forbid engine app
exit "$status"
