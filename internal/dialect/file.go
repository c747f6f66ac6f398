package dialect

import "fmt"

// JSON fragments the file steps (c29facfe716b..c0fbf31ca0db) use to report
// meta values they could not use. col and key are trusted identifiers.

// JSONKeyPresent is a condition, true or false (never NULL), that col is
// valid JSON holding key with a value other than JSON null.
func JSONKeyPresent(d Dialect, col, key string) string {
	c := d.Quote(col)
	switch d.(type) {
	case sqliteDialect:
		// CASE keeps json_type from seeing text that is not JSON.
		return fmt.Sprintf("(CASE WHEN json_valid(%[1]s) THEN coalesce(json_type(%[1]s, %[2]s) <> 'null', 0) ELSE 0 END = 1)", c, jsonPath(key))
	case postgresDialect:
		return fmt.Sprintf("coalesce(jsonb_typeof(%s->'%s') <> 'null', false)", c, key)
	case mysqlDialect:
		return fmt.Sprintf("coalesce(JSON_TYPE(JSON_EXTRACT(%s, %s)) <> 'NULL', false)", c, jsonPath(key))
	}
	panic(fmt.Sprintf("dialect: JSONKeyPresent: unknown dialect %T", d))
}

// JSONUnparsable is a condition, true or false, that col holds text that
// is not JSON. Only SQLite stores such text; the others reject it on write.
func JSONUnparsable(d Dialect, col string) string {
	c := d.Quote(col)
	switch d.(type) {
	case sqliteDialect:
		return fmt.Sprintf("(%[1]s IS NOT NULL AND NOT json_valid(%[1]s))", c)
	case postgresDialect:
		return "false"
	case mysqlDialect:
		return fmt.Sprintf("(%[1]s IS NOT NULL AND NOT JSON_VALID(%[1]s))", c)
	}
	panic(fmt.Sprintf("dialect: JSONUnparsable: unknown dialect %T", d))
}
