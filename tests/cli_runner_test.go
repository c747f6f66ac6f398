package tests

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// The runner's tests that also drive the schema binary; the others are
// beside the runner, in db/runner_test.go.

// TestCLIDownStepsBeyondApplied: the command says what the runner says in
// TestDownStepsBeyondApplied (db/runner_test.go), on one line, with exit
// code 1.
func TestCLIDownStepsBeyondApplied(t *testing.T) {
	const second = "242a2047eae0"
	c := newCLI(t)
	url := testdb.URL(t, "sqlite")
	c.ok("up", "--to", second, "--database-url", url)
	c.run("down", "--steps", "999", "--database-url", url).requireExit(t, 1, "only 2 step(s) are applied")
	if got := strings.TrimSpace(c.ok("current", "--database-url", url)); got != second {
		t.Fatalf("current = %q after the refused down", got)
	}
}

// TestLockTimeoutEveryDialect: while another run holds the migration lock,
// a run waits for it as long as its lock timeout says, on every dialect
// (SQLite used to fail with "database is locked" after 5 s whatever the
// timeout), and then gives up with the same message everywhere: the
// database, how long it waited, what to do.
func TestLockTimeoutEveryDialect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		url := testdb.URL(t, dialect)
		ctx := context.Background()
		open := func() *db.Database {
			r, err := db.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		}
		holder, hold := open(), fixtures.NewHoldLock()
		held := make(chan error, 1)
		go func() {
			_, err := holder.Up(ctx, "", db.Options{Reporter: hold})
			held <- err
		}()
		<-hold.Holding
		released := false
		defer func() {
			if !released {
				close(hold.Release)
				<-held
			}
		}()

		waiter := open()
		want := "database " + waiter.String() + " is locked by another migration run (a schema command, or a backend migrating at start-up): gave up after waiting 1s for the lock; let that run finish and try again, or wait longer with --lock-timeout"
		start := time.Now()
		_, err := waiter.Up(ctx, "", db.Options{LockTimeout: time.Second})
		took := time.Since(start)
		if !errors.Is(err, db.ErrLockTimeout) || err.Error() != want {
			t.Fatalf("up while locked: err =\n  %v\nwant\n  %s", err, want)
		}
		if took < time.Second || took > 4*time.Second {
			t.Errorf("gave up after %s, want about 1s", took)
		}
		newCLI(t).run("up", "--lock-timeout", "1s", "--database-url", url).requireExit(t, 1, want)

		if testing.Short() {
			return
		}
		// A run with a long enough timeout waits for the holder, here
		// longer than SQLite's default busy timeout of 5 s, and then runs.
		waited := make(chan error, 1)
		go func() {
			_, err := waiter.Up(ctx, "", db.Options{LockTimeout: time.Minute})
			waited <- err
		}()
		time.Sleep(6 * time.Second)
		close(hold.Release)
		released = true
		if err := <-held; err != nil {
			t.Fatalf("holder: %v", err)
		}
		if err := <-waited; err != nil {
			t.Fatalf("the run waiting with --lock-timeout 1m: %v", err)
		}
		st, err := waiter.Status(ctx)
		if err != nil || st.Current != fixtures.Head(t) {
			t.Fatalf("status after both runs: %s, %v", st.Current, err)
		}
	})
}
