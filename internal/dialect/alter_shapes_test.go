package dialect_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// The AlterTable tests work on one table, item, whose rows reference
// owner. Each case takes item from a shape (alterBase unless it says
// otherwise) to another, with rows in it, and compares the result with a
// database where item was created in the new shape and given the rows the
// change should leave: the same schema in the catalog, and the same rows,
// byte for byte as the driver reads them.
var (
	alterOwner = dialect.Table{
		Name:       "owner",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}},
		PrimaryKey: []string{"id"},
	}
	alterBase = dialect.Table{
		Name: "item",
		Columns: []dialect.Column{
			{Name: "id", Type: dialect.Key},
			{Name: "n", Type: dialect.SmallInt, NotNull: true},
			{Name: "label", Type: dialect.Key, NotNull: true},
			{Name: "code", Type: dialect.Key},
			{Name: "note", Type: dialect.Text},
			{Name: "flag", Type: dialect.Bool, NotNull: true, Default: "false"},
			{Name: "owner_id", Type: dialect.Key},
		},
		PrimaryKey: []string{"id"},
		Indexes:    []dialect.Index{{Name: "idx_item_label", Columns: []string{"label"}}},
	}
	alterOwnerKey = dialect.ForeignKey{Name: "fk_item_owner", Columns: []string{"owner_id"},
		RefTable: "owner", RefColumns: []string{"id"}, OnDelete: "CASCADE"}
	alterOwnerIndex = dialect.Index{Name: "idx_item_owner_id", Columns: []string{"owner_id"}}
)

// alterRow is one row by column name.
type alterRow map[string]any

// alterRows are item's rows before each change: text a conversion or
// a collation could alter (case, accents, quotes, backslashes, tabs,
// trailing spaces, the empty string), NULLs, and smallint's extremes.
var alterRows = []alterRow{
	{"id": "a", "n": 7, "label": "L1", "code": "yes", "note": "Ünïcode ✓ \"q\" 'q' \\ \t|", "flag": true, "owner_id": "o1"},
	{"id": "b", "n": -32768, "label": "l1", "code": "no", "note": "", "flag": false, "owner_id": nil},
	{"id": "c", "n": 32767, "label": "Ł ", "code": nil, "note": "trailing  ", "flag": false, "owner_id": "o2"},
}

// alterCase is one change of item's shape.
type alterCase struct {
	name     string
	from, to dialect.Table // from: alterBase when empty
	fills    []dialect.Fill
	// want edits a row, as it was and restricted to the new shape's
	// columns (new ones NULL), into the row the change should leave.
	want func(r alterRow)
}

func (c alterCase) source() dialect.Table {
	if c.from.Name == "" {
		return alterBase
	}
	return c.from
}

func alterCases() []alterCase {
	base := alterBase
	keyed := base.With(alterOwnerKey)
	return []alterCase{
		{name: "add a nullable column", to: base.With(dialect.Column{Name: "extra", Type: dialect.Text})},
		{name: "add a NOT NULL column with a default",
			to:   base.With(dialect.Column{Name: "extra", Type: dialect.BigInt, NotNull: true, Default: "5"}),
			want: func(r alterRow) { r["extra"] = 5 }},
		{name: "add a NOT NULL column filled",
			to:    base.With(dialect.Column{Name: "sign", Type: dialect.Key, NotNull: true}),
			fills: []dialect.Fill{{Column: "sign", Expr: "CASE WHEN n > 0 THEN 'pos' ELSE 'neg' END"}},
			want: func(r alterRow) {
				r["sign"] = "neg"
				if r["n"].(int) > 0 {
					r["sign"] = "pos"
				}
			}},
		{name: "add a bool NOT NULL with a default and a fill",
			to:    base.With(dialect.Column{Name: "done", Type: dialect.Bool, NotNull: true, Default: "false"}),
			fills: []dialect.Fill{{Column: "done", Expr: "code IS NOT NULL"}},
			want:  func(r alterRow) { r["done"] = r["code"] != nil }},
		{name: "drop a column", to: base.Without("note")},
		{name: "drop an indexed column", to: base.Without("label", "idx_item_label")},
		{name: "drop two columns", to: base.Without("note", "code")},
		{name: "drop a column under a foreign key", from: keyed, to: base.Without("owner_id", "fk_item_owner")},
		{name: "drop a column a check reads", from: base.With(dialect.Check{Name: "chk_item_code", Expr: "code <> 'x'"}), to: base.Without("code", "chk_item_code")},
		{name: "add a JSON column filled",
			to:    base.With(dialect.Column{Name: "meta", Type: dialect.JSON}),
			fills: []dialect.Fill{{Column: "meta", Expr: `'{"b": [1, "x"], "a": null}'`}},
			want:  func(r alterRow) { r["meta"] = `{"b": [1, "x"], "a": null}` }},
		{name: "add a column with a check", to: base.With(dialect.Column{Name: "score", Type: dialect.BigInt, NotNull: true, Default: "0"},
			dialect.Check{Name: "chk_item_score", Expr: "score >= 0"}),
			want: func(r alterRow) { r["score"] = 0 }},
		{name: "widen smallint to bigint", to: base.Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true})},
		{name: "widen key to text", to: base.Replace(dialect.Column{Name: "code", Type: dialect.Text})},
		{name: "widen an indexed smallint with a conversion",
			from:  base.With(dialect.Index{Name: "idx_item_n", Columns: []string{"n"}}),
			to:    base.With(dialect.Index{Name: "idx_item_n", Columns: []string{"n"}}).Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}),
			fills: []dialect.Fill{{Column: "n", Expr: "n * 2"}},
			want:  func(r alterRow) { r["n"] = r["n"].(int) * 2 }},
		// MySQL converts through a temporary column and drops the old
		// one, which a key, an index or a check of several columns holds:
		// the conversion must give them back whole.
		{name: "convert a column of the primary key",
			from:  base.With(dialect.PrimaryKey{"id", "n"}),
			to:    base.With(dialect.PrimaryKey{"id", "n"}).Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}),
			fills: []dialect.Fill{{Column: "n", Expr: "n * 2"}},
			want:  func(r alterRow) { r["n"] = r["n"].(int) * 2 }},
		{name: "convert a column of a two-column index",
			from:  base.With(dialect.Index{Name: "idx_item_code_n", Columns: []string{"code", "n"}}),
			to:    base.With(dialect.Index{Name: "idx_item_code_n", Columns: []string{"code", "n"}}).Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}),
			fills: []dialect.Fill{{Column: "n", Expr: "n * 2"}},
			want:  func(r alterRow) { r["n"] = r["n"].(int) * 2 }},
		{name: "convert a column of a two-column unique index",
			from:  base.With(dialect.Index{Name: "uq_item_n_label", Columns: []string{"n", "label"}, Unique: true}),
			to:    base.With(dialect.Index{Name: "uq_item_n_label", Columns: []string{"n", "label"}, Unique: true}).Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}),
			fills: []dialect.Fill{{Column: "n", Expr: "n * 2"}},
			want:  func(r alterRow) { r["n"] = r["n"].(int) * 2 }},
		{name: "convert a column a two-column check reads",
			from:  base.With(dialect.Check{Name: "chk_item_n_code", Expr: "n <> 0 OR code IS NULL"}),
			to:    base.With(dialect.Check{Name: "chk_item_n_code", Expr: "n <> 0 OR code IS NULL"}).Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}),
			fills: []dialect.Fill{{Column: "n", Expr: "n * 2"}},
			want:  func(r alterRow) { r["n"] = r["n"].(int) * 2 }},
		{name: "convert a column with a default",
			to:    base.Replace(dialect.Column{Name: "flag", Type: dialect.SmallInt, NotNull: true, Default: "0"}),
			fills: []dialect.Fill{{Column: "flag", Expr: "CASE WHEN flag THEN 1 ELSE 0 END"}},
			want: func(r alterRow) {
				r["flag"] = 0
				if r["flag0"] == true {
					r["flag"] = 1
				}
			}},
		{name: "convert key to bool",
			to:    base.Replace(dialect.Column{Name: "code", Type: dialect.Bool}),
			fills: []dialect.Fill{{Column: "code", Expr: "CASE code WHEN 'yes' THEN TRUE WHEN 'no' THEN FALSE END"}},
			want: func(r alterRow) {
				if r["code"] != nil {
					r["code"] = r["code"] == "yes"
				}
			}},
		{name: "make a column NOT NULL", to: base.Replace(dialect.Column{Name: "note", Type: dialect.Text, NotNull: true})},
		{name: "make a column nullable", to: base.Replace(dialect.Column{Name: "n", Type: dialect.SmallInt})},
		{name: "change a default", to: base.Replace(dialect.Column{Name: "flag", Type: dialect.Bool, NotNull: true, Default: "true"})},
		{name: "drop a default", to: base.Replace(dialect.Column{Name: "flag", Type: dialect.Bool, NotNull: true})},
		{name: "add a default", to: base.Replace(dialect.Column{Name: "code", Type: dialect.Key, Default: "'none'"})},
		{name: "add a column to the primary key", to: base.With(dialect.PrimaryKey{"id", "n"})},
		{name: "drop a column from the primary key", from: base.With(dialect.PrimaryKey{"id", "n"}), to: base},
		// id, declared nullable, leaves the key: a table created in the new
		// shape has it nullable.
		{name: "replace the primary key", to: base.With(dialect.PrimaryKey{"label"})},
		{name: "replace the primary key's columns", from: base.With(dialect.PrimaryKey{"id", "n"}), to: base.With(dialect.PrimaryKey{"id", "label"})},
		{name: "add a filled column to the primary key",
			from:  base.With(dialect.PrimaryKey{"id", "n"}),
			to:    base.With(dialect.Column{Name: "sign", Type: dialect.Key, NotNull: true}, dialect.PrimaryKey{"sign", "id"}),
			fills: []dialect.Fill{{Column: "sign", Expr: "CASE WHEN n > 0 THEN 'pos' ELSE 'neg' END"}},
			want: func(r alterRow) {
				r["sign"] = "neg"
				if r["n"].(int) > 0 {
					r["sign"] = "pos"
				}
			}},
		{name: "add an index", to: base.With(dialect.Index{Name: "idx_item_code", Columns: []string{"code", "n"}})},
		{name: "add a unique index", to: base.With(dialect.Index{Name: "uq_item_label_n", Columns: []string{"label", "n"}, Unique: true})},
		{name: "make an index unique", to: base.Without("idx_item_label").With(dialect.Index{Name: "idx_item_label", Columns: []string{"label"}, Unique: true})},
		{name: "drop an index", to: base.Without("idx_item_label")},
		{name: "drop a unique index", from: base.With(dialect.Index{Name: "uq_item_code", Columns: []string{"code"}, Unique: true}), to: base},
		{name: "add a check", to: base.With(dialect.Check{Name: "chk_item_n", Expr: "n <> 0"})},
		{name: "drop a check", from: base.With(dialect.Check{Name: "chk_item_n", Expr: "n <> 0"}), to: base},
		{name: "add a foreign key", to: keyed},
		{name: "drop a foreign key", from: keyed, to: base},
		{name: "change a foreign key's ON DELETE", from: keyed,
			to: base.With(dialect.ForeignKey{Name: "fk_item_owner", Columns: []string{"owner_id"}, RefTable: "owner", RefColumns: []string{"id"}, OnDelete: "SET NULL"})},
		{name: "add a foreign key with its index", to: keyed.With(alterOwnerIndex)},
		{name: "drop the only index under a foreign key", from: keyed.With(alterOwnerIndex), to: keyed},
		{name: "add an index under a foreign key", from: keyed, to: keyed.With(alterOwnerIndex)},
		{name: "add a foreign key on a new column",
			to: base.With(dialect.Column{Name: "other_id", Type: dialect.Key}, dialect.ForeignKey{Name: "fk_item_other", Columns: []string{"other_id"},
				RefTable: "owner", RefColumns: []string{"id"}, OnDelete: "SET NULL"})},
		{name: "many changes at once",
			from: keyed.With(alterOwnerIndex, dialect.Check{Name: "chk_item_n", Expr: "n <> 0"}),
			to: base.Without("note", "idx_item_label").
				Replace(dialect.Column{Name: "code", Type: dialect.Bool}).
				Replace(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true}).
				With(dialect.Column{Name: "sign", Type: dialect.Key, NotNull: true},
					dialect.PrimaryKey{"label", "id"},
					dialect.Index{Name: "uq_item_id", Columns: []string{"id"}, Unique: true},
					dialect.Check{Name: "chk_item_n", Expr: "n <> 1"},
					dialect.ForeignKey{Name: "fk_item_owner", Columns: []string{"owner_id"}, RefTable: "owner", RefColumns: []string{"id"}, OnDelete: "SET NULL"}),
			fills: []dialect.Fill{
				{Column: "code", Expr: "CASE code WHEN 'yes' THEN TRUE WHEN 'no' THEN FALSE END"},
				{Column: "sign", Expr: "CASE WHEN n > 0 THEN 'pos' ELSE 'neg' END"},
			},
			want: func(r alterRow) {
				if r["code"] != nil {
					r["code"] = r["code"] == "yes"
				}
				r["sign"] = "neg"
				if r["n"].(int) > 0 {
					r["sign"] = "pos"
				}
			}},
	}
}

// TestAlterTable: every kind of shape change leaves what creating the
// table in the new shape leaves, and keeps the rows byte for byte.
func TestAlterTable(t *testing.T) {
	cases := alterCases()
	testdb.Each(t, func(t *testing.T, dl string) {
		altered, created := testdb.Open(t, dl), testdb.Open(t, dl)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				alterSetup(t, altered, c.source(), alterRows)
				if err := alterRun(altered, nil, func(m *dialect.Migrator) error { return m.AlterTable(c.source(), c.to, c.fills...) }); err != nil {
					t.Fatal(err)
				}
				alterSetup(t, created, c.to, c.expected())
				migtest.RequireSameSchema(t, takeSnapshot(t, created), takeSnapshot(t, altered), "created", "altered")
				requireSameRows(t, itemRows(t, created, c.to), itemRows(t, altered, c.to), "created", "altered")
			})
		}
	})
}

// expected is the rows the change should leave.
func (c alterCase) expected() []alterRow {
	var out []alterRow
	for _, r := range alterRows {
		w := alterRow{}
		for _, col := range c.to.ColumnNames() {
			w[col] = r[col]
		}
		if c.want != nil {
			w["n"] = r["n"] // want reads the old values
			w["flag0"] = r["flag"]
			c.want(w)
			delete(w, "flag0")
		}
		out = append(out, w)
	}
	return out
}

// alterSetup empties db and creates owner and item in shape tb with rows.
func alterSetup(t *testing.T, db *gorm.DB, tb dialect.Table, rows []alterRow) {
	t.Helper()
	err := alterRun(db, nil, func(m *dialect.Migrator) error {
		for _, name := range []string{"item", "owner"} {
			if err := m.DropTable(name); err != nil {
				return err
			}
		}
		if err := m.CreateTable(alterOwner); err != nil {
			return err
		}
		if err := m.CreateTable(tb); err != nil {
			return err
		}
		if err := m.Exec("INSERT INTO " + m.Q("owner") + " (" + m.Q("id") + ") VALUES ('o1'), ('o2')"); err != nil {
			return err
		}
		for _, r := range rows {
			cols := slices.Sorted(maps.Keys(r))
			quoted := make([]string, len(cols))
			args := make([]any, len(cols))
			for i, c := range cols {
				quoted[i], args[i] = m.Q(c), r[c]
			}
			q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", m.Q(tb.Name), strings.Join(quoted, ", "),
				strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
			if err := m.Exec(q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("set up %s: %v", tb.Name, err)
	}
}

// alterRun runs fn as the runner runs a step: on one connection prepared
// for a run, in a transaction where the dialect has them, with plan's
// crash if any.
func alterRun(db *gorm.DB, plan *crash.Plan, fn func(m *dialect.Migrator) error) error {
	return db.Connection(func(conn *gorm.DB) error {
		d, err := dialect.Of(conn)
		if err != nil {
			return err
		}
		finish, err := d.PrepareRun(conn, time.Minute)
		if err != nil {
			return err
		}
		defer finish(context.Background())
		ctx := context.Background()
		if plan != nil {
			ctx = crash.With(ctx, plan)
		}
		conn = conn.WithContext(ctx)
		step := func(tx *gorm.DB) error {
			m, err := dialect.NewMigrator(tx)
			if err != nil {
				return err
			}
			return fn(m)
		}
		if d.RunMode() == dialect.NoTransactions {
			return step(conn)
		}
		return conn.Transaction(step)
	})
}

func takeSnapshot(t *testing.T, db *gorm.DB) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Take(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// itemRows reads item's columns of shape tb, in id order, as the driver
// returns them (NULL as <NULL>).
func itemRows(t *testing.T, db *gorm.DB, tb dialect.Table) [][]string {
	t.Helper()
	d, err := dialect.Of(db)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		cols[i] = d.Quote(c.Name)
	}
	rows, err := db.Raw("SELECT " + strings.Join(cols, ", ") + " FROM " + d.Quote(tb.Name) + " ORDER BY " + d.Quote("id")).Rows()
	if err != nil {
		t.Fatal(err)
	}
	_, vals := migtest.NullStrings(t, "read "+tb.Name, rows)
	var out [][]string
	for _, v := range vals {
		row := make([]string, len(cols))
		for i, x := range v {
			row[i] = "<NULL>"
			if x.Valid {
				row[i] = tb.Columns[i].Name + "=" + x.String
			}
		}
		out = append(out, row)
	}
	return out
}

func requireSameRows(t *testing.T, want, got [][]string, wantName, gotName string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d rows %s, %d %s:\n  %q\n  %q", len(want), wantName, len(got), gotName, want, got)
	}
	for i := range want {
		if !slices.Equal(want[i], got[i]) {
			t.Fatalf("row %d differs:\n  %s: %q\n  %s: %q", i, wantName, want[i], gotName, got[i])
		}
	}
}
