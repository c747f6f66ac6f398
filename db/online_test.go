package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// The online tests run a chain of two steps declared here, outside package
// migrations, through the runner (run): a step creating two tables, and a
// step altering one of them, online or not. Their checksums are the tests'
// own (checksumOf); the guard, which learns the tables of the real chain,
// is passed over as for the run that learns them (learningTables).

const (
	onlineSetupID = "0a11ce000001"
	onlineStepID  = "0a11ce000002"
)

func init() {
	code := checksumOf
	checksumOf = func(id string) (string, error) {
		if strings.HasPrefix(id, "0a11ce") {
			return "test-" + id, nil
		}
		return code(id)
	}
}

var (
	onlineOwner = dialect.Table{
		Name:       "online_owner",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}},
		PrimaryKey: []string{"id"},
	}
	onlineItem = dialect.Table{
		Name: "online_item",
		Columns: []dialect.Column{
			{Name: "id", Type: dialect.Key},
			{Name: "owner_id", Type: dialect.Key},
			{Name: "label", Type: dialect.Key},
			{Name: "n", Type: dialect.BigInt},
		},
		PrimaryKey: []string{"id"},
	}
	onlineIndex = dialect.Index{Name: "idx_online_item_label", Columns: []string{"label"}}
	onlineFK    = dialect.ForeignKey{Name: "fk_online_item_owner", Columns: []string{"owner_id"},
		RefTable: "online_owner", RefColumns: []string{"id"}, OnDelete: "CASCADE"}
	onlineCheck = dialect.Check{Name: "ck_online_item_n", Expr: "n >= 0"}
	// What an online step may add on every dialect: an index, a foreign
	// key, a nullable column and one with a default.
	onlineItemTo = onlineItem.With(onlineIndex, onlineFK,
		dialect.Column{Name: "note", Type: dialect.Text},
		dialect.Column{Name: "score", Type: dialect.BigInt, NotNull: true, Default: "0"})
)

// onlineShape is the change the tests make on a dialect: with a check,
// except on MySQL/MariaDB, which add one only by copying the table
// (TestOnlineStepRefusedOnMySQL).
func onlineShape(dl string) dialect.Table {
	if dl == "mysql" {
		return onlineItemTo
	}
	return onlineItemTo.With(onlineCheck)
}

func onlineChain(online bool, to dialect.Table) []migrations.Step {
	return []migrations.Step{
		{ID: onlineSetupID, Name: "online_setup",
			Up: func(m *dialect.Migrator) error {
				if err := m.CreateTable(onlineOwner); err != nil {
					return err
				}
				return m.CreateTable(onlineItem)
			},
			Down: func(m *dialect.Migrator) error {
				if err := m.DropTable(onlineItem.Name); err != nil {
					return err
				}
				return m.DropTable(onlineOwner.Name)
			}},
		{ID: onlineStepID, Revises: onlineSetupID, Name: "online_change", Online: online,
			Up:   func(m *dialect.Migrator) error { return m.AlterTable(onlineItem, to) },
			Down: func(m *dialect.Migrator) error { return m.AlterTable(to, onlineItem) },
			// Reads the table in the run's first transaction, which keeps
			// the lock it took until it ends.
			CheckDown: func(m *dialect.Migrator) error {
				var n int64
				return m.Scan("SELECT count(*) FROM "+m.Q(onlineItem.Name), nil, &n)
			}},
	}
}

// onlineDB is a fresh database of the dialect (at url if given) at the
// setup step, with rows.
func onlineDB(t *testing.T, dl, url string, chain []migrations.Step) *Database {
	t.Helper()
	if url == "" {
		url = testdb.URL(t, dl)
	}
	d, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	onlineRun(t, context.Background(), d, chain, 1)
	for _, q := range []string{
		"INSERT INTO online_owner (id) VALUES ('o1'), ('o2')",
		"INSERT INTO online_item (id, owner_id, label, n) VALUES ('a', 'o1', 'L1', 1), ('b', NULL, 'L2', 2), ('c', 'o2', 'L1', 0)",
	} {
		if err := d.DB.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// onlineRunErr runs chain until target steps are applied, up or down.
func onlineRunErr(ctx context.Context, d *Database, chain []migrations.Step, target int) error {
	ctx = context.WithValue(ctx, learningTables{}, true)
	_, err := d.run(ctx, Options{}, chain, func(st state) (goal, error) {
		return goal{up: target > st.applied, target: target}, nil
	})
	return err
}

func onlineRun(t *testing.T, ctx context.Context, d *Database, chain []migrations.Step, target int) {
	t.Helper()
	if err := onlineRunErr(ctx, d, chain, target); err != nil {
		t.Fatalf("run to step %d: %v", target, err)
	}
}

func onlineSnapshot(t *testing.T, d *Database) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Take(context.Background(), d.DB)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func requireSameSnapshot(t *testing.T, want, got *snapshot.Snapshot, wantName, gotName string) {
	t.Helper()
	if diffs := snapshot.Compare(want, got, wantName, gotName); len(diffs) > 0 {
		var b strings.Builder
		for _, d := range diffs {
			b.WriteString("\n  " + d.String())
		}
		t.Fatalf("schemas differ:%s", b.String())
	}
}

// requireRecords checks the records name exactly the first n steps of the
// chain, each with its checksum, and that the item rows are all there.
func requireRecords(t *testing.T, d *Database, n int) {
	t.Helper()
	rows, err := d.DB.Raw("SELECT id, " + dialect.ChecksumColumn + " FROM " + MigrationsTable + " ORDER BY id").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id string
		var sum sql.NullString
		if err := rows.Scan(&id, &sum); err != nil {
			t.Fatal(err)
		}
		got = append(got, id+"="+sum.String)
	}
	want := []string{onlineSetupID + "=test-" + onlineSetupID, onlineStepID + "=test-" + onlineStepID}[:n]
	if !slices.Equal(got, want) {
		t.Fatalf("records = %v, want %v", got, want)
	}
	var items int64
	if err := d.DB.Raw("SELECT count(*) FROM online_item").Scan(&items).Error; err != nil || items != 3 {
		t.Fatalf("online_item has %d rows (%v), want 3", items, err)
	}
}

// statements records the statements a run's steps write.
type statements struct {
	mu  sync.Mutex
	all []string
}

func (s *statements) hook(ctx context.Context) context.Context {
	return dialect.WithHooks(ctx, dialect.Hooks{BeforeWrite: func(q string) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.all = append(s.all, q)
		return nil
	}})
}

func (s *statements) require(t *testing.T, what string, parts ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range parts {
		if !slices.ContainsFunc(s.all, func(q string) bool { return strings.Contains(q, p) }) {
			t.Errorf("%s: no statement contains %q; statements:\n  %s", what, p, strings.Join(s.all, "\n  "))
		}
	}
}

// TestOnlineStepAsOffline: an online step adding an index, a foreign key,
// a check (not on MySQL) and columns to a table with rows, and its down,
// leave the schema the same step leaves run as any other, and the same
// records. On PostgreSQL the index is built and dropped CONCURRENTLY and
// the keys added NOT VALID, then validated.
func TestOnlineStepAsOffline(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		to := onlineShape(dl)
		var up, down [2]*snapshot.Snapshot
		var before *snapshot.Snapshot
		for i, online := range []bool{false, true} {
			chain := onlineChain(online, to)
			d := onlineDB(t, dl, "", chain)
			before = onlineSnapshot(t, d)
			var upStmts, downStmts statements
			onlineRun(t, upStmts.hook(context.Background()), d, chain, 2)
			requireRecords(t, d, 2)
			up[i] = onlineSnapshot(t, d)
			onlineRun(t, downStmts.hook(context.Background()), d, chain, 1)
			requireRecords(t, d, 1)
			down[i] = onlineSnapshot(t, d)
			requireSameSnapshot(t, before, down[i], "before", fmt.Sprintf("after up and down (online %v)", online))
			if online && dl == "postgres" {
				upStmts.require(t, "online up", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", "FOREIGN KEY", "NOT VALID", "VALIDATE CONSTRAINT", "ADD COLUMN IF NOT EXISTS")
				downStmts.require(t, "online down", "DROP INDEX CONCURRENTLY IF EXISTS")
			}
		}
		requireSameSnapshot(t, up[0], up[1], "up", "online up")
		requireSameSnapshot(t, down[0], down[1], "down", "online down")
	})
}

// TestOnlineStepCrash: an online step crashed before each of its
// statements, up and down, leaves the step unrecorded, and the next run
// finishes it: the schema of an uninterrupted run, the records right.
func TestOnlineStepCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash loop: not in -short")
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		chain := onlineChain(true, onlineShape(dl))
		d := onlineDB(t, dl, "", chain)
		ctx := context.Background()
		before := onlineSnapshot(t, d)
		whole := &crash.Plan{After: -1}
		onlineRun(t, crash.With(ctx, whole), d, chain, 2)
		after := onlineSnapshot(t, d)
		undo := &crash.Plan{After: -1}
		onlineRun(t, crash.With(ctx, undo), d, chain, 1)
		if whole.Seen == 0 || undo.Seen == 0 {
			t.Fatalf("the step wrote nothing (up %d, down %d statements)", whole.Seen, undo.Seen)
		}
		for _, dir := range []struct {
			name          string
			writes        int
			from, to      int
			want          *snapshot.Snapshot
			recordedAfter int
		}{
			{"up", whole.Seen, 1, 2, after, 2},
			{"down", undo.Seen, 2, 1, before, 1},
		} {
			for k := range dir.writes {
				if dir.name == "down" {
					onlineRun(t, ctx, d, chain, 2)
				}
				err := onlineRunErr(crash.With(ctx, &crash.Plan{After: k}), d, chain, dir.to)
				if !errors.Is(err, crash.ErrInjected) {
					t.Fatalf("%s crashed before write %d of %d: err = %v, want the injected crash", dir.name, k+1, dir.writes, err)
				}
				requireRecords(t, d, dir.from)
				onlineRun(t, ctx, d, chain, dir.to)
				requireRecords(t, d, dir.recordedAfter)
				requireSameSnapshot(t, dir.want, onlineSnapshot(t, d), "uninterrupted "+dir.name,
					fmt.Sprintf("%s run again after a crash before write %d of %d", dir.name, k+1, dir.writes))
				if dir.name == "up" {
					onlineRun(t, ctx, d, chain, 1)
				}
			}
		}
	})
}

// TestOnlineIndexBuildPostgres: an online step's index is built
// CONCURRENTLY, apart from the run's transaction. A transaction holding an
// old snapshot makes the build wait; meanwhile the run's transaction, which
// holds the lock, waits idle with no snapshot (else the build would wait
// for it for ever), and the application's writes go on. A build cancelled
// there (pg_cancel_backend) leaves an INVALID index and the step
// unrecorded; the next run drops that index and builds it again.
func TestOnlineIndexBuildPostgres(t *testing.T) {
	for _, name := range []string{"finishes", "cancelled", "interrupted"} {
		cancel := name != "finishes"
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			chain := onlineChain(true, onlineShape("postgres"))
			d := onlineDB(t, "postgres", "", chain)
			// Bounds the test if the build waits for ever; no timing is asserted.
			ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
			defer stop()
			sqlDB, err := d.DB.DB()
			if err != nil {
				t.Fatal(err)
			}
			blocker, err := sqlDB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
			if err != nil {
				t.Fatal(err)
			}
			defer blocker.Rollback()
			var one int
			if err := blocker.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			runCtx, signal := context.WithCancel(ctx) // a signal to the command
			defer signal()
			go func() { done <- onlineRunErr(runCtx, d, chain, 2) }()
			var build int
			for build == 0 {
				select {
				case err := <-done:
					t.Fatalf("the step ended before its index build waited for the old snapshot: %v", err)
				case <-time.After(20 * time.Millisecond):
				}
				if err := sqlDB.QueryRowContext(ctx, `SELECT coalesce(max(pid), 0) FROM pg_stat_activity
					WHERE datname = current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event = 'virtualxid'`).Scan(&build); err != nil {
					t.Fatal(err)
				}
			}
			var state string
			var noSnapshot bool
			if err := sqlDB.QueryRowContext(ctx, `SELECT a.state, a.backend_xmin IS NULL FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
				WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()`).Scan(&state, &noSnapshot); err != nil {
				t.Fatalf("find the run's transaction by its lock: %v", err)
			}
			if state != "idle in transaction" || !noSnapshot {
				t.Errorf("while the index builds, the run's transaction is %q, holding no snapshot: %v; want idle in transaction, no snapshot", state, noSnapshot)
			}
			for _, q := range []string{
				"INSERT INTO online_item (id, owner_id, label, n) VALUES ('d', 'o1', 'L3', 4)",
				"DELETE FROM online_item WHERE id = 'd'",
			} {
				if _, err := sqlDB.ExecContext(ctx, q); err != nil {
					t.Fatalf("write while the index builds: %v", err)
				}
			}
			indexes := func() (valid, invalid int) {
				t.Helper()
				if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE x.indisvalid), count(*) FILTER (WHERE NOT x.indisvalid)
					FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = 'idx_online_item_label'`).Scan(&valid, &invalid); err != nil {
					t.Fatal(err)
				}
				return valid, invalid
			}
			if cancel {
				if name == "interrupted" {
					signal()
				} else if _, err := sqlDB.ExecContext(ctx, "SELECT pg_cancel_backend($1)", build); err != nil {
					t.Fatal(err)
				}
				err := <-done
				if err == nil {
					t.Fatal("the step whose index build was cancelled succeeded")
				}
				var stopped *InterruptedError
				if name == "interrupted" && (!errors.As(err, &stopped) || !stopped.Apart || stopped.RolledBack ||
					!strings.Contains(err.Error(), "online step "+onlineStepID+" (online_change) stopped partway")) {
					t.Fatalf("interrupted: err = %v, want an InterruptedError saying the online step's partial work stays", err)
				}
				if valid, invalid := indexes(); valid != 0 || invalid != 1 {
					t.Fatalf("after the cancelled build: %d valid, %d invalid indexes, want the one invalid", valid, invalid)
				}
				requireRecords(t, d, 1)
				blocker.Rollback()
				onlineRun(t, ctx, d, chain, 2)
			} else {
				blocker.Rollback()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			if valid, invalid := indexes(); valid != 1 || invalid != 0 {
				t.Fatalf("%d valid, %d invalid indexes, want one valid", valid, invalid)
			}
			requireRecords(t, d, 2)
		})
	}
}

// TestOnlineStepThroughPgBouncer: behind a transaction-pooling PgBouncer
// the unit's transaction and the step's statements are on different
// server connections anyway; an online step goes up, down and up again.
func TestOnlineStepThroughPgBouncer(t *testing.T) {
	pooled, _ := testdb.PgBouncerURL(t)
	chain := onlineChain(true, onlineShape("postgres"))
	d := onlineDB(t, "postgres", pooled, chain)
	ctx := context.Background()
	for _, target := range []int{2, 1, 2} {
		var stmts statements
		onlineRun(t, stmts.hook(ctx), d, chain, target)
		requireRecords(t, d, target)
		if target == 2 {
			stmts.require(t, "up through PgBouncer", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", "NOT VALID")
		}
	}
	var valid int64
	if err := d.DB.Raw(`SELECT count(*) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
		WHERE c.relname = 'idx_online_item_label' AND x.indisvalid`).Scan(&valid).Error; err != nil || valid != 1 {
		t.Fatalf("valid indexes: %d (%v), want 1", valid, err)
	}
}

// TestOnlineStepOnMySQL: MariaDB adds a column instantly (its counter of
// instant ALTERs moves), and refuses, before any change, a check an online
// step adds, which it can only add by copying the table; the same step
// without Online adds it.
func TestOnlineStepOnMySQL(t *testing.T) {
	ctx := context.Background()
	t.Run("instant column", func(t *testing.T) {
		t.Parallel()
		chain := onlineChain(true, onlineItem.With(dialect.Column{Name: "note", Type: dialect.Text}))
		d := onlineDB(t, "mysql", "", chain)
		instant := func() int64 {
			var name string
			var n int64
			if err := d.DB.Raw("SHOW GLOBAL STATUS LIKE 'Innodb_instant_alter_column'").Row().Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := instant()
		onlineRun(t, ctx, d, chain, 2)
		if after := instant(); after <= before {
			t.Errorf("Innodb_instant_alter_column stayed at %d: the column was not added instantly", after)
		}
		requireRecords(t, d, 2)
	})
	t.Run("check refused", func(t *testing.T) {
		t.Parallel()
		to := onlineItem.With(onlineIndex, onlineCheck)
		chain := onlineChain(true, to)
		d := onlineDB(t, "mysql", "", chain)
		before := onlineSnapshot(t, d)
		err := onlineRunErr(ctx, d, chain, 2)
		for _, want := range []string{"table online_item: the online step cannot add check ck_online_item_n without blocking writes",
			"copying ALTER", "make this change a separate step without Online"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to say %q", err, want)
			}
		}
		requireSameSnapshot(t, before, onlineSnapshot(t, d), "before", "after the refusal")
		requireRecords(t, d, 1)
		onlineRun(t, ctx, d, onlineChain(false, to), 2)
		requireRecords(t, d, 2)
	})
}

// TestOnlineStepRefusesRewrites: an online step that changes a column's
// type or the primary key is refused before any change, saying what to do
// instead, on the dialects with online forms; SQLite runs it as any other
// step.
func TestOnlineStepRefusesRewrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		for _, c := range []struct {
			name, want string
			to         dialect.Table
		}{
			{"type", "cannot change the type of column n (bigint to text)",
				onlineItem.Replace(dialect.Column{Name: "n", Type: dialect.Text}).With(onlineIndex)},
			{"primary key", "cannot change the primary key",
				onlineItem.With(onlineIndex, dialect.PrimaryKey{"id", "label"})},
		} {
			t.Run(c.name, func(t *testing.T) {
				chain := onlineChain(true, c.to)
				d := onlineDB(t, dl, "", chain)
				before := onlineSnapshot(t, d)
				err := onlineRunErr(context.Background(), d, chain, 2)
				if dl == "sqlite" {
					if err != nil {
						t.Fatalf("SQLite runs an online step as any other: %v", err)
					}
					return
				}
				for _, want := range []string{"table online_item", c.want, "separate step without Online", "expand/contract"} {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Fatalf("err = %v, want it to say %q", err, want)
					}
				}
				requireSameSnapshot(t, before, onlineSnapshot(t, d), "before", "after the refusal")
				requireRecords(t, d, 1)
			})
		}
	})
}
