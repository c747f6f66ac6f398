package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// The step the lock tests run: it alters chat (adds columns and a unique
// index), the table the blocker holds.
const (
	lockRevBefore = "7e5b5dc7342b"
	lockRevStep   = "242a2047eae0"
)

// lockWaitRecorder hears a run's notices, and signals each lock-wait
// retry.
type lockWaitRecorder struct {
	mu      sync.Mutex
	waits   []string
	retried chan string
}

func newLockWaitRecorder() *lockWaitRecorder {
	return &lockWaitRecorder{retried: make(chan string, 1000)}
}

func (r *lockWaitRecorder) StepStarted(db.StepResult)            {}
func (r *lockWaitRecorder) Progress(db.StepResult, int64, int64) {}
func (r *lockWaitRecorder) Notice(_ db.StepResult, msg string) {
	if !strings.Contains(msg, "waiting for a lock") {
		return
	}
	r.mu.Lock()
	r.waits = append(r.waits, msg)
	r.mu.Unlock()
	r.retried <- msg
}

// blocker is another session with an open transaction that has read
// chat, as an application's forgotten transaction would: an ALTER of
// chat must wait for it to end.
type blocker struct {
	conn *sql.Conn
	id   int64 // PostgreSQL pid, MySQL thread id
}

func holdChat(t *testing.T, name string, g *gorm.DB) *blocker {
	t.Helper()
	ctx := context.Background()
	sqlDB, err := g.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	b := &blocker{conn: conn}
	idQuery, stmts := "SELECT CONNECTION_ID()", []string{"START TRANSACTION", "SELECT count(*) FROM chat"}
	if name == "postgres" {
		idQuery, stmts = "SELECT pg_backend_pid()", []string{"BEGIN", "LOCK TABLE chat IN ACCESS SHARE MODE"}
	}
	if err := conn.QueryRowContext(ctx, idQuery).Scan(&b.id); err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("blocker: %s: %v", s, err)
		}
	}
	return b
}

func (b *blocker) release(t *testing.T) {
	t.Helper()
	if _, err := b.conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatalf("blocker: commit: %v", err)
	}
}

// lockDatabase is a database at the revision before the chat step, with
// one chat.
func lockDatabase(t *testing.T, name, url string) *migtest.DB {
	t.Helper()
	d := migtest.Open(t, name, url)
	d.UpTo(lockRevBefore)
	d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{}`, "created_at": 1700000000, "updated_at": 1700000000})
	return d
}

func hasTitle(t *testing.T, g *gorm.DB) bool {
	t.Helper()
	return g.Migrator().HasColumn("chat", "title")
}

// TestDDLLockRetry: a step that alters chat while another session's
// transaction holds it (a) waits only briefly at a time, so that a reader
// of chat on a third connection is not queued behind the migration for
// the blocker's whole transaction; (b) is retried, reported, and applied
// and recorded once the blocker ends.
func TestDDLLockRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		if name == "sqlite" {
			t.Skip("SQLite has no table locks to wait for: the run holds the write lock, and WAL readers never wait")
		}
		d := lockDatabase(t, name, testdb.URL(t, name))
		testLockRetry(t, name, d, d)
	})
}

// testLockRetry runs the chat step on d while a session of other's holds
// chat, then ends it.
func testLockRetry(t *testing.T, name string, d, other *migtest.DB) {
	b := holdChat(t, name, other.G)
	rec := newLockWaitRecorder()
	type outcome struct {
		res db.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := d.Runner.Up(context.Background(), lockRevStep, db.Options{
			Reporter: rec, DDLLockWait: 200 * time.Millisecond, DDLRetryFor: time.Minute})
		done <- outcome{res, err}
	}()
	// (a) From the first retry to the third, a reader of chat on a third
	// connection reads again and again, through the step's attempts and
	// the pauses between them: each read completes while the blocker still
	// holds chat (without the lock wait, the first read during an attempt
	// would queue behind the ALTER until the blocker ends).
	reads := 0
	for retries := 0; retries < 3; {
		select {
		case msg := <-rec.retried:
			retries++
			if want := fmt.Sprintf("session %d (", b.id); !strings.Contains(msg, want) || !strings.Contains(msg, "idle in transaction") || !strings.Contains(msg, "table chat") {
				t.Errorf("retry notice %q: want the table chat and the blocker (%s..., idle in transaction)", msg, want)
			}
		case o := <-done:
			t.Fatalf("the step ended before its retries, while chat was held: %v", o.err)
		case <-time.After(time.Minute):
			t.Fatal("no retry reported within a minute while chat was held")
		default:
			if retries == 0 {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			var n int64
			err := other.G.WithContext(ctx).Raw("SELECT count(*) FROM chat").Scan(&n).Error
			cancel()
			if err != nil || n != 1 {
				t.Fatalf("a reader of chat, while the step retried and the blocker held it: %d rows, %v (want 1, no error: it must not queue behind the migration)", n, err)
			}
			reads++
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("%d reads of chat while the step retried", reads)
	// (b) The blocker ends: the step goes through.
	b.release(t)
	o := <-done
	t.Logf("retries reported: %q; the step's notices: %q", rec.waits, o.res.Steps)
	if o.err != nil {
		t.Fatalf("up once the blocker ended: %v", o.err)
	}
	if len(o.res.Steps) != 1 || o.res.Steps[0].ID != lockRevStep {
		t.Fatalf("steps applied: %+v, want %s alone", o.res.Steps, lockRevStep)
	}
	if notes := o.res.Steps[0].Notices; len(notes) == 0 || !strings.Contains(notes[0], "waited for a lock on table chat: ran ") {
		t.Errorf("the step's notices %q: want the lock waits summed up first", notes)
	}
	if got := d.Current(); got != lockRevStep {
		t.Errorf("recorded revision %s, want %s", got, lockRevStep)
	}
	if !hasTitle(t, d.G) {
		t.Error("chat has no title column: the step was not applied")
	}
}

// TestDDLLockTimeout: with a blocker that never ends and a small retry
// budget, the run fails with the typed error, which names the blocker,
// and nothing of the step is recorded or kept; once the blocker ends, a
// new run applies it.
func TestDDLLockTimeout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		if name == "sqlite" {
			t.Skip("SQLite has no table locks to wait for")
		}
		d := lockDatabase(t, name, testdb.URL(t, name))
		b := holdChat(t, name, d.G)
		_, err := d.Runner.Up(context.Background(), lockRevStep, db.Options{DDLLockWait: 200 * time.Millisecond, DDLRetryFor: time.Second})
		if !errors.Is(err, db.ErrDDLLockTimeout) {
			t.Fatalf("up with chat held for ever: %v, want ErrDDLLockTimeout", err)
		}
		var e *db.DDLLockTimeoutError
		if !errors.As(err, &e) {
			t.Fatalf("error %T is not a *DDLLockTimeoutError", err)
		}
		msg := err.Error()
		t.Logf("the error: %s", msg)
		for _, want := range []string{fmt.Sprintf("session %d (", b.id), "idle in transaction", "table chat", lockRevStep, "--ddl-retry-for"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not name %q", msg, want)
			}
		}
		if e.Table != "chat" || len(e.Holders) == 0 || e.Holders[0].Session != b.id {
			t.Errorf("error's table %q and holders %+v, want chat and session %d", e.Table, e.Holders, b.id)
		}
		if got := d.Current(); got != lockRevBefore {
			t.Errorf("recorded revision %s after the failed step, want %s", got, lockRevBefore)
		}
		if hasTitle(t, d.G) {
			t.Error("chat has the step's title column after the step failed")
		}
		b.release(t)
		if _, err := d.Runner.Up(context.Background(), lockRevStep, db.Options{DDLLockWait: 200 * time.Millisecond}); err != nil {
			t.Fatalf("up once the blocker ended: %v", err)
		}
		if got := d.Current(); got != lockRevStep || !hasTitle(t, d.G) {
			t.Errorf("after the re-run: at %s (title column: %v), want %s with it", got, hasTitle(t, d.G), lockRevStep)
		}
	})
}

// TestDDLLockRetryThroughPgBouncer: the lock wait is SET LOCAL in each
// step's transaction, so it holds behind a transaction-pooling PgBouncer,
// and the retried step goes through.
func TestDDLLockRetryThroughPgBouncer(t *testing.T) {
	pooled, direct := testdb.PgBouncerURL(t)
	d := lockDatabase(t, "postgres", pooled)
	testLockRetry(t, "postgres", d, migtest.Open(t, "postgres", direct))
}

// TestDDLLockOptions: negative settings are refused before anything runs
// (NoDDLRetry aside), and OpenAndMigrate takes them from the URL.
func TestDDLLockOptions(t *testing.T) {
	d := migtest.New(t, "sqlite")
	for _, tt := range []struct {
		opt  db.Options
		want string
	}{
		{db.Options{DDLLockWait: -time.Second}, "DDL lock wait -1s is negative"},
		{db.Options{DDLRetryFor: -time.Minute}, "DDL retry budget -1m0s is negative"},
	} {
		if _, err := d.Runner.Up(context.Background(), "", tt.opt); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("up with %+v: %v, want %q", tt.opt, err, tt.want)
		}
	}
	if got := d.Current(); got != "" {
		t.Errorf("refused runs left the database at %q", got)
	}
	if _, err := d.Runner.Up(context.Background(), lockRevBefore, db.Options{DDLRetryFor: db.NoDDLRetry}); err != nil {
		t.Errorf("up with NoDDLRetry: %v", err)
	}
	g, err := db.OpenAndMigrate(context.Background(), testdb.URL(t, "sqlite")+"?schema_ddl_lock_wait=1s&schema_ddl_retry_for=0")
	if err != nil {
		t.Fatalf("OpenAndMigrate with the URL's lock options: %v", err)
	}
	if sqlDB, err := g.DB(); err == nil {
		sqlDB.Close()
	}
}
