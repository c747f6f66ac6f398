package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// The backfill tests run a chain of two test-only steps (the 0a11ce IDs
// of online_test.go's checksum seam): one creating bf_item with rows, and
// one backfilling its score column with Migrator.Backfill, online or not.

const (
	bfSetupID = "0a11ce0bf001"
	bfStepID  = "0a11ce0bf002"
	bfRows    = 3000
	bfBatch   = 500
)

var bfItem = dialect.Table{
	Name: "bf_item",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.BigInt, NotNull: true},
		{Name: "n", Type: dialect.BigInt},
		{Name: "score", Type: dialect.BigInt},
	},
	PrimaryKey: []string{"id"},
}

// bfItemText is bf_item keyed by text, as Open WebUI's tables are.
var bfItemText = bfItem.Replace(dialect.Column{Name: "id", Type: dialect.Key, NotNull: true})

func bfChain(online bool, b dialect.Backfill) []migrations.Step {
	return bfChainOf(bfItem, online, b)
}

func bfChainOf(table dialect.Table, online bool, b dialect.Backfill) []migrations.Step {
	return []migrations.Step{
		{ID: bfSetupID, Name: "bf_setup",
			Up:   func(m *dialect.Migrator) error { return m.CreateTable(table) },
			Down: func(m *dialect.Migrator) error { return m.DropTable(table.Name) }},
		{ID: bfStepID, Revises: bfSetupID, Name: "bf_fill", Online: online,
			Up:   func(m *dialect.Migrator) error { return m.Backfill(b) },
			Down: func(m *dialect.Migrator) error { return m.Exec("UPDATE bf_item SET score = NULL") }},
	}
}

// bfScore is the step's backfill: no Where, so that only the journal
// keeps a re-run from walking the rows a crashed run did.
var bfScore = dialect.Backfill{Table: "bf_item", Key: "id", Set: "score = n * 2", BatchRows: bfBatch, Name: "score"}

// bfDB is a fresh database at the setup step with bfRows rows.
func bfDB(t *testing.T, dl string, chain []migrations.Step) *Database {
	t.Helper()
	return bfDBOf(t, dl, chain, false)
}

// bfKey is row k's key: k, or with text keys "k" and k in five digits.
func bfKey(text bool, k int) string {
	if text {
		return fmt.Sprintf("k%05d", k)
	}
	return fmt.Sprint(k)
}

func bfDBOf(t *testing.T, dl string, chain []migrations.Step, text bool) *Database {
	t.Helper()
	d, err := Open(context.Background(), testdb.URL(t, dl))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	onlineRun(t, context.Background(), d, chain, 1)
	for i := 0; i < bfRows; i += 500 {
		var vals []string
		for k := i + 1; k <= i+500; k++ {
			vals = append(vals, fmt.Sprintf("('%s', %d)", bfKey(text, k), k))
		}
		if err := d.DB.Exec("INSERT INTO bf_item (id, n) VALUES " + strings.Join(vals, ", ")).Error; err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func bfCount(t *testing.T, d *Database, where string) int64 {
	t.Helper()
	var n int64
	if err := d.DB.Raw("SELECT count(*) FROM bf_item WHERE " + where).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// progressLog records a run's progress reports.
type progressLog struct {
	mu          sync.Mutex
	done, total []int64
}

func (p *progressLog) StepStarted(StepResult)    {}
func (p *progressLog) Notice(StepResult, string) {}
func (p *progressLog) Progress(_ StepResult, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = append(p.done, done), append(p.total, total)
}

func bfRun(ctx context.Context, d *Database, chain []migrations.Step, rep Reporter) error {
	ctx = context.WithValue(ctx, learningTables{}, true)
	_, err := d.run(ctx, Options{Reporter: rep}, chain, func(st state) (goal, error) {
		return goal{up: true, target: 2}, nil
	})
	return err
}

// updates counts the batch UPDATEs of bf_item among statements.
func (s *statements) updates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.all {
		if strings.HasPrefix(q, "UPDATE "+`"bf_item"`) || strings.HasPrefix(q, "UPDATE `bf_item`") {
			n++
		}
	}
	return n
}

// TestBackfill: a step's Backfill sets every row, one UPDATE per batch,
// with progress per batch (done rising to the rows, the total right); the
// journal holds nothing once the step is recorded.
func TestBackfill(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		for _, online := range []bool{false, true} {
			chain := bfChain(online, bfScore)
			d := bfDB(t, dl, chain)
			var stmts statements
			p := &progressLog{}
			if err := bfRun(stmts.hook(context.Background()), d, chain, p); err != nil {
				t.Fatalf("online %v: %v", online, err)
			}
			if n := bfCount(t, d, "score = n * 2"); n != bfRows {
				t.Errorf("online %v: %d rows backfilled, want %d", online, n, bfRows)
			}
			if n := stmts.updates(); n != bfRows/bfBatch {
				t.Errorf("online %v: %d UPDATE statements, want one per batch (%d)", online, n, bfRows/bfBatch)
			}
			if len(p.done) != bfRows/bfBatch || p.done[len(p.done)-1] != bfRows {
				t.Errorf("online %v: progress done %v, want one report per batch up to %d", online, p.done, bfRows)
			}
			for i := range p.done {
				if (i > 0 && p.done[i] <= p.done[i-1]) || p.total[i] != bfRows {
					t.Errorf("online %v: progress done %v of %v, want rising, of %d", online, p.done, p.total, bfRows)
					break
				}
			}
			rows, err := ReadJournalForTest(d)
			if err != nil || len(rows) != 0 {
				t.Errorf("online %v: journal after the step was recorded: %v (%v), want empty", online, rows, err)
			}
		}
	})
}

// ReadJournalForTest reads the journal's rows.
func ReadJournalForTest(d *Database) ([]dialect.JournalRow, error) { return dialect.ReadJournal(d.DB) }

// TestBackfillCrashResumes: where batches commit on their own (MariaDB; an
// online step on PostgreSQL), a crash in the middle leaves the batches
// before it and the journal their last key; the re-run walks only the
// rest (a row of the done part the application changed since stays).
// Where the step is one transaction (SQLite; PostgreSQL not online), the
// crash leaves nothing. Integer and text keys; on MariaDB with text keys
// the journal is one an earlier version made, without last_key.
func TestBackfillCrashResumes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		for _, c := range []struct{ online, text bool }{{false, false}, {true, false}, {true, true}} {
			online := c.online
			commits := dl == "mysql" || (online && dialect.RunsOnlineApart(mustDialect(t, dl)))
			table := bfItem
			if c.text {
				table = bfItemText
			}
			chain := bfChainOf(table, online, bfScore)
			d := bfDBOf(t, dl, chain, c.text)
			if dl == "mysql" && c.text {
				// A journal made by an earlier version, without last_key.
				if err := d.DB.Exec("ALTER TABLE " + dialect.ProgressTable + " DROP COLUMN last_key").Error; err != nil {
					t.Fatal(err)
				}
			}
			// Writes: the journal point, then per batch its UPDATE and
			// the journal's key; crash before the 4th batch's UPDATE.
			const before = 3
			after := 1 + 2*before
			if !commits {
				after = before // no journal: one write per batch
			}
			err := bfRun(crash.With(context.Background(), &crash.Plan{After: after}), d, chain, nil)
			if !errors.Is(err, crash.ErrInjected) {
				t.Fatalf("online %v: err = %v, want the injected crash", online, err)
			}
			requireBfRecords(t, d, 1)
			if !commits {
				if n := bfCount(t, d, "score IS NOT NULL"); n != 0 {
					t.Fatalf("online %v: %d rows backfilled after a crash in a step transaction, want none", online, n)
				}
				if err := bfRun(context.Background(), d, chain, nil); err != nil {
					t.Fatal(err)
				}
				if n := bfCount(t, d, "score = n * 2"); n != bfRows {
					t.Fatalf("online %v: %d rows backfilled, want %d", online, n, bfRows)
				}
				continue
			}
			if n := bfCount(t, d, "score IS NOT NULL"); n != before*bfBatch {
				t.Fatalf("online %v: %d rows backfilled after the crash, want the %d of the committed batches", online, n, before*bfBatch)
			}
			var last string
			if err := d.DB.Raw("SELECT last_key FROM "+dialect.ProgressTable+" WHERE id = ? AND point = ?", bfStepID, "score").Scan(&last).Error; err != nil || last != bfKey(c.text, before*bfBatch) {
				t.Fatalf("online %v: the journal's last key is %q (%v), want %s", online, last, err, bfKey(c.text, before*bfBatch))
			}
			// status names the step unfinished, as it does on MySQL.
			st, err := recordsOf(d.DB).state(chain)
			if err != nil {
				t.Fatal(err)
			}
			if u, err := unfinishedStep(d.DB, chain, st); err != nil || u == nil || u.ID != bfStepID {
				t.Errorf("online %v: unfinished step = %+v (%v), want %s", online, u, err, bfStepID)
			}
			// The application changes a row of the done part meanwhile.
			if err := d.DB.Exec("UPDATE bf_item SET score = -1 WHERE id = ?", bfKey(c.text, 1)).Error; err != nil {
				t.Fatal(err)
			}
			var stmts statements
			p := &progressLog{}
			if err := bfRun(stmts.hook(context.Background()), d, chain, p); err != nil {
				t.Fatalf("online %v: re-run: %v", online, err)
			}
			requireBfRecords(t, d, 2)
			if n, want := stmts.updates(), bfRows/bfBatch-before; n != want {
				t.Errorf("online %v: the re-run ran %d UPDATEs of bf_item, want %d (the batches after the last key)", online, n, want)
			}
			if n := bfCount(t, d, "score = n * 2"); n != bfRows-1 {
				t.Errorf("online %v: %d rows backfilled, want %d (all but the row the application changed)", online, n, bfRows-1)
			}
			if len(p.done) == 0 || p.done[0] != (before+1)*bfBatch || p.done[len(p.done)-1] != bfRows {
				t.Errorf("online %v: re-run progress %v, want from %d to %d", online, p.done, (before+1)*bfBatch, bfRows)
			}
			if rows, err := ReadJournalForTest(d); err != nil || len(rows) != 0 {
				t.Errorf("online %v: journal after the step was recorded: %v (%v), want empty", online, rows, err)
			}
		}
	})
}

func mustDialect(t *testing.T, dl string) dialect.Dialect {
	t.Helper()
	d, err := dialect.ByName(dl)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func requireBfRecords(t *testing.T, d *Database, n int64) {
	t.Helper()
	var got int64
	if err := d.DB.Raw("SELECT count(*) FROM "+MigrationsTable+" WHERE id IN (?, ?)", bfSetupID, bfStepID).Scan(&got).Error; err != nil || got != n {
		t.Fatalf("%d of the test steps recorded (%v), want %d", got, err, n)
	}
}

// TestBackfillThrottle: with RowsPerSecond the walk takes at least
// rows/rate (a lower bound from the rate, not a timing target); a signal
// during a pause stops it between batches with the run's interrupted
// error.
func TestBackfillThrottle(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps: not in -short")
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		b := bfScore
		b.RowsPerSecond = 4 * bfRows // a quarter of a second
		chain := bfChain(false, b)
		d := bfDB(t, dl, chain)
		start := time.Now()
		if err := bfRun(context.Background(), d, chain, nil); err != nil {
			t.Fatal(err)
		}
		if took, least := time.Since(start), time.Duration(float64(bfRows)/b.RowsPerSecond*float64(time.Second)); took < least {
			t.Errorf("%d rows at %.0f rows/s took %v, less than %v", bfRows, b.RowsPerSecond, took, least)
		}

		b = bfScore
		b.Pause = time.Minute
		chain = bfChain(true, b)
		d = bfDB(t, dl, chain)
		ctx, signal := context.WithCancel(context.Background())
		defer signal()
		p := &signalOnProgress{signal: signal}
		err := bfRun(ctx, d, chain, p)
		var stopped *InterruptedError
		if !errors.As(err, &stopped) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want the run's InterruptedError", err)
		}
		requireBfRecords(t, d, 1)
	})
}

// signalOnProgress cancels the run at the first progress report: during
// the pause after the first batch.
type signalOnProgress struct {
	progressLog
	signal func()
}

func (s *signalOnProgress) Progress(r StepResult, done, total int64) { s.signal() }

// TestOnlineFillInBatches: an online step adding a column with a fill
// fills it in batches (more rows than a batch: several UPDATEs, each a
// key range) rather than one UPDATE of every row.
func TestOnlineFillInBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("more rows than a batch: not in -short")
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		to := bfItem.With(dialect.Column{Name: "twice", Type: dialect.BigInt, NotNull: true, Default: "0"})
		chain := bfChain(true, bfScore)
		chain[1].Up = func(m *dialect.Migrator) error {
			return m.AlterTable(bfItem, to, dialect.Fill{Column: "twice", Expr: "n * 2"})
		}
		chain[1].Down = func(m *dialect.Migrator) error { return m.AlterTable(to, bfItem) }
		d := bfDB(t, dl, chain)
		more := make([]string, 0, dialect.BatchSize)
		for k := bfRows + 1; k <= dialect.BatchSize+bfRows; k++ {
			more = append(more, fmt.Sprintf("(%d, %d)", k, k))
		}
		for i := 0; i < len(more); i += 1000 {
			if err := d.DB.Exec("INSERT INTO bf_item (id, n) VALUES " + strings.Join(more[i:min(i+1000, len(more))], ", ")).Error; err != nil {
				t.Fatal(err)
			}
		}
		var stmts statements
		if err := bfRun(stmts.hook(context.Background()), d, chain, nil); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := d.DB.Raw("SELECT count(*) FROM bf_item WHERE twice = n * 2").Scan(&n).Error; err != nil || n != bfRows+dialect.BatchSize {
			t.Fatalf("%d rows filled (%v), want %d", n, err, bfRows+dialect.BatchSize)
		}
		if dl == "sqlite" {
			return // no online forms: one UPDATE in the step's transaction
		}
		if u := stmts.updates(); u < 2 {
			t.Errorf("%d UPDATEs of bf_item, want the fill in batches", u)
		}
		stmts.require(t, "online fill", " <= ?")
	})
}
