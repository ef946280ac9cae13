#!/usr/bin/env bash
# Every tracked C++ file is formatted as .clang-format says (Google style,
# 100 columns), by Debian 12's clang-format-14 (another version formats
# differently). Fails naming the files and the command that fixes them.
# The commit that first formatted everything is in .git-blame-ignore-revs
# (git config blame.ignoreRevsFile .git-blame-ignore-revs).
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format-14}
command -v "$fmt" >/dev/null || { echo "check-format: $fmt not found (deploy/install-deps.sh installs it)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.h')
bad=()
for f in "${files[@]}"; do
  "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -ne 0 ]; then
  echo "check-format: ${#bad[@]} file(s) not formatted as .clang-format says:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "  fix: $fmt -i ${bad[*]}" >&2
  exit 1
fi
