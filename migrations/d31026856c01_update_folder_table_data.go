package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision d31026856c01 (update_folder_table_data) moves chat-to-folder
// membership from folder.items into chat.folder_id and adds the folder
// foreign keys.

var chatAt6 = chatAt2.With(
	dialect.Column{Name: "folder_id", Type: dialect.Key},
	dialect.Index{Name: "idx_chat_folder_id", Columns: []string{"folder_id"}},
	dialect.ForeignKey{Name: "fk_chat_folder_id", Columns: []string{"folder_id"}, RefTable: "folder", RefColumns: []string{"id"}, OnDelete: "SET NULL"},
)

var folderAt6 = folderAt5.Without("items").With(
	dialect.ForeignKey{Name: "fk_folder_parent_id", Columns: []string{"parent_id"}, RefTable: "folder", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
)

func updateFolderTableDataUp(m *dialect.Migrator) error {
	if err := m.AlterTable(chatAt2, chatAt6); err != nil {
		return err
	}
	// DATA: move folder.items.chat_ids into chat.folder_id, report drops.
	// DATA: null dangling folder.parent_id values, report them.
	return m.AlterTable(folderAt5, folderAt6)
}

func updateFolderTableDataDown(m *dialect.Migrator) error {
	if err := m.AlterTable(folderAt6, folderAt5); err != nil {
		return err
	}
	// DATA: rebuild folder.items from chat.folder_id.
	return m.AlterTable(chatAt6, chatAt2)
}
