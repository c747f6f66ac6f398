package dialect

import (
	"fmt"
	"strings"
)

// UpdateJoin renders one set-based UPDATE of table (alias t) from the rows
// of source (alias s: a quoted table name or a parenthesised subquery) that
// on matches. Each set pair is a column of t and its new value, an
// expression over t and s; a row of t must match at most one row of s.
// Unlike a correlated subquery per row, a join lets the database hash or
// merge the two sides, which a million-row step needs (MariaDB cannot even
// semi-join the IN subquery of a single-table UPDATE).
func UpdateJoin(d Dialect, table, source, on string, set ...[2]string) string {
	sets := make([]string, len(set))
	for i, p := range set {
		sets[i] = d.Quote(p[0]) + " = " + p[1]
	}
	return d.updateJoin(table, source, on, sets)
}

// JSONStrings is a FROM-clause fragment yielding one row per string element
// of a JSON array: append From after the table it reads, add Where to the
// query's conditions, and read each element's text as Value.
type JSONStrings struct {
	From, Where, Value string
}

// JSONArrayStrings expands the array at key of the JSON object in col (a
// qualified, quoted column) into rows named alias, keeping the string
// elements only. Text that is not JSON (which SQLite can hold), a value
// that is not an object, a missing key or a key that is not an array yield
// no rows. Elements come in no particular order and repeat as they repeat.
func JSONArrayStrings(d Dialect, col, key, alias string) JSONStrings {
	return d.jsonArrayStrings(col, key, alias)
}

// updateFrom is UPDATE ... FROM, as PostgreSQL and SQLite (since 3.33)
// write a join update.
func updateFrom(d Dialect, table, source, on string, sets []string) string {
	return fmt.Sprintf("UPDATE %s AS t SET %s FROM %s AS s WHERE %s", d.Quote(table), strings.Join(sets, ", "), source, on)
}
