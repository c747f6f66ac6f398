package tests

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/lint"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestCLILint: schema lint without a database (new steps by default, the
// whole chain on request), with one (its pending steps, its dialect),
// in text and JSON, with its exit codes; a password never appears.
func TestCLILint(t *testing.T) {
	c := newCLI(t)
	// The chain has no step after the Alembic ones: nothing to report.
	out := c.ok("lint")
	if !strings.HasPrefix(out, "lint: no steps for sqlite, postgres, mysql; no database") || !strings.HasSuffix(out, "0 errors, 0 warnings, 0 allowed\n") {
		t.Errorf("lint of no new steps printed:\n%s", out)
	}
	r := c.run("lint", "--steps", "all", "--dialect", "postgres")
	r.requireExit(t, 1, "lint found")
	for _, want := range []string{
		"ERROR LK401 [postgres] step 57c599a3cb57 (add_channel_table) table message: alter table message: add index idx_message_channel_id (channel_id): ",
		"ERROR DS102 [postgres] step d31026856c01 (update_folder_table_data) table folder: alter table folder: drop column items json: ",
		"WARNING DD301 [postgres] step 242a2047eae0 ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lint --steps all: missing %q in:\n%s", want, r.stdout)
		}
	}
	for _, l := range cliLines(r.stdout)[1:] {
		if !strings.Contains(l, "[postgres]") && !strings.Contains(l, " errors, ") {
			t.Errorf("a line for another dialect: %s", l)
		}
	}
	for _, bad := range [][]string{
		{"lint", "--steps", "some"},
		{"lint", "--steps", "pending"}, // needs a database
		{"lint", "--dialect", "oracle"},
		{"lint", "extra"},
	} {
		c.run(bad...).requireExit(t, 2, "")
	}

	testdb.Each(t, func(t *testing.T, dialectName string) {
		u := testdb.URL(t, dialectName)
		if dialectName == "postgres" {
			// A password the server ignores (trust) or refuses: either
			// way it is never printed.
			pu, _ := url.Parse(u)
			pu.User = url.UserPassword(pu.User.Username(), "s3cretpw")
			u = pu.String()
		}
		c := newCLI(t, "DATABASE_URL="+u)
		c.ok("up", "--to", "c69f45358db4")
		// Pending by default, for the database's dialect; its tables are
		// small, so no lock code, but the dropped column still fails.
		r := c.run("lint", "--json")
		if strings.Contains(r.stdout+r.stderr, "s3cretpw") {
			t.Fatalf("password printed:\n%s\n%s", r.stdout, r.stderr)
		}
		r.requireExit(t, 1, "lint found")
		var rep lint.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("lint --json: %v\n%s", err, r.stdout)
		}
		if rep.Steps[0] != "4ace53fd72c8" || len(rep.Steps) != 16 || !slices.Equal(rep.Dialects, []string{dialectName}) || rep.Errors == 0 {
			t.Errorf("lint --json report: steps %v dialects %v errors %d", rep.Steps, rep.Dialects, rep.Errors)
		}
		var got []string
		for _, f := range rep.Findings {
			got = append(got, f.Code+" "+f.Step+" "+f.Table)
			if strings.HasPrefix(f.Code, "LK") {
				t.Errorf("lock code on a small table: %+v", f)
			}
		}
		for _, want := range []string{"DS102 d31026856c01 folder", "BC201 d31026856c01 folder"} {
			if !slices.Contains(got, want) {
				t.Errorf("missing %q in %v", want, got)
			}
		}
		c.ok("up")
		if out := c.ok("lint"); !strings.Contains(out, "lint: no steps for "+dialectName+"; database ") || !strings.HasSuffix(out, "0 errors, 0 warnings, 0 allowed\n") {
			t.Errorf("lint at head printed:\n%s", out)
		}
	})
}

// TestCLIPlan: schema plan and up --dry-run describe the pending steps
// (JSON and text) and change nothing.
func TestCLIPlan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		c := newCLI(t, "DATABASE_URL="+testdb.URL(t, dialectName))
		c.ok("up", "--to", "c69f45358db4")
		var p lint.Plan
		if err := json.Unmarshal([]byte(c.ok("plan", "--json", "--to", "d31026856c01")), &p); err != nil {
			t.Fatal(err)
		}
		if p.Dialect != dialectName || len(p.Steps) != 2 || p.Steps[0].ID != "4ace53fd72c8" || p.Steps[1].ID != "d31026856c01" {
			t.Fatalf("plan --json: %+v", p)
		}
		op := p.Steps[0].Ops[0]
		if op.Kind != "alter table" || op.Table != "folder" || op.New || op.Rows < 0 || len(op.Parts) == 0 || len(op.Statements) == 0 {
			t.Errorf("step 4ace53fd72c8's op: %+v", op)
		}
		out := c.ok("up", "--dry-run")
		for _, want := range []string{"plan for database ", "(" + dialectName + "): 16 steps pending", "step e223b100ad81 (add_reset_scheduling_to_token_groups)", "  alter table folder (about ", "estimated total: "} {
			if !strings.Contains(out, want) {
				t.Errorf("up --dry-run: missing %q in:\n%s", want, out)
			}
		}
		if got := strings.TrimSpace(c.ok("current")); got != "c69f45358db4" {
			t.Errorf("after plan and up --dry-run the database is at %q", got)
		}
		c.run("plan", "--to", "7e5b5dc7342b").requireExit(t, 1, "already applied")
	})
}
