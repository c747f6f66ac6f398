package dialect

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// The progress journal. Where DDL commits on its own (MySQL/MariaDB), a
// step interrupted midway leaves part of its work, and the application,
// still at the previous revision since the step is not recorded, keeps
// changing rows until the step is run again. A step that is not recorded
// owns its leftovers: it must start them over or prove them current,
// never reuse them blindly. Table state alone cannot always tell how far
// an interrupted run got (a rebuild that keeps the table's shape and
// cleared its marker looks like no rebuild at all), so the step writes
// the points it passes into ProgressTable, one row per (step, direction,
// point), and asks for them when it runs again. The runner marks a step
// started before it runs (a point of its own, PointStarted), and clears
// the step's rows once it is recorded (or its record removed, for a down).
//
// Rows are meaningful only while the records say the step's direction is
// not done: up rows of an unrecorded step, down rows of a recorded one.
// Rows of a finished direction (a crash between the record and the
// clean-up) are stale: the runner drops them before the step runs the
// other way, and readers ignore them.
//
// Where each step runs in a transaction, a crashed step leaves nothing,
// so there is no journal: Checkpoint does nothing and Reached is false.
// Online steps on PostgreSQL run apart from the unit's transaction
// (online.go) and keep a journal too, for their backfills (backfill.go):
// a point may hold the last key a backfill committed (last_key). The
// runner clears it in the unit's transaction that records the step.

// ProgressTable is the progress journal's table (MySQL/MariaDB, and
// PostgreSQL's online steps).
const ProgressTable = "schema_migrations_progress"

// PointStarted is the point the runner writes before a step runs.
const PointStarted = "started"

// StepRef names the step (and direction) a migrator works for.
type StepRef struct {
	ID string
	Up bool
	// Resumed says the step's started mark was already in the journal
	// when the runner marked it (JournalStarted): an earlier run of this
	// direction was interrupted, and the journal covers all it did.
	Resumed bool
}

// Direction is "up" or "down".
func (r StepRef) Direction() string {
	if r.Up {
		return "up"
	}
	return "down"
}

func (r StepRef) other() string {
	if r.Up {
		return "down"
	}
	return "up"
}

// journaled reports whether m keeps a journal: on a dialect without step
// transactions, inside a step the runner (or a test standing in for it)
// named.
func (m *Migrator) journaled() bool {
	return (m.D.RunMode() == NoTransactions || m.apart) && m.run.Step.ID != ""
}

// keepsJournal reports whether d may have a journal table: where steps
// have no transaction, or online steps run apart from theirs.
func keepsJournal(d Dialect) bool { return d.RunMode() == NoTransactions || d.onlineApart() }

// Checkpoint records that the running step passed point. Where steps are
// transactions it does nothing (the step is all or nothing). The write is
// a statement of the step like any other: a crash may come before it.
func (m *Migrator) Checkpoint(point string) error {
	if !m.journaled() {
		return nil
	}
	if err := ensureProgressTable(m.DB, m.D); err != nil {
		return err
	}
	if err := m.exec("INSERT INTO "+m.Q(ProgressTable)+" (id, direction, point) VALUES (?, ?, ?)"+m.D.journalSQL().keepRow,
		m.run.Step.ID, m.run.Step.Direction(), point); err != nil {
		return fmt.Errorf("record progress %q of step %s: %w", point, m.run.Step.ID, err)
	}
	return nil
}

// Reached reports whether an interrupted run of the running step (same
// direction) passed point. Always false where steps are transactions.
func (m *Migrator) Reached(point string) (bool, error) {
	if !m.journaled() {
		return false, nil
	}
	if exists, err := TableExists(m.DB, ProgressTable); err != nil || !exists {
		return false, err
	}
	var n int64
	if err := m.Scan("SELECT count(*) FROM "+m.Q(ProgressTable)+" WHERE id = ? AND direction = ? AND point = ?",
		[]any{m.run.Step.ID, m.run.Step.Direction(), point}, &n); err != nil {
		return false, fmt.Errorf("read the progress of step %s: %w", m.run.Step.ID, err)
	}
	return n > 0, nil
}

// rebuiltPoint is the checkpoint a MySQL rebuild writes right after its
// swap.
func rebuiltPoint(table string) string { return "rebuilt " + table }

// Rebuilt reports, at the start of a step, whether an interrupted run of
// it already swapped table in by Rebuild: from then on the table holds the
// rebuild's values and the old ones are gone. It is true after the
// swap's checkpoint, and also when the crash came between the swap and
// the checkpoint (the old table is still there as <table>__old, or the
// table still carries the rebuild's marker). Always false where steps are
// transactions. A step rebuilds a table at most once per direction.
func (m *Migrator) Rebuilt(table string) (bool, error) {
	if !m.journaled() {
		return false, nil
	}
	if ok, err := m.Reached(rebuiltPoint(table)); ok || err != nil {
		return ok, err
	}
	return m.D.rebuildSwapped(m, table)
}

// ensureProgressTable creates the journal's table if it is missing. It is
// bookkeeping, not a statement of the step, so a crash plan does not
// count it.
func ensureProgressTable(db *gorm.DB, d Dialect) error {
	if exists, err := TableExists(db, ProgressTable); err != nil || exists {
		if err == nil {
			err = checkProgressTable(db, d)
		}
		if err == nil {
			err = addLastKey(db, d)
		}
		return err
	}
	opts, err := d.tableOptions(db)
	if err != nil {
		return err
	}
	q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (id varchar(255) NOT NULL, direction varchar(8) NOT NULL, point varchar(255) NOT NULL, reached_at %s, last_key text NULL, PRIMARY KEY (id, direction, point)) %s",
		d.Quote(ProgressTable), d.journalSQL().reachedAt, opts)
	if err := db.Exec(q).Error; err != nil {
		return fmt.Errorf("create %s: %w", ProgressTable, err)
	}
	return nil
}

// ErrJournalDamaged means the progress journal's table does not have the
// columns this tool gives it (a hand-made or altered table); `schema
// stamp` recreates it.
var ErrJournalDamaged = errors.New("the progress journal is damaged")

var progressColumns = []string{"id", "direction", "point", "reached_at"}

// checkProgressTable refuses a journal table without this tool's columns,
// naming it and its repair, rather than failing later on a driver's
// "unknown column".
func checkProgressTable(db *gorm.DB, d Dialect) error {
	cols, err := progressTableColumns(db, d)
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range progressColumns {
		if !slices.Contains(cols, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s lacks column(s) %s; it holds only this tool's progress marks: run `schema stamp <revision>` (the revision `schema current` shows) to recreate it", ErrJournalDamaged, ProgressTable, strings.Join(missing, ", "))
	}
	return nil
}

func progressTableColumns(db *gorm.DB, d Dialect) ([]string, error) {
	rows, err := db.Raw("SELECT * FROM " + d.Quote(ProgressTable) + " WHERE 1 = 0").Rows()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ProgressTable, err)
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ProgressTable, err)
	}
	for i := range cols {
		cols[i] = strings.ToLower(cols[i])
	}
	return cols, nil
}

// addLastKey gives a journal table made by an earlier version the column
// backfills keep their last committed key in.
func addLastKey(db *gorm.DB, d Dialect) error {
	cols, err := progressTableColumns(db, d)
	if err != nil || slices.Contains(cols, "last_key") {
		return err
	}
	if err := db.Exec("ALTER TABLE " + d.Quote(ProgressTable) + " ADD COLUMN last_key text NULL").Error; err != nil {
		return fmt.Errorf("add column last_key to %s: %w", ProgressTable, err)
	}
	return nil
}

// RepairJournal recreates a damaged journal table, empty (stamp's repair):
// steps then find their leftovers as left by a run that kept no journal.
func RepairJournal(db *gorm.DB) error {
	d, err := Of(db)
	if err != nil || !keepsJournal(d) {
		return err
	}
	if exists, err := TableExists(db, ProgressTable); err != nil || !exists {
		return err
	}
	if err := checkProgressTable(db, d); !errors.Is(err, ErrJournalDamaged) {
		return err
	}
	if err := db.Exec("DROP TABLE IF EXISTS " + d.Quote(ProgressTable)).Error; err != nil {
		return fmt.Errorf("repair %s: drop the damaged table: %w", ProgressTable, err)
	}
	return ensureProgressTable(db, d)
}

// JournalStarted is what the runner does before a step runs: it drops the
// step's rows of the other direction (stale: that direction finished) and
// marks the step started. It returns r with Resumed set when the mark was
// there already. Nothing where steps are transactions.
func JournalStarted(db *gorm.DB, r StepRef) (StepRef, error) {
	d, err := Of(db)
	if err != nil || d.RunMode() != NoTransactions {
		return r, err
	}
	if err := ensureProgressTable(db, d); err != nil {
		return r, err
	}
	if err := db.Exec("DELETE FROM "+d.Quote(ProgressTable)+" WHERE id = ? AND direction = ?", r.ID, r.other()).Error; err != nil {
		return r, fmt.Errorf("clear stale progress of step %s: %w", r.ID, err)
	}
	var n int64
	if err := db.Raw("SELECT count(*) FROM "+d.Quote(ProgressTable)+" WHERE id = ? AND direction = ? AND point = ?", r.ID, r.Direction(), PointStarted).Scan(&n).Error; err != nil {
		return r, fmt.Errorf("read the progress of step %s: %w", r.ID, err)
	}
	r.Resumed = n > 0
	if !r.Resumed {
		if err := db.Exec("INSERT INTO "+d.Quote(ProgressTable)+" (id, direction, point) VALUES (?, ?, ?)",
			r.ID, r.Direction(), PointStarted).Error; err != nil {
			return r, fmt.Errorf("mark step %s started in %s: %w", r.ID, ProgressTable, err)
		}
	}
	return r, nil
}

// LeftoversPredateJournal reports whether the running step may find
// leftovers its journal does not account for: on MySQL, when no run of
// this direction was marked started before this one, yet its tables are
// there, they were left by a version of this tool that kept no journal.
// Such a step cannot tell how far that run got and must keep what it may
// not redo (the old behaviour), rather than start over.
func (m *Migrator) LeftoversPredateJournal() bool {
	return m.D.RunMode() == NoTransactions && m.journaled() && !m.run.Step.Resumed
}

// JournalClear drops the rows of step id in direction dir ("" for both):
// the runner's clean-up once the step is recorded (or its record removed),
// and stamp's for directions the records now say are done.
func JournalClear(db *gorm.DB, id, dir string) error {
	d, err := Of(db)
	if err != nil || !keepsJournal(d) {
		return err
	}
	if exists, err := TableExists(db, ProgressTable); err != nil || !exists {
		return err
	}
	if err := checkProgressTable(db, d); err != nil {
		return err
	}
	q, args := "DELETE FROM "+d.Quote(ProgressTable)+" WHERE id = ?", []any{id}
	if dir != "" {
		q, args = q+" AND direction = ?", append(args, dir)
	}
	if err := db.Exec(q, args...).Error; err != nil {
		return fmt.Errorf("clear the progress of step %s in %s: %w", id, ProgressTable, err)
	}
	return nil
}

// JournalRow is one point a step passed.
type JournalRow struct {
	ID, Direction, Point string
}

// ReadJournal lists the journal's rows (none where there is no journal),
// ordered by step, direction and time.
func ReadJournal(db *gorm.DB) ([]JournalRow, error) {
	d, err := Of(db)
	if err != nil || !keepsJournal(d) {
		return nil, err
	}
	if exists, err := TableExists(db, ProgressTable); err != nil || !exists {
		return nil, err
	}
	if err := checkProgressTable(db, d); err != nil {
		return nil, err
	}
	rows, err := db.Raw("SELECT id, direction, point FROM " + d.Quote(ProgressTable) + " ORDER BY id, direction, reached_at, point").Rows()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ProgressTable, err)
	}
	defer rows.Close()
	var out []JournalRow
	for rows.Next() {
		var r JournalRow
		if err := rows.Scan(&r.ID, &r.Direction, &r.Point); err != nil {
			return nil, fmt.Errorf("read %s: %w", ProgressTable, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// applyDeleteAction gives the rows of table whose foreign key f names a
// row that no longer exists what f's ON DELETE would have done to them
// (CASCADE deletes them, SET NULL clears the key), and reports how many
// in a notice. It is for keys a MySQL rebuild dropped or has not added
// yet while the application went on deleting rows (between a crash and
// the re-run, or during a step, which holds no lock the application
// takes): the key could not be added back over them. Other actions
// change nothing, and adding the key then refuses, naming the rows. It
// reports whether f's action was applied.
func (m *Migrator) applyDeleteAction(table string, f ForeignKey) (bool, error) {
	var on, set []string
	var notNull []string
	for i, c := range f.Columns {
		on = append(on, fmt.Sprintf("p.%s = %s.%s", m.Q(f.RefColumns[i]), m.Q(table), m.Q(c)))
		notNull = append(notNull, m.Q(table)+"."+m.Q(c)+" IS NOT NULL")
		set = append(set, m.Q(c)+" = NULL")
	}
	where := fmt.Sprintf(" WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s)",
		strings.Join(notNull, " AND "), m.Q(f.RefTable), strings.Join(on, " AND "))
	var q, did string
	switch strings.ToUpper(f.OnDelete) {
	case "CASCADE":
		q, did = "DELETE FROM "+m.Q(table)+where, "deleted"
	case "SET NULL":
		q, did = "UPDATE "+m.Q(table)+" SET "+strings.Join(set, ", ")+where, fmt.Sprintf("set %s to NULL in", strings.Join(f.Columns, ", "))
	default:
		return false, nil
	}
	n, err := m.ExecCount(q)
	if err != nil {
		return false, fmt.Errorf("apply ON DELETE %s of %s to rows of %s whose %s is gone: %w", f.OnDelete, f.Name, table, f.RefTable, err)
	}
	if n > 0 {
		m.Noticef("%s %d row(s) of %s whose %s was deleted while foreign key %s was not in place (what its ON DELETE %s does)", did, n, table, f.RefTable, f.Name, f.OnDelete)
	}
	return true, nil
}

// journalSQL is what the progress journal's statements take from the
// dialect: the reached_at column's type and default, and the clause that
// keeps a point's row when it is there already.
type journalSQL struct {
	reachedAt, keepRow string
}
