// Package transfer is schema copy: it moves a whole database, at the
// revision it is at, to another server or dialect, and proves the move.
//
// The source is only read. Its tables are known from the chain's declared
// shapes at the source's revision (db.ShapesAt), so every column travels
// by its logical type: a value is read through the source's driver,
// normalized (value.go), checked against what the target can hold, and
// written through the target's bulk path (dialect.Loader). A copy runs in
// phases:
//
//  1. checks, nothing written: the source's revision, the target's state
//     (empty, or at that revision with empty tables, or a copy of the same
//     source to resume), then a scan of every source row for values the
//     target cannot hold and keys that point nowhere. Found rows refuse the
//     copy, by table and key, unless the user chose a fix.
//  2. load: the target is brought to the revision by the chain, then each
//     table is read in key order, a batch per key-range query, and written
//     a batch per transaction together with the bookkeeping (BookTable)
//     that lets a rerun continue after the last committed key.
//  3. finish: foreign keys checked (PostgreSQL: added back), the records
//     tables copied.
//  4. verify: row counts and an order-independent digest of every column
//     of every table on both sides, the records, and the drift check.
package transfer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
)

// Options say what to copy where, and what to do with rows the target
// cannot hold.
type Options struct {
	From, To string
	// Fixes allowed to values the target cannot hold as they are.
	Fixes Fixes
	// SkipFile, if set, leaves out the rows that still cannot go (and
	// applies their children's ON DELETE rule), writing each to this
	// file as a JSON line; unset, such rows refuse the copy.
	SkipFile string
	// Reporter hears about phases and progress; nil for none.
	Reporter Reporter
	// BatchRows and BatchBytes bound one batch (defaults 5000 rows, 4 MB).
	BatchRows, BatchBytes int
	// Workers is how many tables load at once (default 2; a SQLite target
	// takes one writer at a time anyway).
	Workers int
}

// Reporter hears a copy as it goes.
type Reporter interface {
	Phase(name string)
	Progress(p Progress)
}

// Progress is one table's progress.
type Progress struct {
	Phase   string        `json:"phase"` // "load" or "verify"
	Table   string        `json:"table"`
	Done    int64         `json:"done"`
	Total   int64         `json:"total"`
	Elapsed time.Duration `json:"-"`
	// Finished marks the table's last report.
	Finished bool `json:"finished"`
}

// Summary is what a copy or a verification did and found.
type Summary struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	Revision string `json:"revision"`
	// Resumed says a previous, interrupted copy's tables were kept.
	Resumed bool           `json:"resumed"`
	Tables  []TableSummary `json:"tables"`
	// Fixed counts the rows each choice touched: strip-nul,
	// replace-bad-utf8, skipped, set-null.
	Fixed    map[string]int64 `json:"fixed,omitempty"`
	SkipFile string           `json:"skip_file,omitempty"`
	// Verified: every table matched, the records match, and the target
	// has no drift.
	Verified      bool            `json:"verified"`
	Differences   []string        `json:"differences,omitempty"`
	Drift         []db.Difference `json:"drift,omitempty"`
	RecordsMatch  bool            `json:"records_match"`
	CopySeconds   float64         `json:"copy_seconds"`
	VerifySeconds float64         `json:"verify_seconds"`
	// PhaseSeconds times the copy's phases: checks, scan, schema, load,
	// finish (keys and records), verify.
	PhaseSeconds map[string]float64 `json:"phase_seconds,omitempty"`
}

// TableSummary is one table's outcome.
type TableSummary struct {
	Name string `json:"name"`
	// Copied is how many rows this run wrote (0 for a table an
	// interrupted copy had finished).
	Copied     int64  `json:"copied"`
	SourceRows int64  `json:"source_rows"`
	TargetRows int64  `json:"target_rows"`
	Digest     string `json:"digest"`
	Match      bool   `json:"match"`
	// Columns lists the columns whose content differs.
	Columns []string `json:"differing_columns,omitempty"`
}

// ErrRefused means the copy did not start: the source or the target is
// not in a state a copy can start from. Nothing was written.
var ErrRefused = errors.New("copy refused")

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
}

// ErrMismatch means the verification found a difference.
var ErrMismatch = errors.New("the target does not match the source")

// MismatchError says what differed.
type MismatchError struct{ Summary Summary }

func (e *MismatchError) Unwrap() error { return ErrMismatch }
func (e *MismatchError) Error() string {
	var parts []string
	parts = append(parts, e.Summary.Differences...)
	for _, d := range e.Summary.Drift {
		parts = append(parts, "drift: "+d.String())
	}
	return fmt.Sprintf("%v: %s; if something wrote to the source during the copy, stop it and copy again into a new, empty database", ErrMismatch, strings.Join(parts, "; "))
}

func (o Options) withDefaults() Options {
	if o.BatchRows <= 0 {
		o.BatchRows = 5000
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 4 << 20
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	return o
}

type nopReporter struct{}

func (nopReporter) Phase(string)      {}
func (nopReporter) Progress(Progress) {}

// session is one copy or verification: both databases and what is known
// of them.
type session struct {
	opt      Options
	src, tgt *db.Database
	sd, td   dialect.Dialect
	rev      string
	tables   []*table
	rep      Reporter
}

func open(ctx context.Context, opt Options) (*session, error) {
	opt = opt.withDefaults()
	s := &session{opt: opt, rep: opt.Reporter}
	if s.rep == nil {
		s.rep = nopReporter{}
	}
	if opt.From == "" || opt.To == "" {
		return nil, refused("give both the source (--from) and the target (--to)")
	}
	var err error
	if s.src, err = db.OpenReadOnly(ctx, opt.From); err != nil {
		return nil, fmt.Errorf("open the source: %w", err)
	}
	if s.tgt, err = db.Open(ctx, opt.To); err != nil {
		s.src.Close()
		return nil, fmt.Errorf("open the target: %w", err)
	}
	if s.src.String() == s.tgt.String() {
		s.close()
		return nil, refused("the source and the target are the same database (%s)", s.src)
	}
	if s.sd, err = dialect.Of(s.src.DB); err == nil {
		s.td, err = dialect.Of(s.tgt.DB)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *session) close() {
	s.src.Close()
	s.tgt.Close()
}

// sourceRevision is the revision the source is at, from this tool's
// records: an Alembic-only or unrecorded database is refused with what
// to run first, never guessed.
func (s *session) sourceRevision(ctx context.Context) error {
	st, err := s.src.Status(ctx)
	if err != nil {
		return fmt.Errorf("read the source's records: %w", err)
	}
	switch {
	case st.Current == "" && st.Alembic != nil && *st.Alembic != "":
		return refused("the source %s was migrated by Open WebUI's Alembic migrations (alembic_version is at %s) and has no record of this tool; run `schema adopt --database-url <source>` first (it writes only the records), then copy", s.src, *st.Alembic)
	case len(st.UnrecordedTables) > 0:
		return refused("the source %s has %s; run `schema adopt --database-url <source>` first", s.src, st.UnrecordedSummary())
	case st.Unfinished != nil:
		return refused("the source %s has leftovers of the unfinished step %s; run `schema up` on it to finish the step, then copy", s.src, st.Unfinished.ID)
	case st.Current == "":
		return refused("the source %s has no revision of this schema recorded: there is nothing to copy", s.src)
	}
	s.rev = st.Current
	// The records are copied at the end: a damaged records table is
	// named now, before anything is written.
	if _, err := s.src.Records(ctx); err != nil {
		return fmt.Errorf("read the source's records: %w", err)
	}
	shapes, err := db.ShapesAt(ctx, s.rev)
	if err != nil {
		return err
	}
	for _, sh := range shapes {
		t, err := newTable(sh, shapes)
		if err != nil {
			return err
		}
		s.tables = append(s.tables, t)
	}
	return s.sourceColumns(ctx)
}

// sourceColumns refuses a source whose tables have columns its revision
// does not declare (added by hand, or by another tool): the copy moves
// the revision's columns, and would silently leave those behind.
func (s *session) sourceColumns(ctx context.Context) error {
	live, err := snapshot.Take(ctx, s.src.DB)
	if err != nil {
		return fmt.Errorf("inspect the source: %w", err)
	}
	var extra []string
	for _, t := range s.tables {
		lt, ok := live.Table(t.name())
		if !ok {
			return refused("the source %s has no table %s, which revision %s has; run `schema verify --database-url <source>` to see how it differs", s.src, t.name(), s.rev)
		}
		for _, c := range lt.Columns {
			if _, ok := t.shape.Column(c.Name); !ok {
				extra = append(extra, t.name()+"."+c.Name)
			}
		}
	}
	if len(extra) > 0 {
		return refused("the source %s has column(s) %s that revision %s does not have, and a copy would leave them behind; move their data elsewhere or drop them, then copy", s.src, strings.Join(extra, ", "), s.rev)
	}
	return nil
}

func (s *session) fingerprint() string { return s.src.String() + " at " + s.rev }

func since(t time.Time) float64 { return time.Since(t).Seconds() }

// lap records the time since *t as phase's and restarts the clock.
func (s *Summary) lap(phase string, t *time.Time) {
	if s.PhaseSeconds == nil {
		s.PhaseSeconds = map[string]float64{}
	}
	s.PhaseSeconds[phase] += since(*t)
	*t = time.Now()
}
