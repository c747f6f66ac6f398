package db

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// These tests run the real schema binary and interrupt it, since the
// clean-up under test happens on the way out of a process that got a
// signal (or never happens, for SIGKILL).

// buildSchemaForScratchTests builds cmd/schema into the test's temporary folder.
func buildSchemaForScratchTests(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "schema")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/openwebui-go/schema/cmd/schema").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/schema: %v\n%s", err, out)
	}
	return bin
}

// scratchProbe finds the scratch databases (or SQLite scratch folders in
// tmp) that one process made.
type scratchProbe struct {
	t       *testing.T
	bin     string
	dialect string
	admin   *gorm.DB // server dialects
	tmp     string   // SQLite: the TMPDIR the process was given
}

func newScratchProbe(t *testing.T, bin, dialectName string) *scratchProbe {
	t.Helper()
	p := &scratchProbe{t: t, bin: bin, dialect: dialectName, tmp: t.TempDir()}
	if dialectName != "sqlite" {
		testdb.NewTarget(t, dialectName) // skips (or fails) when the server is unreachable
		target, err := dialect.Parse(testdb.ServerURL(dialectName))
		if err != nil {
			t.Fatal(err)
		}
		if p.admin, err = dialect.Open(target); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeScratchTestDB(p.admin) })
	}
	return p
}

func closeScratchTestDB(g *gorm.DB) {
	if sqlDB, err := g.DB(); err == nil {
		sqlDB.Close()
	}
}

// of lists the scratch databases or folders whose name says pid made them.
func (p *scratchProbe) of(pid int) []string {
	p.t.Helper()
	var names []string
	if p.dialect == "sqlite" {
		entries, err := os.ReadDir(p.tmp)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
	} else {
		var err error
		if names, err = dialect.ListScratchDatabases(context.Background(), p.admin, ScratchPrefix); err != nil {
			p.t.Fatal(err)
		}
	}
	var out []string
	for _, n := range names {
		if info, ok := dialect.ParseScratchName(ScratchPrefix, n); ok && info.PID == pid {
			out = append(out, n)
		}
	}
	return out
}

// exists reports whether a database or folder of that name is there.
func (p *scratchProbe) exists(name string) bool {
	p.t.Helper()
	if p.dialect == "sqlite" {
		_, err := os.Lstat(filepath.Join(p.tmp, name))
		return err == nil
	}
	var n int64
	q := `SELECT count(*) FROM pg_database WHERE datname = ?`
	if p.dialect == "mysql" {
		q = `SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`
	}
	if err := p.admin.Raw(q, name).Scan(&n).Error; err != nil {
		p.t.Fatal(err)
	}
	return n > 0
}

// startSchema starts the schema binary with TMPDIR pointing at the probe's
// folder.
func (p *scratchProbe) startSchema(args ...string) (*exec.Cmd, *bytes.Buffer) {
	p.t.Helper()
	cmd := exec.Command(p.bin, args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+p.tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	return cmd, &stderr
}

// waitForScratch waits until the process has made a scratch database and
// returns its name, or fails if the process ends first.
func (p *scratchProbe) waitForScratch(cmd *exec.Cmd, done <-chan error) string {
	p.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if names := p.of(cmd.Process.Pid); len(names) > 0 {
			return names[0]
		}
		select {
		case err := <-done:
			p.t.Fatalf("schema %v ended (%v) before it made a scratch database", cmd.Args[1:], err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	p.t.Fatalf("schema %v made no scratch database within 2 minutes", cmd.Args[1:])
	return ""
}

func waitScratchTestExit(cmd *exec.Cmd) <-chan error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return done
}

// TestInterruptedRunLeavesNoScratch: SIGINT or SIGTERM while verify or
// diff --live builds its scratch databases must leave none behind, at
// whatever point of the build it arrives.
func TestInterruptedRunLeavesNoScratch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the schema binary many times")
	}
	bin := buildSchemaForScratchTests(t)
	testdb.Each(t, func(t *testing.T, dialectName string) {
		p := newScratchProbe(t, bin, dialectName)
		u := testdb.URL(t, dialectName)
		interrupted := 0
		for _, args := range [][]string{{"verify"}, {"diff", "--live"}} {
			for i, delay := range []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond, 400 * time.Millisecond} {
				sig := []os.Signal{os.Interrupt, syscall.SIGTERM}[i%2]
				cmd, stderr := p.startSchema(append([]string{"--database-url", u}, args...)...)
				done := waitScratchTestExit(cmd)
				p.waitForScratch(cmd, done)
				time.Sleep(delay)
				if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
					t.Fatal(err)
				}
				err := <-done
				if left := p.of(cmd.Process.Pid); len(left) > 0 {
					t.Errorf("schema %v got %v %s into its scratch build and left %v behind (stderr %q)", args, sig, delay, left, stderr)
				}
				if err != nil {
					interrupted++
					if lines := strings.Count(stderr.String(), "\n"); lines != 1 || !strings.HasPrefix(stderr.String(), "schema: ") {
						t.Errorf("schema %v interrupted: stderr should be one line, got %q", args, stderr)
					}
				}
			}
		}
		if interrupted == 0 {
			t.Fatal("no run was interrupted before it finished: the test proves nothing")
		}
	})
}

// TestKilledRunScratchRemovedByNextRun: SIGKILL leaves a scratch database
// (nothing can clean up), and the next run that makes one removes it once
// it is old enough and unused.
func TestKilledRunScratchRemovedByNextRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the schema binary")
	}
	bin := buildSchemaForScratchTests(t)
	testdb.EachSerial(t, func(t *testing.T, dialectName string) {
		p := newScratchProbe(t, bin, dialectName)
		u := testdb.URL(t, dialectName)
		cmd, _ := p.startSchema("--database-url", u, "verify")
		done := waitScratchTestExit(cmd)
		p.waitForScratch(cmd, done)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-done
		left := p.of(cmd.Process.Pid)
		if len(left) == 0 {
			t.Fatal("a verify killed mid-build left no scratch database: the test proves nothing")
		}
		if p.admin != nil { // the server notices the dead client's sessions shortly
			waitUnused(t, p.admin, left)
		}

		defer func(age time.Duration) { staleScratchAge = age }(staleScratchAge)
		staleScratchAge = 2 * time.Second
		time.Sleep(staleScratchAge + 1100*time.Millisecond) // names hold whole seconds
		t.Setenv("TMPDIR", p.tmp)
		ctx := context.Background()
		d, err := Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		for _, name := range left {
			if p.exists(name) {
				t.Errorf("the next verify left the killed run's scratch %s in place", name)
			}
		}
		if mine := p.of(os.Getpid()); len(mine) > 0 {
			t.Errorf("verify left its own scratch %v", mine)
		}
	})
}

// waitUnused waits until no session uses the databases.
func waitUnused(t *testing.T, admin *gorm.DB, names []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, name := range names {
		for {
			n, err := dialect.DatabaseSessions(context.Background(), admin, name)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still has %d session(s) 30 s after its maker was killed", name, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func scratchTestHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:n]
}

// TestStaleScratchOnlyOurs: the clean-up a run does before making its
// scratch database drops an old, unused one of this tool's, and nothing
// else: not one in use, not a young one, not another tool's or a user's
// database named alike.
func TestStaleScratchOnlyOurs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the schema binary")
	}
	bin := buildSchemaForScratchTests(t)
	testdb.Each(t, func(t *testing.T, dialectName string) {
		p := newScratchProbe(t, bin, dialectName)
		u := testdb.URL(t, dialectName)
		r := scratchTestHex(t, 8)
		old := "schema_scratch_1000000000_"
		stale := old + "1_" + r
		inUse := old + "2_" + r
		young := fmt.Sprintf("schema_scratch_%d_1_%s", time.Now().Unix(), r)
		keep := []string{
			young,
			"schema_scratch_" + scratchTestHex(t, 12), // made before names had a time
			"schemabench_1000000000_1_" + r,           // another prefix
			"x_schema_scratch_1000000000_1_" + r,
			old + "1_" + r + "0",
			old + "1_" + r + "_copy",
			old + "0_" + r,
			"schema_scratch_100000000_1_" + r,
			"Schema_Scratch_1000000000_1_" + r,
		}
		made := append([]string{stale, inUse}, keep...)
		if dialectName == "sqlite" {
			dead := exec.Command("true")
			if err := dead.Run(); err != nil {
				t.Fatal(err)
			}
			gone := dead.Process.Pid
			stale = fmt.Sprintf("%s%d_%s", old, gone, r)
			inUse = fmt.Sprintf("%s%d_%s", old, os.Getpid(), r) // its maker still runs
			youngDead := fmt.Sprintf("schema_scratch_%d_%d_%s", time.Now().Unix(), gone, r)
			fileNotDir := fmt.Sprintf("%s%d_%s", old, gone, scratchTestHex(t, 8))
			link := fmt.Sprintf("%s%d_%s", old, gone, scratchTestHex(t, 8))
			keep = append(keep, youngDead, fileNotDir, link)
			for _, name := range append([]string{stale, inUse, youngDead}, keep[:len(keep)-3]...) {
				if err := os.Mkdir(filepath.Join(p.tmp, name), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(p.tmp, name, "scratch.db"), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(p.tmp, fileNotDir), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(p.tmp, keep[1]), filepath.Join(p.tmp, link)); err != nil {
				t.Fatal(err)
			}
		} else {
			d, _ := dialect.Of(p.admin)
			for _, name := range made {
				if err := p.admin.Exec("CREATE DATABASE " + d.Quote(name)).Error; err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.admin.Exec("DROP DATABASE IF EXISTS " + d.Quote(name)) })
			}
			target, err := dialect.Parse(testdb.ServerURL(dialectName))
			if err != nil {
				t.Fatal(err)
			}
			if target, err = target.WithDatabase(inUse); err != nil {
				t.Fatal(err)
			}
			session, err := dialect.Open(target) // connects: a session on it
			if err != nil {
				t.Fatal(err)
			}
			defer closeScratchTestDB(session)
		}

		cmd, stderr := p.startSchema("--database-url", u, "verify")
		if err := <-waitScratchTestExit(cmd); err != nil {
			t.Fatalf("verify: %v\n%s", err, stderr)
		}
		if p.exists(stale) {
			t.Errorf("verify kept the stale scratch %s", stale)
		}
		for _, name := range append([]string{inUse}, keep...) {
			if !p.exists(name) {
				t.Errorf("verify removed %s, which is not an abandoned scratch of this tool", name)
			}
		}
		if dialectName == "sqlite" {
			if _, err := os.Stat(filepath.Join(p.tmp, keep[1], "scratch.db")); err != nil {
				t.Errorf("the folder a look-alike symlink points to lost its content: %v", err)
			}
		}
		if mine := p.of(cmd.Process.Pid); len(mine) > 0 {
			t.Errorf("verify left its own scratch %v", mine)
		}
	})
}
