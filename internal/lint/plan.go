package lint

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
)

// Plan is what `schema plan` prints: for each pending step, its ops with
// the statements they ran on the scratch database, and what each would do
// to the live database's tables.
type Plan struct {
	Database string `json:"database,omitempty"` // password masked
	Dialect  string `json:"dialect"`
	Note     string `json:"note"`
	// StatementsFrom says where the statements were captured: "<dialect>
	// scratch", or "sqlite scratch (fallback: why)" when a scratch of the
	// live dialect could not be made.
	StatementsFrom string `json:"statements_from"`
	// Fallback, if set, says why statements are in SQLite's form although
	// the live database is not SQLite: no scratch of its dialect could be
	// made (no permission to create a database, say).
	Fallback string     `json:"fallback,omitempty"`
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

// BuildPlan describes chain[from:end], the steps up would apply to live,
// for live's dialect with live's table sizes. On PostgreSQL and MySQL the
// steps' ops and statements are captured by running them with the runner
// on a scratch database of the same server (CaptureOnScratch), so the
// statements are those up will run there; when that scratch cannot be
// made, and on SQLite, they are captured on an in-memory SQLite database
// (Capture), and Note and StatementsFrom say so. It only reads live.
func BuildPlan(ctx context.Context, chain []migrations.Step, from, end int, live *db.Database) (Plan, error) {
	l, err := openLive(ctx, live.DB, planCountLimit)
	if err != nil {
		return Plan{}, err
	}
	name := l.d.Name()
	p := Plan{Dialect: name, Steps: []PlanStep{}}
	estimates := EstimatesNote(name)
	var steps []StepOps
	native := !dialect.OnServer(l.d) // SQLite: the in-memory capture is native
	if !native {
		steps, err = CaptureOnScratch(ctx, live, chain, from, end)
		var se *scratchError
		switch {
		case errors.As(err, &se):
			p.Fallback = fmt.Sprintf("no %s scratch database could be made (%s)", name, oneLine(se.err))
		case err != nil:
			return Plan{}, err
		default:
			p.StatementsFrom = name + " scratch"
			p.Note = "ops and statements were captured by running the steps with the runner on a scratch " + name + " database on the same server (dropped afterwards): statements are " + name + "'s, as up will run them; " + estimates
		}
	}
	if p.StatementsFrom == "" {
		if steps, err = Capture(ctx, chain[:end], from); err != nil {
			return Plan{}, err
		}
		p.StatementsFrom = "sqlite scratch"
		p.Note = "ops and statements were captured by running the steps on a scratch in-memory SQLite database"
		if p.Fallback != "" {
			p.StatementsFrom += " (fallback: " + p.Fallback + ")"
			p.Note += " because " + p.Fallback
		}
		if !native {
			p.Note += ": statements are shown in SQLite's form"
		}
		p.Note += "; " + estimates
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

// oneLine is err's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// EstimatesNote says where a plan's locks, sizes and durations come from.
func EstimatesNote(dialectName string) string {
	return "locks, rewrites and sizes are " + dialectName + "'s, from the live catalog; durations are estimates from measured throughput (docs/BENCHMARKS.md)"
}
