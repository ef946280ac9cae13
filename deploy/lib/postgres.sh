# Shell helpers for a throwaway PostgreSQL server (sourced by test.sh and the
# benchmarks). The server listens on a unix socket in $dir/run only.

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || { echo "PostgreSQL server programs not found (install postgresql)" >&2; return 1; }
  echo "$d"
}

# Runs a command as the server's user: ourselves, or 'postgres' when root.
pg_as_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_throwaway_start() {
  local dir=$1 bin
  bin=$(pg_bin_dir)
  mkdir -p "$dir/run"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  pg_as_user "$bin/initdb" -D "$dir/data" -U bottega --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/run'
max_connections = 200
fsync = on
synchronous_commit = on
# As the embedded server: room for write bursts between checkpoints, and
# new WAL segments not zero-filled (a 16 MB write that stalls commits).
max_wal_size = '4GB'
checkpoint_timeout = '15min'
wal_init_zero = off
CONF
  pg_as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -s start ||
    { cat "$dir/postgres.log" >&2; return 1; }
}

pg_throwaway_stop() {
  local dir=$1 bin
  [ -f "$dir/data/postmaster.pid" ] || return 0
  bin=$(pg_bin_dir)
  pg_as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w -s stop
}
