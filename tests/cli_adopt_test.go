package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testdb"
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
		alembicize(t, d.DB, rev)
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
		requireAlembic(t, d.DB, "after up", cliHead)
		if out := c.ok("--database-url", u, "status"); !strings.Contains(out, "alembic_version  "+cliHead+" (in step)") {
			t.Errorf("status after up:\n%s", out)
		}
		run("adopt").requireExit(t, 1, "is already managed by this tool")
	})
}
