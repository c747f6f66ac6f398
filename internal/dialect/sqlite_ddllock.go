package dialect

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// SQLite has no table locks to queue behind: the run already holds the
// database's write lock (BEGIN IMMEDIATE, waited for up to the run's lock
// timeout) before a step's first statement, and in WAL mode readers are
// never blocked by a writer. Nothing to limit, nothing to retry.

func (sqliteDialect) LimitLockWait(_ *gorm.DB, wait time.Duration) (time.Duration, func(context.Context) error, error) {
	return wait, func(context.Context) error { return nil }, nil
}
func (sqliteDialect) LimitTxLockWait(*gorm.DB, time.Duration) error        { return nil }
func (sqliteDialect) LockWaitTimedOut(error) bool                          { return false }
func (sqliteDialect) LockHolders(*gorm.DB, []string) ([]LockHolder, error) { return nil, nil }
