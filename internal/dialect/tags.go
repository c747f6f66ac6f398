package dialect

// BulkLoadShape is the shape to create t in when a step is about to fill it
// with many rows, before taking it to t with AlterTable: what is cheaper to
// build over all rows at once than to maintain row by row is left out.
// Unique indexes stay: inserts resolve conflicts on them.
//
//   - PostgreSQL: plain indexes and foreign keys. Each inserted row
//     fires a trigger per foreign key, while ADD CONSTRAINT checks every row
//     in one join.
//   - SQLite: plain indexes (three times faster over three million rows);
//     foreign keys stay, since adding one later
//     rebuilds the table (they are not checked during a run anyway).
//   - MySQL/MariaDB: nothing. Adding a foreign key later copies the table,
//     and InnoDB would invent an index for a key that has none, which then
//     differs from the declared shape.
func BulkLoadShape(d Dialect, t Table) Table {
	switch d.(type) {
	case postgresDialect:
		t = t.clone()
		t.Indexes, t.ForeignKeys = uniqueOnly(t.Indexes), nil
	case sqliteDialect:
		t = t.clone()
		t.Indexes = uniqueOnly(t.Indexes)
	}
	return t
}

func uniqueOnly(idx []Index) []Index {
	var out []Index
	for _, i := range idx {
		if i.Unique {
			out = append(out, i)
		}
	}
	return out
}
