package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/lint"
	"github.com/openwebui-go/schema/internal/snapshot"
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
// (JSON and text) with the statements in the database's own form, print
// the same, and change nothing.
func TestCLIPlan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		u := testdb.URL(t, dialectName)
		c := newCLI(t, "DATABASE_URL="+u)
		c.ok("up", "--to", "c69f45358db4")
		before, beforeRecords := cliLiveState(t, u)
		planJSON := c.ok("plan", "--json", "--to", "d31026856c01")
		var p lint.Plan
		if err := json.Unmarshal([]byte(planJSON), &p); err != nil {
			t.Fatal(err)
		}
		if p.Dialect != dialectName || len(p.Steps) != 2 || p.Steps[0].ID != "4ace53fd72c8" || p.Steps[1].ID != "d31026856c01" {
			t.Fatalf("plan --json: %+v", p)
		}
		if p.StatementsFrom != dialectName+" scratch" || p.Fallback != "" {
			t.Errorf("plan --json: statements from %q (fallback %q)", p.StatementsFrom, p.Fallback)
		}
		op := p.Steps[0].Ops[0]
		if op.Kind != "alter table" || op.Table != "folder" || op.New || op.Rows < 0 || len(op.Parts) == 0 || len(op.Statements) == 0 {
			t.Errorf("step 4ace53fd72c8's op: %+v", op)
		}
		// The dialect's own quoting: captured on a scratch of its server.
		quoted := map[string]string{"postgres": `"folder"`, "mysql": "`folder`", "sqlite": "folder"}[dialectName]
		if !strings.Contains(strings.Join(op.Statements, "\n"), quoted) {
			t.Errorf("step 4ace53fd72c8's statements do not name %s:\n%s", quoted, strings.Join(op.Statements, "\n"))
		}
		// up --dry-run is plan (the same code prints both, text or JSON).
		if got := c.ok("up", "--dry-run", "--json", "--to", "d31026856c01"); got != planJSON {
			t.Errorf("up --dry-run --json --to differs from plan --json --to:\n%s\nplan:\n%s", got, planJSON)
		}
		out := c.ok("up", "--dry-run")
		for _, want := range []string{"plan for database ", "(" + dialectName + "): 16 steps pending",
			"statements: as up will run them, captured on a " + dialectName + " scratch database\n",
			"step e223b100ad81 (add_reset_scheduling_to_token_groups), not online", "  alter table folder (about ", "estimated total: "} {
			if !strings.Contains(out, want) {
				t.Errorf("up --dry-run: missing %q in:\n%s", want, out)
			}
		}
		if got := strings.TrimSpace(c.ok("current")); got != "c69f45358db4" {
			t.Errorf("after plan and up --dry-run the database is at %q", got)
		}
		requireSameLiveState(t, u, before, beforeRecords)
		c.run("plan", "--to", "7e5b5dc7342b").requireExit(t, 1, "already applied")
		c.run("up", "--json").requireExit(t, 2, "--dry-run")
	})
}

// TestCLIPlanFallback: a PostgreSQL role that may read the database but
// not create one gets a plan in SQLite's form, which says so.
func TestCLIPlanFallback(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		if dialectName != "postgres" {
			t.Skip("a role without CREATEDB is PostgreSQL's")
		}
		u := testdb.URL(t, dialectName)
		newCLI(t, "DATABASE_URL="+u).ok("up", "--to", "c69f45358db4")
		d, err := db.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() }) // after the role is dropped
		role := fmt.Sprintf("plan_reader_%d", os.Getpid())
		for _, q := range []string{
			"CREATE ROLE " + role + " LOGIN NOCREATEDB",
			"GRANT USAGE ON SCHEMA public TO " + role,
			"GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
		} {
			if err := d.DB.Exec(q).Error; err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			_ = d.DB.Exec("DROP OWNED BY " + role).Error
			if err := d.DB.Exec("DROP ROLE " + role).Error; err != nil {
				t.Errorf("drop role %s: %v", role, err)
			}
		})
		ru, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		ru.User = url.User(role)
		before, beforeRecords := cliLiveState(t, u)
		c := newCLI(t, "DATABASE_URL="+ru.String())
		out := c.ok("plan", "--to", "d31026856c01")
		lines := cliLines(out)
		if len(lines) < 3 || !strings.HasPrefix(lines[1], "statements: in SQLite's form, because no postgres scratch database could be made (") ||
			!strings.Contains(lines[1], "permission denied") {
			t.Errorf("plan as a role without CREATEDB:\n%s", out)
		}
		var p lint.Plan
		if err := json.Unmarshal([]byte(c.ok("plan", "--json", "--to", "d31026856c01")), &p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.StatementsFrom, "sqlite scratch (fallback: ") || len(p.Steps) != 2 || !strings.Contains(p.Note, "SQLite's form") {
			t.Errorf("plan --json as a role without CREATEDB: %+v", p)
		}
		requireSameLiveState(t, u, before, beforeRecords)
	})
}

// cliLiveState is what plan must leave as it was: the schema and the
// records of the database at u.
func cliLiveState(t *testing.T, u string) (*snapshot.Snapshot, []string) {
	t.Helper()
	d, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := snapshot.Take(context.Background(), d.DB)
	if err != nil {
		t.Fatal(err)
	}
	var records []string
	if err := d.DB.Raw("SELECT id FROM " + db.MigrationsTable + " ORDER BY id").Scan(&records).Error; err != nil {
		t.Fatal(err)
	}
	return s, records
}

func requireSameLiveState(t *testing.T, u string, before *snapshot.Snapshot, beforeRecords []string) {
	t.Helper()
	after, records := cliLiveState(t, u)
	if diff := snapshot.Compare(before, after, "before", "after"); len(diff) > 0 {
		t.Errorf("plan changed the schema: %v", diff)
	}
	if !slices.Equal(beforeRecords, records) {
		t.Errorf("plan changed the records: %v, then %v", beforeRecords, records)
	}
}
