package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision c0fbf31ca0db (update_file_table) adds processed and error to
// file; files whose meta names a collection are processed.

var fileAt12 = fileAt11.With(
	dialect.Column{Name: "processed", Type: dialect.Bool, NotNull: true, Default: "false"},
	dialect.Column{Name: "error", Type: dialect.Text},
)

func updateFileTableProcessedUp(m *dialect.Migrator) error {
	if err := m.AlterTable(fileAt11, fileAt12); err != nil {
		return err
	}
	// DATA: processed = true where meta.collection_name is a non-empty string.
	return nil
}

func updateFileTableProcessedDown(m *dialect.Migrator) error { return m.AlterTable(fileAt12, fileAt11) }
