package tests

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// The unprivileged user the read-only tests run the binary as when the
// tests themselves run as root (as in CI), where permission bits stop no
// write: nobody, with no groups.
const nobodyID = "65534"

// unprivileged runs the schema binary as a user whom permission bits bind:
// this user when it is not root, else nobody through setpriv. It works in
// a folder everyone may enter, with a copy of the binary everyone may run.
type unprivileged struct {
	t    *testing.T
	base string // 0755, holds the binary and the tests' folders
	bin  string
	wrap []string // the command prefix that drops root, if any
}

func newUnprivileged(t *testing.T) *unprivileged {
	t.Helper()
	u := &unprivileged{t: t}
	if os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			msg := "the read-only tests run as root and need setpriv (util-linux) to run the binary as an unprivileged user"
			if testdb.RequireAll() {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		u.wrap = []string{setpriv, "--reuid=" + nobodyID, "--regid=" + nobodyID, "--clear-groups", "--"}
	}
	base, err := os.MkdirTemp("", "schema-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.Walk(base, func(p string, _ os.FileInfo, _ error) error { os.Chmod(p, 0o755); return nil })
		os.RemoveAll(base)
	})
	u.base = base
	u.bin = filepath.Join(base, "schema")
	copyFileWithMode(t, buildSchema(t), u.bin, 0o755)
	if err := os.Mkdir(filepath.Join(base, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{base, filepath.Join(base, "tmp")} {
		if err := os.Chmod(p, map[bool]os.FileMode{true: 0o755, false: 0o1777}[p == base]); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

func copyFileWithMode(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// run runs argv as the unprivileged user.
func (u *unprivileged) run(argv ...string) cliResult {
	u.t.Helper()
	argv = append(append([]string{}, u.wrap...), argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = u.base
	cmd.Env = []string{"PATH=/usr/bin:/bin", "TMPDIR=" + filepath.Join(u.base, "tmp")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{args: argv, stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		res.code = exit.ExitCode()
	} else if err != nil {
		u.t.Fatalf("run %v: %v", argv, err)
	}
	return res
}

// schema runs the binary on the SQLite file path as the unprivileged user.
func (u *unprivileged) schema(path string, args ...string) cliResult {
	u.t.Helper()
	return u.run(append([]string{u.bin, "--database-url", "sqlite:///" + path}, args...)...)
}

// requireCannotWrite proves the sandbox: the user cannot write to path
// (append to a file, or create a file in a folder).
func (u *unprivileged) requireCannotWrite(path string) {
	u.t.Helper()
	target := path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		target = filepath.Join(path, "probe")
	}
	if r := u.run("/bin/sh", "-c", `: >> "$0"`, target); r.code == 0 {
		u.t.Fatalf("the unprivileged user can write %s: the test cannot make anything read-only here", target)
	}
}

// folderState is every file of a folder with its mode and content digest.
func folderState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		lines = append(lines, fmt.Sprintf("%s %v %d %x", e.Name(), fi.Mode(), fi.Size(), sha256.Sum256(b)))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestCLIReadOnlySQLite: the commands that only read (status, current,
// history, verify, diff) work on a SQLite file this user may not write, or
// that lies in a folder this user may not write, and change nothing there;
// up says in one line that the database is read-only; and a new file in a
// folder this user may not write is refused as permission denied.
func TestCLIReadOnlySQLite(t *testing.T) {
	u := newUnprivileged(t)
	// made returns a fresh database at HEAD, made by its owner (this
	// user), in a new folder of base.
	made := func(t *testing.T, name string) (dir, path string) {
		t.Helper()
		root := newCLI(t)
		dir = filepath.Join(u.base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, "webui.db")
		root.ok("--database-url", "sqlite:///"+path, "up")
		return dir, path
	}
	readOnlyCommands := [][]string{{"status"}, {"status", "--json"}, {"current"}, {"history"}, {"verify"}, {"diff"}, {"diff", "--live"}}
	requireReads := func(t *testing.T, path string, wantCurrent string) {
		t.Helper()
		for _, args := range readOnlyCommands {
			r := u.schema(path, args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("schema %s on a read-only database: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
		if r := u.schema(path, "current"); r.stdout != wantCurrent+"\n" {
			t.Errorf("current printed %q, want %s", r.stdout, wantCurrent)
		}
	}
	requireUpRefused := func(t *testing.T, path, why string) {
		t.Helper()
		for _, args := range [][]string{{"up"}, {"stamp", "base"}} {
			u.schema(path, args...).requireExit(t, 1, "sqlite:///"+path+" is read-only: "+why)
		}
	}

	requireUnchanged := func(t *testing.T, dir, before string) {
		t.Helper()
		if after := folderState(t, dir); after != before {
			t.Fatalf("the folder changed:\nbefore\n%s\nafter\n%s", before, after)
		}
	}

	t.Run("file", func(t *testing.T) {
		dir, path := made(t, "file")
		if err := os.Chown(dir, 65534, 65534); err != nil { // the user may write the folder, not the file
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		u.requireCannotWrite(path)
		before := folderState(t, dir)
		requireReads(t, path, fixtures.RevHead)
		requireUnchanged(t, dir, before)
		requireUpRefused(t, path, "the file is not writable by this user")
		requireUnchanged(t, dir, before)
	})

	t.Run("folder", func(t *testing.T) {
		dir, path := made(t, "folder")
		if err := os.Chown(path, 65534, 65534); err != nil { // the user may write the file, not the folder
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		u.requireCannotWrite(dir)
		before := folderState(t, dir)
		requireReads(t, path, fixtures.RevHead)
		requireUnchanged(t, dir, before)
		requireUpRefused(t, path, "its folder "+dir+" is not writable by this user")
		requireUnchanged(t, dir, before)
	})

	// The owner has the database open with changes still in the -wal
	// file: a reader must see them (not the main file alone).
	t.Run("folder_open_by_owner", func(t *testing.T) {
		dir, path := made(t, "open")
		owner, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
		if err != nil {
			t.Fatal(err)
		}
		defer owner.Close()
		owner.SetMaxOpenConns(1)
		for _, s := range []string{"PRAGMA wal_autocheckpoint = 0", "DELETE FROM schema_migrations WHERE id = '" + fixtures.RevHead + "'"} {
			if _, err := owner.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
			t.Fatalf("the owner's change is not in the -wal file: %v", err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		u.requireCannotWrite(dir)
		for _, args := range [][]string{{"status"}, {"current"}, {"history"}} {
			if r := u.schema(path, args...); r.code != 0 || r.stderr != "" {
				t.Errorf("schema %s while the owner has it open: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
			}
		}
		if r := u.schema(path, "current"); r.stdout != "3ff60f68c4f4\n" {
			t.Errorf("current printed %q: the change in the -wal file was not read", r.stdout)
		}
	})

	// A writer that died left changes in -wal and no -shm: reading the
	// file alone would show a state that is not the database's, and
	// recovering needs a writer. Refused, saying what to do.
	t.Run("wal_left_by_crash", func(t *testing.T) {
		_, src := made(t, "crashed_src")
		owner, err := sql.Open("sqlite3", "file:"+src+"?_journal_mode=WAL")
		if err != nil {
			t.Fatal(err)
		}
		defer owner.Close()
		owner.SetMaxOpenConns(1)
		for _, s := range []string{"PRAGMA wal_autocheckpoint = 0", "DELETE FROM schema_migrations WHERE id = '" + fixtures.RevHead + "'"} {
			if _, err := owner.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		dir := filepath.Join(u.base, "crashed")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "webui.db")
		copyFileWithMode(t, src, path, 0o644)
		copyFileWithMode(t, src+"-wal", path+"-wal", 0o644)
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		before := folderState(t, dir)
		u.schema(path, "status").requireExit(t, 1, "its -wal file holds changes that only a writer can recover")
		requireUnchanged(t, dir, before)
		// Its owner's next run recovers it.
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if out := newCLI(t).ok("--database-url", "sqlite:///"+path, "current"); out != "3ff60f68c4f4\n" {
			t.Errorf("current as the owner printed %q", out)
		}
	})

	// A file in rollback-journal mode, as Python's sqlite3 (Open WebUI)
	// leaves it.
	t.Run("rollback_journal", func(t *testing.T) {
		dir, path := made(t, "journal")
		owner, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Exec("PRAGMA journal_mode = DELETE"); err != nil {
			t.Fatal(err)
		}
		owner.Close()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		before := folderState(t, dir)
		requireReads(t, path, fixtures.RevHead)
		requireUnchanged(t, dir, before)
		requireUpRefused(t, path, "the file is not writable by this user")
		requireUnchanged(t, dir, before)
	})

	t.Run("new_file", func(t *testing.T) {
		dir := filepath.Join(u.base, "new")
		if err := os.Mkdir(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		u.requireCannotWrite(dir)
		path := filepath.Join(dir, "webui.db")
		for _, args := range [][]string{{"status"}, {"up"}} {
			r := u.schema(path, args...)
			r.requireExit(t, 1, "cannot create sqlite:///"+path+": permission denied")
			if strings.Contains(r.stderr, "no such file") {
				t.Errorf("schema %s: %q", args[0], r.stderr)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("a refused run left %v", entries)
		}
	})
}
