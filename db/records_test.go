package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// TestDamagedRecordsStampBaseThenAdopt: a records table without an id
// column says nothing, so the way out its message gives is stamp base and
// adopt, which finds the revision from the schema.
func TestDamagedRecordsStampBaseThenAdopt(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		u := fixtures.NewURLDB(t, dialectName)
		u.Up(fixtures.RevGroupTable)
		u.Fill()
		now := time.Now()
		u.RemakeRecords(dialectName, []string{"applied_at"}, []fixtures.RecordRow{{At: &now}})
		if err := u.D.Stamp(ctx, "base"); err != nil {
			t.Fatal(err)
		}
		if _, err := u.D.Up(ctx, "", db.Options{}); !errors.Is(err, db.ErrUnrecordedTables) {
			t.Fatalf("up after stamp base: err = %v, want ErrUnrecordedTables", err)
		}
		rep, err := u.D.Adopt(ctx)
		if err != nil || rep.Revision != fixtures.RevGroupTable {
			t.Fatalf("adopt: %+v, %v; want adopted at %s", rep, err, fixtures.RevGroupTable)
		}
		u.Up("head")
	})
}

// TestRecordsWithoutChecksums: a records table from before checksums (no
// checksum column) is not damaged: status reads it, and a run adds the
// column and fills it in.
func TestRecordsWithoutChecksums(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		u := fixtures.NewURLDB(t, dialectName)
		u.Up(fixtures.RevFolderTable)
		u.Exec("ALTER TABLE " + db.MigrationsTable + " DROP COLUMN checksum")
		st, err := u.D.Status(ctx)
		if err != nil || st.Current != fixtures.RevFolderTable || st.Steps[0].Checksum != "" || st.Steps[0].AppliedAt == nil {
			t.Fatalf("status: %v; current %q, step 1 checksum %q at %v", err, st.Current, st.Steps[0].Checksum, st.Steps[0].AppliedAt)
		}
		u.Up("head")
		if st, err = u.D.Status(ctx); err != nil || st.Steps[0].Checksum == "" {
			t.Fatalf("after up: %v; step 1 checksum %q", err, st.Steps[0].Checksum)
		}
	})
}

// TestDamagedProgressJournal: a journal table without this tool's columns
// (MySQL keeps one) is named with its repair by the commands that read or
// write it, instead of a driver's "unknown column", and stamp recreates
// it; on the other dialects there is no journal to damage.
func TestDamagedProgressJournal(t *testing.T) {
	ctx := context.Background()
	d := migtest.At(t, "mysql", "1af9b942657b")
	for _, q := range []string{"DROP TABLE IF EXISTS schema_migrations_progress", "CREATE TABLE schema_migrations_progress (x int)"} {
		if err := d.G.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	_, upErr := d.Runner.Up(ctx, "", db.Options{})
	_, statusErr := d.Runner.Status(ctx)
	for name, err := range map[string]error{"up": upErr, "status": statusErr} {
		if !errors.Is(err, dialect.ErrJournalDamaged) || !strings.Contains(err.Error(), "lacks column(s) id, direction, point, reached_at") || !strings.Contains(err.Error(), "schema stamp") {
			t.Errorf("%s on a damaged journal: %v; want ErrJournalDamaged naming the columns and stamp", name, err)
		}
	}
	if cur, err := d.Runner.Current(ctx); err != nil || cur != "1af9b942657b" {
		t.Fatalf("the refused up changed the records: current %q, %v", cur, err)
	}
	if err := d.Runner.Stamp(ctx, "1af9b942657b"); err != nil {
		t.Fatalf("stamp did not repair the journal: %v", err)
	}
	if _, err := d.Runner.Up(ctx, "", db.Options{}); err != nil {
		t.Fatalf("up after stamp: %v", err)
	}
	if cur, _ := d.Runner.Current(ctx); cur != migrations.Head() {
		t.Fatalf("after stamp and up the database is at %q, want head", cur)
	}
}
