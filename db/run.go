package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/runchain"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// ErrDownRefused means a rollback would reach a step that refuses to roll
// back; the run found out before rolling anything back.
var ErrDownRefused = errors.New("a step refuses to roll back")

// Up applies pending steps up to and including target ("" or "head" for
// the newest).
func (d *Database) Up(ctx context.Context, target string, opt Options) (Result, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return Result{}, err
	}
	end := len(chain)
	// A chain attached by runchain (tests of code that runs steps with
	// the runner) replaces the real one; the scratch it runs on is new,
	// so the table guard, which knows the real chain, is passed over.
	other, isOther := runchain.From(ctx)
	if isOther {
		chain, end = other, len(other)
		ctx = context.WithValue(ctx, learningTables{}, true)
	}
	if target != "" {
		id := target
		if !isOther {
			id, err = Revision("up --to", target, false)
		}
		if err != nil {
			return Result{}, err
		}
		i, err := indexOf(chain, id)
		if err != nil {
			return Result{}, err
		}
		end = i + 1
	}
	res, err := d.run(ctx, opt, chain, func(st state) (goal, error) {
		if end < st.applied {
			return goal{}, fmt.Errorf("revision %s is already applied (the database is at %s); use down --to %s to go back", target, st.current(chain), target)
		}
		return goal{up: true, target: end}, nil
	})
	return res, d.scrub(err)
}

// Down rolls back applied steps, newest first.
func (d *Database) Down(ctx context.Context, req DownRequest, opt Options) (Result, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return Result{}, err
	}
	if err := req.Check(); err != nil {
		return Result{}, err
	}
	if req.To != "" {
		id, err := Revision("--to", req.To, true)
		if err != nil {
			return Result{}, err
		}
		if id == "" { // base
			req = DownRequest{All: true}
		}
		req.To = id
	}
	res, err := d.run(ctx, opt, chain, func(st state) (goal, error) {
		keep := st.applied - 1 // one step by default
		switch {
		case st.applied == 0:
			keep = 0 // nothing to roll back, however it was asked
		case req.All:
			keep = 0
		case req.Steps > st.applied:
			return goal{}, fmt.Errorf("down --steps %d: only %d step(s) are applied (the database is at %s), so nothing was rolled back; to roll back every applied step, use --all",
				req.Steps, st.applied, st.current(chain))
		case req.Steps > 0:
			keep = st.applied - req.Steps
		case req.To != "":
			i, err := indexOf(chain, req.To)
			if err != nil {
				return goal{}, err
			}
			if i >= st.applied {
				return goal{}, fmt.Errorf("revision %s is not applied (the database is at %s); use up --to %s to go forward", req.To, st.current(chain), req.To)
			}
			keep = i + 1
		}
		return goal{target: keep}, nil
	})
	return res, d.scrub(err)
}

// run is one up or down: a loop of locked units (see session.unit), each
// of which reads what is applied and does the next step toward the goal.
// On PostgreSQL and SQLite a unit is a transaction of its own, so a step
// is committed before it is reported and before the next one starts, and
// the lock is free between steps: another run may do the next step, and
// this one then finds it done and goes on from there.
type run struct {
	d     *Database
	s     *session
	opt   Options
	chain []migrations.Step
	plan  func(state) (goal, error)

	goal        *goal // set by the first unit
	first       bool  // the unit running is the run's first
	keepAlembic bool  // alembic_version exists: keep it at the current revision
	accepted    []ChangedStep
	inFlight    *StepResult // the step whose unit is running
	res         Result

	ddl       ddlLocks // lock waits of the steps' statements (ddllock.go)
	lockTable string   // the table the last lock wait was on
	lockNote  string   // the step's lock waits, for its result
}

// run applies the steps toward the goal plan sets from the first state
// read under the lock.
func (d *Database) run(ctx context.Context, opt Options, chain []migrations.Step, plan func(state) (goal, error)) (Result, error) {
	timeout, err := opt.lockTimeout()
	if err != nil {
		return Result{}, err
	}
	r := &run{d: d, opt: opt, chain: chain, plan: plan, first: true}
	if r.ddl, err = opt.ddlLocks(d.target.Run); err != nil {
		return Result{}, err
	}
	err = d.withSession(ctx, timeout, func(s *session) error {
		r.s = s
		restore, err := r.limitLockWaits()
		if err != nil {
			return err
		}
		defer restore()
		for {
			if ctx.Err() != nil {
				return ctx.Err() // between steps
			}
			done, err := r.step()
			if err != nil || done {
				return err
			}
		}
	})
	if err != nil && ctx.Err() != nil {
		err = d.interrupted(err, r.inFlight, d.target.Dialect.RunMode() == dialect.StepTransactions, r.inFlightApart())
	}
	return r.res, err
}

// inFlightApart reports whether the step in flight is an online step
// that runs apart from its unit's transaction, which then rolls back
// only its record.
func (r *run) inFlightApart() bool {
	if r.inFlight == nil {
		return false
	}
	i, err := indexOf(r.chain, r.inFlight.ID)
	return err == nil && r.apart(r.chain[i])
}

// apart reports whether s runs apart from its unit's transaction.
func (r *run) apart(s migrations.Step) bool {
	return s.Online && dialect.RunsOnlineApart(r.d.target.Dialect)
}

// step runs one unit: it reads where the database is and does the next
// step toward the goal, if any (done is true when there was none). The
// step counts as done once its unit has committed.
func (r *run) step() (done bool, err error) {
	var did *StepResult
	var to string
	later := false
	err = r.retryLockWaits(func(db *gorm.DB) error {
		did, r.accepted = nil, nil
		st, err := r.prepare(db)
		if err != nil {
			return err
		}
		planned := r.goal == nil
		a, err := r.choose(db, st)
		if err != nil {
			return err
		}
		to = revisionAt(r.chain, st.applied)
		if a == nil {
			return nil
		}
		// The CheckDowns read tables in this transaction, which keeps
		// their locks until it ends, and an online step running apart
		// would wait for them (DROP INDEX CONCURRENTLY) for ever: it
		// gets the next unit.
		if planned && !a.up && r.apart(a.step) {
			later = true
			return nil
		}
		r.inFlight = &StepResult{ID: a.step.ID, Name: a.step.Name, Direction: direction(a.up)}
		sr, err := r.apply(db, *a)
		if err != nil {
			return err
		}
		did, to = &sr, a.revisionAfter()
		return nil
	})
	r.first = false
	if err != nil {
		return false, err
	}
	r.inFlight = nil
	r.res.Accepted = append(r.res.Accepted, r.accepted...)
	r.res.To = to
	if did == nil {
		return !later, nil
	}
	if r.lockNote != "" {
		did.Notices = append([]string{r.lockNote}, did.Notices...)
	}
	r.res.Steps = append(r.res.Steps, *did)
	if rep, ok := r.opt.Reporter.(StepDoneReporter); ok {
		rep.StepDone(*did)
	}
	return false, nil
}

// prepare runs first in every unit, under the lock: the pre-run checks,
// then the records (created if missing, in the first unit) and their
// checksums; it returns what is applied. Every unit repeats it, since on PostgreSQL and SQLite
// the lock is free between steps and another run may have moved the
// database meanwhile (on MySQL the lock is held for the whole run and
// each unit finds what the previous one left).
//
// PRE-RUN CHECKS go at the marked place: guards that refuse a database
// before anything is created, and conversions that must precede any step.
// They see db under the lock (in the unit's transaction where there is
// one), must be idempotent, and may use r.first to do a thing once per
// run.
func (r *run) prepare(db *gorm.DB) (state, error) {
	chain := r.chain
	// --- pre-run checks ---
	var err error
	// A database schema copy is writing into holds part of its rows;
	// migrating it (or starting an application on it) would build on
	// them.
	if r.first {
		if copying, err := dialect.TableExists(db, CopyTable); err != nil || copying {
			if err == nil {
				err = fmt.Errorf("%w: schema copy is writing into %s (its %s table is there); run the same copy command again to finish it, or, to give the copy up, drop this database", ErrCopyInProgress, r.d, CopyTable)
			}
			return state{}, err
		}
	}
	// Before anything is created: an Alembic database this tool has no
	// record of is refused untouched.
	if r.keepAlembic, err = r.d.alembicGuard(db, chain); err != nil {
		return state{}, err
	}
	// Nor may a step take over tables it did not create.
	if err := r.d.tableGuard(db, chain); err != nil {
		return state{}, err
	}
	// Last, once per run: the chain's tables take its collation (MySQL).
	if r.first {
		if err := r.d.target.Dialect.MatchCollation(db, chainTables(db.Statement.Context)); err != nil {
			return state{}, fmt.Errorf("convert the tables to the chain's collation: %w", err)
		}
	}
	// --- end of pre-run checks ---
	// Once per run: the records table, once there, stays. (A statement
	// in every unit would also shift the write counts that the crash
	// tests inject crashes by.)
	records := recordsOf(db)
	if r.first {
		if err := records.ensure(); err != nil {
			return state{}, err
		}
	}
	st, err := records.state(chain)
	if err != nil {
		return state{}, err
	}
	if r.accepted, err = checkChecksums(db, chain, st, r.opt.AcceptChanged); err != nil {
		return state{}, err
	}
	return st, nil
}

// choose returns the next step toward the goal (nil when it is reached).
// The first unit sets the goal, and before a rollback changes anything
// checks that no step it will undo refuses.
func (r *run) choose(db *gorm.DB, st state) (*action, error) {
	if r.goal == nil {
		g, err := r.plan(st)
		if err != nil {
			return nil, err
		}
		r.res.From, r.res.To = revisionAt(r.chain, st.applied), revisionAt(r.chain, st.applied)
		if !g.up {
			if err := r.checkDowns(db, st.applied, g.target); err != nil {
				return nil, err
			}
		}
		r.goal = &g
	}
	switch {
	case r.goal.up && st.applied < r.goal.target:
		return &action{step: r.chain[st.applied], up: true}, nil
	case !r.goal.up && st.applied > r.goal.target:
		return &action{step: r.chain[st.applied-1]}, nil
	}
	return nil, nil
}

// checkDowns runs the CheckDown of every step a rollback from
// chain[:applied] to chain[:target] will undo, newest first, and refuses
// the rollback, naming every refusing step, if any would refuse.
func (r *run) checkDowns(db *gorm.DB, applied, target int) error {
	m, err := dialect.NewMigrator(db)
	if err != nil {
		return err
	}
	var refusals []string
	for i := applied - 1; i >= target; i-- {
		s := r.chain[i]
		if s.CheckDown == nil {
			continue
		}
		if err := s.CheckDown(m); err != nil {
			if r.s.ctx.Err() != nil {
				return err
			}
			refusals = append(refusals, fmt.Sprintf("step %s (%s): %v", s.ID, s.Name, err))
		}
	}
	to := orBase(revisionAt(r.chain, target))
	switch len(refusals) {
	case 0:
		return nil
	case 1:
		step, reason, _ := strings.Cut(refusals[0], ": ")
		return &downRefusedError{fmt.Sprintf("rolling back to %s would reach %s, which refuses to roll back: %s; nothing was rolled back", to, step, reason)}
	}
	return &downRefusedError{fmt.Sprintf("rolling back to %s would reach %d steps that refuse to roll back: %s; nothing was rolled back", to, len(refusals), strings.Join(refusals, "; "))}
}

// downRefusedError is a rollback refused before it started; errors.Is
// with ErrDownRefused holds.
type downRefusedError struct{ msg string }

func (e *downRefusedError) Error() string { return e.msg }
func (e *downRefusedError) Unwrap() error { return ErrDownRefused }

// apply runs one step and keeps alembic_version in step with it.
func (r *run) apply(db *gorm.DB, a action) (StepResult, error) {
	res, err := r.d.applyStep(r.s.ctx, db, a, r.opt.Reporter, r.s.ddlWait)
	if err != nil {
		return res, err
	}
	if r.keepAlembic {
		if err := recordsOf(db).setAlembic(a.revisionAfter()); err != nil {
			return res, err
		}
	}
	return res, nil
}

// applyStep runs one step through gormigrate, which records it, then lets
// the dialect check what the step left behind. ctx is the run's: a signal
// cancels the step's statements.
func (d *Database) applyStep(ctx context.Context, db *gorm.DB, a action, live Reporter, lockWait time.Duration) (StepResult, error) {
	r := StepResult{ID: a.step.ID, Name: a.step.Name, Direction: direction(a.up)}
	if live != nil {
		live.StepStarted(r)
	}
	rep := &stepReporter{result: &r, live: live}
	// MySQL: the step is marked started in its progress journal, so that
	// its leftovers are known as such if it is interrupted.
	ref, err := recordsOf(db.WithContext(ctx)).startStep(dialect.StepRef{ID: a.step.ID, Up: a.up})
	if err != nil {
		return r, fmt.Errorf("step %s (%s): %w", a.step.ID, a.step.Name, err)
	}
	// An online step may run its statements on the pool, apart from the
	// unit (dialect.StepRun.Outside); the unit still records it.
	run := &dialect.StepRun{Reporter: rep, Step: ref, Hooks: dialect.HooksFrom(ctx),
		Online: a.step.Online, Outside: d.DB.WithContext(ctx), LockWait: lockWait}
	tx := db.WithContext(dialect.WithStepRun(ctx, run))
	g := gormigrate.New(tx, &gormigrate.Options{
		TableName:    MigrationsTable,
		IDColumnName: "id",
		IDColumnSize: 255,
	}, []*gormigrate.Migration{a.step.Migration()})
	start := time.Now()
	if a.up {
		err = g.MigrateTo(a.step.ID)
	} else {
		err = g.RollbackMigration(a.step.Migration())
	}
	if err == nil {
		err = recordsOf(tx).finishStep(d.target.Dialect.RunMode(), a)
	}
	// A step that changed only the schema cannot have broken a reference.
	if err == nil && run.Writes.WroteRows() {
		err = d.target.Dialect.CheckStep(tx)
	}
	r.Duration = time.Since(start)
	if err != nil {
		verb := "apply"
		if !a.up {
			verb = "roll back"
		}
		return r, fmt.Errorf("%s step %s (%s): %w", verb, a.step.ID, a.step.Name, lockWaitOn(d.target.Dialect, err, run))
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

// OpenAndMigrate opens rawURL and applies every pending step: the one call
// a backend makes at start-up.
func OpenAndMigrate(ctx context.Context, rawURL string) (*gorm.DB, error) {
	d, err := Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if _, err := d.Up(ctx, "", Options{}); err != nil {
		d.Close()
		return nil, err
	}
	return d.DB, nil
}
