package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	apostgres "ariga.io/atlas/sql/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

type postgresDialect struct{}

func (postgresDialect) Name() string                  { return "postgres" }
func (postgresDialect) Quote(ident string) string     { return quoteWith('"', ident) }
func (postgresDialect) RunMode() RunMode              { return StepTransactions }
func (postgresDialect) CheckStep(*gorm.DB) error      { return nil }
func (postgresDialect) FoldsTableNames(*gorm.DB) bool { return false }
func (postgresDialect) ByteOrder(e string) string     { return e + ` COLLATE "C"` }
func (postgresDialect) CharLength(e string) string    { return "char_length(" + e + ")" }

// What the shared code asks of PostgreSQL (see the Dialect interface).

func (postgresDialect) connect(t Target) (gorm.Dialector, *ReadOnlyError, error) {
	cfg, err := pgx.ParseConfig(t.dsn)
	if err != nil {
		return nil, nil, t.scrub(fmt.Errorf("cannot open %s: %w", t, err))
	}
	// A cancelled statement (a signal to the command) is cancelled on the
	// server, as psql's Ctrl-C does: the step's transaction then rolls
	// back at once, its locks with it. pgx's default breaks the connection
	// instead, and the server finishes the statement before it notices.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 10 * time.Second}
	}
	// timestamptz values come back in UTC, as they do on the other
	// dialects, rather than in the process's local zone.
	sqlDB := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}))
	return postgres.New(postgres.Config{Conn: sqlDB}), nil, nil
}

func (postgresDialect) configurePool(_ Target, db *sql.DB) { serverPool(db) }

func (postgresDialect) parse(u *url.URL) (Target, error) { return parsePostgres(u) }

// hostInQuery: a URL without a host may name the server in its query
// (?host=/run/postgresql, a socket folder).
func (postgresDialect) hostInQuery(q url.Values) bool { return q.Get("host") != "" }

func (postgresDialect) server() bool { return true }
func (postgresDialect) listDatabasesSQL() string {
	return `SELECT datname FROM pg_database WHERE datname LIKE ?`
}
func (postgresDialect) sessionsSQL() string {
	return `SELECT count(*) FROM pg_stat_activity WHERE datname = ?`
}

// dropDatabaseSQL: WITH (FORCE), so a leaked pool connection does not keep
// the database alive.
func (postgresDialect) dropDatabaseSQL(name string) string {
	return "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"
}
func (postgresDialect) currentSchemaSQL() string { return "SELECT current_schema()" }
func (postgresDialect) searchPath() bool         { return true }

// normalType: timestamptz(6) is timestamptz (GORM writes the precision
// when a field says precision:6).
func (postgresDialect) normalType(s string) string {
	if s == "timestamptz(6)" {
		return "timestamptz"
	}
	return s
}

// bulkLoadShape: plain indexes, foreign keys and the primary key. Each
// written row would fire a check per key and update the key's index, while
// adding them afterwards checks and sorts every row at once. A step here is
// one transaction that never runs twice, so the caller inserting distinct
// keys is all the primary key needs (adding it fails the step otherwise);
// hence bulkLoadConflict resolves nothing.
func (postgresDialect) bulkLoadShape(t Table) Table {
	t.ForeignKeys, t.PrimaryKey = nil, nil
	return t
}
func (postgresDialect) bulkLoadConflict(Conflict) Conflict { return Conflict{} }

func (postgresDialect) jsonKeyPresent(c, key string) string {
	return fmt.Sprintf("coalesce(jsonb_typeof(%s->'%s') <> 'null', false)", c, key)
}

// jsonUnparsable: PostgreSQL rejects text that is not JSON on write.
func (postgresDialect) jsonUnparsable(string) string { return "false" }

func (d postgresDialect) updateJoin(table, source, on string, sets []string) string {
	return updateFrom(d, table, source, on, sets)
}

func (postgresDialect) jsonArrayStrings(col, key, alias string) JSONStrings {
	arr := fmt.Sprintf("%s->'%s'", col, key)
	return JSONStrings{
		From:  fmt.Sprintf("CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(%[1]s) = 'array' THEN %[1]s END) AS %[2]s(v)", arr, alias),
		Where: fmt.Sprintf("jsonb_typeof(%s.v) = 'string'", alias),
		Value: fmt.Sprintf("(%s.v #>> '{}')", alias),
	}
}

func (postgresDialect) inspector(conn *sql.DB) (migrate.Driver, error) { return apostgres.Open(conn) }

func (postgresDialect) SQLType(t Type) string {
	switch t {
	case Key:
		return "varchar(255)"
	case Text:
		return "text"
	case JSON:
		return "JSONB"
	case BigInt:
		return "bigint"
	case Bool:
		return "boolean"
	case SmallInt:
		return "smallint"
	case Timestamptz:
		return "timestamptz"
	}
	panic(fmt.Sprintf("postgres: no SQL type for %v", t))
}

func (d postgresDialect) JSONString(col, key string) string {
	v := fmt.Sprintf("%s->'%s'", d.Quote(col), key)
	return fmt.Sprintf("CASE WHEN jsonb_typeof(%s) = 'string' THEN %s->>'%s' END", v, d.Quote(col), key)
}

func (d postgresDialect) JSONInt(col, key string) string {
	v := fmt.Sprintf("%s->'%s'", d.Quote(col), key)
	// jsonb has one number type; the text form tells integers apart. The
	// nested CASE keeps the cast from seeing anything but digits. No ? in
	// the pattern: GORM would take it for a placeholder.
	return fmt.Sprintf("CASE WHEN jsonb_typeof(%[1]s) = 'number' THEN CASE WHEN (%[1]s)::text ~ '^-{0,1}[0-9]{1,18}$' THEN (%[1]s)::text::bigint END END", v)
}

func (d postgresDialect) EpochToTime(col string) string {
	return "to_timestamp(" + d.Quote(col) + ")"
}

func (d postgresDialect) TimeToEpoch(col string) string {
	return "floor(extract(epoch from " + d.Quote(col) + "))::bigint"
}

// The database's own comparison is byte for byte already (BINARY, or a
// deterministic collation), whatever its default: nothing to convert.
func (postgresDialect) MatchCollation(*gorm.DB, func() ([]string, error)) error { return nil }
func (postgresDialect) tableOptions(*gorm.DB) (string, error)                   { return "", nil }

// pgTableOID is the oid of the table whose quoted name is the parameter, in
// the current schema (the one a URL's search_path selects, where the
// chain's tables live): to_regclass alone would take a table of that name
// from any schema of the search_path when the current one lacks it.
const pgTableOID = `to_regclass(quote_ident(current_schema()) || '.' || ?)`

// PrepareRun makes no session setting: behind a transaction-pooling
// PgBouncer it would hold on one server connection only.
func (postgresDialect) PrepareRun(*gorm.DB, time.Duration) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

// LockSession is a no-op: the lock is taken in each step's transaction.
func (postgresDialect) LockSession(context.Context, *gorm.DB, string) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

// pgLockKey is the advisory lock key of the run lock. Runs of earlier
// versions took a session lock on the same key, so a replica still running
// one and an upgraded one exclude each other.
func pgLockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// BeginLocked begins a transaction and takes the transaction-scoped
// advisory lock in it, which PostgreSQL releases at commit or rollback:
// unlike a session lock, it holds through a transaction-pooling PgBouncer.
// One attempt, without waiting (the runner waits between attempts, so a
// waiting run holds no server connection).
//
// The transaction is READ COMMITTED whatever the server's default, so the
// statements after the lock see what the previous holder committed; under
// REPEATABLE READ the snapshot would date from before the lock was taken.
func (postgresDialect) BeginLocked(ctx context.Context, conn *gorm.DB, name string, _ time.Duration) (*gorm.DB, error) {
	tx := conn.WithContext(ctx).Begin(&sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if tx.Error != nil {
		return nil, fmt.Errorf("begin a transaction: %w", tx.Error)
	}
	var ok bool
	if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", pgLockKey(name)).Scan(&ok).Error; err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	if !ok {
		if err := tx.Rollback().Error; err != nil {
			return nil, fmt.Errorf("end a transaction that did not get the migration lock: %w", err)
		}
		return nil, ErrLockBusy
	}
	// The steps name tables and indexes unqualified. With more than one
	// schema on the search path (search_path=app,public, or the default
	// "$user", public when the user's schema exists), a DROP ... IF EXISTS
	// of something the current schema lacks would reach a namesake in a
	// later schema: the unit sees the current schema alone. SET LOCAL, so
	// nothing outlives the transaction (PgBouncer).
	if err := tx.Exec(`SELECT set_config('search_path', quote_ident(current_schema()), true) WHERE current_schema() IS NOT NULL`).Error; err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("keep the migration to the current schema: %w", err)
	}
	return tx, nil
}

func (d postgresDialect) createTable(m *Migrator, t Table) error {
	return createTableIfMissing(d, m, t)
}
func (d postgresDialect) dropTable(m *Migrator, name string) error {
	return dropTableIfExists(d, m, name)
}

func (d postgresDialect) alterTable(m *Migrator, from, to Table, fills []Fill) error {
	if m.apart {
		return d.alterOnline(m, from, to, fills)
	}
	p := planAlter(from, to, fills)
	for _, c := range p.conversions() {
		if err := checkConvertible(m, from, c); err != nil {
			return err
		}
	}
	t := d.Quote(to.Name)
	pk, err := d.primaryKeyStatements(m, t, from, to, p)
	if err != nil {
		return err
	}
	var stmts []string
	stmts = append(stmts, d.dropKeyStatements(t, p)...)
	stmts = append(stmts, d.columnStatements(m, t, to, p)...)
	stmts = append(stmts, pk...)
	for _, c := range p.dropColumns {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP COLUMN IF EXISTS %s", t, d.Quote(c.Name)))
	}
	stmts = append(stmts, d.addKeyStatements(m, t, to, p)...)
	for _, s := range stmts {
		if err := m.exec(s); err != nil {
			return err
		}
	}
	// Filled columns have no statistics yet, and the step may join on them.
	if len(fills) > 0 {
		return d.analyze(m, to.Name)
	}
	return nil
}

// dropKeyStatements drop the foreign keys, checks and indexes the new shape
// does not have (or changes).
func (d postgresDialect) dropKeyStatements(t string, p alterPlan) []string {
	var stmts []string
	for _, f := range p.dropFKs {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", t, d.Quote(f.Name)))
	}
	for _, c := range p.dropChecks {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", t, d.Quote(c.Name)))
	}
	for _, i := range p.dropIndexes {
		stmts = append(stmts, "DROP INDEX IF EXISTS "+d.Quote(i.Name))
	}
	return stmts
}

// columnStatements add the new columns (nullable while they are filled),
// fill them, finish them, and change the columns that stay.
func (d postgresDialect) columnStatements(m *Migrator, t string, to Table, p alterPlan) []string {
	var stmts []string
	filled := map[string]bool{}
	for _, f := range p.fills {
		filled[f.Column] = true
	}
	for _, c := range p.addColumns {
		def := c
		if filled[c.Name] {
			def = nullable(c)
		}
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s", t, columnDef(d, def)))
	}
	if len(p.fills) > 0 {
		m.wroteRows()
		stmts = append(stmts, fillSQL(d, to.Name, p.fills))
	}
	for _, c := range p.addColumns {
		if filled[c.Name] {
			stmts = append(stmts, d.finishColumn(t, nullable(c), c)...)
		}
	}
	for _, c := range p.changes {
		if c.typeChanged() {
			using := d.Quote(c.From.Name) + "::" + d.SQLType(c.To.Type)
			if c.Fill != "" {
				using = c.Fill
			}
			if c.From.Default != "" {
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", t, d.Quote(c.From.Name)))
				c.From.Default = ""
			}
			m.wroteRows()
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s",
				t, d.Quote(c.To.Name), d.SQLType(c.To.Type), using))
		}
		stmts = append(stmts, d.finishColumn(t, c.From, c.To)...)
	}
	return stmts
}

// primaryKeyStatements replace the primary key, found by its name in the
// catalog, when it changes.
func (d postgresDialect) primaryKeyStatements(m *Migrator, t string, from, to Table, p alterPlan) ([]string, error) {
	if !p.pkChanged {
		return nil, nil
	}
	var stmts []string
	var name string
	if err := m.Scan(`SELECT conname FROM pg_constraint WHERE conrelid = `+pgTableOID+` AND contype = 'p'`,
		[]any{t}, &name); err != nil && len(from.PrimaryKey) > 0 {
		return nil, fmt.Errorf("find primary key: %w", err)
	}
	if name != "" {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", t, d.Quote(name)))
	}
	if len(p.newPK) > 0 {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (%s)", t, quoteList(d, p.newPK)))
	}
	// A column that leaves the key keeps the NOT NULL the key gave it.
	for _, name := range leavingKey(from, p.newPK) {
		if c, ok := to.Column(name); ok && !c.NotNull {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", t, d.Quote(name)))
		}
	}
	return stmts, nil
}

// addKeyStatements add the new checks, indexes and foreign keys. A key or
// check another part of the step already made (a rebuild adding back its
// referrers) is left alone.
func (d postgresDialect) addKeyStatements(m *Migrator, t string, to Table, p alterPlan) []string {
	dropped := map[string]bool{}
	for _, f := range p.dropFKs {
		dropped[f.Name] = true
	}
	for _, c := range p.dropChecks {
		dropped[c.Name] = true
	}
	has := func(name string) bool { return !dropped[name] && m.DB.Migrator().HasConstraint(to.Name, name) }
	var stmts []string
	for _, c := range p.addChecks {
		if !has(c.Name) {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD %s", t, checkDef(d, c)))
		}
	}
	for _, i := range p.addIndexes {
		stmts = append(stmts, createIndexSQL(d, to.Name, i, true))
	}
	for _, f := range p.addFKs {
		if !has(f.Name) {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD %s", t, fkDef(d, f)))
		}
	}
	return stmts
}

// finishColumn moves a column's nullability and default from one definition
// to another of the same type.
func (d postgresDialect) finishColumn(table string, from, to Column) []string {
	var out []string
	col := d.Quote(to.Name)
	if from.Default != to.Default {
		if to.Default == "" {
			out = append(out, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, col))
		} else {
			out = append(out, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", table, col, to.Default))
		}
	}
	if from.NotNull != to.NotNull {
		op := "DROP NOT NULL"
		if to.NotNull {
			op = "SET NOT NULL"
		}
		out = append(out, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s %s", table, col, op))
	}
	return out
}

// Bulk statements pass one array per column and unnest them: a VALUES
// list of thousands of rows makes PostgreSQL parse, type and plan every
// value (tens of microseconds a row), while arrays arrive as two or three
// parameters whatever the batch size.

// unnestSQL is the FROM item turning the column arrays $1, $2, ... into
// rows named after cols, each value cast back to its column's type.
func (d postgresDialect) unnestSQL(cols []Column) string {
	arrays := make([]string, len(cols))
	names := make([]string, len(cols))
	casts := make([]string, len(cols))
	for i, c := range cols {
		arrays[i] = fmt.Sprintf("$%d::%s[]", i+1, pgArrayType(c.Type))
		names[i] = d.Quote(c.Name)
		casts[i] = fmt.Sprintf("u.%s::%s AS %s", d.Quote(c.Name), d.SQLType(c.Type), d.Quote(c.Name))
	}
	return fmt.Sprintf("(SELECT %s FROM unnest(%s) AS u(%s))", strings.Join(casts, ", "), strings.Join(arrays, ", "), strings.Join(names, ", "))
}

// pgArrayType is the array element type a column's values travel as: JSON
// as text, since pgx sends Go strings as text.
func pgArrayType(t Type) string {
	switch t {
	case Key, Text, JSON:
		return "text"
	case Bool:
		return "boolean"
	case BigInt, SmallInt:
		return "bigint"
	case Timestamptz:
		return "timestamptz"
	}
	return "text" // unreachable: columnArrays refuses other types first
}

// columnArrays turns rows into one typed slice per column (nil elements
// for NULL), which pgx sends as arrays.
func columnArrays(cols []Column, rows [][]any) ([]any, error) {
	out := make([]any, len(cols))
	for i, c := range cols {
		var err error
		switch c.Type {
		case Key, Text, JSON:
			out[i], err = columnOf(rows, i, func(v any) (string, bool) {
				switch x := v.(type) {
				case string:
					return x, true
				case []byte:
					return string(x), true
				}
				return "", false
			})
		case Bool:
			out[i], err = columnOf(rows, i, func(v any) (bool, bool) { x, ok := v.(bool); return x, ok })
		case BigInt, SmallInt:
			out[i], err = columnOf(rows, i, func(v any) (int64, bool) {
				switch x := v.(type) {
				case int64:
					return x, true
				case int:
					return int64(x), true
				case int32:
					return int64(x), true
				case int16:
					return int64(x), true
				}
				return 0, false
			})
		case Timestamptz:
			out[i], err = columnOf(rows, i, func(v any) (time.Time, bool) { x, ok := v.(time.Time); return x, ok })
		default:
			err = fmt.Errorf("type %v has no array form for bulk statements", c.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
	}
	return out, nil
}

func columnOf[T any](rows [][]any, i int, conv func(any) (T, bool)) ([]*T, error) {
	out := make([]*T, len(rows))
	for r, row := range rows {
		v := row[i]
		if p, ok := v.(*T); ok {
			out[r] = p
			continue
		}
		if v == nil {
			continue
		}
		x, ok := conv(v)
		if !ok {
			return nil, fmt.Errorf("row %d: value of type %T", r+1, v)
		}
		out[r] = &x
	}
	return out, nil
}

// updateFromValues also bounds the join by the batch's smallest and largest
// key, computed by the database's own collation: otherwise PostgreSQL may
// hash-join the batch against a sequential scan of the whole table, once
// per batch, which makes a keyed walk quadratic. Batches hold consecutive
// keys, so the bound is an index range of about the batch.
func (d postgresDialect) updateFromValues(m *Migrator, table string, key Column, cols []Column, rows [][]any) error {
	all := append([]Column{key}, cols...)
	args, err := columnArrays(all, rows)
	if err != nil {
		return fmt.Errorf("update %s: %w", table, err)
	}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = fmt.Sprintf("%s = v.%s", d.Quote(c.Name), d.Quote(c.Name))
	}
	t, k := d.Quote(table), d.Quote(key.Name)
	q := fmt.Sprintf("WITH v AS %s UPDATE %s SET %s FROM v WHERE %s.%s = v.%s AND %s.%s >= (SELECT min(%s) FROM v) AND %s.%s <= (SELECT max(%s) FROM v)",
		d.unnestSQL(all), t, strings.Join(sets, ", "), t, k, k, t, k, k, t, k, k)
	return m.execNative(q, args...)
}

func (d postgresDialect) insertRows(m *Migrator, table string, cols []Column, rows [][]any, c Conflict) error {
	args, err := columnArrays(cols, rows)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT * FROM %s AS v", d.Quote(table), quoteList(d, names), d.unnestSQL(cols))
	return m.execNative(q+conflictClause(d, table, c), args...)
}

// conflictClause is the ON CONFLICT form PostgreSQL and SQLite share.
func conflictClause(d Dialect, table string, c Conflict) string {
	if len(c.Keys) == 0 {
		return ""
	}
	target := " ON CONFLICT (" + quoteList(d, c.Keys) + ")"
	if c.KeepMin == "" {
		return target + " DO NOTHING"
	}
	col := d.Quote(c.KeepMin)
	return fmt.Sprintf("%s DO UPDATE SET %s = CASE WHEN %s < %s THEN excluded.%s ELSE %s.%s END",
		target, col, d.ByteOrder("excluded."+col), d.ByteOrder(d.Quote(table)+"."+col), col, d.Quote(table), col)
}

func (d postgresDialect) createMigrationsTable(m *Migrator, name string) error {
	if migrationsTableReady(m, name) {
		return nil
	}
	if err := m.exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s varchar(255) NOT NULL, %s timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, %s, PRIMARY KEY (%s))",
		d.Quote(name), d.Quote("id"), d.Quote("applied_at"), checksumColumnDef(d), d.Quote("id"))); err != nil {
		return err
	}
	return m.exec(fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s", d.Quote(name), checksumColumnDef(d)))
}

// Table rebuilds on this database (the shared part is in rebuild.go).

// rebuildSwapped: a step here is a transaction, never found half done.
func (postgresDialect) rebuildSwapped(*Migrator, string) (bool, error) { return false, nil }

func (d postgresDialect) analyze(m *Migrator, table string) error {
	return m.exec("ANALYZE " + d.Quote(table))
}

func (d postgresDialect) rebuildTable(m *Migrator, r Rebuild) error {
	to := r.To
	found, err := m.Strings(`SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint
		WHERE contype = 'f' AND confrelid = `+pgTableOID+` AND conrelid <> confrelid`, d.Quote(to.Name))
	if err != nil {
		return err
	}
	for i, f := range found { // regclass text quotes names that need it
		found[i] = strings.ReplaceAll(f, `"`, "")
	}
	if err := prepareRebuild(m, r, found); err != nil {
		return err
	}
	tmp := to.Name + "__new"
	for _, s := range []string{
		"DROP TABLE IF EXISTS " + d.Quote(tmp),
		createTableSQL(d, bareShape(to), tmp, false, false),
	} {
		if err := m.exec(s); err != nil {
			return err
		}
	}
	if err := newCopy(d, r, tmp).whole(m); err != nil {
		return err
	}
	stmts := []string{
		"DROP TABLE " + d.Quote(to.Name),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", d.Quote(tmp), d.Quote(to.Name)),
		fmt.Sprintf("ALTER INDEX IF EXISTS %s RENAME TO %s", d.Quote(tmp+"_pkey"), d.Quote(to.Name+"_pkey")),
	}
	stmts = append(stmts, d.finishSQL(to)...)
	for _, ref := range r.Referrers {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD %s", d.Quote(ref.Table), fkDef(d, ref.Key)))
	}
	for _, s := range stmts {
		if err := m.exec(s); err != nil {
			return err
		}
	}
	// The new table has no statistics, and the next statement (or step)
	// may join it.
	return d.analyze(m, to.Name)
}

// finishSQL builds what bareShape left out.
func (d postgresDialect) finishSQL(t Table) []string {
	var out []string
	for _, i := range t.Indexes {
		out = append(out, createIndexSQL(d, t.Name, i, true))
	}
	for _, c := range t.Checks {
		out = append(out, fmt.Sprintf("ALTER TABLE %s ADD %s", d.Quote(t.Name), checkDef(d, c)))
	}
	for _, f := range t.ForeignKeys {
		out = append(out, fmt.Sprintf("ALTER TABLE %s ADD %s", d.Quote(t.Name), fkDef(d, f)))
	}
	return out
}

func (d postgresDialect) dropForeignKey(m *Migrator, table, name string) error {
	return m.exec(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", d.Quote(table), d.Quote(name)))
}

// journalSQL: PostgreSQL keeps a journal for its online steps' backfills.
func (postgresDialect) journalSQL() journalSQL {
	return journalSQL{reachedAt: "timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)", keepRow: " ON CONFLICT (id, direction, point) DO NOTHING"}
}
