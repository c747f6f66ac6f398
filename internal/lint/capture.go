// Package lint judges migration steps before they run (`schema lint`): it
// runs them on a scratch in-memory SQLite database with an Op hook
// attached, then evaluates rules on the recorded ops for a target dialect,
// so linting for PostgreSQL or MariaDB needs no server. A live database,
// when given, supplies table sizes from its catalog and the rows that a
// data-dependent change (a unique index, NOT NULL) would trip over.
package lint

import (
	"context"
	"fmt"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/runchain"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// StepOps is what one step did on the scratch database.
type StepOps struct {
	Step migrations.Step
	// Before holds the shapes of the tables that existed before the step.
	Before map[string]dialect.Table
	Ops    []dialect.Op
}

// Capture runs chain's steps up, in order, on a new in-memory SQLite
// database: chain[:from] builds the revision before the first step to
// lint, and each step of chain[from:] is recorded. Each step runs in its
// own transaction, with foreign keys off, as the runner runs them on
// SQLite; no migration records are kept.
func Capture(ctx context.Context, chain []migrations.Step, from int) ([]StepOps, error) {
	if from < 0 || from > len(chain) {
		return nil, fmt.Errorf("lint: step index %d outside the chain of %d steps", from, len(chain))
	}
	d, err := db.Open(ctx, "sqlite://")
	if err != nil {
		return nil, fmt.Errorf("open a scratch SQLite database to run the steps on: %w", err)
	}
	defer d.Close()
	rec := dialect.NewShapeRecorder()
	var out []StepOps
	err = d.DB.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		// As the runner prepares a run's connection (SQLite: foreign
		// keys off, which a rebuild needs).
		dl, err := dialect.Of(conn)
		if err != nil {
			return err
		}
		finish, err := dl.PrepareRun(conn, time.Second)
		if err != nil {
			return err
		}
		defer func() { _ = finish(context.WithoutCancel(ctx)) }()
		for i, s := range chain {
			so := StepOps{Step: s, Before: map[string]dialect.Table{}}
			for _, t := range rec.Tables() {
				so.Before[t.Name] = t
			}
			hooks := dialect.Hooks{Shapes: rec}
			if i >= from {
				hooks.Op = func(op dialect.Op) { so.Ops = append(so.Ops, op) }
			}
			run := &dialect.StepRun{Step: dialect.StepRef{ID: s.ID, Up: true}, Hooks: hooks}
			err := conn.WithContext(dialect.WithStepRun(ctx, run)).Transaction(func(tx *gorm.DB) error {
				m, err := dialect.NewMigrator(tx)
				if err != nil {
					return err
				}
				return s.Up(m)
			})
			if err != nil {
				return fmt.Errorf("run step %s (%s) on the scratch SQLite database: %w", s.ID, s.Name, err)
			}
			if i >= from {
				out = append(out, so)
			}
		}
		return nil
	})
	return out, err
}

// scratchError is a failure to make the scratch database of the live
// database's dialect: plan falls back to capturing on SQLite.
type scratchError struct{ err error }

func (e *scratchError) Error() string { return e.err.Error() }
func (e *scratchError) Unwrap() error { return e.err }

// CaptureOnScratch runs chain's steps up with the real runner on a scratch
// database beside live (the same server, which needs permission to create
// a database; see db.Database.Scratch): chain[:from] builds the live
// database's revision, then chain[from:end] runs as up would run it on
// live (online steps online, with the lock settings and retries of live's
// URL), with each step's ops recorded (not Before: plan does not read it). The scratch is dropped before it
// returns, also when ctx is cancelled. A failure to create the scratch is
// a *scratchError. live is only read.
func CaptureOnScratch(ctx context.Context, live *db.Database, chain []migrations.Step, from, end int) ([]StepOps, error) {
	if from < 0 || from > end || end > len(chain) {
		return nil, fmt.Errorf("plan: steps %d to %d outside the chain of %d steps", from, end, len(chain))
	}
	s, cleanup, err := live.Scratch(ctx)
	if err != nil {
		return nil, &scratchError{err}
	}
	defer cleanup()
	ctx = runchain.With(ctx, chain[:end])
	if from > 0 {
		if _, err := s.Up(ctx, chain[from-1].ID, db.Options{}); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("plan interrupted (%w): the scratch database %s is dropped; %s was only read", ctx.Err(), s, live)
			}
			return nil, fmt.Errorf("build the scratch database %s to revision %s: %w", s, chain[from-1].ID, err)
		}
	}
	if from == end {
		return nil, nil
	}
	out := make([]StepOps, end-from)
	at := map[string]int{}
	for i := from; i < end; i++ {
		out[i-from] = StepOps{Step: chain[i], Before: map[string]dialect.Table{}}
		at[chain[i].ID] = i - from
	}
	rep := &captureReporter{}
	hooks := dialect.Hooks{Op: func(op dialect.Op) {
		if i, ok := at[op.Step]; ok {
			out[i].Ops = append(out[i].Ops, op)
		}
	}}
	// A step the runner retries (a lock wait timed out) starts again:
	// only its last attempt's ops count.
	rep.started = func(id string) {
		if i, ok := at[id]; ok {
			out[i].Ops = nil
		}
	}
	if _, err := s.Up(dialect.WithHooks(ctx, hooks), chain[end-1].ID, db.Options{Reporter: rep}); err != nil {
		if ctx.Err() != nil {
			// The runner's account of the interrupted step is about the
			// scratch, which is dropped: say what matters here.
			return nil, fmt.Errorf("plan interrupted (%w): the scratch database %s is dropped; %s was only read", ctx.Err(), s, live)
		}
		return nil, fmt.Errorf("run the pending steps on the scratch database %s: %w", s, err)
	}
	return out, nil
}

// captureReporter hears which step starts.
type captureReporter struct{ started func(id string) }

func (r *captureReporter) StepStarted(s db.StepResult)          { r.started(s.ID) }
func (r *captureReporter) Notice(db.StepResult, string)         {}
func (r *captureReporter) Progress(db.StepResult, int64, int64) {}
