package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/migrations"
)

// runCLI runs the command in process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = execute(context.Background(), args, &out, &errw, false)
	return code, out.String(), errw.String()
}

// requireOneErrorLine checks the failure contract: exactly one stderr line,
// "schema: ..." containing want.
func requireOneErrorLine(t *testing.T, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "schema: ") {
		t.Fatalf("stderr should be one line starting with \"schema: \", got %q", stderr)
	}
	if !strings.Contains(lines[0], want) {
		t.Fatalf("stderr %q does not mention %q", lines[0], want)
	}
}

// sqliteURL is a SQLite database in a fresh temporary folder; the file
// does not exist until something opens it.
func sqliteURL(t *testing.T) (url, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "sub", "test.db")
	return "sqlite:///" + path, path
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestDownFlagsAreMutuallyExclusive(t *testing.T) {
	cases := [][]string{
		{"--to", "7e5b5dc7342b", "--steps", "2"},
		{"--to", "7e5b5dc7342b", "--all"},
		{"--steps", "1", "--all"},
		{"--to", "base", "--steps", "1", "--all"},
	}
	for _, flags := range cases {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			url, path := sqliteURL(t)
			code, stdout, stderr := runCLI(t, append([]string{"down", "--database-url", url}, flags...)...)
			if code != exitUsage {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			requireOneErrorLine(t, stderr, "down takes only one of --to, --steps and --all")
			if stdout != "" {
				t.Errorf("stdout should be empty, got %q", stdout)
			}
			if exists(path) {
				t.Errorf("a usage error must not touch the database, but %s was created", path)
			}
		})
	}
}

func TestDownStepsMustBePositive(t *testing.T) {
	for _, n := range []string{"0", "-3"} {
		t.Run(n, func(t *testing.T) {
			url, _ := sqliteURL(t)
			code, _, stderr := runCLI(t, "down", "--database-url", url, "--steps="+n)
			if code != exitUsage {
				t.Fatalf("exit code %d, want %d", code, exitUsage)
			}
			requireOneErrorLine(t, stderr, "--steps must be at least 1")
		})
	}
}

// TestDownOneFlagEach checks that each down flag alone is accepted and does
// what it says, on a SQLite database at HEAD.
func TestDownOneFlagEach(t *testing.T) {
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		flags []string
		want  string // current revision afterwards
	}{
		{nil, chain[len(chain)-2].ID},
		{[]string{"--steps", "3"}, chain[len(chain)-4].ID},
		{[]string{"--to", chain[4].ID}, chain[4].ID},
		{[]string{"--to", "base"}, ""},
		{[]string{"--all"}, ""},
	}
	for _, c := range cases {
		t.Run(strings.Join(append([]string{"down"}, c.flags...), " "), func(t *testing.T) {
			url, _ := sqliteURL(t)
			if code, _, stderr := runCLI(t, "up", "--database-url", url); code != exitOK {
				t.Fatalf("up: exit %d: %s", code, stderr)
			}
			code, stdout, stderr := runCLI(t, append([]string{"down", "--database-url", url}, c.flags...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "rolled back "+chain[len(chain)-1].ID) {
				t.Errorf("stdout does not report rolling back the head step:\n%s", stdout)
			}
			_, cur, _ := runCLI(t, "current", "--database-url", url)
			if strings.TrimSpace(cur) != c.want {
				t.Errorf("current is %q, want %q", cur, c.want)
			}
		})
	}
}

// TestURLPrecedence: --database-url wins over DATABASE_URL, which wins over
// the embedded default (relative to the working directory).
func TestURLPrecedence(t *testing.T) {
	cases := []struct {
		name      string
		flag, env bool
		want      string // which database is used: "flag", "env" or "default"
	}{
		{"flag and env", true, true, "flag"},
		{"flag only", true, false, "flag"},
		{"env only", false, true, "env"},
		{"neither", false, false, "default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			paths := map[string]string{
				"flag":    filepath.Join(dir, "flag.db"),
				"env":     filepath.Join(dir, "env.db"),
				"default": filepath.Join(dir, "data", "webui.db"),
			}
			args := []string{"status", "--json"}
			if c.flag {
				args = append(args, "--database-url", "sqlite:///"+paths["flag"])
			}
			if c.env {
				t.Setenv("DATABASE_URL", "sqlite:///"+paths["env"])
			} else {
				t.Setenv("DATABASE_URL", "")
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var st db.Status
			if err := json.Unmarshal([]byte(stdout), &st); err != nil {
				t.Fatalf("status --json: %v\n%s", err, stdout)
			}
			wantURL := "sqlite:///" + paths[c.want]
			if c.want == "default" {
				wantURL = db.DefaultURL
			}
			if st.Database != wantURL {
				t.Errorf("status names database %q, want %q", st.Database, wantURL)
			}
			for name, p := range paths {
				if got := exists(p); got != (name == c.want) {
					t.Errorf("%s database %s exists = %v, want %v", name, p, got, name == c.want)
				}
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	url, _ := sqliteURL(t)
	if code, _, stderr := runCLI(t, "up", "--database-url", url); code != exitOK {
		t.Fatalf("up: exit %d: %s", code, stderr)
	}
	cases := []struct {
		name string
		args []string
		code int
		err  string // what the one stderr line mentions; "" for success
	}{
		{"success", []string{"status", "--database-url", url}, exitOK, ""},
		{"history", []string{"history"}, exitOK, ""},
		{"help", []string{"--help"}, exitOK, ""},
		{"unknown command", []string{"stauts"}, exitUsage, `unknown command "stauts" (did you mean status?`},
		{"unknown flag", []string{"status", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{"flag without value", []string{"up", "--to"}, exitUsage, "flag needs an argument"},
		{"bad number", []string{"down", "--steps", "two"}, exitUsage, `invalid argument "two"`},
		{"bad duration", []string{"up", "--lock-timeout", "soon"}, exitUsage, `invalid argument "soon"`},
		{"extra argument", []string{"current", "extra"}, exitUsage, `current takes no arguments, got "extra"`},
		{"stamp without revision", []string{"stamp"}, exitUsage, "stamp takes exactly one argument"},
		{"stamp unknown revision", []string{"stamp", "--database-url", url, "nope"}, exitUsage, `unknown revision "nope"`},
		{"up to unknown revision", []string{"up", "--database-url", url, "--to", "nope"}, exitUsage, `unknown revision "nope"`},
		{"up to base", []string{"up", "--database-url", url, "--to", "base"}, exitUsage, `unknown revision "base"`},
		{"empty URL flag", []string{"status", "--database-url", ""}, exitUsage, "--database-url is empty"},
		{"malformed URL", []string{"status", "--database-url", "postgres://u:pw@host:notaport/db"}, exitUsage, "malformed database URL"},
		{"unsupported URL", []string{"status", "--database-url", "oracle://u:pw@host/db"}, exitUsage, `unsupported database URL scheme "oracle"`},
		{"unreachable database", []string{"status", "--database-url", "postgres://u@127.0.0.1:1/db?connect_timeout=5"}, exitFailure, "cannot open postgres://u@127.0.0.1:1/db"},
		{"up to an earlier revision", []string{"up", "--database-url", url, "--to", "7e5b5dc7342b"}, exitFailure, "already applied"},
		{"up to the current revision", []string{"up", "--database-url", url, "--to", migrations.Head()}, exitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if c.err == "" {
				if stderr != "" {
					t.Fatalf("stderr should be empty, got %q", stderr)
				}
				return
			}
			requireOneErrorLine(t, stderr, c.err)
		})
	}
}

// TestHistoryNeedsNoDatabase: history works whatever the URL, and opens or
// creates nothing.
func TestHistoryNeedsNoDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("DATABASE_URL", "")
	url, path := sqliteURL(t)
	for _, args := range [][]string{
		{"history"},
		{"history", "--json"},
		{"history", "--database-url", url},
		{"history", "--database-url", "postgres://u@127.0.0.1:1/db"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if !strings.Contains(stdout, "e223b100ad81") {
			t.Errorf("%v: output lacks the head revision:\n%s", args, stdout)
		}
	}
	if exists(path) || exists(filepath.Join(dir, "data")) {
		t.Error("history created a database")
	}
	_, stdout, _ := runCLI(t, "history", "--json")
	var entries []historyEntry
	if err := json.Unmarshal([]byte(stdout), &entries); err != nil {
		t.Fatal(err)
	}
	chain, _ := migrations.Chain()
	if len(entries) != len(chain) {
		t.Fatalf("history --json has %d entries, want %d", len(entries), len(chain))
	}
	for i, s := range chain {
		if want := (historyEntry{s.ID, s.Revises, s.Name}); entries[i] != want {
			t.Errorf("entry %d is %+v, want %+v", i, entries[i], want)
		}
	}
}

func TestCurrentWhenNothingApplied(t *testing.T) {
	url, _ := sqliteURL(t)
	code, stdout, stderr := runCLI(t, "current", "--database-url", url)
	if code != exitOK || stdout != "" || stderr != "" {
		t.Fatalf("current on an empty database: exit %d, stdout %q, stderr %q; want 0 and no output", code, stdout, stderr)
	}
	_, stdout, _ = runCLI(t, "current", "--json", "--database-url", url)
	var got map[string]string
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got) != 1 || got["current"] != "" {
		t.Fatalf(`current --json = %q, want {"current": ""}`, stdout)
	}
}

// TestPasswordNeverEchoed: a password that comes back in an echo of the
// command line is masked, as is one in any URL-shaped text.
func TestPasswordNeverEchoed(t *testing.T) {
	const secret = "Hunter2Secret"
	leaky := "postgres://u:" + secret + "@host/db"
	for _, args := range [][]string{
		{leaky},
		{"stamp", leaky},
		{"up", "--to", leaky},
		{"status", "--database-url", "postgres://u:" + secret + "@host:notaport/db"},
		{"status", "--database-url=oracle://u:" + secret + "@host/db"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("%v printed the password: %q", args, stderr)
		}
	}
	t.Setenv("DATABASE_URL", "postgres://u:"+secret+"@host/db")
	if got := mask("driver said: password "+secret+" rejected", nil); strings.Contains(got, secret) {
		t.Errorf("mask left the DATABASE_URL password in %q", got)
	}
	if got := mask("x mysql://root:pa55word@h/db y", nil); got != "x mysql://root:xxxxx@h/db y" {
		t.Errorf("mask = %q", got)
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestLiveReporter(t *testing.T) {
	step := func(id, name, dir string) db.StepResult {
		return db.StepResult{ID: id, Name: name, Direction: dir}
	}
	a, b := step("aaa", "first", db.DirectionUp), step("bbb", "second", db.DirectionUp)

	t.Run("steps and notices", func(t *testing.T) {
		var out, errw bytes.Buffer
		r := newLiveReporter(&out, &errw, false)
		r.StepStarted(a)
		r.Notice(a, "3 chat IDs skipped")
		r.Progress(a, 5, 10)
		if out.Len() != 0 {
			t.Fatalf("a step was printed before it was done: %q", out.String())
		}
		a := a
		a.Duration, a.Notices = 2*time.Millisecond, []string{"3 chat IDs skipped"}
		r.StepDone(a)
		if want := "applied aaa first (2ms)\n  note: 3 chat IDs skipped\n"; out.String() != want {
			t.Fatalf("after the first step: %q, want %q", out.String(), want)
		}
		r.StepStarted(b)
		b := b
		b.Duration = 1500 * time.Millisecond
		r.StepDone(b)
		r.finish()
		if want := "applied bbb second (1.5s)\n"; !strings.HasSuffix(out.String(), want) {
			t.Errorf("last step: %q, want suffix %q", out.String(), want)
		}
		if errw.Len() != 0 {
			t.Errorf("no progress when stderr is not a terminal, got %q", errw.String())
		}
	})

	t.Run("a step not done is not printed", func(t *testing.T) {
		var out bytes.Buffer
		r := newLiveReporter(&out, &bytes.Buffer{}, false)
		r.StepStarted(a)
		r.StepDone(a)
		r.StepStarted(b)
		r.Notice(b, "about a step that failed")
		r.finish()
		if strings.Contains(out.String(), "bbb") || strings.Contains(out.String(), "failed") {
			t.Errorf("the failed step was reported: %q", out.String())
		}
		if !strings.Contains(out.String(), "applied aaa") {
			t.Errorf("the finished step is missing: %q", out.String())
		}
	})

	t.Run("rolled back", func(t *testing.T) {
		var out bytes.Buffer
		r := newLiveReporter(&out, &bytes.Buffer{}, false)
		d := step("ccc", "third", db.DirectionDown)
		r.StepStarted(d)
		r.StepDone(d)
		if !strings.HasPrefix(out.String(), "rolled back ccc third (") {
			t.Errorf("got %q", out.String())
		}
	})

	t.Run("progress at most once a second on a terminal", func(t *testing.T) {
		var out, errw bytes.Buffer
		clock := &fakeClock{time.Unix(0, 0)}
		r := newLiveReporter(&out, &errw, true)
		r.now = clock.now
		r.StepStarted(a)
		for i := range 30 { // 3 seconds of progress, ten reports a second
			r.Progress(a, int64(i), 30)
			clock.t = clock.t.Add(100 * time.Millisecond)
		}
		// Nothing in the first second, then one line a second.
		if n := strings.Count(errw.String(), "\r\033[K"); n != 2 {
			t.Errorf("%d progress lines in 3 s, want 2 (at 1 s and 2 s): %q", n, errw.String())
		}
		if strings.Contains(errw.String(), ": 9 of 30") {
			t.Errorf("progress shown within the first second: %q", errw.String())
		}
		// Ten rows a second since the first report: 10 left, 1 s.
		if !strings.Contains(errw.String(), "aaa first: 20 of 30 (66%), ETA 1s") {
			t.Errorf("progress line text: %q", errw.String())
		}
		r.StepDone(a)
		if !strings.HasSuffix(errw.String(), "\r\033[K") {
			t.Errorf("the progress line is not cleared before the step is printed: %q", errw.String())
		}
		if strings.Contains(out.String(), "\r") {
			t.Errorf("progress leaked into stdout: %q", out.String())
		}
	})
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1234 * time.Nanosecond:  "1µs",
		2340 * time.Microsecond: "2ms",
		1234 * time.Millisecond: "1.23s",
		125 * time.Second:       "2m5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                       "plain",
		"first\nsecond\n":             "first; second",
		"  spaced \t out \n\n\nnext ": "spaced out; next",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLockTimeoutMustNotBeNegative: a negative wait is a usage error on
// up and down, refused before the database is touched.
func TestLockTimeoutMustNotBeNegative(t *testing.T) {
	for _, cmd := range []string{"up", "down"} {
		for _, v := range []string{"-1s", "-1ns", "-10m"} {
			t.Run(cmd+" "+v, func(t *testing.T) {
				url, path := sqliteURL(t)
				code, stdout, stderr := runCLI(t, cmd, "--database-url", url, "--lock-timeout="+v)
				if code != exitUsage {
					t.Fatalf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
				}
				requireOneErrorLine(t, stderr, "--lock-timeout must not be negative, got "+v)
				if stdout != "" || exists(path) {
					t.Errorf("a usage error must not touch the database (stdout %q)", stdout)
				}
			})
		}
	}
	url, _ := sqliteURL(t)
	if code, _, stderr := runCLI(t, "up", "--database-url", url, "--lock-timeout=0s"); code != exitOK {
		t.Errorf("--lock-timeout=0s: exit %d: %s", code, stderr)
	}
}

// TestRepeatedFlagsMustAgree: a flag given twice with different values is
// a usage error (which database, which revision, would be a guess); the
// same value twice is harmless.
func TestRepeatedFlagsMustAgree(t *testing.T) {
	url, path := sqliteURL(t)
	other, otherPath := sqliteURL(t)
	for _, args := range [][]string{
		{"status", "--database-url", url, "--database-url", other},
		{"--database-url", url, "status", "--database-url=" + other},
		{"up", "--database-url", url, "--to", "7e5b5dc7342b", "--to", "242a2047eae0"},
		{"down", "--database-url", url, "--steps", "1", "--steps", "2"},
		{"status", "--database-url", url, "--json", "--json=false"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			requireOneErrorLine(t, stderr, "is given twice with different values")
			if exists(path) || exists(otherPath) {
				t.Error("a usage error must not touch a database")
			}
		})
	}
	if code, _, stderr := runCLI(t, "status", "--database-url", url, "--database-url", url, "--json", "--json"); code != exitOK {
		t.Errorf("the same value twice: exit %d: %s", code, stderr)
	}
}

// brokenPipe is a stdout whose reader has gone after the first write, as
// with schema status | head -1.
type brokenPipe struct{ writes int }

func (b *brokenPipe) Write(p []byte) (int, error) {
	b.writes++
	if b.writes > 1 {
		return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
	}
	return len(p), nil
}

// TestClosedStdoutIsQuiet: a reader that stops reading is not an error:
// nothing on stderr, and the exit code is that of the command's work.
func TestClosedStdoutIsQuiet(t *testing.T) {
	url, _ := sqliteURL(t)
	if code, _, stderr := runCLI(t, "up", "--database-url", url); code != exitOK {
		t.Fatalf("up: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"status", "--database-url", url}, exitOK},
		{[]string{"history"}, exitOK},
		{[]string{"history", "--json"}, exitOK},
		{[]string{"verify", "--database-url", url}, exitOK},
		{[]string{"down", "--database-url", url, "--steps", "2"}, exitOK},
		{[]string{"up", "--database-url", url}, exitOK},
		{[]string{"--help"}, exitOK},
		{[]string{"up", "--database-url", url, "--to", "7e5b5dc7342b"}, exitFailure},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var errw bytes.Buffer
			code := execute(context.Background(), tc.args, &brokenPipe{}, &errw, false)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, errw.String())
			}
			if strings.Contains(errw.String(), "broken pipe") {
				t.Errorf("stderr reports the closed stdout: %q", errw.String())
			}
			if tc.code == exitOK && errw.Len() != 0 {
				t.Errorf("stderr should be empty, got %q", errw.String())
			}
		})
	}
}

// TestSecretsNeverEchoed: a secret given in any form, anywhere on the
// command line or in DATABASE_URL, never comes back in an error, including
// the echo of an argument (an unknown command, a revision that is a URL).
func TestSecretsNeverEchoed(t *testing.T) {
	const secret = "Zq7EchoSecret"
	forms := []string{
		"postgres://u:" + secret + "@127.0.0.1:1/db",
		"postgres://u@127.0.0.1:1/db?password=" + secret,
		"postgres://u@127.0.0.1:1/db?sslpassword=" + secret + "&bad=%zz",
		"mysql://u@127.0.0.1:1/db?passwd=" + secret + ";x",
		"postgres://u:" + secret + "/x@127.0.0.1:notaport/db",
		"u:" + secret + "@127.0.0.1:1/db",
	}
	for _, leaky := range forms {
		for _, args := range [][]string{
			{leaky},
			{"stamp", leaky},
			{"up", "--to", leaky},
			{"down", "--to=" + leaky},
			{"new", leaky},
			{"status", "--database-url", leaky},
			{"status", "--database-url=" + leaky, "--json"},
			{"status", "--lock-timeout", leaky},
			{"up", "--lock-timeout", leaky},
			{"down", "--steps", leaky},
			{"current", "--database-url", "sqlite://", "--database-url", leaky},
		} {
			code, stdout, stderr := runCLI(t, args...)
			if code == exitOK || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: exit %d, stderr %q; want a failure on one line", args, code, stderr)
			}
			if strings.Contains(stdout+stderr, secret) || strings.Contains(stdout+stderr, "Zq7") {
				t.Errorf("%v printed the secret: %q", args, stderr)
			}
		}
	}
}

// TestMaskKeepsTheMessage: the last guard masks a secret option's value
// up to where the URL ends, and no further.
func TestMaskKeepsTheMessage(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	for in, want := range map[string]string{
		"cannot open mysql://u@h/db?password=pw1: invalid connection":     "cannot open mysql://u@h/db?password=xxxxx: invalid connection",
		"cannot open postgres://u@h/db?sslpassword=a:b&x=1 cannot parse":  "cannot open postgres://u@h/db?sslpassword=xxxxx&x=1 cannot parse",
		"url `postgres://u@h/db?api_token=t0k`":                           "url `postgres://u@h/db?api_token=xxxxx`",
		"x mysql://root:pa55word@h/db?charset=utf8mb4&passwd=p;y=2 z":     "x mysql://root:xxxxx@h/db?charset=utf8mb4&passwd=xxxxx;y=2 z",
		"postgres://u:p@ss@h/db (given with an @ in the password) failed": "postgres://u:xxxxx@h/db (given with an @ in the password) failed",
	} {
		args := []string{"--database-url", "postgres://u:p@ss@h/db"}
		if got := mask(in, args); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}
