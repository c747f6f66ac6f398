package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision c69f45358db4 (add_folder_table) creates folder. Until
// d31026856c01, a folder's items ({"chat_ids": [...]}) say which chats it
// holds.

var folderAt4 = dialect.Table{
	Name: "folder",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "parent_id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key, NotNull: true},
		{Name: "name", Type: dialect.Text, NotNull: true},
		{Name: "items", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt, NotNull: true},
		{Name: "updated_at", Type: dialect.BigInt, NotNull: true},
	},
	PrimaryKey: []string{"id"},
	Indexes: []dialect.Index{
		{Name: "idx_folder_parent_id", Columns: []string{"parent_id"}},
		{Name: "idx_folder_user_id", Columns: []string{"user_id"}},
	},
}

func addFolderTableUp(m *dialect.Migrator) error   { return m.CreateTable(folderAt4) }
func addFolderTableDown(m *dialect.Migrator) error { return m.DropTable(folderAt4.Name) }
