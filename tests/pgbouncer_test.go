package tests

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestConcurrentUpThroughPgBouncer: replicas behind PgBouncer in
// transaction pooling mode each migrate at start-up (OpenAndMigrate) or
// with Up, all at once, on a fresh database. A session's statements may
// reach different server connections there, so a session-level lock does
// not hold: every run must still succeed and each step run once.
func TestConcurrentUpThroughPgBouncer(t *testing.T) {
	const runners = 6
	pooled, direct := testdb.PgBouncerURL(t)
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
				fixtures.CloseGorm(g)
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
	fixtures.RequireHeadOnce(t, direct)
}

// TestConcurrentCLIUpThroughPgBouncer: the same with the schema command,
// several processes at once, each printing what it applied.
func TestConcurrentCLIUpThroughPgBouncer(t *testing.T) {
	const runners = 4
	pooled, direct := testdb.PgBouncerURL(t)
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
	for _, id := range fixtures.ChainIDs(t) {
		if applied[id] != 1 {
			t.Errorf("step %s printed as applied by %d runs", id, applied[id])
		}
	}
	fixtures.RequireHeadOnce(t, direct)
}
