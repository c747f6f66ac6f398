package dialect

import (
	"fmt"
	"slices"
	"strings"
)

// columnChange is a column present in both shapes whose definition differs.
type columnChange struct {
	From, To Column
	Fill     string // conversion expression over the old value, if any
}

func (c columnChange) typeChanged() bool { return c.From.Type != c.To.Type }

// alterPlan is the difference between two shapes of one table, in the order
// the changes can safely be applied: what depends on old columns goes first,
// what depends on new ones last.
type alterPlan struct {
	table       string
	dropFKs     []ForeignKey
	dropChecks  []Check
	dropIndexes []Index
	addColumns  []Column
	fills       []Fill // values for added columns
	changes     []columnChange
	pkChanged   bool
	newPK       []string
	dropColumns []Column
	addChecks   []Check
	addIndexes  []Index
	addFKs      []ForeignKey
}

func planAlter(from, to Table, fills []Fill) alterPlan {
	p := alterPlan{table: to.Name, newPK: to.PrimaryKey}
	fillOf := map[string]string{}
	for _, f := range fills {
		fillOf[f.Column] = f.Expr
	}
	for _, f := range from.ForeignKeys {
		if g, ok := findFK(to.ForeignKeys, f.Name); !ok || !sameFK(f, g) {
			p.dropFKs = append(p.dropFKs, f)
		}
	}
	for _, f := range to.ForeignKeys {
		if g, ok := findFK(from.ForeignKeys, f.Name); !ok || !sameFK(f, g) {
			p.addFKs = append(p.addFKs, f)
		}
	}
	for _, c := range from.Checks {
		if g, ok := findCheck(to.Checks, c.Name); !ok || g != c {
			p.dropChecks = append(p.dropChecks, c)
		}
	}
	for _, c := range to.Checks {
		if g, ok := findCheck(from.Checks, c.Name); !ok || g != c {
			p.addChecks = append(p.addChecks, c)
		}
	}
	for _, i := range from.Indexes {
		if g, ok := findIndex(to.Indexes, i.Name); !ok || !sameIndex(i, g) {
			p.dropIndexes = append(p.dropIndexes, i)
		}
	}
	for _, i := range to.Indexes {
		if g, ok := findIndex(from.Indexes, i.Name); !ok || !sameIndex(i, g) {
			p.addIndexes = append(p.addIndexes, i)
		}
	}
	for _, c := range to.Columns {
		old, ok := from.Column(c.Name)
		switch {
		case !ok:
			p.addColumns = append(p.addColumns, c)
			if e, ok := fillOf[c.Name]; ok {
				p.fills = append(p.fills, Fill{Column: c.Name, Expr: e})
			}
		case old != c:
			p.changes = append(p.changes, columnChange{From: old, To: c, Fill: fillOf[c.Name]})
		}
	}
	for _, c := range from.Columns {
		if _, ok := to.Column(c.Name); !ok {
			p.dropColumns = append(p.dropColumns, c)
		}
	}
	p.pkChanged = !slices.Equal(from.PrimaryKey, to.PrimaryKey)
	return p
}

// convertible lists the type changes that carry a conversion and so need
// the pre-check that every value converts.
func (p alterPlan) conversions() []columnChange {
	var out []columnChange
	for _, c := range p.changes {
		if c.typeChanged() && c.Fill != "" {
			out = append(out, c)
		}
	}
	return out
}

// checkConvertible refuses a conversion, before any change, if some value
// would turn into NULL. It names a few of the rows by their primary key.
func checkConvertible(m *Migrator, t Table, c columnChange) error {
	key := t.PrimaryKey
	if len(key) == 0 {
		key = []string{c.From.Name}
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL AND (%s) IS NULL",
		m.Q(key[0]), m.Q(t.Name), m.Q(c.From.Name), c.Fill)
	n, sample, err := m.CountAndSample(q)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d value(s) of %s.%s cannot be converted to %s (rows with %s %s); fix or remove them and run again",
			n, t.Name, c.From.Name, c.To.Type, key[0], Sample(sample))
	}
	return nil
}

// fillSQL is one UPDATE setting every added column that has a fill.
func fillSQL(d Dialect, table string, fills []Fill) string {
	sets := make([]string, len(fills))
	for i, f := range fills {
		sets[i] = d.Quote(f.Column) + " = " + f.Expr
	}
	return fmt.Sprintf("UPDATE %s SET %s", d.Quote(table), strings.Join(sets, ", "))
}

// nullable is c as it is added before its fill runs: without NOT NULL, so
// existing rows can take NULL until the fill writes them.
func nullable(c Column) Column {
	c.NotNull = false
	c.Default = ""
	return c
}

func findFK(fks []ForeignKey, name string) (ForeignKey, bool) {
	for _, f := range fks {
		if f.Name == name {
			return f, true
		}
	}
	return ForeignKey{}, false
}

func findIndex(idx []Index, name string) (Index, bool) {
	for _, i := range idx {
		if i.Name == name {
			return i, true
		}
	}
	return Index{}, false
}

func findCheck(cs []Check, name string) (Check, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

func sameFK(a, b ForeignKey) bool {
	return a.Name == b.Name && a.RefTable == b.RefTable && a.OnDelete == b.OnDelete &&
		slices.Equal(a.Columns, b.Columns) && slices.Equal(a.RefColumns, b.RefColumns)
}

func sameIndex(a, b Index) bool {
	return a.Name == b.Name && a.Unique == b.Unique && slices.Equal(a.Columns, b.Columns)
}

// ShapeDiff is what AlterTable(from, to) would change, object by object,
// for tools that describe or generate steps (`schema new`). Indexes and
// foreign keys are matched by name; one whose definition changes is both
// dropped and added.
type ShapeDiff struct {
	AddColumns, DropColumns         []Column
	ChangeColumns                   [][2]Column // from, to
	PrimaryKeyChanged               bool
	AddIndexes, DropIndexes         []Index
	AddForeignKeys, DropForeignKeys []ForeignKey
	AddChecks, DropChecks           []Check
}

// DiffShapes compares two shapes of one table the way AlterTable plans
// its change.
func DiffShapes(from, to Table) ShapeDiff {
	p := planAlter(from, to, nil)
	d := ShapeDiff{
		AddColumns: p.addColumns, DropColumns: p.dropColumns, PrimaryKeyChanged: p.pkChanged,
		AddIndexes: p.addIndexes, DropIndexes: p.dropIndexes,
		AddForeignKeys: p.addFKs, DropForeignKeys: p.dropFKs,
		AddChecks: p.addChecks, DropChecks: p.dropChecks,
	}
	for _, c := range p.changes {
		d.ChangeColumns = append(d.ChangeColumns, [2]Column{c.From, c.To})
	}
	return d
}

// Empty reports two shapes AlterTable has nothing to do between.
func (d ShapeDiff) Empty() bool {
	return len(d.AddColumns)+len(d.DropColumns)+len(d.ChangeColumns)+len(d.AddIndexes)+len(d.DropIndexes)+
		len(d.AddForeignKeys)+len(d.DropForeignKeys)+len(d.AddChecks)+len(d.DropChecks) == 0 && !d.PrimaryKeyChanged
}

// leavingKey lists the columns of from's primary key that newPK leaves out.
func leavingKey(from Table, newPK []string) []string {
	var out []string
	for _, c := range from.PrimaryKey {
		if !slices.Contains(newPK, c) {
			out = append(out, c)
		}
	}
	return out
}
