package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// TestCrashAtAnyStatement proves SPEC.md's rule for dialects whose DDL
// commits on its own (MySQL/MariaDB): a step interrupted at any statement,
// up or down, finishes the job when run again. For every step and every
// statement position k, the step runs until its k-th write and "crashes";
// the runner then applies it normally, and the schema and rows must equal
// those of an uninterrupted run. Crashing after the last statement, before
// the run is recorded, is covered too. Where DDL is transactional, a
// crashed step rolls back whole; TestFailedStepLeavesDatabaseAsItWas covers
// that.
func TestCrashAtAnyStatement(t *testing.T) {
	if testing.Short() {
		t.Skip("crash suite is slow; run without -short")
	}
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := migtest.New(t, dialectName)
		if d.Dialector().RunMode() != dialect.NoTransactions {
			t.Skipf("%s runs each step in a transaction; nothing half-done survives a crash", dialectName)
		}
		ctx := context.Background()
		// Steps run directly here; the runner's record table must exist.
		if err := d.Runner.Stamp(ctx, "base"); err != nil {
			t.Fatal(err)
		}
		for _, s := range chain {
			t.Run(s.ID+"_"+s.Name, func(t *testing.T) {
				d.T = t
				prevSchema, prevRows := d.Snapshot(), d.Dump()

				writes := runDirect(t, d, s, true, -1) // count the statements of a clean up
				upSchema, upRows := d.Snapshot(), d.Dump()
				d.Exec("INSERT INTO "+db.MigrationsTable+" (id) VALUES (?)", s.ID)
				undoWrites := runDirect(t, d, s, false, -1)
				d.Exec("DELETE FROM "+db.MigrationsTable+" WHERE id = ?", s.ID)
				migtest.RequireSameSchema(t, prevSchema, d.Snapshot(), "before", "after a clean down")

				for k := 0; k <= writes; k++ {
					runDirect(t, d, s, true, k) // k == writes: done, but not recorded
					if _, err := d.Runner.Up(ctx, s.ID, db.Options{}); err != nil {
						t.Fatalf("re-run after a crash at write %d of %d: %v", k+1, writes, err)
					}
					where := fmt.Sprintf("up re-run after a crash at write %d", k+1)
					migtest.RequireSameSchema(t, upSchema, d.Snapshot(), "clean up", where)
					migtest.RequireSameData(t, upRows, d.Dump(), "clean up", where)
					d.Down()
				}
				d.UpTo(s.ID)
				for k := 0; k < undoWrites; k++ {
					runDirect(t, d, s, false, k)
					if _, err := d.Runner.Down(ctx, db.DownRequest{}, db.Options{}); err != nil {
						t.Fatalf("down re-run after a crash at write %d of %d: %v", k+1, undoWrites, err)
					}
					where := fmt.Sprintf("down re-run after a crash at write %d", k+1)
					migtest.RequireSameSchema(t, prevSchema, d.Snapshot(), "before", where)
					migtest.RequireSameData(t, prevRows, d.Dump(), "before", where)
					d.UpTo(s.ID)
				}
				if seed := fixtures.SeedAfter[s.ID]; seed != nil {
					seed(d)
				}
			})
		}
	})
}

// runDirect runs a step direction through migtest's RunStepOf and checks
// it crashed as planned (or, with after < 0 or past its last write, ran
// cleanly). It returns how many writes the step made.
func runDirect(t *testing.T, d *migtest.DB, s migrations.Step, up bool, after int) int {
	t.Helper()
	seen, err := d.RunStepOf(s, up, after)
	switch {
	case after < 0 || after >= seen && err == nil:
		if err != nil {
			t.Fatalf("clean run: %v", err)
		}
	case !errors.Is(err, crash.ErrInjected):
		t.Fatalf("run crashing after %d writes: err = %v, want the injected crash", after, err)
	}
	return seen
}
