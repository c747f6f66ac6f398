package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

func cliParseStatus(t *testing.T, out string) db.Status {
	t.Helper()
	var st db.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json is not one JSON document: %v\n%s", err, out)
	}
	return st
}

// requireSteps checks that a run printed exactly these steps, in order,
// with verb ("applied" or "rolled back"), and then the closing line.
func cliRequireSteps(t *testing.T, out, verb string, ids []string, closing string) {
	t.Helper()
	ls := cliLines(out)
	if len(ls) != len(ids)+1 {
		t.Fatalf("want %d step lines and a closing line, got:\n%s", len(ids), out)
	}
	for i, id := range ids {
		if !strings.HasPrefix(ls[i], verb+" "+id+" ") || !strings.HasSuffix(ls[i], ")") {
			t.Errorf("line %d is %q, want %q ID name (duration)", i+1, ls[i], verb+" "+id)
		}
	}
	if !strings.Contains(ls[len(ls)-1], closing) {
		t.Errorf("closing line %q does not say %q", ls[len(ls)-1], closing)
	}
}

func cliReversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// TestCLILifecycle drives a fresh database through every command, as a
// user would, on every dialect.
func TestCLILifecycle(t *testing.T) {
	ids := fixtures.ChainIDs(t)
	if len(ids) != 20 || ids[19] != fixtures.RevHead {
		t.Fatalf("the chain has %d steps ending at %s; this test expects 20 ending at %s", len(ids), ids[len(ids)-1], fixtures.RevHead)
	}
	testdb.Each(t, func(t *testing.T, dialect string) {
		c := newCLI(t)
		u := testdb.URL(t, dialect)
		run := func(args ...string) string {
			t.Helper()
			return c.ok(append([]string{"--database-url", u}, args...)...)
		}
		current := func() string {
			t.Helper()
			out := run("current")
			if out != "" && !strings.HasSuffix(out, "\n") {
				t.Errorf("current output %q does not end a line", out)
			}
			return strings.TrimSpace(out)
		}

		cliRequireSteps(t, run("up"), "applied", ids, "is at "+fixtures.RevHead+" (head)")
		if out := run("up"); strings.TrimSpace(out) != "already at head "+fixtures.RevHead {
			t.Errorf("second up printed %q, want %q", out, "already at head "+fixtures.RevHead)
		}

		// status, text and JSON
		text := run("status")
		for _, want := range []string{"current", fixtures.RevHead + " (head)"} {
			if !strings.Contains(text, want) {
				t.Errorf("status text lacks %q:\n%s", want, text)
			}
		}
		for _, id := range ids {
			if !strings.Contains(text, id+"  applied  ") {
				t.Errorf("status text does not show %s as applied:\n%s", id, text)
			}
		}
		st := cliParseStatus(t, run("status", "--json"))
		if st.Current != fixtures.RevHead || st.Head != fixtures.RevHead || st.Pending != 0 || len(st.Steps) != 20 {
			t.Fatalf("status --json: current %q head %q pending %d steps %d; want %s, %s, 0, 20", st.Current, st.Head, st.Pending, len(st.Steps), fixtures.RevHead, fixtures.RevHead)
		}
		for i, s := range st.Steps {
			if s.ID != ids[i] || !s.Applied || s.AppliedAt == nil {
				t.Errorf("status --json step %d: %+v, want %s applied with a time", i+1, s, ids[i])
			}
		}

		if got := current(); got != fixtures.RevHead {
			t.Fatalf("current = %q, want %q", got, fixtures.RevHead)
		}
		if out := run("verify"); !strings.Contains(out, "live database vs models: no differences") {
			t.Errorf("verify at head:\n%s", out)
		}

		cliRequireSteps(t, run("down", "--steps", "2"), "rolled back", cliReversed(ids[18:]), "is at "+ids[17]+" (2 pending)")
		if got := current(); got != ids[17] {
			t.Fatalf("after down --steps 2, current = %q, want %q", got, ids[17])
		}

		cliRequireSteps(t, run("down", "--all"), "rolled back", cliReversed(ids[:18]), "is at base")
		if got := current(); got != "" {
			t.Fatalf("after down --all, current = %q, want nothing", got)
		}
		if out := run("down"); !strings.Contains(out, "nothing to roll back") {
			t.Errorf("down at base printed %q", out)
		}

		cliRequireSteps(t, run("up", "--to", "4ace53fd72c8"), "applied", ids[:5], "is at 4ace53fd72c8 (15 pending)")
		if got := current(); got != "4ace53fd72c8" {
			t.Fatalf("after up --to 4ace53fd72c8, current = %q", got)
		}
		for _, args := range [][]string{{"up", "--to", "4ace53fd72c8"}, {"down", "--to", "4ace53fd72c8"}} {
			if out := run(args...); strings.TrimSpace(out) != "already at 4ace53fd72c8" {
				t.Errorf("%v at 4ace53fd72c8 printed %q", args, out)
			}
		}

		// stamp moves the records only.
		if out := run("stamp", "head"); !strings.Contains(out, "is at "+fixtures.RevHead+" (head)") {
			t.Errorf("stamp head printed %q", out)
		}
		st = cliParseStatus(t, run("status", "--json"))
		if st.Current != fixtures.RevHead || st.Pending != 0 {
			t.Fatalf("after stamp head: current %q pending %d", st.Current, st.Pending)
		}
		for _, s := range st.Steps {
			if !s.Applied {
				t.Errorf("after stamp head, %s is pending", s.ID)
			}
		}
		run("stamp", "base")
		if got := current(); got != "" {
			t.Fatalf("after stamp base, current = %q", got)
		}
		st = cliParseStatus(t, run("status", "--json"))
		if st.Current != "" || st.Pending != 20 {
			t.Fatalf("after stamp base: current %q pending %d", st.Current, st.Pending)
		}
		// Record the schema's real state again and roll it all back.
		run("stamp", "4ace53fd72c8")
		cliRequireSteps(t, run("down", "--all"), "rolled back", cliReversed(ids[:5]), "is at base")

		var hist []struct{ ID, Revises, Name string }
		if err := json.Unmarshal([]byte(run("history", "--json")), &hist); err != nil {
			t.Fatal(err)
		}
		if len(hist) != 20 || hist[0].Revises != "" || hist[0].ID != ids[0] || hist[19].ID != fixtures.RevHead || hist[19].Revises != ids[18] {
			t.Errorf("history --json: %+v", hist)
		}
	})
}

// TestCLIEmbeddedDefault: with no flag and no DATABASE_URL, the command
// uses sqlite:///data/webui.db under the working directory, creating it.
func TestCLIEmbeddedDefault(t *testing.T) {
	c := newCLI(t)
	cliRequireSteps(t, c.ok("up"), "applied", fixtures.ChainIDs(t), "database "+db.DefaultURL+" is at "+fixtures.RevHead+" (head)")
	if _, err := os.Stat(filepath.Join(c.dir, "data", "webui.db")); err != nil {
		t.Fatalf("the default database was not created: %v", err)
	}
	if st := cliParseStatus(t, c.ok("status", "--json")); st.Database != db.DefaultURL || st.Current != fixtures.RevHead {
		t.Errorf("status --json: database %q current %q", st.Database, st.Current)
	}
}

// TestCLIDatabaseURLEnv: DATABASE_URL is honoured, and --database-url
// overrides it.
func TestCLIDatabaseURLEnv(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		u := testdb.URL(t, dialect)
		c := newCLI(t, "DATABASE_URL="+u)
		c.ok("up", "--to", "c69f45358db4")
		if got := strings.TrimSpace(c.ok("current")); got != "c69f45358db4" {
			t.Fatalf("current via DATABASE_URL = %q", got)
		}
		if _, err := os.Stat(filepath.Join(c.dir, "data")); err == nil {
			t.Error("the default database was created although DATABASE_URL was set")
		}
		// The flag wins, even over a DATABASE_URL that would not parse.
		bad := newCLI(t, "DATABASE_URL=oracle://scott:tiger@db/orcl")
		if got := strings.TrimSpace(bad.ok("--database-url", u, "current")); got != "c69f45358db4" {
			t.Fatalf("current via --database-url = %q", got)
		}
	})
}

// TestCLIURLErrors: a malformed or unsupported URL, from the flag or from
// DATABASE_URL, is a usage error with one line naming the problem, and the
// password is never printed.
func TestCLIURLErrors(t *testing.T) {
	const secret = "Hunter2Secret"
	cases := []struct {
		name, url, want string
	}{
		{"malformed", "postgres://u:" + secret + "@host:notaport/db", `malformed database URL "postgres://u:xxxxx@host/db": the port must be a number from 1 to 65535`},
		{"unsupported scheme", "oracle://scott:" + secret + "@host:1521/orcl", `unsupported database URL scheme "oracle"`},
		{"no database", "mysql://root:" + secret + "@127.0.0.1:3306", "names no database"},
		{"unknown option", "mysql://root:" + secret + "@127.0.0.1/db?bogus=1", `unsupported MySQL URL option "bogus"`},
	}
	for _, tc := range cases {
		for _, via := range []string{"flag", "env"} {
			t.Run(tc.name+" via "+via, func(t *testing.T) {
				var c *cli
				args := []string{"status"}
				if via == "flag" {
					c = newCLI(t)
					args = append(args, "--database-url", tc.url)
				} else {
					c = newCLI(t, "DATABASE_URL="+tc.url)
				}
				r := c.run(args...)
				r.requireExit(t, 2, tc.want)
				if r.stdout != "" {
					t.Errorf("stdout should be empty, got %q", r.stdout)
				}
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("the password was printed: %q", r.stderr)
				}
			})
		}
	}
}

// TestCLIPasswordMasked: with a password in the URL, every output names
// the database with the password masked, whether the connection works or
// not.
func TestCLIPasswordMasked(t *testing.T) {
	const secret = "S3cretPassw0rd"
	withPassword := func(t *testing.T, raw, host string) (full, masked string) {
		t.Helper()
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), secret)
		if host != "" {
			u.Host = host
		}
		return u.String(), u.Redacted()
	}
	requireMasked := func(t *testing.T, r cliResult, masked string) {
		t.Helper()
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("schema %v printed the password:\nstdout:\n%s\nstderr:\n%s", r.args, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout+r.stderr, masked) {
			t.Errorf("schema %v does not name the database as %s:\nstdout:\n%s\nstderr:\n%s", r.args, masked, r.stdout, r.stderr)
		}
	}

	t.Run("postgres reachable", func(t *testing.T) {
		// Trust authentication accepts any password.
		full, masked := withPassword(t, testdb.URL(t, "postgres"), "")
		c := newCLI(t)
		for _, args := range [][]string{{"status"}, {"status", "--json"}, {"up", "--to", "7e5b5dc7342b"}, {"stamp", "base"}} {
			r := c.run(append([]string{"--database-url", full}, args...)...)
			if r.code != 0 {
				t.Fatalf("schema %v: exit %d: %s", args, r.code, r.stderr)
			}
			requireMasked(t, r, masked)
		}
		// The same through DATABASE_URL.
		r := newCLI(t, "DATABASE_URL="+full).run("status")
		if r.code != 0 {
			t.Fatalf("status via DATABASE_URL: exit %d: %s", r.code, r.stderr)
		}
		requireMasked(t, r, masked)
	})
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect+" unreachable", func(t *testing.T) {
			full, masked := withPassword(t, testdb.ServerURL(dialect), "127.0.0.1:1")
			for _, args := range [][]string{{"status"}, {"up"}, {"verify"}} {
				r := newCLI(t).run(append([]string{"--database-url", full}, args...)...)
				r.requireExit(t, 1, "cannot open "+masked)
				requireMasked(t, r, masked)
			}
		})
	}
}

// execOn runs SQL on the database at u, outside the command.
func cliExecSQL(t *testing.T, u string, stmts ...string) {
	t.Helper()
	d, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, s := range stmts {
		if err := d.DB.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestCLIVerifyDrift: verify exits 1 and lists, grouped by table, how a
// live database at HEAD differs from the models.
func TestCLIVerifyDrift(t *testing.T) {
	dropIndex := map[string]string{
		"sqlite":   "DROP INDEX idx_file_hash",
		"postgres": "DROP INDEX idx_file_hash",
		"mysql":    "DROP INDEX idx_file_hash ON `file`",
	}
	testdb.Each(t, func(t *testing.T, dialect string) {
		u := testdb.URL(t, dialect)
		c := newCLI(t, "DATABASE_URL="+u)
		c.ok("up")
		cliExecSQL(t, u, "CREATE TABLE extra_thing (id integer)", dropIndex[dialect])

		r := c.run("verify")
		r.requireExit(t, 1, "drift found: the live database differs from the models in 2 ways")
		want := []string{
			"chain at head vs models: no differences",
			"live database vs models: 2 differences",
			"  extra_thing",
			"    table: in live database but not in models",
			"  file",
			"    index idx_file_hash: in models but missing from live database",
		}
		got := cliLines(r.stdout)
		if len(got) != len(want)+1 || strings.Join(got[1:], "\n") != strings.Join(want, "\n") {
			t.Errorf("verify output:\n%s\nwant, after the database line:\n%s", r.stdout, strings.Join(want, "\n"))
		}

		r = c.run("verify", "--json")
		r.requireExit(t, 1, "drift found")
		var rep struct {
			db.VerifyReport
			OK bool `json:"ok"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("verify --json: %v\n%s", err, r.stdout)
		}
		if rep.OK || !rep.LiveChecked || len(rep.Chain) != 0 || len(rep.Live) != 2 ||
			rep.Live[0].Table != "extra_thing" || rep.Live[1].Table != "file" {
			t.Errorf("verify --json: %+v", rep)
		}
	})
}

// TestCLIVerifyBehind: a live database with pending steps is not compared;
// verify says why and fails, while an empty one passes with a note.
func TestCLIVerifyBehind(t *testing.T) {
	u := testdb.URL(t, "sqlite")
	c := newCLI(t, "DATABASE_URL="+u)
	out := c.ok("verify")
	if !strings.Contains(out, "live database vs models: not compared: the live database is empty") {
		t.Errorf("verify on an empty database:\n%s", out)
	}
	c.ok("up", "--to", "4ace53fd72c8")
	r := c.run("verify")
	r.requireExit(t, 1, "the live database was not compared: the live database is at 4ace53fd72c8 with 15 step(s) pending")
	if !strings.Contains(r.stdout, "not compared") {
		t.Errorf("verify output does not say the live database was not compared:\n%s", r.stdout)
	}
}

// TestCLIUsageErrors: bad command lines exit 2 with one line, and never
// touch the database.
func TestCLIUsageErrors(t *testing.T) {
	u := testdb.URL(t, "sqlite")
	path := strings.TrimPrefix(u, "sqlite:///")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"status", "--frob"}, "unknown flag: --frob"},
		{[]string{"down", "--steps", "2", "--all"}, "down takes only one of --to, --steps and --all"},
		{[]string{"down", "--to", "base", "--steps", "1"}, "down takes only one of --to, --steps and --all"},
		{[]string{"up", "--to", "ffffffffffff"}, `unknown revision "ffffffffffff"`},
		{[]string{"stamp"}, "stamp takes exactly one argument"},
		{[]string{"stamp", "nope"}, `unknown revision "nope"`},
		{[]string{"current", "now"}, "current takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := newCLI(t).run(append([]string{"--database-url", u}, tc.args...)...)
			r.requireExit(t, 2, tc.want)
			if _, err := os.Stat(path); err == nil {
				t.Fatal("a usage error created the database")
			}
		})
	}
	if out := newCLI(t).ok("--help"); !strings.Contains(out, "Exit codes") {
		t.Errorf("--help:\n%s", out)
	}
}

// TestCLINotices: a step's notices are printed indented under the step's
// own line, and a step with data to walk prints no progress noise when
// stderr is not a terminal.
func TestCLINotices(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		u := testdb.URL(t, dialect)
		c := newCLI(t, "DATABASE_URL="+u)
		c.ok("up", "--to", "6a39f3d8e55c")
		// More rows than one batch, so the step reports progress; one
		// relative path, which the step leaves alone with a notice.
		var values []string
		for i := range 6000 {
			values = append(values, fmt.Sprintf("('f%05d', 'u1', 'a.txt', '/srv/files/%d', 0)", i, i))
		}
		values = append(values, "('rel', 'u1', 'b.txt', 'relative/b.txt', 0)")
		cliExecSQL(t, u, "INSERT INTO file (id, user_id, filename, path, created_at) VALUES "+strings.Join(values, ", "))

		out := c.ok("up") // ok: stderr must be empty
		ls := cliLines(out)
		for i, l := range ls {
			if !strings.HasPrefix(l, "applied c29facfe716b update_file_table_path (") {
				continue
			}
			if i+1 >= len(ls) || !strings.HasPrefix(ls[i+1], "  note: left 1 relative file path(s) unchanged") || !strings.Contains(ls[i+1], "rel") {
				t.Fatalf("the step's notice is not on the line after it:\n%s", out)
			}
			if i+2 >= len(ls) || !strings.HasPrefix(ls[i+2], "applied 7826ab40b532 ") {
				t.Fatalf("the next step does not follow the notice:\n%s", out)
			}
			return
		}
		t.Fatalf("up did not report step c29facfe716b:\n%s", out)
	})
}

// TestCLIClosedStdout: a reader that goes away (schema up | head -1) does
// not kill a run halfway; the run still completes.
func TestCLIClosedStdout(t *testing.T) {
	u := testdb.URL(t, "sqlite")
	c := newCLI(t, "DATABASE_URL="+u)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // every write to stdout now fails
	cmd := exec.Command(c.bin, "up")
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+u)
	cmd.Stdout = w
	err = cmd.Run()
	w.Close()
	if err != nil {
		t.Fatalf("up with a closed stdout: %v", err)
	}
	if got := strings.TrimSpace(c.ok("current")); got != fixtures.RevHead {
		t.Fatalf("after up with a closed stdout, current = %q, want %q", got, fixtures.RevHead)
	}
}
