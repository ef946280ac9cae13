#!/usr/bin/env bash
# bench_store_ceiling: how many deliveries a second PostgreSQL alone stores
# on this machine: no HTTP server, no signature check, no load generator,
# no body sent over the wire (each ~7.4 KB body is made by the server
# itself). The same throwaway PostgreSQL as bench_intake.sh (fsync and
# synchronous_commit on), the same deliveries table and INSERT ... ON
# CONFLICT, BATCH rows a statement from each of CLIENTS pgbench clients,
# each on an empty table. Read it beside bench_intake.sh's figure: the part
# of the machine the store alone can use.
#   DURATION=10 BATCHES="13 40" CLIENTS="3 6" tests/bench/bench_store_ceiling.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${DURATION:-10}
batches=${BATCHES:-13 40}
clients=${CLIENTS:-3 6}

./deploy/install-deps.sh
. deploy/lib/postgres.sh
bin=$(pg_bin_dir)
tmp=$(mktemp -d /tmp/bottega-ceiling.XXXXXX)
chmod 755 "$tmp"
trap 'pg_throwaway_stop "$tmp/pg" || true; rm -rf "$tmp"' EXIT

cpu_ticks() { awk '/^cpu / {print $5, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

echo "bench_store_ceiling: PostgreSQL alone, $(nproc) cores, ${duration}s each"
for batch in $batches; do
  for c in $clients; do
    pg_throwaway_stop "$tmp/pg" || true
    rm -rf "$tmp/pg"
    pg_throwaway_start "$tmp/pg"
    db="host=$tmp/pg/run user=bottega dbname=postgres"
    psql "$db" -q -v ON_ERROR_STOP=1 -f sql/0002_intake_queue.sql >/dev/null
    cat >"$tmp/insert.sql" <<SQL
INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, sender,
                        outcome, reason, body)
SELECT md5(random()::text || g::text), 'issue_comment', 'created', 77, 'octo/hello', 'hubot',
       'accepted', '', convert_to(repeat('x', 7400) || g::text, 'UTF8')
FROM generate_series(1, $batch) AS g
ON CONFLICT (delivery_id) DO NOTHING;
SQL
    read -r idle0 total0 < <(cpu_ticks)
    pg_as_user "$bin/pgbench" -n -c "$c" -j 1 -T "$duration" -f "$tmp/insert.sql" "$db" >/dev/null
    read -r idle1 total1 < <(cpu_ticks)
    stored=$(psql "$db" -Atc "SELECT count(*) FROM deliveries")
    awk -v b="$batch" -v c="$c" -v s="$stored" -v d="$duration" -v i="$((idle1 - idle0))" \
      -v n="$((total1 - total0))" 'BEGIN {
        printf "batch %d, %d clients: %d deliveries/s stored (%d rows), machine idle %.0f%%\n",
               b, c, s / d, s, 100 * i / n }'
  done
done
