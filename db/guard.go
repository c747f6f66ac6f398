package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// ErrUnrecordedTables means the database has tables of this schema that
// its records do not account for: a database this tool has no record of
// (records table dropped or emptied, a schema made by AutoMigrate or by
// hand), or tables the chain does not have at the recorded revision.
// Steps create tables with IF NOT EXISTS, so running them would take those
// tables over as their own, record steps that never ran, and a later down
// would drop the tables with their rows. The error is an
// *UnrecordedTablesError.
var ErrUnrecordedTables = errors.New("tables this tool has no record of")

// UnrecordedTablesError refuses a run over tables no applied step created.
// errors.Is(err, ErrUnrecordedTables) holds.
type UnrecordedTablesError struct {
	Database string // the URL, password masked
	// Recorded is the revision the records name ("" for none); Records
	// says how they stand when there are none ("missing" or "empty").
	Recorded string
	Records  string
	Tables   []string // the tables found, sorted
}

func (e *UnrecordedTablesError) Unwrap() error { return ErrUnrecordedTables }

func (e *UnrecordedTablesError) Error() string {
	if e.Recorded == "" {
		return fmt.Sprintf(`database %s has %s of this schema (%s) but no record of this tool (%s is %s): its steps would run over them as if it were empty and a later down would drop them with their rows, so nothing was changed; run "schema adopt", which compares the schema with the chain at every revision and records the one it matches`,
			e.Database, countTables(len(e.Tables)), sampleTables(e.Tables), MigrationsTable, e.Records)
	}
	verb := "exist"
	if len(e.Tables) == 1 {
		verb = "exists"
	}
	return fmt.Sprintf(`database %s is recorded at %s, but %s that the chain does not have at that revision %s (%s): the step that creates them (a later step, or the down of one that dropped them) would take them over as its own and undoing it would drop them with their rows, so nothing was changed; run "schema adopt" to see which revision the schema matches, and move the tables out of the way if they are not this schema's`,
		e.Database, e.Recorded, countTables(len(e.Tables)), verb, sampleTables(e.Tables))
}

// Summary is the error's finding in a few words, for status.
func (e *UnrecordedTablesError) Summary() string {
	if e.Recorded == "" {
		return fmt.Sprintf("%s of this schema (%s), not recorded by this tool", countTables(len(e.Tables)), sampleTables(e.Tables))
	}
	return fmt.Sprintf("%s the chain does not have at %s (%s)", countTables(len(e.Tables)), e.Recorded, sampleTables(e.Tables))
}

func countTables(n int) string {
	if n == 1 {
		return "1 table"
	}
	return fmt.Sprintf("%d tables", n)
}

// sampleTables names the first few tables and counts the rest.
func sampleTables(tables []string) string {
	const shown = 5
	if len(tables) <= shown {
		return strings.Join(tables, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(tables[:shown], ", "), len(tables)-shown)
}

// tableGuard runs before a run plans anything (and before it creates the
// records table): it refuses a database with tables of this schema that no
// applied step created. Tables the chain never creates (another
// application's, PostGIS's spatial_ref_sys) are not this tool's: no step
// creates, takes over or drops them, so they are left out.
func (d *Database) tableGuard(db *gorm.DB, chain []migrations.Step) error {
	if db.Statement.Context.Value(learningTables{}) != nil {
		return nil // the run tablesByRevision makes, which the guard needs
	}
	st, err := recordsOf(db).state(chain)
	if err != nil {
		return err
	}
	e, err := d.unrecordedTables(db, chain, st)
	if err != nil || e == nil {
		return err
	}
	return e
}

// unrecordedTables finds the tables tableGuard refuses, nil if none.
//
// A database recorded at r may have exactly the chain's tables at r: a
// table of another revision would be taken over by the step that creates
// it, up (a later step) or down (the down of a step that dropped it).
// On PostgreSQL and SQLite a step is all or nothing, so that is all. On
// MySQL/MariaDB DDL commits on its own, so a crash inside a step can leave
// part of its work, and the re-run must be allowed to finish it: there
// the tables of the neighbouring revisions are accepted too (the first
// pending step's up, the newest applied step's down), provided the
// records table exists (a run creates it before any step, so a crashed
// run always leaves it). This cannot tell those leftovers from the same
// tables made by hand. The runner now marks each step started in the
// progress journal (dialect.ProgressTable), but the guard does not
// require the mark: databases interrupted by versions without the journal
// have leftovers and no mark, and must still be able to finish.
func (d *Database) unrecordedTables(db *gorm.DB, chain []migrations.Step, st state) (*UnrecordedTablesError, error) {
	ours, err := d.chainTablesIn(db, chain)
	if err != nil || len(ours) == 0 {
		return nil, err
	}
	byRev, err := tablesByRevision(chain)
	if err != nil {
		return nil, err
	}
	recordsExist, err := dialect.TableExists(db, MigrationsTable)
	if err != nil {
		return nil, err
	}
	partial := d.target.Dialect.RunMode() == dialect.NoTransactions && recordsExist
	found := unaccounted(ours, byRev, st.applied, partial)
	if len(found) == 0 {
		return nil, nil
	}
	e := &UnrecordedTablesError{Database: d.String(), Recorded: revisionAt(chain, st.applied), Tables: found}
	if e.Recorded == "" {
		// With no record at all, every table of this schema is the news.
		e.Tables, e.Records = ours, "missing"
		if recordsExist {
			e.Records = "empty"
		}
	}
	slices.Sort(e.Tables)
	return e, nil
}

// unaccounted lists the tables of ours that the chain does not have at
// revision applied (byRev as tablesByRevision gives it). With partial,
// the tables of the neighbouring revisions pass too: a step interrupted
// where DDL commits on its own leaves part of its work.
func unaccounted(ours []string, byRev [][]string, applied int, partial bool) []string {
	allowed := byRev[applied]
	if partial {
		lo, hi := max(applied-1, 0), min(applied+1, len(byRev)-1)
		allowed = slices.Concat(byRev[lo : hi+1]...)
	}
	return slices.DeleteFunc(slices.Clone(ours), func(t string) bool { return containsFold(allowed, t) })
}

// chainTablesIn lists the tables of db that the chain creates at some
// revision.
func (d *Database) chainTablesIn(db *gorm.DB, chain []migrations.Step) ([]string, error) {
	live, err := schemaTables(db)
	if err != nil || len(live) == 0 {
		return nil, err // an empty database needs no chain to be read
	}
	byRev, err := tablesByRevision(chain)
	if err != nil {
		return nil, err
	}
	known := slices.Concat(byRev...)
	has := d.tableNamed(db)
	return slices.DeleteFunc(live, func(t string) bool { return !has(known, t) }), nil
}

// tableNamed is how db tells whether a list names a table: without case
// where the database folds table names (SQLite, MySQL with
// lower_case_table_names), exactly elsewhere. Folding everywhere took a
// PostgreSQL database shared with another application's "User" and
// "Chat" for this schema's user and chat, and refused it for ever.
func (d *Database) tableNamed(db *gorm.DB) func(list []string, name string) bool {
	if d.target.Dialect.FoldsTableNames(db) {
		return containsFold
	}
	return slices.Contains[[]string]
}

// ownTables is live without the tables that are not this schema's: those
// no revision of the chain has. The guard leaves such tables out, and so
// must adopt: an Open WebUI database upgraded from before Alembic keeps
// peewee's migratehistory, PostGIS adds spatial_ref_sys, a shared
// database has another application's tables, and none of them is this
// tool's to match or to drop.
func (d *Database) ownTables(db *gorm.DB, chain []migrations.Step, live *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	byRev, err := tablesByRevision(chain)
	if err != nil {
		return nil, err
	}
	known := slices.Concat(byRev...)
	has := d.tableNamed(db)
	own := *live
	own.Tables = slices.DeleteFunc(slices.Clone(live.Tables), func(t snapshot.Table) bool { return !has(known, t.Name) })
	return &own, nil
}

// containsFold: SQLite compares table names without case, so "User" is
// taken for "user"; the other dialects are held to the same, safer rule.
func containsFold(list []string, name string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) })
}

// schemaTables lists the database's tables, leaving out the bookkeeping
// tables (records, alembic_version).
func schemaTables(db *gorm.DB) ([]string, error) {
	tables, err := db.Migrator().GetTables()
	if err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	return slices.DeleteFunc(tables, func(t string) bool { return containsFold(snapshot.Bookkeeping, t) }), nil
}

// revisionTables caches tablesByRevision for one chain (tests may register
// steps, so the chain's IDs are the key).
var revisionTables struct {
	mu    sync.Mutex
	key   string
	byRev [][]string
}

// tablesByRevision lists the tables the chain has after each step:
// byRev[i] after the first i steps (byRev[0], base, is empty). It runs the
// chain once on an in-memory SQLite database with a shape recorder, which
// knows each table as the steps declared it (HeadShapes checks at HEAD
// that the recorder misses nothing), and notes the tables as each step
// starts. Work tables a step creates and drops again are not listed.
func tablesByRevision(chain []migrations.Step) ([][]string, error) {
	ids := make([]string, len(chain))
	for i, s := range chain {
		ids[i] = s.ID
	}
	key := strings.Join(ids, ",")
	revisionTables.mu.Lock()
	defer revisionTables.mu.Unlock()
	if revisionTables.key == key {
		return revisionTables.byRev, nil
	}
	// A context of its own: the caller's may carry a crash plan or a
	// recorder meant for the caller's run. It marks the run as the one
	// the guard waits for, so the guard lets it through.
	ctx := context.WithValue(context.Background(), learningTables{}, true)
	d, err := Open(ctx, "sqlite://")
	if err != nil {
		return nil, fmt.Errorf("open a scratch SQLite database for the chain: %w", err)
	}
	defer d.Close()
	rec := dialect.NewShapeRecorder()
	notes := &tableNotes{rec: rec}
	if _, err := d.Up(dialect.WithHooks(ctx, dialect.Hooks{Shapes: rec}), "", Options{Reporter: notes}); err != nil {
		return nil, fmt.Errorf("run the chain on a scratch SQLite database to learn its tables: %w", err)
	}
	notes.note()
	if len(notes.byRev) != len(chain)+1 {
		return nil, fmt.Errorf("run the chain on a scratch SQLite database to learn its tables: %d steps started, want %d", len(notes.byRev)-1, len(chain))
	}
	revisionTables.key, revisionTables.byRev = key, notes.byRev
	return notes.byRev, nil
}

// learningTables marks the context of the run tablesByRevision makes.
type learningTables struct{}

// tableNotes notes the recorded tables as each step starts.
type tableNotes struct {
	rec   *dialect.ShapeRecorder
	byRev [][]string
}

func (n *tableNotes) note() {
	var names []string
	for _, t := range n.rec.Tables() {
		names = append(names, t.Name)
	}
	n.byRev = append(n.byRev, names)
}

func (n *tableNotes) StepStarted(StepResult)            { n.note() }
func (n *tableNotes) Notice(StepResult, string)         {}
func (n *tableNotes) Progress(StepResult, int64, int64) {}
