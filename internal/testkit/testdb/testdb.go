// Package testdb gives tests fresh, empty databases on every dialect: a
// temporary SQLite file, or a uniquely named PostgreSQL or MySQL database
// that is dropped when the test ends.
//
// PostgreSQL and MySQL are found through SCHEMA_TEST_POSTGRES_URL and
// SCHEMA_TEST_MYSQL_URL (defaulting to the local servers). When a server
// cannot be reached the test is skipped with the reason, unless
// SCHEMA_TEST_REQUIRE_ALL=1 (as in CI), which makes it fail instead.
package testdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// Dialects are the database families every cross-dialect test runs on.
var Dialects = []string{"sqlite", "postgres", "mysql"}

var defaults = map[string]struct{ env, url string }{
	"postgres": {"SCHEMA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	"mysql":    {"SCHEMA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"},
}

// ServerURL is the configured admin URL of a network dialect.
func ServerURL(name string) string {
	d := defaults[name]
	if u := os.Getenv(d.env); u != "" {
		return u
	}
	return d.url
}

type server struct {
	once   sync.Once
	target dialect.Target
	admin  *gorm.DB
	err    error
}

// Prefix starts the name of every test database: schematest_<unix
// time>_<pid>_<random> (dialect.NewScratchName), so that those of killed
// test runs can be told apart and dropped.
const Prefix = "schematest"

// staleAge is how old an unused test database must be before another test
// run drops it; no test runs that long.
const staleAge = time.Hour

var servers = map[string]*server{"postgres": {}, "mysql": {}}

func (s *server) connect(name string) {
	s.once.Do(func() {
		s.target, s.err = dialect.Parse(ServerURL(name))
		if s.err == nil {
			s.admin, s.err = dialect.Open(s.target)
		}
		if s.err == nil {
			sqlDB, _ := s.admin.DB()
			sqlDB.SetMaxOpenConns(2)
			// Test processes that were killed (a timeout, ^C) never ran
			// their clean-ups: drop their databases once they are old
			// and unused. Best effort; the tests do not depend on it.
			_, _ = dialect.DropStaleScratch(context.Background(), s.admin, Prefix, staleAge)
		}
	})
}

// RequireAll reports whether unreachable servers fail tests instead of
// skipping them.
func RequireAll() bool { return os.Getenv("SCHEMA_TEST_REQUIRE_ALL") == "1" }

// New returns a fresh empty database of the dialect and its target (for
// code that takes a URL), both cleaned up when the test ends.
func New(t testing.TB, name string) (dialect.Target, *gorm.DB) {
	t.Helper()
	target := NewTarget(t, name)
	db, err := dialect.Open(target)
	if err != nil {
		t.Fatalf("open %s: %v", target, err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return target, db
}

// Open returns a fresh empty database of the dialect.
func Open(t testing.TB, name string) *gorm.DB {
	t.Helper()
	_, db := New(t, name)
	return db
}

// NewTarget creates a fresh empty database and returns its target without
// opening it; it is dropped when the test ends.
func NewTarget(t testing.TB, name string) dialect.Target {
	t.Helper()
	if name == "sqlite" {
		target, err := dialect.Parse("sqlite:///" + filepath.Join(t.TempDir(), "test.db"))
		if err != nil {
			t.Fatal(err)
		}
		return target
	}
	s, ok := servers[name]
	if !ok {
		t.Fatalf("unknown dialect %q", name)
	}
	s.connect(name)
	if s.err != nil {
		msg := fmt.Sprintf("%s is not reachable (%v); set %s or start the server", name, s.err, defaults[name].env)
		if RequireAll() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	sib, err := dialect.NewSibling(context.Background(), s.admin, s.target, Prefix, "")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := sib.Drop(context.Background()); err != nil {
			t.Errorf("drop %s database %s: %v", name, sib.Name, err)
		}
	})
	target := sib.Target
	return target
}

// URL returns a database URL for a fresh empty database, with the form a
// user would pass on the command line.
func URL(t testing.TB, name string) string {
	t.Helper()
	target := NewTarget(t, name)
	if name == "sqlite" {
		return "sqlite:///" + target.Database
	}
	u, err := target.URL()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Each runs f as a subtest per dialect, the three in parallel: each has
// its own database, and most of a test's time is spent waiting on a server,
// so the dialects overlap instead of queueing (go test's -parallel bounds
// how many run at once).
func Each(t *testing.T, f func(t *testing.T, name string)) {
	t.Helper()
	for _, name := range Dialects {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, name)
		})
	}
}

// EachSerial runs f as a subtest per dialect, one after the other, for
// tests that change process-wide state (environment, package variables).
func EachSerial(t *testing.T, f func(t *testing.T, name string)) {
	t.Helper()
	for _, name := range Dialects {
		t.Run(name, func(t *testing.T) { f(t, name) })
	}
}
