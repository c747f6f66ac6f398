package dialect_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// TestDropIndexUnderForeignKey: dropping the only index under a foreign
// key, and adding it back, leaves exactly what creating the table in each
// shape leaves. InnoDB refuses to drop a key's only index, and gives a key
// without one an index named after it; the other dialects need no index.
func TestDropIndexUnderForeignKey(t *testing.T) {
	indexed := rebuildChild.With(dialect.Index{Name: "idx_child_parent_id", Columns: []string{"parent_id"}})
	bare := rebuildChild
	testdb.Each(t, func(t *testing.T, dl string) {
		shapeOf := func(steps ...func(m *dialect.Migrator) error) *snapshot.Snapshot { return schemaAfter(t, dl, steps...) }
		create := func(tb dialect.Table) func(*dialect.Migrator) error {
			return func(m *dialect.Migrator) error {
				if err := m.CreateTable(rebuildParent); err != nil {
					return err
				}
				return m.CreateTable(tb)
			}
		}
		alter := func(from, to dialect.Table) func(*dialect.Migrator) error {
			return func(m *dialect.Migrator) error { return m.AlterTable(from, to) }
		}
		migtest.RequireSameSchema(t, shapeOf(create(bare)), shapeOf(create(indexed), alter(indexed, bare)), "created bare", "index dropped")
		migtest.RequireSameSchema(t, shapeOf(create(indexed)), shapeOf(create(bare), alter(bare, indexed)), "created indexed", "index added")
		migtest.RequireSameSchema(t, shapeOf(create(indexed)), shapeOf(create(indexed), alter(indexed, bare), alter(bare, indexed)), "created indexed", "index dropped and added back")
	})
}

// TestConvertIndexedColumn: a type change with a conversion on a column
// under an index and a check leaves what creating the table in the new
// shape leaves (MySQL converts through a new column, which starts without
// the old one's index and check).
func TestConvertIndexedColumn(t *testing.T) {
	from := dialect.Table{
		Name:       "scored",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "n", Type: dialect.SmallInt}},
		PrimaryKey: []string{"id"},
		Indexes:    []dialect.Index{{Name: "idx_scored_n", Columns: []string{"n"}}},
		Checks:     []dialect.Check{{Name: "chk_scored_n", Expr: "n >= 0"}},
	}
	to := from.Replace(dialect.Column{Name: "n", Type: dialect.BigInt})
	testdb.Each(t, func(t *testing.T, dl string) {
		convert := func(m *dialect.Migrator) error {
			if err := m.CreateTable(from); err != nil {
				return err
			}
			if err := m.Exec("INSERT INTO " + m.Q("scored") + " (" + m.Q("id") + ", " + m.Q("n") + ") VALUES ('a', 7)"); err != nil {
				return err
			}
			return m.AlterTable(from, to, dialect.Fill{Column: "n", Expr: m.Q("n")})
		}
		migtest.RequireSameSchema(t, schemaAfter(t, dl, func(m *dialect.Migrator) error { return m.CreateTable(to) }), schemaAfter(t, dl, convert), "created", "converted")
	})
}

// schemaAfter runs steps on a new database of dialect dl and returns its
// schema.
func schemaAfter(t *testing.T, dl string, steps ...func(m *dialect.Migrator) error) *snapshot.Snapshot {
	t.Helper()
	g := testdb.Open(t, dl)
	err := g.Connection(func(conn *gorm.DB) error {
		m, err := dialect.NewMigrator(conn)
		if err != nil {
			return err
		}
		for _, step := range steps {
			if err := step(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapshot.Take(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
