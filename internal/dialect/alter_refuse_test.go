package dialect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// TestAlterTableRefusesLossyConversion: a conversion some value would not
// survive (its fill gives NULL for a value that was not) is refused with
// an error naming the rows, before anything changes, even where the step's
// statements commit one by one (MySQL) and other changes come first in the
// same AlterTable.
func TestAlterTableRefusesLossyConversion(t *testing.T) {
	// Changes the refused conversion comes with, each of which would
	// otherwise run before the conversion on MySQL.
	others := func(tb dialect.Table) dialect.Table {
		return tb.Without("idx_item_label").With(dialect.Column{Name: "extra", Type: dialect.Key, NotNull: true, Default: "'x'"},
			dialect.Index{Name: "idx_item_flag", Columns: []string{"flag"}})
	}
	wide := alterBase.Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true})
	bigRows := cloneRows(alterRows)
	bigRows[2]["n"] = 100000
	cases := []struct {
		name     string
		from, to dialect.Table
		rows     []alterRow
		fill     func(d dialect.Dialect) dialect.Fill
		want     string
	}{
		{
			name: "key to bool", from: alterBase, rows: alterRows,
			to: others(alterBase.Replace(dialect.Column{Name: "code", Type: dialect.Bool})),
			fill: func(dialect.Dialect) dialect.Fill {
				return dialect.Fill{Column: "code", Expr: "CASE code WHEN 'yes' THEN TRUE END"}
			},
			want: `1 value(s) of item.code cannot be converted to bool (rows with id "b")`,
		},
		{
			name: "bigint to smallint", from: wide, rows: bigRows,
			to: others(wide.Replace(dialect.Column{Name: "n", Type: dialect.SmallInt, NotNull: true})),
			fill: func(dialect.Dialect) dialect.Fill {
				return dialect.Fill{Column: "n", Expr: "CASE WHEN n BETWEEN -32768 AND 32767 THEN n END"}
			},
			want: `1 value(s) of item.n cannot be converted to smallint (rows with id "c")`,
		},
		{
			name: "text to key", from: alterBase, rows: alterRows,
			to: others(alterBase.Replace(dialect.Column{Name: "note", Type: dialect.Key})),
			fill: func(d dialect.Dialect) dialect.Fill {
				return dialect.Fill{Column: "note", Expr: "CASE WHEN " + d.CharLength("note") + " <= 10 THEN note END"}
			},
			want: `1 value(s) of item.note cannot be converted to key (rows with id "a")`,
		},
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		db := testdb.Open(t, dl)
		d := dialectOf(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				alterSetup(t, db, c.from, c.rows)
				beforeSchema, beforeRows := takeSnapshot(t, db), itemRows(t, db, c.from)
				err := alterRun(db, nil, func(m *dialect.Migrator) error { return m.AlterTable(c.from, c.to, c.fill(d)) })
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v, want a refusal saying %s", err, c.want)
				}
				migtest.RequireSameSchema(t, beforeSchema, takeSnapshot(t, db), "before", "refused")
				requireSameRows(t, beforeRows, itemRows(t, db, c.from), "before", "refused")
			})
		}

		// A conversion interrupted after its temporary column was added
		// (MySQL; elsewhere the crash rolls back) is checked again when it
		// is run again: the application, still at the previous revision,
		// may have written a value since that does not convert.
		t.Run("written since a crash", func(t *testing.T) {
			c := alterCaseNamed(t, "convert key to bool")
			alter := func(m *dialect.Migrator) error { return m.AlterTable(c.source(), c.to, c.fills...) }
			alterSetup(t, db, c.source(), alterRows)
			if err := alterRun(db, &crash.Plan{After: 1}, alter); !errors.Is(err, crash.ErrInjected) {
				t.Fatalf("err = %v, want the injected crash", err)
			}
			half := dialectOf(t, db).RunMode() == dialect.NoTransactions
			if got := db.Migrator().HasColumn("item", "code__new"); got != half {
				t.Fatalf("after the crash, temporary column code__new there: %v, want %v", got, half)
			}
			if err := db.Exec("INSERT INTO item (id, n, label, code, flag) VALUES ('d', 1, 'x', 'maybe', false)").Error; err != nil {
				t.Fatal(err)
			}
			beforeSchema, beforeRows := takeSnapshot(t, db), itemRows(t, db, c.source())
			err := alterRun(db, nil, alter)
			want := `1 value(s) of item.code cannot be converted to bool (rows with id "d")`
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want a refusal saying %s", err, want)
			}
			migtest.RequireSameSchema(t, beforeSchema, takeSnapshot(t, db), "before", "refused")
			requireSameRows(t, beforeRows, itemRows(t, db, c.source()), "before", "refused")
		})
	})
}

func dialectOf(t *testing.T, db *gorm.DB) dialect.Dialect {
	t.Helper()
	d, err := dialect.Of(db)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func cloneRows(rows []alterRow) []alterRow {
	out := make([]alterRow, len(rows))
	for i, r := range rows {
		out[i] = alterRow{}
		for k, v := range r {
			out[i][k] = v
		}
	}
	return out
}
