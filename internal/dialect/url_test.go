package dialect

import (
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

func TestParseAccepted(t *testing.T) {
	tests := []struct {
		url      string
		dialect  string
		database string
		display  string
		dsnHas   []string
	}{
		{"sqlite:///data/webui.db", "sqlite", "data/webui.db", "sqlite:///data/webui.db",
			[]string{"file:data/webui.db?", "_foreign_keys=1", "_journal_mode=WAL", "_busy_timeout=5000", "_txlock=immediate"}},
		{"sqlite:////var/lib/webui.db", "sqlite", "/var/lib/webui.db", "sqlite:////var/lib/webui.db", []string{"file:/var/lib/webui.db?"}},
		{"sqlite://", "sqlite", ":memory:", "sqlite://", []string{"file::memory:?"}},
		{"sqlite:///:memory:", "sqlite", ":memory:", "sqlite://", []string{"file::memory:?"}},
		{"sqlite:///x.db?timeout=2.5&check_same_thread=false", "sqlite", "x.db", "sqlite:///x.db", []string{"_busy_timeout=2500"}},
		{"sqlite:///dir%20x/100%25.db", "sqlite", "dir%20x/100%25.db", "", []string{"file:dir%2520x/100%2525.db?"}},
		{"postgres://u:pw@db.example:5433/webui?sslmode=require", "postgres", "webui", "postgres://u:xxxxx@db.example:5433/webui?sslmode=require",
			[]string{"postgres://u:pw@db.example:5433/webui?", "sslmode=require", "default_query_exec_mode=exec"}},
		{"postgresql://u@localhost/webui", "postgres", "webui", "postgres://u@localhost/webui", nil},
		{"postgresql+psycopg2://u:p%40ss@localhost/webui", "postgres", "webui", "postgres://u:xxxxx@localhost/webui", []string{"p%40ss"}},
		{"postgresql://u@/webui?host=/var/run/postgresql", "postgres", "webui", "postgres://u@/webui?host=/var/run/postgresql", nil},
		{"mysql://root:pw@127.0.0.1:3307/webui?charset=utf8mb4", "mysql", "webui", "mysql://root:xxxxx@127.0.0.1:3307/webui?charset=utf8mb4",
			[]string{"root:pw@tcp(127.0.0.1:3307)/webui?", "parseTime=true", "charset=utf8mb4", "time_zone=%27%2B00%3A00%27"}},
		{"mysql+pymysql://root@db/webui", "mysql", "webui", "mysql://root@db/webui", []string{"tcp(db:3306)"}},
		{"mariadb://root@db/webui", "mysql", "webui", "mysql://root@db/webui", nil},
		{"mysql://root@/webui?unix_socket=/run/mysqld/mysqld.sock", "mysql", "webui", "", []string{"unix(/run/mysqld/mysqld.sock)"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := Parse(tt.url)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Dialect.Name() != tt.dialect || got.Database != tt.database {
				t.Errorf("dialect, database = %s, %s; want %s, %s", got.Dialect.Name(), got.Database, tt.dialect, tt.database)
			}
			if tt.display != "" && got.String() != tt.display {
				t.Errorf("String() = %q, want %q", got.String(), tt.display)
			}
			for _, part := range tt.dsnHas {
				if !strings.Contains(got.dsn, part) {
					t.Errorf("DSN %q lacks %q", got.dsn, part)
				}
			}
		})
	}
}

func TestParseRejected(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "database URL is empty"},
		{"just-a-path.db", "has no scheme"},
		{"oracle://u:pw@h/db", `unsupported database URL scheme "oracle"`},
		{"sqlite+sqlcipher:///x.db", `unsupported database URL scheme "sqlite+sqlcipher"`},
		{"sqlite://host/x.db", "has a host part"},
		{"sqlite:///x.db?journal=wal", `unsupported SQLite URL option "journal"`},
		{"sqlite:///x.db?timeout=soon", `timeout is not a number of seconds`},
		{"postgres://u:pw@host:notaport/db", `malformed database URL "postgres://u:xxxxx@host/db": the port must be a number`},
		{"postgres://u:pw@host/", "names no database"},
		{"postgres:///db", "names no host"},
		{"mysql://u:pw@host/db?ssl_ca=/x", `unsupported MySQL URL option "ssl_ca"`},
		{"mysql://u:pw@host", "names no database"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := Parse(tt.url)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
			if strings.Contains(msg, "pw@") || strings.Contains(msg, ":pw") {
				t.Errorf("error %q shows the password", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is more than one line", msg)
			}
		})
	}
}

func TestScrubKeepsPasswordOut(t *testing.T) {
	target, err := Parse("postgres://u:hunter2secret@localhost:1/db")
	if err != nil {
		t.Fatal(err)
	}
	inner := errors.New("dial failed for postgres://u:hunter2secret@localhost:1/db")
	got := target.Scrub(inner)
	if strings.Contains(got.Error(), "hunter2secret") {
		t.Fatalf("scrubbed error still has the password: %v", got)
	}
	if !errors.Is(got, inner) {
		t.Fatal("scrubbing broke the error chain")
	}
	if _, err := Open(target); err == nil || strings.Contains(err.Error(), "hunter2secret") {
		t.Fatalf("Open error = %v; want a failure without the password", err)
	}
}

func TestWithDatabase(t *testing.T) {
	target, err := Parse("mysql://root:pw@127.0.0.1:3306/test?charset=utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	sib, err := target.WithDatabase("scratch_1")
	if err != nil {
		t.Fatal(err)
	}
	if sib.Database != "scratch_1" || !strings.Contains(sib.dsn, "/scratch_1?") || !strings.Contains(sib.dsn, "charset=utf8mb4") {
		t.Fatalf("sibling = %+v", sib)
	}
	if _, err := (Target{Dialect: sqliteDialect{}, Database: "x.db"}).WithDatabase("y"); err == nil {
		t.Fatal("SQLite has no sibling databases")
	}
}

// Distinctive secrets: if one of these shows up in any output, it leaked.
const (
	secretPlain   = "Zq7TopSecretPw"
	secretSpecial = "Zq7/sl?qu#ha@at" // every character a URL treats as a delimiter
)

// secretForms are the ways a secret can come back in a message: as
// given, or encoded by whatever re-rendered the URL.
func secretForms(s string) []string {
	userinfo := strings.TrimPrefix(url.UserPassword("", s).String(), ":")
	return []string{s, url.QueryEscape(s), url.PathEscape(s), userinfo}
}

// requireNoSecret fails if text shows the secret in any form, or the part
// of it before its first delimiter, which is what a URL parser's error
// would echo.
func requireNoSecret(t *testing.T, where, text, secret string) {
	t.Helper()
	forms := secretForms(secret)
	if i := strings.IndexAny(secret, "/?#@"); i > 0 {
		forms = append(forms, secret[:i]+"/", secret[:i]+"?", secret[:i]+`"`)
	}
	for _, f := range forms {
		if strings.Contains(text, f) {
			t.Errorf("%s shows the secret (as %q): %q", where, f, text)
		}
	}
}

// TestSecretsNeverShown: however a URL carries a secret, neither Parse's
// error, nor the target's name, nor a driver error passed through Scrub
// shows it, in any encoding.
func TestSecretsNeverShown(t *testing.T) {
	enc := url.QueryEscape
	tests := []struct {
		name, url, secret string
		accepted          bool
	}{
		{"userinfo", "postgres://u:" + secretPlain + "@h/db", secretPlain, true},
		{"userinfo mysql", "mysql://u:" + secretPlain + "@h/db", secretPlain, true},
		{"userinfo encoded", "postgres://u:" + url.PathEscape(secretSpecial) + "@h/db", secretSpecial, true},
		{"userinfo unencoded", "postgresql://u:" + secretSpecial + "@h:5432/db", secretSpecial, true},
		{"userinfo unencoded mysql", "mysql+pymysql://u:" + secretSpecial + "@h:3306/db", secretSpecial, true},
		{"userinfo unencoded, no database", "postgres://u:" + secretSpecial + "@h", secretSpecial, false},
		{"userinfo unencoded, bad port", "postgres://u:" + secretSpecial + "@h:x/db", secretSpecial, false},
		{"password option", "postgres://u@h/db?password=" + secretPlain, secretPlain, true},
		{"password option encoded", "postgres://u@h/db?sslmode=disable&password=" + enc(secretSpecial), secretSpecial, true},
		{"sslpassword option", "postgres://u@h/db?sslpassword=" + secretPlain, secretPlain, true},
		{"password option mysql", "mysql://u@h/db?password=" + secretPlain, secretPlain, true},
		{"passwd option mysql", "mysql://u@h/db?passwd=" + secretPlain, secretPlain, true},
		{"unknown setting", "postgres://u@h/db?app.api_token=" + secretPlain, secretPlain, true},
		{"oauth secret", "postgres://u@h/db?oauth_client_secret=" + secretPlain, secretPlain, false},
		{"passwd on postgres", "postgres://u@h/db?passwd=" + secretPlain, secretPlain, false},
		{"unsupported mysql option", "mysql://u@h/db?ssl_key_password=" + secretPlain, secretPlain, false},
		{"sqlite option", "sqlite:///x.db?password=" + secretPlain, secretPlain, false},
		{"sqlite userinfo", "sqlite://:" + secretPlain + "@/x.db", secretPlain, false},
		{"sqlite timeout", "sqlite:///x.db?timeout=" + secretPlain, secretPlain, false},
		{"no scheme", "u:" + secretPlain + "@h/db", secretPlain, false},
		{"no scheme, single slash", "postgres:/u:" + secretPlain + "@h/db", secretPlain, false},
		{"bad escape in password", "postgres://u:" + secretPlain + "%zz@h/db", secretPlain, false},
		{"bad escape in password option", "postgres://u@h/db?password=" + secretPlain + "%zz", secretPlain, false},
		{"bad escape beside password", "mysql://u:" + secretPlain + "@h/db?bad=%zz", secretPlain, false},
		{"control character", "postgres://u:" + secretPlain + "@h/db\nx", secretPlain, false},
		{"two passwords", "postgres://u:" + secretPlain + "@h/db?password=other" + secretPlain, secretPlain, false},
		{"fragment", "postgres://u:" + secretPlain + "@h/db#frag", secretPlain, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := Parse(tt.url)
			if (err == nil) != tt.accepted {
				t.Fatalf("Parse(%q) error = %v, want accepted = %v", tt.url, err, tt.accepted)
			}
			if err != nil {
				requireNoSecret(t, "Parse error", err.Error(), tt.secret)
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is more than one line", err)
				}
				return
			}
			requireNoSecret(t, "String()", target.String(), tt.secret)
			for _, f := range secretForms(tt.secret) {
				echo := errors.New("driver: dial " + target.dsn + " failed near " + f)
				requireNoSecret(t, "Scrub", target.Scrub(echo).Error(), tt.secret)
			}
			requireNoSecret(t, "MaskSecrets", MaskSecrets("url "+tt.url+" said "+tt.secret, SecretsIn(tt.url)), tt.secret)
		})
	}
}

// TestSecretsInUnparsed: the last guard finds the secrets of URLs that
// Parse refuses, so an echo of the raw text can be masked.
func TestSecretsInUnparsed(t *testing.T) {
	for _, raw := range []string{
		"postgres://u:" + secretSpecial + "@h:x/db",
		"postgres://u:" + secretPlain + "@h/db?bad=%zz",
		"postgres://u@h/db?sslpassword=" + secretPlain + "&bad=%zz",
		"oracle://u:" + secretPlain + "@h/db",
		"u:" + secretPlain + "@h/db",
		"--database-url=mysql://u:" + secretPlain + "@h/db?x=%zz",
	} {
		t.Run(raw, func(t *testing.T) {
			secret := secretPlain
			if strings.Contains(raw, secretSpecial) {
				secret = secretSpecial
			}
			requireNoSecret(t, "MaskSecrets", MaskSecrets("echo: "+raw+" / "+secret, SecretsIn(raw)), secret)
		})
	}
	// Short secrets are masked where they stand alone, not inside words.
	if got := MaskSecrets("user ab said ab, about abc", []string{"ab"}); got != "user xxxxx said xxxxx, about abc" {
		t.Errorf("MaskSecrets with a short secret = %q", got)
	}
}

// TestPasswordReachesDriver: a password written with unencoded delimiters,
// or given as a query option, reaches the driver exactly.
func TestPasswordReachesDriver(t *testing.T) {
	pgPassword := func(t *testing.T, dsn string) string {
		t.Helper()
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatalf("pgx cannot parse the DSN: %v", err)
		}
		return cfg.Password
	}
	myPassword := func(t *testing.T, dsn string) string {
		t.Helper()
		cfg, err := gomysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("the MySQL driver cannot parse the DSN: %v", err)
		}
		return cfg.Passwd
	}
	tests := []struct {
		url, user, want, host, db string
	}{
		{"postgresql://u:" + secretSpecial + "@h:5433/db?sslmode=disable", "u", secretSpecial, "h", "db"},
		{"postgresql://u:p:w@h/db", "u", "p:w", "h", "db"},
		{"postgres://u:" + url.PathEscape(secretSpecial) + "@h/db", "u", secretSpecial, "h", "db"},
		{"postgres://u@h/db?password=" + url.QueryEscape(secretSpecial), "u", secretSpecial, "h", "db"},
		{"postgres://u:same@h/db?password=same", "u", "same", "h", "db"},
		{"postgres://user@srv:pw@h/db", "user@srv", "pw", "h", "db"},
		{"postgres://u:a@b@[::1]:5432/db", "u", "a@b", "::1", "db"},
		{"postgres://u@h/db?application_name=a@b", "u", "", "h", "db"},
		{"postgresql://webui:p@ss/w?rd@db.example/webui", "webui", "p@ss/w?rd", "db.example", "webui"},
		{"postgresql://u:pa/ss?w#rd@x@127.0.0.1:1/db", "u", "pa/ss?w#rd@x", "127.0.0.1", "db"},
		{"postgres://u:a@b/c#d@h/db?sslmode=disable", "u", "a@b/c#d", "h", "db"},
		{"mysql://u:" + secretSpecial + "@h:3306/db", "u", secretSpecial, "h", "db"},
		{"mysql://u@h/db?passwd=" + url.QueryEscape(secretSpecial), "u", secretSpecial, "h", "db"},
		{"mysql://u@h/db?password=pw", "u", "pw", "h", "db"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			target, err := Parse(tt.url)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if target.Database != tt.db {
				t.Errorf("database = %q, want %q", target.Database, tt.db)
			}
			switch target.Dialect.Name() {
			case "postgres":
				cfg, err := pgx.ParseConfig(target.dsn)
				if err != nil {
					t.Fatal(err)
				}
				if cfg.User != tt.user || cfg.Host != tt.host || cfg.Database != tt.db {
					t.Errorf("pgx user, host, database = %q, %q, %q", cfg.User, cfg.Host, cfg.Database)
				}
				if got := pgPassword(t, target.dsn); got != tt.want {
					t.Errorf("pgx password = %q, want %q", got, tt.want)
				}
			case "mysql":
				if got := myPassword(t, target.dsn); got != tt.want {
					t.Errorf("MySQL password = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

// TestMalformedQueryRefused: a query string that does not parse is refused
// with the same message on every dialect (issue 9's defect), before any
// connection: Parse never connects.
func TestMalformedQueryRefused(t *testing.T) {
	const want = errMalformedQuery
	for _, raw := range []string{
		"mysql://root@127.0.0.1:3306/test?bad=%zz",
		"postgresql://postgres@127.0.0.1:5432/test?bad=%zz",
		"sqlite:///x.db?bad=%zz",
		"mysql://root@127.0.0.1:3306/test?charset=utf8mb4;collation=x",
		"postgres://u@h/db?sslmode=disable;x=1",
		"sqlite:///x.db?timeout=1%",
		"postgres://u@h/db?=x",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := Parse(raw)
			if err == nil || err.Error() != want {
				t.Fatalf("Parse error = %v, want %q", err, want)
			}
		})
	}
}

// TestParseRefusesOddInput: hosts, ports, paths and options that cannot
// be meant are refused with one line naming the problem.
func TestParseRefusesOddInput(t *testing.T) {
	long := strings.Repeat("a", 100_000)
	tests := []struct{ url, want string }{
		{"sqlite:////", "names a folder"},
		{"sqlite:////tmp/", "names a folder"},
		{"sqlite:///data/..", "names a folder"},
		{"sqlite:///", "names no file"},
		{"sqlite:///x.db?timeout=-1", "timeout is not a number of seconds"},
		{"sqlite:///x.db?timeout=NaN", "timeout is not a number of seconds"},
		{"sqlite:///x.db?timeout=1e300", "timeout is not a number of seconds"},
		{"sqlite:///x.db?timeout=1&timeout=2", `option "timeout" is given twice`},
		{"sqlite:///x.db?journal=wal", `unsupported SQLite URL option "journal"`},
		{"sqlite:///x.db?bogus=1", `unsupported SQLite URL option "bogus"`},
		{"sqlite:///x.db?password=a&Zq=1", `unsupported SQLite URL option (name not shown`},
		{"mysql://u@h/db?password=a&Zq=1", `unsupported MySQL URL option (name not shown`},
		{"mysql://u@h/db?ssl_ca=/x", `unsupported MySQL URL option "ssl_ca"`},
		{"postgres://u@h/db?sslmode", "malformed query string"},
		{"postgres://u@h:0/db", "port must be a number from 1 to 65535"},
		{"postgres://u@h:65536/db", "port must be a number from 1 to 65535"},
		{"postgres://u@h:-1/db", "port must be a number from 1 to 65535"},
		{"mysql://u@h:99999/db", "port must be a number from 1 to 65535"},
		{"mysql://u@h:3306x/db", "port must be a number from 1 to 65535"},
		{"postgres://u@[::1/db", "host is not a valid name or address"},
		{"postgres://u@h h/db", "host is not a valid name or address"},
		{"postgres://u:p@h/db?sslrootcert=/a@b/c", "ambiguous"},
		{"postgres://u:p@h/x?k=v@h2/db", "ambiguous"},
		{"postgres://u:@p1/?x=y@h", `its password holds an unencoded "@"`},
		{"postgres://u:p@h:z/db?x=a@b", `malformed database URL "postgres://u:xxxxx@…": the port`},
		{"postgres://u:" + strings.Repeat("@h/d?k=v", 10_000) + "@h/db", "ambiguous"},
		{"postgres://u@h/db?sslmode=disable&sslmode=require", `option "sslmode" is given twice`},
		{"postgres://u:one@h/db?password=two", "two passwords"},
		{"postgres://u@h/db#x", `"#"`},
		{"postgres://u@h/db?hostaddr=1.2.3.4", `unsupported PostgreSQL URL option "hostaddr"`},
		{"postgres:///" + long + "?" + long + "=1", "names no host"},
		{"postgres://u@h/db?" + long + "=1&" + long + "=2", "is given twice"},
		{"mysql://u@h/db?" + long + "=1", "unsupported MySQL URL option"},
		{"postgres:/u@h/db", "has no scheme"},
		{long + "://x", "unsupported database URL scheme"},
		{"post gres://u@h/db", "unsupported database URL scheme"},
		{"postgres://u@h/db\x00", "control character"},
	}
	for _, tt := range tests {
		name := tt.url
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tt.url)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 400 {
				t.Errorf("error is not one short line: %d bytes", len(err.Error()))
			}
		})
	}
}

// TestParseAcceptsOddButValid: unusual but meaningful URLs still parse.
func TestParseAcceptsOddButValid(t *testing.T) {
	tests := []struct{ url, display string }{
		{"postgres://u@[::1]:5432/db", "postgres://u@[::1]:5432/db"},
		{"mysql://u@[::1]/db", "mysql://u@[::1]/db"},
		{"postgres://u@bücher.example/db", "postgres://u@b%C3%BCcher.example/db"},
		{"postgres://üser:pw@h/dätabase", "postgres://%C3%BCser:xxxxx@h/d%C3%A4tabase"},
		{"postgres://u:@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h:/db", "postgres://u@h:/db"},
		{"postgres://u@h/db?options=-csearch_path%3Dapp&application_name=x", "postgres://u@h/db?options=-csearch_path%3Dapp&application_name=x"},
		{"postgres://u@h/db?sslmode=require&password=pw&app.key=k", "postgres://u@h/db?sslmode=require&password=xxxxx&xxxxx"},
		{"mysql://u@h/db?passwd=pw&charset=utf8mb4", "mysql://u@h/db?passwd=xxxxx&charset=utf8mb4"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			target, err := Parse(tt.url)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := target.String(); got != tt.display {
				t.Errorf("String() = %q, want %q", got, tt.display)
			}
		})
	}
}

// TestPostgresQueryReachesDriverAsWritten: PostgreSQL options reach pgx as
// the user wrote them, with pgx's own decoding (a "+" is a plus, as in
// libpq), whether or not the default exec mode is added.
func TestPostgresQueryReachesDriverAsWritten(t *testing.T) {
	for _, raw := range []string{
		"postgres://u@h/db?options=-c%20search_path%3Dapp&sslmode=disable",
		"postgres://u@h/db?options=-c%20search_path%3Dapp&default_query_exec_mode=simple_protocol",
		"postgres://u@h/db?password=a+b%20c&application_name=x+y",
	} {
		t.Run(raw, func(t *testing.T) {
			target, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			want, err := pgx.ParseConfig(raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pgx.ParseConfig(target.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if got.Password != want.Password {
				t.Errorf("password %q, want %q", got.Password, want.Password)
			}
			for k, v := range want.RuntimeParams {
				if got.RuntimeParams[k] != v {
					t.Errorf("setting %s = %q, want %q", k, got.RuntimeParams[k], v)
				}
			}
		})
	}
}

// TestSecretsNeverShownRandom writes random passwords made of URL
// delimiters and marked pieces into URLs every way a user might, and
// checks that no piece of one ever shows: not in Parse's error, not in
// String, not in a driver error passed through Scrub. Every piece holds
// "Zq", and nothing else in the URLs does.
func TestSecretsNeverShownRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"Zq", "Zq1", "/", "?", "#", "@", ":", "%", "%41", "&", "=", ";", " ", "+", "ü", "[", "]"}
	templates := []func(pw string) string{
		func(pw string) string { return "postgresql://u:" + pw + "@h:5432/db" },
		func(pw string) string { return "postgresql://u:" + pw + "@h:5432/db?sslmode=disable" },
		func(pw string) string { return "mysql://u:" + pw + "@h/db" },
		func(pw string) string { return "mysql://u:" + pw + "@h:3306/db?charset=utf8mb4" },
		func(pw string) string { return "postgres://u:" + pw + "@h" },
		func(pw string) string { return "postgres://u:" + pw + "@h:x/db" },
		func(pw string) string { return "postgres://u:" + pw + "@/db" },
		func(pw string) string { return "postgres://u@h/db?password=" + pw },
		func(pw string) string { return "postgres://u@h/db?sslmode=disable&sslpassword=" + pw },
		func(pw string) string { return "postgres://u@h/db?password=" + pw + "&sslmode=disable" },
		func(pw string) string { return "mysql://u@h/db?passwd=" + pw },
		func(pw string) string { return "mysql://u@h/db?password=" + pw + "&charset=utf8mb4" },
		func(pw string) string { return "postgres://u@h/db?password=" + url.QueryEscape(pw) + "&bad=%zz" },
		func(pw string) string { return "postgres://u:" + url.PathEscape(pw) + "@h/db" },
		func(pw string) string { return "sqlite://u:" + pw + "@/x.db" },
		func(pw string) string { return "u:" + pw + "@h/db" },
	}
	for n := range 20_000 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		b.WriteString("Zq")
		raw := templates[n%len(templates)](b.String())
		target, err := Parse(raw)
		if err != nil {
			if strings.Contains(err.Error(), "Zq") {
				t.Fatalf("Parse(%q) error shows a piece of the password: %v", raw, err)
			}
			continue
		}
		if strings.Contains(target.String(), "Zq") {
			t.Fatalf("Parse(%q).String() = %q shows a piece of the password", raw, target.String())
		}
		if got := target.Scrub(errors.New("dial " + target.dsn + " failed")).Error(); strings.Contains(got, "Zq") {
			t.Fatalf("Parse(%q): a driver error echoing the DSN still shows a piece of the password after Scrub: %s", raw, got)
		}
	}
}
