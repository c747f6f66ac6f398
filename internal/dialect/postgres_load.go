package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL cannot turn foreign key checks off without superuser rights:
// the copy drops the keys and adds them back, which checks every row.
func (postgresDialect) loadSession(context.Context, *sql.Conn) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

func (postgresDialect) dropsForeignKeysToLoad() bool { return true }

func (d postgresDialect) dropForeignKeySQL(table, name string) string {
	return fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", d.Quote(table), d.Quote(name))
}

// limits: text is UTF-8 without NUL, jsonb refuses \u0000 too, varchar(255)
// counts characters, timestamptz keeps microseconds.
func (postgresDialect) limits() Limits {
	return Limits{NoNUL: true, UTF8: true, KeyChars: 255, JSONParsed: true, JSONNoNULChar: true, SmallIntRange: true, TimeMicros: true}
}

// loadBatch: COPY in binary form through pgx, and the bookkeeping, in one
// transaction; it works through a transaction-pooling PgBouncer too.
func (d postgresDialect) loadBatch(ctx context.Context, conn *sql.Conn, table string, cols []Column, rows [][]any, also func(Exec) error) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the PostgreSQL connection is a %T, not pgx's", dc)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, names, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		if also != nil {
			if err := also(func(ctx context.Context, q string, args ...any) error {
				_, err := tx.Exec(ctx, dollarParams(q), args...)
				return err
			}); err != nil {
				return err
			}
		}
		return tx.Commit(ctx)
	})
}

// dollarParams numbers the ? placeholders of a bookkeeping statement, which
// holds no ? anywhere else.
func dollarParams(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
