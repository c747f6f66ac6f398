package lint

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// Severities.
const (
	Error   = "error"
	Warning = "warning"
)

// DefaultLargeRows is the row count above which a table counts as large:
// around where a blocking index build or rewrite stops being a moment on
// a small server (see docs/BENCHMARKS.md).
const DefaultLargeRows = 100000

// Finding is one rule's verdict on one part of one step.
type Finding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	// Allowed says the step lists Code in its Allow: reported, not failed.
	Allowed  bool   `json:"allowed"`
	Dialect  string `json:"dialect"`
	Step     string `json:"step"`
	StepName string `json:"step_name"`
	Table    string `json:"table"`
	Op       string `json:"op"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
}

// Failing reports a finding that fails lint: an error not allowed.
func (f Finding) Failing() bool { return f.Severity == Error && !f.Allowed }

// String is the finding on one line.
func (f Finding) String() string {
	sev := strings.ToUpper(f.Severity)
	if f.Allowed {
		sev = "allowed " + f.Severity
	}
	return fmt.Sprintf("%s %s [%s] step %s (%s) table %s: %s: %s; fix: %s",
		sev, f.Code, f.Dialect, f.Step, f.StepName, orDash(f.Table), f.Op, f.Message, f.Fix)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Options steer Evaluate.
type Options struct {
	// Dialects to lint for; the live database's, or all three, if empty.
	Dialects []string
	// LargeRows is the size threshold (DefaultLargeRows if 0).
	LargeRows int64
	// Live, if set, is the database the steps will run on: table sizes
	// come from its catalog and data-dependent changes are checked on its
	// rows.
	Live *gorm.DB
}

// Evaluate applies the rules to the captured steps for each dialect.
func Evaluate(ctx context.Context, steps []StepOps, opt Options) ([]Finding, error) {
	if opt.LargeRows <= 0 {
		opt.LargeRows = DefaultLargeRows
	}
	var live *liveDB
	if opt.Live != nil {
		var err error
		if live, err = openLive(ctx, opt.Live, opt.LargeRows); err != nil {
			return nil, err
		}
		if len(opt.Dialects) == 0 {
			opt.Dialects = []string{live.d.Name()}
		}
	}
	if len(opt.Dialects) == 0 {
		opt.Dialects = dialect.Names()
	}
	var out []Finding
	for _, name := range opt.Dialects {
		d, err := dialect.ByName(name)
		if err != nil {
			return nil, err
		}
		for _, s := range steps {
			e := &evaluator{d: d, s: s, live: live, large: opt.LargeRows}
			fs, err := e.run()
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
		}
	}
	return out, nil
}

type evaluator struct {
	d     dialect.Dialect
	s     StepOps
	live  *liveDB
	large int64
	out   []Finding
	// tables this step created, and table.column it added
	created map[string]bool
	added   map[string]bool
	// wrote lists tables the step wrote rows of before the current op
	wrote map[string]bool
}

func (e *evaluator) add(code, sev, table, op, msg, fix string) {
	e.out = append(e.out, Finding{Code: code, Severity: sev, Allowed: slices.Contains(e.s.Step.Allow, code),
		Dialect: e.d.Name(), Step: e.s.Step.ID, StepName: e.s.Step.Name, Table: table, Op: op, Message: msg, Fix: fix})
}

// existing reports a table that was there before the step.
func (e *evaluator) existing(table string) bool {
	if e.created[table] {
		return false
	}
	_, ok := e.s.Before[table]
	return ok || table == "" // raw SQL whose table is unknown: assume so
}

func (e *evaluator) run() ([]Finding, error) {
	e.created, e.added, e.wrote = map[string]bool{}, map[string]bool{}, map[string]bool{}
	var ddl bool
	var backfills []dialect.Op
	for _, op := range e.s.Ops {
		switch op.Kind {
		case dialect.OpCreateTable:
			ddl = true
			e.created[op.Table] = true
		case dialect.OpDropTable:
			ddl = true
			if e.existing(op.Table) {
				e.add("DS101", Error, op.Table, "drop table "+op.Table,
					"dropping a table destroys its rows, and replicas still on the old binary read it",
					"keep the table until no binary uses it, copy what must stay elsewhere first, and list DS101 in the step's Allow once that is settled")
			}
			delete(e.created, op.Table)
		case dialect.OpAlterTable:
			ddl = true
			if e.existing(op.Table) {
				if err := e.alter(op); err != nil {
					return nil, err
				}
			}
			for _, c := range op.Diff.AddColumns {
				e.added[op.Table+"."+c.Name] = true
			}
		default: // data
			table := op.Table
			if op.Kind == dialect.OpExec {
				table = tableOfSQL(op.SQL)
			}
			if table != "" {
				e.wrote[table] = true
			}
			if op.Kind != dialect.OpInsert && e.existing(table) {
				op.Table = table
				backfills = append(backfills, op)
			}
		}
	}
	if ddl && !e.s.Step.Online && e.d.RunMode() == dialect.StepTransactions {
		for _, op := range backfills {
			large, size, err := e.isLarge(op.Table)
			if err != nil {
				return nil, err
			}
			if !large {
				continue
			}
			e.add("TX501", Error, op.Table, describeOp(op),
				"the step backfills an existing table"+size+" in the same transaction as its DDL: the DDL's locks are held until the whole backfill commits",
				"move the backfill into a step of its own (or mark the step Online so its DDL commits first), and backfill in keyed batches (Migrator.Backfill, which commits per batch in an Online step and on MariaDB)")
		}
	}
	return e.out, nil
}

// alter applies the rules for a change of an existing table.
func (e *evaluator) alter(op dialect.Op) error {
	t, diff := op.Table, op.Diff
	what := func(part string) string { return "alter table " + t + ": " + part }
	// A drop of a column plus an add of one of the same type is how a
	// rename looks in shapes.
	renamedTo := map[string]dialect.Column{}
	used := map[string]bool{}
	for _, dc := range diff.DropColumns {
		for _, ac := range diff.AddColumns {
			if !used[ac.Name] && ac.Type == dc.Type {
				renamedTo[dc.Name], used[ac.Name] = ac, true
				break
			}
		}
	}
	for _, c := range diff.DropColumns {
		if e.added[t+"."+c.Name] {
			continue // the step's own column
		}
		if to, ok := renamedTo[c.Name]; ok {
			e.add("BC201", Error, t, what("drop column "+c.Name+", add column "+to.Name),
				fmt.Sprintf("looks like a rename of %s to %s: replicas still running the old binary read and write %s and fail", c.Name, to.Name, c.Name),
				"expand and contract: add the new column in one release (written by both binaries), backfill, and drop the old one in a later release's step")
		} else {
			e.add("BC201", Error, t, what("drop column "+c.Name),
				"the previous models read and write this column: replicas still running the old binary fail until they are upgraded",
				"drop the column in a later release, once no running binary uses it (the models stop using it first)")
		}
		if !carried(c.Name, op.Fills) {
			e.add("DS102", Error, t, what("drop column "+dialect.DescribeColumn(c)),
				"dropping a column destroys its values",
				"copy the values where they must stay (a fill of the new column that reads this one carries them), or list DS102 in the step's Allow if they are not needed")
		}
	}
	for _, c := range diff.AddColumns {
		if c.NotNull && c.Default == "" {
			e.add("BC202", Error, t, what("add column "+dialect.DescribeColumn(c)),
				"a NOT NULL column without a default: inserts by replicas still on the old binary, which do not name it, fail",
				"give the column a default, or add it nullable and set NOT NULL in a later release")
		}
	}
	for _, i := range diff.DropIndexes {
		if !slices.ContainsFunc(diff.AddIndexes, func(a dialect.Index) bool { return a.Name == i.Name }) {
			e.add("DS103", Warning, t, what("drop "+dialect.DescribeIndex(i)),
				"queries that used the index scan the table instead (and a unique index stops guarding duplicates)",
				"check that no query of the previous models needs it, or list DS103 in the step's Allow")
		}
	}
	for _, f := range diff.DropForeignKeys {
		if !slices.ContainsFunc(diff.AddForeignKeys, func(a dialect.ForeignKey) bool { return a.Name == f.Name }) {
			e.add("DS104", Warning, t, what("drop "+dialect.DescribeFK(f)),
				"the database stops guarding these references (and their ON DELETE action)",
				"make sure the application keeps the references valid, or list DS104 in the step's Allow")
		}
	}
	for _, c := range diff.DropChecks {
		if !slices.ContainsFunc(diff.AddChecks, func(a dialect.Check) bool { return a.Name == c.Name }) {
			e.add("DS104", Warning, t, what("drop "+dialect.DescribeCheck(c)),
				"the database stops guarding this rule",
				"make sure the application keeps the rule, or list DS104 in the step's Allow")
		}
	}
	for _, i := range diff.AddIndexes {
		if i.Unique {
			if err := e.uniqueIndex(op, i); err != nil {
				return err
			}
		}
	}
	for _, ch := range diff.ChangeColumns {
		if ch[1].NotNull && !ch[0].NotNull {
			if err := e.notNull(op, ch[1]); err != nil {
				return err
			}
		}
	}
	// Lock and rewrite hazards, as the target dialect does the change.
	large, size, err := e.isLarge(t)
	if err != nil {
		return err
	}
	if !large {
		return nil
	}
	seen := map[string]bool{}
	for _, im := range dialect.ImpactsOf(e.d, op, e.s.Step.Online) {
		if im.Code == "" || seen[im.Code+im.Part] {
			continue
		}
		seen[im.Code+im.Part] = true
		e.add(im.Code, Error, t, what(im.Part), im.Detail+size, im.Fix)
	}
	return nil
}

// carried reports a fill that reads the dropped column (a rename that
// copies its values).
func carried(col string, fills []dialect.Fill) bool {
	re := regexp.MustCompile(`(?i)(^|[^a-z0-9_])` + regexp.QuoteMeta(col) + `($|[^a-z0-9_])`)
	for _, f := range fills {
		if re.MatchString(f.Expr) {
			return true
		}
	}
	return false
}

// isLarge says whether table counts as large, with a note on the size for
// messages. Without a live database every existing table is assumed
// large; a table the live catalog does not have is new, so empty.
func (e *evaluator) isLarge(table string) (bool, string, error) {
	if e.live == nil {
		return true, " (no database given: assumed large)", nil
	}
	rows, known, err := e.live.rows(table)
	if err != nil {
		return false, "", err
	}
	if !known {
		return false, "", nil
	}
	return rows > e.large, fmt.Sprintf(" (about %d rows, over --large-rows %d)", rows, e.large), nil
}

var dataTable = regexp.MustCompile("(?is)^\\s*(?:UPDATE|INSERT\\s+(?:IGNORE\\s+)?INTO|DELETE\\s+FROM|REPLACE\\s+INTO)\\s+[`\"]?([A-Za-z0-9_]+)")

// tableOfSQL is the table a data statement writes, "" if it cannot tell.
func tableOfSQL(q string) string {
	if m := dataTable.FindStringSubmatch(q); m != nil {
		return m[1]
	}
	return ""
}

// describeOp names an op for a finding: its kind and table, or its SQL.
func describeOp(op dialect.Op) string {
	if op.SQL != "" {
		return string(op.Kind) + ": " + abbreviate(op.SQL)
	}
	return string(op.Kind) + " " + op.Table
}

func abbreviate(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 120 {
		return q[:117] + "..."
	}
	return q
}
