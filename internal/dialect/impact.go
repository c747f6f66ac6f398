package dialect

import (
	"database/sql"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Impact is what one part of an op does to a live table on a dialect: the
// lock it takes, for how long, whether the table is rewritten, and, when
// that is a hazard for a serving application, the lint code that says so
// (schema lint and schema plan read these; Dialect.Impacts makes them).
type Impact struct {
	// Part names what the op changes ("add index idx_x (a)"), or the op.
	Part string
	// Lock is the strongest lock the part takes, as the dialect names it.
	Lock string
	// Brief says the lock is held for a moment (a catalog change), not
	// for work proportional to the table's size.
	Brief bool
	// Rewrite says the table (or its copy) is rewritten row by row.
	Rewrite bool
	// Work is what the part does per row, for duration estimates
	// (Throughput): WorkRewrite, WorkIndex, WorkScan, WorkWrite, or ""
	// for a catalog change.
	Work string
	// Code is the lint code of the hazard ("LK401"), "" for none; Detail
	// and Fix explain it.
	Code, Detail, Fix string
}

// Kinds of per-row work.
const (
	WorkRewrite = "rewrite" // the table is copied or rewritten
	WorkIndex   = "index"   // an index is built
	WorkScan    = "scan"    // every row is read (validating a key, check or NOT NULL)
	WorkWrite   = "write"   // rows are updated or inserted by a data statement
)

// Throughput is how many rows a second each kind of work covers on a
// dialect, measured on a small server (docs/BENCHMARKS.md): for
// estimates, not promises.
func Throughput(d Dialect, work string) float64 { return d.throughput()[work] }

// TableSize is a table's size as the catalog estimates it, cheaply.
type TableSize struct {
	Rows  int64 // estimated rows; -1 when the catalog does not know
	Bytes int64 // table and indexes; -1 when unknown
}

// ImpactsOf lists how op affects an existing table of d when its step runs
// online or not; a create of a new table has no impact on live rows.
func ImpactsOf(d Dialect, op Op, online bool) []Impact { return d.impacts(op, online) }

// partsOf names the parts of an alter, for dialects' impacts.
type alterParts struct {
	addColumns, dropColumns []Column
	changes                 []columnChange
	pkChanged               bool
	addIndexes, dropIndexes []Index
	addFKs, dropFKs         []ForeignKey
	addChecks, dropChecks   []Check
}

func partsOf(op Op) alterParts {
	d := op.Diff
	p := alterParts{addColumns: d.AddColumns, dropColumns: d.DropColumns, pkChanged: d.PrimaryKeyChanged,
		addIndexes: d.AddIndexes, dropIndexes: d.DropIndexes, addFKs: d.AddForeignKeys, dropFKs: d.DropForeignKeys,
		addChecks: d.AddChecks, dropChecks: d.DropChecks}
	for _, c := range d.ChangeColumns {
		p.changes = append(p.changes, columnChange{From: c[0], To: c[1]})
	}
	return p
}

// DescribeColumn, DescribeIndex... name a part of a shape for messages.
func DescribeColumn(c Column) string {
	s := c.Name + " " + c.Type.String()
	if c.NotNull {
		s += " NOT NULL"
	}
	if c.Default != "" {
		s += " DEFAULT " + c.Default
	}
	return s
}

func DescribeIndex(i Index) string {
	kind := "index"
	if i.Unique {
		kind = "unique index"
	}
	return fmt.Sprintf("%s %s (%s)", kind, i.Name, strings.Join(i.Columns, ", "))
}

func DescribeFK(f ForeignKey) string {
	return fmt.Sprintf("foreign key %s (%s) -> %s (%s)", f.Name, strings.Join(f.Columns, ", "), f.RefTable, strings.Join(f.RefColumns, ", "))
}

func DescribeCheck(c Check) string { return fmt.Sprintf("check %s (%s)", c.Name, c.Expr) }

// DescribeChange names a column change: type, nullability, default.
func DescribeChange(from, to Column) string {
	var parts []string
	if from.Type != to.Type {
		parts = append(parts, fmt.Sprintf("type %s -> %s", from.Type, to.Type))
	}
	if from.NotNull != to.NotNull {
		if to.NotNull {
			parts = append(parts, "nullable -> NOT NULL")
		} else {
			parts = append(parts, "NOT NULL -> nullable")
		}
	}
	if from.Default != to.Default {
		parts = append(parts, fmt.Sprintf("default %q -> %q", from.Default, to.Default))
	}
	return "column " + to.Name + ": " + strings.Join(parts, ", ")
}

// volatileDefault reports a default computed per row (a function call
// other than the current time, which is the same for the whole
// statement): adding a column with one rewrites every row.
func volatileDefault(def string) bool {
	d := strings.TrimLeft(strings.ToLower(strings.TrimSpace(def)), "( ")
	if !strings.Contains(d, "(") {
		return false
	}
	for _, stable := range []string{"now()", "current_timestamp", "current_date", "localtimestamp"} {
		if strings.HasPrefix(d, stable) {
			return false
		}
	}
	return true
}

// TableSizes reads the size of every table in db's current schema from
// its catalog (Dialect.TableSizes).
func TableSizes(db *gorm.DB) (map[string]TableSize, error) {
	d, err := Of(db)
	if err != nil {
		return nil, err
	}
	return d.TableSizes(db)
}

func scanSizes(rows *sql.Rows) (map[string]TableSize, error) {
	defer rows.Close()
	out := map[string]TableSize{}
	for rows.Next() {
		var name string
		var s TableSize
		if err := rows.Scan(&name, &s.Rows, &s.Bytes); err != nil {
			return nil, fmt.Errorf("read table sizes: %w", err)
		}
		out[name] = s
	}
	return out, rows.Err()
}
