package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrInterrupted means a run was stopped by its context (a signal to the
// command); the error is an *InterruptedError saying where it stopped.
var ErrInterrupted = errors.New("interrupted")

// InterruptedError says what an interrupted run left: what became of the
// step in flight, and where the records say the database is.
// errors.Is(err, ErrInterrupted) holds, and so does errors.Is with the
// context's error.
type InterruptedError struct {
	Database string // the URL, password masked
	// Step is the step in flight when the run was stopped; nil when it
	// stopped between steps or while waiting for the lock.
	Step *StepResult
	// RolledBack says the step in flight's transaction was rolled back:
	// none of its work was kept. It is false on MySQL/MariaDB, where a
	// step has no transaction: its partial work stays, and the next run
	// redoes the step (steps are written to be re-run).
	RolledBack bool
	// Apart says the step in flight was an online step running apart
	// from its transaction (PostgreSQL): the transaction rolled back its
	// record, but what its statements did stays, and the next run runs
	// it again (RolledBack is false).
	Apart bool
	// Finished (MySQL/MariaDB) says the step in flight had done its work
	// and its record was already written (or, for a down, removed) when
	// the run was stopped: only the bookkeeping after it (its checksum,
	// its progress marks) was cut short, which the next run completes.
	Finished bool
	// WaitingForLock: the run was waiting for another run's lock.
	WaitingForLock bool
	// At is the revision the records show after the run stopped ("" for
	// base), if AtKnown; AtErr says why it could not be read.
	At      string
	AtKnown bool
	AtErr   error
	Cause   error
}

func (e *InterruptedError) Unwrap() []error { return []error{ErrInterrupted, e.Cause} }

func (e *InterruptedError) Error() string {
	var what string
	switch s := e.Step; {
	case s == nil && e.WaitingForLock:
		what = "interrupted while waiting for the migration lock"
	case s == nil:
		what = "interrupted between steps"
	case e.Finished && s.Direction == DirectionDown:
		what = fmt.Sprintf("interrupted: step %s (%s) had been rolled back and its record removed; only the bookkeeping after it was cut short, and the next run completes it", s.ID, s.Name)
	case e.Finished:
		what = fmt.Sprintf("interrupted: step %s (%s) had run and is recorded as applied; only the bookkeeping after it (its checksum) was cut short, and the next run completes it", s.ID, s.Name)
	case e.RolledBack && s.Direction == DirectionDown:
		what = fmt.Sprintf("interrupted: the roll-back of step %s (%s) was undone, so the step stays applied", s.ID, s.Name)
	case e.RolledBack:
		what = fmt.Sprintf("interrupted: step %s (%s) rolled back", s.ID, s.Name)
	case e.Apart && s.Direction == DirectionDown:
		what = fmt.Sprintf("interrupted: rolling back online step %s (%s) stopped partway; its statements run outside the run's transaction, so what they did stays; the step stays recorded as applied, and the next `schema down` redoes its roll-back", s.ID, s.Name)
	case e.Apart:
		what = fmt.Sprintf("interrupted: online step %s (%s) stopped partway; its statements run outside the run's transaction, so what they did stays (an index build cut short is left INVALID); the step is not recorded, and the next `schema up` runs it again, rebuilding such an index", s.ID, s.Name)
	case s.Direction == DirectionDown:
		what = fmt.Sprintf("interrupted: rolling back step %s (%s) stopped partway, and MySQL/MariaDB cannot undo that; the step stays recorded as applied, and its partial work stays until the next `schema down` redoes it", s.ID, s.Name)
	default:
		what = fmt.Sprintf("interrupted: step %s (%s) stopped partway, and MySQL/MariaDB cannot roll a step back; the step is not recorded, and its partial work stays until the next `schema up` redoes it", s.ID, s.Name)
	}
	switch {
	case e.AtKnown:
		return fmt.Sprintf("%s; database %s is at %s", what, e.Database, orBase(e.At))
	case e.AtErr != nil:
		return fmt.Sprintf("%s; where database %s stands could not be read (%v): run `schema current`", what, e.Database, e.AtErr)
	}
	return fmt.Sprintf("%s; database %s was not changed by it", what, e.Database)
}

// interrupted turns the error of a run stopped by a signal into an
// *InterruptedError naming the step in flight (nil if none) and the
// revision the records show now, read on a fresh connection with a
// context the signal did not cancel.
func (d *Database) interrupted(err error, inFlight *StepResult, transactional, apart bool) error {
	e := &InterruptedError{Database: d.String(), Cause: err}
	var waiting *InterruptedError
	if errors.As(err, &waiting) {
		e.WaitingForLock, e.Cause = waiting.WaitingForLock, waiting.Cause
	}
	if inFlight != nil {
		e.Step, e.RolledBack, e.Apart = inFlight, transactional && !apart, apart
		e.WaitingForLock = false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.At, e.AtErr = d.Current(ctx)
	e.AtKnown = e.AtErr == nil
	if s := e.Step; s != nil && !transactional && e.AtKnown {
		// The records are the truth: a step whose record is in (or, for
		// a down, gone) did not stop partway.
		e.Finished = s.Direction == DirectionUp && e.At == s.ID || s.Direction == DirectionDown && e.At != s.ID
	}
	return e
}
