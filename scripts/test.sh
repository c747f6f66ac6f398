#!/usr/bin/env bash
# The whole test suite on SQLite, PostgreSQL and MariaDB, and PostgreSQL
# through PgBouncer. It makes sure the servers are installed and running
# first (scripts/databases.sh), stops the PgBouncer that started for it
# when it ends, and fails, rather than skips, when a dialect cannot be
# tested. Extra arguments go to `go test` as flags (e.g. -run TestDrift).
set -euo pipefail
cd "$(dirname "$0")/.."

unset SCHEMA_TEST_PGBOUNCER_STARTED
exports=$(./scripts/databases.sh)
eval "$exports"
if [ -n "${SCHEMA_TEST_PGBOUNCER_STARTED:-}" ]; then
  trap './scripts/pgbouncer.sh stop "$SCHEMA_TEST_PGBOUNCER_STARTED"' EXIT
fi
export SCHEMA_TEST_REQUIRE_ALL=1

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
# The fault seam's injecting half is only built with its tag (the fault
# suite in tests/ builds the command with it).
go vet -tags faultinject ./internal/fault/ ./db/ ./cmd/schema/
# Most of a test's time is spent waiting on a server, not on the CPU:
# four tests at once per package keep both cores busy. tests/ (the
# end-to-end suites, the longest package) runs beside the others from the
# start, where go test would start it last, in package order; the two
# runs wait for each other, so that neither outlives the PgBouncer above.
set +e
go test -count=1 -parallel 4 -timeout 30m "$@" ./tests/ &
e2e=$!
go test -count=1 -parallel 4 -timeout 30m "$@" $(go list ./... | grep -v '/tests$')
rest=$?
wait "$e2e"
e2e_rc=$?
set -e
if [ "$rest" -ne 0 ] || [ "$e2e_rc" -ne 0 ]; then
  exit 1
fi
go test -count=1 -tags faultinject "$@" ./internal/fault/
