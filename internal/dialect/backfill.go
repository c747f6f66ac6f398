package dialect

import (
	"context"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"
)

// Backfill is a data change over every row of a table (or those Where
// selects), run by Migrator.Backfill in keyed batches.
type Backfill struct {
	// Table is the table to update; Key a column of it whose values are
	// unique and ordered (its primary key, or a unique indexed column):
	// the walk reads the next batch's keys by it.
	Table, Key string
	// Set is the UPDATE's SQL assignments, e.g. "score = 0" or an
	// expression over the row: "title_lower = lower(title)".
	Set string
	// Where, if set, is an extra condition on the rows to update, e.g.
	// "score IS NULL"; a condition that excludes rows already done makes
	// a re-run cheap and keeps values the application wrote since.
	Where string
	// Args are the values of the ? placeholders of Set, then of Where.
	Args []any
	// BatchRows is how many keys a batch covers (BatchSize if 0).
	BatchRows int
	// RowsPerSecond, if above 0, caps the walk's average rate: it sleeps
	// after a batch that came in ahead of it.
	RowsPerSecond float64
	// Pause is a sleep between batches, leaving the server (and its
	// replicas) room for the application.
	Pause time.Duration
	// Name is the point the progress journal keeps the last committed key
	// under, unique in the step; if empty, one made of Table and a hash
	// of Key, Set and Where.
	Name string
}

// countBelow is the catalog's row estimate under which a backfill counts
// the rows for its progress total instead: cheap, and exact.
const countBelow = 1000000

// Backfill updates b.Table in batches of keys, one UPDATE per batch
// (never a statement per row, never the table in memory), reporting
// progress with each batch. Where the step allows it, each batch commits
// on its own, so locks on the table's rows last one batch, not the walk:
// on MySQL/MariaDB (steps without a transaction) and in an Online step on
// PostgreSQL (apart from the unit's transaction). There the progress
// journal keeps the last committed key, written in the batch's
// transaction, and a run after a crash (or a signal, which stops the walk
// between batches) goes on after it; the runner clears it once the step
// is recorded. Rows the application inserts below that key meanwhile are
// not revisited: a backfill that must reach them runs again without a
// journal point, or covers them with Where.
//
// In a step that is one transaction (PostgreSQL not Online, SQLite) the
// batches run inside it: nothing commits until the step does, and a crash
// leaves nothing. Mixed there with DDL, whose locks are then held until
// the whole backfill commits, it is what `schema lint` reports as TX501:
// put the backfill in a step of its own, or make the step Online.
func (m *Migrator) Backfill(b Backfill) error {
	return m.backfill(b, true)
}

// backfill is Backfill; resume false walks from the first key whatever
// the journal holds (a fill of added columns, whose Where finds rows the
// application inserted below the last key since).
func (m *Migrator) backfill(b Backfill, resume bool) error {
	if b.Table == "" || b.Key == "" || b.Set == "" {
		return fmt.Errorf("backfill: Table, Key and Set are required (got table %q, key %q, set %q)", b.Table, b.Key, b.Set)
	}
	if b.BatchRows <= 0 {
		b.BatchRows = BatchSize
	}
	if b.Name == "" {
		// Two backfills of a table in one step must not share a point.
		b.Name = fmt.Sprintf("backfill %s %08x", b.Table, crc32.ChecksumIEEE([]byte(b.Key+"\x00"+b.Set+"\x00"+b.Where)))
	}
	if len(b.Name) > 200 {
		return fmt.Errorf("backfill %s: Name %q is longer than 200 characters (the journal keeps points of up to 255)", b.Table, b.Name)
	}
	t, k := m.Q(b.Table), m.Q(b.Key)
	cond := ""
	if b.Where != "" {
		cond = "(" + b.Where + ") AND "
	}
	update := "UPDATE " + t + " SET " + b.Set + " WHERE " + cond
	m.wroteRows()
	defer m.track(Op{Kind: OpBackfill, Table: b.Table, SQL: update + k + " > ? AND " + k + " <= ?"})()
	fail := func(err error) error { return fmt.Errorf("backfill %s (%s): %w", b.Table, b.Name, err) }

	// Where batches commit on their own, the journal keeps the last one's
	// key; elsewhere the step's transaction makes the walk all or nothing.
	journal := m.journaled() && resume
	var after any
	if journal {
		if err := m.Checkpoint(b.Name); err != nil {
			return fail(err)
		}
		var err error
		if after, err = m.lastKey(b); err != nil {
			return fail(err)
		}
	}
	total, err := m.estimateRows(b.Table)
	if err != nil {
		return fail(err)
	}
	var done int64
	if after != nil { // resumed: count what the crashed run did
		if err := m.Scan("SELECT count(*) FROM "+t+" WHERE "+k+" <= ?", []any{after}, &done); err != nil {
			return fail(err)
		}
	}
	ctx := m.DB.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	start, walked := time.Now(), int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return fail(fmt.Errorf("stopped between batches, after key %v: %w", orStart(after), err))
		}
		keys, err := m.nextKeys(b, after)
		if err != nil {
			return fail(err)
		}
		if len(keys) == 0 {
			return nil
		}
		upTo := keys[len(keys)-1]
		q, args := update+k+" <= ?", append(append([]any{}, b.Args...), upTo)
		if after != nil {
			q, args = update+k+" > ? AND "+k+" <= ?", append(append([]any{}, b.Args...), after, upTo)
		}
		err = m.Atomic(func(tx *Migrator) error {
			if err := tx.exec(q, args...); err != nil {
				return err
			}
			if !journal {
				return nil
			}
			return tx.exec("UPDATE "+m.Q(ProgressTable)+" SET last_key = ? WHERE id = ? AND direction = ? AND point = ?",
				fmt.Sprint(upTo), m.run.Step.ID, m.run.Step.Direction(), b.Name)
		})
		if err != nil {
			return fail(fmt.Errorf("batch after key %v up to %v: %w", orStart(after), upTo, err))
		}
		after = upTo
		done += int64(len(keys))
		walked += int64(len(keys))
		total = max(total, done)
		m.Progress(done, total)
		last := len(keys) < b.BatchRows
		var wait time.Duration
		if !last {
			wait = b.Pause
		}
		if b.RowsPerSecond > 0 {
			due := time.Duration(float64(walked) / b.RowsPerSecond * float64(time.Second))
			wait = max(wait, due-time.Since(start))
		}
		if err := sleep(ctx, wait); err != nil {
			return fail(fmt.Errorf("stopped between batches, after key %v: %w", upTo, err))
		}
		if last {
			return nil
		}
	}
}

// OpBackfill is a Migrator.Backfill call.
const OpBackfill OpKind = "backfill"

func orStart(after any) any {
	if after == nil {
		return "(start)"
	}
	return after
}

// nextKeys reads the keys of the batch after after (nil: the first).
func (m *Migrator) nextKeys(b Backfill, after any) ([]any, error) {
	t, k := m.Q(b.Table), m.Q(b.Key)
	q, args := fmt.Sprintf("SELECT %s FROM %s ORDER BY %s LIMIT %d", k, t, k, b.BatchRows), []any(nil)
	if after != nil {
		q, args = fmt.Sprintf("SELECT %s FROM %s WHERE %s > ? ORDER BY %s LIMIT %d", k, t, k, k, b.BatchRows), []any{after}
	}
	rows, err := m.Rows(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []any
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		// MySQL returns text as bytes, which would compare byte for byte
		// rather than in the column's collation.
		if bs, ok := v.([]byte); ok {
			v = string(bs)
		}
		if v == nil {
			return nil, fmt.Errorf("key column %s of %s holds NULL: a backfill walks a unique, NOT NULL key", b.Key, b.Table)
		}
		keys = append(keys, v)
	}
	return keys, rows.Err()
}

// lastKey is the key the journal holds for b (nil if none), in the type
// the key column's values scan to, so that it compares as they do.
func (m *Migrator) lastKey(b Backfill) (any, error) {
	var last *string
	if err := m.Scan("SELECT last_key FROM "+m.Q(ProgressTable)+" WHERE id = ? AND direction = ? AND point = ?",
		[]any{m.run.Step.ID, m.run.Step.Direction(), b.Name}, &last); err != nil {
		return nil, fmt.Errorf("read the last committed key from %s: %w", ProgressTable, err)
	}
	if last == nil {
		return nil, nil
	}
	first, err := m.nextKeys(Backfill{Table: b.Table, Key: b.Key, BatchRows: 1}, nil)
	if err != nil || len(first) == 0 {
		return nil, err
	}
	switch first[0].(type) {
	case int64, int32:
		n, err := strconv.ParseInt(*last, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("the last committed key %q in %s is not an integer, as %s.%s is: %w", *last, ProgressTable, b.Table, b.Key, err)
		}
		return n, nil
	}
	return *last, nil
}

// estimateRows is the progress total: the catalog's estimate for a large
// table, else a count.
func (m *Migrator) estimateRows(table string) (int64, error) {
	if m.D.server() {
		if sizes, err := m.D.TableSizes(m.DB); err == nil && sizes[table].Rows >= countBelow {
			return sizes[table].Rows, nil
		}
	}
	var n int64
	if err := m.Scan("SELECT count(*) FROM "+m.Q(table), nil, &n); err != nil {
		return 0, err
	}
	return n, nil
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fillAdded fills the columns an online AlterTable added, the rows not
// filled yet (a re-run must not reset values the application wrote
// since), in batches that commit on their own (Backfill), so that no
// statement holds the table's rows for the whole fill. run runs the one
// statement a table without a single-column key is filled by. The walk
// goes twice: rows the application inserted meanwhile below the walk's
// key (random text keys) are filled by the second, whose batches find
// little to do; none resumes from a journal, for the same reason.
func (m *Migrator) fillAdded(to Table, fills []Fill, run func(stmt string) error) error {
	sets := make([]string, len(fills))
	for i, f := range fills {
		sets[i] = m.Q(f.Column) + " = " + f.Expr
	}
	where := joinOr(unfilledOf(m.D, fills))
	m.wroteRows()
	if len(to.PrimaryKey) != 1 {
		return run(fillSQL(m.D, to.Name, fills) + " WHERE " + where)
	}
	b := Backfill{Table: to.Name, Key: to.PrimaryKey[0], Set: strings.Join(sets, ", "), Where: where, Name: "fill " + to.Name}
	for range 2 {
		if err := m.backfill(b, false); err != nil {
			return err
		}
	}
	return nil
}

// unfilledOf is the condition of a row some fill has not written yet.
func unfilledOf(d Dialect, fills []Fill) []string {
	out := make([]string, len(fills))
	for i, f := range fills {
		out[i] = d.Quote(f.Column) + " IS NULL"
	}
	return out
}
