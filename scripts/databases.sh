#!/usr/bin/env bash
# Makes sure PostgreSQL and MariaDB are installed, running and reachable for
# the test suite, installing them from Debian's packages when absent, and
# that a PgBouncer in transaction pooling mode stands in front of the
# PostgreSQL (scripts/pgbouncer.sh). Prints the URLs to use as shell exports
# on stdout; everything else goes to stderr. Fails if a server cannot be
# made reachable.
#
# A PgBouncer it starts is left running, as the servers are; its folder is
# exported as SCHEMA_TEST_PGBOUNCER_STARTED so that the caller can stop it
# (scripts/test.sh does, when it ends). An already reachable
# SCHEMA_TEST_PGBOUNCER_URL is used as it is.
set -euo pipefail

log() { echo "databases: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

PG_URL=${SCHEMA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
MY_URL=${SCHEMA_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}
apt_updated=""

install() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq >&2
    apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

wait_for() { # wait_for NAME COMMAND...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "$name did not come up"
  return 1
}

# --- PostgreSQL -------------------------------------------------------------
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  install postgresql
fi
for version in $(ls /etc/postgresql); do
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online" {found=1} END {exit !found}'; then
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  fi
done
wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432

pg_ok() { psql "${PG_URL%%\?*}" -Atqc 'SELECT 1' >/dev/null 2>&1; }
if ! pg_ok; then
  # A fresh Debian cluster has no password-less TCP login: add a test role
  # with a password (allowed by the default pg_hba.conf) instead of
  # loosening the server's authentication.
  log "creating PostgreSQL role schematest"
  as_root runuser -u postgres -- psql -qc \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schematest') THEN CREATE ROLE schematest LOGIN CREATEDB PASSWORD 'schematest'; END IF; END\$\$;" >&2
  as_root runuser -u postgres -- psql -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
    as_root runuser -u postgres -- createdb -O schematest test >&2
  PG_URL="postgres://schematest:schematest@127.0.0.1:5432/test?sslmode=disable"
fi
if ! psql "$PG_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  psql "${PG_URL%/*}/postgres" -qc 'CREATE DATABASE test' >&2 2>/dev/null || true
fi
pg_ok || psql "$PG_URL" -Atqc 'SELECT 1' >/dev/null || { log "cannot log in to PostgreSQL at ${PG_URL%%@*}@..."; exit 1; }

# --- MariaDB ----------------------------------------------------------------
if [ ! -x /usr/sbin/mariadbd ]; then
  install mariadb-server
fi
if ! mariadb-admin ping >/dev/null 2>&1 && ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  log "starting MariaDB"
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >&2
fi
wait_for MariaDB mariadb-admin -h 127.0.0.1 --protocol=tcp ping

my_ok() { mariadb -h 127.0.0.1 --protocol=tcp -u root -e 'SELECT 1' >/dev/null 2>&1; }
if [ -z "${SCHEMA_TEST_MYSQL_URL:-}" ] && ! my_ok; then
  # Debian's root logs in through the unix socket only: add a test user.
  log "creating MariaDB user schematest"
  as_root mariadb -e "CREATE USER IF NOT EXISTS 'schematest'@'127.0.0.1' IDENTIFIED BY 'schematest';
    CREATE USER IF NOT EXISTS 'schematest'@'localhost' IDENTIFIED BY 'schematest';
    GRANT ALL PRIVILEGES ON *.* TO 'schematest'@'127.0.0.1'; GRANT ALL PRIVILEGES ON *.* TO 'schematest'@'localhost';
    CREATE DATABASE IF NOT EXISTS test;" >&2
  MY_URL="mysql://schematest:schematest@127.0.0.1:3306/test"
elif my_ok; then
  mariadb -h 127.0.0.1 --protocol=tcp -u root -e 'CREATE DATABASE IF NOT EXISTS test' >&2
fi

# --- PgBouncer --------------------------------------------------------------
if [ -n "${SCHEMA_TEST_PGBOUNCER_URL:-}" ] && psql "$SCHEMA_TEST_PGBOUNCER_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  PGB_EXPORTS="export SCHEMA_TEST_PGBOUNCER_URL='$SCHEMA_TEST_PGBOUNCER_URL'"
else
  PGB_EXPORTS=$("$(dirname "$0")/pgbouncer.sh" start "$PG_URL")
fi

echo "export SCHEMA_TEST_POSTGRES_URL='$PG_URL'"
echo "export SCHEMA_TEST_MYSQL_URL='$MY_URL'"
echo "$PGB_EXPORTS"
