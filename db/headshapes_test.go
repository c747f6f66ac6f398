package db

import (
	"context"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
)

// A schema change a step makes behind the recorder's back (raw SQL instead
// of the Migrator's shape operations) must stop `schema new` rather than
// give it a wrong HEAD.
func TestHeadShapesRefuseChangesTheRecorderMissed(t *testing.T) {
	ctx := context.Background()
	widget := dialect.Table{
		Name:       "widget",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "n", Type: dialect.BigInt, NotNull: true}},
		PrimaryKey: []string{"id"},
		Indexes:    []dialect.Index{{Name: "idx_widget_n", Columns: []string{"n"}}},
	}
	cases := []struct {
		name  string
		sneak string // raw SQL run after the recorded CreateTable
		want  string
	}{
		{"nothing missed", "", ""},
		{"column added", "ALTER TABLE widget ADD COLUMN extra text", "column widget.extra is in the database but no recorded shape has it"},
		{"table created", "CREATE TABLE gadget (id text)", "table gadget is in the database but no step declared its shape"},
		{"index dropped", "DROP INDEX idx_widget_n", "table widget has indexes [] in the database but [idx_widget_n] in the recorded shape"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Open(ctx, "sqlite://")
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			rec := dialect.NewShapeRecorder()
			m, err := dialect.NewMigrator(d.DB.WithContext(dialect.WithHooks(ctx, dialect.Hooks{Shapes: rec})))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.CreateTable(widget); err != nil {
				t.Fatal(err)
			}
			if c.sneak != "" {
				if err := d.DB.Exec(c.sneak).Error; err != nil {
					t.Fatal(err)
				}
			}
			snap, err := snapshot.Take(ctx, d.DB)
			if err != nil {
				t.Fatal(err)
			}
			err = crossCheckShapes(rec.Tables(), snap)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// ShapesAt an earlier revision holds that revision's tables and columns,
// not HEAD's: copy reads a database at its own revision so.
func TestShapesAtEarlierRevision(t *testing.T) {
	ctx := context.Background()
	head, err := ShapesAt(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	early, err := ShapesAt(ctx, "7e5b5dc7342b")
	if err != nil {
		t.Fatal(err)
	}
	names := func(ts []dialect.Table) (out []string) {
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	if got := len(early); got != 10 {
		t.Errorf("init has %d tables %v, want 10", got, names(early))
	}
	if len(head) <= len(early) {
		t.Errorf("HEAD has %d tables, init %d", len(head), len(early))
	}
	for _, tb := range early {
		if tb.Name == "chat" {
			if _, ok := tb.Column("folder_id"); ok {
				t.Errorf("chat at init has folder_id, added only later")
			}
		}
	}
}
