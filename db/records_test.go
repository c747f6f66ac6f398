package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
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
