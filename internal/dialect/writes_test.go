package dialect_test

import (
	"context"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// SQLite runs steps with foreign keys off and checks references only after
// a step that marked StepWrites; these are the schema changes that must
// mark it because they can leave a reference dangling, and the one that
// need not.
func TestSQLiteSchemaChangesThatNeedTheReferenceCheck(t *testing.T) {
	parent := dialect.Table{
		Name:       "parent",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}},
		PrimaryKey: []string{"id"},
	}
	child := dialect.Table{
		Name:       "child",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "parent_id", Type: dialect.Key}},
		PrimaryKey: []string{"id"},
	}
	keyed := child
	keyed.ForeignKeys = []dialect.ForeignKey{{Name: "fk_child_parent_id", Columns: []string{"parent_id"}, RefTable: "parent", RefColumns: []string{"id"}}}
	noted := child.With(dialect.Column{Name: "note", Type: dialect.Text})
	cases := []struct {
		name   string
		change func(m *dialect.Migrator) error
		want   bool
	}{
		{"add a nullable column", func(m *dialect.Migrator) error { return m.AlterTable(child, noted) }, false},
		{"add a key over existing rows", func(m *dialect.Migrator) error { return m.AlterTable(child, keyed) }, true},
		{"fill a column", func(m *dialect.Migrator) error {
			return m.AlterTable(child, noted, dialect.Fill{Column: "note", Expr: "'x'"})
		}, true},
		{"rebuild with a fill", func(m *dialect.Migrator) error {
			return m.RebuildTable(child, child, dialect.Fill{Column: "parent_id", Expr: "'p2'"})
		}, true},
		// A copied row is a written row: the copy could be wrong.
		{"rebuild as it is", func(m *dialect.Migrator) error { return m.RebuildTable(child, child) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			setup, err := dialect.NewMigrator(g)
			if err != nil {
				t.Fatal(err)
			}
			for _, tb := range []dialect.Table{parent, child} {
				if err := setup.CreateTable(tb); err != nil {
					t.Fatal(err)
				}
			}
			if err := g.Exec("INSERT INTO child (id, parent_id) VALUES ('c1', 'p1')").Error; err != nil {
				t.Fatal(err)
			}
			run := &dialect.StepRun{}
			m, err := dialect.NewMigrator(g.WithContext(dialect.WithStepRun(context.Background(), run)))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.change(m); err != nil {
				t.Fatal(err)
			}
			if got := run.Writes.WroteRows(); got != tc.want {
				t.Errorf("WroteRows() = %v, want %v", got, tc.want)
			}
		})
	}
}
