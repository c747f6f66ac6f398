package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestCLIDiff: diff lists, grouped by table, how the models differ from
// the chain's HEAD or (--live) the database, with diff(1)'s exit codes.
func TestCLIDiff(t *testing.T) {
	changes := map[string][]string{
		"sqlite": {"CREATE TABLE extra_thing (id integer)", "DROP INDEX idx_file_hash",
			"ALTER TABLE note ADD COLUMN pinned integer"},
		"postgres": {"CREATE TABLE extra_thing (id integer)", "DROP INDEX idx_file_hash",
			"ALTER TABLE note ADD COLUMN pinned integer", "ALTER TABLE note ALTER COLUMN title TYPE varchar(64)"},
		"mysql": {"CREATE TABLE extra_thing (id integer)", "DROP INDEX idx_file_hash ON `file`",
			"ALTER TABLE note ADD COLUMN pinned integer", "ALTER TABLE note MODIFY COLUMN title varchar(64)"},
	}
	testdb.Each(t, func(t *testing.T, dialect string) {
		u := testdb.URL(t, dialect)
		c := newCLI(t, "DATABASE_URL="+u)
		c.ok("up")
		if out := c.ok("diff"); !strings.Contains(out, "models vs chain at head: no differences") {
			t.Errorf("diff at head:\n%s", out)
		}
		if out := c.ok("diff", "--live"); !strings.Contains(out, "models vs live database: no differences") {
			t.Errorf("diff --live at head:\n%s", out)
		}

		cliExecSQL(t, u, changes[dialect]...)
		r := c.run("diff", "--live")
		want := []string{
			"  extra_thing",
			"    table: in live database but not in models",
			"  file",
			"    index idx_file_hash: in models but missing from live database",
			"  note",
			"    column pinned: in live database but not in models",
		}
		n := 3
		if dialect != "sqlite" { // SQLite cannot change a column's type in place
			// The models' columns come first, then the database's extra ones.
			title := "    column title: type is text in models but character varying(64) in live database"
			if dialect == "mysql" {
				title = "    column title: type is longtext in models but varchar(64) in live database"
			}
			want = append(want[:5], title, want[5])
			n = 4
		}
		r.requireExit(t, 1, fmt.Sprintf("the models differ from the live database in %d ways", n))
		got := cliLines(r.stdout)
		if len(got) != len(want)+2 || strings.Join(got[2:], "\n") != strings.Join(want, "\n") {
			t.Errorf("diff --live output:\n%s\nwant, after the database and title lines:\n%s", r.stdout, strings.Join(want, "\n"))
		}

		r = c.run("diff", "--live", "--json")
		r.requireExit(t, 1, "the models differ")
		var rep struct {
			db.DiffReport
			OK bool `json:"ok"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("diff --json: %v\n%s", err, r.stdout)
		}
		if rep.OK || rep.Against != db.AgainstLive || len(rep.Differences) != n {
			t.Fatalf("diff --json: %+v", rep)
		}
		if d := rep.Differences[0]; d.Table != "extra_thing" || d.Object != "table" || d.Change != "removed" {
			t.Errorf("first difference = %+v, want extra_thing table removed", d)
		}
		if d := rep.Differences[1]; d.Table != "file" || d.Change != "added" {
			t.Errorf("second difference = %+v, want file index added", d)
		}
	})
}

// TestCLIDiffError: a database that cannot be reached is exit 2, not 1.
func TestCLIDiffError(t *testing.T) {
	c := newCLI(t)
	r := c.run("diff", "--database-url", "postgres://nobody:secret@127.0.0.1:1/none")
	r.requireExit(t, 2, "")
	if strings.Contains(r.stderr, "secret") {
		t.Errorf("stderr shows the password: %s", r.stderr)
	}
	r = c.run("diff", "--database-url", "nosuch://x")
	r.requireExit(t, 2, "")
}
