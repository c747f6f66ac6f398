package migrations

import (
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision 7826ab40b532 (update_file_table) adds size, mime_type and hash
// to file, backfilling the first two from meta. hash stays NULL: content
// is not read during a migration.

var fileAt11 = fileAt10.With(
	dialect.Column{Name: "size", Type: dialect.BigInt},
	dialect.Column{Name: "mime_type", Type: dialect.Key},
	dialect.Column{Name: "hash", Type: dialect.Key},
	dialect.Index{Name: "idx_file_hash", Columns: []string{"hash"}},
)

func updateFileTableSizeUp(m *dialect.Migrator) error {
	size := m.D.JSONInt("meta", "size")
	mime := m.D.JSONString("meta", "content_type")
	// Values come from meta alone, so a re-run (MySQL, after a crash)
	// that finds file already swapped in computes them again in place
	// (Refill), for the files the application added or changed meanwhile
	// (it was still at revision 10). mime_type is a key column: a longer
	// value would not fit.
	if err := m.Rebuild(dialect.Rebuild{From: fileAt10, To: fileAt11, Refill: true, Fills: []dialect.Fill{
		{Column: "size", Expr: fmt.Sprintf("CASE WHEN %s >= 0 THEN %s END", size, size)},
		{Column: "mime_type", Expr: fmt.Sprintf("CASE WHEN %s BETWEEN 1 AND %d THEN %s END", m.D.CharLength(mime), fileKeyLength, mime)},
	}}); err != nil {
		return fmt.Errorf("backfill file size and mime_type from meta: %w", err)
	}
	// The skip conditions look at meta only where a column stayed NULL.
	return reportFileSkips(m, []*fileSkip{
		{
			cond: fmt.Sprintf("%s IS NULL AND %s IS NULL AND %s",
				m.Q("size"), m.Q("mime_type"), dialect.JSONUnparsable(m.D, "meta")),
			notice: "left size and mime_type NULL for %d file(s) whose meta is not valid JSON (files %s)",
		},
		{
			cond:   fmt.Sprintf("%s IS NULL AND %s", m.Q("size"), dialect.JSONKeyPresent(m.D, "meta", "size")),
			notice: "left size NULL for %d file(s) whose meta.size is not a non-negative integer (files %s)",
		},
		{
			cond:   fmt.Sprintf("%s IS NULL AND %s", m.Q("mime_type"), dialect.JSONKeyPresent(m.D, "meta", "content_type")),
			notice: fmt.Sprintf("left mime_type NULL for %%d file(s) whose meta.content_type is not a non-empty string of at most %d characters (files %%s)", fileKeyLength),
		},
	})
}

// updateFileTableSizeDown drops the columns; meta still holds the values
// they were filled from. Nothing is derived, so a re-run has nothing to
// prove current.
func updateFileTableSizeDown(m *dialect.Migrator) error { return m.AlterTable(fileAt11, fileAt10) }
