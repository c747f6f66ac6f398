package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// copySource is a SQLite database at HEAD with chats, messages, nested
// folders and tags: several batches of rows per table at --batch-rows 40.
func copySource(t *testing.T) (string, *db.Database) {
	t.Helper()
	u := testdb.URL(t, "sqlite")
	d, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Up(context.Background(), "", db.Options{}); err != nil {
		t.Fatal(err)
	}
	shapes, err := db.ShapesAt(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	fixtures.FillEdgeValues(t, d.DB, shapes)
	g := d.DB
	for i := range 300 {
		id := fmt.Sprintf("c%05d", i)
		if err := g.Exec(`INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, pinned, archived) VALUES (?, 'u1', ?, ?, ?, ?, false, false)`,
			id, "chat "+id, fmt.Sprintf(`{"title":"chat %d"}`, i), i, i).Error; err != nil {
			t.Fatal(err)
		}
		if err := g.Exec(`INSERT INTO message (id, chat_id, user_id, role, content, created_at, updated_at) VALUES (?, ?, 'u1', 'user', 'q', 1, 1), (?, ?, 'u1', 'assistant', 'a', 1, 1)`,
			"m"+id+"a", id, "m"+id+"b", id).Error; err != nil {
			t.Fatal(err)
		}
	}
	return u, d
}

// The command end to end: text and JSON summaries, exit codes, and the
// target's status and verify afterwards.
func TestCLICopy(t *testing.T) {
	c := newCLI(t)
	from, _ := copySource(t)
	testdb.Each(t, func(t *testing.T, name string) {
		to := testdb.URL(t, name)
		out := c.ok("copy", "--from", from, "--to", to)
		for _, want := range []string{"copied " + from, "at revision ", "message", "verified: every table's row count and content digest match"} {
			if !strings.Contains(out, want) {
				t.Fatalf("copy output lacks %q:\n%s", want, out)
			}
		}
		if st := c.ok("status", "--database-url", to); !strings.Contains(st, "(head)") {
			t.Fatalf("status of the copy:\n%s", st)
		}
		c.ok("verify", "--database-url", to)

		// --verify-only agrees, as JSON.
		var sum struct {
			Verified bool `json:"verified"`
			Tables   []struct {
				Name       string `json:"name"`
				SourceRows int64  `json:"source_rows"`
				TargetRows int64  `json:"target_rows"`
			} `json:"tables"`
		}
		// (--json reports progress as JSON lines on stderr.)
		r := c.run("copy", "--verify-only", "--json", "--from", from, "--database-url", to)
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || r.code != 0 || !sum.Verified || len(sum.Tables) == 0 {
			t.Fatalf("verify-only --json: exit %d, %+v, %v\n%s", r.code, sum, err, r.stderr)
		}
		for _, l := range cliLines(r.stderr) {
			if !json.Valid([]byte(l)) {
				t.Fatalf("--json progress line is not JSON: %q", l)
			}
		}
		// A copy into the now full target is refused, naming why.
		c.run("copy", "--from", from, "--to", to).requireExit(t, 1, "already holds rows in")
	})
	c.run("copy", "--to", testdb.URL(t, "sqlite")).requireExit(t, 2, "give the source with --from")
	c.run("copy", "--from", from).requireExit(t, 2, "give the target with --to")
}

// A different row in the target is reported by table and column, exit 1.
func TestCLICopyVerifyOnlyFindsADifference(t *testing.T) {
	c := newCLI(t)
	from, _ := copySource(t)
	to := testdb.URL(t, "postgres")
	c.ok("copy", "--from", from, "--to", to)
	cliExecSQL(t, to, `UPDATE message SET content = 'changed' WHERE id = 'mc00007a'`)
	r := c.run("copy", "--verify-only", "--from", from, "--to", to)
	r.requireExit(t, 1, "table message: the content of column(s) [content] differs")
	if !strings.Contains(r.stdout, "DIFFERS in content") {
		t.Fatalf("summary:\n%s", r.stdout)
	}
}

// No password in any output of copy, for either URL.
func TestCLICopyMasksPasswords(t *testing.T) {
	c := newCLI(t)
	from, _ := copySource(t)
	to := testdb.URL(t, "postgres")
	u, err := url.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cr3t-pw") // trust auth: any password goes
	for _, args := range [][]string{
		{"copy", "--from", from, "--to", u.String()},
		{"copy", "--from", from, "--to", u.String(), "--json"},
		{"copy", "--from", from, "--to", u.String()}, // refused: not empty
		{"copy", "--from", u.String(), "--to", testdb.URL(t, "sqlite")},
	} {
		r := c.run(args...)
		if strings.Contains(r.stdout+r.stderr, "s3cr3t-pw") {
			t.Fatalf("schema %v printed the password:\n%s\n%s", args, r.stdout, r.stderr)
		}
	}
}

// A copy killed (SIGKILL) at several points, then run again with the same
// command, ends verified with every row equal to the source's.
func TestCLICopyKilledAndRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("kills copies at several points")
	}
	bin := buildSchema(t)
	from, src := copySource(t)
	shapes, err := db.ShapesAt(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := fixtures.RowsByValue(t, src.DB, shapes)
	type point struct {
		name string
		at   func(ev map[string]any) bool
	}
	phase := func(prefix string) func(map[string]any) bool {
		return func(ev map[string]any) bool { p, _ := ev["phase"].(string); return strings.HasPrefix(p, prefix) }
	}
	points := []point{
		{"after the checks", phase("scanning")},
		{"while the schema is built", phase("creating the schema")},
		{"in the first table", func(ev map[string]any) bool { return ev["phase"] == "load" && ev["finished"] == false }},
		{"in the middle of message", func(ev map[string]any) bool {
			d, _ := ev["done"].(float64)
			return ev["table"] == "message" && d >= 200 && ev["finished"] == false
		}},
		{"at the foreign keys", phase("checking foreign keys")},
		{"while verifying", phase("verifying")},
	}
	testdb.Each(t, func(t *testing.T, name string) {
		for i, p := range points {
			// A SQLite target commits the same way as the others; two
			// points there keep the suite short.
			if name == "sqlite" && i != 3 && i != len(points)-1 {
				continue
			}
			t.Run(p.name, func(t *testing.T) {
				to := testdb.URL(t, name)
				args := []string{"copy", "--from", from, "--to", to, "--batch-rows", "40", "--json"}
				killed := runUntil(t, bin, args, p.at)
				if !killed {
					t.Fatalf("the copy ended before the point was reached")
				}
				out, err := exec.Command(bin, args[:len(args)-1]...).CombinedOutput()
				if err != nil {
					t.Fatalf("rerun after the kill: %v\n%s", err, out)
				}
				if !strings.Contains(string(out), "verified:") {
					t.Fatalf("rerun:\n%s", out)
				}
				tgt, err := db.Open(context.Background(), to)
				if err != nil {
					t.Fatal(err)
				}
				defer tgt.Close()
				fixtures.RequireSameRows(t, "source", want, "target", fixtures.RowsByValue(t, tgt.DB, shapes))
			})
		}
	})
}

// runUntil runs the schema binary and kills it (SIGKILL) at the first
// JSON progress event on stderr for which at is true. It reports whether
// it killed it.
func runUntil(t *testing.T, bin string, args []string, at func(map[string]any) bool) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = os.Environ()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if json.Unmarshal(sc.Bytes(), &ev) == nil && !killed && at(ev) {
			cmd.Process.Kill()
			killed = true
		}
	}
	cmd.Wait()
	return killed
}
