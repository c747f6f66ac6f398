package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision ca81bd47c050 (add_config_table) creates config.

var configAt14 = dialect.Table{
	Name: "config",
	Columns: []dialect.Column{
		{Name: "key", Type: dialect.Key},
		{Name: "value", Type: dialect.JSON, NotNull: true},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"key"},
}

func addConfigTableUp(m *dialect.Migrator) error   { return m.CreateTable(configAt14) }
func addConfigTableDown(m *dialect.Migrator) error { return m.DropTable(configAt14.Name) }
