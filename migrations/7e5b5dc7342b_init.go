package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 7e5b5dc7342b (init) creates the ten original tables.

var userAt1 = dialect.Table{
	Name: "user",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "name", Type: dialect.Text},
		{Name: "email", Type: dialect.Key},
		{Name: "role", Type: dialect.Key},
		{Name: "profile_image_url", Type: dialect.Text},
		{Name: "last_active_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "api_key", Type: dialect.Key},
		{Name: "settings", Type: dialect.JSON},
		{Name: "info", Type: dialect.JSON},
		{Name: "oauth_sub", Type: dialect.Key},
	},
	PrimaryKey: []string{"id"},
	Indexes: []dialect.Index{
		{Name: "uq_user_api_key", Columns: []string{"api_key"}, Unique: true},
		{Name: "uq_user_oauth_sub", Columns: []string{"oauth_sub"}, Unique: true},
	},
}

var authAt1 = dialect.Table{
	Name: "auth",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "email", Type: dialect.Key},
		{Name: "password", Type: dialect.Text},
		{Name: "active", Type: dialect.Bool},
	},
	PrimaryKey: []string{"id"},
}

var chatAt1 = dialect.Table{
	Name: "chat",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "chat", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
	Indexes:    []dialect.Index{{Name: "idx_chat_user_id", Columns: []string{"user_id"}}},
}

var messageAt1 = dialect.Table{
	Name: "message",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "chat_id", Type: dialect.Key, NotNull: true},
		{Name: "user_id", Type: dialect.Key},
		{Name: "role", Type: dialect.Key},
		{Name: "content", Type: dialect.Text},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
	Indexes:    []dialect.Index{{Name: "idx_message_chat_id", Columns: []string{"chat_id"}}},
	ForeignKeys: []dialect.ForeignKey{
		{Name: "fk_message_chat_id", Columns: []string{"chat_id"}, RefTable: "chat", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
	},
}

var fileAt1 = dialect.Table{
	Name: "file",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "filename", Type: dialect.Text},
		{Name: "path", Type: dialect.Key},
		{Name: "meta", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
	Indexes:    []dialect.Index{{Name: "idx_file_user_id", Columns: []string{"user_id"}}},
}

var toolAt1 = dialect.Table{
	Name: "tool",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "name", Type: dialect.Text},
		{Name: "content", Type: dialect.Text},
		{Name: "specs", Type: dialect.JSON},
		{Name: "meta", Type: dialect.JSON},
		{Name: "valves", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
}

var functionAt1 = dialect.Table{
	Name: "function",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "name", Type: dialect.Text},
		{Name: "type", Type: dialect.Key},
		{Name: "content", Type: dialect.Text},
		{Name: "meta", Type: dialect.JSON},
		{Name: "valves", Type: dialect.JSON},
		{Name: "is_active", Type: dialect.Bool},
		{Name: "is_global", Type: dialect.Bool},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
}

var modelAt1 = dialect.Table{
	Name: "model",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "base_model_id", Type: dialect.Key},
		{Name: "name", Type: dialect.Text},
		{Name: "params", Type: dialect.JSON},
		{Name: "meta", Type: dialect.JSON},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
}

var promptAt1 = dialect.Table{
	Name: "prompt",
	Columns: []dialect.Column{
		{Name: "command", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "title", Type: dialect.Text},
		{Name: "content", Type: dialect.Text},
		{Name: "timestamp", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"command"},
}

var memoryAt1 = dialect.Table{
	Name: "memory",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "user_id", Type: dialect.Key},
		{Name: "content", Type: dialect.Text},
		{Name: "created_at", Type: dialect.BigInt},
		{Name: "updated_at", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
	Indexes:    []dialect.Index{{Name: "idx_memory_user_id", Columns: []string{"user_id"}}},
}

// initTables is in creation order: parents before children.
var initTables = []dialect.Table{userAt1, authAt1, chatAt1, messageAt1, fileAt1, toolAt1, functionAt1, modelAt1, promptAt1, memoryAt1}

func initUp(m *dialect.Migrator) error {
	for _, t := range initTables {
		if err := m.CreateTable(t); err != nil {
			return err
		}
	}
	return nil
}

func initDown(m *dialect.Migrator) error {
	for i := len(initTables) - 1; i >= 0; i-- {
		if err := m.DropTable(initTables[i].Name); err != nil {
			return err
		}
	}
	return nil
}
