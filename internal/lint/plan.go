package lint

import (
	"context"
	"fmt"
	"math"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// Plan is what `schema plan` prints: for each pending step, its ops with
// the statements they ran on the scratch database, and what each would do
// to the live database's tables.
type Plan struct {
	Database string     `json:"database,omitempty"` // password masked
	Dialect  string     `json:"dialect"`
	Note     string     `json:"note"`
	Steps    []PlanStep `json:"steps"`
	// Seconds is the estimated duration of all steps.
	Seconds float64 `json:"estimated_seconds"`
}

// PlanStep is one pending step.
type PlanStep struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Online  bool     `json:"online"`
	Ops     []PlanOp `json:"ops"`
	Seconds float64  `json:"estimated_seconds"`
}

// PlanOp is one Migrator call of a step.
type PlanOp struct {
	Kind  string `json:"kind"`
	Table string `json:"table,omitempty"`
	// New says the table does not exist yet when the op runs (the step or
	// an earlier pending one creates it): it has no rows to lock.
	New bool `json:"new_table"`
	// Rows and Bytes are the catalog's estimates (-1 unknown).
	Rows       int64      `json:"rows"`
	Bytes      int64      `json:"bytes"`
	Rewrite    bool       `json:"rewrite"`
	Parts      []PlanPart `json:"parts"`
	Statements []string   `json:"statements"`
	Seconds    float64    `json:"estimated_seconds"`
}

// PlanPart is what one part of an op takes on the live dialect.
type PlanPart struct {
	Part    string  `json:"part"`
	Lock    string  `json:"lock"`
	Brief   bool    `json:"brief"`
	Rewrite bool    `json:"rewrite"`
	Work    string  `json:"work,omitempty"`
	Seconds float64 `json:"estimated_seconds"`
}

// planCountLimit bounds the count of a table whose catalog has no
// estimate: a plan never reads a whole big table.
const planCountLimit = 1000000

// BuildPlan captures chain[from:end] on a scratch SQLite database and
// describes each op for live's dialect with live's table sizes. It only
// reads live.
func BuildPlan(ctx context.Context, chain []migrations.Step, from, end int, live *gorm.DB) (Plan, error) {
	l, err := openLive(ctx, live, planCountLimit)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Dialect: l.d.Name(), Steps: []PlanStep{},
		Note: "ops and statements were captured by running the steps on a scratch SQLite database: statements are shown in SQLite's form; " +
			"locks, rewrites and sizes are " + l.d.Name() + "'s, from the live catalog; durations are estimates from measured throughput (docs/_lint_BENCH.md)"}
	steps, err := Capture(ctx, chain[:end], from)
	if err != nil {
		return Plan{}, err
	}
	created := map[string]bool{} // by an earlier op of the pending steps
	for _, s := range steps {
		ps := PlanStep{ID: s.Step.ID, Name: s.Step.Name, Online: s.Step.Online, Ops: []PlanOp{}}
		for _, op := range s.Ops {
			table := op.Table
			if op.Kind == dialect.OpExec {
				table = tableOfSQL(op.SQL)
			}
			po := PlanOp{Kind: string(op.Kind), Table: table, Rows: -1, Bytes: -1, Statements: op.Statements, Parts: []PlanPart{}}
			if po.Statements == nil {
				po.Statements = []string{}
			}
			if op.Kind == dialect.OpCreateTable {
				created[table] = true
			}
			size, inCatalog := l.sizes[table]
			po.New = created[table] || table != "" && !inCatalog
			switch {
			case po.New:
				po.Rows, po.Bytes = 0, 0
			case inCatalog:
				po.Bytes = size.Bytes
				if n, known, err := l.rows(table); err == nil && known {
					po.Rows = n
				}
			}
			if op.Kind == dialect.OpDropTable {
				delete(created, table)
			}
			for _, im := range dialect.ImpactsOf(l.d, op, s.Step.Online) {
				pp := PlanPart{Part: im.Part, Lock: im.Lock, Brief: im.Brief, Rewrite: im.Rewrite, Work: im.Work}
				if im.Work != "" && po.Rows > 0 {
					if r := dialect.Throughput(l.d, im.Work); r > 0 {
						pp.Seconds = round(float64(po.Rows) / r)
					}
				}
				po.Rewrite = po.Rewrite || im.Rewrite
				po.Seconds += pp.Seconds
				po.Parts = append(po.Parts, pp)
			}
			po.Seconds = round(po.Seconds)
			ps.Seconds += po.Seconds
			ps.Ops = append(ps.Ops, po)
		}
		ps.Seconds = round(ps.Seconds)
		p.Seconds += ps.Seconds
		p.Steps = append(p.Steps, ps)
	}
	p.Seconds = round(p.Seconds)
	return p, nil
}

func round(s float64) float64 { return math.Round(s*100) / 100 }

// FormatSeconds is an estimate for people.
func FormatSeconds(s float64) string {
	switch {
	case s < 0.01:
		return "brief"
	case s < 60:
		return fmt.Sprintf("~%.2gs", s)
	case s < 3600:
		return fmt.Sprintf("~%.0fm", s/60)
	}
	return fmt.Sprintf("~%.1fh", s/3600)
}
