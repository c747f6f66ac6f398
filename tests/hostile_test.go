package tests

// Holes found by trying the package as a hostile user would, after issue
// 8: each test failed before its fix (see docs/DESIGN.md, "Hostile
// review").

import (
	"context"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testdb"
)

// withQuery adds a query option to a URL.
func withQuery(u, opt string) string {
	if strings.Contains(u, "?") {
		return u + "&" + opt
	}
	return u + "?" + opt
}

// TestPostgresSearchPathReachesNoOtherSchema: with two schemas in the
// search path (or PostgreSQL's default "$user", public when the user's
// schema exists), an unqualified DROP TABLE IF EXISTS or DROP INDEX IF
// EXISTS of a step finds the object in the next schema when the current
// one lacks it. A damaged app schema (a table dropped by hand) then cost
// public's table of the same name, rows and all, on the next down.
func TestPostgresSearchPathReachesNoOtherSchema(t *testing.T) {
	target := testdb.NewTarget(t, "postgres")
	admin, err := dialect.Open(target) // search_path untouched: public
	if err != nil {
		t.Fatal(err)
	}
	defer closePGSchemaTestDB(admin)
	base, err := target.URL()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	public, err := db.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer public.Close()
	if _, err := public.Up(ctx, "", db.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CREATE SCHEMA app`,
		`INSERT INTO public.note (id, user_id, title, created_at, updated_at) VALUES ('n1', 'u1', 'kept', 0, 0)`,
	} {
		if err := admin.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	app, err := db.Open(ctx, withQuery(base, "search_path=app,public"))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, err := app.Up(ctx, "", db.Options{}); err != nil {
		t.Fatal(err)
	}
	// Damage in app: a table and an index gone.
	for _, s := range []string{`DROP TABLE app.note`, `DROP INDEX app.idx_chat_folder_id`} {
		if err := admin.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := app.Down(ctx, db.DownRequest{All: true}, db.Options{}); err != nil {
		t.Fatalf("down --all in app: %v", err)
	}
	var titles []string
	if err := admin.Raw(`SELECT title FROM public.note`).Scan(&titles).Error; err != nil {
		t.Fatalf("public.note after a down in app: %v", err)
	}
	var indexes int64
	admin.Raw(`SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'idx_chat_folder_id'`).Scan(&indexes)
	if len(titles) != 1 || titles[0] != "kept" || indexes != 1 {
		t.Fatalf("a down in schema app changed public: note rows %q, idx_chat_folder_id %d", titles, indexes)
	}
	if cur, err := public.Current(ctx); err != nil || cur != cliHead {
		t.Fatalf("public's records after a down in app: %q, %v", cur, err)
	}
}
