package dialect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

var (
	rebuildParent = dialect.Table{
		Name:       "parent",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "note", Type: dialect.Text}},
		PrimaryKey: []string{"id"},
	}
	rebuildChildKey = dialect.ForeignKey{Name: "fk_child_parent_id", Columns: []string{"parent_id"},
		RefTable: "parent", RefColumns: []string{"id"}, OnDelete: "CASCADE"}
	rebuildChild = dialect.Table{
		Name:        "child",
		Columns:     []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "parent_id", Type: dialect.Key}},
		PrimaryKey:  []string{"id"},
		ForeignKeys: []dialect.ForeignKey{rebuildChildKey},
	}
	rebuildStaging = dialect.Table{
		Name:       "staging",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "note", Type: dialect.Text}},
		PrimaryKey: []string{"id"},
	}
)

// TestRebuildReferrers: a rebuild refuses, before any change, a table that
// a foreign key the step did not declare references; with the key declared
// it copies the rows with their new values (joined from another table) and
// leaves the referencing rows and their key as they were.
func TestRebuildReferrers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		g := testdb.Open(t, dl)
		// As in a run: SQLite's keys are off, so dropping the old table
		// does not cascade.
		err := g.Connection(func(conn *gorm.DB) error {
			d, err := dialect.Of(conn)
			if err != nil {
				return err
			}
			finish, err := d.PrepareRun(conn, time.Minute)
			if err != nil {
				return err
			}
			defer finish(context.Background())
			m, err := dialect.NewMigrator(conn)
			if err != nil {
				return err
			}
			for _, tb := range []dialect.Table{rebuildParent, rebuildChild, rebuildStaging} {
				if err := m.CreateTable(tb); err != nil {
					return err
				}
			}
			for _, q := range []string{
				"INSERT INTO parent (id) VALUES ('p1'), ('p2')",
				"INSERT INTO child (id, parent_id) VALUES ('c1', 'p1'), ('c2', 'p2')",
				"INSERT INTO staging (id, note) VALUES ('p1', 'new')",
			} {
				if err := conn.Exec(q).Error; err != nil {
					return err
				}
			}
			r := dialect.Rebuild{
				From: rebuildParent, To: rebuildParent,
				Join:  "LEFT JOIN " + m.Q("staging") + " s ON s." + m.Q("id") + " = " + m.Q("parent") + "." + m.Q("id"),
				Fills: []dialect.Fill{{Column: "note", Expr: "s." + m.Q("note")}},
			}
			err = m.Rebuild(r)
			named := "child.fk_child_parent_id" // SQLite's catalog names no keys
			if dl == "sqlite" {
				named = "child"
			}
			if err == nil || !strings.Contains(err.Error(), "referenced by "+named+", which the step does not declare") {
				t.Fatalf("rebuild without the referrer: err = %v, want a refusal naming %s", err, named)
			}
			requireRows(t, conn, "SELECT id, COALESCE(note, '-') FROM parent ORDER BY id", "p1=-", "p2=-")

			r.Referrers = []dialect.Referrer{{Table: "child", Key: rebuildChildKey}}
			if err := m.Rebuild(r); err != nil {
				t.Fatalf("rebuild with the referrer: %v", err)
			}
			requireRows(t, conn, "SELECT id, COALESCE(note, '-') FROM parent ORDER BY id", "p1=new", "p2=-")
			requireRows(t, conn, "SELECT id, parent_id FROM child ORDER BY id", "c1=p1", "c2=p2")
			if !conn.Migrator().HasConstraint("child", rebuildChildKey.Name) {
				t.Fatalf("child lost %s in the rebuild", rebuildChildKey.Name)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The key is enforced again, cascading as declared.
		if err := g.Exec("DELETE FROM parent WHERE id = 'p2'").Error; err != nil {
			t.Fatal(err)
		}
		requireRows(t, g, "SELECT id, parent_id FROM child ORDER BY id", "c1=p1")
	})
}

// requireRows compares two-column rows, rendered as "a=b".
func requireRows(t *testing.T, g *gorm.DB, query string, want ...string) {
	t.Helper()
	rows, err := g.Raw(query).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		got = append(got, a+"="+b)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s: got %v, want %v", query, got, want)
	}
}
