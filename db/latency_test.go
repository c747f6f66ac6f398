package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/internal/testkit/worked"
	"github.com/openwebui-go/schema/migrations"
)

// The latency harness: a step adds an index and a NOT NULL column with a
// default to chat while a writer (an insert and an update per round) and
// a reader (a lookup by key) keep working on their own connections, and
// the worst latency of the operations that overlapped the migration is
// measured. The same change runs online (Step.Online) and the blocking
// way; and, with another session holding a transaction open on chat, with
// the run's short DDL lock wait and with an unbounded one (the lock-queue
// outage).
//
// TestMigrationLatency runs it small in the suite and asserts outcomes
// only; BenchmarkMigrationLatency runs it at SCHEMA_BENCH_CHATS rows for
// docs/BENCHMARKS.md.

// latencyStepID is the revision of the harness's step, after the chain's
// HEAD.
const latencyStepID = "0a11cea7e1c4"

type latencyCase struct {
	name   string
	online bool
	// blockFor, if set, is how long another session keeps a transaction
	// open on chat once the migration has started waiting.
	blockFor time.Duration
	lockWait time.Duration // Options.DDLLockWait (0: the default)
}

var latencyCases = []latencyCase{
	{name: "online", online: true},
	{name: "blocking", online: false},
	{name: "blocker_short_wait", online: true, blockFor: 6 * time.Second},
	{name: "blocker_unbounded_wait", online: true, blockFor: 6 * time.Second, lockWait: time.Hour},
}

// opStats are the latencies of one worker's operations that overlapped
// the migration.
type opStats struct {
	n        int
	max, p99 time.Duration
	errs     []string
}

func (s opStats) String() string {
	return fmt.Sprintf("%d ops, worst %s, p99 %s", s.n, s.max.Round(time.Millisecond), s.p99.Round(time.Millisecond))
}

type latencyResult struct {
	migration      time.Duration
	writer, reader opStats
	rowsAfter      int64
	retried        bool
}

type timedOp struct {
	start, end time.Time
	err        error
}

// latencyChain is the chain with one more step that adds an index and a
// defaulted NOT NULL column to chat at HEAD.
func latencyChain(t testing.TB, online bool) []migrations.Step {
	t.Helper()
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := ShapesAt(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := worked.ChatIndexAndScore(chain, shapes, latencyStepID, online)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// seedChats inserts n chats in multi-row inserts of 500.
func seedChats(t testing.TB, d *Database, n int) {
	t.Helper()
	const batch = 500
	payload := `{"title":"t","messages":[{"role":"user","content":"` + strings.Repeat("x", 160) + `"}]}`
	cols := "(id, user_id, chat, created_at, updated_at, title, pinned, archived)"
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		var b strings.Builder
		args := make([]any, 0, (hi-lo)*8)
		for i := lo; i < hi; i++ {
			if i > lo {
				b.WriteString(",")
			}
			b.WriteString("(?,?,?,?,?,?,?,?)")
			args = append(args, chatKey(i), fmt.Sprintf("u%04d", i%1000), payload, int64(1700000000+i), int64(1700000000+i), "chat "+strconv.Itoa(i), false, false)
		}
		if err := d.DB.Exec("INSERT INTO chat "+cols+" VALUES "+b.String(), args...).Error; err != nil {
			t.Fatalf("seed chats %d-%d: %v", lo, hi, err)
		}
	}
}

func chatKey(i int) string { return fmt.Sprintf("c%08d", i) }

// runLatency builds a database at HEAD with chats rows and runs the case:
// the workers start, the harness's step runs (with a blocker first, if the
// case has one), the workers stop.
func runLatency(t testing.TB, dl string, chats int, c latencyCase) latencyResult {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, testdb.URL(t, dl))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Up(ctx, "", Options{}); err != nil {
		t.Fatal(err)
	}
	seedChats(t, d, chats)
	chain := latencyChain(t, c.online)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes, reads []timedOp
	var inserted int
	wg.Add(2)
	go worker(stop, &wg, &writes, func(r *rand.Rand) error {
		inserted++
		now := time.Now().Unix()
		if err := d.DB.Exec("INSERT INTO chat (id, user_id, chat, created_at, updated_at, title, pinned, archived) VALUES (?,?,?,?,?,?,?,?)",
			fmt.Sprintf("w%08d", inserted), "u0001", `{"title":"w"}`, now, now, "written", false, false).Error; err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		return d.DB.Exec("UPDATE chat SET updated_at = ? WHERE id = ?", now, chatKey(r.IntN(chats))).Error
	})
	go worker(stop, &wg, &reads, func(r *rand.Rand) error {
		var title string
		return d.DB.Raw("SELECT title FROM chat WHERE id = ?", chatKey(r.IntN(chats))).Row().Scan(&title)
	})
	time.Sleep(200 * time.Millisecond) // the workers are running

	var blockerDone chan error
	if c.blockFor > 0 {
		blockerDone = holdChat(t, d, c.blockFor)
	}
	opt := Options{DDLLockWait: c.lockWait}
	var retried bool
	opt.Reporter = noticeFunc(func(msg string) {
		if strings.Contains(msg, "lock") {
			retried = true
		}
	})
	start := time.Now()
	lctx := context.WithValue(ctx, learningTables{}, true)
	_, runErr := d.run(lctx, opt, chain, func(st state) (goal, error) {
		return goal{up: true, target: len(chain)}, nil
	})
	end := time.Now()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if blockerDone != nil {
		if err := <-blockerDone; err != nil {
			t.Fatalf("the blocking session: %v", err)
		}
	}
	if runErr != nil {
		t.Fatalf("%s: the step failed: %v", c.name, runErr)
	}
	res := latencyResult{migration: end.Sub(start), writer: overlapping(writes, start, end), reader: overlapping(reads, start, end), retried: retried}
	if err := d.DB.Raw("SELECT count(*) FROM chat").Row().Scan(&res.rowsAfter); err != nil {
		t.Fatal(err)
	}
	if want := int64(chats + inserted); res.rowsAfter != want && res.writer.errs == nil {
		t.Errorf("%s: chat has %d rows after the migration, want %d (%d seeded + %d written)", c.name, res.rowsAfter, want, chats, inserted)
	}
	return res
}

// holdChat opens a transaction on another connection that reads chat, so
// that a schema change of chat must wait for it, and ends it after hold.
func holdChat(t testing.TB, d *Database, hold time.Duration) chan error {
	t.Helper()
	tx := d.DB.Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	var n int64
	if err := tx.Raw("SELECT count(*) FROM chat WHERE id = ?", chatKey(0)).Row().Scan(&n); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		time.Sleep(hold)
		done <- tx.Commit().Error
	}()
	return done
}

type noticeFunc func(string)

func (f noticeFunc) StepStarted(StepResult)            {}
func (f noticeFunc) Notice(_ StepResult, msg string)   { f(msg) }
func (f noticeFunc) Progress(StepResult, int64, int64) {}

// percentile99 of sorted durations.
func percentile99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, len(ds)*99/100)]
}

func overlapping(ops []timedOp, from, to time.Time) opStats {
	var s opStats
	var ds []time.Duration
	for _, o := range ops {
		if o.err != nil {
			s.errs = append(s.errs, o.err.Error())
			continue
		}
		if o.start.Before(to) && o.end.After(from) {
			ds = append(ds, o.end.Sub(o.start))
		}
	}
	s.n = len(ds)
	if len(ds) > 0 {
		s.p99 = percentile99(ds)
		s.max = ds[len(ds)-1]
	}
	return s
}

// worker runs op until stop is closed, timing each call.
func worker(stop <-chan struct{}, wg *sync.WaitGroup, out *[]timedOp, op func(r *rand.Rand) error) {
	defer wg.Done()
	r := rand.New(rand.NewPCG(1, 2))
	for {
		select {
		case <-stop:
			return
		default:
		}
		start := time.Now()
		err := op(r)
		*out = append(*out, timedOp{start: start, end: time.Now(), err: err})
		if err != nil {
			return
		}
	}
}

// TestMigrationLatency runs every case on a small chat table on PostgreSQL
// and MariaDB (SQLite has one writer: a migration holds the database's
// write lock whatever it does) and checks outcomes, not timings: the step
// is applied, the workers ran without an error while it ran and none of
// their rows was lost, and a step that met a blocker retried.
func TestMigrationLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds chats and runs a migration under load")
	}
	for _, dl := range []string{"postgres", "mysql"} {
		t.Run(dl, func(t *testing.T) {
			t.Parallel()
			for _, c := range latencyCases {
				if c.lockWait > 0 {
					continue // waits out the whole blocker: the benchmark's
				}
				t.Run(c.name, func(t *testing.T) {
					c.blockFor = min(c.blockFor, 3*time.Second)
					res := runLatency(t, dl, 2000, c)
					for name, s := range map[string]opStats{"writer": res.writer, "reader": res.reader} {
						if len(s.errs) > 0 {
							t.Errorf("the %s failed during the migration: %v", name, s.errs)
						}
						if s.n == 0 {
							t.Errorf("the %s completed no operation while the migration ran", name)
						}
					}
					if c.blockFor > 0 && !res.retried {
						t.Errorf("the step met a session holding chat but reported no lock wait")
					}
					t.Logf("%s/%s: migration %s; writer %s; reader %s", dl, c.name, res.migration.Round(time.Millisecond), res.writer, res.reader)
				})
			}
		})
	}
}

// BenchmarkMigrationLatency measures every case at SCHEMA_BENCH_CHATS
// chats (default 300000) on the dialects of SCHEMA_BENCH_DIALECTS
// (default "postgres,mysql"), for the cases named in SCHEMA_BENCH_CASES
// (default all), reporting the migration's duration and the
// worst and 99th-percentile latency of the writer and the reader during
// it:
//
//	go test ./db -run '^$' -bench MigrationLatency -benchtime 1x -timeout 60m
func BenchmarkMigrationLatency(b *testing.B) {
	chats := 300000
	if v := os.Getenv("SCHEMA_BENCH_CHATS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("SCHEMA_BENCH_CHATS=%q: want a positive number", v)
		}
		chats = n
	}
	dialects := []string{"postgres", "mysql"}
	if v := os.Getenv("SCHEMA_BENCH_DIALECTS"); v != "" {
		dialects = strings.Split(v, ",")
	}
	var only []string // SCHEMA_BENCH_CASES: some cases only, by name
	if v := os.Getenv("SCHEMA_BENCH_CASES"); v != "" {
		only = strings.Split(v, ",")
	}
	for _, dl := range dialects {
		for _, c := range latencyCases {
			if only != nil && !slices.Contains(only, c.name) {
				continue
			}
			b.Run(dl+"/"+c.name, func(b *testing.B) {
				for range b.N {
					res := runLatency(b, dl, chats, c)
					b.ReportMetric(res.migration.Seconds(), "migration-s")
					b.ReportMetric(float64(res.writer.max.Milliseconds()), "writer-worst-ms")
					b.ReportMetric(float64(res.writer.p99.Milliseconds()), "writer-p99-ms")
					b.ReportMetric(float64(res.reader.max.Milliseconds()), "reader-worst-ms")
					b.ReportMetric(float64(res.reader.p99.Milliseconds()), "reader-p99-ms")
					if errs := append(res.writer.errs, res.reader.errs...); len(errs) > 0 {
						b.Logf("worker errors: %v", errs)
					}
				}
			})
		}
	}
}
