package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 1af9b942657b (migrate_tags) moves tags out of the chat payload
// into tag and chat_tag.

var tagAt7 = dialect.Table{
	Name: "tag",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "name", Type: dialect.Text, NotNull: true},
	},
	PrimaryKey: []string{"id"},
}

var chatTagAt7 = dialect.Table{
	Name: "chat_tag",
	Columns: []dialect.Column{
		{Name: "chat_id", Type: dialect.Key},
		{Name: "tag_id", Type: dialect.Key},
	},
	PrimaryKey: []string{"chat_id", "tag_id"},
	Indexes:    []dialect.Index{{Name: "idx_chat_tag_tag_id", Columns: []string{"tag_id"}}},
	ForeignKeys: []dialect.ForeignKey{
		{Name: "fk_chat_tag_chat_id", Columns: []string{"chat_id"}, RefTable: "chat", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
		{Name: "fk_chat_tag_tag_id", Columns: []string{"tag_id"}, RefTable: "tag", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
	},
}

func migrateTagsUp(m *dialect.Migrator) error {
	if err := m.CreateTable(tagAt7); err != nil {
		return err
	}
	if err := m.CreateTable(chatTagAt7); err != nil {
		return err
	}
	// DATA: move string tags from chat.chat.tags into tag/chat_tag.
	return nil
}

func migrateTagsDown(m *dialect.Migrator) error {
	// DATA: write tag names back into chat payloads.
	if err := m.DropTable(chatTagAt7.Name); err != nil {
		return err
	}
	return m.DropTable(tagAt7.Name)
}
