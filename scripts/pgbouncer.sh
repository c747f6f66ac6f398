#!/usr/bin/env bash
# PgBouncer in transaction pooling mode in front of the test PostgreSQL, as
# deployments with several backend replicas run it: the runner's lock must
# hold through it (db/pgbouncer_test.go, tests/cli_pgbouncer_test.go).
#
#   scripts/pgbouncer.sh start POSTGRES_URL
#       installs Debian's pgbouncer if absent, starts one on a free port
#       (6432 or the next free one) in a new temporary folder, and prints
#       shell exports on stdout: SCHEMA_TEST_PGBOUNCER_URL and
#       SCHEMA_TEST_PGBOUNCER_STARTED (the folder, for stop).
#   scripts/pgbouncer.sh stop DIR
#       stops the PgBouncer started in DIR and removes DIR.
#
# Test cluster only: clients log in as anyone (auth_type any) and PgBouncer
# logs in to PostgreSQL with the credentials of POSTGRES_URL.
set -euo pipefail

log() { echo "pgbouncer: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

start() {
  local pg_url=$1
  if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    log "installing pgbouncer"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq pgbouncer >&2
  fi
  local bin
  bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

  # postgres://user[:password]@host[:port]/db?...
  local rest=${pg_url#*://} creds="" hostport user password="" host port
  rest=${rest%%/*}
  if [[ $rest == *@* ]]; then creds=${rest%@*}; rest=${rest##*@}; fi
  user=${creds%%:*}
  [[ $creds == *:* ]] && password=${creds#*:}
  user=${user:-postgres}
  hostport=$rest
  host=${hostport%%:*}
  port=5432
  [[ $hostport == *:* ]] && port=${hostport##*:}

  local listen=6432
  while (exec 3<>"/dev/tcp/127.0.0.1/$listen") 2>/dev/null; do
    listen=$((listen + 1))
    if [ "$listen" -gt 6531 ]; then log "no free port in 6432-6531"; return 1; fi
  done

  local dir
  dir=$(mktemp -d /tmp/schema-pgbouncer.XXXXXX)
  local login="host=$host port=$port user=$user"
  [ -n "$password" ] && login="$login password=$password"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = $login

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
  chmod 755 "$dir"
  chmod 644 "$dir/pgbouncer.ini"
  # PgBouncer refuses to run as root.
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    as=(-u postgres)
  fi
  "$bin" -d "${as[@]}" "$dir/pgbouncer.ini" >&2
  local url="postgres://schematest@127.0.0.1:$listen/test?sslmode=disable"
  for _ in $(seq 1 50); do
    if psql "$url" -Atqc 'SELECT 1' >/dev/null 2>&1; then
      log "started on port $listen in transaction pooling mode ($dir)"
      echo "export SCHEMA_TEST_PGBOUNCER_URL='$url'"
      echo "export SCHEMA_TEST_PGBOUNCER_STARTED='$dir'"
      return 0
    fi
    sleep 0.2
  done
  log "did not come up; its log:"
  cat "$dir/pgbouncer.log" >&2 || true
  stop "$dir"
  return 1
}

stop() {
  local dir=$1
  case $dir in /tmp/schema-pgbouncer.*) ;; *) log "refusing to stop $dir: not a folder this script made"; return 1 ;; esac
  if [ -f "$dir/pgbouncer.pid" ]; then
    local pid
    pid=$(cat "$dir/pgbouncer.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$dir"
}

case ${1:-} in
  start) start "${2:?usage: pgbouncer.sh start POSTGRES_URL}" ;;
  stop) stop "${2:?usage: pgbouncer.sh stop DIR}" ;;
  *) echo "usage: pgbouncer.sh start POSTGRES_URL | stop DIR" >&2; exit 2 ;;
esac
