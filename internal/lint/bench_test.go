package lint

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestBenchThroughput measures, per dialect, how many rows a second each
// kind of work covers on this machine: the constants of `schema plan`'s
// duration estimates (docs/BENCHMARKS.md). Hand-run only:
//
//	SCHEMA_LINT_BENCH=200000 go test ./internal/lint -run TestBenchThroughput -v
func TestBenchThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SCHEMA_LINT_BENCH"))
	if n <= 0 {
		t.Skip("hand-run benchmark: set SCHEMA_LINT_BENCH to a row count")
	}
	testdb.EachSerial(t, func(t *testing.T, name string) {
		g := testdb.Open(t, name)
		m, err := dialect.NewMigrator(g)
		if err != nil {
			t.Fatal(err)
		}
		b := dialect.Table{Name: "bench", Columns: []dialect.Column{
			{Name: "id", Type: dialect.Key, NotNull: true}, {Name: "a", Type: dialect.Key}, {Name: "n", Type: dialect.BigInt},
		}, PrimaryKey: []string{"id"}}
		if err := m.CreateTable(b); err != nil {
			t.Fatal(err)
		}
		fill := map[string]string{
			"postgres": `INSERT INTO bench (id, a, n) SELECT 'k' || lpad(i::text, 9, '0'), 'a' || (i %% 1000), i FROM generate_series(1, %d) i`,
			"sqlite":   `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) INSERT INTO bench (id, a, n) SELECT printf('k%%09d', i), 'a' || (i %% 1000), i FROM s`,
			"mysql":    `INSERT INTO bench (id, a, n) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT CONCAT('k', LPAD(i, 9, '0')), CONCAT('a', i %% 1000), i FROM s`,
		}[name]
		if name == "mysql" {
			g.Exec("SET SESSION cte_max_recursion_depth = 100000000")
			g.Exec("SET SESSION max_recursive_iterations = 100000000")
		}
		if err := g.Exec(fmt.Sprintf(fill, n)).Error; err != nil {
			t.Fatal(err)
		}
		rate := func(kind string, fn func() error) {
			t.Helper()
			start := time.Now()
			if err := fn(); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			d := time.Since(start)
			t.Logf("BENCH %s %s: %d rows in %.2fs = %.0f rows/s", name, kind, n, d.Seconds(), float64(n)/d.Seconds())
		}
		withIdx := b.With(dialect.Index{Name: "ix_bench_a", Columns: []string{"a"}})
		rate("index", func() error { return m.AlterTable(b, withIdx) })
		withCheck := withIdx.With(dialect.Check{Name: "ck_bench_n", Expr: "n >= 0"})
		rate("scan (add check)", func() error { return m.AlterTable(withIdx, withCheck) })
		rate("write (UPDATE every row)", func() error { return m.Exec("UPDATE bench SET a = id") })
		asText := withCheck.Without("ck_bench_n").Replace(dialect.Column{Name: "n", Type: dialect.Text})
		rate("rewrite (type change)", func() error {
			return m.AlterTable(withCheck, asText, dialect.Fill{Column: "n", Expr: map[string]string{"mysql": "CAST(n AS CHAR)"}[name] + map[string]string{"sqlite": "CAST(n AS TEXT)", "postgres": "CAST(n AS TEXT)"}[name]})
		})
	})
}
