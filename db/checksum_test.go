package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// recordedChecksums reads schema_migrations: each recorded ID with its
// checksum ("<nil>" for NULL).
func recordedChecksums(d *migtest.DB) map[string]string {
	d.T.Helper()
	out := map[string]string{}
	for _, r := range d.Rows("SELECT id, checksum FROM " + db.MigrationsTable) {
		out[r[0]] = r[1]
	}
	return out
}

// requireCodeChecksums checks that exactly the chain's first n steps are
// recorded, each with its code's checksum.
func requireCodeChecksums(t *testing.T, d *migtest.DB, n int) {
	t.Helper()
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	got := recordedChecksums(d)
	if len(got) != n {
		t.Fatalf("%d steps recorded, want %d: %v", len(got), n, got)
	}
	for _, s := range chain[:n] {
		if want := fixtures.CodeChecksum(t, s.ID); got[s.ID] != want {
			t.Errorf("step %s: recorded checksum %s, want the code's %s", s.ID, got[s.ID], want)
		}
	}
}

func tamper(d *migtest.DB, id, sum string) {
	d.T.Helper()
	d.Exec("UPDATE "+db.MigrationsTable+" SET checksum = ? WHERE id = ?", sum, id)
}

// TestChecksumsRecorded: a fresh up records every step with its code's
// checksum, and stamp records the steps it marks applied the same way.
func TestChecksumsRecorded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, fixtures.Head(t))
		requireCodeChecksums(t, d, 20)

		s := migtest.New(t, dialect)
		if err := s.Runner.Stamp(context.Background(), fixtures.RevFolderDatetime); err != nil {
			t.Fatal(err)
		}
		requireCodeChecksums(t, s, 5)
	})
}

// TestChangedStepRefused: a recorded checksum that differs from the code's
// refuses up and down with one message naming the step, and leaves the
// database as it was; AcceptChanged runs and records the code's checksum.
func TestChangedStepRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		d := migtest.At(t, dialect, fixtures.RevFolderDatetime)
		tamper(d, fixtures.RevChanged, fixtures.ZeroChecksum)
		before, records := d.Snapshot(), recordedChecksums(d)
		want := fixtures.ChangedMessage(t, fixtures.RevChanged, "update_message_table", fixtures.ZeroChecksum)
		for name, run := range map[string]func() error{
			"up":   func() error { _, err := d.Runner.Up(ctx, "", db.Options{}); return err },
			"down": func() error { _, err := d.Runner.Down(ctx, db.DownRequest{}, db.Options{}); return err },
		} {
			err := run()
			if err == nil || err.Error() != want {
				t.Fatalf("%s: err =\n  %v\nwant\n  %s", name, err, want)
			}
			var changed *db.ChangedStepsError
			if !errors.Is(err, db.ErrStepsChanged) || !errors.As(err, &changed) || len(changed.Steps) != 1 || changed.Steps[0].Recorded != fixtures.ZeroChecksum {
				t.Errorf("%s: err %#v is not a ChangedStepsError naming the step", name, err)
			}
		}
		if got := d.Current(); got != fixtures.RevFolderDatetime {
			t.Errorf("current after refused runs = %s, want %s", got, fixtures.RevFolderDatetime)
		}
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before", "after refused runs")
		if got := recordedChecksums(d); fmt.Sprint(got) != fmt.Sprint(records) {
			t.Errorf("records changed by refused runs:\n  before %v\n  after  %v", records, got)
		}

		// Two changed steps: one message naming both, in chain order.
		tamper(d, fixtures.RevChanged2, fixtures.ZeroChecksum[:60]+"abcd")
		_, err := d.Runner.Up(ctx, "", db.Options{})
		want2 := fmt.Sprintf("2 steps were changed after they were applied to this database: "+
			"step %s (update_message_table; recorded checksum 000000000000, the code's is %s), "+
			"step %s (add_folder_table; recorded checksum 000000000000, the code's is %s): "+
			"restore the steps as they were, or if the changes are deliberate and the database needs nothing more, "+
			"run again with --accept-changed to record the new checksums",
			fixtures.RevChanged, fixtures.CodeChecksum(t, fixtures.RevChanged)[:12], fixtures.RevChanged2, fixtures.CodeChecksum(t, fixtures.RevChanged2)[:12])
		if err == nil || err.Error() != want2 {
			t.Fatalf("two changed steps: err =\n  %v\nwant\n  %s", err, want2)
		}

		res, err := d.Runner.Up(ctx, "", db.Options{AcceptChanged: true})
		if err != nil {
			t.Fatalf("up with AcceptChanged: %v", err)
		}
		if len(res.Accepted) != 2 || res.Accepted[0].ID != fixtures.RevChanged || res.Accepted[1].ID != fixtures.RevChanged2 {
			t.Errorf("accepted = %+v, want steps %s and %s", res.Accepted, fixtures.RevChanged, fixtures.RevChanged2)
		}
		if res.To != fixtures.Head(t) || d.Current() != fixtures.Head(t) {
			t.Errorf("up with AcceptChanged ended at %s, want head", res.To)
		}
		requireCodeChecksums(t, d, 20)
		if _, err := d.Runner.Up(ctx, "", db.Options{}); err != nil {
			t.Errorf("up after the checksums were accepted: %v", err)
		}

		// Down takes the override too.
		tamper(d, fixtures.RevChanged, fixtures.ZeroChecksum)
		if _, err := d.Runner.Down(ctx, db.DownRequest{}, db.Options{AcceptChanged: true}); err != nil {
			t.Fatalf("down with AcceptChanged: %v", err)
		}
		requireCodeChecksums(t, d, 19)
	})
}

// TestNullChecksumsFilled: steps recorded before checksums (NULL) take the
// code's checksum on the next run and are not reported as changed.
func TestNullChecksumsFilled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, fixtures.RevFolderDatetime)
		d.Exec("UPDATE " + db.MigrationsTable + " SET checksum = NULL")
		st, err := d.Runner.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Steps[:5] {
			if s.Checksum != "" || s.Changed || s.CodeChecksum != fixtures.CodeChecksum(t, s.ID) {
				t.Errorf("status of unrecorded step %s: checksum %q changed %v code %q", s.ID, s.Checksum, s.Changed, s.CodeChecksum)
			}
		}
		d.UpTo(fixtures.RevFolderDatetime) // nothing to apply: only the fill
		requireCodeChecksums(t, d, 5)
	})
}

// oldRecordTables are schema_migrations as this tool created it before
// checksums.
var oldRecordTables = map[string]string{
	"sqlite":   `CREATE TABLE "schema_migrations" ("id" text NOT NULL, "applied_at" datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY ("id"))`,
	"postgres": `CREATE TABLE "schema_migrations" ("id" varchar(255) NOT NULL, "applied_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY ("id"))`,
	"mysql":    "CREATE TABLE `schema_migrations` (`id` varchar(255) NOT NULL, `applied_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (`id`))",
}

// TestOldRecordTableUpgraded: a database migrated before checksums has
// schema_migrations without the column; status reads it as it is, and the
// next up adds the column and records every step.
func TestOldRecordTableUpgraded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, fixtures.RevFolderDatetime)
		var ids []any
		for id := range recordedChecksums(d) {
			ids = append(ids, id)
		}
		d.Exec("DROP TABLE " + db.MigrationsTable)
		d.Exec(oldRecordTables[dialect])
		d.Exec("INSERT INTO "+db.MigrationsTable+" (id) VALUES "+strings.TrimSuffix(strings.Repeat("(?),", len(ids)), ","), ids...)

		st, err := d.Runner.Status(context.Background())
		if err != nil {
			t.Fatalf("status of the old table: %v", err)
		}
		if st.Current != fixtures.RevFolderDatetime || st.Steps[0].Checksum != "" || st.Steps[0].Changed {
			t.Errorf("status of the old table: current %s, step 1 %+v", st.Current, st.Steps[0])
		}
		if d.G.Migrator().HasColumn(db.MigrationsTable, "checksum") {
			t.Fatal("status added the checksum column; it must not write")
		}

		d.UpTo(fixtures.Head(t))
		requireCodeChecksums(t, d, 20)
		d.UpTo(fixtures.Head(t)) // the upgrade is idempotent
		requireCodeChecksums(t, d, 20)

		// stamp upgrades the table too, and records what it marks.
		s := migtest.New(t, dialect)
		s.Exec(oldRecordTables[dialect])
		if err := s.Runner.Stamp(context.Background(), fixtures.RevFolderDatetime); err != nil {
			t.Fatalf("stamp on the old table: %v", err)
		}
		requireCodeChecksums(t, s, 5)
	})
}

// TestStatusShowsChangedSteps: Status reports the recorded and the code's
// checksum of each step and flags the changed one.
func TestStatusShowsChangedSteps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.At(t, dialect, fixtures.RevFolderDatetime)
		tamper(d, fixtures.RevChanged, fixtures.ZeroChecksum)
		st, err := d.Runner.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range st.Steps {
			want := db.StepStatus{ID: s.ID, CodeChecksum: fixtures.CodeChecksum(t, s.ID)}
			switch {
			case s.ID == fixtures.RevChanged:
				want.Checksum, want.Changed = fixtures.ZeroChecksum, true
			case i < 5:
				want.Checksum = want.CodeChecksum
			}
			if s.Checksum != want.Checksum || s.CodeChecksum != want.CodeChecksum || s.Changed != want.Changed {
				t.Errorf("step %s: checksum %q code %q changed %v; want %q %q %v",
					s.ID, s.Checksum, s.CodeChecksum, s.Changed, want.Checksum, want.CodeChecksum, want.Changed)
			}
		}
	})
}
