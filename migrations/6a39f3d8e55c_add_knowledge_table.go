package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 6a39f3d8e55c (add_knowledge_table) creates knowledge.

var knowledgeAt9 = dialect.Table{
	Name: "knowledge",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key, NotNull: true},
		{Name: "name", Type: dialect.Text, NotNull: true},
		{Name: "description", Type: dialect.Text},
		{Name: "files", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
	Indexes:    []dialect.Index{{Name: "idx_knowledge_user_id", Columns: []string{"user_id"}}},
}

func addKnowledgeTableUp(m *dialect.Migrator) error   { return m.CreateTable(knowledgeAt9) }
func addKnowledgeTableDown(m *dialect.Migrator) error { return m.DropTable(knowledgeAt9.Name) }
