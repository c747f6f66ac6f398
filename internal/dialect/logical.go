package dialect

import (
	"fmt"
	"strings"
)

// Types lists every logical type, in declaration order.
func Types() []Type {
	return []Type{Key, Text, JSON, BigInt, Bool, SmallInt, Timestamptz}
}

// ByName returns the dialect GORM's dialector of that name speaks
// ("sqlite", "postgres", "mysql").
func ByName(name string) (Dialect, error) {
	d, ok := dialects[name]
	if !ok {
		return nil, fmt.Errorf("unsupported database dialect %q: use sqlite, postgres or mysql", name)
	}
	return d, nil
}

// TypesOf lists the logical types whose column type on d is sqlType, as
// GORM spells it for a field (case and spacing aside). SQLite gives the
// same type to several logical types (key and text are both text), so the
// answer can hold more than one; callers intersect the answers of all
// three dialects.
func TypesOf(d Dialect, sqlType string) []Type {
	want := normalSQLType(d, sqlType)
	var out []Type
	for _, t := range Types() {
		if normalSQLType(d, d.SQLType(t)) == want {
			out = append(out, t)
		}
	}
	return out
}

// normalSQLType spells a column type one way: lower case, single spaces,
// and on PostgreSQL timestamptz(6) as timestamptz, which is the same type
// (GORM writes the precision when a field says precision:6).
func normalSQLType(d Dialect, s string) string {
	return d.normalType(strings.ToLower(strings.Join(strings.Fields(s), " ")))
}

// Widens reports whether changing a column from one logical type to the
// other keeps every value exactly on every dialect, so a step may make the
// change without a conversion or a check: smallint to bigint, and key
// (varchar(255)) to text.
func Widens(from, to Type) bool {
	return from == SmallInt && to == BigInt || from == Key && to == Text
}

// NarrowFill is the conversion for the reverse of a widening: the value
// where it fits the narrower type, NULL where it does not, so AlterTable's
// check refuses the change, naming rows, before anything is changed
// instead of truncating or failing half-way. Other types convert as they
// are.
func NarrowFill(d Dialect, column string, to Type) Fill {
	c := d.Quote(column)
	switch to {
	case SmallInt:
		return Fill{Column: column, Expr: fmt.Sprintf("CASE WHEN %[1]s BETWEEN -32768 AND 32767 THEN %[1]s END", c)}
	case Key:
		return Fill{Column: column, Expr: fmt.Sprintf("CASE WHEN %s <= 255 THEN %s END", d.CharLength(c), c)}
	}
	return Fill{Column: column, Expr: c}
}
