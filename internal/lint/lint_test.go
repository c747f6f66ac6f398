package lint

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
)

// The test chain's base: a parent table p and a table t with an index, a
// foreign key and a check, built before the step under test.
var (
	pAt0 = dialect.Table{Name: "p", Columns: []dialect.Column{{Name: "id", Type: dialect.Key, NotNull: true}}, PrimaryKey: []string{"id"}}
	tAt0 = dialect.Table{
		Name: "t",
		Columns: []dialect.Column{
			{Name: "id", Type: dialect.Key, NotNull: true},
			{Name: "a", Type: dialect.Key},
			{Name: "b", Type: dialect.Text},
			{Name: "n", Type: dialect.BigInt},
			{Name: "p_id", Type: dialect.Key},
		},
		PrimaryKey:  []string{"id"},
		Indexes:     []dialect.Index{{Name: "ix_t_a", Columns: []string{"a"}}},
		ForeignKeys: []dialect.ForeignKey{{Name: "fk_t_p", Columns: []string{"p_id"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: "CASCADE"}},
		Checks:      []dialect.Check{{Name: "ck_t_n", Expr: "n >= 0"}},
	}
	// x is a table the step under test creates itself.
	xAt1 = dialect.Table{Name: "x", Columns: []dialect.Column{{Name: "id", Type: dialect.Key, NotNull: true}, {Name: "a", Type: dialect.Key}, {Name: "n", Type: dialect.BigInt}}, PrimaryKey: []string{"id"}}
)

func baseStep() migrations.Step {
	return migrations.Step{ID: "base", Name: "base", Up: func(m *dialect.Migrator) error {
		if err := m.CreateTable(pAt0); err != nil {
			return err
		}
		return m.CreateTable(tAt0)
	}}
}

func alterT(to dialect.Table, fills ...dialect.Fill) func(*dialect.Migrator) error {
	return func(m *dialect.Migrator) error { return m.AlterTable(tAt0, to, fills...) }
}

func withX(then func(*dialect.Migrator, dialect.Table) error) func(*dialect.Migrator) error {
	return func(m *dialect.Migrator) error {
		if err := m.CreateTable(xAt1); err != nil {
			return err
		}
		return then(m, xAt1)
	}
}

// lintStep captures the base then step and evaluates it for the dialects.
func lintStep(t *testing.T, step migrations.Step, opt Options) []Finding {
	t.Helper()
	step.ID, step.Name, step.Revises = "s1", "under_test", "base"
	steps, err := Capture(context.Background(), []migrations.Step{baseStep(), step}, 1)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Evaluate(context.Background(), steps, opt)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func codes(fs []Finding, dialectName string) []string {
	var out []string
	for _, f := range fs {
		if f.Dialect == dialectName {
			out = append(out, f.Code+":"+f.Severity)
		}
	}
	return out
}

var all = []string{"sqlite", "postgres", "mysql"}

// Every code: a step that triggers it, on each dialect where it applies,
// and a near miss that does not; no database, so tables are assumed large.
func TestRules(t *testing.T) {
	cases := []struct {
		name     string
		code     string // code:severity expected (or absent)
		up       func(*dialect.Migrator) error
		online   bool
		allow    []string
		triggers []string // dialects that report the code; the rest must not
	}{
		{"drop table", "DS101:error", func(m *dialect.Migrator) error { return m.DropTable("t") }, false, nil, all},
		{"drop of a table the step created", "DS101:error", withX(func(m *dialect.Migrator, x dialect.Table) error { return m.DropTable("x") }), false, nil, nil},
		{"drop column", "DS102:error", alterT(tAt0.Without("b")), false, nil, all},
		{"rename whose fill carries the values", "DS102:error", alterT(tAt0.Without("b").With(dialect.Column{Name: "body", Type: dialect.Text}), dialect.Fill{Column: "body", Expr: `"b"`}), false, nil, nil},
		{"drop index", "DS103:warning", alterT(tAt0.Without("ix_t_a")), false, nil, all},
		{"index redefined under its name", "DS103:warning", alterT(tAt0.Without("ix_t_a").With(dialect.Index{Name: "ix_t_a", Columns: []string{"a", "n"}})), false, nil, nil},
		{"drop foreign key", "DS104:warning", alterT(tAt0.Without("fk_t_p")), false, nil, all},
		{"drop check", "DS104:warning", alterT(tAt0.Without("ck_t_n")), false, nil, all},
		{"add a check", "DS104:warning", alterT(tAt0.With(dialect.Check{Name: "ck_t_a", Expr: "a <> ''"})), false, nil, nil},
		{"rename", "BC201:error", alterT(tAt0.Without("b").With(dialect.Column{Name: "body", Type: dialect.Text})), false, nil, all},
		{"drop of a column the previous models read", "BC201:error", alterT(tAt0.Without("n", "ck_t_n")), false, nil, all},
		{"add a column only", "BC201:error", alterT(tAt0.With(dialect.Column{Name: "c", Type: dialect.Text})), false, nil, nil},
		{"NOT NULL column without a default", "BC202:error", alterT(tAt0.With(dialect.Column{Name: "c", Type: dialect.BigInt, NotNull: true}), dialect.Fill{Column: "c", Expr: "0"}), false, nil, all},
		{"NOT NULL column with a default", "BC202:error", alterT(tAt0.With(dialect.Column{Name: "c", Type: dialect.BigInt, NotNull: true, Default: "0"})), false, nil, nil},
		{"unique index on an existing table", "DD301:warning", alterT(tAt0.With(dialect.Index{Name: "uq_t_a", Columns: []string{"a"}, Unique: true})), false, nil, all},
		{"unique index on a new table", "DD301:warning", withX(func(m *dialect.Migrator, x dialect.Table) error {
			return m.AlterTable(x, x.With(dialect.Index{Name: "uq_x_a", Columns: []string{"a"}, Unique: true}))
		}), false, nil, nil},
		{"NOT NULL on an existing column", "DD302:warning", alterT(tAt0.Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true})), false, nil, all},
		{"NOT NULL on a new table's column", "DD302:warning", withX(func(m *dialect.Migrator, x dialect.Table) error {
			return m.AlterTable(x, x.Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}))
		}), false, nil, nil},
		{"index without CONCURRENTLY", "LK401:error", alterT(tAt0.With(dialect.Index{Name: "ix_t_n", Columns: []string{"n"}})), false, nil, []string{"postgres"}},
		{"index in an Online step", "LK401:error", alterT(tAt0.With(dialect.Index{Name: "ix_t_n", Columns: []string{"n"}})), true, nil, nil},
		{"index on a new table", "LK401:error", withX(func(m *dialect.Migrator, x dialect.Table) error {
			return m.AlterTable(x, x.With(dialect.Index{Name: "ix_x_n", Columns: []string{"n"}}))
		}), false, nil, nil},
		{"foreign key without NOT VALID", "LK402:error", alterT(tAt0.With(dialect.ForeignKey{Name: "fk_t_a", Columns: []string{"a"}, RefTable: "p", RefColumns: []string{"id"}})), false, nil, []string{"postgres"}},
		{"check without NOT VALID", "LK402:error", alterT(tAt0.With(dialect.Check{Name: "ck_t_a", Expr: "a <> ''"})), false, nil, []string{"postgres"}},
		{"foreign key in an Online step", "LK402:error", alterT(tAt0.With(dialect.ForeignKey{Name: "fk_t_a", Columns: []string{"a"}, RefTable: "p", RefColumns: []string{"id"}})), true, nil, nil},
		{"type change", "LK403:error", alterT(tAt0.Replace(dialect.Column{Name: "n", Type: dialect.Text}), dialect.Fill{Column: "n", Expr: `CAST("n" AS TEXT)`}), true, nil, []string{"postgres", "mysql"}},
		{"varchar widened to text", "LK403:error", alterT(tAt0.Replace(dialect.Column{Name: "a", Type: dialect.Text}).Without("ix_t_a")), true, nil, []string{"mysql"}},
		{"volatile default", "LK403:error", alterT(tAt0.With(dialect.Column{Name: "r", Type: dialect.Text, Default: "(random())"})), true, nil, []string{"postgres", "mysql"}},
		{"constant default", "LK403:error", alterT(tAt0.With(dialect.Column{Name: "r", Type: dialect.BigInt, Default: "0"})), true, nil, nil},
		{"ALTER outside an Online step", "LK404:error", alterT(tAt0.With(dialect.Column{Name: "c", Type: dialect.Text})), false, nil, []string{"mysql"}},
		{"type change in an Online step", "LK404:error", alterT(tAt0.Replace(dialect.Column{Name: "n", Type: dialect.Text}), dialect.Fill{Column: "n", Expr: `CAST("n" AS TEXT)`}), true, nil, []string{"mysql"}},
		{"primary key change", "LK404:error", alterT(tAt0.Replace(dialect.Column{Name: "a", Type: dialect.Key, NotNull: true}).With(dialect.PrimaryKey{"id", "a"})), true, nil, []string{"mysql"}},
		{"add column in an Online step", "LK404:error", alterT(tAt0.With(dialect.Column{Name: "c", Type: dialect.Text})), true, nil, nil},
		{"backfill with DDL", "TX501:error", func(m *dialect.Migrator) error {
			if err := m.AlterTable(tAt0, tAt0.With(dialect.Column{Name: "c", Type: dialect.Text})); err != nil {
				return err
			}
			return m.Exec(`UPDATE "t" SET "c" = "b"`)
		}, false, nil, []string{"sqlite", "postgres"}},
		{"backfill in an Online step", "TX501:error", func(m *dialect.Migrator) error {
			if err := m.AlterTable(tAt0, tAt0.With(dialect.Column{Name: "c", Type: dialect.Text})); err != nil {
				return err
			}
			return m.Exec(`UPDATE "t" SET "c" = "b"`)
		}, true, nil, nil},
		{"backfill of a new table", "TX501:error", withX(func(m *dialect.Migrator, x dialect.Table) error {
			return m.Exec(`INSERT INTO "x" ("id") SELECT "id" FROM "t"`)
		}), false, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := lintStep(t, migrations.Step{Up: c.up, Online: c.online, Allow: c.allow}, Options{})
			for _, d := range all {
				got := slices.Contains(codes(fs, d), c.code)
				if want := slices.Contains(c.triggers, d); got != want {
					t.Errorf("%s: %s reported = %v, want %v; findings: %v", d, c.code, got, want, codes(fs, d))
				}
			}
		})
	}
}

// A code the step lists in Allow is reported as allowed and does not fail.
func TestAllow(t *testing.T) {
	fs := lintStep(t, migrations.Step{Up: alterT(tAt0.Without("b")), Allow: []string{"DS102"}}, Options{Dialects: []string{"sqlite"}})
	var ds102 []Finding
	for _, f := range fs {
		if f.Code == "DS102" {
			ds102 = append(ds102, f)
		}
		if f.Code == "BC201" && (f.Allowed || !f.Failing()) {
			t.Errorf("BC201 is not allowed by the step, got %+v", f)
		}
	}
	if len(ds102) != 1 || !ds102[0].Allowed || ds102[0].Failing() || !strings.HasPrefix(ds102[0].String(), "allowed error DS102 [sqlite] step s1 (under_test) table t: alter table t: drop column b text") {
		t.Fatalf("DS102 allowed: got %+v", ds102)
	}
}

// The capture records each high-level call once, with its statements; an
// Exec inside Batches belongs to the batches op.
func TestCaptureOps(t *testing.T) {
	step := migrations.Step{ID: "s1", Name: "s", Up: func(m *dialect.Migrator) error {
		if err := m.AlterTable(tAt0, tAt0.With(dialect.Column{Name: "c", Type: dialect.Text})); err != nil {
			return err
		}
		if err := m.Exec(`INSERT INTO "p" ("id") VALUES ('p1')`); err != nil {
			return err
		}
		return m.Batches("p", "id", 10, func(m *dialect.Migrator, after *string, upTo string) error {
			cond, args := m.KeyRange("id", after, upTo)
			return m.Exec(`UPDATE "t" SET "c" = 'x' WHERE "p_id" IN (SELECT "id" FROM "p" WHERE `+cond+`)`, args...)
		})
	}}
	steps, err := Capture(context.Background(), []migrations.Step{baseStep(), step}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ops := steps[0].Ops
	var kinds []string
	for _, op := range ops {
		kinds = append(kinds, string(op.Kind))
		if op.Step != "s1" || len(op.Statements) == 0 {
			t.Errorf("op %s: step %q, statements %q", op.Kind, op.Step, op.Statements)
		}
	}
	if want := []string{"alter table", "data exec", "batches"}; !slices.Equal(kinds, want) {
		t.Fatalf("ops %v, want %v", kinds, want)
	}
	if ops[0].Table != "t" || len(ops[0].Diff.AddColumns) != 1 || !strings.Contains(strings.Join(ops[0].Statements, ";"), "ALTER TABLE") {
		t.Errorf("alter op: %+v", ops[0])
	}
	if ops[1].SQL != `INSERT INTO "p" ("id") VALUES ('p1')` {
		t.Errorf("exec op SQL %q", ops[1].SQL)
	}
	if len(ops[2].Statements) != 1 || !strings.HasPrefix(ops[2].Statements[0], `UPDATE "t"`) {
		t.Errorf("batches op statements %q", ops[2].Statements)
	}
	if _, ok := steps[0].Before["t"]; !ok || len(steps[0].Before) != 2 {
		t.Errorf("shapes before the step: %v", steps[0].Before)
	}
}
