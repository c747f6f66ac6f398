package dialect

import (
	"fmt"

	"gorm.io/gorm"
)

// SQLite has one writer: every step holds the database's write lock from
// BEGIN IMMEDIATE to COMMIT, whatever it does, so no op has a lock hazard
// of its own to report (lint's lock codes do not apply).
const sqliteWriteLock = "database write lock (one writer; readers continue in WAL mode)"

func (sqliteDialect) impacts(op Op, _ bool) []Impact {
	switch op.Kind {
	case OpCreateTable:
		return nil
	case OpDropTable:
		return []Impact{{Part: "drop table " + op.Table, Lock: sqliteWriteLock, Brief: true}}
	case OpAlterTable:
		p := partsOf(op)
		// Only adding a nullable or defaulted column, and indexes, are
		// done in place; anything else rebuilds the table (rebuild.go).
		inPlace := len(p.changes) == 0 && len(p.dropColumns) == 0 && !p.pkChanged && len(p.addFKs)+len(p.dropFKs)+len(p.addChecks)+len(p.dropChecks) == 0
		i := Impact{Part: "alter table " + op.Table, Lock: sqliteWriteLock, Rewrite: !inPlace, Brief: inPlace && len(p.addIndexes) == 0}
		switch {
		case i.Rewrite:
			i.Work = WorkRewrite
		case len(p.addIndexes) > 0:
			i.Work = WorkIndex
		}
		return []Impact{i}
	}
	return []Impact{{Part: string(op.Kind), Lock: sqliteWriteLock, Work: WorkWrite}}
}

// TableSizes counts each table's rows (SQLite keeps no estimate; a count
// reads the smallest index) and reads their pages from dbstat when the
// library has it.
func (d sqliteDialect) TableSizes(db *gorm.DB) (map[string]TableSize, error) {
	var names []string
	if err := db.Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&names).Error; err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	out := map[string]TableSize{}
	for _, n := range names {
		s := TableSize{Rows: -1, Bytes: -1}
		if err := db.Raw("SELECT count(*) FROM " + d.Quote(n)).Scan(&s.Rows).Error; err != nil {
			return nil, fmt.Errorf("count the rows of %s: %w", n, err)
		}
		var bytes *int64
		if db.Raw("SELECT sum(pgsize) FROM dbstat WHERE name = ?", n).Scan(&bytes).Error == nil && bytes != nil {
			s.Bytes = *bytes
		}
		out[n] = s
	}
	return out, nil
}

// Measured with TestBenchThroughput (docs/BENCHMARKS.md), rounded down.
func (sqliteDialect) throughput() map[string]float64 {
	return map[string]float64{WorkRewrite: 350000, WorkIndex: 1000000, WorkScan: 300000, WorkWrite: 150000}
}
