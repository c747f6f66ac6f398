package dialect

import (
	"fmt"

	"gorm.io/gorm"
)

// PostgreSQL's locks, from its documentation's "Explicit Locking" and
// ALTER TABLE pages. ACCESS EXCLUSIVE blocks reads too; SHARE blocks
// writes; SHARE UPDATE EXCLUSIVE blocks neither.
const (
	pgAccessExclusive = "ACCESS EXCLUSIVE"
	pgShare           = "SHARE"
	pgShareRowExcl    = "SHARE ROW EXCLUSIVE"
	pgShareUpdateExcl = "SHARE UPDATE EXCLUSIVE"
	pgRowExclusive    = "ROW EXCLUSIVE (written rows until commit)"
)

func (postgresDialect) impacts(op Op, online bool) []Impact {
	switch op.Kind {
	case OpCreateTable:
		return nil
	case OpDropTable:
		return []Impact{{Part: "drop table " + op.Table, Lock: pgAccessExclusive, Brief: true}}
	case OpAlterTable:
	default:
		return []Impact{{Part: string(op.Kind), Lock: pgRowExclusive, Work: WorkWrite}}
	}
	p := partsOf(op)
	var out []Impact
	for _, c := range p.addColumns {
		i := Impact{Part: "add column " + DescribeColumn(c), Lock: pgAccessExclusive, Brief: true}
		if volatileDefault(c.Default) {
			i.Brief, i.Rewrite, i.Work = false, true, WorkRewrite
			i.Code, i.Detail = "LK403", "a volatile default is computed for every existing row: the table is rewritten under ACCESS EXCLUSIVE"
			i.Fix = "add the column without a default (or with a constant one), backfill it in keyed batches, then set the default"
		}
		out = append(out, i)
	}
	for _, c := range p.dropColumns {
		out = append(out, Impact{Part: "drop column " + c.Name, Lock: pgAccessExclusive, Brief: true})
	}
	for _, c := range p.changes {
		i := Impact{Part: DescribeChange(c.From, c.To), Lock: pgAccessExclusive, Brief: true}
		switch {
		case c.From.Type != c.To.Type && !(c.From.Type == Key && c.To.Type == Text):
			// varchar to text is binary-coercible: a catalog change.
			i.Brief, i.Rewrite, i.Work = false, true, WorkRewrite
			i.Code, i.Detail = "LK403", "a column type change rewrites the table and its indexes under ACCESS EXCLUSIVE (reads and writes wait)"
			i.Fix = "add a new column of the new type, backfill it in keyed batches, switch the application, then drop the old column"
		case c.To.NotNull && !c.From.NotNull:
			i.Brief, i.Work = false, WorkScan // every row is checked
			i.Detail = "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE"
		}
		out = append(out, i)
	}
	if p.pkChanged {
		out = append(out, Impact{Part: "change the primary key", Lock: pgAccessExclusive, Work: WorkIndex,
			Code: "LK401", Detail: "a new primary key builds its unique index under ACCESS EXCLUSIVE",
			Fix: "build a unique index CONCURRENTLY first (an Online step), then make it the key (ADD PRIMARY KEY USING INDEX)"})
	}
	for _, i := range p.dropIndexes {
		lock := pgAccessExclusive
		if online {
			lock = pgShareUpdateExcl
		}
		out = append(out, Impact{Part: "drop " + DescribeIndex(i), Lock: lock, Brief: true})
	}
	for _, i := range p.addIndexes {
		if online {
			out = append(out, Impact{Part: "add " + DescribeIndex(i) + " CONCURRENTLY", Lock: pgShareUpdateExcl, Work: WorkIndex})
			continue
		}
		out = append(out, Impact{Part: "add " + DescribeIndex(i), Lock: pgShare, Work: WorkIndex,
			Code: "LK401", Detail: "CREATE INDEX without CONCURRENTLY blocks every write to the table for the whole build",
			Fix: "mark the step Online (migrations.Step.Online) so the index is built CONCURRENTLY, in a step of its own"})
	}
	for _, f := range p.dropFKs {
		out = append(out, Impact{Part: "drop " + DescribeFK(f), Lock: pgAccessExclusive, Brief: true})
	}
	for _, c := range p.dropChecks {
		out = append(out, Impact{Part: "drop " + DescribeCheck(c), Lock: pgAccessExclusive, Brief: true})
	}
	for _, f := range p.addFKs {
		if online {
			out = append(out, Impact{Part: "add " + DescribeFK(f) + " NOT VALID, then VALIDATE", Lock: pgShareUpdateExcl, Work: WorkScan})
			continue
		}
		out = append(out, Impact{Part: "add " + DescribeFK(f), Lock: pgShareRowExcl + " (both tables)", Work: WorkScan,
			Code: "LK402", Detail: "adding a foreign key checks every row while writes to both tables wait",
			Fix: "mark the step Online so the key is added NOT VALID and validated afterwards without blocking writes"})
	}
	for _, c := range p.addChecks {
		if online {
			out = append(out, Impact{Part: "add " + DescribeCheck(c) + " NOT VALID, then VALIDATE", Lock: pgShareUpdateExcl, Work: WorkScan})
			continue
		}
		out = append(out, Impact{Part: "add " + DescribeCheck(c), Lock: pgAccessExclusive, Work: WorkScan,
			Code: "LK402", Detail: "adding a check scans every row under ACCESS EXCLUSIVE",
			Fix: "mark the step Online so the check is added NOT VALID and validated afterwards without blocking"})
	}
	return out
}

// TableSizes reads the planner's estimates (pg_class.reltuples, -1 for a
// table never analysed) and pg_total_relation_size: no table is scanned.
func (postgresDialect) TableSizes(db *gorm.DB) (map[string]TableSize, error) {
	rows, err := db.Raw(`SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`).Rows()
	if err != nil {
		return nil, fmt.Errorf("read table sizes from pg_class: %w", err)
	}
	return scanSizes(rows)
}

// Measured with TestBenchThroughput (docs/BENCHMARKS.md), rounded down.
func (postgresDialect) throughput() map[string]float64 {
	return map[string]float64{WorkRewrite: 350000, WorkIndex: 900000, WorkScan: 2000000, WorkWrite: 120000}
}
