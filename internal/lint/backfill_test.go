package lint

import (
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
)

// A Migrator.Backfill is recorded as one op of kind backfill: mixed with
// DDL in a step that is one transaction (PostgreSQL, SQLite) it is TX501;
// in an Online step, or on MariaDB, where its batches commit on their
// own, it is not.
func TestBackfillTX501(t *testing.T) {
	up := func(m *dialect.Migrator) error {
		if err := m.AlterTable(tAt0, tAt0.With(dialect.Column{Name: "c", Type: dialect.Text})); err != nil {
			return err
		}
		return m.Backfill(dialect.Backfill{Table: "t", Key: "id", Set: `"c" = "b"`, Where: `"c" IS NULL`})
	}
	for _, c := range []struct {
		online   bool
		triggers []string
	}{
		{false, []string{"sqlite", "postgres"}},
		{true, nil},
	} {
		fs := lintStep(t, migrations.Step{Up: up, Online: c.online}, Options{})
		for _, d := range all {
			var tx []Finding
			for _, f := range fs {
				if f.Dialect == d && f.Code == "TX501" {
					tx = append(tx, f)
				}
			}
			if want := slices.Contains(c.triggers, d); (len(tx) > 0) != want {
				t.Errorf("online %v, %s: TX501 reported = %v, want %v; findings: %v", c.online, d, len(tx) > 0, want, codes(fs, d))
			}
			for _, f := range tx {
				if !strings.HasPrefix(f.Op, "backfill: UPDATE") || f.Table != "t" || !strings.Contains(f.Fix, "Migrator.Backfill") {
					t.Errorf("%s: TX501 names op %q on table %q (fix %q), want the backfill of t", d, f.Op, f.Table, f.Fix)
				}
			}
		}
	}
}
