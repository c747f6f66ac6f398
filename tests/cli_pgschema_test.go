package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestCLIPostgresSchema runs the whole life of a database on PostgreSQL
// whose tables live in schema app, selected by the URL, while public holds
// decoys named like chain tables (chat with a row of its own, an
// alembic_version at a revision nobody knows): up, status, verify, diff
// --live, down to base, and adopt of an Alembic-built database. Nothing
// may land in, read from or change public.
func TestCLIPostgresSchema(t *testing.T) {
	for _, tc := range []struct{ name, query string }{
		{"search_path", "search_path=app"},
		{"options", "options=-csearch_path%3Dapp"},
		{"search_path_with_public", "search_path=app,public"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := testdb.NewTarget(t, "postgres")
			admin, err := dialect.Open(target) // search_path untouched: public
			if err != nil {
				t.Fatal(err)
			}
			defer fixtures.CloseGorm(admin)
			for _, s := range []string{
				`CREATE SCHEMA app`,
				`CREATE TABLE public.chat (id integer PRIMARY KEY, note text)`,
				`INSERT INTO public.chat VALUES (1, 'decoy')`,
				`CREATE TABLE public.alembic_version (version_num varchar(32) PRIMARY KEY)`,
				`INSERT INTO public.alembic_version VALUES ('0decoy0decoy')`,
			} {
				if err := admin.Exec(s).Error; err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			base, err := target.URL()
			if err != nil {
				t.Fatal(err)
			}
			u := base + "&" + tc.query
			if !strings.Contains(base, "?") {
				u = base + "?" + tc.query
			}
			c := newCLI(t)
			ok := func(args ...string) string {
				t.Helper()
				return c.ok(append([]string{"--database-url", u}, args...)...)
			}
			requireDecoys := func(when string) {
				t.Helper()
				var public []string
				admin.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`).Scan(&public)
				if !slices.Equal(public, []string{"alembic_version", "chat"}) {
					t.Fatalf("%s: public holds %v, want only the decoys", when, public)
				}
				var cols []string
				admin.Raw(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'chat' ORDER BY 1`).Scan(&cols)
				var note string
				admin.Raw(`SELECT note FROM public.chat WHERE id = 1`).Scan(&note)
				var rev string
				admin.Raw(`SELECT version_num FROM public.alembic_version`).Scan(&rev)
				if !slices.Equal(cols, []string{"id", "note"}) || note != "decoy" || rev != "0decoy0decoy" {
					t.Fatalf("%s: the decoys changed: chat columns %v, row %q, alembic_version %q", when, cols, note, rev)
				}
			}
			appTables := func() []string {
				t.Helper()
				var names []string
				if err := admin.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' ORDER BY 1`).Scan(&names).Error; err != nil {
					t.Fatal(err)
				}
				return names
			}

			ok("up")
			if got := appTables(); len(got) != 24 || !slices.Contains(got, "chat") || !slices.Contains(got, "schema_migrations") {
				t.Fatalf("after up, app holds %v, want the 23 tables and schema_migrations", got)
			}
			requireDecoys("after up")
			if st := cliParseStatus(t, ok("status", "--json")); st.Current != fixtures.RevHead || st.Pending != 0 || st.Alembic != nil {
				t.Errorf("status --json after up: current %q, %d pending, alembic %v", st.Current, st.Pending, st.Alembic)
			}
			if got := ok("current"); got != fixtures.RevHead+"\n" {
				t.Errorf("current printed %q", got)
			}
			if out := ok("verify"); !strings.Contains(out, "live database vs models: no differences") {
				t.Errorf("verify:\n%s", out)
			}
			if out := ok("diff", "--live"); !strings.Contains(out, "no differences") {
				t.Errorf("diff --live:\n%s", out)
			}
			ok("down", "--all")
			if got := appTables(); !slices.Equal(got, []string{"schema_migrations"}) {
				t.Fatalf("after down --all, app holds %v", got)
			}
			requireDecoys("after down --all")

			// An Alembic-built database in app at step 13: the chain's
			// tables and alembic_version, no records of this tool.
			const rev = "922e7a387820"
			ok("up", "--to", rev)
			live, err := dialect.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			g, err := dialect.Open(live) // unqualified names: app
			if err != nil {
				t.Fatal(err)
			}
			defer fixtures.CloseGorm(g)
			fixtures.Alembicize(t, g, rev)
			if out := ok("status"); !strings.Contains(out, "alembic_version  "+rev+", not recorded by this tool") {
				t.Errorf("status on the Alembic database:\n%s", out)
			}
			if out := ok("adopt"); out != fmt.Sprintf("adopted: %s at %s (13 steps recorded as applied)\n", live, rev) {
				t.Errorf("adopt printed %q", out)
			}
			ok("up")
			fixtures.RequireAlembic(t, g, "after up", fixtures.RevHead)
			if out := ok("verify"); !strings.Contains(out, "live database vs models: no differences") {
				t.Errorf("verify after adopt and up:\n%s", out)
			}
			requireDecoys("after adopt and up")
			ok("down", "--all")
			if got := appTables(); !slices.Equal(got, []string{"alembic_version", "schema_migrations"}) {
				t.Fatalf("after the adopted database went down to base, app holds %v", got)
			}
			fixtures.RequireAlembic(t, g, "at base")
			requireDecoys("at the end")
		})
	}
}
