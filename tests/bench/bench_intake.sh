#!/usr/bin/env bash
# bench_intake: sustained webhook intake on this machine.
#
# Starts a throwaway PostgreSQL (synchronous_commit on, fsync on) and a
# Release `bottega serve` with no job workers, then drives POST
# /webhooks/github with wrk over keep-alive connections: an ~8 KB signed
# issue_comment payload, a unique X-GitHub-Delivery per request. Prints
# deliveries/s, latency percentiles, the server's peak RSS, and checks that
# every 2xx answer has its row in the database.
#
#   DURATION=20s CONNECTIONS=32 THREADS=2 tests/bench/bench_intake.sh
#
# COMMENT=ordinary: the comment is not a command (the most common delivery:
# stored, answered, no job); default COMMENT=command ("/plan ...", a job).
#
# MODE=duplicates (IDS=500): every connection repeats one sequence of IDS
# delivery ids, so the same ids race on many connections at once (GitHub
# redeliveries, two hooks). It checks that every answer is 200 or 202 and
# that every id is stored once, with one job.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
mode=${MODE:-unique}
ids=${IDS:-500}
comment=${COMMENT:-command}
case $comment in
  command) comment_text='/plan please look at the widget' ;;
  ordinary) comment_text='Looks good to me, thanks for looking at the widget' ;;
  *) echo "COMMENT is command or ordinary" >&2; exit 2 ;;
esac
case $mode in
  unique) cycle=0 ;;
  duplicates) cycle=$ids ;;
  *) echo "MODE is unique or duplicates" >&2; exit 2 ;;
esac

./deploy/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBOTTEGA_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target bottega >/dev/null

. deploy/lib/postgres.sh
tmp=$(mktemp -d /tmp/bottega-bench.XXXXXX)
chmod 755 "$tmp"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  pg_throwaway_stop "$tmp/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
pg_throwaway_start "$tmp/pg"
db="host=$tmp/pg/run user=bottega dbname=postgres"

# An ~8 KB issue_comment, shaped like GitHub's.
filler=$(head -c 7000 /dev/zero | tr '\0' 'x')
cat >"$tmp/payload.json" <<JSON
{"action":"created","issue":{"number":42,"title":"Make the widget faster","state":"open","user":{"id":1,"login":"octocat","type":"User"},"labels":[{"name":"bottega"}],"assignees":[],"body":"The widget is slow."},"comment":{"id":123456789,"html_url":"https://github.com/octo/hello/issues/42#issuecomment-123456789","body":"${comment_text} ${filler}","user":{"id":2,"login":"hubot","type":"User"}},"repository":{"id":1296269,"full_name":"octo/hello","default_branch":"main"},"installation":{"id":77},"sender":{"id":2,"login":"hubot","type":"User"}}
JSON
secret="bench-secret-$(date +%s)"
sig="sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$tmp/payload.json" | cut -d' ' -f1)"
port=$((20000 + RANDOM % 20000))

BOTTEGA_LISTEN=127.0.0.1:$port DATABASE_URL="$db" BOTTEGA_WEBHOOK_SECRET="$secret" \
  BOTTEGA_WORKERS=0 BOTTEGA_LOG_LEVEL=warn BOTTEGA_DATA_DIR="$tmp/var" \
  build/release/app/bottega serve >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done

echo "bench_intake ($mode, $comment comment): $(wc -c <"$tmp/payload.json") byte payload, wrk -t$threads -c$connections -d$duration"
# Warm up, then measure.
wrk -t"$threads" -c"$connections" -d2s -s tests/bench/bench_intake.lua "http://127.0.0.1:$port" \
  -- "$tmp/payload.json" "$sig" warm >/dev/null
cpu_ticks() {  # user+system clock ticks of the given pids
  local total=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
pg_pids() {
  local master
  master=$(head -1 "$tmp/pg/data/postmaster.pid")
  echo "$master $(ps -o pid= --ppid "$master" | tr '\n' ' ')"
}
server_before=$(cpu_ticks "$server")
pg_before=$(cpu_ticks $(pg_pids))
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s tests/bench/bench_intake.lua \
  "http://127.0.0.1:$port" -- "$tmp/payload.json" "$sig" run "$cycle" | tee "$tmp/wrk.txt"

server_after=$(cpu_ticks "$server")
pg_after=$(cpu_ticks $(pg_pids))
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
# Stop the server (it answers what is in flight) before counting rows.
kill -TERM "$server"
wait "$server" || true
server=""
requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $5}' "$tmp/wrk.txt")
non2xx=${non2xx:-0}
stored=$(psql "$db" -Atc "SELECT count(*) FROM deliveries WHERE delivery_id LIKE 'run-%'")
jobs=$(psql "$db" -Atc "SELECT count(*) FROM jobs j JOIN deliveries d USING (delivery_id) WHERE d.delivery_id LIKE 'run-%'")
echo "---"
echo "server peak RSS: $((rss_kb / 1024)) MB"
echo "answered: $requests, non-2xx: $non2xx, stored deliveries: $stored, jobs: $jobs"
awk '/Requests\/sec/ {print "deliveries/s: " $2}' "$tmp/wrk.txt"
hz=$(getconf CLK_TCK)
echo "CPU per delivery: server $(( (server_after - server_before) * 1000000 / hz / (requests + 1) )) us, PostgreSQL $(( (pg_after - pg_before) * 1000000 / hz / (requests + 1) )) us"
awk '$1=="50%" {print "p50 latency: " $2} $1=="99%" {print "p99 latency: " $2}' "$tmp/wrk.txt"
if [ "$mode" = duplicates ]; then
  errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$tmp/wrk.txt")
  errors=${errors:-0}
  distinct=$(psql "$db" -Atc "SELECT count(DISTINCT delivery_id) FROM deliveries WHERE delivery_id LIKE 'run-%'")
  per_id=$(psql "$db" -Atc "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM jobs WHERE delivery_id LIKE 'run-%' GROUP BY delivery_id) AS j")
  echo "duplicates: $ids ids, stored $stored ($distinct distinct), jobs $jobs (at most $per_id per id), socket errors $errors"
  expected=$(( requests < ids ? requests : ids ))
  expected_jobs=$stored
  [ "$comment" = ordinary ] && expected_jobs=0
  if [ "$non2xx" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$stored" -ne "$expected" ] ||
     [ "$jobs" -ne "$expected_jobs" ] || [ "$per_id" -gt 1 ]; then
    echo "FAIL: under racing duplicates every answer must be 200 or 202 and every id stored once" >&2
    exit 1
  fi
  exit 0
fi
# wrk counts requests it sent at the deadline but never saw answered as not
# completed, so stored may exceed answered by the ones in flight; never less.
if [ "$stored" -lt $((requests - non2xx)) ]; then
  echo "FAIL: fewer stored deliveries than 2xx answers" >&2
  exit 1
fi
