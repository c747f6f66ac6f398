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
