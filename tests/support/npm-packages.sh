#!/usr/bin/env bash
# Installs the pinned npm packages the tests need (never committed), each
# into its own prefix: $BOTTEGA_NPM_DIR/<name>/node_modules/<package>.
# The list is tests/support/npm-packages.txt, one "<name> <package@version>"
# per line. A package already installed at that version is not fetched
# again. Fails loudly, naming the package, when npm cannot fetch it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${BOTTEGA_NPM_DIR:?set BOTTEGA_NPM_DIR}
mkdir -p "$dir"
while read -r name spec; do
  case "$name" in ''|'#'*) continue ;; esac
  stamp="$dir/$name/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$spec" ]; then continue; fi
  echo "npm: fetching $spec into $dir/$name" >&2
  mkdir -p "$dir/$name"
  if ! npm install --prefix "$dir/$name" --no-audit --no-fund --loglevel=error "$spec" >"$dir/$name.log" 2>&1; then
    echo "npm could not fetch $spec (is the npm registry reachable?):" >&2
    tail -20 "$dir/$name.log" >&2
    exit 1
  fi
  echo "$spec" >"$stamp"
done <"$here/npm-packages.txt"
