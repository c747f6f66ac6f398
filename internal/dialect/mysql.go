package dialect

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	amysql "ariga.io/atlas/sql/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
)

// mysqlDialect covers MySQL 8 and MariaDB 10.6+. DDL commits on its own
// there, so every operation first looks at the catalog and skips what an
// earlier, interrupted run already did: that is what lets a step be run
// again after a crash at any statement.
type mysqlDialect struct{}

func (mysqlDialect) Name() string              { return "mysql" }
func (mysqlDialect) Quote(ident string) string { return quoteWith('`', ident) }
func (mysqlDialect) RunMode() RunMode          { return NoTransactions }

// mysqlRunTempTableBytes is how large an in-memory temporary table (a
// DISTINCT or GROUP BY over a million chats' tags) may grow during a run
// before the server moves it to disk: the default 16 MB made step 8's
// split five times slower. It is a ceiling on the server, allocated only
// as a query needs it; a larger configured value is kept.
const mysqlRunTempTableBytes = 256 << 20

// PrepareRun raises the run session's in-memory temporary table limit
// (MySQL has no transaction pooler to lose a session setting to).
func (mysqlDialect) PrepareRun(conn *gorm.DB, _ time.Duration) (func(context.Context) error, error) {
	if err := conn.Exec(fmt.Sprintf("SET SESSION tmp_table_size = GREATEST(@@tmp_table_size, %[1]d), max_heap_table_size = GREATEST(@@max_heap_table_size, %[1]d)",
		mysqlRunTempTableBytes)).Error; err != nil {
		return nil, err
	}
	// Gives the pooled connection back with the server's limits.
	return func(ctx context.Context) error {
		return conn.WithContext(ctx).Exec("SET SESSION tmp_table_size = DEFAULT, max_heap_table_size = DEFAULT").Error
	}, nil
}

// BeginLocked is not used: steps run without a transaction on MySQL.
func (mysqlDialect) BeginLocked(context.Context, *gorm.DB, string, time.Duration) (*gorm.DB, error) {
	return nil, errors.New("MySQL runs steps without a transaction: the run holds a session lock instead")
}

func (mysqlDialect) CheckStep(*gorm.DB) error { return nil }

// FoldsTableNames: with lower_case_table_names 0 (Linux's default) names
// are case-sensitive; 1 stores and compares them in lower case, 2 compares
// them so. When the server cannot say, folding is the safe side.
func (mysqlDialect) FoldsTableNames(db *gorm.DB) bool {
	var n int
	return db.Raw("SELECT @@lower_case_table_names").Scan(&n).Error != nil || n != 0
}
func (mysqlDialect) ByteOrder(e string) string  { return "CAST(" + e + " AS BINARY)" }
func (mysqlDialect) CharLength(e string) string { return "CHAR_LENGTH(" + e + ")" }

// What the shared code asks of MySQL (see the Dialect interface).

func (mysqlDialect) connect(t Target) (gorm.Dialector, *ReadOnlyError, error) {
	return mysql.Open(t.dsn), nil, nil
}

func (mysqlDialect) configurePool(_ Target, db *sql.DB) { serverPool(db) }

func (mysqlDialect) parse(u *url.URL) (Target, error) { return parseMySQL(u) }

// hostInQuery: a URL without a host may name the server in its query
// (?unix_socket=/run/mysqld/mysqld.sock).
func (mysqlDialect) hostInQuery(q url.Values) bool { return q.Get("unix_socket") != "" }

func (mysqlDialect) server() bool { return true }
func (mysqlDialect) listDatabasesSQL() string {
	return `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`
}

// sessionsSQL: without the PROCESS privilege a user sees only its own.
func (mysqlDialect) sessionsSQL() string {
	return `SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = ?`
}
func (mysqlDialect) dropDatabaseSQL(name string) string { return "DROP DATABASE IF EXISTS " + name }
func (mysqlDialect) currentSchemaSQL() string           { return "SELECT DATABASE()" }
func (mysqlDialect) searchPath() bool                   { return false }
func (mysqlDialect) normalType(s string) string         { return s }

// bulkLoadShape: plain indexes and foreign keys (a key is added in place;
// see addForeignKey). The primary key stays: a step re-run after a crash
// inserts its rows again, and the key resolves those conflicts.
func (mysqlDialect) bulkLoadShape(t Table) Table {
	t.ForeignKeys = nil
	return t
}
func (mysqlDialect) bulkLoadConflict(c Conflict) Conflict { return c }

func (mysqlDialect) jsonKeyPresent(c, key string) string {
	return fmt.Sprintf("coalesce(JSON_TYPE(JSON_EXTRACT(%s, %s)) <> 'NULL', false)", c, jsonPath(key))
}

func (mysqlDialect) jsonUnparsable(c string) string {
	return fmt.Sprintf("(%[1]s IS NOT NULL AND NOT JSON_VALID(%[1]s))", c)
}

// updateJoin: UPDATE ... JOIN; MySQL's SET sees the columns of both
// tables, so they are qualified.
func (d mysqlDialect) updateJoin(table, source, on string, sets []string) string {
	qualified := make([]string, len(sets))
	for i, s := range sets {
		qualified[i] = "t." + s
	}
	return fmt.Sprintf("UPDATE %s AS t JOIN %s AS s ON %s SET %s", d.Quote(table), source, on, strings.Join(qualified, ", "))
}

// jsonArrayStrings: JSON_TABLE gives each element as JSON text (v, telling
// strings by their quote) and as unquoted text (s).
func (mysqlDialect) jsonArrayStrings(col, key, alias string) JSONStrings {
	return JSONStrings{
		From: fmt.Sprintf("CROSS JOIN JSON_TABLE(CASE WHEN JSON_TYPE(JSON_EXTRACT(%[1]s, %[2]s)) = 'ARRAY' THEN %[1]s END, %[3]s COLUMNS (v JSON PATH '$', s LONGTEXT PATH '$')) AS %[4]s",
			col, jsonPath(key), `'$."`+key+`"[*]'`, alias),
		Where: fmt.Sprintf("LEFT(%s.v, 1) = '\"'", alias),
		Value: alias + ".s",
	}
}

func (mysqlDialect) inspector(conn *sql.DB) (migrate.Driver, error) { return amysql.Open(conn) }

func (mysqlDialect) SQLType(t Type) string {
	switch t {
	case Key:
		return "varchar(255)"
	case Text:
		return "longtext"
	case JSON:
		return "JSON"
	case BigInt:
		return "bigint"
	case Bool:
		return "boolean"
	case SmallInt:
		return "smallint"
	case Timestamptz:
		return "datetime(6)"
	}
	panic(fmt.Sprintf("mysql: no SQL type for %v", t))
}

// dataTypes are the information_schema DATA_TYPE values a column of each
// logical type shows (MariaDB stores JSON as longtext).
var mysqlDataTypes = map[Type][]string{
	Key: {"varchar"}, Text: {"longtext"}, JSON: {"json", "longtext"}, BigInt: {"bigint"},
	Bool: {"tinyint"}, SmallInt: {"smallint"}, Timestamptz: {"datetime"},
}

func jsonPath(key string) string { return `'$."` + key + `"'` }

func (d mysqlDialect) JSONString(col, key string) string {
	v := fmt.Sprintf("JSON_EXTRACT(%s, %s)", d.Quote(col), jsonPath(key))
	return fmt.Sprintf("CASE WHEN JSON_TYPE(%s) = 'STRING' THEN JSON_UNQUOTE(%s) END", v, v)
}

func (d mysqlDialect) JSONInt(col, key string) string {
	v := fmt.Sprintf("JSON_EXTRACT(%s, %s)", d.Quote(col), jsonPath(key))
	// MariaDB calls 1e3 and numbers beyond 64 bits INTEGER, and a CAST of
	// them fails an UPDATE in strict mode: only plain digits reach the cast
	// (no ? in the pattern: GORM would take it for a placeholder).
	return fmt.Sprintf("CASE WHEN JSON_TYPE(%[1]s) IN ('INTEGER', 'UNSIGNED INTEGER') THEN CASE WHEN CAST(%[1]s AS CHAR) REGEXP '^-{0,1}[0-9]{1,18}$' THEN CAST(CAST(%[1]s AS CHAR) AS SIGNED) END END", v)
}

// EpochToTime uses interval arithmetic rather than FROM_UNIXTIME, which
// depends on the session time zone and rejects instants before 1970.
func (d mysqlDialect) EpochToTime(col string) string {
	return fmt.Sprintf("TIMESTAMPADD(SECOND, %s, '1970-01-01 00:00:00')", d.Quote(col))
}

func (d mysqlDialect) TimeToEpoch(col string) string {
	return fmt.Sprintf("FLOOR(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', %s) / 1000000)", d.Quote(col))
}

// LockSession takes GET_LOCK, held by the run's session until released
// or until the session ends (a crashed run's lock goes with it).
func (d mysqlDialect) LockSession(ctx context.Context, conn *gorm.DB, name string) (func(context.Context) error, error) {
	c := conn.WithContext(ctx)
	var db string
	if err := c.Raw("SELECT DATABASE()").Scan(&db).Error; err != nil {
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	// GET_LOCK names are server-wide and at most 64 characters.
	sum := sha256.Sum256([]byte(db + "." + name))
	lock := "schema:" + hex.EncodeToString(sum[:])[:32]
	var got *int
	if err := c.Raw("SELECT GET_LOCK(?, 0)", lock).Scan(&got).Error; err != nil {
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	if got == nil || *got != 1 {
		return nil, ErrLockBusy
	}
	return func(ctx context.Context) error {
		return conn.WithContext(ctx).Exec("SELECT RELEASE_LOCK(?)", lock).Error
	}, nil
}

func (d mysqlDialect) createTable(m *Migrator, t Table) error {
	if m.DB.Migrator().HasTable(t.Name) {
		return nil
	}
	opts, err := d.tableOptions(m.DB)
	if err != nil {
		return err
	}
	// One statement with everything inline: it either happens whole or not.
	return m.exec(createTableSQL(d, t, t.Name, false, true) + " " + opts)
}

func (d mysqlDialect) dropTable(m *Migrator, name string) error {
	return m.exec("DROP TABLE IF EXISTS " + d.Quote(name))
}

func (d mysqlDialect) alterTable(m *Migrator, from, to Table, fills []Fill) error {
	a := mysqlAlter{d: d, m: m, from: from, to: to, p: planAlter(from, to, fills), t: d.Quote(to.Name), mg: m.DB.Migrator()}
	if m.Online() {
		if err := refuseOnline(to.Name, a.p); err != nil {
			return err
		}
		if err := refuseOnlineChecks(to.Name, a.p); err != nil {
			return err
		}
	}
	// Each phase looks at the catalog first and skips what an interrupted
	// run already did; the order is what keeps every step re-runnable.
	for _, phase := range []func() error{
		a.checkConversions, a.dropKeys, a.addColumns, a.changeColumns,
		a.changePrimaryKey, a.dropColumns, a.addKeys,
	} {
		if err := phase(); err != nil {
			return err
		}
	}
	return nil
}

// mysqlAlter is one AlterTable on MySQL, in phases.
type mysqlAlter struct {
	d        mysqlDialect
	m        *Migrator
	from, to Table
	p        alterPlan
	t        string // the quoted table name
	mg       gorm.Migrator
}

func (a mysqlAlter) hasColumn(c string) bool { return a.mg.HasColumn(a.to.Name, c) }

// checkConversions refuses, before anything changes, a type conversion
// some value would not survive.
func (a mysqlAlter) checkConversions() error {
	for _, c := range a.p.conversions() {
		// A conversion half done (its temporary column is there) is checked
		// again while the old column is: the application, still at the
		// previous revision, may have written values since that do not
		// convert. Once the old column is gone, the values are converted.
		done := false
		if a.hasColumn(tmpColumn(c.To.Name)) {
			done = !a.hasColumn(c.From.Name)
		} else {
			var err error
			if done, err = a.d.hasType(a.m, a.to.Name, c.To.Name, c.To.Type); err != nil {
				return err
			}
		}
		if !done {
			if err := checkConvertible(a.m, a.from, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropKeys drops the foreign keys, checks and indexes the new shape does
// not have (or changes).
func (a mysqlAlter) dropKeys() error {
	d, m, p, t, mg, to := a.d, a.m, a.p, a.t, a.mg, a.to
	for _, f := range p.dropFKs {
		if mg.HasConstraint(to.Name, f.Name) {
			if err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s DROP FOREIGN KEY %s", t, d.Quote(f.Name))); err != nil {
				return err
			}
		}
		// InnoDB creates an index named after a foreign key no other index
		// supports, and keeps it when the key goes; it is not ours to keep.
		if _, declared := findIndex(to.Indexes, f.Name); !declared && mg.HasIndex(to.Name, f.Name) {
			if err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s DROP INDEX %s", t, d.Quote(f.Name))); err != nil {
				return err
			}
		}
	}
	for _, c := range p.dropChecks {
		if mg.HasConstraint(to.Name, c.Name) {
			if err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", t, d.Quote(c.Name))); err != nil {
				return err
			}
		}
	}
	for _, i := range p.dropIndexes {
		if !mg.HasIndex(to.Name, i.Name) {
			continue
		}
		// InnoDB keeps an index under every foreign key and refuses to drop
		// a key's only one. The key gets the index InnoDB gives a key that
		// has none, named after it, as a table created in the new shape
		// (or by AutoMigrate) has; in the same statement, so the key is
		// never without one.
		stmt := fmt.Sprintf("ALTER TABLE %s DROP INDEX %s", t, d.Quote(i.Name))
		for _, f := range to.ForeignKeys {
			if _, adding := findFK(p.addFKs, f.Name); adding || indexedFK(to, f) || !leads(i.Columns, f.Columns) || mg.HasIndex(to.Name, f.Name) {
				continue
			}
			stmt += fmt.Sprintf(", ADD INDEX %s (%s)", d.Quote(f.Name), quoteList(d, f.Columns))
		}
		if err := d.alterExec(m, stmt); err != nil {
			return err
		}
	}
	return nil
}

// addColumns adds the new columns, nullable while they are filled, fills
// them, and then gives them their NOT NULL and defaults.
func (a mysqlAlter) addColumns() error {
	d, m, p, t := a.d, a.m, a.p, a.t
	filled := map[string]bool{}
	for _, f := range p.fills {
		filled[f.Column] = true
	}
	for _, c := range p.addColumns {
		if a.hasColumn(c.Name) {
			continue
		}
		def := c
		if filled[c.Name] {
			def = nullable(c)
		}
		if err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", t, columnDef(d, def))); err != nil {
			return err
		}
	}
	if len(p.fills) > 0 {
		// Only rows not filled yet: on a re-run the step may already have
		// changed filled values (or keyed on them), which must not be reset.
		if m.Online() { // in batches, each its own transaction
			if err := m.fillAdded(a.to, p.fills, func(s string) error { return m.Exec(s) }); err != nil {
				return err
			}
		} else if err := m.Exec(fillSQL(d, a.to.Name, p.fills) + " WHERE " + joinOr(unfilledOf(d, p.fills))); err != nil {
			return err
		}
	}
	for _, c := range p.addColumns {
		if filled[c.Name] && (c.NotNull || c.Default != "") {
			if err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s MODIFY COLUMN %s", t, columnDef(d, c))); err != nil {
				return err
			}
		}
	}
	return nil
}

// changeColumns changes the columns that stay, converting through a new
// column where the type changes with a fill.
func (a mysqlAlter) changeColumns() error {
	for _, c := range a.p.changes {
		if c.typeChanged() && c.Fill != "" {
			if err := a.d.convertColumn(a.m, a.to.Name, c, a.from.Checks); err != nil {
				return err
			}
			continue
		}
		if err := a.d.alterExec(a.m, fmt.Sprintf("ALTER TABLE %s MODIFY COLUMN %s", a.t, columnDef(a.d, c.To))); err != nil {
			return err
		}
	}
	return nil
}

// changePrimaryKey gives the table the new shape's key. It looks whenever
// the key changes or a conversion may have dropped it (detachColumn).
func (a mysqlAlter) changePrimaryKey() error {
	if !a.p.pkChanged && len(a.p.conversions()) == 0 {
		return nil
	}
	cur, err := a.m.Strings(`SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`, a.to.Name)
	if err != nil {
		return err
	}
	if !slices.Equal(cur, a.p.newPK) {
		var parts []string
		if len(cur) > 0 {
			parts = append(parts, "DROP PRIMARY KEY")
		}
		if len(a.p.newPK) > 0 {
			parts = append(parts, "ADD PRIMARY KEY ("+quoteList(a.d, a.p.newPK)+")")
		}
		// One statement, so the table is never left without its key.
		if err := a.d.alterExec(a.m, fmt.Sprintf("ALTER TABLE %s %s", a.t, strings.Join(parts, ", "))); err != nil {
			return err
		}
	}
	// A column that leaves the key keeps the NOT NULL the key gave it;
	// where the new shape has it nullable, it is made so (also on a re-run
	// that finds the key already changed).
	for _, name := range leavingKey(a.from, a.p.newPK) {
		c, ok := a.to.Column(name)
		if !ok || c.NotNull {
			continue
		}
		nullable, err := a.m.Strings(`SELECT IS_NULLABLE FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, a.to.Name, name)
		if err != nil {
			return err
		}
		if len(nullable) == 1 && nullable[0] == "NO" {
			if err := a.d.alterExec(a.m, fmt.Sprintf("ALTER TABLE %s MODIFY COLUMN %s", a.t, columnDef(a.d, c))); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a mysqlAlter) dropColumns() error {
	for _, c := range a.p.dropColumns {
		if a.hasColumn(c.Name) {
			if err := a.d.alterExec(a.m, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", a.t, a.d.Quote(c.Name))); err != nil {
				return err
			}
		}
	}
	return nil
}

// addKeys gives the table every check and index of the new shape, not only
// the added ones: a conversion through a new column (convertColumn) loses
// the old column's checks and indexes, and they come back here. Then the
// foreign keys.
func (a mysqlAlter) addKeys() error {
	d, m, t, mg, to := a.d, a.m, a.t, a.mg, a.to
	for _, c := range to.Checks {
		if !mg.HasConstraint(to.Name, c.Name) {
			if err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s ADD %s", t, checkDef(d, c))); err != nil {
				return err
			}
		}
	}
	for _, i := range to.Indexes {
		if !mg.HasIndex(to.Name, i.Name) {
			if err := d.alterExec(m, d.addIndexSQL(m, to.Name, i)); err != nil {
				return err
			}
		}
	}
	// An index InnoDB made for a key (named after it) goes once a declared
	// index supports the key: a table created in this shape has none.
	for _, f := range to.ForeignKeys {
		if _, declared := findIndex(to.Indexes, f.Name); declared || !indexedFK(to, f) || !mg.HasIndex(to.Name, f.Name) {
			continue
		}
		if err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s DROP INDEX %s", t, d.Quote(f.Name))); err != nil {
			return err
		}
	}
	for _, f := range a.p.addFKs {
		if err := d.addForeignKey(m, to.Name, f); err != nil {
			return err
		}
	}
	return nil
}

// indexedFK reports whether t declares an index InnoDB can use for f: the
// primary key or an index whose leading columns are f's.
func indexedFK(t Table, f ForeignKey) bool {
	if leads(t.PrimaryKey, f.Columns) {
		return true
	}
	return slices.ContainsFunc(t.Indexes, func(i Index) bool { return leads(i.Columns, f.Columns) })
}

// leads reports whether cols begins with prefix.
func leads(cols, prefix []string) bool {
	return len(prefix) > 0 && len(cols) >= len(prefix) && slices.Equal(cols[:len(prefix)], prefix)
}

func tmpColumn(name string) string { return name + "__new" }

// convertColumn changes a column's type through a temporary column, since
// MySQL cannot convert with an expression in place. Each state a crash can
// leave is recognisable: the temporary column exists with or without the
// old one, or the column already has its new type.
func (d mysqlDialect) convertColumn(m *Migrator, table string, c columnChange, checks []Check) error {
	t, col, tmp := d.Quote(table), d.Quote(c.To.Name), d.Quote(tmpColumn(c.To.Name))
	mg := m.DB.Migrator()
	hasTmp := mg.HasColumn(table, tmpColumn(c.To.Name))
	if !hasTmp {
		done, err := d.hasType(m, table, c.To.Name, c.To.Type)
		if err != nil || done {
			if err == nil {
				err = m.exec(fmt.Sprintf("ALTER TABLE %s MODIFY COLUMN %s", t, columnDef(d, c.To)))
			}
			return err
		}
		if err := m.exec(fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", t, columnDef(d, nullable(Column{Name: tmpColumn(c.To.Name), Type: c.To.Type})))); err != nil {
			return err
		}
	}
	if mg.HasColumn(table, c.To.Name) {
		if err := m.Exec(fmt.Sprintf("UPDATE %s SET %s = %s", t, tmp, c.Fill)); err != nil {
			return err
		}
		if err := d.detachColumn(m, table, c.To.Name, checks); err != nil {
			return err
		}
		if err := m.exec(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", t, col)); err != nil {
			return err
		}
	}
	return m.exec(fmt.Sprintf("ALTER TABLE %s CHANGE COLUMN %s %s", t, tmp, columnDef(d, c.To)))
}

// detachColumn drops, before a conversion drops the old column, every key
// over it with other columns: the primary key, indexes and checks. MariaDB
// refuses to drop a column of a multi-column key or check, and silently
// shrinks a multi-column plain index to its other columns. The phases
// after the conversion (changePrimaryKey, addKeys) add them back over the
// converted column. Each drop looks at the catalog first, for a re-run.
func (d mysqlDialect) detachColumn(m *Migrator, table, col string, checks []Check) error {
	t := d.Quote(table)
	indexes, err := m.Strings(`SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ? ORDER BY INDEX_NAME`, table, col)
	if err != nil {
		return err
	}
	for _, name := range indexes {
		stmt := "DROP INDEX " + d.Quote(name)
		if name == "PRIMARY" {
			stmt = "DROP PRIMARY KEY"
		}
		if err := m.exec(fmt.Sprintf("ALTER TABLE %s %s", t, stmt)); err != nil {
			return err
		}
	}
	mg := m.DB.Migrator()
	for _, c := range checks {
		if strings.Contains(c.Expr, col) && mg.HasConstraint(table, c.Name) {
			if err := m.exec(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", t, d.Quote(c.Name))); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasType reports whether a column already has the SQL type of t.
func (d mysqlDialect) hasType(m *Migrator, table, col string, t Type) (bool, error) {
	got, err := m.Strings(`SELECT DATA_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, table, col)
	if err != nil {
		return false, err
	}
	return len(got) == 1 && slices.Contains(mysqlDataTypes[t], strings.ToLower(got[0])), nil
}

// updateFromValues joins a derived table of the batch's rows.
func (d mysqlDialect) updateFromValues(m *Migrator, table string, key Column, cols []Column, values [][]any) error {
	return m.Exec(d.updateSQL(table, key, cols, len(values)), flat(values)...)
}

func (d mysqlDialect) updateSQL(table string, key Column, cols []Column, rows int) string {
	all := append([]Column{key}, cols...)
	first := make([]string, len(all))
	params := make([]string, len(all))
	for i, c := range all {
		// MariaDB truncates a text value the driver sends as long data (past
		// max_allowed_packet / (parameters + 1) bytes) to a length guessed
		// from the other rows, unless it is cast.
		params[i] = "?"
		if c.Type == Text || c.Type == JSON {
			params[i] = "CAST(? AS CHAR)"
		}
		first[i] = params[i] + " AS " + d.Quote(c.Name)
	}
	selects := []string{"SELECT " + strings.Join(first, ", ")}
	rest := "SELECT " + strings.Join(params, ",")
	for i := 1; i < rows; i++ {
		selects = append(selects, rest)
	}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = fmt.Sprintf("t.%s = v.%s", d.Quote(c.Name), d.Quote(c.Name))
	}
	return fmt.Sprintf("UPDATE %s AS t JOIN (%s) AS v ON t.%s = v.%s SET %s",
		d.Quote(table), strings.Join(selects, " UNION ALL "), d.Quote(key.Name), d.Quote(key.Name), strings.Join(sets, ", "))
}

func (d mysqlDialect) insertRows(m *Migrator, table string, cols []Column, values [][]any, c Conflict) error {
	return m.Exec(d.insertSQL(table, cols, len(values), c), flat(values)...)
}

func (d mysqlDialect) insertSQL(table string, cols []Column, rows int, c Conflict) string {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	tuple := "(" + placeholders(len(cols)) + ")"
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", d.Quote(table), quoteList(d, names),
		strings.TrimSuffix(strings.Repeat(tuple+",", rows), ","))
	if len(c.Keys) == 0 {
		return q
	}
	if c.KeepMin == "" {
		k := d.Quote(c.Keys[0])
		return q + fmt.Sprintf(" ON DUPLICATE KEY UPDATE %s = %s", k, k)
	}
	col := d.Quote(c.KeepMin)
	return q + fmt.Sprintf(" ON DUPLICATE KEY UPDATE %s = IF(%s < %s, VALUES(%s), %s)",
		col, d.ByteOrder("VALUES("+col+")"), d.ByteOrder(col), col, col)
}

func (d mysqlDialect) createMigrationsTable(m *Migrator, name string) error {
	if migrationsTableReady(m, name) {
		return nil
	}
	opts, err := d.tableOptions(m.DB)
	if err != nil {
		return err
	}
	if err := m.exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s varchar(255) NOT NULL, %s datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), %s, PRIMARY KEY (%s)) %s",
		d.Quote(name), d.Quote("id"), d.Quote("applied_at"), checksumColumnDef(d), d.Quote("id"), opts)); err != nil {
		return err
	}
	// ADD COLUMN IF NOT EXISTS is MariaDB's, not MySQL's: ask the catalog.
	has, err := m.Strings(`SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, name, ChecksumColumn)
	if err != nil || len(has) > 0 {
		return err
	}
	return addChecksumColumn(m, name)
}

// Table rebuilds on this database (the shared part is in rebuild.go).

func (mysqlDialect) analyze(*Migrator, string) error { return nil }

// rebuildTable on MySQL survives a crash at any statement: the copy goes
// to t__new, created with a marker comment, and RENAME TABLE swaps both
// names in one statement (the old table becoming t__old). What is left
// shows how far an interrupted run got: t__old, or t carrying the marker,
// means the swap happened; a change of shape shows in t's columns too. The
// marker is cleared last. A rebuild found finished is not repeated, except
// one that keeps the shape and was interrupted after clearing its marker:
// it copies again, to the same result.
func (d mysqlDialect) rebuildTable(m *Migrator, r Rebuild) error {
	from, to := r.From, r.To
	t, tmp, old := to.Name, to.Name+"__new", to.Name+"__old"
	mg := m.DB.Migrator()
	// The swap's checkpoint also tells a finished rebuild that kept the
	// shape and cleared its marker: it is not copied again.
	swapped, err := m.Reached(rebuiltPoint(t))
	if err != nil {
		return err
	}
	if !swapped {
		if swapped, err = d.rebuildSwapped(m, t); err != nil {
			return err
		}
	}
	if !swapped && !sameColumns(from, to) {
		done, err := d.hasShape(m, to)
		if err != nil {
			return err
		}
		swapped = done
	}
	resumed := swapped // found swapped in by an interrupted run
	if !swapped {
		found, err := m.Strings(`SELECT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME) FROM information_schema.REFERENTIAL_CONSTRAINTS
			WHERE CONSTRAINT_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = ? AND TABLE_NAME <> ?`, t, t)
		if err != nil {
			return err
		}
		if err := prepareRebuild(m, r, found); err != nil {
			return err
		}
		// A partial copy left by an interrupted run is started again.
		if err := m.exec("DROP TABLE IF EXISTS " + d.Quote(tmp)); err != nil {
			return err
		}
		opts, err := d.tableOptions(m.DB)
		if err != nil {
			return err
		}
		if err := m.exec(createTableSQL(d, bareShape(to), tmp, false, true) + " " + opts + " COMMENT '" + rebuildMarker + "'"); err != nil {
			return err
		}
		if err := newCopy(d, r, tmp).inBatches(m); err != nil {
			return err
		}
		if err := m.exec(fmt.Sprintf("RENAME TABLE %s TO %s, %s TO %s", d.Quote(t), d.Quote(old), d.Quote(tmp), d.Quote(t))); err != nil {
			return err
		}
		// Written before t__old goes, so the swap is never unseen.
		if err := m.Checkpoint(rebuiltPoint(t)); err != nil {
			return err
		}
	}
	if resumed && r.Refill && len(r.Fills) > 0 {
		if err := d.refill(m, r); err != nil {
			return err
		}
	}
	if err := m.exec("DROP TABLE IF EXISTS " + d.Quote(old)); err != nil {
		return err
	}
	for _, i := range to.Indexes {
		if !mg.HasIndex(t, i.Name) {
			if err := m.exec(createIndexSQL(d, t, i, false)); err != nil {
				return err
			}
		}
	}
	for _, c := range to.Checks {
		if !mg.HasConstraint(t, c.Name) {
			if err := m.exec(fmt.Sprintf("ALTER TABLE %s ADD %s", d.Quote(t), checkDef(d, c))); err != nil {
				return err
			}
		}
	}
	for _, f := range to.ForeignKeys {
		// Rows the application wrote between the swap and now were not
		// held by the key (see the referrers below).
		if err := d.addForeignKeyAfterSwap(m, t, f); err != nil {
			return err
		}
	}
	for _, ref := range r.Referrers {
		// While the key was dropped, the application may have deleted rows
		// of t (its run is not held up by the migration lock), and a crash
		// may have left the key dropped for as long as it took to run the
		// step again: the referencing rows get what the key's ON DELETE
		// would have done to them.
		if err := d.addForeignKeyAfterSwap(m, ref.Table, ref.Key); err != nil {
			return err
		}
	}
	return m.exec(fmt.Sprintf("ALTER TABLE %s COMMENT ''", d.Quote(t)))
}

// refill applies a rebuild's fills again in place, to every row of the
// swapped-in table, in one statement (atomic on InnoDB, so a crash
// repeats it whole).
func (d mysqlDialect) refill(m *Migrator, r Rebuild) error {
	t := d.Quote(r.To.Name)
	sets := make([]string, len(r.Fills))
	for i, f := range r.Fills {
		sets[i] = t + "." + d.Quote(f.Column) + " = " + f.Expr
	}
	q := "UPDATE " + t
	if r.Join != "" {
		q += " " + r.Join
	}
	return m.Exec(q + " SET " + strings.Join(sets, ", "))
}

// rebuildSwapped reports whether an interrupted rebuild of t swapped its copy in
// and has not cleared its marker: t__old is still there, or t carries the
// marker.
func (d mysqlDialect) rebuildSwapped(m *Migrator, t string) (bool, error) {
	if m.DB.Migrator().HasTable(t + "__old") {
		return true, nil
	}
	comment, err := d.tableComment(m, t)
	return comment == rebuildMarker, err
}

func (d mysqlDialect) tableComment(m *Migrator, table string) (string, error) {
	c, err := m.Strings(`SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table)
	if err != nil || len(c) == 0 {
		return "", err
	}
	return c[0], nil
}

// hasShape reports whether a table already has exactly the columns of t,
// with their types: how a re-run tells a finished rebuild from the old table.
func (d mysqlDialect) hasShape(m *Migrator, t Table) (bool, error) {
	rows, err := m.Rows(`SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, t.Name)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return false, err
		}
		c, ok := t.Column(name)
		if !ok || !slices.Contains(mysqlDataTypes[c.Type], strings.ToLower(typ)) {
			return false, rows.Err()
		}
		n++
	}
	return n == len(t.Columns), rows.Err()
}

// addForeignKeyAfterSwap adds a key a rebuild dropped or has not built
// yet, first giving the rows that name a deleted row what the key's ON
// DELETE would have done (applyDeleteAction). After a CASCADE or SET NULL
// no row can break the key, so the check's join is not run again.
func (d mysqlDialect) addForeignKeyAfterSwap(m *Migrator, table string, f ForeignKey) error {
	if m.DB.Migrator().HasConstraint(table, f.Name) {
		return nil
	}
	handled, err := m.applyDeleteAction(table, f)
	if err != nil {
		return err
	}
	if !handled {
		if err := checkForeignKey(m, table, f); err != nil {
			return err
		}
	}
	return d.addForeignKeyUnchecked(m, table, f)
}

// addForeignKey checks the key holds with one join, then adds it with
// foreign_key_checks off, which InnoDB does in place; with checks on it
// copies the whole table. A failing row is named rather than left to the
// server's generic error.
func (d mysqlDialect) addForeignKey(m *Migrator, table string, f ForeignKey) error {
	if m.DB.Migrator().HasConstraint(table, f.Name) {
		return nil
	}
	if err := checkForeignKey(m, table, f); err != nil {
		return err
	}
	return d.addForeignKeyUnchecked(m, table, f)
}

// addForeignKeyUnchecked adds a key known to hold, with checks off.
func (d mysqlDialect) addForeignKeyUnchecked(m *Migrator, table string, f ForeignKey) error {
	if err := m.exec("SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
	err := d.alterExec(m, fmt.Sprintf("ALTER TABLE %s ADD %s", d.Quote(table), fkDef(d, f)))
	if restore := m.DB.Exec("SET SESSION foreign_key_checks = 1").Error; err == nil {
		err = restore
	}
	return err
}

func (d mysqlDialect) dropForeignKey(m *Migrator, table, name string) error {
	mg := m.DB.Migrator()
	if mg.HasConstraint(table, name) {
		if err := m.exec(fmt.Sprintf("ALTER TABLE %s DROP FOREIGN KEY %s", d.Quote(table), d.Quote(name))); err != nil {
			return err
		}
	}
	// The index InnoDB made for the key is not the table's to keep.
	if mg.HasIndex(table, name) {
		return m.exec(fmt.Sprintf("ALTER TABLE %s DROP INDEX %s", d.Quote(table), d.Quote(name)))
	}
	return nil
}
