package migrations

import (
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision 57c599a3cb57 (add_channel_table) creates channel and
// channel_member and lets a message belong to a channel instead of a chat.

var channelAt16 = dialect.Table{
	Name: "channel",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key, NotNull: true},
		{Name: "name", Type: dialect.Text, NotNull: true},
		{Name: "description", Type: dialect.Text},
		{Name: "data", Type: dialect.JSON},
		{Name: "meta", Type: dialect.JSON},
		{Name: "access_control", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
}

var channelMemberAt16 = dialect.Table{
	Name: "channel_member",
	Columns: []dialect.Column{
		{Name: "channel_id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "created_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"channel_id", "user_id"},
	Indexes:    []dialect.Index{{Name: "idx_channel_member_user_id", Columns: []string{"user_id"}}},
	ForeignKeys: []dialect.ForeignKey{
		{Name: "fk_channel_member_channel_id", Columns: []string{"channel_id"}, RefTable: "channel", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
		{Name: "fk_channel_member_user_id", Columns: []string{"user_id"}, RefTable: "user", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
	},
}

var messageAt16 = messageAt3.
	Replace(dialect.Column{Name: "chat_id", Type: dialect.Key}).
	With(
		dialect.Column{Name: "channel_id", Type: dialect.Key},
		dialect.Index{Name: "idx_message_channel_id", Columns: []string{"channel_id"}},
		dialect.ForeignKey{Name: "fk_message_channel_id", Columns: []string{"channel_id"}, RefTable: "channel", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
	)

func addChannelTableUp(m *dialect.Migrator) error {
	if err := m.CreateTable(channelAt16); err != nil {
		return err
	}
	if err := m.CreateTable(channelMemberAt16); err != nil {
		return err
	}
	return m.AlterTable(messageAt3, messageAt16)
}

// addChannelTableDown refuses, before changing anything, when a message
// has no chat: before this revision every message needed one, and dropping
// channel messages would lose what users wrote.
func addChannelTableDown(m *dialect.Migrator) error {
	n, sample, err := m.CountAndSample(fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NULL",
		m.Q("id"), m.Q("message"), m.Q("chat_id")))
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d message(s) belong to a channel and have no chat (e.g. %s); before this revision every message needs a chat, so rolling back would lose them: move or delete them first",
			n, dialect.Sample(sample))
	}
	if err := m.AlterTable(messageAt16, messageAt3); err != nil {
		return err
	}
	if err := m.DropTable(channelMemberAt16.Name); err != nil {
		return err
	}
	return m.DropTable(channelAt16.Name)
}

// addChannelTableCheckDown is addChannelTableDown's refusal alone, for a
// rollback to find it before it undoes the steps after this one.
func addChannelTableCheckDown(m *dialect.Migrator) error {
	n, sample, err := m.CountAndSample(fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NULL",
		m.Q("id"), m.Q("message"), m.Q("chat_id")))
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d message(s) belong to a channel and have no chat (e.g. %s); before this revision every message needs a chat, so rolling back would lose them: move or delete them first",
			n, dialect.Sample(sample))
	}
	return nil
}
