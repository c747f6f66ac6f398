// Package dialect is the one place that knows how SQLite, PostgreSQL and
// MySQL/MariaDB differ: column types, DDL, table rebuilds, catalog checks,
// JSON and time expressions, locking and connection URLs. Migration steps
// and the runner speak to it in dialect-neutral terms.
package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"gorm.io/gorm"
)

// RunMode says how the runner wraps steps on a dialect.
type RunMode int

const (
	// StepTransactions: each step runs in a transaction of its own which
	// takes the run lock before anything else and holds it until it ends
	// (BeginLocked): a transaction-scoped advisory lock on PostgreSQL, the
	// write lock of BEGIN IMMEDIATE on SQLite. Nothing of a run outlives
	// its transactions, which is what a transaction-pooling PgBouncer
	// requires: there, a session's next transaction may run on another
	// server connection.
	StepTransactions RunMode = iota + 1
	// NoTransactions: DDL commits on its own, so steps are written to be
	// re-run after a crash at any statement, and a session lock held by
	// the run's pinned connection (LockSession) guards the whole run
	// (MySQL/MariaDB).
	NoTransactions
)

// ErrLockBusy is what one attempt at the run lock returns while another
// run holds it; the runner waits and tries again until its lock timeout.
var ErrLockBusy = errors.New("another run holds the migration lock")

// Dialect is implemented once per database family.
type Dialect interface {
	// Name is "sqlite", "postgres" or "mysql", as GORM's dialectors name them.
	Name() string
	// Quote quotes an identifier; every identifier in generated SQL is quoted.
	Quote(ident string) string
	// SQLType is the column type GORM's AutoMigrate creates for t.
	SQLType(t Type) string
	RunMode() RunMode

	// PrepareRun readies a run's pinned connection (outside any
	// transaction) and returns what gives it back to the pool as it was.
	// lockTimeout is the run's: SQLite waits that long for a busy
	// database. Settings made here are session settings, so PostgreSQL
	// makes none: behind a transaction-pooling PgBouncer a session setting
	// lands on one server connection and the next transaction may run on
	// another. Its settings are SET LOCAL, in the step's transaction.
	PrepareRun(conn *gorm.DB, lockTimeout time.Duration) (finish func(ctx context.Context) error, err error)
	// LockSession makes one attempt, without waiting, at the run lock
	// held by conn's session until release (NoTransactions dialects); it
	// returns ErrLockBusy while another run holds it. StepTransactions
	// dialects take their lock in BeginLocked and return a no-op here.
	LockSession(ctx context.Context, conn *gorm.DB, name string) (release func(ctx context.Context) error, err error)
	// BeginLocked begins a transaction on conn that holds the run lock
	// until it ends (StepTransactions dialects), waiting at most wait for
	// it: ErrLockBusy if another run still holds it. ctx is used for the
	// whole transaction, commit and rollback included, so it is one that
	// a signal does not cancel; the statements of a step take their own.
	BeginLocked(ctx context.Context, conn *gorm.DB, name string, wait time.Duration) (*gorm.DB, error)
	// Lock waits of a step's statements (ddllock.go). LimitLockWait
	// bounds each wait for a table lock on the run's pinned connection, as
	// a session setting, until restore (MySQL; a no-op elsewhere), and
	// returns the wait the database will keep (MySQL rounds up to seconds);
	// LimitTxLockWait in a step's transaction, after BeginLocked
	// (PostgreSQL; a no-op elsewhere). LockWaitTimedOut recognises a
	// statement that gave up waiting; LockHolders names the other
	// sessions holding tables (all of them if none given or none found).
	LimitLockWait(conn *gorm.DB, wait time.Duration) (kept time.Duration, restore func(ctx context.Context) error, err error)
	LimitTxLockWait(tx *gorm.DB, wait time.Duration) error
	LockWaitTimedOut(err error) bool
	LockHolders(conn *gorm.DB, tables []string) ([]LockHolder, error)
	// CheckStep runs after each step inside its transaction and fails it if
	// the step left the database inconsistent.
	CheckStep(tx *gorm.DB) error
	// MatchCollation gives the chain's existing tables the collation this
	// tool creates tables with, where an older version (or Open WebUI)
	// created them with the server's default: on MySQL a binary one, so
	// IDs and keys compare byte for byte (SQLite and PostgreSQL compare
	// so already; nothing to do). chainTables names the tables the chain
	// creates; it is called only when some table needs converting.
	// Before any step of a writing run, on its pinned connection.
	MatchCollation(conn *gorm.DB, chainTables func() ([]string, error)) error

	// TableSizes estimates every table's rows and bytes from the catalog
	// (schema lint and plan); it never scans a large table.
	TableSizes(db *gorm.DB) (map[string]TableSize, error)

	// FoldsTableNames reports whether the database takes table names that
	// differ only in case for the same table: SQLite always, MySQL with
	// lower_case_table_names set, PostgreSQL never (the chain's names are
	// quoted, so "User" is another table than user).
	FoldsTableNames(db *gorm.DB) bool

	// SQL fragments for data steps. col and key are trusted identifiers.
	JSONString(col, key string) string // the string at key, else NULL
	JSONInt(col, key string) string    // the integer at key, else NULL
	ByteOrder(expr string) string      // expr compared and sorted byte by byte
	CharLength(expr string) string
	EpochToTime(col string) string // epoch seconds to a UTC timestamptz value
	TimeToEpoch(col string) string // a timestamptz value to epoch seconds, floored

	// impacts is what op does to an existing table (impact.go).
	impacts(op Op, online bool) []Impact
	// throughput is rows a second per kind of work (Impact.Work).
	throughput() map[string]float64
	createTable(m *Migrator, t Table) error
	dropTable(m *Migrator, name string) error
	alterTable(m *Migrator, from, to Table, fills []Fill) error
	rebuildTable(m *Migrator, r Rebuild) error
	// rebuildSwapped reports whether an interrupted rebuild of table got
	// past its swap (NoTransactions dialects; always false elsewhere).
	rebuildSwapped(m *Migrator, table string) (bool, error)
	dropForeignKey(m *Migrator, table, name string) error
	updateFromValues(m *Migrator, table string, key Column, cols []Column, rows [][]any) error
	insertRows(m *Migrator, table string, cols []Column, rows [][]any, c Conflict) error
	createMigrationsTable(m *Migrator, name string) error
	// tableOptions is what every CREATE TABLE of this tool ends with.
	tableOptions(db *gorm.DB) (string, error)
	// journalSQL is the progress journal's dialect-specific SQL (progress.go).
	journalSQL() journalSQL
	// onlineApart reports whether an online step runs apart from the
	// unit's transaction (StepRun.Outside); readyApart readies unit, that
	// transaction, to wait idle meanwhile; apartTx runs fn in a short
	// transaction of its own on the pool (see online.go).
	onlineApart() bool
	readyApart(unit *gorm.DB) error
	apartTx(m *Migrator, fn func(*Migrator) error) error
	// analyze refreshes the planner's statistics of a table whose rows or
	// columns a step just changed, where the planner needs them.
	analyze(m *Migrator, table string) error

	// Connections (url.go's Open and WithDatabase). connect returns the
	// GORM dialector for t and, for a SQLite file it may only read, why.
	connect(t Target) (gorm.Dialector, *ReadOnlyError, error)
	configurePool(t Target, db *sql.DB)
	// parse reads a server's URL (PostgreSQL, MySQL); hostInQuery reports
	// whether its query names the server when the URL has no host.
	parse(u *url.URL) (Target, error)
	hostInQuery(q url.Values) bool
	// server reports whether databases live side by side on a server
	// (PostgreSQL, MySQL) rather than in files (SQLite).
	server() bool

	// Catalog queries about the server's databases (scratch.go); "" where
	// the dialect has no such thing. listDatabasesSQL takes a LIKE
	// pattern, sessionsSQL a database name; dropDatabaseSQL is given the
	// quoted name. currentSchemaSQL "" means always "main" (SQLite).
	listDatabasesSQL() string
	sessionsSQL() string
	dropDatabaseSQL(quotedName string) string
	currentSchemaSQL() string
	// inspector is Atlas's schema inspector for this database.
	inspector(conn *sql.DB) (migrate.Driver, error)
	// searchPath reports whether unqualified names resolve through a
	// search path the URL may set (PostgreSQL), which a new scratch
	// database must then be given.
	searchPath() bool
	// normalType spells a lower-cased column type one way where the
	// database has two spellings of it.
	normalType(s string) string

	// Behind the exported helpers of the same names (file.go, folder.go,
	// tags.go): steps call those, and they dispatch here.
	jsonKeyPresent(col, key string) string
	jsonUnparsable(col string) string
	updateJoin(table, source, on string, sets []string) string
	jsonArrayStrings(col, key, alias string) JSONStrings
	bulkLoadShape(t Table) Table // t is a clone the method may change
	bulkLoadConflict(c Conflict) Conflict

	// schema copy's target side (load.go).
	loadSession(ctx context.Context, conn *sql.Conn) (restore func(context.Context) error, err error)
	loadBatch(ctx context.Context, conn *sql.Conn, table string, cols []Column, rows [][]any, also func(Exec) error) error
	dropsForeignKeysToLoad() bool
	dropForeignKeySQL(table, name string) string // "" where a key cannot be dropped alone
	limits() Limits
}

// Conflict says what an insert does when a row's key already exists.
type Conflict struct {
	Keys []string
	// KeepMin names a column that keeps the byte-wise smaller of the old
	// and new values; empty means the existing row is left alone.
	KeepMin string
}

var dialects = map[string]Dialect{
	"sqlite":   sqliteDialect{},
	"postgres": postgresDialect{},
	"mysql":    mysqlDialect{},
}

// Of returns the dialect of an open GORM database.
func Of(db *gorm.DB) (Dialect, error) {
	name := db.Dialector.Name()
	d, ok := dialects[name]
	if !ok {
		return nil, fmt.Errorf("unsupported database dialect %q: use sqlite, postgres or mysql", name)
	}
	return d, nil
}

// TableOptions is what this tool appends to every CREATE TABLE on db's
// dialect ("" for none): on MySQL, utf8mb4 with a binary NO PAD collation
// (see MatchCollation). AutoMigrate must be given the same, as
// gorm:table_options, for its tables to equal the chain's.
func TableOptions(db *gorm.DB) (string, error) {
	d, err := Of(db)
	if err != nil {
		return "", err
	}
	return d.tableOptions(db)
}

// Names lists the supported dialects, for tests and messages.
func Names() []string { return []string{"sqlite", "postgres", "mysql"} }

func quoteWith(q byte, ident string) string {
	s := string(q)
	return s + strings.ReplaceAll(ident, s, s+s) + s
}

func quoteList(d Dialect, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = d.Quote(n)
	}
	return strings.Join(out, ",")
}

// columnDef renders "name type [NOT NULL] [DEFAULT x]" as GORM does.
func columnDef(d Dialect, c Column) string {
	var b strings.Builder
	b.WriteString(d.Quote(c.Name))
	b.WriteString(" ")
	b.WriteString(d.SQLType(c.Type))
	if c.NotNull {
		b.WriteString(" NOT NULL")
	}
	if c.Default != "" {
		b.WriteString(" DEFAULT ")
		b.WriteString(c.Default)
	}
	return b.String()
}

func fkDef(d Dialect, f ForeignKey) string {
	s := fmt.Sprintf("CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s(%s)",
		d.Quote(f.Name), quoteList(d, f.Columns), d.Quote(f.RefTable), quoteList(d, f.RefColumns))
	if f.OnDelete != "" {
		s += " ON DELETE " + f.OnDelete
	}
	return s
}

func checkDef(d Dialect, c Check) string {
	return fmt.Sprintf("CONSTRAINT %s CHECK (%s)", d.Quote(c.Name), c.Expr)
}

// createTableSQL renders CREATE TABLE the way GORM lays it out: columns,
// primary key, then (where inline) indexes, foreign keys and checks.
func createTableSQL(d Dialect, t Table, name string, ifNotExists, inlineIndexes bool) string {
	var parts []string
	for _, c := range t.Columns {
		parts = append(parts, columnDef(d, c))
	}
	if len(t.PrimaryKey) > 0 {
		parts = append(parts, "PRIMARY KEY ("+quoteList(d, t.PrimaryKey)+")")
	}
	if inlineIndexes {
		for _, i := range t.Indexes {
			kind := "INDEX"
			if i.Unique {
				kind = "UNIQUE INDEX"
			}
			parts = append(parts, fmt.Sprintf("%s %s (%s)", kind, d.Quote(i.Name), quoteList(d, i.Columns)))
		}
	}
	for _, f := range t.ForeignKeys {
		parts = append(parts, fkDef(d, f))
	}
	for _, c := range t.Checks {
		parts = append(parts, checkDef(d, c))
	}
	ine := ""
	if ifNotExists {
		ine = "IF NOT EXISTS "
	}
	return fmt.Sprintf("CREATE TABLE %s%s (%s)", ine, d.Quote(name), strings.Join(parts, ","))
}

// createTableIfMissing creates t and then its indexes, each statement a
// no-op where it exists (PostgreSQL and SQLite, whose DDL is transactional:
// a step is never found half done).
func createTableIfMissing(d Dialect, m *Migrator, t Table) error {
	if err := m.exec(createTableSQL(d, t, t.Name, true, false)); err != nil {
		return err
	}
	for _, i := range t.Indexes {
		if err := m.exec(createIndexSQL(d, t.Name, i, true)); err != nil {
			return err
		}
	}
	return nil
}

func dropTableIfExists(d Dialect, m *Migrator, name string) error {
	return m.exec("DROP TABLE IF EXISTS " + d.Quote(name))
}

func createIndexSQL(d Dialect, table string, i Index, ifNotExists bool) string {
	kind := "INDEX"
	if i.Unique {
		kind = "UNIQUE INDEX"
	}
	ine := ""
	if ifNotExists {
		ine = "IF NOT EXISTS "
	}
	return fmt.Sprintf("CREATE %s %s%s ON %s (%s)", kind, ine, d.Quote(i.Name), d.Quote(table), quoteList(d, i.Columns))
}
