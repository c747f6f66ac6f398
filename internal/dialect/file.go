package dialect

// JSON fragments the file steps (c29facfe716b..c0fbf31ca0db) use to report
// meta values they could not use. col and key are trusted identifiers.
// Each dialect spells them in its own file.

// JSONKeyPresent is a condition, true or false (never NULL), that col is
// valid JSON holding key with a value other than JSON null.
func JSONKeyPresent(d Dialect, col, key string) string {
	return d.jsonKeyPresent(d.Quote(col), key)
}

// JSONUnparsable is a condition, true or false, that col holds text that
// is not JSON. Only SQLite and MySQL store such text; PostgreSQL rejects it
// on write.
func JSONUnparsable(d Dialect, col string) string {
	return d.jsonUnparsable(d.Quote(col))
}
