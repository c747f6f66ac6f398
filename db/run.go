package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// Reporter receives a run's events as they happen, for live output.
type Reporter interface {
	StepStarted(s StepResult)
	Notice(s StepResult, msg string)
	Progress(s StepResult, done, total int64)
}

// Options tune a run.
type Options struct {
	// Reporter, if set, hears about steps, notices and progress live.
	Reporter Reporter
	// LockTimeout bounds the wait for another process's run to finish
	// (default 10 minutes).
	LockTimeout time.Duration
	// AcceptChanged lets a run go ahead on a database whose applied steps
	// were edited since they ran, recording the code's checksums for them;
	// without it such a run is refused with a *ChangedStepsError.
	AcceptChanged bool
}

func (o Options) lockTimeout() time.Duration {
	if o.LockTimeout > 0 {
		return o.LockTimeout
	}
	return 10 * time.Minute
}

// Direction of a step's run.
const (
	DirectionUp   = "up"
	DirectionDown = "down"
)

// StepResult is one step a run applied or rolled back.
type StepResult struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Direction string        `json:"direction"`
	Duration  time.Duration `json:"duration_ns"`
	// Notices report data the step skipped, dropped or left untouched.
	Notices []string `json:"notices,omitempty"`
}

// Result is what a run did.
type Result struct {
	From  string       `json:"from"` // revision before the run ("" for none)
	To    string       `json:"to"`   // revision after it
	Steps []StepResult `json:"steps"`
	// Accepted are the changed steps whose new checksums the run recorded
	// (Options.AcceptChanged).
	Accepted []ChangedStep `json:"accepted,omitempty"`
}

// DownRequest says how far to roll back: To a revision (which stays
// applied), a number of Steps, or All. The zero value rolls back one step.
type DownRequest struct {
	To    string
	Steps int
	All   bool
}

// Up applies pending steps up to and including target ("" or "head" for
// the newest).
func (d *Database) Up(ctx context.Context, target string, opt Options) (Result, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return Result{}, err
	}
	res, err := d.run(ctx, opt, func(st state) ([]action, error) {
		end := len(chain)
		if target != "" && target != "head" {
			i, err := indexOf(chain, target)
			if err != nil {
				return nil, err
			}
			if i+1 < st.applied {
				return nil, fmt.Errorf("revision %s is already applied (the database is at %s); use down --to %s to go back", target, st.current(chain), target)
			}
			end = i + 1
		}
		var out []action
		for _, s := range chain[st.applied:end] {
			out = append(out, action{step: s, up: true})
		}
		return out, nil
	})
	return res, d.scrub(err)
}

// Down rolls back applied steps, newest first.
func (d *Database) Down(ctx context.Context, req DownRequest, opt Options) (Result, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return Result{}, err
	}
	set := 0
	for _, b := range []bool{req.To != "", req.Steps != 0, req.All} {
		if b {
			set++
		}
	}
	if set > 1 {
		return Result{}, errors.New("down takes one of --to, --steps and --all")
	}
	if req.Steps < 0 {
		return Result{}, fmt.Errorf("--steps must be positive, got %d", req.Steps)
	}
	res, err := d.run(ctx, opt, func(st state) ([]action, error) {
		keep := st.applied - 1 // one step by default
		switch {
		case req.All:
			keep = 0
		case req.Steps > 0:
			keep = max(st.applied-req.Steps, 0)
		case req.To != "":
			i, err := indexOf(chain, req.To)
			if err != nil {
				return nil, err
			}
			if i >= st.applied {
				return nil, fmt.Errorf("revision %s is not applied (the database is at %s); use up --to %s to go forward", req.To, st.current(chain), req.To)
			}
			keep = i + 1
		}
		var out []action
		for i := st.applied - 1; i >= max(keep, 0); i-- {
			out = append(out, action{step: chain[i], up: false})
		}
		return out, nil
	})
	return res, d.scrub(err)
}

type action struct {
	step migrations.Step
	up   bool
}

// state is what schema_migrations says, checked against the chain: the
// applied steps are always a prefix of it.
type state struct {
	applied   int // chain[:applied] is applied
	appliedAt map[string]time.Time
}

func (s state) current(chain []migrations.Step) string {
	if s.applied == 0 {
		return "(none)"
	}
	return chain[s.applied-1].ID
}

func indexOf(chain []migrations.Step, id string) (int, error) {
	for i, s := range chain {
		if s.ID == id {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown revision %q: see `schema history` for the chain", id)
}

// locked runs fn on one pinned connection holding the migration lock. One
// connection, because the lock is a session lock on PostgreSQL and MySQL and
// SQLite's foreign-key setting is per connection.
func (d *Database) locked(ctx context.Context, opt Options, fn func(conn *gorm.DB) error) error {
	dl := d.target.Dialect
	return d.DB.WithContext(ctx).Connection(func(pinned *gorm.DB) error {
		// A session, so each statement starts from a clean state on the
		// pinned connection instead of piling onto the previous one.
		conn := pinned.Session(&gorm.Session{})
		if err := dl.PrepareRun(conn); err != nil {
			return fmt.Errorf("prepare the connection: %w", err)
		}
		defer dl.FinishRun(conn)
		lockCtx, cancel := context.WithTimeout(ctx, opt.lockTimeout())
		unlock, err := dl.Lock(lockCtx, conn, MigrationsTable)
		cancel()
		if err != nil {
			return err
		}
		defer unlock()
		return fn(conn)
	})
}

// run applies the actions plan chooses; plan sees the recorded state only
// once the lock is held.
func (d *Database) run(ctx context.Context, opt Options, plan func(state) ([]action, error)) (Result, error) {
	var res Result
	dl := d.target.Dialect
	err := d.locked(ctx, opt, func(conn *gorm.DB) error {
		keepAlembic := false // alembic_version exists: keep it at the current revision
		prepare := func(db *gorm.DB) ([]action, error) {
			chain, _ := migrations.Chain()
			// Before anything is created: an Alembic database this tool
			// has no record of is refused untouched.
			var err error
			if keepAlembic, err = d.alembicGuard(db, chain); err != nil {
				return nil, err
			}
			m, err := dialect.NewMigrator(db)
			if err != nil {
				return nil, err
			}
			if err := m.CreateMigrationsTable(MigrationsTable); err != nil {
				return nil, fmt.Errorf("create %s: %w", MigrationsTable, err)
			}
			st, err := readState(db, chain)
			if err != nil {
				return nil, err
			}
			if res.Accepted, err = checkChecksums(db, chain, st, opt.AcceptChanged); err != nil {
				return nil, err
			}
			if err := dl.MatchCollation(db, chainTables(ctx)); err != nil {
				return nil, fmt.Errorf("convert the tables to the chain's collation: %w", err)
			}
			res.From, res.To = revisionAt(chain, st.applied), revisionAt(chain, st.applied)
			return plan(st)
		}
		apply := func(db *gorm.DB, a action) error {
			r, err := d.applyStep(ctx, db, a, opt.Reporter)
			if err != nil {
				return err
			}
			if keepAlembic {
				if err := setAlembic(db, a.revisionAfter()); err != nil {
					return err
				}
			}
			res.Steps = append(res.Steps, r)
			if a.up {
				res.To = a.step.ID
			} else {
				res.To = a.step.Revises
			}
			return nil
		}

		switch dl.RunMode() {
		case dialect.RunTransaction:
			var stepErr error
			err := conn.Transaction(func(tx *gorm.DB) error {
				actions, err := prepare(tx)
				if err != nil {
					return err
				}
				for i, a := range actions {
					sp := fmt.Sprintf("step_%d", i)
					if err := tx.SavePoint(sp).Error; err != nil {
						return err
					}
					if err := apply(tx, a); err != nil {
						if rbErr := tx.RollbackTo(sp).Error; rbErr != nil {
							return errors.Join(err, rbErr)
						}
						stepErr = err
						return nil // keep the steps before the failed one
					}
				}
				return nil
			})
			if stepErr != nil {
				// A commit that fails after a failed step reports the step's
				// error first: it is the cause.
				if err != nil && !errors.Is(err, sql.ErrTxDone) {
					return errors.Join(stepErr, err)
				}
				return stepErr
			}
			return err
		case dialect.StepTransactions:
			actions, err := prepare(conn)
			if err != nil {
				return err
			}
			for _, a := range actions {
				if err := conn.Transaction(func(tx *gorm.DB) error { return apply(tx, a) }); err != nil {
					return err
				}
			}
			return nil
		default: // NoTransactions: steps are written to be re-run after a crash
			actions, err := prepare(conn)
			if err != nil {
				return err
			}
			for _, a := range actions {
				if err := apply(conn, a); err != nil {
					return err
				}
			}
			return nil
		}
	})
	return res, err
}

func revisionAt(chain []migrations.Step, applied int) string {
	if applied == 0 {
		return ""
	}
	return chain[applied-1].ID
}

// applyStep runs one step through gormigrate, which records it, then lets
// the dialect check what the step left behind.
func (d *Database) applyStep(ctx context.Context, db *gorm.DB, a action, live Reporter) (StepResult, error) {
	r := StepResult{ID: a.step.ID, Name: a.step.Name, Direction: DirectionDown}
	if a.up {
		r.Direction = DirectionUp
	}
	if live != nil {
		live.StepStarted(r)
	}
	rep := &stepReporter{result: &r, live: live}
	writes := &dialect.StepWrites{}
	tx := db.WithContext(dialect.WithStepWrites(dialect.WithReporter(ctx, rep), writes))
	g := gormigrate.New(tx, &gormigrate.Options{
		TableName:    MigrationsTable,
		IDColumnName: "id",
		IDColumnSize: 255,
	}, []*gormigrate.Migration{a.step.Migration()})
	start := time.Now()
	var err error
	if a.up {
		err = g.MigrateTo(a.step.ID)
	} else {
		err = g.RollbackMigration(a.step.Migration())
	}
	if err == nil && a.up {
		err = recordChecksum(tx, a.step)
	}
	// A step that changed only the schema cannot have broken a reference.
	if err == nil && writes.WroteRows() {
		err = d.target.Dialect.CheckStep(tx)
	}
	r.Duration = time.Since(start)
	if err != nil {
		verb := "apply"
		if !a.up {
			verb = "roll back"
		}
		return r, fmt.Errorf("%s step %s (%s): %w", verb, a.step.ID, a.step.Name, err)
	}
	return r, nil
}

type stepReporter struct {
	result *StepResult
	live   Reporter
}

func (s *stepReporter) Notice(msg string) {
	s.result.Notices = append(s.result.Notices, msg)
	if s.live != nil {
		s.live.Notice(*s.result, msg)
	}
}

func (s *stepReporter) Progress(done, total int64) {
	if s.live != nil {
		s.live.Progress(*s.result, done, total)
	}
}

// readApplied reads schema_migrations as it is: each recorded ID and when
// it was applied. A missing table means nothing is applied.
func readApplied(db *gorm.DB) (map[string]time.Time, error) {
	applied := map[string]time.Time{}
	if !db.Migrator().HasTable(MigrationsTable) {
		return applied, nil
	}
	rows, err := db.Raw("SELECT id, applied_at FROM " + MigrationsTable).Rows()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
		}
		applied[id] = at.UTC()
	}
	return applied, rows.Err()
}

func unknownIDs(applied map[string]time.Time, chain []migrations.Step) []string {
	var unknown []string
	for id := range applied {
		if !slices.ContainsFunc(chain, func(s migrations.Step) bool { return s.ID == id }) {
			unknown = append(unknown, id)
		}
	}
	return sortStrings(unknown)
}

// readState reads schema_migrations and checks it against the chain: no
// revision the chain does not know, and the applied steps form a prefix.
func readState(db *gorm.DB, chain []migrations.Step) (state, error) {
	applied, err := readApplied(db)
	if err != nil {
		return state{}, err
	}
	st := state{appliedAt: applied}
	if unknown := unknownIDs(applied, chain); len(unknown) > 0 {
		return st, unknownRevisionError(unknown)
	}
	for i, s := range chain {
		if _, ok := applied[s.ID]; !ok {
			break
		}
		st.applied = i + 1
	}
	for _, s := range chain[st.applied:] {
		if _, ok := applied[s.ID]; ok {
			return st, outOfOrderError(chain[st.applied], s)
		}
	}
	return st, nil
}

// outOfOrderError: the chain puts missing before applied, yet the database
// has applied only the later one. Usually missing was added to the chain
// before a step that had already run (a branch merged below the head).
func outOfOrderError(missing, applied migrations.Step) error {
	return fmt.Errorf("out of order: step %s (%s) comes before step %s (%s) in the chain, but this database has applied %s and not %s, so %s was added below a step that had already run; "+
		"move it after the newest applied step (set its Revises to the last applied revision, and restore the Revises of the step that now revises it), "+
		"or, if its change is already in the schema, record the real state with `schema stamp REV`",
		missing.ID, missing.Name, applied.ID, applied.Name, applied.ID, missing.ID, missing.ID)
}
