package schematest

import (
	"context"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
)

// Lint fails on an error finding of a step added after the Alembic
// revisions, for every dialect, and passes a step that is safe or that
// allows its finding.
func TestLintNewSteps(t *testing.T) {
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	head := chain[len(chain)-1].ID
	noteAt := dialect.Table{Name: "note_extra", Columns: []dialect.Column{{Name: "id", Type: dialect.Key, NotNull: true}, {Name: "body", Type: dialect.Text}}, PrimaryKey: []string{"id"}}
	create := migrations.Step{ID: "new1", Revises: head, Name: "add_note_extra",
		Up:   func(m *dialect.Migrator) error { return m.CreateTable(noteAt) },
		Down: func(m *dialect.Migrator) error { return m.DropTable(noteAt.Name) }}
	dropBody := migrations.Step{ID: "new2", Revises: "new1", Name: "drop_body",
		Up:   func(m *dialect.Migrator) error { return m.AlterTable(noteAt, noteAt.Without("body")) },
		Down: func(m *dialect.Migrator) error { return m.AlterTable(noteAt.Without("body"), noteAt) }}
	cases := []struct {
		name  string
		steps []migrations.Step
		want  []string // substrings of the problems, one per dialect each
	}{
		{"a new table", []migrations.Step{create}, nil},
		{"a dropped column", []migrations.Step{create, dropBody}, []string{"ERROR BC201 [sqlite] step new2", "ERROR DS102 [mysql] step new2"}},
	}
	allowed := dropBody
	allowed.Allow = []string{"BC201", "DS102", "LK404"}
	cases = append(cases, struct {
		name  string
		steps []migrations.Step
		want  []string
	}{"allowed", []migrations.Step{create, allowed}, nil})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems, _, err := lintNew(context.Background(), append(append([]migrations.Step(nil), chain...), c.steps...))
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(problems, "\n")
			if (len(c.want) == 0) != (len(problems) == 0) {
				t.Fatalf("problems:\n%s", all)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
		})
	}
}
