package dialect

import (
	"fmt"

	"gorm.io/gorm"
)

// MariaDB's online DDL: INSTANT and INPLACE alters take the metadata lock
// exclusively only at their start and end; ALGORITHM=COPY holds writes
// off for the whole copy.
const (
	myMDLBrief = "MDL exclusive (brief; INSTANT/INPLACE, LOCK=NONE)"
	// An in-place index build: reads and writes go on while it runs.
	myMDLBuild  = "MDL shared-upgradable (reads and writes continue; MDL exclusive only briefly at start and end; INPLACE, LOCK=NONE)"
	myCopy      = "MDL shared-no-write for the whole table copy (ALGORITHM=COPY)"
	myRowLocks  = "row locks (written rows until commit)"
	myNotOnline = "outside an Online step the ALTER names no ALGORITHM or LOCK: MariaDB may choose a locking table copy without saying so"
	myOnlineFix = "mark the step Online (migrations.Step.Online) so each ALTER asks for ALGORITHM=INSTANT/INPLACE, LOCK=NONE and fails rather than copying"
)

func (mysqlDialect) impacts(op Op, online bool) []Impact {
	switch op.Kind {
	case OpCreateTable:
		return nil
	case OpDropTable:
		return []Impact{{Part: "drop table " + op.Table, Lock: "MDL exclusive", Brief: true}}
	case OpAlterTable:
	default:
		return []Impact{{Part: string(op.Kind), Lock: myRowLocks, Work: WorkWrite}}
	}
	p := partsOf(op)
	var out []Impact
	copyOf := func(part, why string) Impact {
		return Impact{Part: part, Lock: myCopy, Rewrite: true, Work: WorkRewrite, Code: "LK404",
			Detail: why + ": MariaDB cannot do it INSTANT or INPLACE with LOCK=NONE, so writes wait for a full table copy",
			Fix:    "add a new column or table, backfill it in keyed batches, switch the application, then drop the old one"}
	}
	for _, c := range p.changes {
		if c.From.Type != c.To.Type {
			i := copyOf(DescribeChange(c.From, c.To), "a column type change")
			out = append(out, i, Impact{Part: i.Part, Lock: myCopy, Rewrite: true, Work: WorkRewrite, Code: "LK403",
				Detail: "a column type change rewrites every row", Fix: i.Fix})
			continue
		}
		// NOT NULL and defaults: INPLACE (NOT NULL rebuilds the table).
		i := Impact{Part: DescribeChange(c.From, c.To), Lock: myMDLBrief, Brief: true}
		if c.To.NotNull && !c.From.NotNull {
			i.Brief, i.Rewrite, i.Work = false, true, WorkRewrite
		}
		out = append(out, i)
	}
	if p.pkChanged {
		out = append(out, copyOf("change the primary key", "a primary key change"))
	}
	for _, c := range p.addColumns {
		i := Impact{Part: "add column " + DescribeColumn(c), Lock: myMDLBrief, Brief: true}
		if volatileDefault(c.Default) {
			i.Brief, i.Rewrite, i.Lock, i.Work = false, true, myCopy, WorkRewrite
			i.Code, i.Detail = "LK403", "a column with a volatile default is filled row by row: the table is rebuilt"
			i.Fix = "add the column without a default, backfill it in keyed batches, then set the default"
		}
		out = append(out, i)
	}
	for _, c := range p.dropColumns {
		out = append(out, Impact{Part: "drop column " + c.Name, Lock: myMDLBrief, Rewrite: true, Work: WorkRewrite})
	}
	for _, i := range p.addIndexes {
		out = append(out, Impact{Part: "add " + DescribeIndex(i), Lock: myMDLBuild, Work: WorkIndex})
	}
	for _, i := range p.dropIndexes {
		out = append(out, Impact{Part: "drop " + DescribeIndex(i), Lock: myMDLBrief, Brief: true})
	}
	for _, f := range p.addFKs {
		out = append(out, Impact{Part: "add " + DescribeFK(f), Lock: myMDLBrief, Work: WorkScan})
	}
	for _, f := range p.dropFKs {
		out = append(out, Impact{Part: "drop " + DescribeFK(f), Lock: myMDLBrief, Brief: true})
	}
	for _, c := range p.addChecks {
		out = append(out, Impact{Part: "add " + DescribeCheck(c), Lock: myMDLBrief, Work: WorkScan})
	}
	for _, c := range p.dropChecks {
		out = append(out, Impact{Part: "drop " + DescribeCheck(c), Lock: myMDLBrief, Brief: true})
	}
	if !online {
		out = append(out, Impact{Part: "ALTER without ALGORITHM and LOCK (step not Online)", Lock: "as MariaDB chooses", Code: "LK404",
			Detail: myNotOnline, Fix: myOnlineFix})
	}
	return out
}

// TableSizes reads information_schema.TABLES: InnoDB's row estimate and
// its data and index lengths; no table is scanned.
func (mysqlDialect) TableSizes(db *gorm.DB) (map[string]TableSize, error) {
	rows, err := db.Raw(`SELECT TABLE_NAME, COALESCE(TABLE_ROWS, -1), COALESCE(DATA_LENGTH + INDEX_LENGTH, -1)
FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`).Rows()
	if err != nil {
		return nil, fmt.Errorf("read table sizes from information_schema.TABLES: %w", err)
	}
	return scanSizes(rows)
}

// Measured with TestBenchThroughput (docs/BENCHMARKS.md), rounded down.
func (mysqlDialect) throughput() map[string]float64 {
	return map[string]float64{WorkRewrite: 100000, WorkIndex: 350000, WorkScan: 200000, WorkWrite: 50000}
}
