package db

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// ledger is the one owner of this tool's records in a database: the
// records table (MigrationsTable), which it creates and upgrades, reads as
// it is (damaged or not, naming what is wrong instead of passing on a
// driver's message), writes with each step's checksum and repairs;
// alembic_version, which it keeps in step with the records; and the
// progress journal (MySQL), which it clears as steps are recorded. The one
// exception is gormigrate's own insert or delete of a step's row as it
// applies or rolls the step back, in the step's transaction, which is
// gormigrate's contract. Everything else asks the ledger.
type ledger struct{ db *gorm.DB }

// ensure creates the records table, or adds its checksum column, where the
// catalog says it is missing (a user who may only read and write rows can
// run at HEAD).
func (l ledger) ensure() error {
	m, err := dialect.NewMigrator(l.db)
	if err != nil {
		return err
	}
	if err := m.CreateMigrationsTable(MigrationsTable); err != nil {
		return fmt.Errorf("create %s: %w", MigrationsTable, err)
	}
	return nil
}

// ErrRecordsDamaged means the records table cannot be read as this tool
// wrote it: a column is missing, or a row has no id or no applied_at. The
// error is a *RecordsDamagedError naming the rows; `schema stamp` repairs
// the table.
var ErrRecordsDamaged = errors.New("the records table is damaged")

// RecordsDamagedError says what is wrong with the records table and how
// to repair it. errors.Is(err, ErrRecordsDamaged) holds.
type RecordsDamagedError struct {
	// MissingColumns are the columns the table lacks (id, applied_at).
	MissingColumns []string
	// NullIDs counts the rows without an id.
	NullIDs int
	// NullAppliedAt are the IDs of rows without an applied_at.
	NullAppliedAt []string
	// BadAppliedAt are the IDs of rows whose applied_at is not a time.
	BadAppliedAt []string
	// BadIDs are ids that cannot be a revision: blank, or holding white
	// space or control characters ("7e5b5dc7342b " typed by hand). They
	// are not taken for a newer program's revisions, which stamp keeps.
	BadIDs []string
	// Recorded is the revision the readable rows record ("" for none), for
	// the repair's advice.
	Recorded string
}

func (e *RecordsDamagedError) Unwrap() error { return ErrRecordsDamaged }

func (e *RecordsDamagedError) Error() string {
	msg := fmt.Sprintf("%s, where this tool records the applied steps, is damaged: %s; nothing was changed: ", MigrationsTable, e.problems())
	if slices.Contains(e.MissingColumns, "id") {
		return msg + `it records no step, so run "schema stamp base" to recreate it, then "schema adopt" to find the revision the schema is at and record it (or "schema stamp REV" if you know it)`
	}
	return msg + fmt.Sprintf(`run "schema stamp REV" with the revision the schema is at (the readable rows record %s), which recreates the missing columns, drops the rows without an id and fills in the missing times`, orBase(e.Recorded))
}

// problems lists what is wrong, for people.
func (e *RecordsDamagedError) problems() string {
	var what []string
	for _, c := range e.MissingColumns {
		what = append(what, "it has no "+c+" column")
	}
	switch {
	case e.NullIDs == 1:
		what = append(what, "1 row has no id (NULL)")
	case e.NullIDs > 1:
		what = append(what, fmt.Sprintf("%d rows have no id (NULL)", e.NullIDs))
	}
	if len(e.NullAppliedAt) > 0 {
		what = append(what, fmt.Sprintf("%s no applied_at (NULL)", rowsOf(e.NullAppliedAt)))
	}
	if len(e.BadAppliedAt) > 0 {
		what = append(what, fmt.Sprintf("%s an applied_at that is not a time", rowsOf(e.BadAppliedAt)))
	}
	if n := len(e.BadIDs); n > 0 {
		quoted := make([]string, n)
		for i, id := range e.BadIDs {
			quoted[i] = strconv.Quote(id)
		}
		rows := "1 row has"
		if n > 1 {
			rows = fmt.Sprintf("%d rows have", n)
		}
		what = append(what, fmt.Sprintf("%s an id that is not a revision ID (%s)", rows, strings.Join(quoted, ", ")))
	}
	return strings.Join(what, "; ")
}

// rowsOf names rows by step ID: "the row of step X has" or "the rows of
// steps X, Y have".
func rowsOf(ids []string) string {
	if len(ids) == 1 {
		return "the row of step " + ids[0] + " has"
	}
	return "the rows of steps " + strings.Join(ids, ", ") + " have"
}

func (e *RecordsDamagedError) damaged() bool {
	return len(e.MissingColumns) > 0 || e.NullIDs > 0 || len(e.NullAppliedAt) > 0 || len(e.BadAppliedAt) > 0 || len(e.BadIDs) > 0
}

// revisionLike reports whether id could be a revision ID of some version
// of a chain: not blank, and no white space or control characters.
func revisionLike(id string) bool {
	return id != "" && !strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError })
}

// records is what the records table holds, read as it is.
type records struct {
	exists  bool
	applied map[string]time.Time // readable rows: ID and when applied
	// checksums of the readable rows ("" where none), when the column
	// exists; repairRecords carries them over.
	checksums map[string]string
	damage    RecordsDamagedError
}

// tableColumns lists a table's columns, lower-cased, as recordsColumns
// does.
func tableColumns(db *gorm.DB, table string) ([]string, error) {
	rows, err := db.Raw("SELECT * FROM " + table + " WHERE 1 = 0").Rows()
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	for i, c := range cols {
		cols[i] = strings.ToLower(c)
	}
	return cols, rows.Err()
}

// appliedTime reads an applied_at value as the drivers return it: a
// time, or text where the column was declared as text.
func appliedTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		// The SQLite driver returns the zero time for text it cannot parse.
		return v.UTC(), !v.IsZero()
	case []byte:
		return parseAppliedTime(string(v))
	case string:
		return parseAppliedTime(v)
	}
	return time.Time{}, false
}

func parseAppliedTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// prefixLen is how many steps of the chain, from the first, are recorded.
func prefixLen(applied map[string]time.Time, chain []migrations.Step) int {
	n := 0
	for _, s := range chain {
		if _, ok := applied[s.ID]; !ok {
			break
		}
		n++
	}
	return n
}

func unknownIDs(applied map[string]time.Time, chain []migrations.Step) []string {
	var unknown []string
	for id := range applied {
		if !slices.ContainsFunc(chain, func(s migrations.Step) bool { return s.ID == id }) {
			unknown = append(unknown, id)
		}
	}
	return sortStrings(unknown)
}

// outOfOrderError: the chain puts missing before applied, yet the database
// has applied only the later one. Usually missing was added to the chain
// before a step that had already run (a branch merged below the head).
func outOfOrderError(missing, applied migrations.Step) error {
	return fmt.Errorf("out of order: step %s (%s) comes before step %s (%s) in the chain, but this database has applied %s and not %s, so %s was added below a step that had already run; "+
		"move it after the newest applied step (set its Revises to the last applied revision, and restore the Revises of the step that now revises it), "+
		"or, if its change is already in the schema, record the real state with `schema stamp REV`",
		missing.ID, missing.Name, applied.ID, applied.Name, applied.ID, missing.ID, missing.ID)
}

// read reads the records table without trusting its shape: a
// missing table means nothing is applied, a missing column or a NULL is
// noted in damage rather than failing the read.
func (l ledger) read() (records, error) {
	db := l.db
	rec := records{applied: map[string]time.Time{}, checksums: map[string]string{}}
	if exists, err := dialect.TableExists(db, MigrationsTable); err != nil || !exists {
		return rec, err
	}
	rec.exists = true
	cols, err := l.columns()
	if err != nil {
		return rec, err
	}
	for _, c := range []string{"id", "applied_at"} {
		if !slices.Contains(cols, c) {
			rec.damage.MissingColumns = append(rec.damage.MissingColumns, c)
		}
	}
	if slices.Contains(rec.damage.MissingColumns, "id") {
		return rec, nil // no row can say which step it records
	}
	sel := []string{"id", "NULL", "NULL"}
	if slices.Contains(cols, "applied_at") {
		sel[1] = "applied_at"
	}
	if slices.Contains(cols, dialect.ChecksumColumn) {
		sel[2] = dialect.ChecksumColumn
	}
	rows, err := db.Raw("SELECT " + strings.Join(sel, ", ") + " FROM " + MigrationsTable).Rows()
	if err != nil {
		return rec, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, sum *string
		var at any
		if err := rows.Scan(&id, &at, &sum); err != nil {
			return rec, fmt.Errorf("read %s: %w", MigrationsTable, err)
		}
		if id == nil {
			rec.damage.NullIDs++
			continue
		}
		if !revisionLike(*id) {
			rec.damage.BadIDs = append(rec.damage.BadIDs, *id)
			continue
		}
		if sum != nil {
			rec.checksums[*id] = *sum
		}
		if sel[1] == "NULL" {
			rec.applied[*id] = time.Time{}
			continue
		}
		t, ok := appliedTime(at)
		switch {
		case at == nil:
			rec.damage.NullAppliedAt = append(rec.damage.NullAppliedAt, *id)
		case !ok:
			rec.damage.BadAppliedAt = append(rec.damage.BadAppliedAt, *id)
		}
		rec.applied[*id] = t
	}
	if err := rows.Err(); err != nil {
		return rec, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	slices.Sort(rec.damage.NullAppliedAt)
	slices.Sort(rec.damage.BadAppliedAt)
	slices.Sort(rec.damage.BadIDs)
	return rec, nil
}

// applied reads the records table: each recorded ID and when it was
// applied. A missing table means nothing is applied; a damaged one is a
// *RecordsDamagedError.
func (l ledger) applied() (map[string]time.Time, error) {
	rec, err := l.read()
	if err != nil {
		return nil, err
	}
	if rec.damage.damaged() {
		chain, _ := migrations.Chain()
		damage := rec.damage
		damage.Recorded = revisionAt(chain, prefixLen(rec.applied, chain))
		return nil, &damage
	}
	return rec.applied, nil
}

// state reads the records table and checks it against the chain: no
// revision the chain does not know, and the applied steps form a prefix.
func (l ledger) state(chain []migrations.Step) (state, error) {
	applied, err := l.applied()
	if err != nil {
		return state{}, err
	}
	st := state{appliedAt: applied}
	if unknown := unknownIDs(applied, chain); len(unknown) > 0 {
		return st, unknownRevisionError(unknown)
	}
	st.applied = prefixLen(applied, chain)
	for _, s := range chain[st.applied:] {
		if _, ok := applied[s.ID]; ok {
			return st, outOfOrderError(chain[st.applied], s)
		}
	}
	return st, nil
}

// repair is stamp's repair of a damaged records table: when a
// column is missing, a row has a NULL, or the table's definition lets
// gormigrate's inserts leave applied_at NULL, the table is recreated as
// this tool creates it, keeping every row that has an id, with its time
// (now where it had none) and checksum. The table is small: one row per
// step.
//
// On MySQL the DDL commits on its own: a crash between dropping the old
// table and filling the new one leaves the records empty, which the next
// run refuses (tables present, no record); running stamp again mends it.
func (l ledger) repair() error {
	tx := l.db
	rec, err := l.read()
	if err != nil || !rec.exists {
		return err
	}
	if !rec.damage.damaged() && l.canonical() {
		return nil
	}
	if err := tx.Exec("DROP TABLE " + MigrationsTable).Error; err != nil {
		return fmt.Errorf("repair %s: drop the damaged table: %w", MigrationsTable, err)
	}
	if err := l.ensure(); err != nil {
		return fmt.Errorf("repair %s: recreate it: %w", MigrationsTable, err)
	}
	ids := make([]string, 0, len(rec.applied))
	for id := range rec.applied {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		var sum *string
		if s := rec.checksums[id]; s != "" {
			sum = &s
		}
		q, args := "INSERT INTO "+MigrationsTable+" (id, "+dialect.ChecksumColumn+") VALUES (?, ?)", []any{id, sum}
		if at := rec.applied[id]; !at.IsZero() {
			q, args = "INSERT INTO "+MigrationsTable+" (id, applied_at, "+dialect.ChecksumColumn+") VALUES (?, ?, ?)", []any{id, at, sum}
		}
		if err := tx.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("repair %s: keep the row of step %s: %w", MigrationsTable, id, err)
		}
	}
	return nil
}

// canonical reports whether the records table's id and applied_at
// are NOT NULL and applied_at has a default, as this tool creates them:
// gormigrate inserts the id alone. A catalog that cannot say counts as not.
func (l ledger) canonical() bool {
	db := l.db
	types, err := db.Migrator().ColumnTypes(MigrationsTable)
	if err != nil {
		return false
	}
	ok := 0
	for _, c := range types {
		switch strings.ToLower(c.Name()) {
		case "id":
			if nullable, known := c.Nullable(); known && !nullable {
				ok++
			}
		case "applied_at":
			nullable, known := c.Nullable()
			_, hasDefault := c.DefaultValue()
			if known && !nullable && hasDefault {
				ok++
			}
		}
	}
	return ok == 2
}

// columns lists the records table's columns, lower-cased, from the
// result of a query that returns no row: the same on every dialect, and it
// does not depend on how the table was created.
func (l ledger) columns() ([]string, error) { return tableColumns(l.db, MigrationsTable) }

// checksums reads the recorded checksum of each recorded step: ""
// where none was recorded (a row from before checksums, or a table that
// does not have the column yet, which only a run adds).
func (l ledger) checksums() (map[string]string, error) {
	db := l.db
	out := map[string]string{}
	if exists, err := dialect.TableExists(db, MigrationsTable); err != nil || !exists {
		return out, err
	}
	cols, err := l.columns()
	if err != nil || !slices.Contains(cols, dialect.ChecksumColumn) {
		return out, err
	}
	rows, err := db.Raw("SELECT id, " + dialect.ChecksumColumn + " FROM " + MigrationsTable).Rows()
	if err != nil {
		return nil, fmt.Errorf("read the checksums in %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var sum sql.NullString
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, fmt.Errorf("read the checksums in %s: %w", MigrationsTable, err)
		}
		out[id] = sum.String
	}
	return out, rows.Err()
}

// recordChecksum records the checksum of a step's code on its row.
func (l ledger) recordChecksum(s migrations.Step) error {
	sum, err := stepChecksum(s)
	if err != nil {
		return err
	}
	return l.setChecksum(s.ID, sum)
}

func (l ledger) setChecksum(id, sum string) error {
	db := l.db
	if err := db.Exec("UPDATE "+MigrationsTable+" SET "+dialect.ChecksumColumn+" = ? WHERE id = ?", sum, id).Error; err != nil {
		return fmt.Errorf("record the checksum of step %s in %s: %w", id, MigrationsTable, err)
	}
	return nil
}

// markApplied records the steps as applied, each with its code's
// checksum, without running them: what stamp (and the adoption of an
// Alembic database) writes. The IDs must be in the chain and not yet
// recorded; the record table must exist.
func (l ledger) markApplied(ids []string) error {
	tx := l.db
	chain, err := migrations.Chain()
	if err != nil {
		return err
	}
	for _, id := range ids {
		i, err := indexOf(chain, id)
		if err != nil {
			return err
		}
		sum, err := stepChecksum(chain[i])
		if err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO "+MigrationsTable+" (id, "+dialect.ChecksumColumn+") VALUES (?, ?)", id, sum).Error; err != nil {
			return fmt.Errorf("record step %s as applied in %s: %w", id, MigrationsTable, err)
		}
	}
	return nil
}

// keepOnly makes the records say exactly keep (a prefix of the chain) is
// applied, without running anything: what stamp and adopt write. Records
// out of order are mended; a revision from a newer program is refused.
func (l ledger) keepOnly(chain []migrations.Step, keep []string) error {
	tx := l.db
	if err := l.ensure(); err != nil {
		return err
	}
	applied, err := l.applied()
	if err != nil {
		return err
	}
	// Stamp mends records that are out of order, but a revision
	// from a newer program is not this program's to erase.
	if unknown := unknownIDs(applied, chain); len(unknown) > 0 {
		return unknownRevisionError(unknown)
	}
	var drop []string
	for id := range applied {
		if !slices.Contains(keep, id) {
			drop = append(drop, id)
		}
	}
	if len(drop) > 0 {
		if err := tx.Exec("DELETE FROM "+MigrationsTable+" WHERE id IN ?", drop).Error; err != nil {
			return err
		}
	}
	var add []string
	for _, id := range keep {
		if _, ok := applied[id]; !ok {
			add = append(add, id)
		}
	}
	if err := l.markApplied(add); err != nil {
		return err
	}
	return l.purgeJournal(keep)
}

// purgeJournal drops the progress journal's rows (MySQL) of directions
// the records now say are done: up rows of applied steps, down rows of
// steps not applied. A step that stamp marks applied does not get to
// resume a run it never finished.
func (l ledger) purgeJournal(applied []string) error {
	tx := l.db
	// A damaged journal table is recreated: stamp is the documented repair.
	if err := dialect.RepairJournal(tx); err != nil {
		return err
	}
	rows, err := l.journal()
	if err != nil {
		return err
	}
	for _, r := range rows {
		if (r.Direction == DirectionUp) == slices.Contains(applied, r.ID) {
			if err := dialect.JournalClear(tx, r.ID, r.Direction); err != nil {
				return err
			}
		}
	}
	return nil
}

// alembic reads alembic_version; a missing table is not an error. A
// table without version_num, or a row without a revision, is named
// rather than passed on as the driver's message (Alembic makes neither,
// but SQLite's PRIMARY KEY allows a NULL, and a hand-made table anything).
func (l ledger) alembic() (alembicState, error) {
	db := l.db
	if exists, err := dialect.TableExists(db, AlembicTable); err != nil || !exists {
		return alembicState{}, err
	}
	st := alembicState{exists: true}
	cols, err := tableColumns(db, AlembicTable)
	if err != nil {
		return st, err
	}
	if !slices.Contains(cols, "version_num") {
		return st, fmt.Errorf("%s has no version_num column, so it is not the table Open WebUI's Alembic migrations record their revision in; nothing was changed: rename or drop it if it is not, or recreate it as Alembic does", AlembicTable)
	}
	rows, err := db.Raw("SELECT version_num FROM " + AlembicTable).Rows()
	if err != nil {
		return st, fmt.Errorf("read %s: %w", AlembicTable, err)
	}
	defer rows.Close()
	nulls := 0
	for rows.Next() {
		var rev sql.NullString
		if err := rows.Scan(&rev); err != nil {
			return st, fmt.Errorf("read %s: %w", AlembicTable, err)
		}
		if !rev.Valid {
			nulls++
			continue
		}
		st.revs = append(st.revs, rev.String)
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("read %s: %w", AlembicTable, err)
	}
	if nulls > 0 {
		return st, fmt.Errorf(`%s, where Open WebUI's Alembic migrations record the revision, has a row without a revision (NULL)%s; nothing was changed: run "schema stamp REV" with the revision the schema is at, which rewrites the table's row`,
			AlembicTable, otherRows(st.revs))
	}
	slices.Sort(st.revs)
	return st, nil
}

// setAlembic makes alembic_version say rev as Alembic would: one row, or
// none at base.
func (l ledger) setAlembic(rev string) error {
	db := l.db
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM " + AlembicTable).Scan(&n).Error; err != nil {
		return fmt.Errorf("read %s: %w", AlembicTable, err)
	}
	var err error
	switch {
	case rev == "":
		err = db.Exec("DELETE FROM " + AlembicTable).Error
	case n == 1:
		err = db.Exec("UPDATE "+AlembicTable+" SET version_num = ?", rev).Error
	default: // empty, or several branches that stamp replaces with one
		if n > 1 {
			err = db.Exec("DELETE FROM " + AlembicTable).Error
		}
		if err == nil {
			err = db.Exec("INSERT INTO "+AlembicTable+" (version_num) VALUES (?)", rev).Error
		}
	}
	if err != nil {
		return fmt.Errorf("set %s to %s: %w", AlembicTable, orBase(rev), err)
	}
	return nil
}

// syncAlembic sets alembic_version to rev if the table exists.
func (l ledger) syncAlembic(rev string) error {
	db := l.db
	if exists, err := dialect.TableExists(db, AlembicTable); err != nil || !exists {
		return err
	}
	return l.setAlembic(rev)
}

// finishStep completes a step's record once gormigrate has written (or, for a
// down, removed) its row: the checksum of an applied step, and the step's
// progress journal (MySQL) cleared. On MySQL both go in one transaction;
// a crash before it leaves a record without checksum (the next run fills
// it in) and journal rows of a finished direction, which nothing reads
// (see dialect.ProgressTable) and the next run of the step the other way
// drops.
func (l ledger) finishStep(mode dialect.RunMode, a action) error {
	tx := l.db
	do := func(tx *gorm.DB) error {
		if a.up {
			if err := recordsOf(tx).recordChecksum(a.step); err != nil {
				return err
			}
		}
		return dialect.JournalClear(tx, a.step.ID, "")
	}
	if mode != dialect.NoTransactions {
		return do(tx) // already the step's transaction
	}
	return tx.Transaction(do)
}

// startStep marks step started in the progress journal (MySQL) before it
// runs, so that its leftovers are known as such if it is interrupted; the
// mark says whether an earlier run of it was (StepRef.Resumed).
func (l ledger) startStep(step dialect.StepRef) (dialect.StepRef, error) {
	return dialect.JournalStarted(l.db, step)
}

// journal reads the progress journal (MySQL; empty elsewhere).
func (l ledger) journal() ([]dialect.JournalRow, error) { return dialect.ReadJournal(l.db) }

// recordsOf is the ledger of the database db reaches.
func recordsOf(db *gorm.DB) ledger { return ledger{db} }

// alembicState is what alembic_version holds.
type alembicState struct {
	exists bool
	revs   []string // one row normally, none at base
}

// otherRows mentions the readable rows beside a damaged one.
func otherRows(revs []string) string {
	if len(revs) == 0 {
		return ""
	}
	return fmt.Sprintf(" besides %s", strings.Join(revs, ", "))
}

// revision is the one revision alembic_version records ("" for base),
// checked against the chain.
func (a alembicState) revision(chain []migrations.Step) (string, error) {
	switch len(a.revs) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%s has %d rows (%v): the database is on several Alembic branches, which this tool does not support; merge them with Open WebUI's migrations first", AlembicTable, len(a.revs), a.revs)
	}
	rev := a.revs[0]
	if _, err := indexOf(chain, rev); err != nil {
		return "", fmt.Errorf("%w: %s is at %s, a revision this program does not know: the database was migrated by a newer Open WebUI or a newer version of this program; upgrade this program, or bring the database to a revision of `schema history` with Open WebUI's migrations",
			ErrUnknownRevision, AlembicTable, rev)
	}
	return rev, nil
}
