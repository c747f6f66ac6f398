// Command schemabench measures the migration chain the way docs/BENCHMARKS.md
// reports it: the data steps on large tables, and whole runs from empty.
//
// For a data step it creates a fresh database, migrates it to the step's
// previous revision, seeds rows, then runs the real `schema` binary as a
// child process for the step's up and its down, reporting each child's wall
// time and peak resident memory (the kernel's max RSS of that process, so
// seeding does not count). Seeding uses multi-row inserts in batches.
//
//	go run ./cmd/schemabench -dialect sqlite -rows 1000000 -steps 1af9b942657b
//	go run ./cmd/schemabench -dialect postgres -rows 100000
//	go run ./cmd/schemabench -whole-up -runs 20
//	go run ./cmd/schemabench -copy-seed 100000 -out /tmp/owui-100k.db
//
// -copy-seed writes an Open WebUI-shaped SQLite database at head for N
// chats (see copyseed.go), what scripts/bench-copy.sh measures `schema
// copy` and its hand-written floors on.
//
// PostgreSQL and MySQL servers come from SCHEMA_TEST_POSTGRES_URL and
// SCHEMA_TEST_MYSQL_URL (defaults: the local test servers); scratch
// databases are created beside the one named and dropped afterwards.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "schemabench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		dialectName = flag.String("dialect", "sqlite", "sqlite, postgres or mysql")
		rows        = flag.Int("rows", 100000, "rows to seed for each data step")
		stepList    = flag.String("steps", "", "comma-separated data step IDs (default: all data steps)")
		wholeUp     = flag.Bool("whole-up", false, "time `schema up` on a fresh database instead, -runs times")
		runs        = flag.Int("runs", 10, "runs for -whole-up")
		schemaBin   = flag.String("schema", "", "schema binary to run (default: build ./cmd/schema)")
		cpuProfile  = flag.String("cpuprofile", "", "run each step's up in this process and write a CPU profile here (no child process, no peak memory)")
		copyChats   = flag.Int("copy-seed", 0, "write an Open WebUI-shaped SQLite database at head with this many chats to -out, and stop")
		out         = flag.String("out", "", "the SQLite file -copy-seed writes (must not exist)")
		seed        = flag.Uint64("seed", 1, "random seed for -copy-seed")
	)
	flag.Parse()
	ctx := context.Background()
	if *copyChats > 0 {
		if *out == "" {
			return errors.New("-copy-seed needs -out FILE")
		}
		return copySeed(ctx, *out, *copyChats, *seed)
	}
	bin := *schemaBin
	if bin == "" {
		dir, err := os.MkdirTemp("", "schemabench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "schema")
		build := exec.Command("go", "build", "-o", bin, "./cmd/schema")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build the schema command: %w", err)
		}
	}
	if *wholeUp {
		return benchWholeUp(ctx, bin, *dialectName, *runs)
	}
	steps := dataSteps
	if *stepList != "" {
		steps = nil
		for _, id := range strings.Split(*stepList, ",") {
			s, ok := findStep(id)
			if !ok {
				return fmt.Errorf("no seeder for step %q; data steps: %v", id, stepIDs())
			}
			steps = append(steps, s)
		}
	}
	fmt.Printf("| dialect | step | rows | up s | up peak MB | down s | down peak MB |\n|---|---|---|---|---|---|---|\n")
	for _, s := range steps {
		if err := benchStep(ctx, bin, *dialectName, s, *rows, *cpuProfile); err != nil {
			return fmt.Errorf("step %s: %w", s.id, err)
		}
	}
	return nil
}

// benchPrefix names the databases (and SQLite folders) the benchmark makes,
// as dialect.NewScratchName spells them, so that those of an interrupted
// run are recognised and dropped by the next once they are an hour old
// and unused.
const benchPrefix = "schemabench"

// scratchURL creates an empty database and returns its URL and a cleanup.
func scratchURL(ctx context.Context, dialectName string) (string, func(), error) {
	server := "sqlite://"
	if dialectName != "sqlite" {
		env := map[string]string{"postgres": "SCHEMA_TEST_POSTGRES_URL", "mysql": "SCHEMA_TEST_MYSQL_URL"}[dialectName]
		def := map[string]string{"postgres": "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "mysql": "mysql://root@127.0.0.1:3306/test"}[dialectName]
		if env == "" {
			return "", nil, fmt.Errorf("unknown dialect %q", dialectName)
		}
		if server = os.Getenv(env); server == "" {
			server = def
		}
	}
	admin, err := db.Open(ctx, server)
	if err != nil {
		return "", nil, err
	}
	target, err := dialect.Parse(server)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	if err := dialect.RemoveStaleSiblings(ctx, admin.DB, target, benchPrefix, time.Hour); err != nil {
		fmt.Fprintln(os.Stderr, "schemabench: stale databases of earlier runs:", err)
	}
	sib, err := dialect.NewSibling(ctx, admin.DB, target, benchPrefix, "bench.db")
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	cleanup := func() { sib.Drop(context.WithoutCancel(ctx)); admin.Close() }
	u, err := sib.Target.URL()
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return u, cleanup, nil
}

// measured runs the schema binary and returns its wall time and peak RSS.
func measured(bin, url string, args ...string) (time.Duration, int64, error) {
	cmd := exec.Command(bin, append([]string{"--database-url", url}, args...)...)
	cmd.Stderr = os.Stderr
	var out strings.Builder
	cmd.Stdout = &out
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("schema %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return elapsed, 0, errors.New("no resource usage for the child process")
	}
	return elapsed, ru.Maxrss * 1024, nil // Linux reports kilobytes
}

func benchStep(ctx context.Context, bin, dialectName string, s seedStep, rows int, cpuProfile string) error {
	url, cleanup, err := scratchURL(ctx, dialectName)
	if err != nil {
		return err
	}
	defer cleanup()
	d, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer d.Close()
	before, err := previous(s.id)
	if err != nil {
		return err
	}
	if _, err := d.Up(ctx, before, db.Options{}); err != nil {
		return err
	}
	t0 := time.Now()
	if err := s.seed(d.DB, rows); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(os.Stderr, "seeded %d rows for %s on %s in %s\n", rows, s.id, dialectName, time.Since(t0).Round(time.Millisecond))
	if err := settle(d.DB, dialectName); err != nil {
		return err
	}
	if cpuProfile != "" {
		return profiledUp(ctx, d, s, cpuProfile)
	}
	upTime, upRSS, err := measured(bin, url, "up", "--to", s.id)
	if err != nil {
		return err
	}
	downTime, downRSS, err := measured(bin, url, "down")
	if err != nil {
		return err
	}
	fmt.Printf("| %s | %s %s | %d | %.1f | %.0f | %.1f | %.0f |\n", dialectName, s.id, s.name, rows,
		upTime.Seconds(), float64(upRSS)/(1<<20), downTime.Seconds(), float64(downRSS)/(1<<20))
	return nil
}

// settle brings freshly seeded tables to the state a live database is in.
// On PostgreSQL that is after autovacuum: without VACUUM ANALYZE the step
// would pay for the seed's first reads (hint bits, no visibility map) and
// plan without statistics, as no production database of this size does.
// SQLite and MariaDB need nothing (InnoDB keeps its statistics itself).
func settle(g *gorm.DB, dialectName string) error {
	if dialectName != "postgres" {
		return nil
	}
	if err := g.Exec("VACUUM ANALYZE").Error; err != nil {
		return fmt.Errorf("vacuum the seeded database: %w", err)
	}
	return nil
}

func benchWholeUp(ctx context.Context, bin, dialectName string, runs int) error {
	var times []time.Duration
	var peak int64
	for range runs {
		url, cleanup, err := scratchURL(ctx, dialectName)
		if err != nil {
			return err
		}
		elapsed, rss, err := measured(bin, url, "up")
		cleanup()
		if err != nil {
			return err
		}
		times = append(times, elapsed)
		peak = max(peak, rss)
	}
	slices.Sort(times)
	fmt.Printf("whole `schema up` from empty on %s, %d runs: median %s, min %s, max %s, peak RSS %.0f MB\n",
		dialectName, runs, times[len(times)/2].Round(100*time.Microsecond), times[0].Round(100*time.Microsecond),
		times[len(times)-1].Round(100*time.Microsecond), float64(peak)/(1<<20))
	return nil
}

// insertBatches inserts n generated rows in multi-row statements inside
// transactions of batch rows.
func insertBatches(g *gorm.DB, table string, cols []dialect.Column, n, batch int, row func(i int) []any) error {
	return g.Connection(func(conn *gorm.DB) error {
		for start := 0; start < n; start += batch * 10 {
			err := conn.Transaction(func(tx *gorm.DB) error {
				m, err := dialect.NewMigrator(tx)
				if err != nil {
					return err
				}
				for s := start; s < min(start+batch*10, n); s += batch {
					var rows [][]any
					for i := s; i < min(s+batch, n); i++ {
						rows = append(rows, row(i))
					}
					if err := m.InsertRows(table, cols, rows, dialect.Conflict{}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// profiledUp applies the step in this process under the CPU profiler.
func profiledUp(ctx context.Context, d *db.Database, s seedStep, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	_, err = d.Up(ctx, s.id, db.Options{})
	pprof.StopCPUProfile()
	fmt.Fprintf(os.Stderr, "%s up in process: %s (profile in %s)\n", s.id, time.Since(start).Round(time.Millisecond), path)
	return err
}
