package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Reporter receives what a step wants a person to know while it runs.
type Reporter interface {
	// Notice reports data a step skipped, dropped or left untouched.
	Notice(msg string)
	// Progress reports how far a long data step has come.
	Progress(done, total int64)
}

type discard struct{}

func (discard) Notice(string)         {}
func (discard) Progress(int64, int64) {}

// Migrator is what a migration step works with: its transaction (or, on
// MySQL, its connection), the dialect, and the run's reporter.
type Migrator struct {
	DB  *gorm.DB
	D   Dialect
	rep Reporter
	run *StepRun
	// apart: the step is online and runs on the pool, outside the unit's
	// transaction (StepRun.Outside).
	apart bool
}

// wroteRows records that the step changed rows.
func (m *Migrator) wroteRows() { m.run.Writes.rows = true }

// write is called before every statement that changes the database.
func (m *Migrator) write(query string) error {
	m.run.LastWrite = query
	if m.run.Hooks.BeforeWrite != nil {
		if err := m.run.Hooks.BeforeWrite(query); err != nil {
			return err
		}
	}
	m.ranStatement(query)
	return nil
}

// NewMigrator binds tx to its dialect and to the run state in its context
// (WithStepRun). Outside a run, a migrator still honours the hooks of its
// context (WithHooks).
func NewMigrator(tx *gorm.DB) (*Migrator, error) {
	d, err := Of(tx)
	if err != nil {
		return nil, err
	}
	m := &Migrator{DB: tx, D: d, rep: discard{}}
	ctx := tx.Statement.Context
	if ctx != nil {
		m.run, _ = ctx.Value(stepRunKey{}).(*StepRun)
	}
	if m.run == nil {
		m.run = &StepRun{Hooks: HooksFrom(ctx)}
	}
	if m.run.Reporter != nil {
		m.rep = m.run.Reporter
	}
	if m.run.Online && m.run.Outside != nil && d.onlineApart() {
		if err := d.readyApart(tx); err != nil {
			return nil, err
		}
		m.DB, m.apart = m.run.Outside.WithContext(ctx), true
	}
	return m, nil
}

// Noticef reports skipped or dropped data.
func (m *Migrator) Noticef(format string, args ...any) { m.rep.Notice(fmt.Sprintf(format, args...)) }

// Progress reports a long step's progress.
func (m *Migrator) Progress(done, total int64) { m.rep.Progress(done, total) }

// Q quotes an identifier in the step's dialect.
func (m *Migrator) Q(ident string) string { return m.D.Quote(ident) }

// Exec runs one statement that may change rows; ? placeholders are
// rewritten for the dialect.
func (m *Migrator) Exec(query string, args ...any) error {
	m.wroteRows()
	defer m.track(Op{Kind: OpExec, SQL: query})()
	return m.exec(query, args...)
}

// exec runs a statement the dialect issues for a schema change.
func (m *Migrator) exec(query string, args ...any) error {
	if err := m.write(query); err != nil {
		return err
	}
	if err := m.DB.Exec(query, args...).Error; err != nil {
		return fmt.Errorf("%w (while running: %s)", err, abbreviate(query))
	}
	return nil
}

// ExecCount runs one statement and returns the rows it affected.
func (m *Migrator) ExecCount(query string, args ...any) (int64, error) {
	m.wroteRows()
	defer m.track(Op{Kind: OpExec, SQL: query})()
	if err := m.write(query); err != nil {
		return 0, err
	}
	res := m.DB.Exec(query, args...)
	if res.Error != nil {
		return 0, fmt.Errorf("%w (while running: %s)", res.Error, abbreviate(query))
	}
	return res.RowsAffected, nil
}

// Rows runs a query; the caller closes the rows.
func (m *Migrator) Rows(query string, args ...any) (*sql.Rows, error) {
	rows, err := m.DB.Raw(query, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("%w (while running: %s)", err, abbreviate(query))
	}
	return rows, nil
}

// Scan runs a query returning one row and scans it into dest.
func (m *Migrator) Scan(query string, args []any, dest ...any) error {
	rows, err := m.Rows(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("query returned no row: %s", abbreviate(query))
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// Strings runs a query returning one text column.
func (m *Migrator) Strings(query string, args ...any) ([]string, error) {
	rows, err := m.Rows(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s.String)
	}
	return out, rows.Err()
}

// CountAndSample counts the rows of a query over one text column and keeps
// the first few values, for reports of skipped data.
func (m *Migrator) CountAndSample(query string, args ...any) (int64, []string, error) {
	rows, err := m.Rows(query, args...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var n int64
	var sample []string
	for rows.Next() {
		n++
		if len(sample) < SampleSize {
			var s sql.NullString
			if err := rows.Scan(&s); err != nil {
				return 0, nil, err
			}
			sample = append(sample, s.String)
		}
	}
	return n, sample, rows.Err()
}

// SampleSize is how many example IDs a report of skipped data names.
const SampleSize = 5

// Sample formats a report's example values.
func Sample(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(quoted, ", ")
}

// CreateTable creates t with its indexes, keys and checks. Running it again
// on a table that already exists does nothing.
func (m *Migrator) CreateTable(t Table) error {
	if err := t.validate(); err != nil {
		return err
	}
	defer m.track(Op{Kind: OpCreateTable, Table: t.Name, To: &t})()
	if err := m.D.createTable(m, t); err != nil {
		return fmt.Errorf("create table %s: %w", t.Name, err)
	}
	m.run.Hooks.Shapes.record(t)
	return nil
}

// DropTable drops a table if it exists. Callers drop children first.
func (m *Migrator) DropTable(name string) error {
	m.wroteRows() // its rows go, and references to them would dangle
	defer m.track(Op{Kind: OpDropTable, Table: name})()
	if err := m.D.dropTable(m, name); err != nil {
		return fmt.Errorf("drop table %s: %w", name, err)
	}
	m.run.Hooks.Shapes.drop(name)
	return nil
}

// AlterTable takes a table from shape from to shape to, keeping its rows.
// fills give values for new columns and conversions for changed ones. On
// SQLite a change it cannot make in place rebuilds the table without firing
// the foreign-key actions of tables that reference it.
func (m *Migrator) AlterTable(from, to Table, fills ...Fill) error {
	if from.Name != to.Name {
		return fmt.Errorf("alter table: shapes name different tables (%s, %s)", from.Name, to.Name)
	}
	for _, t := range []Table{from, to} {
		if err := t.validate(); err != nil {
			return err
		}
	}
	for _, f := range fills {
		if _, ok := to.Column(f.Column); !ok {
			return fmt.Errorf("alter table %s: fill for unknown column %s", to.Name, f.Column)
		}
	}
	defer m.track(Op{Kind: OpAlterTable, Table: to.Name, From: &from, To: &to, Fills: fills, Diff: DiffShapes(from, to)})()
	if err := m.D.alterTable(m, from, to, fills); err != nil {
		return fmt.Errorf("alter table %s: %w", to.Name, err)
	}
	m.run.Hooks.Shapes.record(to)
	return nil
}

// UpdateFromValues sets cols of table from rows, matching on key. Each row
// holds the key value then one value per column. It is one statement per
// call; callers pass batches.
func (m *Migrator) UpdateFromValues(table string, key Column, cols []Column, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if len(r) != len(cols)+1 {
			return fmt.Errorf("update %s: row has %d values, want %d", table, len(r), len(cols)+1)
		}
	}
	defer m.track(Op{Kind: OpUpdate, Table: table})()
	return m.D.updateFromValues(m, table, key, cols, rows)
}

// InsertRows inserts rows into table in one statement, resolving key
// conflicts as c says.
func (m *Migrator) InsertRows(table string, cols []Column, rows [][]any, c Conflict) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if len(r) != len(cols) {
			return fmt.Errorf("insert into %s: row has %d values, want %d", table, len(r), len(cols))
		}
	}
	defer m.track(Op{Kind: OpInsert, Table: table})()
	return m.D.insertRows(m, table, cols, rows, c)
}

// flat lists the rows' values in order, for a statement with one
// placeholder per value.
func flat(rows [][]any) []any {
	out := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// execNative runs a statement that changes rows with the driver's own
// placeholders ($1...) and arguments, bypassing GORM, which would expand a
// slice argument into a list.
func (m *Migrator) execNative(query string, args ...any) error {
	m.wroteRows()
	if err := m.write(query); err != nil {
		return err
	}
	ctx := m.DB.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := m.DB.Statement.ConnPool.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%w (while running: %s)", err, abbreviate(query))
	}
	return nil
}

// Atomic runs fn so that its statements commit together. Inside a step
// transaction that is already so; on MySQL, where steps run without one,
// fn gets its own transaction, which is what makes a batch re-runnable.
func (m *Migrator) Atomic(fn func(*Migrator) error) error {
	if m.apart { // an online step runs outside the unit's transaction
		return m.D.apartTx(m, fn)
	}
	if m.D.RunMode() != NoTransactions {
		return fn(m)
	}
	return m.DB.Transaction(func(tx *gorm.DB) error {
		return fn(&Migrator{DB: tx, D: m.D, rep: m.rep, run: m.run})
	})
}

// CreateMigrationsTable creates the runner's record table if it is missing.
func (m *Migrator) CreateMigrationsTable(name string) error {
	return m.D.createMigrationsTable(m, name)
}

func abbreviate(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 160 {
		return q[:157] + "..."
	}
	return q
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// BatchSize is how many rows a keyed batch covers: large enough that the
// per-statement cost vanishes, small enough to keep memory flat.
const BatchSize = 5000

// Batches walks table in key order, batchSize rows at a time, and calls fn
// with each batch's key range: rows with key > after (nil for the first
// batch) and key <= upTo. Each call commits together (see Atomic), so an
// interrupted walk can be run again. Progress is reported per batch.
func (m *Migrator) Batches(table, key string, batchSize int, fn func(m *Migrator, after *string, upTo string) error) error {
	if batchSize <= 0 {
		batchSize = BatchSize
	}
	defer m.track(Op{Kind: OpBatches, Table: table})()
	var total int64
	if err := m.Scan("SELECT count(*) FROM "+m.Q(table), nil, &total); err != nil {
		return err
	}
	var after *string
	var done int64
	for {
		q := fmt.Sprintf("SELECT %[1]s FROM %[2]s ORDER BY %[1]s LIMIT %[3]d", m.Q(key), m.Q(table), batchSize)
		var args []any
		if after != nil {
			q = fmt.Sprintf("SELECT %[1]s FROM %[2]s WHERE %[1]s > ? ORDER BY %[1]s LIMIT %[3]d", m.Q(key), m.Q(table), batchSize)
			args = append(args, *after)
		}
		keys, err := m.Strings(q, args...)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return nil
		}
		upTo := keys[len(keys)-1]
		if err := m.Atomic(func(m *Migrator) error { return fn(m, after, upTo) }); err != nil {
			return err
		}
		done += int64(len(keys))
		m.Progress(done, total)
		after = &upTo
	}
}

// KeyRange renders the WHERE condition for a batch from Batches.
func (m *Migrator) KeyRange(key string, after *string, upTo string) (string, []any) {
	if after == nil {
		return m.Q(key) + " <= ?", []any{upTo}
	}
	return m.Q(key) + " > ? AND " + m.Q(key) + " <= ?", []any{*after, upTo}
}

// TableExists reports whether table exists where db's unqualified names
// resolve. Unlike GORM's HasTable, which takes a failed query for "no", it
// returns the query's error: a catalog read that a signal cancelled, or
// that a broken connection failed, must never be taken for an absent
// table (no records, so nothing applied; no journal, so no leftovers).
func TableExists(db *gorm.DB, table string) (bool, error) {
	tables, err := db.Migrator().GetTables()
	if err != nil {
		return false, fmt.Errorf("list the tables: %w", err)
	}
	return slices.Contains(tables, table), nil
}
