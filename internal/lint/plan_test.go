package lint

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/runchain"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/internal/testkit/worked"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// The plan tests run steps declared here through the runner on scratch
// databases (CaptureOnScratch): they carry IDs of their own, whose
// checksums runchain supplies.
const (
	planBaseID = "0b1a00000001"
	planStepID = "0b1a00000002"
	planChatID = "0b1a00000003"
)

func init() {
	for _, id := range []string{planBaseID, planStepID, planChatID} {
		runchain.SetChecksum(id, "test-"+id)
	}
}

// planDB opens a fresh database of the dialect through package db.
func planDB(t *testing.T, name string) (*db.Database, *gorm.DB) {
	t.Helper()
	d, err := db.Open(context.Background(), testdb.URL(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, d.DB
}

// planBaseDB is planDB with the base step (table t and its parent) built
// by hand as revision planBaseID, and a migrator on it.
func planBaseDB(t *testing.T, name string) (*db.Database, *gorm.DB, *dialect.Migrator, migrations.Step) {
	t.Helper()
	d, g := planDB(t, name)
	m, err := dialect.NewMigrator(g)
	if err != nil {
		t.Fatal(err)
	}
	base := baseStep()
	base.ID = planBaseID
	if err := base.Up(m); err != nil {
		t.Fatal(err)
	}
	return d, g, m, base
}

// The plan of a step on a live database: its ops with the statements in
// the dialect's own form (captured on a scratch of the same server), the
// live table's catalog size, and the lock and rewrite of each part on the
// database's own dialect. It writes nothing.
func TestPlan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		d, g, m, base := planBaseDB(t, name)
		if err := g.Exec(fmt.Sprintf("INSERT INTO %s (%s) VALUES ('r1'), ('r2'), ('r3')", m.Q("t"), m.Q("id"))).Error; err != nil {
			t.Fatal(err)
		}
		analyze(t, g, name)
		step := migrations.Step{ID: planStepID, Name: "s", Revises: planBaseID, Up: func(m *dialect.Migrator) error {
			if err := m.CreateTable(xAt1); err != nil {
				return err
			}
			to := tAt0.With(dialect.Index{Name: "ix_t_n", Columns: []string{"n"}}).Replace(dialect.Column{Name: "n", Type: dialect.Text})
			to.Checks = nil // n >= 0 compares text with a number on PostgreSQL
			return m.AlterTable(tAt0, to,
				dialect.Fill{Column: "n", Expr: map[string]string{"mysql": "CAST(n AS CHAR)"}[name] + map[string]string{"sqlite": "CAST(n AS TEXT)", "postgres": "CAST(n AS TEXT)"}[name]})
		}}
		before := liveState(t, g)
		p, err := BuildPlan(context.Background(), []migrations.Step{base, step}, 1, 2, d)
		if err != nil {
			t.Fatal(err)
		}
		if p.Dialect != name || len(p.Steps) != 1 || len(p.Steps[0].Ops) != 2 {
			t.Fatalf("plan: %+v", p)
		}
		create, alter := p.Steps[0].Ops[0], p.Steps[0].Ops[1]
		if create.Kind != "create table" || !create.New || create.Rows != 0 || len(create.Statements) == 0 {
			t.Errorf("create op: %+v", create)
		}
		if alter.Kind != "alter table" || alter.New || alter.Rows != 3 || !alter.Rewrite || len(alter.Statements) == 0 {
			t.Errorf("alter op: %+v", alter)
		}
		var locks []string
		for _, part := range alter.Parts {
			locks = append(locks, part.Lock)
		}
		want := map[string]string{"postgres": "SHARE", "mysql": myCopyLock, "sqlite": "database write lock (one writer; readers continue in WAL mode)"}[name]
		if !slices.Contains(locks, want) {
			t.Errorf("alter locks %q, want %q among them", locks, want)
		}
		// The statements are the dialect's own.
		if p.StatementsFrom != name+" scratch" || p.Fallback != "" {
			t.Errorf("statements from %q (fallback %q), want %s scratch", p.StatementsFrom, p.Fallback, name)
		}
		requireStatement(t, create.Statements, map[string]string{"postgres": `CREATE TABLE IF NOT EXISTS "x" (`, "mysql": "CREATE TABLE `x`", "sqlite": "CREATE TABLE"}[name])
		if name != "sqlite" && strings.Contains(p.Note, "SQLite") {
			t.Errorf("note: %s", p.Note)
		}
		// Nothing was written: the table x exists only on the scratch,
		// which is gone.
		if ok, err := dialect.TableExists(g, "x"); err != nil || ok {
			t.Errorf("plan created table x on the live database (%v)", err)
		}
		requireSameLive(t, g, before)
		requireNoScratch(t, g, name)
	})
}

// The worked example of the README: an online step adding an index and a
// NOT NULL column with a default to chat (db's latencyChain), planned on a
// database at HEAD. On PostgreSQL it builds the index CONCURRENTLY, on
// MariaDB with ALGORITHM=...; the live database's schema and records are
// the same afterwards and no scratch is left.
func TestPlanOnlineChat(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		d, g := planDB(t, name)
		ctx := context.Background()
		if _, err := d.Up(ctx, "", db.Options{}); err != nil {
			t.Fatal(err)
		}
		chain := chatChain(t)
		if err := g.Exec("INSERT INTO chat (id, user_id, chat, created_at, updated_at, title, pinned, archived) VALUES ('c1', 'u1', '{}', 1, 1, 't', false, false), ('c2', 'u1', '{}', 2, 2, 't', false, false)").Error; err != nil {
			t.Fatal(err)
		}
		before := liveState(t, g)
		p, err := BuildPlan(ctx, chain, len(chain)-1, len(chain), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != 1 || !p.Steps[0].Online || len(p.Steps[0].Ops) != 1 {
			t.Fatalf("plan: %+v", p)
		}
		op := p.Steps[0].Ops[0]
		if op.Kind != "alter table" || op.Table != "chat" || op.New || len(op.Parts) == 0 {
			t.Errorf("op: %+v", op)
		}
		for _, want := range map[string][]string{
			"postgres": {`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_chat_user_updated" ON `, `ALTER TABLE "chat" ADD COLUMN IF NOT EXISTS "latency_score" bigint NOT NULL DEFAULT 0`},
			"mysql":    {"ALTER TABLE `chat` ADD COLUMN `latency_score` bigint NOT NULL DEFAULT 0, ALGORITHM=INSTANT", "ALTER TABLE `chat` ADD INDEX `idx_chat_user_updated` (`user_id`,`updated_at`), ALGORITHM="},
			"sqlite":   {"idx_chat_user_updated", "latency_score"},
		}[name] {
			requireStatement(t, op.Statements, want)
		}
		if p.StatementsFrom != name+" scratch" {
			t.Errorf("statements from %q", p.StatementsFrom)
		}
		requireSameLive(t, g, before)
		requireNoScratch(t, g, name)
	})
}

// Without permission to create a database (a PostgreSQL role without
// CREATEDB), plan falls back to the SQLite capture and says so.
func TestPlanFallback(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		if name != "postgres" {
			t.Skip("a role without CREATEDB is PostgreSQL's")
		}
		admin, g, _, base := planBaseDB(t, name)
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		role := "plan_reader_" + hex.EncodeToString(b)
		for _, q := range []string{
			"CREATE ROLE " + role + " LOGIN NOCREATEDB",
			"GRANT USAGE ON SCHEMA public TO " + role,
			"GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
		} {
			if err := g.Exec(q).Error; err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			_ = g.Exec("DROP OWNED BY " + role).Error
			if err := g.Exec("DROP ROLE " + role).Error; err != nil {
				t.Errorf("drop role %s: %v", role, err)
			}
		})
		u, err := url.Parse(admin.String())
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User(role)
		reader, err := db.Open(context.Background(), u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer reader.Close()
		step := migrations.Step{ID: planStepID, Name: "s", Revises: planBaseID, Up: func(m *dialect.Migrator) error {
			return m.CreateTable(xAt1)
		}}
		before := liveState(t, g)
		p, err := BuildPlan(context.Background(), []migrations.Step{base, step}, 1, 2, reader)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.StatementsFrom, "sqlite scratch (fallback: no postgres scratch database could be made (") ||
			!strings.Contains(p.Fallback, "permission denied") || !strings.Contains(p.Note, "SQLite's form") {
			t.Errorf("statements from %q, fallback %q, note %q", p.StatementsFrom, p.Fallback, p.Note)
		}
		if len(p.Steps) != 1 || len(p.Steps[0].Ops) != 1 || len(p.Steps[0].Ops[0].Statements) == 0 {
			t.Fatalf("plan: %+v", p)
		}
		requireSameLive(t, g, before)
		requireNoScratch(t, g, name)
	})
}

// chatChain is the chain with one more online step that adds an index and
// a NOT NULL column with a default to chat (db's latencyChain).
func chatChain(t *testing.T) []migrations.Step {
	t.Helper()
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := db.ShapesAt(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := worked.ChatIndexAndScore(chain, shapes, planChatID, true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func requireStatement(t *testing.T, statements []string, part string) {
	t.Helper()
	for _, s := range statements {
		if strings.Contains(s, part) {
			return
		}
	}
	t.Errorf("no statement contains %q:\n%s", part, strings.Join(statements, "\n"))
}

// live is what a plan must leave as it was: the schema and the records.
type live struct {
	schema  *snapshot.Snapshot
	records []string
}

func liveState(t *testing.T, g *gorm.DB) live {
	t.Helper()
	s, err := snapshot.Take(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	l := live{schema: s}
	if ok, err := dialect.TableExists(g, db.MigrationsTable); err != nil {
		t.Fatal(err)
	} else if ok {
		if err := g.Raw("SELECT id FROM " + db.MigrationsTable + " ORDER BY id").Scan(&l.records).Error; err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func requireSameLive(t *testing.T, g *gorm.DB, before live) {
	t.Helper()
	after := liveState(t, g)
	if diff := snapshot.Compare(before.schema, after.schema, "before", "after"); len(diff) > 0 {
		t.Errorf("plan changed the live schema: %v", diff)
	}
	if !slices.Equal(before.records, after.records) {
		t.Errorf("plan changed the records: %v, then %v", before.records, after.records)
	}
}

// requireNoScratch: no scratch database of this process is left on the
// server (other processes' may be running).
func requireNoScratch(t *testing.T, g *gorm.DB, name string) {
	t.Helper()
	if name == "sqlite" {
		return
	}
	names, err := dialect.ListScratchDatabases(context.Background(), g, db.ScratchPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if info, _ := dialect.ParseScratchName(db.ScratchPrefix, n); info.PID == os.Getpid() {
			t.Errorf("scratch database %s left behind", n)
		}
	}
}

const myCopyLock = "MDL shared-no-write for the whole table copy (ALGORITHM=COPY)"
