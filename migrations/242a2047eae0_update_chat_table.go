package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 242a2047eae0 (update_chat_table) adds title, pinned, archived
// and share_id to chat. Existing rows get NULL, false, false and NULL.

var chatAt2 = chatAt1.With(
	dialect.Column{Name: "title", Type: dialect.Text},
	dialect.Column{Name: "pinned", Type: dialect.Bool, NotNull: true, Default: "false"},
	dialect.Column{Name: "archived", Type: dialect.Bool, NotNull: true, Default: "false"},
	dialect.Column{Name: "share_id", Type: dialect.Key},
	dialect.Index{Name: "uq_chat_share_id", Columns: []string{"share_id"}, Unique: true},
)

func updateChatTableUp(m *dialect.Migrator) error   { return m.AlterTable(chatAt1, chatAt2) }
func updateChatTableDown(m *dialect.Migrator) error { return m.AlterTable(chatAt2, chatAt1) }
