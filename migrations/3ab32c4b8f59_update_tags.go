package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 3ab32c4b8f59 (update_tags) makes tags per user.

var tagAt8 = tagAt7.With(
	dialect.Column{Name: "user_id", Type: dialect.Key, NotNull: true},
	dialect.Column{Name: "color", Type: dialect.Key},
	dialect.Column{Name: "icon", Type: dialect.Text},
	dialect.PrimaryKey{"id", "user_id"},
)

// chatTagUnlinked is chat_tag between the two halves of the change: its
// key to tag(id) must go before tag's primary key can change.
var chatTagUnlinked = chatTagAt7.Without("fk_chat_tag_tag_id")

var chatTagAt8 = chatTagUnlinked.With(
	dialect.Column{Name: "user_id", Type: dialect.Key, NotNull: true},
	dialect.Index{Name: "idx_chat_tag_user_id_tag_id", Columns: []string{"user_id", "tag_id"}},
	dialect.ForeignKey{Name: "fk_chat_tag_tag_id_user_id", Columns: []string{"tag_id", "user_id"}, RefTable: "tag", RefColumns: []string{"id", "user_id"}, OnDelete: "CASCADE"},
)

func updateTagsUp(m *dialect.Migrator) error {
	if err := m.AlterTable(chatTagAt7, chatTagUnlinked); err != nil {
		return err
	}
	if err := m.AlterTable(tagAt7, tagAt8, dialect.Fill{Column: "user_id", Expr: "''"}); err != nil {
		return err
	}
	// DATA: one tag row per (tag, owner of a chat using it); unused stay ''.
	return m.AlterTable(chatTagUnlinked, chatTagAt8, dialect.Fill{Column: "user_id",
		Expr: "COALESCE((SELECT " + m.Q("user_id") + " FROM " + m.Q("chat") + " WHERE " + m.Q("chat") + "." + m.Q("id") + " = " + m.Q("chat_tag") + "." + m.Q("chat_id") + "), '')"})
}

func updateTagsDown(m *dialect.Migrator) error {
	if err := m.AlterTable(chatTagAt8, chatTagUnlinked); err != nil {
		return err
	}
	// DATA: merge per-user rows back into one row per id.
	if err := m.AlterTable(tagAt8, tagAt7); err != nil {
		return err
	}
	return m.AlterTable(chatTagUnlinked, chatTagAt7)
}
