package dialect

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DefaultURL is the embedded database used when no URL is given, relative
// to the working directory, as Open WebUI's own default is.
const DefaultURL = "sqlite:///data/webui.db"

// Target is a parsed DATABASE_URL: which dialect, how to reach it, and how
// to name it in messages without its secrets.
type Target struct {
	Dialect Dialect
	// Database is the PostgreSQL or MySQL database name, or the SQLite path
	// (":memory:" for an in-memory database).
	Database string
	// Run are the runner's options the URL carried (schema_*), taken out
	// of it: the driver, String and URL never see them.
	Run      RunOptions
	dsn      string
	redacted string
	secrets  []string      // every secret the URL carries, in every encoding: scrubbed from errors
	u        *url.URL      // network dialects: the URL, for WithDatabase
	busy     time.Duration // SQLite: how long to wait for a lock
	readOnly bool          // SQLite: open the file only to read it (ReadOnly)
}

// ReadOnly is t opened only to be read: a SQLite file is neither created,
// nor switched to WAL, nor locked for writing (schema copy's source). A
// server is read through the same connection as ever; the caller only
// reads.
func (t Target) ReadOnly() Target {
	t.readOnly = true
	return t
}

// String is the URL with its secrets masked.
func (t Target) String() string { return t.redacted }

// InMemory reports an in-memory SQLite database.
func (t Target) InMemory() bool { return t.Database == ":memory:" }

var schemes = map[string]string{
	"sqlite": "sqlite", "sqlite+pysqlite": "sqlite",
	"postgres": "postgres", "postgresql": "postgres", "postgresql+psycopg2": "postgres", "postgresql+psycopg": "postgres",
	"mysql": "mysql", "mysql+pymysql": "mysql", "mysql+mysqldb": "mysql", "mariadb": "mysql", "mariadb+pymysql": "mysql",
}

const schemeHint = "use sqlite, postgres, postgresql (+psycopg2), mysql (+pymysql) or mariadb"

// errMalformedQuery is the one message for a query string that does not
// parse, on every dialect. It never quotes the query: a value may be a
// secret.
const errMalformedQuery = `malformed query string in database URL: write options as name=value joined by "&" (not ";"), with a literal "%" written as %25`

// Parse reads a SQLAlchemy-style database URL as Open WebUI accepts it.
// Errors are one line, name the problem, and never contain a secret: they
// quote a URL only as rebuilt from its parsed parts with secrets masked,
// and never quote an option's value.
func Parse(raw string) (Target, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Target{}, errors.New("database URL is empty")
	}
	if strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return Target{}, errors.New("database URL contains a control character (a line break, tab or NUL): remove it, or percent-encode it")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		const hint = "expected sqlite:///path.db, postgresql://... or mysql://..."
		if strings.ContainsAny(raw, "@:?=") || len(raw) > 200 {
			return Target{}, errors.New("database URL has no scheme: " + hint)
		}
		return Target{}, fmt.Errorf("database URL %q has no scheme: %s", raw, hint)
	}
	name, known := schemes[strings.ToLower(scheme)]
	if !known {
		if !validScheme.MatchString(scheme) {
			return Target{}, errors.New("unsupported database URL scheme: " + schemeHint)
		}
		return Target{}, fmt.Errorf("unsupported database URL scheme %q: %s", scheme, schemeHint)
	}
	d := dialects[name]
	if !d.server() {
		path, query, _ := strings.Cut(rest, "?")
		query, run, err := takeRunOptions(query)
		if err != nil {
			return Target{}, err
		}
		if query != "" {
			path += "?" + query
		}
		t, err := parseSQLite(path)
		t.Run = run
		return t, err
	}
	u, written, err := splitURL(name, rest)
	if err != nil {
		return Target{}, err
	}
	var run RunOptions
	if u.RawQuery, run, err = takeRunOptions(u.RawQuery); err != nil {
		return Target{}, err
	}
	if u.Host == "" && !d.hostInQuery(u.Query()) {
		return Target{}, fmt.Errorf("database URL %s names no host", clip(redact(u)))
	}
	t, err := d.parse(u)
	if err == nil && written != "" {
		t.secrets = withEncodings(append(t.secrets, written))
	}
	t.Run = run
	return t, err
}

var validScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]{0,39}$`)

// splitURL reads what follows "scheme://" in a PostgreSQL or MySQL URL. It
// returns the URL with its parts decoded, and the password as written (to
// scrub it in that form too).
//
// SQLAlchemy lets a password hold any character, "@", "/", "?" and "#"
// included, so the user information is not cut at the first delimiter as
// in a web URL: see cutUserinfo.
func splitURL(scheme, rest string) (u *url.URL, writtenPassword string, err error) {
	userinfo, hasUser, rest, err := cutUserinfo(rest)
	uncertain := err == errUncertainUserinfo
	if err != nil && !uncertain {
		return nil, "", err
	}
	u = &url.URL{Scheme: scheme}
	masked := ""
	if hasUser {
		name, pass, hasPass := strings.Cut(userinfo, ":")
		user, err1 := url.PathUnescape(name)
		password, err2 := url.PathUnescape(pass)
		if err1 != nil || err2 != nil {
			return nil, "", errors.New(`malformed database URL: the user name or password has a "%" that does not start a %XX escape: write a literal "%" as %25`)
		}
		u.User = url.User(user)
		if hasPass {
			u.User = url.UserPassword(user, password)
			writtenPassword = pass
		}
		masked = (&url.URL{User: maskedUser(u.User)}).String()[2:]
	}
	if strings.Contains(rest, "#") {
		return nil, "", errors.New(`malformed database URL: it has a "#" after the user name and password; percent-encode it as %23`)
	}
	rest, query, _ := strings.Cut(rest, "?")
	hostport, path, _ := strings.Cut(rest, "/")
	q, err := checkQuery(query)
	if err != nil {
		return nil, "", err
	}
	if uncertain && (path == "" || hostport == "" && !q.Has("host") && !q.Has("unix_socket")) {
		// The error would show what may be a piece of the password as the
		// host or the database.
		return nil, "", errors.New(`malformed database URL: it names no host or no database, or its password holds an unencoded "@": percent-encode "@" in the password as %40`)
	}
	// What the errors below show: the URL so far, with the password masked
	// and without the port and query, which may hold what a user meant as
	// one (postgres://u:pw/db, with no "@", has "pw" as its port).
	hostOnly, port, hasPort := splitHostPort(hostport)
	shown := clip(fmt.Sprintf("%s://%s%s/%s", scheme, masked, hostOnly, path))
	if uncertain {
		shown = scheme + "://" + masked + "…"
	}
	if hasPort && port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return nil, "", fmt.Errorf("malformed database URL %q: the port must be a number from 1 to 65535", shown)
		}
	}
	if hostOnly != "" {
		h, err := url.Parse("//" + hostOnly)
		if err != nil || h.User != nil || h.Port() != "" || h.Path != "" || h.Host == "" {
			return nil, "", errors.New("malformed database URL: the host is not a valid name or address (write an IPv6 address in brackets, as [::1]:5432)")
		}
		u.Host = h.Host
		if hasPort {
			u.Host += ":" + port
		}
	} else if hasPort {
		return nil, "", errors.New("malformed database URL: it has a port but no host")
	}
	if u.Path, err = url.PathUnescape(path); err != nil {
		return nil, "", errors.New(`malformed database URL: the database name has a "%" that does not start a %XX escape: write a literal "%" as %25`)
	}
	u.Path = "/" + u.Path
	u.RawQuery = query
	return u, writtenPassword, nil
}

// cutUserinfo splits "user:password" off the rest of a URL. SQLAlchemy
// lets a password hold any character, so the user information ends at the
// "@" after which a host and a path follow: a "/" and no "@" or "#" before
// the query string. A user name holds no "/", "?" or "#" (as in
// SQLAlchemy's pattern); a password holds anything. When several "@"
// qualify, the one whose query string is plausible (no "#", no "@" in an
// option's name) wins; when that leaves more than one
// (postgres://u:p@h/db?sslrootcert=/a@b/c) the URL is refused rather than
// guessed at. When none qualifies, the last "@" that can end a user name
// is taken, so that the error that follows does not show the password.
func cutUserinfo(rest string) (userinfo string, ok bool, after string, err error) {
	colon := strings.IndexByte(rest, ':')
	bad := strings.IndexAny(rest, "/?#")
	var candidates []int
	fallback := -1
	for i := strings.IndexByte(rest, '@'); i >= 0; {
		next := strings.IndexByte(rest[i+1:], '@')
		if next >= 0 {
			next += i + 1
		}
		userEnd := i
		if colon >= 0 && colon < i {
			userEnd = colon
		}
		if bad < 0 || bad >= userEnd {
			fallback = i
			// The host and path run to the query string, which must come
			// before the next "@".
			seg := rest[i+1:]
			if next >= 0 {
				seg = rest[i+1 : next]
			}
			hostPath, _, hasQuery := strings.Cut(seg, "?")
			if (hasQuery || next < 0) && strings.Contains(hostPath, "/") && !strings.Contains(hostPath, "#") {
				candidates = append(candidates, i)
			}
		}
		i = next
	}
	end := -1
	switch {
	case len(candidates) == 1:
		end = candidates[0]
	case len(candidates) > 8:
		return "", false, "", errAmbiguousUserinfo
	case len(candidates) > 1:
		// Prefer the one whose query string is plausible.
		for _, i := range candidates {
			if _, query, _ := strings.Cut(rest[i+1:], "?"); plausibleQuery(query) {
				if end >= 0 {
					return "", false, "", errAmbiguousUserinfo
				}
				end = i
			}
		}
		if end < 0 {
			return "", false, "", errAmbiguousUserinfo
		}
	case fallback >= 0:
		end = fallback
	default:
		return "", false, rest, nil
	}
	if fallback > end {
		// A later "@" could also end a user name: what follows the chosen
		// one may be a piece of the password, so errors must not show it.
		err = errUncertainUserinfo
	}
	return rest[:end], true, rest[end+1:], err
}

// errUncertainUserinfo is not a refusal: cutUserinfo returns it with a
// split that errors must not show past the user name.
var errUncertainUserinfo = errors.New("uncertain end of the user information")

var errAmbiguousUserinfo = errors.New(`ambiguous database URL: more than one "@" could end the user name and password; percent-encode "@" in the password as %40 (and "/", "?", "#" as %2F, %3F, %23)`)

// plausibleQuery reports a query string that could follow a URL's path:
// no "#", and no "@" in an option's name.
func plausibleQuery(query string) bool {
	if strings.Contains(query, "#") {
		return false
	}
	for pair := range strings.SplitSeq(query, "&") {
		if name, _, _ := strings.Cut(pair, "="); strings.Contains(name, "@") {
			return false
		}
	}
	return true
}

// splitHostPort separates host and port as written, IPv6 brackets kept.
func splitHostPort(hostport string) (host, port string, hasPort bool) {
	if strings.HasPrefix(hostport, "[") {
		end := strings.LastIndexByte(hostport, ']')
		if end < 0 {
			return hostport, "", false
		}
		if p, ok := strings.CutPrefix(hostport[end+1:], ":"); ok {
			return hostport[:end+1], p, true
		}
		return hostport, "", false
	}
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		return hostport[:i], hostport[i+1:], true
	}
	return hostport, "", false
}

// checkQuery reads a URL's query string strictly: well-formed, every
// option named and given a value, none given twice (the drivers would
// silently take one).
func checkQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errors.New(errMalformedQuery)
	}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair != "" && !strings.Contains(pair, "=") {
			return nil, errors.New(errMalformedQuery) // libpq refuses it too
		}
	}
	for _, k := range sortedKeys(q) {
		if k == "" {
			return nil, errors.New(errMalformedQuery)
		}
		if len(q[k]) > 1 {
			return nil, fmt.Errorf("database URL option %s is given twice: keep one", optionName(k, q))
		}
	}
	return q, nil
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quoteName quotes an option name for a message, cut to a readable length.
func quoteName(name string) string {
	if r := []rune(name); len(r) > 64 {
		name = string(r[:64]) + "…"
	}
	return strconv.Quote(name)
}

// clip keeps a URL shown in a message to a readable length.
func clip(s string) string {
	if r := []rune(s); len(r) > 200 {
		return string(r[:100]) + "…" + string(r[len(r)-60:])
	}
	return s
}

// maxBusySeconds is the longest SQLite lock wait a URL may ask for: the
// busy timeout is a C int of milliseconds.
const maxBusySeconds = math.MaxInt32 / 1000

func parseSQLite(rest string) (Target, error) {
	const hint = "use sqlite:///relative.db, sqlite:////absolute.db or sqlite:// for memory"
	path, query, _ := strings.Cut(rest, "?")
	switch {
	case path == "" || path == "/:memory:" || path == ":memory:":
		path = ":memory:"
	case strings.HasPrefix(path, "/"):
		path = path[1:] // sqlite:///rel.db is relative, sqlite:////abs.db absolute
	default:
		// The host part may hold a user and password (sqlite://:pw@/x.db):
		// show it only when it cannot.
		host, _, _ := strings.Cut(path, "/")
		if strings.ContainsAny(host, "@:") || len(host) > 100 {
			return Target{}, errors.New("SQLite URL has a host part: " + hint)
		}
		return Target{}, fmt.Errorf("SQLite URL has a host part %q: %s", host, hint)
	}
	if path == "" {
		return Target{}, errors.New("SQLite URL names no file: " + hint)
	}
	if base := path[strings.LastIndexByte(path, '/')+1:]; base == "" || base == "." || base == ".." {
		return Target{}, errors.New("SQLite URL names a folder, not a file: " + hint)
	}
	opts, err := checkQuery(query)
	if err != nil {
		return Target{}, err
	}
	busy := 5000
	for _, k := range sortedKeys(opts) {
		v := opts.Get(k)
		switch k {
		case "timeout": // pysqlite's connect timeout, in seconds
			secs, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxBusySeconds {
				return Target{}, fmt.Errorf("SQLite URL option timeout is not a number of seconds from 0 to %d", maxBusySeconds)
			}
			busy = int(secs * 1000)
		case "check_same_thread", "uri": // Python-only, meaningless here
		default:
			return Target{}, fmt.Errorf("unsupported SQLite URL option %s (supported: timeout)", optionName(k, opts))
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

// postgresRefused are options pgx would not understand and so would send
// to the server as settings at connection time: a secret among them would
// travel to the server (and its log) as a setting, the rest would fail
// with the server's "unrecognized configuration parameter". They are
// refused, by name, before connecting.
var postgresRefused = map[string]string{
	"passwd": "give the password as postgresql://user:PASSWORD@host/db or password=",
	"pwd":    "give the password as postgresql://user:PASSWORD@host/db or password=",
	"pass":   "give the password as postgresql://user:PASSWORD@host/db or password=",
}

// libpqOnly are libpq's connection keywords that pgx does not implement.
var libpqOnly = []string{
	"hostaddr", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "gssencmode", "gsslib", "gssdelegation", "sslcompression", "sslcrl",
	"sslcrldir", "sslkeylogfile", "ssl_min_protocol_version", "ssl_max_protocol_version",
	"requiressl", "requirepeer", "load_balance_hosts", "replication", "fallback_application_name",
	"oauth_issuer", "oauth_client_id", "oauth_client_secret", "oauth_scope",
	"scram_client_key", "scram_server_key",
}

func init() {
	for _, k := range libpqOnly {
		postgresRefused[k] = "a libpq option the Go driver (pgx) does not support"
	}
}

func parsePostgres(u *url.URL) (Target, error) {
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		return Target{}, fmt.Errorf("PostgreSQL URL %s names no database", clip(redact(u)))
	}
	q, err := checkQuery(u.RawQuery)
	if err != nil {
		return Target{}, err
	}
	for _, k := range sortedKeys(q) {
		if why, refused := postgresRefused[strings.ToLower(k)]; refused {
			return Target{}, fmt.Errorf("unsupported PostgreSQL URL option %s: %s", quoteName(k), why)
		}
	}
	if err := onePassword(u, q, "password"); err != nil {
		return Target{}, err
	}
	// pgx caches prepared statements per connection by default, and a
	// cached statement fails once a migration changes the columns it
	// returns ("cached plan must not change result type"). A schema tool
	// changes schemas under its own connections, so it uses exec mode,
	// which still takes one round trip. The URL may choose otherwise.
	// The option is appended to the query as written: pgx decodes a query
	// as libpq does ("+" is a plus), so re-encoding it would change values.
	dsn := *u
	if q.Get("default_query_exec_mode") == "" {
		dsn.RawQuery = strings.TrimPrefix(dsn.RawQuery+"&default_query_exec_mode=exec", "&")
	}
	// pgx asks for no client encoding, so the session takes the
	// database's (or a role's setting): on a LATIN1 database Go's UTF-8
	// strings were read and written as LATIN1. The startup parameter
	// overrides those, and an options=-c one.
	if q.Has("client_encoding") {
		if err := requireUTF8("PostgreSQL URL option client_encoding", q.Get("client_encoding"), isPostgresUTF8); err != nil {
			return Target{}, err
		}
	} else {
		dsn.RawQuery = strings.TrimPrefix(dsn.RawQuery+"&client_encoding=UTF8", "&")
	}
	return Target{Dialect: postgresDialect{}, Database: db, dsn: dsn.String(), redacted: redact(u), secrets: secretsOf(u), u: u}, nil
}

// onePassword refuses a URL that gives two different passwords (in the
// user part and as an option), rather than let the driver pick one.
func onePassword(u *url.URL, q url.Values, keys ...string) error {
	var seen []string
	if p, ok := u.User.Password(); ok {
		seen = append(seen, p)
	}
	for _, k := range keys {
		if q.Has(k) {
			seen = append(seen, q.Get(k))
		}
	}
	for _, p := range seen[min(1, len(seen)):] {
		if p != seen[0] {
			return errors.New("database URL gives two passwords (in the user part and as an option, or as password= and passwd=) that differ: keep one")
		}
	}
	return nil
}

// requireUTF8 refuses a connection character set other than UTF-8 (MySQL's
// utf8mb4). The steps read and write every value through the connection:
// with latin1, or MySQL's utf8 (utf8mb3), the server turns each character
// the set lacks into "?" on the way, silently, so distinct tags merged and
// payloads were written back mangled.
func requireUTF8(what, value string, ok func(string) bool) error {
	if ok(value) {
		return nil
	}
	// The value is not quoted: with an unencoded "&" in a password given
	// as an option, it may be a piece of the password.
	return fmt.Errorf("%s is refused: it names a character set other than UTF-8, and this tool reads and writes every value through the connection, where only UTF-8 (MySQL's utf8mb4) carries every character the tables hold (others turn into \"?\" or are misread); leave the option out, or give UTF-8", what)
}

// isPostgresUTF8 matches PostgreSQL's names for UTF-8, as the server
// normalises them (case, "-" and "_" ignored).
func isPostgresUTF8(v string) bool {
	n := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(v))
	return n == "utf8" || n == "unicode"
}

// mysqlOptions maps SQLAlchemy/PyMySQL query options to the Go driver's.
var mysqlOptions = map[string]string{"charset": "charset", "collation": "collation"}

func parseMySQL(u *url.URL) (Target, error) {
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		return Target{}, fmt.Errorf("MySQL URL %s names no database", clip(redact(u)))
	}
	q, err := checkQuery(u.RawQuery)
	if err != nil {
		return Target{}, err
	}
	// PyMySQL and MySQLdb take the password as an option too.
	if err := onePassword(u, q, "password", "passwd"); err != nil {
		return Target{}, err
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
	}
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	// The session speaks UTC, so CURRENT_TIMESTAMP and datetime values are UTC.
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	for _, k := range sortedKeys(q) {
		v := q.Get(k)
		switch {
		case k == "unix_socket":
			cfg.Net, cfg.Addr = "unix", v
		case k == "password" || k == "passwd":
			cfg.Passwd = v
		case mysqlOptions[k] != "":
			cfg.Params[mysqlOptions[k]] = v
		default:
			return Target{}, fmt.Errorf("unsupported MySQL URL option %s (supported: charset, collation, unix_socket, password)", optionName(k, q))
		}
	}
	if c, ok := cfg.Params["charset"]; ok {
		if err := requireUTF8("MySQL URL option charset", c, func(v string) bool { return strings.EqualFold(v, "utf8mb4") }); err != nil {
			return Target{}, err
		}
	}
	if c, ok := cfg.Params["collation"]; ok {
		if err := requireUTF8("MySQL URL option collation", c, func(v string) bool { return strings.HasPrefix(strings.ToLower(v), "utf8mb4_") }); err != nil {
			return Target{}, err
		}
	}
	if cfg.Params["charset"] == "" {
		cfg.Params["charset"] = "utf8mb4"
	}
	return Target{Dialect: mysqlDialect{}, Database: db, dsn: cfg.FormatDSN(), redacted: redact(u), secrets: secretsOf(u), u: u}, nil
}

// WithDatabase is the same server and credentials with another database:
// how tests and verify reach their scratch databases.
func (t Target) WithDatabase(name string) (Target, error) {
	if t.Dialect == nil || t.u == nil || !t.Dialect.server() {
		return Target{}, errors.New("only PostgreSQL and MySQL targets have sibling databases")
	}
	u := *t.u
	u.Path = "/" + name
	return t.Dialect.parse(&u)
}

// Open connects to the target with pool settings suited to a backend and
// checks the connection. The error names the database without its password.
func Open(t Target) (*gorm.DB, error) {
	if t.Dialect == nil {
		return nil, errors.New("no database target")
	}
	dialector, readOnly, err := t.Dialect.connect(t)
	if err != nil {
		return nil, err
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
	t.Dialect.configurePool(t, sqlDB)
	if err := sqlDB.Ping(); err != nil {
		sqlDB.Close()
		return nil, t.scrub(fmt.Errorf("cannot connect to %s: %w", t, err))
	}
	if readOnly != nil {
		if err := db.Use(readOnlyMark{readOnly}); err != nil {
			sqlDB.Close()
			return nil, err
		}
	}
	return db, nil
}

// scrub removes every secret of the target from an error's text, whatever
// the driver put there, while keeping the error chain for errors.Is.
func (t Target) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if masked := MaskSecrets(msg, t.secrets); masked != msg {
		return &scrubbedError{msg: masked, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Scrub applies the target's scrubbing of secrets to any error.
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
	if !d.server() {
		return fmt.Errorf("%s has no sibling databases", d.Name())
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
	q := d.dropDatabaseSQL(d.Quote(name))
	if q == "" {
		return fmt.Errorf("%s has no sibling databases", d.Name())
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
	case t.Dialect != nil && !t.Dialect.server():
		return "sqlite:///" + t.Database, nil
	}
	return "", errors.New("no database target")
}

// serverPool is the pool of a connection to a database server.
func serverPool(db *sql.DB) {
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(5)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
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
