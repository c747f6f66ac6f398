package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// ErrLockTimeout means a run gave up waiting for the migration lock; the
// error is a *LockTimeoutError.
var ErrLockTimeout = errors.New("timed out waiting for the migration lock")

// LockTimeoutError: another run held the migration lock for longer than
// this run's lock timeout. errors.Is(err, ErrLockTimeout) holds.
type LockTimeoutError struct {
	Database string // the URL, password masked
	Waited   time.Duration
}

func (e *LockTimeoutError) Unwrap() error { return ErrLockTimeout }

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("database %s is locked by another migration run (a schema command, or a backend migrating at start-up): gave up after waiting %s for the lock; let that run finish and try again, or wait longer with --lock-timeout",
		e.Database, e.Waited)
}

// session is a run's pinned connection, prepared for the run, holding the
// session lock on dialects that have one (MySQL/MariaDB).
type session struct {
	d       *Database
	ctx     context.Context // the caller's: a signal cancels it, and the steps' statements with it
	safe    context.Context // the same, never cancelled: begin, commit, rollback, release
	conn    *gorm.DB
	timeout time.Duration
	ddlWait time.Duration // a run's lock wait per statement (ddllock.go); 0 outside runs
}

// withSession runs fn on a pinned connection, prepared by the dialect
// and, where the dialect has one, holding the session lock. One
// connection, because SQLite's foreign-key setting and MySQL's lock belong
// to it. What puts the connection back (the dialect's settings, the lock)
// runs even when ctx is cancelled.
func (d *Database) withSession(ctx context.Context, timeout time.Duration, fn func(s *session) error) error {
	dl := d.target.Dialect
	safe := context.WithoutCancel(ctx)
	return d.DB.WithContext(ctx).Connection(func(pinned *gorm.DB) error {
		// A session, so each statement starts from a clean state on the
		// pinned connection instead of piling onto the previous one.
		conn := pinned.Session(&gorm.Session{})
		finish, err := dl.PrepareRun(conn, timeout)
		if err != nil {
			return fmt.Errorf("prepare the connection: %w", err)
		}
		defer finish(safe)
		s := &session{d: d, ctx: ctx, safe: safe, conn: conn, timeout: timeout}
		var release func(context.Context) error
		if err := s.acquire(func(time.Duration) error {
			release, err = dl.LockSession(ctx, conn, MigrationsTable)
			return err
		}); err != nil {
			return err
		}
		// A release that fails (the connection broke) frees the lock too:
		// it goes with the session.
		defer release(safe)
		return fn(s)
	})
}

// Pauses between attempts at a busy lock: short at first, so a lock
// freed between two steps is taken at once, then longer.
const (
	firstLockPause = 10 * time.Millisecond
	maxLockPause   = 200 * time.Millisecond
	// lockSlice bounds one attempt that waits inside the database
	// (SQLite's busy timeout), so that a signal is heard while waiting.
	lockSlice = 250 * time.Millisecond
)

// acquire calls try until it stops returning dialect.ErrLockBusy, for at
// most the lock timeout, pausing between attempts. try gets how long it
// may wait itself. A signal while waiting ends the wait.
func (s *session) acquire(try func(wait time.Duration) error) error {
	start := time.Now()
	pause := firstLockPause
	for {
		left := s.timeout - time.Since(start)
		attempt := time.Now()
		err := try(min(max(left, 0), lockSlice))
		if !errors.Is(err, dialect.ErrLockBusy) {
			return err
		}
		if s.ctx.Err() != nil {
			return &InterruptedError{Database: s.d.String(), WaitingForLock: true, Cause: s.ctx.Err()}
		}
		left = s.timeout - time.Since(start)
		if left <= 0 {
			return &LockTimeoutError{Database: s.d.String(), Waited: s.timeout}
		}
		if p := min(pause-time.Since(attempt), left); p > 0 {
			select {
			case <-s.ctx.Done():
				return &InterruptedError{Database: s.d.String(), WaitingForLock: true, Cause: s.ctx.Err()}
			case <-time.After(p):
			}
		}
		pause = min(2*pause, maxLockPause)
	}
}

// unit runs fn under the migration lock. On StepTransactions dialects
// (PostgreSQL, SQLite) it is a transaction of its own that takes the lock
// first and holds it until it ends: committed when fn succeeds, rolled
// back when it fails. On MySQL/MariaDB the session lock is already held
// and fn runs on the connection. fn's statements use the caller's context,
// so a signal cancels them; begin, commit and rollback use one that is
// never cancelled, so that a commit is not lost to a signal that came
// after the step's work was done, and a rollback is not skipped.
func (s *session) unit(fn func(db *gorm.DB) error) error {
	dl := s.d.target.Dialect
	if dl.RunMode() != dialect.StepTransactions {
		return fn(s.conn.WithContext(s.ctx))
	}
	var tx *gorm.DB
	if err := s.acquire(func(wait time.Duration) error {
		var err error
		tx, err = dl.BeginLocked(s.safe, s.conn, MigrationsTable, wait)
		return err
	}); err != nil {
		return err
	}
	if err := s.limitTxLockWait(tx); err != nil {
		return err
	}
	if err := fn(tx.WithContext(s.ctx)); err != nil {
		rbErr := tx.Rollback().Error
		// An interrupted statement may have ended the transaction already
		// (SQLite rolls back on an interrupt): either way nothing commits.
		if rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && s.ctx.Err() == nil {
			return errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit().Error; err != nil {
		return fmt.Errorf("commit: %w; the step is not recorded and the next run runs it again (an online step keeps the statements it finished, which the re-run repeats harmlessly; any other step kept nothing)", err)
	}
	return nil
}

// locked runs fn holding the migration lock: in a transaction of its own
// that took the lock on PostgreSQL and SQLite (fn's own Transaction calls
// nest in it as savepoints), on the pinned connection holding the session
// lock on MySQL/MariaDB.
func (d *Database) locked(ctx context.Context, opt Options, fn func(conn *gorm.DB) error) error {
	timeout, err := opt.lockTimeout()
	if err != nil {
		return err
	}
	return d.withSession(ctx, timeout, func(s *session) error { return s.unit(fn) })
}
