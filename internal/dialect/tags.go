package dialect

// BulkLoadShape is the shape to give t while a step fills it with many
// rows, before taking it to t with AlterTable: what is cheaper to build
// over all rows at once than to maintain row by row is left out. Unique
// indexes stay: inserts resolve conflicts on them.
//
//   - PostgreSQL and MySQL: plain indexes and foreign keys. Each written
//     row would fire a check per key, while adding the key afterwards
//     checks every row in one join (on MySQL, in place; see addForeignKey).
//   - SQLite: plain indexes only. A foreign key can only be added with its
//     column, short of rebuilding the table, and keys are not enforced
//     during a run anyway.
func BulkLoadShape(d Dialect, t Table) Table {
	t = t.clone()
	t.Indexes = uniqueOnly(t.Indexes)
	if _, ok := d.(sqliteDialect); !ok {
		t.ForeignKeys = nil
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
