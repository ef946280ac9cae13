#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for SECONDS each (default 5), from
# its checked-in seed corpus, and fails on the first crash, leak or timeout.
# New inputs stay in a scratch corpus (the checked-in seeds stay small); a
# crashing input is written to $OUT/crash-<target>-* for a regression test.
# FUZZ_RUNS=N stops each target after N executions and FUZZ_SEED fixes the
# random seed: the suite's deterministic mode (SECONDS is then only a cap).
#   FUZZ_RUNS=20000 FUZZ_SEED=1 tests/fuzz/run.sh build/fuzz 300   # the suite
#   tests/fuzz/run.sh build/fuzz 3600 4     # searching: an hour, 4 jobs each
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS] [JOBS]}
seconds=${2:-5}
jobs=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-$build/fuzz-out}
mkdir -p "$out"
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then  # readable stacks in the logs
  for s in llvm-symbolizer-16 llvm-symbolizer; do
    command -v "$s" >/dev/null && { export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; }
  done
fi
failed=()
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  seeds=$here/corpus/${name#fuzz_}
  scratch=$out/corpus-${name#fuzz_}
  mkdir -p "$scratch"
  log=$out/$name.log
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
        -artifact_prefix="$out/crash-$name-" -print_final_stats=1)
  [ "$jobs" -gt 1 ] && args+=(-fork="$jobs")
  runs=${FUZZ_RUNS:-}
  if [ "$name" = fuzz_github_answers ]; then
    # Each input is an HTTP round trip through the whole REST client: an
    # eighth of the runs takes as long as the other targets. The client
    # keeps its connection, token and caches across inputs, which a leak
    # check after every input would flag; leaks are still checked at exit.
    args+=(-detect_leaks=0)
    [ -n "$runs" ] && runs=$(( (runs + 7) / 8 ))
  fi
  [ -n "$runs" ] && args+=(-runs="$runs")
  [ -n "${FUZZ_SEED:-}" ] && args+=(-seed="$FUZZ_SEED")
  if "$bin" "${args[@]}" "$scratch" "$seeds" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
    echo "fuzz: $name: $runs executions, no crash"
  else
    echo "fuzz: $name FAILED (see $log):" >&2
    grep -E 'ERROR|runtime error|Test unit written' "$log" | head -5 >&2 || tail -20 "$log" >&2
    failed+=("$name")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: crashes in ${failed[*]}" >&2; exit 1; }
