package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision c29facfe716b (update_file_table_path) makes file.path an
// unbounded storage URI.

var fileAt10 = fileAt1.Replace(dialect.Column{Name: "path", Type: dialect.Text})

func updateFileTablePathUp(m *dialect.Migrator) error {
	if err := m.AlterTable(fileAt1, fileAt10); err != nil {
		return err
	}
	// DATA: local absolute paths become file:// URIs; report relative ones.
	return nil
}

func updateFileTablePathDown(m *dialect.Migrator) error {
	// DATA: refuse if a path is longer than 255 characters; strip file://.
	return m.AlterTable(fileAt10, fileAt1)
}
