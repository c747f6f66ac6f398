package dialect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DefaultURL is the embedded database used when no URL is given, relative
// to the working directory, as Open WebUI's own default is.
const DefaultURL = "sqlite:///data/webui.db"

// Target is a parsed DATABASE_URL: which dialect, how to reach it, and how
// to name it in messages without its password.
type Target struct {
	Dialect Dialect
	// Database is the PostgreSQL or MySQL database name, or the SQLite path
	// (":memory:" for an in-memory database).
	Database string
	dsn      string
	redacted string
	password string
	u        *url.URL      // network dialects: the URL, for WithDatabase
	busy     time.Duration // SQLite: how long to wait for a lock
}

// String is the URL with its password masked.
func (t Target) String() string { return t.redacted }

// InMemory reports an in-memory SQLite database.
func (t Target) InMemory() bool { return t.Database == ":memory:" }

var schemes = map[string]string{
	"sqlite": "sqlite", "sqlite+pysqlite": "sqlite",
	"postgres": "postgres", "postgresql": "postgres", "postgresql+psycopg2": "postgres", "postgresql+psycopg": "postgres",
	"mysql": "mysql", "mysql+pymysql": "mysql", "mysql+mysqldb": "mysql", "mariadb": "mysql", "mariadb+pymysql": "mysql",
}

// Parse reads a SQLAlchemy-style database URL as Open WebUI accepts it.
// Errors are one line, name the problem, and never contain the password.
func Parse(raw string) (Target, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Target{}, errors.New("database URL is empty")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, fmt.Errorf("database URL %q has no scheme: expected sqlite:///path.db, postgresql://... or mysql://...", maskUnparsed(raw))
	}
	name, known := schemes[strings.ToLower(scheme)]
	if !known {
		return Target{}, fmt.Errorf("unsupported database URL scheme %q: use sqlite, postgres, postgresql (+psycopg2), mysql (+pymysql) or mariadb", scheme)
	}
	if name == "sqlite" {
		return parseSQLite(rest)
	}
	u, err := url.Parse(name + "://" + rest)
	if err != nil {
		return Target{}, fmt.Errorf("malformed database URL %q: %s", maskUnparsed(raw), describeURLError(err))
	}
	if u.Host == "" && !(name == "mysql" && u.Query().Get("unix_socket") != "") && !(name == "postgres" && u.Query().Get("host") != "") {
		return Target{}, fmt.Errorf("database URL %s names no host", redact(u))
	}
	if name == "postgres" {
		return parsePostgres(u)
	}
	return parseMySQL(u)
}

func describeURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// maskUnparsed hides what looks like a password in a URL that did not parse.
func maskUnparsed(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	creds := rest[:at]
	if user, _, hasPass := strings.Cut(creds, ":"); hasPass {
		return scheme + "://" + user + ":xxxxx@" + rest[at+1:]
	}
	return raw
}

func redact(u *url.URL) string {
	return u.Redacted()
}

func parseSQLite(rest string) (Target, error) {
	path, query, _ := strings.Cut(rest, "?")
	switch {
	case path == "" || path == "/:memory:" || path == ":memory:":
		path = ":memory:"
	case strings.HasPrefix(path, "/"):
		path = path[1:] // sqlite:///rel.db is relative, sqlite:////abs.db absolute
	default:
		return Target{}, fmt.Errorf("SQLite URL sqlite://%s has a host part: use sqlite:///relative.db or sqlite:////absolute.db", rest)
	}
	if path == "" {
		return Target{}, errors.New("SQLite URL names no file: use sqlite:///relative.db, sqlite:////absolute.db or sqlite:// for memory")
	}
	opts, err := url.ParseQuery(query)
	if err != nil {
		return Target{}, fmt.Errorf("SQLite URL has malformed options %q", query)
	}
	busy := 5000
	for k, v := range opts {
		switch k {
		case "timeout": // pysqlite's connect timeout, in seconds
			secs, err := strconv.ParseFloat(v[0], 64)
			if err != nil || secs < 0 {
				return Target{}, fmt.Errorf("SQLite URL option timeout=%q is not a number of seconds", v[0])
			}
			busy = int(secs * 1000)
		case "check_same_thread", "uri": // Python-only, meaningless here
		default:
			return Target{}, fmt.Errorf("unsupported SQLite URL option %q (supported: timeout)", k)
		}
	}
	params := fmt.Sprintf("_foreign_keys=1&_busy_timeout=%d&_txlock=immediate&_loc=UTC", busy)
	var dsn string
	if path == ":memory:" {
		dsn = "file::memory:?" + params
	} else {
		dsn = "file:" + escapeSQLitePath(path) + "?_journal_mode=WAL&" + params
	}
	display := "sqlite:///" + path
	if path == ":memory:" {
		display = "sqlite://"
	}
	return Target{Dialect: sqliteDialect{}, Database: path, dsn: dsn, redacted: display, busy: time.Duration(busy) * time.Millisecond}, nil
}

// escapeSQLitePath makes a file path safe inside a file: URI.
func escapeSQLitePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

func parsePostgres(u *url.URL) (Target, error) {
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		return Target{}, fmt.Errorf("PostgreSQL URL %s names no database", redact(u))
	}
	if u.Port() != "" {
		if _, err := strconv.Atoi(u.Port()); err != nil {
			return Target{}, fmt.Errorf("PostgreSQL URL %s has a bad port", redact(u))
		}
	}
	pass, _ := u.User.Password()
	// pgx caches prepared statements per connection by default, and a
	// cached statement fails once a migration changes the columns it
	// returns ("cached plan must not change result type"). A schema tool
	// changes schemas under its own connections, so it uses exec mode,
	// which still takes one round trip. The URL may choose otherwise.
	dsn := *u
	if q := dsn.Query(); q.Get("default_query_exec_mode") == "" {
		q.Set("default_query_exec_mode", "exec")
		dsn.RawQuery = q.Encode()
	}
	return Target{Dialect: postgresDialect{}, Database: db, dsn: dsn.String(), redacted: redact(u), password: pass, u: u}, nil
}

// mysqlOptions maps SQLAlchemy/PyMySQL query options to the Go driver's.
var mysqlOptions = map[string]string{"charset": "charset", "collation": "collation"}

func parseMySQL(u *url.URL) (Target, error) {
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		return Target{}, fmt.Errorf("MySQL URL %s names no database", redact(u))
	}
	cfg := gomysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = db
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Net = "tcp"
	port := u.Port()
	if port == "" {
		port = "3306"
	} else if _, err := strconv.Atoi(port); err != nil {
		return Target{}, fmt.Errorf("MySQL URL %s has a bad port", redact(u))
	}
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	// The session speaks UTC, so CURRENT_TIMESTAMP and datetime values are UTC.
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := q.Get(k)
		switch {
		case k == "unix_socket":
			cfg.Net, cfg.Addr = "unix", v
		case mysqlOptions[k] != "":
			cfg.Params[mysqlOptions[k]] = v
		default:
			return Target{}, fmt.Errorf("unsupported MySQL URL option %q (supported: charset, collation, unix_socket)", k)
		}
	}
	if cfg.Params["charset"] == "" {
		cfg.Params["charset"] = "utf8mb4"
	}
	return Target{Dialect: mysqlDialect{}, Database: db, dsn: cfg.FormatDSN(), redacted: redact(u), password: cfg.Passwd, u: u}, nil
}

// WithDatabase is the same server and credentials with another database:
// how tests and verify reach their scratch databases.
func (t Target) WithDatabase(name string) (Target, error) {
	if t.u == nil {
		return Target{}, errors.New("only PostgreSQL and MySQL targets have sibling databases")
	}
	u := *t.u
	u.Path = "/" + name
	if t.Dialect.Name() == "postgres" {
		return parsePostgres(&u)
	}
	return parseMySQL(&u)
}

// Open connects to the target with pool settings suited to a backend and
// checks the connection. The error names the database without its password.
func Open(t Target) (*gorm.DB, error) {
	if t.Dialect == nil {
		return nil, errors.New("no database target")
	}
	var dialector gorm.Dialector
	switch t.Dialect.(type) {
	case sqliteDialect:
		if !t.InMemory() {
			if dir := filepath.Dir(t.Database); dir != "." {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return nil, fmt.Errorf("create the folder for %s: %w", t, err)
				}
			}
		}
		dialector = sqlite.Open(t.dsn)
	case postgresDialect:
		cfg, err := pgx.ParseConfig(t.dsn)
		if err != nil {
			return nil, t.scrub(fmt.Errorf("cannot open %s: %w", t, err))
		}
		// A cancelled statement (a signal to the command) is cancelled on
		// the server, as psql's Ctrl-C does: the step's transaction then
		// rolls back at once, its locks with it. pgx's default breaks the
		// connection instead, and the server finishes the statement before
		// it notices.
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
		dialector = postgres.New(postgres.Config{Conn: sqlDB})
	case mysqlDialect:
		dialector = mysql.Open(t.dsn)
	}
	cfg := &gorm.Config{
		Logger:  logger.Discard,
		NowFunc: func() time.Time { return time.Now().UTC() },
	}
	db, err := gorm.Open(dialector, cfg)
	// The first connection to a new SQLite file switches it to WAL, which
	// takes the file for a moment: a process connecting at that instant is
	// refused at once (the busy timeout does not cover the switch). Retry
	// for as long as the busy timeout would have waited.
	for wait := 10 * time.Millisecond; isSQLiteBusy(err) && wait < t.busy; wait *= 2 {
		closeGorm(db)
		time.Sleep(wait)
		db, err = gorm.Open(dialector, cfg)
	}
	if err != nil {
		return nil, t.scrub(fmt.Errorf("cannot open %s: %w", t, err))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, t.scrub(fmt.Errorf("cannot open %s: %w", t, err))
	}
	switch {
	case t.InMemory():
		sqlDB.SetMaxOpenConns(1) // each connection would be its own empty database
	case t.Dialect.Name() == "sqlite":
		sqlDB.SetMaxOpenConns(4) // WAL: readers in parallel, writers queue on busy_timeout
	default:
		sqlDB.SetMaxOpenConns(10)
		sqlDB.SetMaxIdleConns(5)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := sqlDB.Ping(); err != nil {
		sqlDB.Close()
		return nil, t.scrub(fmt.Errorf("cannot connect to %s: %w", t, err))
	}
	return db, nil
}

// scrub removes the password from an error's text, whatever the driver put
// there, while keeping the error chain for errors.Is.
func (t Target) scrub(err error) error {
	if err == nil || t.password == "" || !strings.Contains(err.Error(), t.password) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), t.password, "xxxxx"), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Scrub applies the target's password scrubbing to any error.
func (t Target) Scrub(err error) error { return t.scrub(err) }

// CreateDatabase and DropDatabase manage a sibling database on the target's
// server, through a connection to the target itself.
func CreateDatabase(admin *gorm.DB, name string) error {
	d, err := Of(admin)
	if err != nil {
		return err
	}
	if !validScratchName(name) {
		return fmt.Errorf("invalid scratch database name %q", name)
	}
	return admin.Exec("CREATE DATABASE " + d.Quote(name)).Error
}

func DropDatabase(admin *gorm.DB, name string) error {
	d, err := Of(admin)
	if err != nil {
		return err
	}
	if !validScratchName(name) {
		return fmt.Errorf("invalid scratch database name %q", name)
	}
	q := "DROP DATABASE IF EXISTS " + d.Quote(name)
	if d.Name() == "postgres" {
		q += " WITH (FORCE)" // a leaked pool connection must not keep it alive
	}
	return admin.Exec(q).Error
}

func validScratchName(name string) bool {
	return name != "" && len(name) <= 63 && !slices.ContainsFunc([]rune(name), func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// URL is the target's full URL, password included, for handing to another
// process. Never print it; print the Target itself.
func (t Target) URL() (string, error) {
	switch {
	case t.u != nil:
		return t.u.String(), nil
	case t.InMemory():
		return "sqlite://", nil
	case t.Dialect != nil && t.Dialect.Name() == "sqlite":
		return "sqlite:///" + t.Database, nil
	}
	return "", errors.New("no database target")
}

// closeGorm releases the pool of a failed gorm.Open.
func closeGorm(db *gorm.DB) {
	if db == nil {
		return
	}
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

// isSQLiteBusy reports SQLite's "database is locked".
func isSQLiteBusy(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && e.Code == sqlite3.ErrBusy
}
