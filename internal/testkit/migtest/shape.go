package migtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/snapshot"
)

// Shape is a table, or what a step adds to one, as SPEC.md section 3
// describes it: columns in the logical types of section 2 ("key", "text",
// "json", "bigint", "bool", "smallint", "timestamptz"), keys, indexes and
// foreign keys by their columns (the spec names none of them), and checks
// by a word their expression must hold. It is written from the spec, not
// from the step, so that a test comparing the two can fail.
type Shape struct {
	Columns     []Col
	PrimaryKey  []string // nil for a table that already existed: unchanged
	Indexes     []Ix
	ForeignKeys []FK
	Checks      []string // per check, a word of its expression (a column)
}

// Col is a column of a Shape. Default is the SQL default, "" for none;
// a bool's is "false" or "true".
type Col struct {
	Name    string
	Type    string
	NotNull bool
	Default string
}

// Ix is a plain (or unique) index of a Shape.
type Ix struct {
	Columns []string
	Unique  bool
}

// FK is a foreign key of a Shape; OnDelete is "CASCADE", "SET NULL" or ""
// (no action).
type FK struct {
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string
}

// logicalTypes are SPEC.md section 2's types as each dialect's catalog
// reports them (through internal/snapshot); where the spec allows two,
// both.
var logicalTypes = map[string]map[string][]string{
	"key":         {"sqlite": {"varchar(255)", "text"}, "postgres": {"character varying(255)"}, "mysql": {"varchar(255)"}},
	"text":        {"sqlite": {"text"}, "postgres": {"text"}, "mysql": {"longtext"}},
	"json":        {"sqlite": {"json"}, "postgres": {"jsonb"}, "mysql": {"json"}},
	"bigint":      {"sqlite": {"integer"}, "postgres": {"bigint"}, "mysql": {"bigint"}},
	"bool":        {"sqlite": {"numeric", "boolean"}, "postgres": {"boolean"}, "mysql": {"bool", "boolean", "tinyint(1)"}},
	"smallint":    {"sqlite": {"integer"}, "postgres": {"smallint"}, "mysql": {"smallint"}},
	"timestamptz": {"sqlite": {"datetime"}, "postgres": {"timestamptz", "timestamp with time zone"}, "mysql": {"datetime(6)"}},
}

// characterTypes hold text, so carry a collation on MySQL.
var characterTypes = []string{"key", "text"}

// RequireTable fails unless table in s has exactly the shape want: the
// same columns (type, nullability, default; on MySQL a bytewise collation
// for keys and text), primary key, indexes, foreign keys and checks, and
// nothing else.
func RequireTable(t testing.TB, s *snapshot.Snapshot, table string, want Shape) {
	t.Helper()
	got, ok := s.Table(table)
	if !ok {
		t.Fatalf("no table %s; tables:\n%s", table, s)
	}
	problems, rest := matchShape(s.Dialect, got, want)
	problems = append(problems, leftOver(rest)...)
	if s.Dialect == "mysql" && !strings.HasSuffix(got.Collation, "_bin") {
		problems = append(problems, fmt.Sprintf("default collation is %q, want a bytewise (_bin) one", got.Collation))
	}
	if len(problems) > 0 {
		t.Fatalf("table %s is not as SPEC.md says:\n  %s\nit is:\n%s", table, strings.Join(problems, "\n  "), got)
	}
}

// RequireGrowth fails unless after is before grown by exactly want, per
// table: a table before lacks has exactly its Shape (RequireTable); a
// table before has keeps everything it had (names, types, collations) and
// gains exactly the Shape's columns, indexes, foreign keys and checks; a
// table want does not name is unchanged, and none is gone.
func RequireGrowth(t testing.TB, before, after *snapshot.Snapshot, want map[string]Shape) {
	t.Helper()
	for _, bt := range before.Tables {
		if _, ok := after.Table(bt.Name); !ok {
			t.Fatalf("table %s is gone", bt.Name)
		}
	}
	for _, at := range after.Tables {
		shape, grown := want[at.Name]
		bt, existed := before.Table(at.Name)
		switch {
		case !grown && !existed:
			t.Fatalf("table %s appeared, which the step should not make:\n%s", at.Name, at)
		case !grown:
			RequireSameSchema(t, one(before.Dialect, bt), one(after.Dialect, at), "before", "after")
		case !existed:
			RequireTable(t, after, at.Name, shape)
		default:
			if shape.PrimaryKey != nil {
				t.Fatalf("test error: table %s existed; its Shape gives no primary key", at.Name)
			}
			problems, rest := matchShape(after.Dialect, at, shape)
			if len(problems) > 0 {
				t.Fatalf("table %s did not gain what SPEC.md says:\n  %s\nit is:\n%s", at.Name, strings.Join(problems, "\n  "), at)
			}
			RequireSameSchema(t, one(before.Dialect, bt), one(after.Dialect, rest), "before", "after, less what the step adds")
		}
	}
	for name := range want {
		if _, ok := after.Table(name); !ok {
			t.Fatalf("no table %s after the step", name)
		}
	}
}

func one(dialect string, t snapshot.Table) *snapshot.Snapshot {
	return &snapshot.Snapshot{Dialect: dialect, Tables: []snapshot.Table{t}}
}

// matchShape checks want against got and returns what is wrong and got
// without the parts that matched.
func matchShape(dialect string, got snapshot.Table, want Shape) (problems []string, rest snapshot.Table) {
	rest = got
	rest.Columns = slices.Clone(got.Columns)
	rest.Indexes = slices.Clone(got.Indexes)
	rest.ForeignKeys = slices.Clone(got.ForeignKeys)
	rest.Checks = slices.Clone(got.Checks)
	for _, w := range want.Columns {
		i := slices.IndexFunc(rest.Columns, func(c snapshot.Column) bool { return c.Name == w.Name })
		if i < 0 {
			problems = append(problems, "no column "+w.Name)
			continue
		}
		c := rest.Columns[i]
		rest.Columns = slices.Delete(rest.Columns, i, i+1)
		allowed, ok := logicalTypes[w.Type][dialect]
		if !ok {
			problems = append(problems, fmt.Sprintf("test error: column %s: no logical type %q on %s", w.Name, w.Type, dialect))
			continue
		}
		if !slices.Contains(allowed, c.Type) {
			problems = append(problems, fmt.Sprintf("column %s has type %s, want %s (%s)", c.Name, c.Type, w.Type, strings.Join(allowed, " or ")))
		}
		// PostgreSQL and MySQL make primary-key columns NOT NULL; SQLite
		// keeps them as declared.
		nullable := !w.NotNull && (dialect == "sqlite" || !slices.Contains(want.PrimaryKey, w.Name))
		if c.Nullable != nullable {
			problems = append(problems, fmt.Sprintf("column %s is %s, want %s", c.Name, nullWord(c.Nullable), nullWord(nullable)))
		}
		if d := normalDefault(w.Type, c.Default); d != w.Default {
			problems = append(problems, fmt.Sprintf("column %s has default %q, want %q", c.Name, c.Default, w.Default))
		}
		character := slices.Contains(characterTypes, w.Type)
		switch {
		case dialect == "mysql" && character && !strings.HasSuffix(c.Collation, "_bin"):
			problems = append(problems, fmt.Sprintf("column %s has collation %q, want a bytewise (_bin) one", c.Name, c.Collation))
		case dialect != "mysql" && c.Collation != "", !character && c.Collation != "":
			problems = append(problems, fmt.Sprintf("column %s has collation %q, want none", c.Name, c.Collation))
		}
	}
	if want.PrimaryKey != nil {
		if !slices.Equal(got.PrimaryKey, want.PrimaryKey) {
			problems = append(problems, fmt.Sprintf("primary key is (%s), want (%s)", strings.Join(got.PrimaryKey, ", "), strings.Join(want.PrimaryKey, ", ")))
		}
		rest.PrimaryKey = nil
	}
	for _, w := range want.Indexes {
		i := slices.IndexFunc(rest.Indexes, func(x snapshot.Index) bool { return x.Unique == w.Unique && slices.Equal(x.Columns, w.Columns) })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("no %s", describeIx(w)))
			continue
		}
		rest.Indexes = slices.Delete(rest.Indexes, i, i+1)
	}
	for _, w := range want.ForeignKeys {
		i := slices.IndexFunc(rest.ForeignKeys, func(f snapshot.ForeignKey) bool {
			return slices.Equal(f.Columns, w.Columns) && f.RefTable == w.RefTable && slices.Equal(f.RefColumns, w.RefColumns) &&
				normalAction(f.OnDelete) == w.OnDelete && normalAction(f.OnUpdate) == ""
		})
		if i < 0 {
			problems = append(problems, fmt.Sprintf("no foreign key (%s) references %s (%s) on delete %q (and no action on update)",
				strings.Join(w.Columns, ", "), w.RefTable, strings.Join(w.RefColumns, ", "), w.OnDelete))
			continue
		}
		rest.ForeignKeys = slices.Delete(rest.ForeignKeys, i, i+1)
	}
	for _, w := range want.Checks {
		i := slices.IndexFunc(rest.Checks, func(c snapshot.Check) bool { return strings.Contains(c.Expr, w) })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("no check on %s", w))
			continue
		}
		rest.Checks = slices.Delete(rest.Checks, i, i+1)
	}
	return problems, rest
}

// leftOver lists what a table has beyond its Shape.
func leftOver(rest snapshot.Table) []string {
	var out []string
	for _, c := range rest.Columns {
		out = append(out, "unexpected column "+c.Name)
	}
	if len(rest.PrimaryKey) > 0 {
		out = append(out, fmt.Sprintf("unexpected primary key (%s)", strings.Join(rest.PrimaryKey, ", ")))
	}
	for _, i := range rest.Indexes {
		out = append(out, fmt.Sprintf("unexpected %s %s", describeIx(Ix{Columns: i.Columns, Unique: i.Unique}), i.Name))
	}
	for _, f := range rest.ForeignKeys {
		out = append(out, fmt.Sprintf("unexpected foreign key %s (%s) references %s", f.Name, strings.Join(f.Columns, ", "), f.RefTable))
	}
	for _, c := range rest.Checks {
		out = append(out, fmt.Sprintf("unexpected check %s (%s)", c.Name, c.Expr))
	}
	return out
}

func describeIx(i Ix) string {
	kind := "index"
	if i.Unique {
		kind = "unique index"
	}
	return fmt.Sprintf("%s (%s)", kind, strings.Join(i.Columns, ", "))
}

func nullWord(nullable bool) string {
	if nullable {
		return "nullable"
	}
	return "NOT NULL"
}

// normalAction reads a referential action, "" for none.
func normalAction(a string) string {
	switch a = strings.ToUpper(a); a {
	case "NO ACTION", "RESTRICT":
		return ""
	}
	return a
}

// normalDefault reads a catalog's default the way Shape writes it.
func normalDefault(logical, d string) string {
	d = strings.Trim(d, "'")
	if logical == "bool" {
		switch strings.ToLower(d) {
		case "0", "false":
			return "false"
		case "1", "true":
			return "true"
		}
	}
	return d
}

// Contents reads the rows of tables (every table of s when none is named)
// raw, as the driver returns each value, in primary-key order, selecting
// the columns s gives them: pass the snapshot from before a step to read
// what it kept of the rows that were there. For checking that rows are
// kept byte for byte.
func (d *DB) Contents(s *snapshot.Snapshot, tables ...string) map[string][][]string {
	d.T.Helper()
	if len(tables) == 0 {
		for _, t := range s.Tables {
			tables = append(tables, t.Name)
		}
	}
	out := map[string][][]string{}
	for _, name := range tables {
		t, ok := s.Table(name)
		if !ok {
			d.T.Fatalf("contents: no table %s in the snapshot", name)
		}
		var cols, key []string
		for _, c := range t.Columns {
			cols = append(cols, d.Q(c.Name))
		}
		for _, c := range t.PrimaryKey {
			key = append(key, d.Q(c))
		}
		if len(key) == 0 {
			d.T.Fatalf("contents: table %s has no primary key to order by", name)
		}
		out[name] = d.Rows("SELECT " + strings.Join(cols, ", ") + " FROM " + d.Q(name) + " ORDER BY " + strings.Join(key, ", "))
	}
	return out
}

// RequireSameContents fails unless two Contents are equal, byte for byte.
func RequireSameContents(t testing.TB, want, got map[string][][]string, wantName, gotName string) {
	t.Helper()
	for table, w := range want {
		g, ok := got[table]
		if !ok {
			t.Fatalf("%s: not read %s", table, gotName)
		}
		if len(w) != len(g) {
			t.Fatalf("%s has %d rows %s, %d %s:\n  %q\n  %q", table, len(w), wantName, len(g), gotName, w, g)
		}
		for i := range w {
			if !slices.Equal(w[i], g[i]) {
				t.Fatalf("%s row %d differs:\n  %s: %q\n  %s: %q", table, i, wantName, w[i], gotName, g[i])
			}
		}
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Fatalf("%s: read %s only", table, gotName)
		}
	}
}
