package transfer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/internal/transfer"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// seeded returns a SQLite source at HEAD with users, chats in nested
// folders, messages and tags: enough rows for several small batches.
func seeded(t *testing.T) (string, *db.Database) {
	t.Helper()
	from, src := migrated(t, "sqlite", "")
	g := src.DB
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Exec(`INSERT INTO "user" (id, name, email, role, created_at, updated_at, last_active_at) VALUES ('u1', 'Ann', 'a@x', 'admin', 1, 1, 1)`).Error)
	now := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC)
	must(g.Exec(`INSERT INTO folder (id, parent_id, user_id, name, created_at, updated_at) VALUES ('f1', NULL, 'u1', 'top', ?, ?), ('f2', 'f1', 'u1', 'sub', ?, ?)`, now, now, now, now).Error)
	must(g.Exec(`INSERT INTO tag (id, name, user_id) VALUES ('t1', 'Work', 'u1')`).Error)
	return from, src
}

func addChats(t *testing.T, g *gorm.DB, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		id := fmt.Sprintf("c%05d", i)
		folder := any(nil)
		if i%3 == 0 {
			folder = "f2"
		}
		if err := g.Exec(`INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, pinned, archived, folder_id) VALUES (?, 'u1', ?, ?, ?, ?, ?, false, ?)`,
			id, "chat "+id, fmt.Sprintf(`{"title":"chat %d","messages":[{"content":"héllo 🎉 %d"}]}`, i, i), i, i, i%2 == 0, folder).Error; err != nil {
			t.Fatal(err)
		}
		if err := g.Exec(`INSERT INTO message (id, chat_id, user_id, role, content, created_at, updated_at) VALUES (?, ?, 'u1', 'user', ?, ?, ?), (?, ?, 'u1', 'assistant', ?, ?, ?)`,
			"m"+id+"a", id, "q", i, i, "m"+id+"b", id, "a", i, i).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// stopAfter is a reporter that cancels the copy once a table has loaded
// some rows: an interruption between two committed batches.
type stopAfter struct {
	table  string
	rows   int64
	cancel context.CancelFunc
	once   sync.Once
}

func (s *stopAfter) Phase(string) {}
func (s *stopAfter) Progress(p transfer.Progress) {
	if p.Phase == "load" && p.Table == s.table && p.Done >= s.rows && !p.Finished {
		s.once.Do(s.cancel)
	}
}

// An interrupted copy is finished by the same command: the tables done
// stay, the one in flight goes on after its last committed key, and the
// result verifies and equals the source row for row.
func TestCopyResumesAfterAnInterruption(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		from, src := seeded(t)
		addChats(t, src.DB, 0, 300)
		to := testdb.URL(t, name)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stop := &stopAfter{table: "message", rows: 200, cancel: cancel}
		_, err := transfer.Copy(ctx, transfer.Options{From: from, To: to, BatchRows: 50, Workers: 1, Reporter: stop})
		if err == nil || !strings.Contains(err.Error(), "run the same command again to resume") {
			t.Fatalf("interrupted copy: %v", err)
		}
		tgt, err := db.Open(context.Background(), to)
		if err != nil {
			t.Fatal(err)
		}
		defer tgt.Close()
		var partial int64
		tgt.DB.Table("message").Count(&partial)
		if partial < 200 || partial >= 600 {
			t.Fatalf("after the interruption the target holds %d messages, want a part of 600", partial)
		}
		// Someone may look at the target in between: it is a database
		// this tool knows, not one with an unknown table. An application
		// starting on it (OpenAndMigrate) is refused until the copy ends.
		if st, err := tgt.Status(context.Background()); err != nil || len(st.UnrecordedTables) > 0 {
			t.Fatalf("status of a half-copied target: %+v, %v", st, err)
		}
		if _, err := tgt.Up(context.Background(), "", db.Options{}); !errors.Is(err, db.ErrCopyInProgress) || !strings.Contains(err.Error(), "run the same copy command again") {
			t.Fatalf("up on a half-copied target: %v", err)
		}

		sum, err := transfer.Copy(context.Background(), transfer.Options{From: from, To: to, BatchRows: 50, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Resumed || !sum.Verified {
			t.Fatalf("rerun: %+v", sum)
		}
		var copied int64
		for _, tb := range sum.Tables {
			if tb.Name == "message" {
				copied = tb.Copied
			}
		}
		if copied != 600-partial {
			t.Fatalf("the rerun copied %d messages, want the %d left", copied, 600-partial)
		}
		shapes, err := db.ShapesAt(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		fixtures.RequireSameRows(t, "source", fixtures.RowsByValue(t, src.DB, shapes), "target", fixtures.RowsByValue(t, tgt.DB, shapes))
	})
}

// A second copy into a target another one is writing into is refused;
// the lock of a copy whose process is gone is taken over.
func TestCopyLock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		from, src := seeded(t)
		addChats(t, src.DB, 0, 200)
		to := testdb.URL(t, name)

		// Copy A stops in the middle of its load and waits.
		paused, resume := make(chan struct{}), make(chan struct{})
		var once sync.Once
		rep := reporterFunc(func(p transfer.Progress) {
			if p.Phase == "load" && p.Table == "message" && !p.Finished {
				once.Do(func() { close(paused); <-resume })
			}
		})
		done := make(chan error, 1)
		go func() {
			_, err := transfer.Copy(context.Background(), transfer.Options{From: from, To: to, BatchRows: 50, Workers: 1, Reporter: rep})
			done <- err
		}()
		select {
		case <-paused:
		case err := <-done:
			t.Fatalf("copy A ended before its load: %v", err)
		}
		_, err := transfer.Copy(context.Background(), transfer.Options{From: from, To: to})
		close(resume)
		if !errors.Is(err, transfer.ErrCopyRunning) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
			t.Fatalf("copy B while A runs: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("copy A: %v", err)
		}

		// A lock left by a process that is gone.
		to2 := testdb.URL(t, name)
		tgt, err := db.Open(context.Background(), to2)
		if err != nil {
			t.Fatal(err)
		}
		defer tgt.Close()
		if _, err := tgt.Up(context.Background(), "", db.Options{}); err != nil {
			t.Fatal(err)
		}
		host, _ := os.Hostname()
		holder, _ := json.Marshal(map[string]any{"host": host, "pid": 1 << 30, "started": "earlier"})
		d := migtest.Open(t, name, to2)
		d.Exec(fmt.Sprintf("CREATE TABLE %s (item varchar(255) NOT NULL PRIMARY KEY, state text, last_key text, n bigint, at bigint)", d.Q(transfer.BookTable)))
		d.Exec(fmt.Sprintf("INSERT INTO %s (item, state, at) VALUES ('lock', ?, ?)", d.Q(transfer.BookTable)), string(holder), time.Now().UnixMilli())
		if sum, err := transfer.Copy(context.Background(), transfer.Options{From: from, To: to2}); err != nil || !sum.Verified {
			t.Fatalf("copy over a dead copy's lock: %+v, %v", sum, err)
		}
	})
}

type reporterFunc func(transfer.Progress)

func (reporterFunc) Phase(string)                   {}
func (f reporterFunc) Progress(p transfer.Progress) { f(p) }

// A target that is not empty, at another revision, newer, Alembic's, or
// holding another application's table, is refused before anything is
// written: its schema, rows and records are exactly as they were.
func TestCopyRefusedTargetsAreLeftAlone(t *testing.T) {
	older := migtest.Previous(t, earlier)
	cases := []struct {
		name   string
		rev    string // target migrated to ("" none)
		setup  func(d *migtest.DB)
		refuse string
	}{
		{"not empty", "", func(d *migtest.DB) {
			d.Insert("user", map[string]any{"id": "someone", "name": "x", "email": "e", "role": "r", "created_at": 1, "updated_at": 1, "last_active_at": 1})
		}, "already holds rows in user"},
		{"older revision", older, nil, "is at revision " + older},
		{"newer revision", "", nil, "(newer than the source)"},
		{"another application's table", "", func(d *migtest.DB) { d.Exec("CREATE TABLE invoices (id varchar(20) PRIMARY KEY)") }, "invoices"},
		{"Alembic's database", "", func(d *migtest.DB) {
			d.Exec(fixtures.AlembicCreate)
			d.Exec("INSERT INTO alembic_version (version_num) VALUES ('" + migrations.Head() + "')")
			d.Exec("DROP TABLE schema_migrations")
		}, "Alembic"},
	}
	testdb.Each(t, func(t *testing.T, name string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				srcRev := migrations.Head()
				if c.name == "newer revision" {
					srcRev = earlier
				}
				from, _ := migrated(t, "sqlite", srcRev)
				to := testdb.URL(t, name)
				d := migtest.Open(t, name, to)
				d.UpTo(c.rev)
				if c.setup != nil {
					c.setup(d)
				}
				schemaBefore, dataBefore := d.Snapshot(), d.Dump()
				_, err := transfer.Copy(context.Background(), transfer.Options{From: from, To: to})
				if !errors.Is(err, transfer.ErrRefused) || !strings.Contains(err.Error(), c.refuse) {
					t.Fatalf("copy: %v; want a refusal mentioning %q", err, c.refuse)
				}
				migtest.RequireSameSchema(t, schemaBefore, d.Snapshot(), "before", "after")
				migtest.RequireSameData(t, dataBefore, d.Dump(), "before", "after")
			})
		}
	})
}

// A source this tool has no record of is never guessed at.
func TestCopyRefusedSources(t *testing.T) {
	from := testdb.URL(t, "sqlite")
	d := migtest.Open(t, "sqlite", from)
	d.UpTo(earlier)
	d.Exec("DROP TABLE schema_migrations")
	d.Exec(fixtures.AlembicCreate)
	d.Exec("INSERT INTO alembic_version (version_num) VALUES ('" + earlier + "')")
	_, err := transfer.Copy(context.Background(), transfer.Options{From: from, To: testdb.URL(t, "sqlite")})
	if !errors.Is(err, transfer.ErrRefused) || !strings.Contains(err.Error(), "schema adopt") {
		t.Fatalf("copy from an Alembic-only source: %v", err)
	}
	empty := testdb.URL(t, "sqlite")
	migtest.Open(t, "sqlite", empty)
	_, err = transfer.Copy(context.Background(), transfer.Options{From: empty, To: testdb.URL(t, "sqlite")})
	if !errors.Is(err, transfer.ErrRefused) || !strings.Contains(err.Error(), "nothing to copy") {
		t.Fatalf("copy from an empty source: %v", err)
	}
	extra, _ := migrated(t, "sqlite", "")
	migtest.Open(t, "sqlite", extra).Exec("ALTER TABLE chat ADD COLUMN notes text")
	_, err = transfer.Copy(context.Background(), transfer.Options{From: extra, To: testdb.URL(t, "sqlite")})
	if !errors.Is(err, transfer.ErrRefused) || !strings.Contains(err.Error(), "chat.notes") {
		t.Fatalf("copy from a source with a column its revision lacks: %v", err)
	}
	_, err = transfer.Copy(context.Background(), transfer.Options{From: from, To: from})
	if !errors.Is(err, transfer.ErrRefused) || !strings.Contains(err.Error(), "same database") {
		t.Fatalf("copy onto itself: %v", err)
	}
}

// Through a transaction-pooling PgBouncer, on both sides: every batch,
// the lock and the bookkeeping live in transactions, none in a session.
func TestCopyThroughPgBouncer(t *testing.T) {
	from, src := seeded(t)
	addChats(t, src.DB, 0, 120)
	pooled, _ := testdb.PgBouncerURL(t)
	sum, err := transfer.Copy(context.Background(), transfer.Options{From: from, To: pooled, BatchRows: 50})
	if err != nil || !sum.Verified {
		t.Fatalf("copy into PostgreSQL through PgBouncer: %+v, %v", sum, err)
	}
	back := testdb.URL(t, "mysql")
	sum, err = transfer.Copy(context.Background(), transfer.Options{From: pooled, To: back, BatchRows: 50})
	if err != nil || !sum.Verified {
		t.Fatalf("copy out of PostgreSQL through PgBouncer: %+v, %v", sum, err)
	}
}
