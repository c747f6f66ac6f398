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
# four tests at once per package, and three packages at once (so that the
# two longest, db and tests, run side by side rather than one after the
# other), keep both cores busy.
go test -count=1 -p 3 -parallel 4 -timeout 30m "$@" ./...
go test -count=1 -tags faultinject "$@" ./internal/fault/
