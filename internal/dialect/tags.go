package dialect

// BulkLoadShape is the shape to give t while a step fills it with many
// rows, before taking it to t with AlterTable: what is cheaper to build
// over all rows at once than to maintain row by row is left out. Unique
// indexes stay: inserts resolve conflicts on them.
//
// What each database leaves out is in its own file (bulkLoadShape).
func BulkLoadShape(d Dialect, t Table) Table {
	t = t.clone()
	t.Indexes = uniqueOnly(t.Indexes)
	return d.bulkLoadShape(t)
}

// BulkLoadConflict is c for inserts into a BulkLoadShape table: nothing to
// resolve where the shape has no primary key (PostgreSQL).
func BulkLoadConflict(d Dialect, c Conflict) Conflict {
	return d.bulkLoadConflict(c)
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
