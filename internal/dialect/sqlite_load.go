package dialect

import (
	"context"
	"database/sql"
)

// SQLite checks foreign keys per connection: the load's turns them off,
// and the copy checks every key once the rows are in.
func (sqliteDialect) loadSession(ctx context.Context, conn *sql.Conn) (func(context.Context) error, error) {
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		_, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON")
		return err
	}, nil
}

func (sqliteDialect) dropsForeignKeysToLoad() bool { return false }

// SQLite cannot drop a foreign key short of rebuilding its table; the
// load turns the checks off instead (loadSession).
func (sqliteDialect) dropForeignKeySQL(string, string) string { return "" }

// limits: a SQLite column holds any value.
func (sqliteDialect) limits() Limits { return Limits{} }

// loadBatch: SQLite binds at most 32766 values per statement; one
// transaction per batch, written with multi-row INSERTs.
func (d sqliteDialect) loadBatch(ctx context.Context, conn *sql.Conn, table string, cols []Column, rows [][]any, also func(Exec) error) error {
	return insertBatch(ctx, d, conn, table, cols, rows, also, 32766, 64<<20)
}
