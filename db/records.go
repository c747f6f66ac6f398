package db

import (
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

// The records table (MigrationsTable) is read here and nowhere else: every
// command goes through readApplied, which reads it as it is, damaged or
// not, and names what is wrong instead of passing on a driver's message.

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

// readRecords reads the records table without trusting its shape: a
// missing table means nothing is applied, a missing column or a NULL is
// noted in damage rather than failing the read.
func readRecords(db *gorm.DB) (records, error) {
	rec := records{applied: map[string]time.Time{}, checksums: map[string]string{}}
	if !db.Migrator().HasTable(MigrationsTable) {
		return rec, nil
	}
	rec.exists = true
	cols, err := recordsColumns(db)
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

// recordsColumns lists the records table's columns, lower-cased, from the
// result of a query that returns no row: the same on every dialect, and it
// does not depend on how the table was created.
func recordsColumns(db *gorm.DB) ([]string, error) { return tableColumns(db, MigrationsTable) }

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

// readApplied reads the records table: each recorded ID and when it was
// applied. A missing table means nothing is applied; a damaged one is a
// *RecordsDamagedError.
func readApplied(db *gorm.DB) (map[string]time.Time, error) {
	rec, err := readRecords(db)
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

// readState reads the records table and checks it against the chain: no
// revision the chain does not know, and the applied steps form a prefix.
func readState(db *gorm.DB, chain []migrations.Step) (state, error) {
	applied, err := readApplied(db)
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

// outOfOrderError: the chain puts missing before applied, yet the database
// has applied only the later one. Usually missing was added to the chain
// before a step that had already run (a branch merged below the head).
func outOfOrderError(missing, applied migrations.Step) error {
	return fmt.Errorf("out of order: step %s (%s) comes before step %s (%s) in the chain, but this database has applied %s and not %s, so %s was added below a step that had already run; "+
		"move it after the newest applied step (set its Revises to the last applied revision, and restore the Revises of the step that now revises it), "+
		"or, if its change is already in the schema, record the real state with `schema stamp REV`",
		missing.ID, missing.Name, applied.ID, applied.Name, applied.ID, missing.ID, missing.ID)
}

// repairRecords is stamp's repair of a damaged records table: when a
// column is missing, a row has a NULL, or the table's definition lets
// gormigrate's inserts leave applied_at NULL, the table is recreated as
// this tool creates it, keeping every row that has an id, with its time
// (now where it had none) and checksum. The table is small: one row per
// step.
//
// On MySQL the DDL commits on its own: a crash between dropping the old
// table and filling the new one leaves the records empty, which the next
// run refuses (tables present, no record); running stamp again mends it.
func repairRecords(tx *gorm.DB) error {
	rec, err := readRecords(tx)
	if err != nil || !rec.exists {
		return err
	}
	if !rec.damage.damaged() && canonicalRecords(tx) {
		return nil
	}
	if err := tx.Exec("DROP TABLE " + MigrationsTable).Error; err != nil {
		return fmt.Errorf("repair %s: drop the damaged table: %w", MigrationsTable, err)
	}
	m, err := dialect.NewMigrator(tx)
	if err != nil {
		return err
	}
	if err := m.CreateMigrationsTable(MigrationsTable); err != nil {
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

// canonicalRecords reports whether the records table's id and applied_at
// are NOT NULL and applied_at has a default, as this tool creates them:
// gormigrate inserts the id alone. A catalog that cannot say counts as not.
func canonicalRecords(db *gorm.DB) bool {
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
