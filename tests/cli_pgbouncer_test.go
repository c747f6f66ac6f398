package tests

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// The PgBouncer test of the schema binary; the runner's is beside it, in
// db/pgbouncer_test.go.

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
