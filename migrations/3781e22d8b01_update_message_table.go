package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 3781e22d8b01 (update_message_table) adds images, files and
// citations to message.

var messageAt3 = messageAt1.With(
	dialect.Column{Name: "images", Type: dialect.JSON},
	dialect.Column{Name: "files", Type: dialect.JSON},
	dialect.Column{Name: "citations", Type: dialect.JSON},
)

func updateMessageTableUp(m *dialect.Migrator) error   { return m.AlterTable(messageAt1, messageAt3) }
func updateMessageTableDown(m *dialect.Migrator) error { return m.AlterTable(messageAt3, messageAt1) }
