package lint

import (
	"context"
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
)

// Which steps to lint.
const (
	StepsNew     = "new"     // the steps after the Alembic revisions
	StepsPending = "pending" // those the live database has not applied
	StepsAll     = "all"     // the whole chain
)

// Report is the outcome of a lint.
type Report struct {
	Steps     []string  `json:"steps"` // IDs linted, oldest first
	Dialects  []string  `json:"dialects"`
	LargeRows int64     `json:"large_rows"`
	Database  string    `json:"database,omitempty"` // password masked
	Findings  []Finding `json:"findings"`
	Errors    int       `json:"errors"` // failing: errors not allowed
	Warnings  int       `json:"warnings"`
	Allowed   int       `json:"allowed"`
}

// OK reports no failing finding.
func (r Report) OK() bool { return r.Errors == 0 }

// From is the index in chain of the first step to lint. applied is how
// many steps the live database has applied (pending only).
func From(which string, chain []migrations.Step, applied int) (int, error) {
	switch which {
	case StepsNew:
		return min(migrations.AlembicSteps(), len(chain)), nil
	case StepsAll:
		return 0, nil
	case StepsPending:
		if applied < 0 || applied > len(chain) {
			return 0, fmt.Errorf("lint: %d steps applied, the chain has %d", applied, len(chain))
		}
		return applied, nil
	}
	return 0, fmt.Errorf("unknown step selection %q: use new, pending or all", which)
}

// Lint captures chain[from:] on a scratch SQLite database (after running
// chain[:from]) and evaluates the rules.
func Lint(ctx context.Context, chain []migrations.Step, from int, opt Options) (Report, error) {
	if len(opt.Dialects) == 0 {
		opt.Dialects = dialect.Names()
		if opt.Live != nil {
			d, err := dialect.Of(opt.Live)
			if err != nil {
				return Report{}, err
			}
			opt.Dialects = []string{d.Name()}
		}
	}
	steps, err := Capture(ctx, chain, from)
	if err != nil {
		return Report{}, err
	}
	fs, err := Evaluate(ctx, steps, opt)
	if err != nil {
		return Report{}, err
	}
	r := Report{Steps: []string{}, Findings: fs, Dialects: opt.Dialects, LargeRows: opt.LargeRows}
	if r.LargeRows <= 0 {
		r.LargeRows = DefaultLargeRows
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	for _, s := range steps {
		r.Steps = append(r.Steps, s.Step.ID)
	}
	for _, f := range fs {
		switch {
		case f.Allowed:
			r.Allowed++
		case f.Severity == Error:
			r.Errors++
		default:
			r.Warnings++
		}
	}
	return r, nil
}
