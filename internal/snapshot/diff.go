package snapshot

import (
	"fmt"
	"slices"
	"strings"
)

// Difference is one way two snapshots disagree, phrased for a person.
type Difference struct {
	Table  string `json:"table"`
	Object string `json:"object"` // "table", "column x", "index y", ...
	// Change is what taking the compared schema to the wanted one takes:
	// Added (only the wanted side has the object), Removed (only the
	// compared side has it) or Changed.
	Change string `json:"change"`
	Detail string `json:"detail"`
}

// Kinds of Difference.Change.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

func (d Difference) String() string {
	if d.Object == "table" {
		return fmt.Sprintf("%s: %s", d.Table, d.Detail)
	}
	return fmt.Sprintf("%s: %s: %s", d.Table, d.Object, d.Detail)
}

// Compare lists how got differs from want; the names say what each side is
// ("models", "chain", "live database") in the messages.
func Compare(want, got *Snapshot, wantName, gotName string) []Difference {
	c := comparer{want: wantName, got: gotName}
	for _, wt := range want.Tables {
		gt, ok := got.Table(wt.Name)
		if !ok {
			c.presence(wt.Name, "table", true)
			continue
		}
		c.table(wt, gt)
	}
	for _, gt := range got.Tables {
		if _, ok := want.Table(gt.Name); !ok {
			c.presence(gt.Name, "table", false)
		}
	}
	slices.SortStableFunc(c.out, func(a, b Difference) int { return strings.Compare(a.Table, b.Table) })
	return c.out
}

type comparer struct {
	want, got string
	out       []Difference
}

func (c *comparer) add(table, object, change, format string, args ...any) {
	c.out = append(c.out, Difference{Table: table, Object: object, Change: change, Detail: fmt.Sprintf(format, args...)})
}

// presence reports an object found on one side only.
// CompareIgnoringCollation is Compare with collations left out of both
// sides.
func CompareIgnoringCollation(want, got *Snapshot, wantName, gotName string) []Difference {
	return Compare(want.WithoutCollations(), got.WithoutCollations(), wantName, gotName)
}

func (c *comparer) presence(table, object string, inWant bool) {
	if inWant {
		c.add(table, object, Added, "in %s but missing from %s", c.want, c.got)
	} else {
		c.add(table, object, Removed, "in %s but not in %s", c.got, c.want)
	}
}

func (c *comparer) differ(table, object, what, w, g string) {
	c.add(table, object, Changed, "%s is %s in %s but %s in %s", what, orNone(w), c.want, orNone(g), c.got)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (c *comparer) table(w, g Table) {
	t := w.Name
	if w.Collation != g.Collation {
		c.differ(t, "table", "the default collation", w.Collation, g.Collation)
	}
	for _, wc := range w.Columns {
		gc, ok := g.Column(wc.Name)
		obj := "column " + wc.Name
		if !ok {
			c.presence(t, obj, true)
			continue
		}
		if wc.Type != gc.Type {
			c.differ(t, obj, "type", wc.Type, gc.Type)
		}
		if wc.Nullable != gc.Nullable {
			c.differ(t, obj, "nullability", nullWord(wc.Nullable), nullWord(gc.Nullable))
		}
		if wc.Default != gc.Default {
			c.differ(t, obj, "default", wc.Default, gc.Default)
		}
		if wc.Collation != gc.Collation {
			c.differ(t, obj, "collation", wc.Collation, gc.Collation)
		}
	}
	for _, gc := range g.Columns {
		if _, ok := w.Column(gc.Name); !ok {
			c.presence(t, "column "+gc.Name, false)
		}
	}
	if !slices.Equal(w.PrimaryKey, g.PrimaryKey) {
		c.differ(t, "primary key", "columns", list(w.PrimaryKey), list(g.PrimaryKey))
	}
	compareNamed(c, t, "index", w.Indexes, g.Indexes, func(i Index) string { return i.Name }, func(i Index) string { return i.describe() })
	compareNamed(c, t, "foreign key", w.ForeignKeys, g.ForeignKeys, func(f ForeignKey) string { return f.Name }, func(f ForeignKey) string { return f.describe() })
	compareNamed(c, t, "check", w.Checks, g.Checks, func(k Check) string { return k.Name }, func(k Check) string { return "(" + k.Expr + ")" })
}

// compareNamed matches objects by name and compares their descriptions.
func compareNamed[T any](c *comparer, table, kind string, want, got []T, name, describe func(T) string) {
	find := func(list []T, n string) (T, bool) {
		for _, x := range list {
			if name(x) == n {
				return x, true
			}
		}
		var zero T
		return zero, false
	}
	for _, w := range want {
		obj := kind + " " + name(w)
		g, ok := find(got, name(w))
		if !ok {
			c.presence(table, obj, true)
			continue
		}
		if describe(w) != describe(g) {
			c.add(table, obj, Changed, "is %q in %s but %q in %s", describe(w), c.want, describe(g), c.got)
		}
	}
	for _, g := range got {
		if _, ok := find(want, name(g)); !ok {
			c.presence(table, kind+" "+name(g), false)
		}
	}
}

func nullWord(nullable bool) string {
	if nullable {
		return "nullable"
	}
	return "not null"
}

func list(cols []string) string {
	if len(cols) == 0 {
		return ""
	}
	return "(" + strings.Join(cols, ", ") + ")"
}
