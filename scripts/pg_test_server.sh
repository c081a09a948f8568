#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for tests and CI: its data directory, socket and log all live in
# DIR, it listens on 127.0.0.1:PORT only, and it is configured for logical replication.
#
#   pg_test_server.sh start   DIR PORT   initdb + start (a fresh cluster: anything in DIR/data
#                                        is stopped and wiped first); prints the conninfo
#   pg_test_server.sh restart DIR PORT   pg_ctl restart -m fast (the cluster keeps its data)
#   pg_test_server.sh stop    DIR PORT   stop (immediate) and remove DIR
#
# The server refuses to run as root, so when run as root the cluster belongs to the
# `postgres` user (runuser) and DIR is chowned to it; DIR must then be reachable by that user
# (a fresh mktemp -d directory in /tmp is). initdb's default pg_hba trusts local and loopback
# connections, replication included. fsync=off: crash-durability of the test server is not
# under test. Exit status non-zero with the reason (and the server log) on stderr on failure.
#
# PG_BIN overrides the directory of initdb/pg_ctl (default /usr/lib/postgresql/15/bin).
# PG_TEST_OWNER_PID (optional): a watchdog stops and removes the server once that process is
# gone, so a test killed before its `stop` leaves nothing running.
set -euo pipefail

usage() {
  echo "usage: $0 start|restart|stop DIR PORT" >&2
  exit 2
}

[ $# -eq 3 ] || usage
cmd=$1
dir=$2
port=$3
case "$port" in
  '' | *[!0-9]*) echo "pg_test_server: bad port '$port'" >&2; exit 2 ;;
esac
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
data=$dir/data
log=$dir/server.log

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

fail_with_log() {
  echo "pg_test_server: $1" >&2
  if [ -f "$log" ]; then
    echo "--- $log (last 40 lines) ---" >&2
    tail -n 40 "$log" >&2 || true
  fi
  exit 1
}

running() {
  [ -f "$data/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
  [ -x "$pg_bin/initdb" ] || fail_with_log "no initdb in $pg_bin (run scripts/setup.sh: postgresql-15)"
  mkdir -p "$dir"
  if running; then
    as_pg "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data" "$log"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" ||
      fail_with_log "$dir is not writable by the postgres user (is a parent directory private?)"
  fi
  local out
  if ! out=$(as_pg "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C \
    --no-sync 2>&1); then
    fail_with_log "initdb failed: $out"
  fi
  cat >>"$data/postgresql.conf" <<EOF

# pg_test_server.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
wal_level = logical
max_replication_slots = 8
max_wal_senders = 8
fsync = off
full_page_writes = off
max_connections = 40
shared_buffers = 32MB
TimeZone = 'UTC'
EOF
  if ! as_pg "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 30 start >/dev/null 2>&1; then
    fail_with_log "the server did not start on 127.0.0.1:$port"
  fi
  if [ -n "${PG_TEST_OWNER_PID:-}" ]; then
    watchdog "$PG_TEST_OWNER_PID" </dev/null >/dev/null 2>&1 &
  fi
  echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
}

watchdog() {
  while kill -0 "$1" 2>/dev/null; do sleep 1; done
  stop
}

restart() {
  [ -d "$data" ] || fail_with_log "no cluster in $data"
  if ! as_pg "$pg_bin/pg_ctl" -D "$data" -l "$log" -m fast -w -t 30 restart >/dev/null 2>&1; then
    fail_with_log "the server did not restart on 127.0.0.1:$port"
  fi
  echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
}

stop() {
  if running; then
    as_pg "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 ||
      fail_with_log "pg_ctl stop failed"
  fi
  rm -rf "$dir"
}

case "$cmd" in
  start) start ;;
  restart) restart ;;
  stop) stop ;;
  *) usage ;;
esac
