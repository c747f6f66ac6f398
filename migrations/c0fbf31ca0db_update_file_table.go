package migrations

import (
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision c0fbf31ca0db (update_file_table) adds processed and error to
// file; files whose meta names a collection are processed.

var fileAt12 = fileAt11.With(
	dialect.Column{Name: "processed", Type: dialect.Bool, NotNull: true, Default: "false"},
	dialect.Column{Name: "error", Type: dialect.Text},
)

func updateFileTableProcessedUp(m *dialect.Migrator) error {
	collection := m.D.JSONString("meta", "collection_name")
	// Computed from meta alone, so a re-run (MySQL, after a crash) that
	// finds file already swapped in computes it again in place (Refill),
	// for the files the application added or changed meanwhile (it was
	// still at revision 11 and does not write processed).
	processed := fmt.Sprintf("CASE WHEN %s > 0 THEN true ELSE false END", m.D.CharLength(collection))
	if err := m.Rebuild(dialect.Rebuild{From: fileAt11, To: fileAt12, Fills: []dialect.Fill{{Column: "processed", Expr: processed}}, Refill: true}); err != nil {
		return fmt.Errorf("mark files with a collection as processed: %w", err)
	}
	// The skip conditions look at meta only where processed stayed false.
	unprocessed := fmt.Sprintf("%s = false", m.Q("processed"))
	return reportFileSkips(m, []*fileSkip{
		{
			cond:   unprocessed + " AND " + dialect.JSONUnparsable(m.D, "meta"),
			notice: "left processed false for %d file(s) whose meta is not valid JSON (files %s)",
		},
		{
			cond:   unprocessed + " AND " + dialect.JSONKeyPresent(m.D, "meta", "collection_name"),
			notice: "left processed false for %d file(s) whose meta.collection_name is not a non-empty string (files %s)",
		},
	})
}

// updateFileTableProcessedDown drops the columns: nothing derived, nothing
// for a re-run to prove current.
func updateFileTableProcessedDown(m *dialect.Migrator) error { return m.AlterTable(fileAt12, fileAt11) }
