#!/usr/bin/env bash
# Reproduces the offline demo as a newcomer would: clones the repository
# afresh, runs `./deploy/run.sh --demo` (which installs what is missing,
# builds, and plays the story), waits for the story's end, stops it with
# Ctrl-C (SIGINT) and checks that nothing it started is left running.
#
# Usage: deploy/demo-reproduce.sh [REPOSITORY [DEMO FLAGS...]]
#   REPOSITORY  what to clone (default: this checkout)
#   DEMO FLAGS  passed on, e.g. --fast, or --demo-harness claude --model M
# Environment: DEMO_TIMEOUT seconds for install, build and story (default 3600).
# Exit status 0 when the story completed and everything stopped.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$here}
shift || true
timeout=${DEMO_TIMEOUT:-3600}

work=$(mktemp -d /var/tmp/bottega-demo-XXXXXX)
echo "demo-reproduce: cloning $src into $work/bottega"
git clone --quiet "$src" "$work/bottega"
cd "$work/bottega"
log="$work/demo.log"
echo "demo-reproduce: ./deploy/run.sh --demo $* (output: $log)"
# A session of its own: the signal below reaches the demo as Ctrl-C would.
setsid ./deploy/run.sh --demo "$@" >"$log" 2>&1 &
pid=$!

status=1
for ((i = 0; i < timeout; i++)); do
  if grep -q "still running so you can click around" "$log"; then
    status=0
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 1
done
if [ "$status" = 0 ]; then
  echo "demo-reproduce: the story is complete:"
  grep -E "^demo: (the story|the task page|the board)" "$log" | sed 's/^/  /'
else
  echo "demo-reproduce: the story did not complete; the end of its output:" >&2
  tail -40 "$log" >&2
fi

echo "demo-reproduce: stopping it (SIGINT, as Ctrl-C)"
kill -INT "$pid" 2>/dev/null || true
for ((i = 0; i < 90; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "demo-reproduce: the demo did not stop within 90 s of SIGINT" >&2
  kill -KILL -- "-$pid" 2>/dev/null || true
  status=1
fi
wait "$pid" 2>/dev/null || true
sleep 1
left=$(pgrep -af -- "$work" | grep -v demo-reproduce || true)
if [ -n "$left" ]; then
  echo "demo-reproduce: processes left behind:" >&2
  echo "$left" >&2
  status=1
else
  echo "demo-reproduce: everything stopped; nothing left running"
fi
[ "$status" = 0 ] && rm -rf "$work"
exit "$status"
