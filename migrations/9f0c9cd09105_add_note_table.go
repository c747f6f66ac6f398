package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 9f0c9cd09105 (add_note_table) creates note.

var noteAt17 = dialect.Table{
	Name: "note",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key, NotNull: true},
		{Name: "title", Type: dialect.Text},
		{Name: "content", Type: dialect.Text},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
	Indexes:    []dialect.Index{{Name: "idx_note_user_id", Columns: []string{"user_id"}}},
}

func addNoteTableUp(m *dialect.Migrator) error   { return m.CreateTable(noteAt17) }
func addNoteTableDown(m *dialect.Migrator) error { return m.DropTable(noteAt17.Name) }
