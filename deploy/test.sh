#!/usr/bin/env bash
# The README's test command: checks that includes point the way DESIGN.md
# says, installs what the project needs, builds with warnings as errors,
# starts a throwaway PostgreSQL server, runs every test (labels unit,
# integration, e2e), stops the server, and exits non-zero on any failure.
#
#   BOTTEGA_BUILD_DIR   build directory (default build/test)
#   BOTTEGA_SANITIZE=1  build with AddressSanitizer + UBSan
#   CTEST_ARGS          extra arguments for ctest (e.g. "-L unit")
#   BOTTEGA_FUZZ_RUNS   executions per fuzz target, from a fixed seed so a
#                       run gives the same answer each time (default 20000;
#                       0 skips the fuzzers, which need clang++-16)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Cheap checks first, before the build: the dependency direction of
# DESIGN.md §2 (and the check's own test).
./deploy/check-includes.sh
tests/deploy/check_includes_test.sh

./deploy/install-deps.sh
./deploy/check-format.sh

build_dir=${BOTTEGA_BUILD_DIR:-build/test}
sanitize=OFF
[ "${BOTTEGA_SANITIZE:-0}" = 1 ] && sanitize=ON
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DBOTTEGA_WARNINGS_AS_ERRORS=ON -DBOTTEGA_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"

# Pinned npm packages the tests read (payload examples, API descriptions,
# the agent CLIs); fetched here, never committed. Kept in the user's cache,
# outside /tmp (agents run with a private /tmp) and shared by checkouts.
export BOTTEGA_NPM_DIR="${BOTTEGA_NPM_DIR:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/bottega/npm}"
tests/support/npm-packages.sh

# A throwaway PostgreSQL server: initdb into a temporary directory, a unix
# socket only, as an unprivileged user when we are root (initdb refuses root).
. deploy/lib/postgres.sh
tmp=$(mktemp -d /tmp/bottega-test.XXXXXX)
chmod 755 "$tmp"
cleanup() {
  pg_throwaway_stop "$tmp/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
pg_throwaway_start "$tmp/pg"
export BOTTEGA_TEST_DATABASE_URL="host=$tmp/pg/run user=bottega dbname=postgres"
export BOTTEGA_BINARY="$root/$build_dir/app/bottega"
export TMPDIR="$tmp"

cd "$build_dir"
ctest --output-on-failure --no-tests=error -j "$(nproc)" ${CTEST_ARGS:-}

# The fuzz targets (tests/fuzz): a separate clang build, each target a fixed
# number of executions from its seed corpus and a fixed seed, so the suite is
# deterministic; a crash fails the run. Searching for new crashes is the long,
# random run (README).
cd "$root"
fuzz_runs=${BOTTEGA_FUZZ_RUNS:-20000}
if [ "$fuzz_runs" != 0 ] && command -v clang++-16 >/dev/null; then
  fuzz_dir=${BOTTEGA_FUZZ_BUILD_DIR:-build/fuzz}
  cmake -S . -B "$fuzz_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-16 -DBOTTEGA_FUZZ=ON -DBOTTEGA_WARNINGS_AS_ERRORS=ON >/dev/null
  cmake --build "$fuzz_dir" -j "$(nproc)" --target fuzz_targets
  FUZZ_RUNS=$fuzz_runs FUZZ_SEED=1 tests/fuzz/run.sh "$fuzz_dir" 300
else
  echo "test.sh: fuzz targets skipped (no clang++-16, or BOTTEGA_FUZZ_RUNS=0)" >&2
fi
