package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision af906e964978 (add_feedback_table) creates feedback: a thumbs up
// (1) or down (-1) on a message.

var feedbackAt15 = dialect.Table{
	Name: "feedback",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key, NotNull: true},
		{Name: "message_id", Type: dialect.Key, NotNull: true},
		{Name: "rating", Type: dialect.SmallInt, NotNull: true},
		{Name: "comment", Type: dialect.Text},
		{Name: "created_at", Type: dialect.BigInt, NotNull: true},
	},
	PrimaryKey: []string{"id"},
	Indexes: []dialect.Index{
		{Name: "idx_feedback_user_id", Columns: []string{"user_id"}},
		{Name: "idx_feedback_message_id", Columns: []string{"message_id"}},
	},
	ForeignKeys: []dialect.ForeignKey{
		{Name: "fk_feedback_message_id", Columns: []string{"message_id"}, RefTable: "message", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
	},
	Checks: []dialect.Check{{Name: "chk_feedback_rating", Expr: "rating IN (-1, 1)"}},
}

func addFeedbackTableUp(m *dialect.Migrator) error   { return m.CreateTable(feedbackAt15) }
func addFeedbackTableDown(m *dialect.Migrator) error { return m.DropTable(feedbackAt15.Name) }
