package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MySQL checks foreign keys per session unless told not to: the load's
// session does not, and the copy checks every key once the rows are in.
func (mysqlDialect) loadSession(ctx context.Context, conn *sql.Conn) (func(context.Context) error, error) {
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		_, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 1")
		return err
	}, nil
}

func (mysqlDialect) dropsForeignKeysToLoad() bool { return false }

func (d mysqlDialect) dropForeignKeySQL(table, name string) string {
	return fmt.Sprintf("ALTER TABLE %s DROP FOREIGN KEY %s", d.Quote(table), d.Quote(name))
}

// limits: utf8mb4 text must be valid UTF-8 (strict mode refuses the rest),
// varchar(255) counts characters, datetime(6) spans the years 1000 to 9999,
// and MariaDB's JSON refuses nesting deeper than 31 levels.
func (mysqlDialect) limits() Limits {
	return Limits{
		UTF8: true, KeyChars: 255, JSONParsed: true, JSONMaxDepth: 31, SmallIntRange: true, TimeMicros: true,
		MinTime: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
		MaxTime: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	}
}

// loadBatch: multi-row INSERTs of at most 65535 bound values, kept well
// under the server's max_allowed_packet (16 MB by default on MariaDB).
func (d mysqlDialect) loadBatch(ctx context.Context, conn *sql.Conn, table string, cols []Column, rows [][]any, also func(Exec) error) error {
	return insertBatch(ctx, d, conn, table, cols, rows, also, 65535, 4<<20)
}
