// Package migtest is the harness for migration step tests: a fresh database
// of one dialect brought to a given revision, fixture helpers that work on
// every dialect, and schema snapshots to compare before and after.
package migtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// DB is a test database and the runner that migrates it.
type DB struct {
	T       testing.TB
	Dialect string
	Runner  *db.Database
	G       *gorm.DB
	d       dialect.Dialect
}

// New returns a fresh, empty database of the dialect.
func New(t testing.TB, dialectName string) *DB {
	t.Helper()
	return Open(t, dialectName, testdb.URL(t, dialectName))
}

// Open returns the database at url, of the dialect, closed when the test
// ends; for tests that also hand the URL to the schema command.
func Open(t testing.TB, dialectName, url string) *DB {
	t.Helper()
	r, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", dialectName, err)
	}
	t.Cleanup(func() { r.Close() })
	d, err := dialect.Of(r.DB)
	if err != nil {
		t.Fatal(err)
	}
	return &DB{T: t, Dialect: dialectName, Runner: r, G: r.DB, d: d}
}

// At returns a fresh database migrated up to and including rev.
func At(t testing.TB, dialectName, rev string) *DB {
	t.Helper()
	d := New(t, dialectName)
	if rev != "" {
		d.UpTo(rev)
	}
	return d
}

// Before returns a fresh database at the revision before rev, ready for a
// test of step rev.
func Before(t testing.TB, dialectName, rev string) *DB {
	t.Helper()
	return At(t, dialectName, Previous(t, rev))
}

// Previous is the revision step rev revises ("" for the first).
func Previous(t testing.TB, rev string) string {
	t.Helper()
	return Step(t, rev).Revises
}

// UpTo applies steps up to rev and fails the test on error.
func (d *DB) UpTo(rev string) db.Result {
	d.T.Helper()
	res, err := d.Runner.Up(context.Background(), rev, db.Options{})
	if err != nil {
		d.T.Fatalf("up to %s on %s: %v", rev, d.Dialect, err)
	}
	return res
}

// Up applies the next step and returns its notices.
func (d *DB) Up() []string {
	d.T.Helper()
	res, err := d.UpErr()
	if err != nil {
		d.T.Fatalf("up on %s: %v", d.Dialect, err)
	}
	return notices(res)
}

// UpErr applies the next step.
func (d *DB) UpErr() (db.Result, error) {
	d.T.Helper()
	st, err := d.Runner.Status(context.Background())
	if err != nil {
		d.T.Fatal(err)
	}
	for _, s := range st.Steps {
		if !s.Applied {
			return d.Runner.Up(context.Background(), s.ID, db.Options{})
		}
	}
	d.T.Fatal("no pending step")
	return db.Result{}, nil
}

// Down rolls back the newest step and returns its notices.
func (d *DB) Down() []string {
	d.T.Helper()
	res, err := d.DownErr()
	if err != nil {
		d.T.Fatalf("down on %s: %v", d.Dialect, err)
	}
	return notices(res)
}

// DownErr rolls back the newest step.
func (d *DB) DownErr() (db.Result, error) {
	return d.Runner.Down(context.Background(), db.DownRequest{}, db.Options{})
}

// Current is the applied revision.
func (d *DB) Current() string {
	d.T.Helper()
	c, err := d.Runner.Current(context.Background())
	if err != nil {
		d.T.Fatal(err)
	}
	return c
}

func notices(r db.Result) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Notices...)
	}
	return out
}

// Snapshot inspects the schema.
func (d *DB) Snapshot() *snapshot.Snapshot {
	d.T.Helper()
	s, err := snapshot.Take(context.Background(), d.G)
	if err != nil {
		d.T.Fatal(err)
	}
	return s
}

// RequireSameSchema fails if the two snapshots differ, listing how.
func RequireSameSchema(t testing.TB, want, got *snapshot.Snapshot, wantName, gotName string) {
	t.Helper()
	if diffs := snapshot.Compare(want, got, wantName, gotName); len(diffs) > 0 {
		var b strings.Builder
		for _, d := range diffs {
			b.WriteString("\n  " + d.String())
		}
		t.Fatalf("schemas differ:%s", b.String())
	}
}

// Q quotes an identifier for the dialect.
func (d *DB) Q(ident string) string { return d.d.Quote(ident) }

// SQL fragments of the dialect, for assertions that need them.
func (d *DB) Dialector() dialect.Dialect { return d.d }

// Exec runs a statement (? placeholders) and fails the test on error.
func (d *DB) Exec(query string, args ...any) {
	d.T.Helper()
	if err := d.G.Exec(query, args...).Error; err != nil {
		d.T.Fatalf("exec %q: %v", query, err)
	}
}

// Insert adds rows to table; each row maps column names to values.
func (d *DB) Insert(table string, rows ...map[string]any) {
	d.T.Helper()
	for _, r := range rows {
		q, args := d.insertSQL(table, r)
		d.Exec(q, args...)
	}
}

// Refused fails the test unless the database refuses to insert row into
// table; what says what the row tries, for the message.
func (d *DB) Refused(what, table string, row map[string]any) {
	d.T.Helper()
	q, args := d.insertSQL(table, row)
	if err := d.G.Exec(q, args...).Error; err == nil {
		d.T.Fatalf("%s: %s accepted %v into %s", what, d.Dialect, row, table)
	}
}

func (d *DB) insertSQL(table string, r map[string]any) (string, []any) {
	cols := make([]string, 0, len(r))
	for c := range r {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	quoted := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		quoted[i] = d.Q(c)
		args[i] = r[c]
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", d.Q(table), strings.Join(quoted, ", "),
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")), args
}

// Rows returns every row of a query as strings (NULL as "<nil>"), for
// comparing table contents across dialects.
func (d *DB) Rows(query string, args ...any) [][]string {
	d.T.Helper()
	rows, err := d.G.Raw(query, args...).Rows()
	if err != nil {
		d.T.Fatalf("query %q: %v", query, err)
	}
	_, vals := NullStrings(d.T, fmt.Sprintf("scan %q", query), rows)
	out := make([][]string, len(vals))
	for r, row := range vals {
		out[r] = make([]string, len(row))
		for i, v := range row {
			out[r][i] = "<nil>"
			if v.Valid {
				out[r][i] = v.String
			}
		}
	}
	return out
}

// NullStrings reads every row of rows as text, NULL kept apart from ”,
// and closes rows; what names the read in a failure.
func NullStrings(t testing.TB, what string, rows *sql.Rows) (cols []string, out [][]sql.NullString) {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return cols, out
}

// String returns a single value (NULL as "<nil>").
func (d *DB) String(query string, args ...any) string {
	d.T.Helper()
	rows := d.Rows(query, args...)
	if len(rows) != 1 || len(rows[0]) != 1 {
		d.T.Fatalf("query %q returned %d rows, want one value", query, len(rows))
	}
	return rows[0][0]
}

// Count returns the number of rows of a table.
func (d *DB) Count(table string) int {
	d.T.Helper()
	var n int64
	if err := d.G.Table(table).Count(&n).Error; err != nil {
		d.T.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

// JSONEqual fails unless two JSON texts hold the same value; PostgreSQL
// and MySQL rewrite JSON (key order, spacing), so texts are not compared.
func JSONEqual(t testing.TB, want, got string) {
	t.Helper()
	if !SameJSON(want, got) {
		t.Fatalf("JSON differs:\n want %s\n  got %s", want, got)
	}
}

// SameJSON reports whether two JSON texts hold the same value.
func SameJSON(a, b string) bool {
	ca, errA := CanonicalJSON(a)
	cb, errB := CanonicalJSON(b)
	return errA == nil && errB == nil && ca == cb
}

// CanonicalJSON re-encodes a JSON text with sorted keys and no spacing.
func CanonicalJSON(s string) (string, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// Bool reads a boolean column value as any dialect returns it.
func Bool(t testing.TB, s string) bool {
	t.Helper()
	switch strings.ToLower(s) {
	case "1", "true", "t":
		return true
	case "0", "false", "f":
		return false
	}
	t.Fatalf("%q is not a boolean", s)
	return false
}

// Dump reads every application table in full, as sorted lines of
// normalised values (JSON canonical, booleans true/false, times in UTC), so
// two states of a database can be compared across dialects.
func (d *DB) Dump() map[string][]string {
	d.T.Helper()
	return d.DumpOf(d.Snapshot())
}

// DumpOf is Dump of the tables of snap, a snapshot of the database just
// taken: for a caller that needs both.
func (d *DB) DumpOf(snap *snapshot.Snapshot) map[string][]string {
	d.T.Helper()
	out := map[string][]string{}
	for _, t := range snap.Tables {
		kinds := map[string]string{}
		for _, c := range t.Columns {
			kinds[c.Name] = valueKind(c.Type)
		}
		rows, err := d.G.Raw("SELECT * FROM " + d.Q(t.Name)).Rows()
		if err != nil {
			d.T.Fatalf("dump %s: %v", t.Name, err)
		}
		cols, vals := NullStrings(d.T, "dump "+t.Name, rows)
		var lines []string
		for _, row := range vals {
			fields := make([]string, len(cols))
			for i, c := range cols {
				fields[i] = c + "=" + normalise(d.T, kinds[c], row[i])
			}
			slices.Sort(fields)
			lines = append(lines, strings.Join(fields, " "))
		}
		slices.Sort(lines)
		out[t.Name] = lines
	}
	return out
}

func valueKind(sqlType string) string {
	switch {
	case strings.Contains(sqlType, "json"):
		return "json"
	case sqlType == "boolean" || sqlType == "bool" || sqlType == "numeric" || sqlType == "tinyint(1)":
		return "bool"
	case strings.Contains(sqlType, "time"):
		return "time"
	}
	return "text"
}

func normalise(t testing.TB, kind string, v sql.NullString) string {
	if !v.Valid {
		return "NULL"
	}
	switch kind {
	case "json":
		if c, err := CanonicalJSON(v.String); err == nil {
			return c
		}
	case "bool":
		return fmt.Sprint(Bool(t, v.String))
	case "time":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
			if ts, err := time.Parse(layout, v.String); err == nil {
				return ts.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return fmt.Sprintf("%q", v.String)
}

// RequireSameData fails if two dumps differ, showing the first differences.
func RequireSameData(t testing.TB, want, got map[string][]string, wantName, gotName string) {
	t.Helper()
	var diffs []string
	tables := map[string]bool{}
	for k := range want {
		tables[k] = true
	}
	for k := range got {
		tables[k] = true
	}
	for table := range tables {
		w, g := want[table], got[table]
		for _, line := range w {
			if !slices.Contains(g, line) {
				diffs = append(diffs, fmt.Sprintf("%s: only in %s: %s", table, wantName, line))
			}
		}
		for _, line := range g {
			if !slices.Contains(w, line) {
				diffs = append(diffs, fmt.Sprintf("%s: only in %s: %s", table, gotName, line))
			}
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		if len(diffs) > 20 {
			diffs = append(diffs[:20], "...")
		}
		t.Fatalf("table contents differ:\n  %s", strings.Join(diffs, "\n  "))
	}
}

// RunStep runs one direction of a step the way the runner does where DDL is
// not transactional (straight on a connection, and unrecorded), crashing
// before its (after+1)-th write when after >= 0. It returns how many writes
// the step made and its error: crash.ErrInjected when it crashed.
func (d *DB) RunStep(fn func(*dialect.Migrator) error, after int) (int, error) {
	d.T.Helper()
	plan := &crash.Plan{After: after}
	m, err := dialect.NewMigrator(d.G.WithContext(crash.With(context.Background(), plan)))
	if err != nil {
		d.T.Fatal(err)
	}
	err = fn(m)
	return plan.Seen, err
}

// RunStepOf is RunStep for one direction of step s, as the runner runs it:
// marked started in the progress journal (MySQL) and with the step named,
// so that its checkpoints are kept. Like RunStep it records nothing.
func (d *DB) RunStepOf(s migrations.Step, up bool, after int) (int, error) {
	d.T.Helper()
	ref, err := dialect.JournalStarted(d.G, dialect.StepRef{ID: s.ID, Up: up})
	if err != nil {
		d.T.Fatal(err)
	}
	plan := &crash.Plan{After: after}
	run := &dialect.StepRun{Step: ref, Hooks: dialect.HooksFrom(crash.With(context.Background(), plan))}
	m, err := dialect.NewMigrator(d.G.WithContext(dialect.WithStepRun(context.Background(), run)))
	if err != nil {
		d.T.Fatal(err)
	}
	fn := s.Down
	if up {
		fn = s.Up
	}
	err = fn(m)
	return plan.Seen, err
}

// Step returns the chain's step rev.
func Step(t testing.TB, rev string) migrations.Step {
	t.Helper()
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range chain {
		if s.ID == rev {
			return s
		}
	}
	t.Fatalf("unknown revision %s", rev)
	return migrations.Step{}
}
