package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// TestNewerDatabaseRefused: a database recording a revision this program
// does not know was migrated by a newer version; nothing may run on it.
func TestNewerDatabaseRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, fixtures.RevFolderTable)
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
		d := migtest.At(t, dialect, fixtures.RevFolderDatetime)
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
		if err := d.Runner.Stamp(context.Background(), fixtures.RevFolderDatetime); err != nil {
			t.Fatalf("stamp: %v", err)
		}
		if got := d.Current(); got != fixtures.RevFolderDatetime {
			t.Fatalf("current after stamp = %q", got)
		}
	})
}

// TestFailedStepLeavesDatabaseAsItWas: step 5 cannot convert an epoch value
// out of the timestamp range; the step fails, the schema and rows stay as
// they were, and once the row is fixed the same run succeeds.
func TestFailedStepLeavesDatabaseAsItWas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, fixtures.RevFolderTable)
		d.Insert("folder",
			map[string]any{"id": "f1", "user_id": "u1", "name": "ok", "created_at": 1700000000, "updated_at": 1700000000},
			map[string]any{"id": "f2", "user_id": "u1", "name": "bad", "created_at": int64(99999999999999), "updated_at": 1700000000})
		before := d.Snapshot()
		rowsBefore := d.Rows("SELECT id, created_at, updated_at FROM " + d.Q("folder") + " ORDER BY id")

		_, err := d.Runner.Up(context.Background(), fixtures.RevFolderDatetime, db.Options{})
		if err == nil {
			t.Fatal("step 5 converted an epoch beyond the year 9999")
		}
		if !strings.Contains(err.Error(), fixtures.RevFolderDatetime) {
			t.Errorf("error %q does not name the step", err)
		}
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the failed step", "after it")
		if got := d.Rows("SELECT id, created_at, updated_at FROM " + d.Q("folder") + " ORDER BY id"); !equalRows(got, rowsBefore) {
			t.Fatalf("rows changed: %v, want %v", got, rowsBefore)
		}
		if c := d.Current(); c != fixtures.RevFolderTable {
			t.Fatalf("current = %s, want %s", c, fixtures.RevFolderTable)
		}
		d.Exec("UPDATE "+d.Q("folder")+" SET created_at = ? WHERE id = ?", 1700000001, "f2")
		d.UpTo(fixtures.RevFolderDatetime)
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
		d := migtest.At(t, dialect, fixtures.RevFolderDatetime)
		ctx := context.Background()
		cases := []struct {
			name string
			run  func() error
			want string
		}{
			{"up to an applied revision", func() error { _, err := d.Runner.Up(ctx, fixtures.RevFolderTable, db.Options{}); return err }, "use down --to " + fixtures.RevFolderTable},
			{"down to a pending revision", func() error {
				_, err := d.Runner.Down(ctx, db.DownRequest{To: fixtures.Head(t)}, db.Options{})
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
		if got := d.Current(); got != fixtures.RevFolderDatetime {
			t.Fatalf("current moved to %s", got)
		}
		// Going to where the database already is does nothing.
		res, err := d.Runner.Up(ctx, fixtures.RevFolderDatetime, db.Options{})
		if err != nil || len(res.Steps) != 0 || res.To != fixtures.RevFolderDatetime {
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
		if err != nil || len(res.Steps) != 0 || res.To != fixtures.Head(t) {
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

// TestDownStepsBeyondApplied: down --steps N with fewer than N steps
// applied refuses, naming how many are, instead of rolling back them all.
func TestDownStepsBeyondApplied(t *testing.T) {
	const second = "242a2047eae0"
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, second)
		_, err := d.Runner.Down(context.Background(), db.DownRequest{Steps: 999}, db.Options{})
		want := "down --steps 999: only 2 step(s) are applied (the database is at 242a2047eae0), so nothing was rolled back; to roll back every applied step, use --all"
		if err == nil || err.Error() != want {
			t.Fatalf("down --steps 999: err = %v, want %q", err, want)
		}
		if got := d.Current(); got != second {
			t.Fatalf("current = %q after the refused down, want %s", got, second)
		}
		res, err := d.Runner.Down(context.Background(), db.DownRequest{Steps: 2}, db.Options{})
		if err != nil || len(res.Steps) != 2 || d.Current() != "" {
			t.Fatalf("down --steps 2 with 2 applied: %+v, %v, current %q", res, err, d.Current())
		}
	})
}

// TestDownFindsRefusalsFirst: a rollback that would reach a step refusing
// to roll back (a channel message without a chat at step 16, a path over
// 255 characters at step 10, a tagged chat whose payload cannot take its
// tags back at step 7) finds out before it rolls back anything, and names
// every such step.
func TestDownFindsRefusalsFirst(t *testing.T) {
	seeds := map[string]func(d *migtest.DB){
		"57c599a3cb57": func(d *migtest.DB) {
			d.Insert("channel", map[string]any{"id": "ch1", "user_id": "u1", "name": "general"})
			d.Insert("message", map[string]any{"id": "m1", "channel_id": "ch1", "content": "hello"})
		},
		"c29facfe716b": func(d *migtest.DB) {
			d.Insert("file", map[string]any{"id": "f1", "user_id": "u1", "path": "s3://bucket/" + strings.Repeat("x", 300)})
		},
		"1af9b942657b": func(d *migtest.DB) {
			d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{"tags": "not an array"}`})
			d.Insert("tag", map[string]any{"id": "work", "name": "work", "user_id": "u1"})
			d.Insert("chat_tag", map[string]any{"chat_id": "c1", "tag_id": "work", "user_id": "u1"})
		},
	}
	wants := map[string]string{
		"57c599a3cb57": `1 message(s) belong to a channel and have no chat (e.g. "m1")`,
		"c29facfe716b": `1 file path(s) are longer than 255 characters, the most file.path holds before this revision (files "f1")`,
		"1af9b942657b": `1 chat(s) have tags but a payload that cannot take them back (it must be NULL or a JSON object whose "tags" is absent, null or an array), e.g. chat IDs "c1" (chat "c1": "tags" is not an array)`,
	}
	cases := []struct {
		name    string
		req     db.DownRequest
		seeded  []string
		wantPre string
	}{
		{"channel message", db.DownRequest{To: "af906e964978"}, []string{"57c599a3cb57"},
			"rolling back to af906e964978 would reach step 57c599a3cb57 (add_channel_table), which refuses to roll back: 1 message(s)"},
		{"long path", db.DownRequest{To: "6a39f3d8e55c"}, []string{"c29facfe716b"},
			"rolling back to 6a39f3d8e55c would reach step c29facfe716b (update_file_table_path), which refuses to roll back: 1 file path(s)"},
		{"tag payload", db.DownRequest{Steps: 14}, []string{"1af9b942657b"},
			"rolling back to d31026856c01 would reach step 1af9b942657b (migrate_tags), which refuses to roll back: 1 chat(s)"},
		{"all three", db.DownRequest{All: true}, []string{"57c599a3cb57", "c29facfe716b", "1af9b942657b"},
			"rolling back to base would reach 3 steps that refuse to roll back: step 57c599a3cb57 (add_channel_table): 1 message(s)"},
	}
	testdb.Each(t, func(t *testing.T, dialect string) {
		for _, c := range cases {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				d := migtest.At(t, dialect, "head")
				for _, id := range c.seeded {
					seeds[id](d)
				}
				before, rows := d.Snapshot(), d.Dump()
				res, err := d.Runner.Down(context.Background(), c.req, db.Options{})
				if !errors.Is(err, db.ErrDownRefused) {
					t.Fatalf("down: err = %v, want ErrDownRefused", err)
				}
				for _, want := range append([]string{c.wantPre, "nothing was rolled back"}, pick(wants, c.seeded)...) {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q\ndoes not say %q", err, want)
					}
				}
				if len(res.Steps) != 0 {
					t.Errorf("the refused down reports steps %+v", res.Steps)
				}
				if got := d.Current(); got != fixtures.Head(t) {
					t.Fatalf("current = %s after the refused down, want head", got)
				}
				migtest.RequireSameSchema(t, before, d.Snapshot(), "before", "after the refused down")
				migtest.RequireSameData(t, rows, d.Dump(), "before", "after the refused down")
			})
		}
	})
}

func pick(m map[string]string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// cancelAt cancels the run's context when the given step starts, as a
// signal arriving then would: the step's first statement fails.
type cancelAt struct {
	step   string
	cancel context.CancelFunc
}

func (c *cancelAt) StepStarted(s db.StepResult) {
	if s.ID == c.step {
		c.cancel()
	}
}
func (c *cancelAt) Notice(db.StepResult, string)         {}
func (c *cancelAt) Progress(db.StepResult, int64, int64) {}

// TestInterruptedRunSaysWhereItStopped: a run whose context is cancelled
// while a step runs keeps the steps it finished (committed before the
// next began), says what became of the step in flight (rolled back where
// steps have transactions; on MySQL stopped partway, for the next run to
// redo), and names where the records say the database is. Both
// directions, every dialect; the next run finishes the job.
func TestInterruptedRunSaysWhereItStopped(t *testing.T) {
	const stopAt = "d31026856c01" // step 6: data work over chat and folder
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, fixtures.RevFolderTable)
		d.Insert("folder", map[string]any{"id": "f1", "user_id": "u1", "name": "a", "items": `{"chat_ids": []}`, "created_at": 1700000000, "updated_at": 1700000000})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res, err := d.Runner.Up(ctx, "", db.Options{Reporter: &cancelAt{step: stopAt, cancel: cancel}})
		var ie *db.InterruptedError
		if !errors.As(err, &ie) || !errors.Is(err, db.ErrInterrupted) || !errors.Is(err, context.Canceled) {
			t.Fatalf("up: err = %v, want an *InterruptedError", err)
		}
		if len(res.Steps) != 1 || res.Steps[0].ID != fixtures.RevFolderDatetime || res.To != fixtures.RevFolderDatetime {
			t.Fatalf("result %+v, want step 5 applied and the run at it", res)
		}
		want := "interrupted: step d31026856c01 (update_folder_table_data) rolled back; database " + d.Runner.String() + " is at " + fixtures.RevFolderDatetime
		if dialect == "mysql" {
			want = "interrupted: step d31026856c01 (update_folder_table_data) stopped partway, and MySQL/MariaDB cannot roll a step back; the step is not recorded, and its partial work stays until the next `schema up` redoes it; database " + d.Runner.String() + " is at " + fixtures.RevFolderDatetime
		}
		if err.Error() != want {
			t.Fatalf("up: err =\n  %v\nwant\n  %s", err, want)
		}
		if got := d.Current(); got != fixtures.RevFolderDatetime {
			t.Fatalf("current = %s, want %s", got, fixtures.RevFolderDatetime)
		}
		d.UpTo(stopAt)

		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		_, err = d.Runner.Down(ctx, db.DownRequest{}, db.Options{Reporter: &cancelAt{step: stopAt, cancel: cancel}})
		want = "interrupted: the roll-back of step d31026856c01 (update_folder_table_data) was undone, so the step stays applied; database " + d.Runner.String() + " is at " + stopAt
		if dialect == "mysql" {
			want = "interrupted: rolling back step d31026856c01 (update_folder_table_data) stopped partway, and MySQL/MariaDB cannot undo that; the step stays recorded as applied, and its partial work stays until the next `schema down` redoes it; database " + d.Runner.String() + " is at " + stopAt
		}
		if err == nil || err.Error() != want {
			t.Fatalf("down: err =\n  %v\nwant\n  %s", err, want)
		}
		d.Down()
		if got := d.Current(); got != fixtures.RevFolderDatetime {
			t.Fatalf("current after the next down = %s", got)
		}
	})
}

// TestSignalWhileWaitingForTheLock: a run waiting for another's lock
// stops waiting when its context is cancelled, and says so.
func TestSignalWhileWaitingForTheLock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		url := testdb.URL(t, dialect)
		ctx := context.Background()
		holder, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		hold := fixtures.NewHoldLock()
		held := make(chan error, 1)
		go func() {
			_, err := holder.Up(ctx, "", db.Options{Reporter: hold})
			held <- err
		}()
		<-hold.Holding
		defer func() {
			close(hold.Release)
			if err := <-held; err != nil {
				t.Errorf("holder: %v", err)
			}
		}()
		waiter, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer waiter.Close()
		wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = waiter.Up(wctx, "", db.Options{LockTimeout: time.Minute})
		if !errors.Is(err, db.ErrInterrupted) || !strings.HasPrefix(err.Error(), "interrupted while waiting for the migration lock; database "+waiter.String()+" is at ") {
			t.Fatalf("err = %v, want an interruption while waiting", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("the wait ended %s after the run started, want about 0.5s", took)
		}
	})
}

// TestNegativeLockTimeoutRefused: a negative lock timeout is a mistake,
// not "do not wait".
func TestNegativeLockTimeoutRefused(t *testing.T) {
	d := migtest.New(t, "sqlite")
	_, err := d.Runner.Up(context.Background(), "", db.Options{LockTimeout: -time.Second})
	want := "lock timeout -1s is negative: give how long to wait for another run's lock, or 0 for the default (10m0s)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if d.Current() != "" {
		t.Fatal("a run with a negative lock timeout ran")
	}
}
