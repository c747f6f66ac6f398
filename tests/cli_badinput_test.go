package tests

import (
	"bufio"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// The bad-input suite feeds the command line what a hostile or careless
// user might: URLs that carry secrets every way one can be written, odd
// URLs, bad flags and bad revision names, on every command. Every failure
// must be exactly one line on stderr with the README's exit code (0
// success, 1 failure, 2 usage; diff: 2 for any error), and no secret may
// appear anywhere in stdout or stderr, with or without --json.

// Every secret is made of pieces that each contain "Zq", and nothing else
// a command prints contains "Zq": any output with "Zq" in it has leaked a
// secret or a piece of one, in whatever encoding (the marker is
// alphanumeric, so encoding leaves it as it is).
const leakMarker = "Zq"

var hostileSecrets = []struct{ name, secret string }{
	{"plain", "Zq1PlainZq1"},
	{"delimiters", "Zq2/Zq2?Zq2#Zq2@Zq2:Zq2"},
	{"query characters", "Zq3 Zq3%Zq3+Zq3&Zq3=Zq3;Zq3"},
	{"unicode", "Zq4ünïcödéZq4"},
	{"short", "Zq5"},
	{"ampersand", "Zq6&Zq6=Zq6"},
}

// unreachable is an address where nothing listens: commands that connect
// fail there with the driver's own error.
const unreachable = "127.0.0.1:1"

// requireNoLeak fails when stdout or stderr shows any piece of a secret.
func requireNoLeak(t *testing.T, r cliResult) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, leakMarker) {
		t.Errorf("schema %q leaked a secret:\nstdout:\n%s\nstderr:\n%s", r.args, r.stdout, r.stderr)
	}
}

// requireOutcome checks the exit code and, on failure, the one stderr line.
func requireOutcome(t *testing.T, r cliResult, code int, want string) {
	t.Helper()
	if code == 0 {
		if r.code != 0 || r.stderr != "" {
			t.Errorf("schema %q: exit %d, stderr %q; want success and no stderr", r.args, r.code, r.stderr)
		}
		return
	}
	if r.code != code {
		t.Errorf("schema %q: exit %d, want %d\nstderr: %s", r.args, r.code, code, r.stderr)
		return
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "schema: ") || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("schema %q: stderr should be exactly one line \"schema: ...\", got %q", r.args, r.stderr)
		return
	}
	if !strings.Contains(lines[0], want) {
		t.Errorf("schema %q: stderr %q does not mention %q", r.args, lines[0], want)
	}
}

// urlForm is one way of writing a secret into a database URL.
type urlForm struct {
	name string
	make func(secret string) string
	// refused: Parse refuses it (exit 2, want in the message); otherwise
	// it is accepted and the commands fail to connect (exit 1).
	refused bool
	want    string
	// refusedFor lists secrets (by name) that make an accepted form
	// malformed when written unencoded, and the message they get.
	refusedFor map[string]string
}

func hostileURLForms() []urlForm {
	user := func(s string) string { return strings.TrimPrefix(url.UserPassword("", s).String(), ":") }
	q := url.QueryEscape
	const badEscapeInPassword = `that does not start a %XX escape`
	return []urlForm{
		{name: "postgres userinfo as written", make: func(s string) string { return "postgresql://u:" + s + "@" + unreachable + "/db" },
			refusedFor: map[string]string{"query characters": badEscapeInPassword}},
		{name: "mysql userinfo as written", make: func(s string) string { return "mysql+pymysql://u:" + s + "@" + unreachable + "/db" },
			refusedFor: map[string]string{"query characters": badEscapeInPassword}},
		{name: "postgres userinfo encoded", make: func(s string) string { return "postgres://u:" + user(s) + "@" + unreachable + "/db?sslmode=disable" }},
		{name: "mysql userinfo encoded", make: func(s string) string { return "mariadb://u:" + user(s) + "@" + unreachable + "/db" }},
		{name: "postgres password option", make: func(s string) string { return "postgres://u@" + unreachable + "/db?password=" + q(s) }},
		{name: "postgres password option as written", make: func(s string) string { return "postgres://u@" + unreachable + "/db?password=" + s },
			refusedFor: map[string]string{"delimiters": `"#"`, "query characters": "malformed query string"}},
		{name: "postgres sslpassword", make: func(s string) string {
			return "postgres://u@" + unreachable + "/db?sslmode=disable&sslpassword=" + q(s)
		}},
		{name: "postgres unknown setting", make: func(s string) string { return "postgres://u@" + unreachable + "/db?app.api_token=" + q(s) }},
		{name: "mysql password option", make: func(s string) string { return "mysql://u@" + unreachable + "/db?password=" + q(s) }},
		{name: "mysql passwd option", make: func(s string) string { return "mysql://u@" + unreachable + "/db?passwd=" + q(s) }},
		{name: "two passwords", refused: true, want: "two passwords", make: func(s string) string {
			return "postgres://u:" + user(s) + "@" + unreachable + "/db?password=x" + q(s)
		}},
		{name: "mysql sslpassword", refused: true, want: `unsupported MySQL URL option "ssl_password"`, make: func(s string) string {
			return "mysql://u@" + unreachable + "/db?ssl_password=" + q(s)
		}},
		{name: "postgres passwd", refused: true, want: `unsupported PostgreSQL URL option "passwd"`, make: func(s string) string {
			return "postgres://u@" + unreachable + "/db?passwd=" + q(s)
		}},
		{name: "oauth client secret", refused: true, want: `unsupported PostgreSQL URL option "oauth_client_secret"`, make: func(s string) string {
			return "postgres://u@" + unreachable + "/db?oauth_client_secret=" + q(s)
		}},
		{name: "malformed query beside a password", refused: true, want: "malformed query string", make: func(s string) string {
			return "mysql://u:" + user(s) + "@" + unreachable + "/db?bad=%zz"
		}},
		{name: "malformed password option", refused: true, want: "malformed query string", make: func(s string) string {
			return "postgres://u@" + unreachable + "/db?password=" + q(s) + "%zz"
		}},
		{name: "bad port", refused: true, want: "the port must be a number from 1 to 65535", make: func(s string) string {
			return "postgres://u:" + user(s) + "@127.0.0.1:notaport/db"
		}},
		{name: "no database", refused: true, want: "names no database", make: func(s string) string { return "mysql://u:" + user(s) + "@" + unreachable }},
		{name: "no host", refused: true, want: "names no host", make: func(s string) string { return "postgres://u:" + user(s) + "@/db" }},
		{name: "no scheme", refused: true, want: "has no scheme", make: func(s string) string { return "u:" + user(s) + "@" + unreachable + "/db" }},
		{name: "one slash", refused: true, want: "has no scheme", make: func(s string) string { return "postgres:/u:" + user(s) + "@" + unreachable + "/db" }},
		{name: "unsupported scheme", refused: true, want: `unsupported database URL scheme "oracle"`, make: func(s string) string {
			return "oracle://u:" + user(s) + "@" + unreachable + "/db"
		}},
		{name: "fragment", refused: true, want: `"#"`, make: func(s string) string { return "postgres://u:" + user(s) + "@" + unreachable + "/db#x" }},
		{name: "ambiguous at signs", refused: true, want: "ambiguous database URL", make: func(s string) string {
			return "postgres://u:" + user(s) + "@" + unreachable + "/db?sslrootcert=/a@b/c"
		}},
		{name: "sqlite userinfo", refused: true, want: "SQLite URL has a host part", make: func(s string) string { return "sqlite://u:" + user(s) + "@/x.db" }},
		{name: "sqlite password option", refused: true, want: `unsupported SQLite URL option "password"`, make: func(s string) string {
			return "sqlite:///x.db?password=" + q(s)
		}},
		{name: "control character", refused: true, want: "control character", make: func(s string) string {
			return "postgres://u:" + user(s) + "@" + unreachable + "/db\x01"
		}},
		{name: "very long", refused: true, want: "names no host", make: func(s string) string {
			return "postgres://u:" + user(s) + "@/" + strings.Repeat("d", 50_000)
		}},
	}
}

// connectingCommands are the commands that open the database, and their
// exit code when it cannot be reached (diff says 2 for any error).
var connectingCommands = []struct {
	args        []string
	unreachable int
}{
	{[]string{"status"}, 1},
	{[]string{"status", "--json"}, 1},
	{[]string{"current"}, 1},
	{[]string{"current", "--json"}, 1},
	{[]string{"up"}, 1},
	{[]string{"up", "--to", "7e5b5dc7342b"}, 1},
	{[]string{"down"}, 1},
	{[]string{"down", "--all"}, 1},
	{[]string{"stamp", "head"}, 1},
	{[]string{"verify"}, 1},
	{[]string{"verify", "--json"}, 1},
	{[]string{"diff"}, 2},
	{[]string{"diff", "--live", "--json"}, 2},
	{[]string{"adopt"}, 1},
	{[]string{"adopt", "--json"}, 1},
	{[]string{"history"}, 0}, // needs no database: the URL is not read
}

// TestCLIBadInputSecrets: every way of writing every secret, through the
// flag and through DATABASE_URL, on every command: the secret never shows.
func TestCLIBadInputSecrets(t *testing.T) {
	forms := hostileURLForms()
	run := func(t *testing.T, f urlForm, secretName, secret string, via string, cmd []string, unreachableCode int) {
		t.Helper()
		raw := f.make(secret)
		var r cliResult
		if via == "env" {
			r = newCLI(t, "DATABASE_URL="+raw).run(cmd...)
		} else {
			r = newCLI(t).run(append([]string{"--database-url", raw}, cmd...)...)
		}
		requireNoLeak(t, r)
		want, refused := f.want, f.refused
		if msg, ok := f.refusedFor[secretName]; ok {
			want, refused = msg, true
		}
		switch {
		case cmd[0] == "history":
			requireOutcome(t, r, 0, "")
		case refused && cmd[0] == "diff":
			requireOutcome(t, r, 2, want)
		case refused:
			requireOutcome(t, r, 2, want)
		default:
			requireOutcome(t, r, unreachableCode, "cannot ")
		}
	}
	// Every form with every secret, on a command with and without --json.
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			for _, s := range hostileSecrets {
				for _, cmd := range [][]string{{"status", "--json"}, {"up"}} {
					run(t, f, s.name, s.secret, "flag", cmd, 1)
				}
				run(t, f, s.name, s.secret, "env", []string{"current"}, 1)
			}
		})
	}
	if testing.Short() {
		return
	}
	// Every form on every command, with the secret that holds every
	// delimiter.
	for _, f := range forms {
		t.Run(f.name+" on every command", func(t *testing.T) {
			t.Parallel()
			for _, c := range connectingCommands {
				run(t, f, "delimiters", hostileSecrets[1].secret, "flag", c.args, c.unreachable)
			}
		})
	}
}

// TestCLIBadInputSecretsOnLiveServers: commands that reach a real server
// name the database with every secret masked, in text and in --json, and
// a server that refuses the login says so without the password.
func TestCLIBadInputSecretsOnLiveServers(t *testing.T) {
	if testing.Short() {
		t.Skip("connects to the servers")
	}
	t.Run("postgres accepts", func(t *testing.T) {
		base, err := url.Parse(testdb.URL(t, "postgres"))
		if err != nil {
			t.Fatal(err)
		}
		// The test server trusts local logins: a password is accepted and
		// unused, as is sslpassword without a key; app.api_token is a
		// custom setting the server takes as it is.
		with := func(change func(u *url.URL, q url.Values, secret string), secret string) string {
			u := *base
			q := u.Query()
			change(&u, q, secret)
			u.RawQuery = q.Encode()
			return u.String()
		}
		forms := map[string]func(u *url.URL, q url.Values, secret string){
			"userinfo":    func(u *url.URL, _ url.Values, s string) { u.User = url.UserPassword(u.User.Username(), s) },
			"password=":   func(_ *url.URL, q url.Values, s string) { q.Set("password", s) },
			"sslpassword": func(_ *url.URL, q url.Values, s string) { q.Set("sslpassword", s) },
			"setting":     func(_ *url.URL, q url.Values, s string) { q.Set("app.api_token", s) },
		}
		c := newCLI(t)
		c.ok("--database-url", with(forms["userinfo"], hostileSecrets[0].secret), "up")
		for _, name := range []string{"userinfo", "password=", "sslpassword", "setting"} {
			for _, s := range hostileSecrets {
				raw := with(forms[name], s.secret)
				cmds := []struct {
					args []string
					code int
					want string
				}{
					{[]string{"status"}, 0, ""},
					{[]string{"status", "--json"}, 0, ""},
					{[]string{"current", "--json"}, 0, ""},
					{[]string{"stamp", "head"}, 0, ""},
				}
				if s.name == "delimiters" {
					cmds = append(cmds, []struct {
						args []string
						code int
						want string
					}{
						{[]string{"down"}, 0, ""},
						{[]string{"up"}, 0, ""},
						{[]string{"verify", "--json"}, 0, ""},
						{[]string{"diff", "--live", "--json"}, 0, ""},
						{[]string{"adopt", "--json"}, 1, "is already managed by this tool"},
						{[]string{"up", "--to", "7e5b5dc7342b"}, 1, "already applied"},
					}...)
				}
				for _, cmd := range cmds {
					r := c.run(append([]string{"--database-url", raw}, cmd.args...)...)
					requireNoLeak(t, r)
					requireOutcome(t, r, cmd.code, cmd.want)
				}
				// Where the URL is shown, the secret is masked, not dropped.
				if out := c.ok("--database-url", raw, "status"); !strings.Contains(out, "xxxxx") {
					t.Errorf("%s: status does not show the masked URL:\n%s", name, out)
				}
			}
		}
	})
	t.Run("postgres refuses the login", func(t *testing.T) {
		u, err := url.Parse(testdb.URL(t, "postgres")) // skips when the server is down
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword("no_such_role", hostileSecrets[1].secret)
		for _, cmd := range [][]string{{"status"}, {"status", "--json"}, {"up"}} {
			r := newCLI(t).run(append([]string{"--database-url", u.String()}, cmd...)...)
			requireNoLeak(t, r)
			requireOutcome(t, r, 1, "no_such_role")
		}
	})
	t.Run("mysql refuses the password", func(t *testing.T) {
		u, err := url.Parse(testdb.URL(t, "mysql"))
		if err != nil {
			t.Fatal(err)
		}
		if _, has := u.User.Password(); has {
			t.Skip("the test server's user has a password: a wrong one cannot be told from it here")
		}
		for _, s := range hostileSecrets {
			for _, raw := range []string{
				func() string { v := *u; v.User = url.UserPassword(u.User.Username(), s.secret); return v.String() }(),
				u.String() + "?passwd=" + url.QueryEscape(s.secret),
			} {
				for _, cmd := range [][]string{{"status", "--json"}, {"up"}, {"verify"}} {
					r := newCLI(t).run(append([]string{"--database-url", raw}, cmd...)...)
					requireNoLeak(t, r)
					requireOutcome(t, r, 1, "Access denied")
				}
			}
		}
	})
}

// TestCLIBadInputURLs: URLs that are wrong without any secret: each is a
// usage error with one line naming the problem, refused before any
// connection (the hosts are unreachable, so a connection attempt would
// exit 1 with the driver's error instead).
func TestCLIBadInputURLs(t *testing.T) {
	cases := []struct {
		name, url string
		code      int
		want      string
	}{
		{"empty", "", 2, "--database-url is empty"},
		{"blank", "   ", 2, "--database-url is empty"},
		{"sqlite four slashes", "sqlite:////", 2, "SQLite URL names a folder"},
		{"sqlite folder", "sqlite:////tmp/", 2, "SQLite URL names a folder"},
		{"sqlite three slashes", "sqlite:///", 2, "SQLite URL names no file"},
		{"sqlite host", "sqlite://host/x.db", 2, `SQLite URL has a host part "host"`},
		{"sqlite bad timeout", "sqlite:///x.db?timeout=-5", 2, "timeout is not a number of seconds"},
		{"sqlite malformed query", "sqlite:///x.db?bad=%zz", 2, "malformed query string in database URL"},
		{"postgres malformed query", "postgresql://postgres@" + unreachable + "/test?bad=%zz", 2, "malformed query string in database URL"},
		{"mysql malformed query", "mysql://root@" + unreachable + "/test?bad=%zz", 2, "malformed query string in database URL"},
		{"semicolons", "mysql://root@" + unreachable + "/test?charset=utf8mb4;x=1", 2, "malformed query string in database URL"},
		{"repeated option", "postgres://u@" + unreachable + "/db?sslmode=disable&sslmode=require", 2, `option "sslmode" is given twice`},
		{"empty option name", "postgres://u@" + unreachable + "/db?=1", 2, "malformed query string in database URL"},
		{"unknown scheme", "ftp://h/db", 2, `unsupported database URL scheme "ftp"`},
		{"scheme only", "postgres://", 2, "names no host"},
		{"no scheme", "webui.db", 2, `database URL "webui.db" has no scheme`},
		{"port zero", "postgres://u@127.0.0.1:0/db", 2, "the port must be a number from 1 to 65535"},
		{"port too large", "mysql://u@127.0.0.1:70000/db", 2, "the port must be a number from 1 to 65535"},
		{"negative port", "mysql://u@127.0.0.1:-1/db", 2, "the port must be a number from 1 to 65535"},
		{"port without host", "postgres://u@:5432/db", 2, "a port but no host"},
		{"unclosed IPv6", "postgres://u@[::1/db", 2, "the host is not a valid name or address"},
		{"IPv6 without brackets", "postgres://u@::1:5432/db", 2, "the host is not a valid name or address"},
		{"space in host", "postgres://u@my host/db", 2, "the host is not a valid name or address"},
		{"libpq-only option", "postgres://u@" + unreachable + "/db?keepalives=1", 2, `unsupported PostgreSQL URL option "keepalives"`},
		{"bad escape in database", "postgres://u@" + unreachable + "/d%zzb", 2, "the database name has a"},
		{"line break", "postgres://u@" + unreachable + "/db\nstatus", 2, "control character"},
		{"very long option", "mysql://u@" + unreachable + "/db?" + strings.Repeat("o", 100_000) + "=1", 2, "unsupported MySQL URL option"},
		// Accepted, and then unreachable: the driver's error, on one line.
		{"IPv6 loopback", "postgres://u@[::1]:1/db?connect_timeout=5", 1, "cannot open postgres://u@[::1]:1/db"},
		{"IPv6 mysql", "mysql://u@[::1]:1/db", 1, "cannot "},
		{"unicode database", "postgres://u@" + unreachable + "/dätäbäse", 1, "cannot open postgres://u@127.0.0.1:1/d%C3%A4t%C3%A4b%C3%A4se"},
		{"empty port", "postgres://no_such_role@127.0.0.1:/db?connect_timeout=5", 1, "postgres://no_such_role@127.0.0.1:/db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, cmd := range [][]string{{"status"}, {"status", "--json"}, {"up"}, {"verify", "--json"}} {
				r := newCLI(t).run(append([]string{"--database-url", tc.url}, cmd...)...)
				requireOutcome(t, r, tc.code, tc.want)
				if r.stdout != "" {
					t.Errorf("schema %q: stdout should be empty, got %q", r.args, r.stdout)
				}
				if len(r.stderr) > 600 {
					t.Errorf("schema %q: the error line is %d bytes long", r.args, len(r.stderr))
				}
			}
		})
	}
	// The same malformed query string gets the same line on every dialect.
	var lines []string
	for _, u := range []string{"sqlite:///x.db?bad=%zz", "postgresql://postgres@" + unreachable + "/test?bad=%zz", "mysql://root@" + unreachable + "/test?bad=%zz"} {
		lines = append(lines, newCLI(t).run("status", "--database-url", u).stderr)
	}
	if lines[0] != lines[1] || lines[1] != lines[2] {
		t.Errorf("a malformed query string gets different messages per dialect:\n%s", strings.Join(lines, ""))
	}
}

// TestCLIBadInputFlags: unknown, repeated, negative, non-numeric and empty
// flag values, on the commands that take them.
func TestCLIBadInputFlags(t *testing.T) {
	c := newCLI(t)
	dbURL := "sqlite:///" + filepath.Join(c.dir, "flags.db")
	other := "sqlite:///" + filepath.Join(c.dir, "other.db")
	secretURL := "postgres://u:" + url.PathEscape(hostileSecrets[1].secret) + "@" + unreachable + "/db"
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"status", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"status", "-x"}, 2, "unknown shorthand flag: 'x'"},
		{[]string{"status", "--to", "head"}, 2, "unknown flag: --to"},
		{[]string{"history", "--lock-timeout", "1s"}, 2, "unknown flag: --lock-timeout"},
		{[]string{"status", "--password", hostileSecrets[0].secret}, 2, "unknown flag: --password"},
		{[]string{"status", "--database-url", dbURL, "--database-url", other}, 2, "--database-url is given twice with different values"},
		{[]string{"status", "--database-url", dbURL, "--database-url", secretURL}, 2, "--database-url is given twice with different values"},
		{[]string{"up", "--to", "head", "--to", "7e5b5dc7342b"}, 2, "--to is given twice with different values"},
		{[]string{"down", "--steps", "1", "--steps", "2"}, 2, "--steps is given twice with different values"},
		{[]string{"up", "--lock-timeout", "1s", "--lock-timeout", "2s"}, 2, "--lock-timeout is given twice with different values"},
		{[]string{"down", "--steps", "-1"}, 2, "--steps must be at least 1, got -1"},
		{[]string{"down", "--steps", "0"}, 2, "--steps must be at least 1, got 0"},
		{[]string{"up", "--lock-timeout", "-5s"}, 2, "--lock-timeout must not be negative, got -5s"},
		{[]string{"down", "--lock-timeout=-1ms"}, 2, "--lock-timeout must not be negative, got -1ms"},
		{[]string{"down", "--steps", "two"}, 2, `invalid argument "two" for "--steps" flag`},
		{[]string{"down", "--steps", "99999999999999999999"}, 2, `invalid argument "99999999999999999999" for "--steps" flag`},
		{[]string{"down", "--steps", "1.5"}, 2, `invalid argument "1.5" for "--steps" flag`},
		{[]string{"up", "--lock-timeout", "soon"}, 2, `invalid argument "soon" for "--lock-timeout" flag`},
		{[]string{"up", "--lock-timeout", "10"}, 2, `invalid argument "10" for "--lock-timeout" flag`},
		{[]string{"up", "--lock-timeout", "9999999h"}, 2, `invalid argument "9999999h" for "--lock-timeout" flag`},
		{[]string{"up", "--lock-timeout", secretURL}, 2, `for "--lock-timeout" flag`},
		{[]string{"down", "--steps", secretURL}, 2, `for "--steps" flag`},
		{[]string{"status", "--json=maybe"}, 2, `invalid argument "maybe" for "--json" flag`},
		{[]string{"down", "--all=false"}, 2, "--all=false is not a way to roll back"},
		{[]string{"up", "--to"}, 2, "flag needs an argument: --to"},
		{[]string{"up", "--to="}, 2, `--to: unknown revision ""`},
		{[]string{"down", "--steps="}, 2, `invalid argument "" for "--steps" flag`},
		{[]string{"up", "--lock-timeout="}, 2, `invalid argument "" for "--lock-timeout" flag`},
		{[]string{"status", "--json="}, 2, `invalid argument "" for "--json" flag`},
		{[]string{"status", "--database-url="}, 2, "--database-url is empty"},
		{[]string{"new", "add_thing", "--dir="}, 2, "is not a folder"},
		{[]string{"new", "add_thing", "--dir", filepath.Join(c.dir, "nowhere")}, 2, "is not a folder"},
		// Accepted: the same value twice, and a zero wait (the default).
		{[]string{"status", "--json", "--json"}, 0, ""},
		{[]string{"up", "--lock-timeout", "0s"}, 0, ""},
		{[]string{"down", "--steps", "1", "--steps", "1"}, 0, ""},
	}
	for _, tc := range cases {
		args := tc.args
		if !strings.HasPrefix(strings.Join(args, " "), "status --database-url") {
			args = append([]string{"--database-url", dbURL}, args...)
		}
		r := c.run(args...)
		requireOutcome(t, r, tc.code, tc.want)
		requireNoLeak(t, r)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "other.db")); err == nil {
		t.Error("a usage error opened the database")
	}
}

// TestCLIBadInputRevisions: revision names and other arguments that are
// unknown, empty, a URL, or head/base where they mean nothing.
func TestCLIBadInputRevisions(t *testing.T) {
	c := newCLI(t)
	dbURL := "sqlite:///" + filepath.Join(c.dir, "revs.db")
	secretURL := "mysql://u@" + unreachable + "/db?password=" + url.QueryEscape(hostileSecrets[2].secret)
	first := "7e5b5dc7342b"
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"up", "--to", "nope"}, 2, `--to: unknown revision "nope"`},
		{[]string{"up", "--to", "base"}, 2, `--to: unknown revision "base": use a revision ID from` + " `schema history` or head"},
		{[]string{"up", "--to", strings.ToUpper(first)}, 2, "unknown revision"},
		{[]string{"up", "--to", first[:4]}, 2, "unknown revision"},
		{[]string{"up", "--to", " " + first}, 2, "unknown revision"},
		{[]string{"up", "--to", "héad"}, 2, "unknown revision"},
		{[]string{"up", "--to", strings.Repeat("f", 10_000)}, 2, "unknown revision"},
		{[]string{"up", "--to", secretURL}, 2, "unknown revision"},
		{[]string{"down", "--to", ""}, 2, `--to: unknown revision ""`},
		{[]string{"down", "--to", "nope"}, 2, "unknown revision"},
		{[]string{"down", "--to", secretURL}, 2, "unknown revision"},
		{[]string{"stamp"}, 2, "stamp takes exactly one argument"},
		{[]string{"stamp", ""}, 2, `stamp: unknown revision ""`},
		{[]string{"stamp", "head", "base"}, 2, "stamp takes exactly one argument"},
		{[]string{"stamp", "HEAD"}, 2, `unknown revision "HEAD"`},
		{[]string{"stamp", secretURL}, 2, "unknown revision"},
		{[]string{"up", "extra"}, 2, `up takes no arguments, got "extra"`},
		{[]string{"status", secretURL}, 2, "status takes no arguments"},
		{[]string{"verify", "head"}, 2, "verify takes no arguments"},
		{[]string{"diff", "head"}, 2, "diff takes no arguments"},
		{[]string{"adopt", "base"}, 2, "adopt takes no arguments"},
		{[]string{"history", "head"}, 2, "history takes no arguments"},
		{[]string{"current", ""}, 2, "current takes no arguments"},
		{[]string{"new"}, 2, "new takes exactly one argument"},
		{[]string{"new", ""}, 2, "step name"},
		{[]string{"new", "Add-Thing"}, 2, "step name"},
		{[]string{"new", "../../escape"}, 2, "step name"},
		{[]string{"new", secretURL}, 2, "step name"},
		{[]string{"stauts"}, 2, `unknown command "stauts" (did you mean status?`},
		{[]string{""}, 2, `unknown command ""`},
		{[]string{secretURL}, 2, "unknown command"},
		// Accepted where they mean something.
		{[]string{"up", "--to", "head"}, 0, ""},
		{[]string{"down", "--to", "head"}, 0, ""},
		{[]string{"stamp", "base"}, 0, ""},
		{[]string{"stamp", "head"}, 0, ""},
		{[]string{"down", "--to", "base"}, 0, ""},
	}
	for _, tc := range cases {
		r := c.run(append([]string{"--database-url", dbURL}, tc.args...)...)
		requireOutcome(t, r, tc.code, tc.want)
		requireNoLeak(t, r)
	}
	if got := strings.TrimSpace(c.ok("--database-url", dbURL, "current")); got != "" {
		t.Errorf("after down --to base the database is at %q", got)
	}
}

// TestCLIClosedStdoutIsQuiet: a reader that has gone before the command writes
// (schema status | head -3 with a slow start) is not an error: no "broken
// pipe" on stderr, and the exit code of the work itself.
func TestCLIClosedStdoutIsQuiet(t *testing.T) {
	c := newCLI(t)
	dbURL := "sqlite:///" + filepath.Join(c.dir, "pipe.db")
	c.ok("--database-url", dbURL, "up", "--to", "242a2047eae0")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"status"}, 0},
		{[]string{"status", "--json"}, 0},
		{[]string{"history"}, 0},
		{[]string{"up"}, 0},
		{[]string{"verify"}, 0},
		{[]string{"up", "--to", "7e5b5dc7342b"}, 1},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone before the command writes anything
		cmd := exec.Command(c.bin, append([]string{"--database-url", dbURL}, tc.args...)...)
		cmd.Dir = c.dir
		cmd.Stdout = w
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err = cmd.Run()
		w.Close()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("schema %v | (closed): exit %d, want %d; stderr %q", tc.args, code, tc.code, stderr.String())
		}
		if strings.Contains(stderr.String(), "broken pipe") || (tc.code == 0 && stderr.Len() > 0) {
			t.Errorf("schema %v | (closed): stderr %q", tc.args, stderr.String())
		}
	}
	// And a reader that stops after the first line, as head does.
	cmd := exec.Command(c.bin, "--database-url", dbURL, "status")
	cmd.Dir = c.dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	out.Close()
	if err := cmd.Wait(); err != nil || stderr.Len() > 0 || !strings.HasPrefix(line, "database") {
		t.Errorf("schema status | head -1: first line %q, err %v, stderr %q", line, err, stderr.String())
	}
}

// TestCLIBadInputServerHangsUp: a port where something accepts and hangs
// up at once (not a database, or one that is restarting) gives the
// driver's error on one line: no driver log lines on stderr, no secret.
func TestCLIBadInputServerHangsUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	addr := ln.Addr().String()
	secret := url.PathEscape(hostileSecrets[0].secret)
	for _, raw := range []string{
		"mysql://u:" + secret + "@" + addr + "/db",
		"mysql://u@" + addr + "/db?password=" + secret,
		"postgres://u:" + secret + "@" + addr + "/db",
		"postgres://u@" + addr + "/db?sslpassword=" + secret,
	} {
		for _, cmd := range [][]string{{"status"}, {"status", "--json"}, {"up"}, {"verify", "--json"}} {
			r := newCLI(t).run(append([]string{"--database-url", raw}, cmd...)...)
			requireNoLeak(t, r)
			requireOutcome(t, r, 1, "cannot ")
		}
	}
}
