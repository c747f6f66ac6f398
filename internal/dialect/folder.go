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
	switch d.(type) {
	case mysqlDialect:
		for i := range sets {
			sets[i] = "t." + sets[i] // MySQL's SET sees the columns of both tables
		}
		return fmt.Sprintf("UPDATE %s AS t JOIN %s AS s ON %s SET %s", d.Quote(table), source, on, strings.Join(sets, ", "))
	default: // postgresDialect, and sqliteDialect since SQLite 3.33
		return fmt.Sprintf("UPDATE %s AS t SET %s FROM %s AS s WHERE %s", d.Quote(table), strings.Join(sets, ", "), source, on)
	}
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
	switch d.(type) {
	case postgresDialect:
		arr := fmt.Sprintf("%s->'%s'", col, key)
		return JSONStrings{
			From:  fmt.Sprintf("CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(%[1]s) = 'array' THEN %[1]s END) AS %[2]s(v)", arr, alias),
			Where: fmt.Sprintf("jsonb_typeof(%s.v) = 'string'", alias),
			Value: fmt.Sprintf("(%s.v #>> '{}')", alias),
		}
	case mysqlDialect:
		// JSON_TABLE gives each element as JSON text (v, telling strings by
		// their quote) and as unquoted text (s).
		return JSONStrings{
			From: fmt.Sprintf("CROSS JOIN JSON_TABLE(CASE WHEN JSON_TYPE(JSON_EXTRACT(%[1]s, %[2]s)) = 'ARRAY' THEN %[1]s END, %[3]s COLUMNS (v JSON PATH '$', s LONGTEXT PATH '$')) AS %[4]s",
				col, jsonPath(key), `'$."`+key+`"[*]'`, alias),
			Where: fmt.Sprintf("LEFT(%s.v, 1) = '\"'", alias),
			Value: alias + ".s",
		}
	default: // sqliteDialect: the column may hold text that is not JSON
		return JSONStrings{
			From: fmt.Sprintf("CROSS JOIN json_each(CASE WHEN json_valid(%[1]s) AND json_type(%[1]s, %[2]s) = 'array' THEN %[1]s END, %[2]s) AS %[3]s",
				col, jsonPath(key), alias),
			Where: alias + ".type = 'text'",
			Value: alias + ".value",
		}
	}
}
