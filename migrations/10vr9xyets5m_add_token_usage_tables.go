package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 10vr9xyets5m (add_token_usage_tables) creates token_group and
// token_usage. Its ID is not hexadecimal: revision IDs are opaque strings.
// The seed document's example header says it revises d31026856c01; the
// chain overview, which SPEC.md follows, puts it after 9f0c9cd09105.

var tokenGroupAt18 = dialect.Table{
	Name: "token_group",
	Columns: []dialect.Column{
		{Name: "name", Type: dialect.Key},
		{Name: "models", Type: dialect.JSON},
		{Name: "limit", Type: dialect.BigInt},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"name"},
}

var tokenUsageAt18 = dialect.Table{
	Name: "token_usage",
	Columns: []dialect.Column{
		{Name: "group_name", Type: dialect.Key},
		{Name: "token_in", Type: dialect.BigInt, NotNull: true, Default: "0"},
		{Name: "token_out", Type: dialect.BigInt, NotNull: true, Default: "0"},
		{Name: "token_total", Type: dialect.BigInt, NotNull: true, Default: "0"},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"group_name"},
	ForeignKeys: []dialect.ForeignKey{
		{Name: "fk_token_usage_group_name", Columns: []string{"group_name"}, RefTable: "token_group", RefColumns: []string{"name"}, OnDelete: "CASCADE"},
	},
}

func addTokenUsageTablesUp(m *dialect.Migrator) error {
	if err := m.CreateTable(tokenGroupAt18); err != nil {
		return err
	}
	return m.CreateTable(tokenUsageAt18)
}

func addTokenUsageTablesDown(m *dialect.Migrator) error {
	if err := m.DropTable(tokenUsageAt18.Name); err != nil {
		return err
	}
	return m.DropTable(tokenGroupAt18.Name)
}
