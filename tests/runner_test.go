package tests

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/migtest"
	"github.com/openwebui-go/schema/internal/testdb"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

const (
	revFolderTable    = "c69f45358db4" // step 4
	revFolderDatetime = "4ace53fd72c8" // step 5
)

func head(t *testing.T) string {
	t.Helper()
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	return chain[len(chain)-1].ID
}

// TestNewerDatabaseRefused: a database recording a revision this program
// does not know was migrated by a newer version; nothing may run on it.
func TestNewerDatabaseRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, revFolderTable)
		d.Exec("INSERT INTO "+db.MigrationsTable+" (id) VALUES (?)", "0123456789ab")
		before := d.Snapshot()
		ctx := context.Background()
		for name, run := range map[string]func() error{
			"up":     func() error { _, err := d.Runner.Up(ctx, "", db.Options{}); return err },
			"down":   func() error { _, err := d.Runner.Down(ctx, db.DownRequest{}, db.Options{}); return err },
			"status": func() error { _, err := d.Runner.Status(ctx); return err },
			"stamp":  func() error { return d.Runner.Stamp(ctx, "head") },
		} {
			err := run()
			if !errors.Is(err, db.ErrUnknownRevision) {
				t.Fatalf("%s: err = %v, want ErrUnknownRevision", name, err)
			}
			if !strings.Contains(err.Error(), "0123456789ab") || !strings.Contains(err.Error(), "newer version") {
				t.Errorf("%s: message %q should name the revision and say a newer version migrated it", name, err)
			}
		}
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before", "after refused runs")
	})
}

// TestOutOfOrderRecordsRefused: a database that has applied a step but not
// one the chain puts before it (a step added below an applied one, or a
// lost record) is refused, naming both steps and the way out; stamp mends
// the records.
func TestOutOfOrderRecordsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, revFolderDatetime)
		d.Exec("DELETE FROM "+db.MigrationsTable+" WHERE id = ?", "3781e22d8b01")
		want := "out of order: step 3781e22d8b01 (update_message_table) comes before step c69f45358db4 (add_folder_table) in the chain, " +
			"but this database has applied c69f45358db4 and not 3781e22d8b01, so 3781e22d8b01 was added below a step that had already run; " +
			"move it after the newest applied step (set its Revises to the last applied revision, and restore the Revises of the step that now revises it), " +
			"or, if its change is already in the schema, record the real state with `schema stamp REV`"
		for name, run := range map[string]func() error{
			"up": func() error { _, err := d.Runner.Up(context.Background(), "", db.Options{}); return err },
			"down": func() error {
				_, err := d.Runner.Down(context.Background(), db.DownRequest{}, db.Options{})
				return err
			},
			"status": func() error { _, err := d.Runner.Status(context.Background()); return err },
		} {
			if err := run(); err == nil || err.Error() != want {
				t.Fatalf("%s: err =\n  %v\nwant\n  %s", name, err, want)
			}
		}
		if err := d.Runner.Stamp(context.Background(), revFolderDatetime); err != nil {
			t.Fatalf("stamp: %v", err)
		}
		if got := d.Current(); got != revFolderDatetime {
			t.Fatalf("current after stamp = %q", got)
		}
	})
}

// TestFailedStepLeavesDatabaseAsItWas: step 5 cannot convert an epoch value
// out of the timestamp range; the step fails, the schema and rows stay as
// they were, and once the row is fixed the same run succeeds.
func TestFailedStepLeavesDatabaseAsItWas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, revFolderTable)
		d.Insert("folder",
			map[string]any{"id": "f1", "user_id": "u1", "name": "ok", "created_at": 1700000000, "updated_at": 1700000000},
			map[string]any{"id": "f2", "user_id": "u1", "name": "bad", "created_at": int64(99999999999999), "updated_at": 1700000000})
		before := d.Snapshot()
		rowsBefore := d.Rows("SELECT id, created_at, updated_at FROM " + d.Q("folder") + " ORDER BY id")

		_, err := d.Runner.Up(context.Background(), revFolderDatetime, db.Options{})
		if err == nil {
			t.Fatal("step 5 converted an epoch beyond the year 9999")
		}
		if !strings.Contains(err.Error(), revFolderDatetime) {
			t.Errorf("error %q does not name the step", err)
		}
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the failed step", "after it")
		if got := d.Rows("SELECT id, created_at, updated_at FROM " + d.Q("folder") + " ORDER BY id"); !equalRows(got, rowsBefore) {
			t.Fatalf("rows changed: %v, want %v", got, rowsBefore)
		}
		if c := d.Current(); c != revFolderTable {
			t.Fatalf("current = %s, want %s", c, revFolderTable)
		}
		d.Exec("UPDATE "+d.Q("folder")+" SET created_at = ? WHERE id = ?", 1700000001, "f2")
		d.UpTo(revFolderDatetime)
	})
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}

// TestConcurrentRunsApplyEachStepOnce starts several runners, each with its
// own connection pool as separate processes would have, against one fresh
// database: all succeed and every step is applied by exactly one of them.
func TestConcurrentRunsApplyEachStepOnce(t *testing.T) {
	const runners = 4
	testdb.Each(t, func(t *testing.T, dialect string) {
		url := testdb.URL(t, dialect)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			applied = map[string]int{}
			errs    []error
		)
		start := make(chan struct{})
		for range runners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := db.Open(context.Background(), url)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				defer r.Close()
				<-start
				res, err := r.Up(context.Background(), "", db.Options{LockTimeout: time.Minute})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, s := range res.Steps {
					applied[s.ID]++
				}
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			t.Errorf("runner failed: %v", err)
		}
		chain, _ := migrations.Chain()
		for _, s := range chain {
			if applied[s.ID] != 1 {
				t.Errorf("step %s applied %d times", s.ID, applied[s.ID])
			}
		}
	})
}

// TestNavigationErrors: asking to go somewhere that makes no sense says
// what to do instead.
func TestNavigationErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, revFolderDatetime)
		ctx := context.Background()
		cases := []struct {
			name string
			run  func() error
			want string
		}{
			{"up to an applied revision", func() error { _, err := d.Runner.Up(ctx, revFolderTable, db.Options{}); return err }, "use down --to " + revFolderTable},
			{"down to a pending revision", func() error {
				_, err := d.Runner.Down(ctx, db.DownRequest{To: head(t)}, db.Options{})
				return err
			}, "use up --to"},
			{"unknown revision", func() error { _, err := d.Runner.Up(ctx, "nope", db.Options{}); return err }, `unknown revision "nope"`},
			{"two down targets", func() error {
				_, err := d.Runner.Down(ctx, db.DownRequest{All: true, Steps: 2}, db.Options{})
				return err
			}, "one of --to, --steps and --all"},
			{"stamp unknown", func() error { return d.Runner.Stamp(ctx, "nope") }, `unknown revision "nope"`},
		}
		for _, c := range cases {
			err := c.run()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v, want it to say %q", c.name, err, c.want)
			}
		}
		if got := d.Current(); got != revFolderDatetime {
			t.Fatalf("current moved to %s", got)
		}
		// Going to where the database already is does nothing.
		res, err := d.Runner.Up(ctx, revFolderDatetime, db.Options{})
		if err != nil || len(res.Steps) != 0 || res.To != revFolderDatetime {
			t.Fatalf("up --to the current revision: %+v, %v", res, err)
		}
	})
}

// TestOpenAndMigrate is the backend's start-up call: it reaches HEAD, and
// a second start applies nothing.
func TestOpenAndMigrate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		url := testdb.URL(t, dialect)
		g, err := db.OpenAndMigrate(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := g.DB()
		sqlDB.Close()
		r, err := db.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		res, err := r.Up(context.Background(), "", db.Options{})
		if err != nil || len(res.Steps) != 0 || res.To != head(t) {
			t.Fatalf("second start: %+v, %v", res, err)
		}
		st, err := r.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Steps {
			if s.AppliedAt == nil || time.Since(*s.AppliedAt) > time.Hour || time.Since(*s.AppliedAt) < -time.Minute {
				t.Errorf("step %s applied_at = %v, want about now", s.ID, s.AppliedAt)
			}
		}
	})
}

// TestSQLiteForeignKeyCheckAfterDataSteps: SQLite runs steps with foreign
// keys off, so a step that writes rows ends with a foreign_key_check and
// fails on any dangling reference, naming it; a step that changes only the
// schema cannot break one and skips the check.
func TestSQLiteForeignKeyCheckAfterDataSteps(t *testing.T) {
	d := migtest.At(t, "sqlite", "10vr9xyets5m") // token tables exist
	// Plant a dangling reference the way another program could.
	if err := d.G.Connection(func(c *gorm.DB) error {
		if err := c.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
			return err
		}
		defer c.Exec("PRAGMA foreign_keys = ON")
		return c.Exec("INSERT INTO token_usage (group_name, token_in, token_out, token_total) VALUES ('ghost', 0, 0, 0)").Error
	}); err != nil {
		t.Fatal(err)
	}
	d.UpTo("3ff60f68c4f4") // adds a column only: no check, no failure
	_, err := d.Runner.Up(context.Background(), "e223b100ad81", db.Options{})
	if err == nil || !strings.Contains(err.Error(), "dangling foreign key") || !strings.Contains(err.Error(), "token_usage") {
		t.Fatalf("the backfill step should fail on the dangling token_usage row; err = %v", err)
	}
	if got := d.Current(); got != "3ff60f68c4f4" {
		t.Fatalf("current = %s after the failed step", got)
	}
}
