package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// LimitLockWait makes no session setting (see PrepareRun): the wait is
// set in each step's transaction (LimitTxLockWait).
func (postgresDialect) LimitLockWait(_ *gorm.DB, wait time.Duration) (time.Duration, func(context.Context) error, error) {
	return max(wait, time.Millisecond), func(context.Context) error { return nil }, nil
}

// LimitTxLockWait sets lock_timeout for the rest of the step's
// transaction (SET LOCAL, through set_config, so it holds behind a
// transaction-pooling PgBouncer and ends with the transaction). It runs
// after the advisory run lock, which is taken without waiting anyway.
func (postgresDialect) LimitTxLockWait(tx *gorm.DB, wait time.Duration) error {
	ms := max(wait.Milliseconds(), 1) // 0 would mean "wait for ever"
	return tx.Exec("SELECT set_config('lock_timeout', ?, true)", fmt.Sprintf("%dms", ms)).Error
}

// LockWaitTimedOut: SQLSTATE 55P03 (lock_not_available), what a statement
// gets when lock_timeout ends its wait.
func (postgresDialect) LockWaitTimedOut(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "55P03"
}

// LockHolders lists the other sessions holding a granted lock on tables
// (in the current schema), oldest transaction first; with no tables, or
// none found on them, the sessions holding any table of this database in
// a transaction. pg_blocking_pids cannot be used: the step's wait is over
// and its transaction rolled back by now.
func (postgresDialect) LockHolders(conn *gorm.DB, tables []string) ([]LockHolder, error) {
	const q = `SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), coalesce(a.state, ''),
	a.xact_start, a.query_start, coalesce(a.query, ''), string_agg(DISTINCT c.relname, ',' ORDER BY c.relname)
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
	AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND c.relkind IN ('r', 'p') AND n.nspname = current_schema() %s
GROUP BY a.pid, a.usename, a.application_name, a.state, a.xact_start, a.query_start, a.query
ORDER BY a.xact_start NULLS LAST, a.pid
LIMIT ?`
	read := func(filter string, args ...any) ([]LockHolder, error) {
		rows, err := conn.Raw(fmt.Sprintf(q, filter), append(args, maxLockHolders)...).Rows()
		if err != nil {
			return nil, fmt.Errorf("list the sessions holding locks: %w", err)
		}
		defer rows.Close()
		var out []LockHolder
		for rows.Next() {
			var h LockHolder
			var xact, query sql.NullTime
			var tables string
			if err := rows.Scan(&h.Session, &h.User, &h.App, &h.State, &xact, &query, &h.Query, &tables); err != nil {
				return nil, fmt.Errorf("list the sessions holding locks: %w", err)
			}
			h.TxStart, h.QueryStart = xact.Time, query.Time
			h.Tables = splitNonEmpty(tables)
			h.End = fmt.Sprintf("SELECT pg_terminate_backend(%d)", h.Session)
			out = append(out, h)
		}
		return out, rows.Err()
	}
	if len(tables) > 0 {
		hs, err := read("AND c.relname IN ?", tables)
		if err != nil || len(hs) > 0 {
			return hs, err
		}
	}
	return read("AND a.xact_start IS NOT NULL")
}
