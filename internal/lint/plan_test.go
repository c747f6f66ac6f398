package lint

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// The plan of a step on a live database: its ops with the statements run
// on the scratch database, the live table's catalog size, and the lock and
// rewrite of each part on the database's own dialect. It writes nothing.
func TestPlan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		g := testdb.Open(t, name)
		m, err := dialect.NewMigrator(g)
		if err != nil {
			t.Fatal(err)
		}
		if err := baseStep().Up(m); err != nil {
			t.Fatal(err)
		}
		if err := g.Exec(fmt.Sprintf("INSERT INTO %s (%s) VALUES ('r1'), ('r2'), ('r3')", m.Q("t"), m.Q("id"))).Error; err != nil {
			t.Fatal(err)
		}
		analyze(t, g, name)
		step := migrations.Step{ID: "s1", Name: "s", Revises: "base", Up: func(m *dialect.Migrator) error {
			if err := m.CreateTable(xAt1); err != nil {
				return err
			}
			return m.AlterTable(tAt0, tAt0.With(dialect.Index{Name: "ix_t_n", Columns: []string{"n"}}).Replace(dialect.Column{Name: "n", Type: dialect.Text}),
				dialect.Fill{Column: "n", Expr: map[string]string{"mysql": "CAST(n AS CHAR)"}[name] + map[string]string{"sqlite": "CAST(n AS TEXT)", "postgres": "CAST(n AS TEXT)"}[name]})
		}}
		p, err := BuildPlan(context.Background(), []migrations.Step{baseStep(), step}, 1, 2, g)
		if err != nil {
			t.Fatal(err)
		}
		if p.Dialect != name || len(p.Steps) != 1 || len(p.Steps[0].Ops) != 2 {
			t.Fatalf("plan: %+v", p)
		}
		create, alter := p.Steps[0].Ops[0], p.Steps[0].Ops[1]
		if create.Kind != "create table" || !create.New || create.Rows != 0 || len(create.Statements) == 0 {
			t.Errorf("create op: %+v", create)
		}
		if alter.Kind != "alter table" || alter.New || alter.Rows != 3 || !alter.Rewrite || len(alter.Statements) == 0 {
			t.Errorf("alter op: %+v", alter)
		}
		var locks []string
		for _, part := range alter.Parts {
			locks = append(locks, part.Lock)
		}
		want := map[string]string{"postgres": "SHARE", "mysql": myCopyLock, "sqlite": "database write lock (one writer; readers continue in WAL mode)"}[name]
		if !slices.Contains(locks, want) {
			t.Errorf("alter locks %q, want %q among them", locks, want)
		}
		// Nothing was written: the table x exists only on the scratch.
		if ok, err := dialect.TableExists(g, "x"); err != nil || ok {
			t.Errorf("plan created table x on the live database (%v)", err)
		}
		if !strings.Contains(p.Note, "SQLite's form") {
			t.Errorf("note: %s", p.Note)
		}
	})
}

const myCopyLock = "MDL shared-no-write for the whole table copy (ALGORITHM=COPY)"
