package db

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// Lock waits of a step's statements (see internal/dialect/ddllock.go):
// each statement of a run waits at most the DDL lock wait for a table
// lock, so that a step stuck behind a long transaction never holds the
// table's other users in the lock queue for long; a step whose statement
// gave up is rolled back (PostgreSQL) or left to be re-run (MySQL, whose
// steps are written for that) and run again after a pause, until the
// retry budget is spent.

// ErrDDLLockTimeout means a step kept waiting for a table lock held by
// another session until its retry budget was spent; the error is a
// *DDLLockTimeoutError naming those sessions.
var ErrDDLLockTimeout = errors.New("a migration step gave up waiting for a table lock")

// Defaults of Options.DDLLockWait and Options.DDLRetryFor.
const (
	DefaultDDLLockWait = 2 * time.Second
	DefaultDDLRetryFor = 5 * time.Minute
	// NoDDLRetry as Options.DDLRetryFor fails a step at its first lock
	// wait that times out.
	NoDDLRetry time.Duration = -1
)

// Pauses between a step's attempts: doubling, with jitter, so that runs
// on several replicas do not retry in step.
const (
	firstDDLPause = 500 * time.Millisecond
	maxDDLPause   = 15 * time.Second
)

// LockWaitReporter is a Reporter that hears of a step's retries while a
// table it changes is locked as they happen, apart from its notices (the
// schema command prints them at once, and a step's notices only once it
// is done); other Reporters hear them as Notices.
type LockWaitReporter interface {
	Reporter
	LockWaiting(s StepResult, msg string)
}

// LockHolder is a session holding a table a step waited for.
type LockHolder = dialect.LockHolder

// DDLLockTimeoutError: a step's statement waited for a table lock longer
// than the DDL lock wait, every time, until the retry budget was spent.
// errors.Is(err, ErrDDLLockTimeout) holds, and so does errors.Is with the
// last statement's own error.
type DDLLockTimeoutError struct {
	Database string // the URL, password masked
	Step     *StepResult
	Table    string // "" when the statement named none
	// Holders are the other sessions holding a lock on Table (or, where
	// the database cannot tell by table, its open transactions) when the
	// run gave up; HoldersErr is why they could not be listed.
	Holders    []LockHolder
	HoldersErr error
	Attempts   int
	Waited     time.Duration // from the first wait to giving up
	LockWait   time.Duration
	RetryFor   time.Duration
	// Transactional: the step's transaction was rolled back (PostgreSQL);
	// otherwise (MySQL) the step is not recorded and a re-run finishes it.
	Transactional bool
	Cause         error
}

func (e *DDLLockTimeoutError) Unwrap() []error { return []error{ErrDDLLockTimeout, e.Cause} }

func (e *DDLLockTimeoutError) Error() string {
	var b strings.Builder
	what := "the run"
	if e.Step != nil {
		what = fmt.Sprintf("step %s (%s)", e.Step.ID, e.Step.Name)
	}
	fmt.Fprintf(&b, "database %s: %s gave up waiting for a lock on %s: %s, each statement waiting at most %s",
		e.Database, what, tableName(e.Table), attempts(e.Attempts, e.Waited), e.LockWait)
	b.WriteString("; ")
	b.WriteString(holdersText(e.Holders, e.HoldersErr))
	b.WriteString(". ")
	var ends []string
	for _, h := range e.Holders {
		ends = append(ends, h.End)
	}
	if len(ends) > 0 {
		fmt.Fprintf(&b, "End that transaction (commit or roll it back in its application, or run %s) and run again, ", strings.Join(ends, "; "))
	} else {
		b.WriteString("Run again, ")
	}
	b.WriteString("or retry for longer with --ddl-retry-for (URL option schema_ddl_retry_for); ")
	if e.Transactional {
		b.WriteString("nothing of the step was kept (its transaction rolled back)")
	} else {
		b.WriteString("the step is not recorded, and running again finishes it")
	}
	return b.String()
}

func tableName(t string) string {
	if t == "" {
		return "a table"
	}
	return "table " + t
}

func attempts(n int, waited time.Duration) string {
	if n <= 1 {
		return "tried once, without retrying"
	}
	return fmt.Sprintf("tried %d times over %s", n, waited.Round(100*time.Millisecond))
}

// holdersText names the sessions holding the table, for a message.
func holdersText(hs []LockHolder, err error) string {
	switch {
	case err != nil:
		return fmt.Sprintf("the sessions holding it could not be listed (%v)", err)
	case len(hs) == 0:
		return "no other session holds it now (it may have ended meanwhile)"
	}
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return "held by " + strings.Join(s, "; ")
}

// ddlLocks is a run's resolved lock wait and retry budget.
type ddlLocks struct {
	wait, retryFor time.Duration
}

// ddlLocks resolves the options: those given, else the URL's, else the
// defaults.
func (o Options) ddlLocks(url dialect.RunOptions) (ddlLocks, error) {
	l := ddlLocks{wait: DefaultDDLLockWait, retryFor: DefaultDDLRetryFor}
	if url.DDLLockWait > 0 {
		l.wait = url.DDLLockWait
	}
	if url.DDLRetryForGiven {
		l.retryFor = url.DDLRetryFor
	}
	switch {
	case o.DDLLockWait < 0:
		return l, fmt.Errorf("DDL lock wait %s is negative: give how long each statement may wait for a table lock, or 0 for the default (%s)", o.DDLLockWait, DefaultDDLLockWait)
	case o.DDLLockWait > 0:
		l.wait = o.DDLLockWait
	}
	switch {
	case o.DDLRetryFor == NoDDLRetry:
		l.retryFor = 0
	case o.DDLRetryFor < 0:
		return l, fmt.Errorf("DDL retry budget %s is negative: give how long a step is retried while a table is locked, 0 for the default (%s), or NoDDLRetry", o.DDLRetryFor, DefaultDDLRetryFor)
	case o.DDLRetryFor > 0:
		l.retryFor = o.DDLRetryFor
	}
	return l, nil
}

// lockWaitError marks a step's error as a lock wait that timed out, with
// the table of the statement that waited.
type lockWaitError struct {
	table string
	err   error
}

func (e *lockWaitError) Error() string { return e.err.Error() }
func (e *lockWaitError) Unwrap() error { return e.err }

// lockWaitOn marks err when it is a lock wait that timed out; the table is
// that of the step's last write.
func lockWaitOn(dl dialect.Dialect, err error, run *dialect.StepRun) error {
	if err == nil || !dl.LockWaitTimedOut(err) {
		return err
	}
	return &lockWaitError{table: dialect.StatementTable(run.LastWrite), err: err}
}

// limitLockWaits sets the run's lock wait: on the session (MySQL) now, in
// each unit's transaction (PostgreSQL) by session.unit. The returned
// func puts the session back.
func (r *run) limitLockWaits() (func(), error) {
	s := r.s
	kept, restore, err := s.d.target.Dialect.LimitLockWait(s.conn, r.ddl.wait)
	if err != nil {
		return nil, err
	}
	r.ddl.wait, s.ddlWait = kept, kept
	return func() { restore(s.safe) }, nil
}

// limitTxLockWait sets the lock wait in a unit's transaction, if the run
// has one (runs only; stamp and the like wait as ever).
func (s *session) limitTxLockWait(tx *gorm.DB) error {
	if s.ddlWait <= 0 {
		return nil
	}
	if err := s.d.target.Dialect.LimitTxLockWait(tx, s.ddlWait); err != nil {
		tx.Rollback()
		return fmt.Errorf("limit the step's lock waits: %w", err)
	}
	return nil
}

// retryLockWaits runs a unit (session.unit) and runs it again, after a
// growing pause, while it fails on a lock wait that timed out, until the
// retry budget is spent; each retry is reported as a notice. r.lockNote
// is left with a summary for the step's result when there were retries.
func (r *run) retryLockWaits(fn func(db *gorm.DB) error) error {
	dl := r.d.target.Dialect
	r.lockNote = ""
	var first time.Time
	pause := firstDDLPause
	for attempt := 1; ; attempt++ {
		err := r.s.unit(fn)
		var lw *lockWaitError
		if err == nil || r.s.ctx.Err() != nil || !dl.LockWaitTimedOut(err) {
			if err == nil && attempt > 1 {
				r.lockNote = fmt.Sprintf("waited for a lock on %s: ran %d times over %s", tableName(r.lockTable), attempt, time.Since(first).Round(100*time.Millisecond))
			}
			return err
		}
		table := ""
		if errors.As(err, &lw) {
			table = lw.table
		}
		r.lockTable = table
		if first.IsZero() {
			first = time.Now().Add(-r.ddl.wait) // when the first wait began, roughly
		}
		var tables []string
		if table != "" {
			tables = []string{table}
		}
		holders, herr := dl.LockHolders(r.s.conn.WithContext(r.s.ctx), tables)
		wait := pause/2 + rand.N(pause/2+1)
		waited := time.Since(first)
		if waited+wait > r.ddl.retryFor {
			return &DDLLockTimeoutError{
				Database: r.d.String(), Step: r.inFlight, Table: table,
				Holders: holders, HoldersErr: herr,
				Attempts: attempt, Waited: waited, LockWait: r.ddl.wait, RetryFor: r.ddl.retryFor,
				Transactional: dl.RunMode() == dialect.StepTransactions, Cause: err,
			}
		}
		if rep := r.opt.Reporter; rep != nil {
			what, s := "the run", StepResult{}
			if r.inFlight != nil {
				s = *r.inFlight
				what = fmt.Sprintf("step %s (%s)", s.ID, s.Name)
			}
			msg := fmt.Sprintf("%s: waiting for a lock on %s, %s; retry %d in %s",
				what, tableName(table), holdersText(holders, herr), attempt, wait.Round(100*time.Millisecond))
			if lw, ok := rep.(LockWaitReporter); ok {
				lw.LockWaiting(s, msg)
			} else {
				rep.Notice(s, msg)
			}
		}
		select {
		case <-r.s.ctx.Done():
			return err
		case <-time.After(wait):
		}
		pause = min(2*pause, maxDDLPause)
	}
}
