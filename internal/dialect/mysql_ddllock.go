package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// LimitLockWait sets the run session's lock_wait_timeout (metadata locks:
// what an ALTER waits for behind an open transaction that read the table)
// and innodb_lock_wait_timeout (row locks). Session settings, on the
// run's pinned connection, put back as they were by restore: steps run
// without a transaction on MySQL, so there is no transaction to scope
// them to, and no transaction pooler to lose them to. Both take whole
// seconds: the wait is rounded up, to 1 s at least.
func (mysqlDialect) LimitLockWait(conn *gorm.DB, wait time.Duration) (time.Duration, func(context.Context) error, error) {
	var mdl, row int64
	if err := conn.Raw("SELECT @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout").Row().Scan(&mdl, &row); err != nil {
		return 0, nil, fmt.Errorf("read the session's lock wait timeouts: %w", err)
	}
	secs := max(int64(math.Ceil(wait.Seconds())), 1)
	if err := conn.Exec("SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?", secs, secs).Error; err != nil {
		return 0, nil, fmt.Errorf("set the session's lock wait timeouts: %w", err)
	}
	return time.Duration(secs) * time.Second, func(ctx context.Context) error {
		return conn.WithContext(ctx).Exec("SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?", mdl, row).Error
	}, nil
}

// LimitTxLockWait: steps have no transaction on MySQL; LimitLockWait set
// the session's.
func (mysqlDialect) LimitTxLockWait(*gorm.DB, time.Duration) error { return nil }

// LockWaitTimedOut: error 1205 (ER_LOCK_WAIT_TIMEOUT), for a metadata
// lock and a row lock alike.
func (mysqlDialect) LockWaitTimedOut(err error) bool {
	var my *gomysql.MySQLError
	return errors.As(err, &my) && my.Number == 1205
}

// LockHolders lists the sessions holding tables, oldest transaction
// first: from MariaDB's METADATA_LOCK_INFO plugin when it is installed
// (the sessions that hold a metadata lock on one of tables), else the
// open InnoDB transactions of sessions using this database, which cannot
// be told apart by table (an ALTER waits for any transaction that read
// the table, and InnoDB does not say which tables a transaction read).
func (mysqlDialect) LockHolders(conn *gorm.DB, tables []string) ([]LockHolder, error) {
	const q = `SELECT p.ID, coalesce(p.USER, ''), coalesce(p.COMMAND, ''), coalesce(p.STATE, ''), coalesce(p.INFO, ''),
	coalesce(p.TIME, 0), max(TIMESTAMPDIFF(SECOND, t.trx_started, NOW())), count(t.trx_id)
FROM information_schema.PROCESSLIST p
LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
WHERE p.ID <> CONNECTION_ID() AND %s
GROUP BY p.ID, p.USER, p.COMMAND, p.STATE, p.INFO, p.TIME
ORDER BY 7 DESC, p.ID
LIMIT ?`
	byThread := map[int64][]string{}
	if len(tables) > 0 {
		// An error means the plugin is not installed: fall back.
		var mdl []struct {
			ThreadID  int64  `gorm:"column:THREAD_ID"`
			TableName string `gorm:"column:TABLE_NAME"`
		}
		if conn.Raw(`SELECT DISTINCT THREAD_ID, TABLE_NAME FROM information_schema.METADATA_LOCK_INFO
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ? AND THREAD_ID <> CONNECTION_ID()`, tables).Scan(&mdl).Error == nil {
			for _, r := range mdl {
				byThread[r.ThreadID] = append(byThread[r.ThreadID], r.TableName)
			}
		}
	}
	filter, args := "t.trx_id IS NOT NULL AND p.DB = DATABASE()", []any{}
	if len(byThread) > 0 {
		ids := make([]int64, 0, len(byThread))
		for id := range byThread {
			ids = append(ids, id)
		}
		filter, args = "p.ID IN ?", []any{ids}
	}
	rows, err := conn.Raw(fmt.Sprintf(q, filter), append(args, maxLockHolders)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("list the sessions holding locks: %w", err)
	}
	defer rows.Close()
	now := time.Now()
	var out []LockHolder
	for rows.Next() {
		var h LockHolder
		var command, state string
		var idle int64
		var txAge sql.NullInt64
		var trx int
		if err := rows.Scan(&h.Session, &h.User, &command, &state, &h.Query, &idle, &txAge, &trx); err != nil {
			return nil, fmt.Errorf("list the sessions holding locks: %w", err)
		}
		switch {
		case command == "Sleep" && trx > 0:
			h.State = "idle in transaction"
		case state != "":
			h.State = strings.ToLower(command) + ": " + state
		default:
			h.State = strings.ToLower(command)
		}
		if txAge.Valid {
			h.TxStart = now.Add(-time.Duration(txAge.Int64) * time.Second)
		}
		h.QueryStart = now.Add(-time.Duration(idle) * time.Second)
		h.Tables = byThread[h.Session]
		h.End = fmt.Sprintf("KILL %d", h.Session)
		out = append(out, h)
	}
	return out, rows.Err()
}
