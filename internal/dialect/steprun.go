package dialect

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// StepRun is all the run state a step's Migrator works with, in one value.
// gormigrate hands a step nothing but its *gorm.DB, so the runner attaches
// the value once to the step's context (WithStepRun) and NewMigrator reads
// it; nothing else reaches a step.
type StepRun struct {
	// Reporter hears the step's notices and progress; nil discards them.
	Reporter Reporter
	// Step names the step and its direction, for its progress journal.
	Step StepRef
	// Writes is marked when the step writes, copies or drops rows.
	Writes StepWrites
	// Hooks are those the run's caller attached (WithHooks).
	Hooks Hooks
	// LastWrite is the last statement the step ran that changes the
	// database: when it gave up waiting for a lock, its table is the one
	// the runner names (StatementTable).
	LastWrite string
	// op is the Migrator call being recorded for Hooks.Op, if any.
	op *Op
	// Online is the step's Online flag: the dialect uses its online forms
	// of DDL (online.go).
	Online bool
	// Outside is the database's pool, apart from the unit's transaction.
	// On a dialect whose online DDL cannot run in a transaction
	// (PostgreSQL's CONCURRENTLY), an online step's statements run there,
	// while the unit's transaction holds the lock, idle, and records the
	// step once they are done.
	Outside *gorm.DB
	// LockWait is the run's DDL lock wait, for the transactions a step
	// opens apart from the unit's (which the runner limits itself); 0
	// leaves them unlimited.
	LockWait time.Duration
}

// Hooks are what whoever starts a run attaches to its context, for every
// step it runs: the one seam through which a run is observed or steered
// from outside. The runner copies them into each StepRun.
type Hooks struct {
	// Shapes, if set, records the table shapes each step leaves (schema
	// new, and the guard, read the chain so).
	Shapes *ShapeRecorder
	// BeforeWrite, if set, is called before every statement a step runs
	// that changes the database; an error stops the step there, as a
	// crash would. Tests crash steps at chosen statements with it
	// (internal/testkit/crash).
	BeforeWrite func(query string) error
	// Op, if set, hears a dialect-neutral record of each high-level
	// Migrator call a step makes, with the statements it ran (schema
	// lint and plan capture steps so).
	Op func(Op)
}

type hooksKey struct{}

// WithHooks attaches h to ctx, over any hooks already there (a field h
// leaves unset keeps the earlier one).
func WithHooks(ctx context.Context, h Hooks) context.Context {
	old := HooksFrom(ctx)
	if h.Shapes == nil {
		h.Shapes = old.Shapes
	}
	if h.BeforeWrite == nil {
		h.BeforeWrite = old.BeforeWrite
	}
	if h.Op == nil {
		h.Op = old.Op
	}
	return context.WithValue(ctx, hooksKey{}, h)
}

// HooksFrom returns the hooks attached to ctx (none if ctx is nil).
func HooksFrom(ctx context.Context) Hooks {
	if ctx == nil {
		return Hooks{}
	}
	h, _ := ctx.Value(hooksKey{}).(Hooks)
	return h
}

type stepRunKey struct{}

// WithStepRun attaches r to the context of a step's transaction (or, on
// MySQL, connection).
func WithStepRun(ctx context.Context, r *StepRun) context.Context {
	return context.WithValue(ctx, stepRunKey{}, r)
}

// StepWrites notes whether a step changed rows rather than only the schema,
// which tells the runner whether the step's end needs a referential check
// (SQLite runs steps with foreign keys off).
type StepWrites struct{ rows bool }

// WroteRows reports whether the step wrote, copied or dropped rows.
func (s *StepWrites) WroteRows() bool { return s.rows }
