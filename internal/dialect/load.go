package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// What schema copy needs from a target database: its bulk load path, the
// session it loads in, and which values it cannot hold as they are.

// Exec runs one bookkeeping statement inside a batch's transaction; the
// query uses ? placeholders on every dialect.
type Exec func(ctx context.Context, query string, args ...any) error

// Loader writes rows into one table of a copy's target, a batch at a time.
// Each batch is one transaction, together with the caller's bookkeeping,
// so that what the bookkeeping says was copied is exactly what was.
type Loader struct {
	d     Dialect
	conn  *sql.Conn
	table string
	cols  []Column
}

// NewLoader loads into table of the database conn belongs to. conn must
// have been readied by LoadSession. Row values are nil, string (key,
// text, JSON), int64, bool or time.Time (UTC), in the order of cols.
func NewLoader(d Dialect, conn *sql.Conn, table string, cols []Column) *Loader {
	return &Loader{d: d, conn: conn, table: table, cols: cols}
}

// Load writes rows and runs also's statements in the same transaction.
func (l *Loader) Load(ctx context.Context, rows [][]any, also func(Exec) error) error {
	if err := l.d.loadBatch(ctx, l.conn, l.table, l.cols, rows, also); err != nil {
		return fmt.Errorf("load %d rows into %s: %w", len(rows), l.table, err)
	}
	return nil
}

// LoadSession readies conn for loading rows whose foreign keys are checked
// once the load is done rather than row by row (a folder may come before
// its parent), and returns what puts the session back as it was.
func LoadSession(ctx context.Context, d Dialect, conn *sql.Conn) (restore func(context.Context) error, err error) {
	return d.loadSession(ctx, conn)
}

// DropsForeignKeysToLoad reports whether the dialect's load session cannot
// turn foreign key checks off (PostgreSQL), so the keys are dropped before
// a copy loads and added back, which validates them, once it is done.
func DropsForeignKeysToLoad(d Dialect) bool { return d.dropsForeignKeysToLoad() }

// DropForeignKey drops a foreign key if it is there.
func DropForeignKey(ctx context.Context, d Dialect, conn *sql.Conn, table, name string) error {
	q := d.dropForeignKeySQL(table, name)
	if q == "" {
		return fmt.Errorf("%s cannot drop a foreign key alone", d.Name())
	}
	_, err := conn.ExecContext(ctx, q)
	return err
}

// AddForeignKey adds f to table; the database checks every row against it.
func AddForeignKey(ctx context.Context, d Dialect, conn *sql.Conn, table string, f ForeignKey) error {
	_, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD %s", d.Quote(table), fkDef(d, f)))
	return err
}

// Limits are what a dialect's columns refuse or would change, for the
// values schema copy brings from another database (SQLite holds anything
// in any column).
type Limits struct {
	NoNUL         bool // text cannot hold a NUL byte (PostgreSQL)
	UTF8          bool // text must be valid UTF-8 (PostgreSQL; MySQL's utf8mb4)
	KeyChars      int  // most characters a key column holds; 0: no limit
	JSONParsed    bool // the JSON type refuses text that is not JSON
	JSONNoNULChar bool // the JSON type refuses \u0000 in a string (jsonb)
	JSONMaxDepth  int  // deepest nesting the JSON type takes; 0: no limit
	SmallIntRange bool // smallint is 16 bits
	TimeMicros    bool // timestamps keep microseconds, not nanoseconds
	// MinTime and MaxTime bound a timestamp; zero values: no bound.
	MinTime, MaxTime time.Time
}

// LimitsOf returns d's limits.
func LimitsOf(d Dialect) Limits { return d.limits() }

// insertBatch is the load path of the dialects without a COPY: multi-row
// INSERTs in one transaction, as few statements as the dialect's limits on
// bound values (maxVars) and statement size (maxBytes) allow.
func insertBatch(ctx context.Context, d Dialect, conn *sql.Conn, table string, cols []Column, rows [][]any, also func(Exec) error, maxVars, maxBytes int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	head := fmt.Sprintf("INSERT INTO %s (%s) VALUES ", d.Quote(table), quoteList(d, names))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	perStmt := max(1, maxVars/len(cols))
	var b strings.Builder
	args := make([]any, 0, perStmt*len(cols))
	size, n := 0, 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, b.String(), args...)
		b.Reset()
		args, size, n = args[:0], 0, 0
		return err
	}
	for _, r := range rows {
		rs := rowSize(r)
		if n > 0 && (n == perStmt || size+rs > maxBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		if n == 0 {
			b.WriteString(head)
		} else {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
		args = append(args, r...)
		size += rs
		n++
	}
	if err := flush(); err != nil {
		return err
	}
	if also != nil {
		if err := also(func(ctx context.Context, q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// rowSize is about how many bytes a row takes in a statement.
func rowSize(r []any) int {
	n := 0
	for _, v := range r {
		switch v := v.(type) {
		case string:
			n += len(v) + 8
		default:
			n += 16
		}
	}
	return n
}
