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
	"gorm.io/gorm"
)

// With a live database, a unique index and NOT NULL are checked on its
// rows: errors with counts and sample keys when rows violate them,
// nothing when they do not. Sizes come from the catalog: a table over
// --large-rows gets the lock codes, one under it does not.
func TestLiveRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		g := testdb.Open(t, name)
		m, err := dialect.NewMigrator(g)
		if err != nil {
			t.Fatal(err)
		}
		if err := baseStep().Up(m); err != nil {
			t.Fatal(err)
		}
		q := m.Q
		exec := func(query string) {
			t.Helper()
			if err := g.Exec(query).Error; err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		exec(fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES ('r1', 'dup', 1), ('r2', 'dup', NULL), ('r3', 'one', NULL)", q("t"), q("id"), q("a"), q("n")))
		analyze(t, g, name)
		sizes, err := dialect.TableSizes(g)
		if err != nil {
			t.Fatal(err)
		}
		if s := sizes["t"]; s.Rows != 3 {
			t.Errorf("catalog size of t: %+v, want 3 rows", s)
		}
		step := migrations.Step{Up: alterT(tAt0.
			With(dialect.Index{Name: "uq_t_a", Columns: []string{"a"}, Unique: true}).
			Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}))}
		find := func(fs []Finding, code string) *Finding {
			i := slices.IndexFunc(fs, func(f Finding) bool { return f.Code == code })
			if i < 0 {
				return nil
			}
			return &fs[i]
		}

		fs := lintStep(t, step, Options{Live: g})
		if f := find(fs, "DD301"); f == nil || f.Severity != Error || !strings.Contains(f.Message, `1 value(s) of (a) are held by more than one row (2 rows), e.g. "dup"`) {
			t.Errorf("DD301 on duplicates: %+v", f)
		}
		if f := find(fs, "DD302"); f == nil || f.Severity != Error || !strings.Contains(f.Message, `2 row(s) hold NULL in n (rows with id "r2", "r3")`) {
			t.Errorf("DD302 on NULLs: %+v", f)
		}
		if slices.ContainsFunc(fs, func(f Finding) bool { return f.Dialect != name }) {
			t.Errorf("findings for another dialect than the database's: %v", fs)
		}
		// Three rows: small at the default threshold, large over 1.
		if f := find(fs, "LK401"); f != nil {
			t.Errorf("LK401 on a 3-row table: %+v", f)
		}
		large := lintStep(t, step, Options{Live: g, LargeRows: 1})
		if got := find(large, "LK401") != nil; got != (name == "postgres") {
			t.Errorf("LK401 over --large-rows 1: %v; findings %v", got, codes(large, name))
		}

		exec(fmt.Sprintf("UPDATE %s SET %s = %s, %s = 0", q("t"), q("a"), q("id"), q("n")))
		fs = lintStep(t, step, Options{Live: g})
		if f := find(fs, "DD301"); f != nil {
			t.Errorf("DD301 on clean rows: %+v", f)
		}
		if f := find(fs, "DD302"); f != nil {
			t.Errorf("DD302 on clean rows: %+v", f)
		}
	})
}

func analyze(t *testing.T, g *gorm.DB, name string) {
	t.Helper()
	stmt := map[string]string{"postgres": `ANALYZE "t"`, "mysql": "ANALYZE TABLE `t`", "sqlite": "ANALYZE"}[name]
	if err := g.WithContext(context.Background()).Exec(stmt).Error; err != nil {
		t.Fatal(err)
	}
}
