package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestCLIAdopt drives schema adopt on an Alembic database: up points to
// adopt, a schema that differs is refused with the difference (exit 1,
// text and JSON), and once it matches, adopt records the steps and up
// moves alembic_version along.
func TestCLIAdopt(t *testing.T) {
	const rev = "922e7a387820" // step 13
	testdb.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		u := testdb.URL(t, dialect)
		d, err := db.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Up(ctx, rev, db.Options{}); err != nil {
			t.Fatal(err)
		}
		fixtures.Alembicize(t, d.DB, rev)
		chat, extra := d.DB.Statement.Quote("chat"), d.DB.Statement.Quote("extra")
		if err := d.DB.Exec("ALTER TABLE " + chat + " ADD COLUMN " + extra + " text").Error; err != nil {
			t.Fatal(err)
		}
		c := newCLI(t)
		run := func(args ...string) cliResult {
			t.Helper()
			return c.run(append([]string{"--database-url", u}, args...)...)
		}

		run("up").requireExit(t, 1, `this tool has no record of it: run "schema adopt" first`)
		if out := c.ok("--database-url", u, "status"); !strings.Contains(out, "alembic_version  "+rev+", not recorded by this tool: run \"schema adopt\"") {
			t.Errorf("status does not point to adopt:\n%s", out)
		}

		r := run("adopt")
		r.requireExit(t, 1, "the live schema differs from the chain at "+rev+" in 1 way(s); nothing was recorded")
		want := fmt.Sprintf("database %s (%s), alembic_version at %s\nlive database vs chain at %s: 1 difference\n  chat\n    column extra: in live database but not in chain at %s\n",
			d, dialect, rev, rev, rev)
		if r.stdout != want {
			t.Errorf("adopt on a mismatch printed\n%s\nwant\n%s", r.stdout, want)
		}
		r = run("adopt", "--json")
		r.requireExit(t, 1, "differs from the chain")
		var rep db.AdoptReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("adopt --json is not one JSON document: %v\n%s", err, r.stdout)
		}
		if rep.Adopted || rep.Revision != rev || len(rep.Recorded) != 0 || len(rep.Differences) != 1 ||
			rep.Differences[0].Table != "chat" || rep.Differences[0].Object != "column extra" {
			t.Errorf("adopt --json on a mismatch: %+v", rep)
		}
		if d.DB.Migrator().HasTable(db.MigrationsTable) {
			t.Fatalf("a refused adopt created %s", db.MigrationsTable)
		}

		if err := d.DB.Exec("ALTER TABLE " + chat + " DROP COLUMN " + extra).Error; err != nil {
			t.Fatal(err)
		}
		if out := c.ok("--database-url", u, "adopt"); out != fmt.Sprintf("adopted: %s at %s (13 steps recorded as applied)\n", d, rev) {
			t.Errorf("adopt printed %q", out)
		}
		st := cliParseStatus(t, c.ok("--database-url", u, "status", "--json"))
		if st.Current != rev || st.Alembic == nil || *st.Alembic != rev {
			t.Errorf("status --json after adopt: current %q alembic %v, want %s", st.Current, st.Alembic, rev)
		}
		c.ok("--database-url", u, "up")
		fixtures.RequireAlembic(t, d.DB, "after up", fixtures.RevHead)
		if out := c.ok("--database-url", u, "status"); !strings.Contains(out, "alembic_version  "+fixtures.RevHead+" (in step)") {
			t.Errorf("status after up:\n%s", out)
		}
		run("adopt").requireExit(t, 1, "is already managed by this tool")
	})
}

// TestCLIUnrecorded drives a database whose records were dropped: up
// refuses it, status and verify (text and JSON) point to adopt instead of
// up, adopt reports the closest revision while the schema differs, and
// adopts HEAD once it matches.
func TestCLIUnrecorded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		u := testdb.URL(t, dialect)
		d, err := db.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Up(ctx, "", db.Options{}); err != nil {
			t.Fatal(err)
		}
		chat, extra := d.DB.Statement.Quote("chat"), d.DB.Statement.Quote("extra")
		for _, s := range []string{"DROP TABLE " + db.MigrationsTable, "ALTER TABLE " + chat + " ADD COLUMN " + extra + " text"} {
			if err := d.DB.Exec(s).Error; err != nil {
				t.Fatal(err)
			}
		}
		c := newCLI(t, "DATABASE_URL="+u)
		const found = "23 tables of this schema (auth, channel, channel_member, chat, chat_tag and 18 more)"

		refusal := fmt.Sprintf(`database %s has %s but no record of this tool (schema_migrations is missing): its steps would run over them as if it were empty and a later down would drop them with their rows, so nothing was changed; run "schema adopt", which compares the schema with the chain at every revision and records the one it matches`, d, found)
		for _, cmd := range []string{"up", "down"} {
			r := c.run(cmd)
			r.requireExit(t, 1, refusal)
		}
		if out := c.ok("status"); !strings.Contains(out, "\nunrecorded  "+found+", not recorded by this tool: up and down refuse this database; run \"schema adopt\"\n") {
			t.Errorf("status does not point to adopt:\n%s", out)
		}
		st := cliParseStatus(t, c.ok("status", "--json"))
		if len(st.UnrecordedTables) != 23 || st.Refused != refusal {
			t.Errorf("status --json: unrecorded_tables %v, refused %q", st.UnrecordedTables, st.Refused)
		}
		note := "the live database has " + found + ", not recorded by this tool; up and down refuse it: run `schema adopt` first"
		r := c.run("verify")
		r.requireExit(t, 1, "drift found: the live database was not compared: "+note)
		if !strings.Contains(r.stdout, "live database vs models: not compared: "+note+"\n") {
			t.Errorf("verify output:\n%s", r.stdout)
		}
		r = c.run("verify", "--json")
		r.requireExit(t, 1, "drift found")
		var vr struct {
			OK          bool   `json:"ok"`
			LiveChecked bool   `json:"live_checked"`
			LiveNote    string `json:"live_note"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &vr); err != nil || vr.OK || vr.LiveChecked || vr.LiveNote != note {
			t.Errorf("verify --json: %+v (%v)\n%s", vr, err, r.stdout)
		}

		r = c.run("adopt")
		r.requireExit(t, 1, "the live schema differs from the chain at every revision; the closest is "+fixtures.RevHead+", from which it differs in 1 way(s); nothing was recorded")
		want := fmt.Sprintf("database %s (%s), no alembic_version: the schema matches no revision; the closest is %s\nlive database vs chain at %s: 1 difference\n  chat\n    column extra: in live database but not in chain at %s\n",
			d, dialect, fixtures.RevHead, fixtures.RevHead, fixtures.RevHead)
		if r.stdout != want {
			t.Errorf("adopt on a mismatch printed\n%s\nwant\n%s", r.stdout, want)
		}
		r = c.run("adopt", "--json")
		r.requireExit(t, 1, "differs from the chain")
		var rep db.AdoptReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("adopt --json is not one JSON document: %v\n%s", err, r.stdout)
		}
		if rep.Adopted || rep.Source != "schema" || rep.Revision != fixtures.RevHead || len(rep.Recorded) != 0 || len(rep.Differences) != 1 {
			t.Errorf("adopt --json on a mismatch: %+v", rep)
		}
		if d.DB.Migrator().HasTable(db.MigrationsTable) {
			t.Fatalf("a refused adopt created %s", db.MigrationsTable)
		}

		if err := d.DB.Exec("ALTER TABLE " + chat + " DROP COLUMN " + extra).Error; err != nil {
			t.Fatal(err)
		}
		if out := c.ok("adopt"); out != fmt.Sprintf("adopted: %s at %s, the revision its schema matches (20 steps recorded as applied)\n", d, fixtures.RevHead) {
			t.Errorf("adopt printed %q", out)
		}
		if out := c.ok("up"); out != "already at head "+fixtures.RevHead+"\n" {
			t.Errorf("up after adopt printed %q", out)
		}
		if out := c.ok("status"); strings.Contains(out, "unrecorded") {
			t.Errorf("status after adopt still reports unrecorded tables:\n%s", out)
		}
	})
}

// TestCLIVerifyEmptyAndBase: verify gives an empty database and one at
// base (records table present, nothing applied) the same exit code and
// the same line.
func TestCLIVerifyEmptyAndBase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		line := "live database vs models: not compared: the live database is empty; run `schema up` to create it"
		empty, base := testdb.URL(t, dialect), testdb.URL(t, dialect)
		c := newCLI(t)
		c.ok("--database-url", base, "up")
		c.ok("--database-url", base, "down", "--all")
		for name, u := range map[string]string{"empty": empty, "at base": base} {
			if out := c.ok("--database-url", u, "verify"); !strings.Contains(out, "\n"+line+"\n") {
				t.Errorf("verify %s:\n%s\nwant the line %q", name, out, line)
			}
		}
	})
}
