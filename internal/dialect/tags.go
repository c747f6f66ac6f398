package dialect

// BulkLoadShape is the shape to give t while a step fills it with many
// rows, before taking it to t with AlterTable: what is cheaper to build
// over all rows at once than to maintain row by row is left out. Unique
// indexes stay: inserts resolve conflicts on them.
//
//   - PostgreSQL: plain indexes, foreign keys and the primary key. Each
//     written row would fire a check per key and update the key's index,
//     while adding them afterwards checks and sorts every row at once. A
//     step there is one transaction that never runs twice, so the caller
//     inserting distinct keys is all the primary key needs (adding it
//     fails the step otherwise); see BulkLoadConflict.
//   - MySQL: plain indexes and foreign keys (a key is added in place; see
//     addForeignKey). The primary key stays: a step re-run after a crash
//     inserts its rows again, and the key resolves those conflicts.
//   - SQLite: plain indexes only. A foreign key can only be added with its
//     column, short of rebuilding the table, and keys are not enforced
//     during a run anyway.
func BulkLoadShape(d Dialect, t Table) Table {
	t = t.clone()
	t.Indexes = uniqueOnly(t.Indexes)
	switch d.(type) {
	case postgresDialect:
		t.ForeignKeys, t.PrimaryKey = nil, nil
	case mysqlDialect:
		t.ForeignKeys = nil
	}
	return t
}

// BulkLoadConflict is c for inserts into a BulkLoadShape table: nothing to
// resolve where the shape has no primary key (PostgreSQL).
func BulkLoadConflict(d Dialect, c Conflict) Conflict {
	if _, ok := d.(postgresDialect); ok {
		return Conflict{}
	}
	return c
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
