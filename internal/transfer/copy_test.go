package transfer_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/internal/transfer"
	"github.com/openwebui-go/schema/migrations"
)

// An earlier revision than HEAD, with the folder timestamps, booleans,
// JSON and the composite chat_tag key: a database not yet upgraded is
// copied at its own revision.
const earlier = "4ace53fd72c8"

// migrated returns the URL of a fresh database of the dialect at rev.
func migrated(t *testing.T, name, rev string) (string, *db.Database) {
	t.Helper()
	u := testdb.URL(t, name)
	d, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Up(context.Background(), rev, db.Options{}); err != nil {
		t.Fatal(err)
	}
	return u, d
}

// rawSQLite opens a SQLite source file the way an old application did:
// foreign keys off, anything accepted.
func rawSQLite(t *testing.T, u string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+strings.TrimPrefix(u, "sqlite:///"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func exec(t *testing.T, raw *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// every dialect pair, same dialect included (two databases on one server).
func pairs() [][2]string {
	var out [][2]string
	for _, a := range testdb.Dialects {
		for _, b := range testdb.Dialects {
			out = append(out, [2]string{a, b})
		}
	}
	return out
}

// The copy of a database filled with every column type's edge values, at
// HEAD and at an earlier revision, between every pair of dialects: every
// row equal by value, the records equal, the target verified, and a
// second verification (--verify-only) agreeing.
func TestCopyEveryPair(t *testing.T) {
	if testing.Short() {
		t.Skip("copies between every pair of dialects")
	}
	for _, rev := range []string{migrations.Head(), earlier} {
		shapes, err := db.ShapesAt(context.Background(), rev)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs() {
			// At the earlier revision, the moves users make: from the
			// embedded SQLite file (every pair runs at HEAD).
			if rev != migrations.Head() && p[0] != "sqlite" {
				continue
			}
			t.Run(rev+"/"+p[0]+"_to_"+p[1], func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				from, src := migrated(t, p[0], rev)
				fixtures.FillEdgeValues(t, src.DB, shapes)
				to := testdb.URL(t, p[1])
				sum, err := transferCopy(ctx, from, to)
				if err != nil {
					t.Fatal(err)
				}
				if !sum.Verified || !sum.RecordsMatch || sum.Revision != rev {
					t.Fatalf("summary %+v", sum)
				}
				tgt, err := db.Open(ctx, to)
				if err != nil {
					t.Fatal(err)
				}
				defer tgt.Close()
				fixtures.RequireSameRows(t, "source", fixtures.RowsByValue(t, src.DB, shapes), "target", fixtures.RowsByValue(t, tgt.DB, shapes))
				for _, tb := range sum.Tables {
					if tb.SourceRows == 0 || tb.SourceRows != tb.TargetRows || !tb.Match {
						t.Errorf("table %s: %+v", tb.Name, tb)
					}
				}
				requireSameStatus(t, src, tgt)
				if p[0] == "sqlite" && rev == migrations.Head() {
					if _, err := verifyOnly(ctx, from, to); err != nil {
						t.Fatalf("verify-only after the copy: %v", err)
					}
				}
				if ok, _ := dialect.TableExists(tgt.DB, "schema_copy"); ok {
					t.Fatalf("the copy's bookkeeping is left in the target")
				}
			})
		}
	}
}

func requireSameStatus(t *testing.T, a, b *db.Database) {
	t.Helper()
	ctx := context.Background()
	sa, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Current != sb.Current || len(sa.Steps) != len(sb.Steps) {
		t.Fatalf("status: source at %s, target at %s", sa.Current, sb.Current)
	}
	for i := range sa.Steps {
		x, y := sa.Steps[i], sb.Steps[i]
		if x.Applied != y.Applied || x.Checksum != y.Checksum || (x.AppliedAt == nil) != (y.AppliedAt == nil) ||
			x.AppliedAt != nil && !x.AppliedAt.Truncate(1000).Equal(y.AppliedAt.Truncate(1000)) {
			t.Fatalf("step %s: source %+v, target %+v", x.ID, x, y)
		}
	}
}

// The source is only read: a SQLite file is byte for byte the same after
// a copy, and gets no WAL files.
func TestCopyOnlyReadsTheSource(t *testing.T) {
	ctx := context.Background()
	from, src := migrated(t, "sqlite", "")
	src.DB.Exec(`INSERT INTO "user" (id, name, email, role, created_at, updated_at, last_active_at) VALUES ('u1', 'Ann', 'a@x', 'admin', 1, 1, 1)`)
	src.Close()
	path := strings.TrimPrefix(from, "sqlite:///")
	// Leave the file in rollback-journal mode, as Open WebUI's own is.
	exec(t, rawSQLite(t, from), "PRAGMA journal_mode=DELETE")
	before := fileSum(t, path)
	if _, err := transferCopy(ctx, from, testdb.URL(t, "sqlite")); err != nil {
		t.Fatal(err)
	}
	if after := fileSum(t, path); after != before {
		t.Fatal("the source file changed")
	}
	for _, ext := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + ext); err == nil {
			t.Errorf("the copy left %s beside the source", filepath.Base(path+ext))
		}
	}
	// A source that does not exist is not created.
	missing := filepath.Join(t.TempDir(), "nope.db")
	if _, err := transferCopy(ctx, "sqlite:///"+missing, testdb.URL(t, "sqlite")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("copy from a missing file: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("the copy created the missing source")
	}
}

// Bad data: each rule refuses the copy naming the table and the row, and
// writes nothing; each flag does what it says, and the summary counts it.
func TestCopyBadData(t *testing.T) {
	type rule struct {
		name   string
		target string   // dialect the value cannot go to
		rows   []string // SQL run on the SQLite source at HEAD, foreign keys off
		refuse string   // in the refusal
		flag   func(*transferOptions)
		fixed  string // the fix the flag applies
		check  func(t *testing.T, tgt *db.Database)
	}
	user := `INSERT INTO "user" (id, name, email, role, created_at, updated_at, last_active_at) VALUES `
	rules := []rule{
		{name: "NUL in text", target: "postgres", rows: []string{user + `('u1', 'a' || char(0) || 'b', 'e', 'r', 1, 1, 1)`},
			refuse: `user (id="u1") column name holds a NUL byte`, flag: func(o *transferOptions) { o.Fixes.StripNUL = true }, fixed: "strip-nul",
			check: func(t *testing.T, tgt *db.Database) {
				requireValue(t, tgt, `SELECT name FROM "user" WHERE id = 'u1'`, "ab")
			}},
		{name: "NUL escape in JSON", target: "postgres", rows: []string{user + `('u1', 'n', 'e', 'r', 1, 1, 1)`, `UPDATE "user" SET settings = '{"a":"x\u0000y"}'`},
			refuse: `user (id="u1") column settings holds \u0000`, flag: func(o *transferOptions) { o.Fixes.StripNUL = true }, fixed: "strip-nul",
			check: func(t *testing.T, tgt *db.Database) {
				requireJSON(t, tgt, `SELECT settings FROM "user" WHERE id = 'u1'`, `{"a":"xy"}`)
			}},
		{name: "invalid UTF-8", target: "mysql", rows: []string{user + `('u1', CAST(X'61FF62' AS TEXT), 'e', 'r', 1, 1, 1)`},
			refuse: `user (id="u1") column name holds bytes that are not valid UTF-8`, flag: func(o *transferOptions) { o.Fixes.ReplaceBadUTF8 = true }, fixed: "replace-bad-utf8",
			check: func(t *testing.T, tgt *db.Database) {
				requireValue(t, tgt, `SELECT name FROM "user" WHERE id = 'u1'`, "a\uFFFDb")
			}},
		{name: "key too long", target: "postgres", rows: []string{user + `('u1', 'n', '` + strings.Repeat("x", 256) + `', 'r', 1, 1, 1)`},
			refuse: `user (id="u1") column email is 256 characters long`, flag: skipRows, fixed: "skipped",
			check: func(t *testing.T, tgt *db.Database) { requireValue(t, tgt, `SELECT count(*) FROM "user"`, "0") }},
		{name: "JSON the target refuses", target: "mysql", rows: []string{user + `('u1', 'n', 'e', 'r', 1, 1, 1)`, `UPDATE "user" SET info = '{broken'`},
			refuse: `user (id="u1") column info is not valid JSON`, flag: skipRows, fixed: "skipped",
			check: func(t *testing.T, tgt *db.Database) { requireValue(t, tgt, `SELECT count(*) FROM "user"`, "0") }},
		{name: "boolean that is neither", target: "sqlite", rows: []string{`INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, pinned, archived) VALUES ('c1', 'u', 't', '{}', 1, 1, 2, 0)`},
			refuse: `chat (id="c1") column pinned boolean column holds 2`, flag: skipRows, fixed: "skipped"},
		{name: "dangling key, children follow", target: "sqlite", rows: []string{
			`INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, pinned, archived, folder_id) VALUES ('c1', 'u', 't', '{}', 1, 1, 0, 0, 'f-gone')`,
			`INSERT INTO message (id, chat_id, user_id, role, content, created_at, updated_at) VALUES ('m1', 'c-gone', 'u', 'user', 'x', 1, 1)`,
			`INSERT INTO feedback (id, user_id, message_id, rating, created_at) VALUES ('fb1', 'u', 'm1', 1, 1)`},
			refuse: `message (id="m1") column chat_id points at a chat row that does not exist`, flag: skipRows, fixed: "skipped",
			check: func(t *testing.T, tgt *db.Database) {
				// The orphan message is left out, its feedback with it
				// (CASCADE); the chat keeps its row, its folder key NULL
				// (SET NULL).
				requireValue(t, tgt, `SELECT count(*) FROM message`, "0")
				requireValue(t, tgt, `SELECT count(*) FROM feedback`, "0")
				requireValue(t, tgt, `SELECT coalesce(folder_id, 'NULL') FROM chat WHERE id = 'c1'`, "NULL")
			}},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			ctx := context.Background()
			from, src := migrated(t, "sqlite", "")
			src.Close()
			exec(t, rawSQLite(t, from), r.rows...)
			to := testdb.URL(t, r.target)
			_, err := transferCopy(ctx, from, to)
			var bad *transferBadRows
			if !errors.As(err, &bad) || !strings.Contains(err.Error(), r.refuse) {
				t.Fatalf("copy: %v; want a refusal naming %q", err, r.refuse)
			}
			requireEmptyDatabase(t, to)

			opt := transferOptions{From: from, To: to}
			r.flag(&opt)
			if opt.SkipFile != "" {
				opt.SkipFile = filepath.Join(t.TempDir(), "skipped.jsonl")
			}
			sum, err := transferCopyWith(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Fixed[r.fixed] == 0 {
				t.Fatalf("summary counts %v, want %s", sum.Fixed, r.fixed)
			}
			if opt.SkipFile != "" {
				report, err := os.ReadFile(opt.SkipFile)
				if err != nil {
					t.Fatal(err)
				}
				if !json.Valid([]byte(strings.Split(string(report), "\n")[0])) || !strings.Contains(string(report), `"action":"skipped"`) {
					t.Fatalf("report %s", report)
				}
				if fi, _ := os.Stat(opt.SkipFile); fi.Mode().Perm() != 0o600 {
					t.Fatalf("the report of skipped rows (user data) is readable by others: %v", fi.Mode())
				}
			}
			if r.check != nil {
				tgt, err := db.Open(ctx, to)
				if err != nil {
					t.Fatal(err)
				}
				defer tgt.Close()
				r.check(t, tgt)
			}
		})
	}
}

func skipRows(o *transferOptions) { o.SkipFile = "set" }

func requireValue(t *testing.T, d *db.Database, query, want string) {
	t.Helper()
	var got string
	if err := d.DB.Raw(quoted(t, d, query)).Row().Scan(&got); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if got != want {
		t.Fatalf("%s = %q, want %q", query, got, want)
	}
}

func requireJSON(t *testing.T, d *db.Database, query, want string) {
	t.Helper()
	var got string
	if err := d.DB.Raw(quoted(t, d, query)).Row().Scan(&got); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	migtest.JSONEqual(t, want, got)
}

// quoted writes the query's "identifiers" in the dialect's quotes.
func quoted(t *testing.T, d *db.Database, query string) string {
	dl, err := dialect.Of(d.DB)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(query, `"`, dl.Quote("x")[:1])
}

// requireEmptyDatabase: a refused copy wrote nothing, not even the schema.
func requireEmptyDatabase(t *testing.T, u string) {
	t.Helper()
	d, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tables, err := d.DB.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) > 0 {
		t.Fatalf("a refused copy left tables in the target: %v", tables)
	}
}

type (
	transferOptions = transfer.Options
	transferBadRows = transfer.BadRowsError
)

func transferCopy(ctx context.Context, from, to string) (transfer.Summary, error) {
	return transfer.Copy(ctx, transfer.Options{From: from, To: to})
}

func transferCopyWith(ctx context.Context, opt transfer.Options) (transfer.Summary, error) {
	return transfer.Copy(ctx, opt)
}

func verifyOnly(ctx context.Context, from, to string) (transfer.Summary, error) {
	return transfer.VerifyOnly(ctx, transfer.Options{From: from, To: to})
}
