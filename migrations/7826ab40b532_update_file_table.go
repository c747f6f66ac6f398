package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 7826ab40b532 (update_file_table) adds size, mime_type and hash
// to file, backfilling the first two from meta.

var fileAt11 = fileAt10.With(
	dialect.Column{Name: "size", Type: dialect.BigInt},
	dialect.Column{Name: "mime_type", Type: dialect.Key},
	dialect.Column{Name: "hash", Type: dialect.Key},
	dialect.Index{Name: "idx_file_hash", Columns: []string{"hash"}},
)

func updateFileTableSizeUp(m *dialect.Migrator) error {
	if err := m.AlterTable(fileAt10, fileAt11); err != nil {
		return err
	}
	// DATA: backfill size and mime_type from meta.
	return nil
}

func updateFileTableSizeDown(m *dialect.Migrator) error { return m.AlterTable(fileAt11, fileAt10) }
