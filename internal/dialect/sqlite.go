package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	asqlite "ariga.io/atlas/sql/sqlite"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// sqliteDialect runs each step in a write transaction of its own (BEGIN
// IMMEDIATE, which is also the lock), with foreign-key enforcement off: SQLite cannot change it inside a transaction, and a
// table rebuild must not fire the ON DELETE actions of tables that
// reference the rebuilt one. Each step instead ends with a
// foreign_key_check, which fails the step if any reference dangles.
type sqliteDialect struct{}

func (sqliteDialect) Name() string                  { return "sqlite" }
func (sqliteDialect) Quote(ident string) string     { return quoteWith('`', ident) }
func (sqliteDialect) RunMode() RunMode              { return StepTransactions }
func (sqliteDialect) FoldsTableNames(*gorm.DB) bool { return true }
func (sqliteDialect) ByteOrder(e string) string     { return e } // BINARY is SQLite's default collation
func (sqliteDialect) CharLength(e string) string    { return "length(" + e + ")" }

// What the shared code asks of SQLite (see the Dialect interface).

func (sqliteDialect) connect(t Target) (gorm.Dialector, *ReadOnlyError, error) {
	dsn, readOnly, err := sqliteDSN(t)
	if err != nil {
		return nil, nil, err
	}
	return sqlite.Open(dsn), readOnly, nil
}

func (sqliteDialect) configurePool(t Target, db *sql.DB) {
	if t.InMemory() {
		db.SetMaxOpenConns(1) // each connection would be its own empty database
		return
	}
	db.SetMaxOpenConns(4) // WAL: readers in parallel, writers queue on busy_timeout
}

// parse is never reached: a SQLite URL is a path, not a server's URL
// (parseSQLite), and a SQLite target has no siblings.
func (sqliteDialect) parse(*url.URL) (Target, error) {
	return Target{}, errors.New("only PostgreSQL and MySQL targets have sibling databases")
}
func (sqliteDialect) hostInQuery(url.Values) bool { return false }

func (sqliteDialect) server() bool                         { return false }
func (sqliteDialect) listDatabasesSQL() string             { return "" }
func (sqliteDialect) sessionsSQL() string                  { return "" }
func (sqliteDialect) dropDatabaseSQL(string) string        { return "" }
func (sqliteDialect) currentSchemaSQL() string             { return "" }
func (sqliteDialect) searchPath() bool                     { return false }
func (sqliteDialect) normalType(s string) string           { return s }
func (sqliteDialect) bulkLoadConflict(c Conflict) Conflict { return c }

// bulkLoadShape: plain indexes only. A foreign key can only be added with
// its column, short of rebuilding the table, and keys are not enforced
// during a run anyway.
func (sqliteDialect) bulkLoadShape(t Table) Table { return t }

// CASE keeps json_type from seeing text that is not JSON.
func (sqliteDialect) jsonKeyPresent(c, key string) string {
	return fmt.Sprintf("(CASE WHEN json_valid(%[1]s) THEN coalesce(json_type(%[1]s, %[2]s) <> 'null', 0) ELSE 0 END = 1)", c, jsonPath(key))
}

func (sqliteDialect) jsonUnparsable(c string) string {
	return fmt.Sprintf("(%[1]s IS NOT NULL AND NOT json_valid(%[1]s))", c)
}

// updateJoin: UPDATE ... FROM, since SQLite 3.33.
func (d sqliteDialect) updateJoin(table, source, on string, sets []string) string {
	return updateFrom(d, table, source, on, sets)
}

// jsonArrayStrings: the column may hold text that is not JSON.
func (sqliteDialect) jsonArrayStrings(col, key, alias string) JSONStrings {
	return JSONStrings{
		From: fmt.Sprintf("CROSS JOIN json_each(CASE WHEN json_valid(%[1]s) AND json_type(%[1]s, %[2]s) = 'array' THEN %[1]s END, %[2]s) AS %[3]s",
			col, jsonPath(key), alias),
		Where: alias + ".type = 'text'",
		Value: alias + ".value",
	}
}

func (sqliteDialect) inspector(conn *sql.DB) (migrate.Driver, error) { return asqlite.Open(conn) }

func (sqliteDialect) SQLType(t Type) string {
	switch t {
	case Key, Text:
		return "text"
	case JSON:
		return "JSON"
	case BigInt, SmallInt:
		return "integer"
	case Bool:
		return "numeric"
	case Timestamptz:
		return "datetime"
	}
	panic(fmt.Sprintf("sqlite: no SQL type for %v", t))
}

// The JSON column may hold text that is not JSON at all; json_valid guards
// every extraction, and CASE guarantees the order of evaluation.
func (d sqliteDialect) JSONString(col, key string) string {
	c := d.Quote(col)
	return fmt.Sprintf("CASE WHEN json_valid(%[1]s) THEN CASE WHEN json_type(%[1]s, %[2]s) = 'text' THEN json_extract(%[1]s, %[2]s) END END", c, jsonPath(key))
}

func (d sqliteDialect) JSONInt(col, key string) string {
	c := d.Quote(col)
	// json_type says integer for any digits, but json_extract returns a
	// real beyond 64 bits; like the other dialects, take at most 18 digits.
	return fmt.Sprintf("CASE WHEN json_valid(%[1]s) THEN CASE WHEN json_type(%[1]s, %[2]s) = 'integer' AND typeof(json_extract(%[1]s, %[2]s)) = 'integer' AND json_extract(%[1]s, %[2]s) BETWEEN -999999999999999999 AND 999999999999999999 THEN json_extract(%[1]s, %[2]s) END END", c, jsonPath(key))
}

// EpochToTime writes the text the Go driver writes for a UTC time.Time, so
// the models read converted rows exactly like rows they wrote themselves.
func (d sqliteDialect) EpochToTime(col string) string {
	c := d.Quote(col)
	return fmt.Sprintf("CASE WHEN typeof(%[1]s) = 'integer' THEN strftime('%%Y-%%m-%%d %%H:%%M:%%S', %[1]s, 'unixepoch') || '+00:00' END", c)
}

func (d sqliteDialect) TimeToEpoch(col string) string {
	return fmt.Sprintf("CAST(strftime('%%s', %s) AS INTEGER)", d.Quote(col))
}

// The database's own comparison is byte for byte already (BINARY, or a
// deterministic collation), whatever its default: nothing to convert.
func (sqliteDialect) MatchCollation(*gorm.DB, func() ([]string, error)) error { return nil }
func (sqliteDialect) tableOptions(*gorm.DB) (string, error)                   { return "", nil }

// PrepareRun turns foreign-key enforcement off (SQLite ignores the pragma
// inside a transaction, hence on the connection) and makes the run wait up
// to its lock timeout for a database another connection is writing.
func (sqliteDialect) PrepareRun(conn *gorm.DB, lockTimeout time.Duration) (func(context.Context) error, error) {
	if err := refuseReadOnly(conn); err != nil {
		return nil, err
	}
	var busy int64
	if err := conn.Raw("PRAGMA busy_timeout").Scan(&busy).Error; err != nil {
		return nil, err
	}
	if err := conn.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
		return nil, err
	}
	if err := setBusyTimeout(conn, lockTimeout); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		c := conn.WithContext(ctx)
		return errors.Join(c.Exec("PRAGMA foreign_keys = ON").Error, setBusyTimeout(c, time.Duration(busy)*time.Millisecond))
	}, nil
}

func setBusyTimeout(conn *gorm.DB, d time.Duration) error {
	return conn.Exec(fmt.Sprintf("PRAGMA busy_timeout = %d", max(d.Milliseconds(), 0))).Error
}

// LockSession is a no-op: each step's BEGIN IMMEDIATE is the lock.
func (sqliteDialect) LockSession(context.Context, *gorm.DB, string) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

// BeginLocked begins a write transaction (BEGIN IMMEDIATE, from the
// connection's _txlock): the database's one write lock, held until commit
// or rollback, which is the run lock. It waits up to wait for it, through
// the busy timeout, which is then put back for the step's statements: the
// runner waits in slices so that a signal is heard while it waits.
func (sqliteDialect) BeginLocked(ctx context.Context, conn *gorm.DB, _ string, wait time.Duration) (*gorm.DB, error) {
	c := conn.WithContext(ctx)
	var busy int64
	if err := c.Raw("PRAGMA busy_timeout").Scan(&busy).Error; err != nil {
		return nil, err
	}
	if err := setBusyTimeout(c, wait); err != nil {
		return nil, err
	}
	restore := func(db *gorm.DB) error { return setBusyTimeout(db, time.Duration(busy)*time.Millisecond) }
	tx := c.Begin()
	if tx.Error != nil {
		err := tx.Error
		if rErr := restore(c); rErr != nil {
			return nil, errors.Join(err, rErr)
		}
		if isSQLiteBusy(err) {
			return nil, ErrLockBusy
		}
		return nil, fmt.Errorf("begin a write transaction: %w", err)
	}
	if err := restore(tx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

func (sqliteDialect) CheckStep(tx *gorm.DB) error {
	rows, err := tx.Raw("PRAGMA foreign_key_check").Rows()
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	var n int
	var first string
	for rows.Next() {
		var table, parent string
		var rowid, fkid any
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		if n == 0 {
			first = fmt.Sprintf("%s row %v references a missing %s row", table, rowid, parent)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the step left %d dangling foreign key reference(s), e.g. %s", n, first)
	}
	return nil
}

func (d sqliteDialect) createTable(m *Migrator, t Table) error { return createTableIfMissing(d, m, t) }
func (d sqliteDialect) dropTable(m *Migrator, name string) error {
	return dropTableIfExists(d, m, name)
}

func (d sqliteDialect) alterTable(m *Migrator, from, to Table, fills []Fill) error {
	p := planAlter(from, to, fills)
	for _, c := range p.conversions() {
		if err := checkConvertible(m, from, c); err != nil {
			return err
		}
	}
	if !d.inPlace(p, from) {
		return d.rebuild(m, Rebuild{From: from, To: to, Fills: fills})
	}
	t := d.Quote(to.Name)
	var stmts []string
	for _, i := range p.dropIndexes {
		stmts = append(stmts, "DROP INDEX IF EXISTS "+d.Quote(i.Name))
	}
	for _, c := range p.dropColumns {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", t, d.Quote(c.Name)))
	}
	for _, c := range p.addColumns {
		def := columnDef(d, c)
		if f, ok := singleColumnFK(p.addFKs, c.Name); ok {
			def += fmt.Sprintf(" CONSTRAINT %s REFERENCES %s(%s)", d.Quote(f.Name), d.Quote(f.RefTable), quoteList(d, f.RefColumns))
			if f.OnDelete != "" {
				def += " ON DELETE " + f.OnDelete
			}
		}
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", t, def))
	}
	if len(p.fills) > 0 {
		m.wroteRows()
		stmts = append(stmts, fillSQL(d, to.Name, p.fills))
	}
	for _, i := range p.addIndexes {
		stmts = append(stmts, createIndexSQL(d, to.Name, i, true))
	}
	for _, s := range stmts {
		if err := m.exec(s); err != nil {
			return err
		}
	}
	return nil
}

// inPlace reports whether SQLite's ALTER TABLE can make the change: adding
// columns (nullable or with a default, with a foreign key only on a new
// column), dropping columns no key or check uses, and indexes.
func (sqliteDialect) inPlace(p alterPlan, from Table) bool {
	if p.pkChanged || len(p.changes) > 0 || len(p.dropFKs) > 0 || len(p.dropChecks) > 0 || len(p.addChecks) > 0 {
		return false
	}
	for _, f := range p.addFKs {
		if len(f.Columns) != 1 || !slices.ContainsFunc(p.addColumns, func(c Column) bool { return c.Name == f.Columns[0] }) {
			return false
		}
	}
	for _, c := range p.addColumns {
		if c.NotNull && c.Default == "" {
			return false
		}
	}
	// Each DROP COLUMN rewrites the whole table; one rebuild is cheaper
	// than several.
	if len(p.dropColumns) > 1 {
		return false
	}
	for _, c := range p.dropColumns {
		if slices.Contains(from.PrimaryKey, c.Name) {
			return false
		}
		for _, f := range from.ForeignKeys {
			if slices.Contains(f.Columns, c.Name) {
				return false
			}
		}
		for _, ch := range from.Checks {
			if strings.Contains(ch.Expr, c.Name) {
				return false
			}
		}
	}
	return true
}

func singleColumnFK(fks []ForeignKey, col string) (ForeignKey, bool) {
	for _, f := range fks {
		if len(f.Columns) == 1 && f.Columns[0] == col {
			return f, true
		}
	}
	return ForeignKey{}, false
}

// rebuild is SQLite's documented way to make any other change: create the
// new shape beside the old, copy the rows, drop the old, rename the new and
// recreate its indexes. Foreign keys are off for the run, so dropping the
// old table fires no actions on the tables that reference it; CheckStep
// then proves every reference still holds.
func (d sqliteDialect) rebuild(m *Migrator, r Rebuild) error {
	to := r.To
	tmp := to.Name + "__new"
	for _, s := range []string{"DROP TABLE IF EXISTS " + d.Quote(tmp), createTableSQL(d, to, tmp, false, false)} {
		if err := m.exec(s); err != nil {
			return err
		}
	}
	// Batches along the old table's key give progress; the copy is one
	// transaction anyway.
	if err := newCopy(d, r, tmp).inBatches(m); err != nil {
		return err
	}
	stmts := []string{
		"DROP TABLE " + d.Quote(to.Name),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", d.Quote(tmp), d.Quote(to.Name)),
	}
	for _, i := range to.Indexes {
		stmts = append(stmts, createIndexSQL(d, to.Name, i, false))
	}
	for _, s := range stmts {
		if err := m.exec(s); err != nil {
			return err
		}
	}
	return nil
}

func (d sqliteDialect) updateFromValues(m *Migrator, table string, key Column, cols []Column, values [][]any) error {
	return m.Exec(d.updateSQL(table, key, cols, len(values)), flat(values)...)
}

func (d sqliteDialect) updateSQL(table string, key Column, cols []Column, rows int) string {
	all := append([]Column{key}, cols...)
	names := make([]string, len(all))
	for i, c := range all {
		names[i] = c.Name
	}
	tuple := "(" + placeholders(len(all)) + ")"
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = fmt.Sprintf("%s = v.%s", d.Quote(c.Name), d.Quote(c.Name))
	}
	return fmt.Sprintf("WITH v(%s) AS (VALUES %s) UPDATE %s SET %s FROM v WHERE %s.%s = v.%s",
		quoteList(d, names), strings.TrimSuffix(strings.Repeat(tuple+",", rows), ","),
		d.Quote(table), strings.Join(sets, ", "), d.Quote(table), d.Quote(key.Name), d.Quote(key.Name))
}

func (d sqliteDialect) insertRows(m *Migrator, table string, cols []Column, values [][]any, c Conflict) error {
	return m.Exec(d.insertSQL(table, cols, len(values), c), flat(values)...)
}

func (d sqliteDialect) insertSQL(table string, cols []Column, rows int, c Conflict) string {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	tuple := "(" + placeholders(len(cols)) + ")"
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", d.Quote(table), quoteList(d, names),
		strings.TrimSuffix(strings.Repeat(tuple+",", rows), ","))
	return q + conflictClause(d, table, c)
}

func (d sqliteDialect) createMigrationsTable(m *Migrator, name string) error {
	if migrationsTableReady(m, name) {
		return nil
	}
	if err := m.exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s text NOT NULL, %s datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, %s, PRIMARY KEY (%s))",
		d.Quote(name), d.Quote("id"), d.Quote("applied_at"), checksumColumnDef(d), d.Quote("id"))); err != nil {
		return err
	}
	has, err := m.Strings("SELECT name FROM pragma_table_info(?) WHERE name = ?", name, ChecksumColumn)
	if err != nil || len(has) > 0 {
		return err
	}
	return addChecksumColumn(m, name)
}

// Table rebuilds on this database (the shared part is in rebuild.go).

// rebuildSwapped: a step here is a transaction, never found half done.
func (sqliteDialect) rebuildSwapped(*Migrator, string) (bool, error) { return false, nil }

func (sqliteDialect) analyze(*Migrator, string) error { return nil }

// rebuildTable on SQLite leaves referrers alone (keys are off during a run
// and name the table, which keeps its name), but refuses undeclared ones
// all the same, so that a step behaves alike on every dialect.
func (d sqliteDialect) rebuildTable(m *Migrator, r Rebuild) error {
	found, err := m.Strings(`SELECT DISTINCT t.name FROM sqlite_master t, pragma_foreign_key_list(t.name) k
		WHERE t.type = 'table' AND k."table" = ? AND t.name <> ? ORDER BY t.name`, r.To.Name, r.To.Name)
	if err != nil {
		return err
	}
	if err := prepareRebuild(m, r, found); err != nil {
		return err
	}
	return d.rebuild(m, r)
}

// dropForeignKey on SQLite leaves the key to the table's next rebuild.
func (sqliteDialect) dropForeignKey(*Migrator, string, string) error { return nil }

// An online step runs as any other here: SQLite has no online DDL, and a
// write transaction holds the whole database anyway.
func (sqliteDialect) onlineApart() bool         { return false }
func (sqliteDialect) readyApart(*gorm.DB) error { return nil }
func (sqliteDialect) apartTx(*Migrator, func(*Migrator) error) error {
	return errors.New("SQLite runs online steps in the unit's transaction")
}

// journalSQL: SQLite keeps no journal (every step is a transaction).
func (sqliteDialect) journalSQL() journalSQL {
	return journalSQL{reachedAt: "datetime NOT NULL DEFAULT CURRENT_TIMESTAMP", keepRow: " ON CONFLICT (id, direction, point) DO NOTHING"}
}
