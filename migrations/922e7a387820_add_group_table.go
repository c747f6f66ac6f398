package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 922e7a387820 (add_group_table) creates group and group_member
// and adds access_control to knowledge, model, prompt and tool (NULL means
// the owner's default rules).

var groupAt13 = dialect.Table{
	Name: "group",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key, NotNull: true},
		{Name: "name", Type: dialect.Text, NotNull: true},
		{Name: "description", Type: dialect.Text},
		{Name: "permissions", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
}

var groupMemberAt13 = dialect.Table{
	Name: "group_member",
	Columns: []dialect.Column{
		{Name: "group_id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "created_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"group_id", "user_id"},
	Indexes:    []dialect.Index{{Name: "idx_group_member_user_id", Columns: []string{"user_id"}}},
	ForeignKeys: []dialect.ForeignKey{
		{Name: "fk_group_member_group_id", Columns: []string{"group_id"}, RefTable: "group", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
		{Name: "fk_group_member_user_id", Columns: []string{"user_id"}, RefTable: "user", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
	},
}

var accessControl = dialect.Column{Name: "access_control", Type: dialect.JSON}

// accessControlled are the tables that gain access_control, as they were.
var accessControlled = []dialect.Table{knowledgeAt9, modelAt1, promptAt1, toolAt1}

func addGroupTableUp(m *dialect.Migrator) error {
	if err := m.CreateTable(groupAt13); err != nil {
		return err
	}
	if err := m.CreateTable(groupMemberAt13); err != nil {
		return err
	}
	for _, t := range accessControlled {
		if err := m.AlterTable(t, t.With(accessControl)); err != nil {
			return err
		}
	}
	return nil
}

func addGroupTableDown(m *dialect.Migrator) error {
	for _, t := range accessControlled {
		if err := m.AlterTable(t.With(accessControl), t); err != nil {
			return err
		}
	}
	if err := m.DropTable(groupMemberAt13.Name); err != nil {
		return err
	}
	return m.DropTable(groupAt13.Name)
}
