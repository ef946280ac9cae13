#!/usr/bin/env bash
# bench_vs_probot: Bottega's durable intake side by side with a Probot app
# that verifies, parses and dispatches and stores nothing
# (tests/bench/probot/app.mjs, probot 14.3.2 from npm), on the same
# machine, the same wrk load and the same signed ~8 KB issue_comment (an
# ordinary comment, the most common delivery). RUNS rounds, alternating,
# each printing deliveries/s and p99 of both and the ratio; Bottega's
# figures come from tests/bench/bench_intake.sh (every delivery committed
# before it is answered).
#   RUNS=3 DURATION=10s CONNECTIONS=32 tests/bench/bench_vs_probot.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-3}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
npm_dir=${BOTTEGA_NPM_DIR:-$HOME/.cache/bottega/npm}/bench-probot

./deploy/install-deps.sh
mkdir -p "$npm_dir"
cp tests/bench/probot/package.json tests/bench/probot/app.mjs "$npm_dir/"
[ -d "$npm_dir/node_modules/probot" ] || (cd "$npm_dir" && npm install --no-audit --no-fund --silent)

tmp=$(mktemp -d /tmp/bottega-probot.XXXXXX)
probot=""
trap '[ -n "$probot" ] && kill "$probot" 2>/dev/null; rm -rf "$tmp"' EXIT
openssl genrsa -out "$tmp/key.pem" 2048 2>/dev/null
filler=$(head -c 7000 /dev/zero | tr '\0' 'x')
cat >"$tmp/payload.json" <<JSON
{"action":"created","issue":{"number":42,"title":"Make the widget faster","state":"open","user":{"id":1,"login":"octocat","type":"User"},"labels":[{"name":"bottega"}],"assignees":[],"body":"The widget is slow."},"comment":{"id":123456789,"html_url":"https://github.com/octo/hello/issues/42#issuecomment-123456789","body":"Looks good to me, thanks for looking at the widget ${filler}","user":{"id":2,"login":"hubot","type":"User"}},"repository":{"id":1296269,"full_name":"octo/hello","default_branch":"main"},"installation":{"id":77},"sender":{"id":2,"login":"hubot","type":"User"}}
JSON
secret="probot-secret-$RANDOM"
sig="sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$tmp/payload.json" | cut -d' ' -f1)"

probot_run() {  # prints "deliveries/s p99"
  local port=$((20000 + RANDOM % 20000))
  PORT=$port WEBHOOK_SECRET=$secret PRIVATE_KEY_PATH="$tmp/key.pem" node "$npm_dir/app.mjs" \
    >"$tmp/probot.log" 2>&1 &
  probot=$!
  for _ in $(seq 100); do grep -q listening "$tmp/probot.log" && break; sleep 0.1; done
  wrk -t"$threads" -c"$connections" -d2s -s tests/bench/bench_intake.lua "http://127.0.0.1:$port" \
    -- "$tmp/payload.json" "$sig" warm >/dev/null
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s tests/bench/bench_intake.lua \
    "http://127.0.0.1:$port" -- "$tmp/payload.json" "$sig" run >"$tmp/wrk.txt"
  kill "$probot"; wait "$probot" 2>/dev/null || true; probot=""
  if grep -q "Non-2xx" "$tmp/wrk.txt"; then echo "bench_vs_probot: probot answered non-2xx" >&2; exit 1; fi
  echo "$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt") $(awk '$1=="99%" {print $2}' "$tmp/wrk.txt")"
}

bottega_run() {
  COMMENT=ordinary DURATION=$duration CONNECTIONS=$connections THREADS=$threads \
    tests/bench/bench_intake.sh >"$tmp/bottega.txt" 2>&1
  echo "$(awk '/^deliveries\/s:/ {print $2}' "$tmp/bottega.txt") $(awk '/^p99 latency:/ {print $3}' "$tmp/bottega.txt")"
}

for r in $(seq "$runs"); do
  read -r p_rate p_p99 < <(probot_run)
  read -r b_rate b_p99 < <(bottega_run)
  ratio=$(awk -v b="$b_rate" -v p="$p_rate" 'BEGIN {printf "%.2f", b / p}')
  echo "run $r: bottega $b_rate/s p99 $b_p99 (stored, committed) | probot $p_rate/s p99 $p_p99 (nothing stored) | ratio $ratio"
done
