package testdb

import (
	"net/url"
	"os"
	"testing"
)

// PgBouncerURL creates a fresh PostgreSQL database and returns its URL
// through the PgBouncer of SCHEMA_TEST_PGBOUNCER_URL (transaction pooling
// mode; scripts/pgbouncer.sh starts one), and the database's direct URL.
// Without PgBouncer the test skips, or fails under SCHEMA_TEST_REQUIRE_ALL.
func PgBouncerURL(t testing.TB) (pooled, direct string) {
	t.Helper()
	raw := os.Getenv("SCHEMA_TEST_PGBOUNCER_URL")
	if raw == "" {
		msg := "PgBouncer is not configured: set SCHEMA_TEST_PGBOUNCER_URL, or run eval \"$(./scripts/databases.sh)\" (which starts one in transaction pooling mode)"
		if RequireAll() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	target := NewTarget(t, "postgres")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("SCHEMA_TEST_PGBOUNCER_URL: %v", err)
	}
	u.Path = "/" + target.Database
	direct, err = target.URL()
	if err != nil {
		t.Fatal(err)
	}
	return u.String(), direct
}
