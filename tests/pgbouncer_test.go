package tests

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// pgbouncerURL creates a fresh PostgreSQL database and returns its URL
// through the PgBouncer of SCHEMA_TEST_PGBOUNCER_URL (transaction pooling
// mode; scripts/pgbouncer.sh starts one), and the database's direct URL.
// Without PgBouncer the test skips, or fails under SCHEMA_TEST_REQUIRE_ALL.
func pgbouncerURL(t *testing.T) (pooled, direct string) {
	t.Helper()
	raw := os.Getenv("SCHEMA_TEST_PGBOUNCER_URL")
	if raw == "" {
		msg := "PgBouncer is not configured: set SCHEMA_TEST_PGBOUNCER_URL, or run eval \"$(./scripts/databases.sh)\" (which starts one in transaction pooling mode)"
		if testdb.RequireAll() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	target := testdb.NewTarget(t, "postgres")
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

// requireHeadOnce checks the records of a database reached through
// PgBouncer: every step of the chain recorded exactly once, and the schema
// equal to that of a direct run on a fresh database.
func requireHeadOnce(t *testing.T, direct string) {
	t.Helper()
	r, err := db.Open(context.Background(), direct)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []string
	if err := r.DB.Raw("SELECT id FROM " + db.MigrationsTable + " ORDER BY applied_at, id").Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	for _, id := range chainIDs(t) {
		if seen[id] != 1 {
			t.Errorf("step %s is recorded %d times", id, seen[id])
		}
	}
	if len(ids) != len(chainIDs(t)) {
		t.Errorf("%d records, want %d: %v", len(ids), len(chainIDs(t)), ids)
	}
	got, err := snapshot.Take(context.Background(), r.DB)
	if err != nil {
		t.Fatal(err)
	}
	want := migtest.At(t, "postgres", "head").Snapshot()
	migtest.RequireSameSchema(t, want, got, "a direct run", "concurrent runs through PgBouncer")
}

// TestConcurrentUpThroughPgBouncer: replicas behind PgBouncer in
// transaction pooling mode each migrate at start-up (OpenAndMigrate) or
// with Up, all at once, on a fresh database. A session's statements may
// reach different server connections there, so a session-level lock does
// not hold: every run must still succeed and each step run once.
func TestConcurrentUpThroughPgBouncer(t *testing.T) {
	const runners = 6
	pooled, direct := pgbouncerURL(t)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied = map[string]int{}
	)
	start := make(chan struct{})
	for i := range runners {
		wg.Go(func() {
			ctx := context.Background()
			if i%2 == 0 { // the backend's start-up call
				<-start
				g, err := db.OpenAndMigrate(ctx, pooled)
				if err != nil {
					t.Errorf("OpenAndMigrate through PgBouncer: %v", err)
					return
				}
				closeGorm(g)
				return
			}
			r, err := db.Open(ctx, pooled)
			if err != nil {
				t.Errorf("open through PgBouncer: %v", err)
				return
			}
			defer r.Close()
			<-start
			res, err := r.Up(ctx, "", db.Options{LockTimeout: 2 * time.Minute})
			if err != nil {
				t.Errorf("up through PgBouncer: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range res.Steps {
				applied[s.ID]++
			}
		})
	}
	close(start)
	wg.Wait()
	for id, n := range applied {
		if n != 1 {
			t.Errorf("step %s reported applied by %d runs", id, n)
		}
	}
	requireHeadOnce(t, direct)
}

// TestConcurrentCLIUpThroughPgBouncer: the same with the schema command,
// several processes at once, each printing what it applied.
func TestConcurrentCLIUpThroughPgBouncer(t *testing.T) {
	const runners = 4
	pooled, direct := pgbouncerURL(t)
	bin := buildSchema(t)
	type out struct {
		stdout, stderr string
		err            error
	}
	outs := make([]out, runners)
	var wg sync.WaitGroup
	for i := range runners {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "up", "--lock-timeout", "2m")
			cmd.Env = append(os.Environ(), "DATABASE_URL="+pooled)
			var so, se strings.Builder
			cmd.Stdout, cmd.Stderr = &so, &se
			err := cmd.Run()
			outs[i] = out{so.String(), se.String(), err}
		})
	}
	wg.Wait()
	applied := map[string]int{}
	for i, o := range outs {
		if o.err != nil || o.stderr != "" {
			t.Errorf("run %d: %v\nstdout:\n%s\nstderr:\n%s", i, o.err, o.stdout, o.stderr)
		}
		for _, l := range cliLines(o.stdout) {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "applied" {
				applied[f[1]]++
			}
		}
	}
	for _, id := range chainIDs(t) {
		if applied[id] != 1 {
			t.Errorf("step %s printed as applied by %d runs", id, applied[id])
		}
	}
	requireHeadOnce(t, direct)
}

func closeGorm(g *gorm.DB) {
	if sqlDB, err := g.DB(); err == nil {
		sqlDB.Close()
	}
}
