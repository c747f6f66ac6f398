package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/fault"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// faultSteps are the steps whose work moves rows, on at least one dialect:
// the ones a signal or a kill halfway through could leave with rows lost,
// doubled or half-converted.
var faultSteps = map[string]string{
	"4ace53fd72c8": "folder times: epoch seconds to timestamps and back",
	"d31026856c01": "folder.items to chat.folder_id and back",
	"1af9b942657b": "chat payload tags to tag and chat_tag and back",
	"3ab32c4b8f59": "tags made per user, rekeyed",
	"c29facfe716b": "file paths to URIs and back",
	"7826ab40b532": "file size and mime type from meta",
	"c0fbf31ca0db": "file processed from meta",
	"57c599a3cb57": "message rebuilt with channel columns (SQLite copies its rows)",
	"e223b100ad81": "token groups get the schedule they had",
}

// faultReadsStep is the step whose runs also get SIGINT or SIGTERM before
// every probe of the records table (does it exist, has it this column):
// what a run does follows from the answers, GORM's HasTable and HasColumn
// answer no when the query fails, and a probe the signal cancelled must
// not be taken for a no. The probes are the same for every step, so one
// step has them.
const faultReadsStep = "4ace53fd72c8"

// Fault points per step and direction (see faultCases): SIGKILL before the
// first statement, before this many writes spread over the run (the last
// included) and after its last statement; SIGINT and SIGTERM each before
// this many statements.
const (
	faultKillPoints   = 4
	faultSignalPoints = 2
)

// TestFaultInjection interrupts the real schema command, built with the
// fault seam (internal/fault, -tags faultinject), with SIGINT, SIGTERM and
// SIGKILL at statements spread over each data step, up and down, on every
// dialect, then runs the command again without the fault. The rerun must
// leave the schema, every table's rows and the records exactly as an
// uninterrupted run does, with the step recorded once (or not at all after
// a down). In between, the interrupted run must have been honest: what it
// printed as applied is applied, its message says what became of the step
// in flight and where the database is, and where steps run in a
// transaction (SQLite, PostgreSQL) the database is exactly as before the
// step or exactly as after it, never in between.
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault suite runs the command a few hundred times")
	}
	bin := buildSchemaTags(t, "faultinject")
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	for id := range faultSteps {
		migtest.Step(t, id) // every listed step exists
	}
	var total atomic.Int64
	t.Cleanup(func() { t.Logf("%d fault cases ran", total.Load()) })
	testdb.Each(t, func(t *testing.T, dialectName string) {
		start, cases := time.Now(), 0
		var d *migtest.DB
		var url string
		fresh := func(t *testing.T) {
			url = testdb.URL(t, dialectName)
			d = migtest.Open(t, dialectName, url)
		}
		fresh(t)
		for _, s := range chain {
			if faultSteps[s.ID] == "" {
				walkTo(d, chain, s.ID)
				continue
			}
			entered, finished := false, false
			t.Run(s.ID+"_"+s.Name, func(t *testing.T) {
				entered = true
				f := &faultStep{t: t, bin: bin, dir: t.TempDir(), url: url, d: d, step: s, cases: &cases}
				d.T = t
				f.run()
				finished = true
			})
			d.T = t
			if !entered { // left out by -run
				walkTo(d, chain, s.ID)
				continue
			}
			if !finished || d.Current() != s.ID {
				// Whatever a case that could not be recovered from left,
				// the next steps start on a database of their own.
				fresh(t)
				walkTo(d, chain, s.ID)
				continue
			}
			if seed := fixtures.SeedAfter[s.ID]; seed != nil {
				seed(d)
			}
		}
		total.Add(int64(cases))
		t.Logf("%s: %d fault cases in %s", dialectName, cases, time.Since(start).Round(time.Second))
	})
}

// walkTo brings d from where it is up to rev, one step at a time, seeding
// each step's fixtures (seedAfter) once it is applied.
func walkTo(d *migtest.DB, chain []migrations.Step, rev string) {
	d.T.Helper()
	if rev == "" {
		return
	}
	cur := d.Current()
	applied := cur == ""
	for _, s := range chain {
		if applied {
			d.UpTo(s.ID)
			if seed := fixtures.SeedAfter[s.ID]; seed != nil {
				seed(d)
			}
		}
		if s.ID == cur {
			applied = true
		}
		if s.ID == rev {
			return
		}
	}
}

// faultStep runs the fault cases of one step on one database, which is at
// the step's previous revision with fixtures when it starts and at the
// step when it ends.
type faultStep struct {
	t     *testing.T
	bin   string
	dir   string
	url   string
	d     *migtest.DB
	step  migrations.Step
	cases *int // fault cases run, on this dialect

	before, after faultState // the database before the step and after it
}

// faultState is what a run must leave exactly as an uninterrupted run does.
type faultState struct {
	schema  *snapshot.Snapshot
	rows    map[string][]string
	records []string // schema_migrations, without the times
}

func (f *faultStep) state() faultState {
	f.t.Helper()
	snap := f.d.Snapshot()
	return faultState{schema: snap, rows: f.d.DumpOf(snap), records: f.records()}
}

// records reads schema_migrations, every column but applied_at, sorted.
func (f *faultStep) records() []string {
	f.t.Helper()
	rows, err := f.d.G.Raw("SELECT * FROM " + f.d.Q(db.MigrationsTable)).Rows()
	if err != nil {
		f.t.Fatalf("read %s: %v", db.MigrationsTable, err)
	}
	cols, vals := migtest.NullStrings(f.t, "read "+db.MigrationsTable, rows)
	var out []string
	for _, row := range vals {
		var fields []string
		for i, c := range cols {
			if c != "applied_at" {
				fields = append(fields, fmt.Sprintf("%s=%q", c, row[i].String))
			}
		}
		out = append(out, strings.Join(fields, " "))
	}
	slices.Sort(out)
	return out
}

// diff lists how got differs from want (nothing when they are the same).
func (want faultState) diff(got faultState, wantName, gotName string) []string {
	var out []string
	for _, d := range snapshot.Compare(want.schema, got.schema, wantName, gotName) {
		out = append(out, "schema: "+d.String())
	}
	out = append(out, linesDiff("records", want.records, got.records, wantName, gotName)...)
	tables := map[string]bool{}
	for k := range want.rows {
		tables[k] = true
	}
	for k := range got.rows {
		tables[k] = true
	}
	for _, table := range slices.Sorted(func(yield func(string) bool) {
		for k := range tables {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, linesDiff(table, want.rows[table], got.rows[table], wantName, gotName)...)
	}
	if len(out) > 30 {
		out = append(out[:30], fmt.Sprintf("... and %d more", len(out)-30))
	}
	return out
}

func linesDiff(what string, want, got []string, wantName, gotName string) []string {
	var out []string
	for _, l := range want {
		if !slices.Contains(got, l) {
			out = append(out, fmt.Sprintf("%s: only %s: %s", what, wantName, l))
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			out = append(out, fmt.Sprintf("%s: only %s: %s", what, gotName, l))
		}
	}
	if len(out) == 0 && len(want) != len(got) {
		out = append(out, fmt.Sprintf("%s: %d rows %s, %d %s (repeated rows)", what, len(want), wantName, len(got), gotName))
	}
	return out
}

// faultCase is one interrupted run: before statement n of the run (after
// it, with after), the process gets sig.
type faultCase struct {
	up    bool
	n     int
	after bool
	sig   syscall.Signal
}

func (c faultCase) env() string {
	plus := ""
	if c.after {
		plus = "+"
	}
	return fmt.Sprintf("%s=%d%s:%s", fault.EnvFault, c.n, plus, sigName(c.sig))
}

// name is the case's subtest name: up_SIGKILL_before_12.
func (c faultCase) name() string {
	return strings.ReplaceAll(strings.ReplaceAll(c.String(), ",", ""), " statement", "")
}

func (c faultCase) String() string {
	dir, where := "down", "before"
	if c.up {
		dir = "up"
	}
	if c.after {
		where = "after"
	}
	return fmt.Sprintf("%s, %s %s statement %d", dir, sigName(c.sig), where, c.n)
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return "SIGKILL"
}

// schemaRun is one run of the command.
type schemaRun struct {
	args           []string
	env            []string
	code           int
	signal         syscall.Signal // what killed it, if a signal did
	stdout, stderr string
}

func (r schemaRun) String() string {
	end := fmt.Sprintf("exit %d", r.code)
	if r.signal != 0 {
		end = "killed by " + sigName(r.signal)
	}
	return fmt.Sprintf("%s schema %s: %s\nstdout:\n%sstderr:\n%s", strings.Join(r.env, " "), strings.Join(r.args, " "), end, r.stdout, r.stderr)
}

// schema runs the command on the step's database, with env added.
func (f *faultStep) schema(env []string, args ...string) schemaRun {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, args...)
	cmd.Dir = f.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "SCHEMA_FAULT") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "DATABASE_URL="+f.url), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := schemaRun{args: args, env: env, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal()
		}
	default:
		f.t.Fatalf("run schema %v: %v", args, err)
	}
	if ctx.Err() != nil {
		f.t.Fatalf("schema %v did not end within 2 minutes:\n%s", args, r)
	}
	return r
}

// upArgs and downArgs move the database over the step, as a user would.
func (f *faultStep) upArgs() []string { return []string{"up", "--to", f.step.ID} }
func (f *faultStep) downArgs() []string {
	return []string{"down", "--to", f.step.Revises}
}

// clean runs the step one way without a fault and returns the statements
// it ran, as the fault seam traced them (statement n is [n-1]).
func (f *faultStep) clean(up bool) []string {
	f.t.Helper()
	trace := fmt.Sprintf("%s/trace-%d", f.dir, time.Now().UnixNano())
	args := f.downArgs()
	if up {
		args = f.upArgs()
	}
	r := f.schema([]string{fault.EnvTrace + "=" + trace}, args...)
	if r.code != 0 || r.stderr != "" {
		f.t.Fatalf("uninterrupted run failed:\n%s", r)
	}
	f.requireSteps(r, up, true)
	b, err := os.ReadFile(trace)
	if err != nil {
		f.t.Fatalf("the fault seam wrote no trace (%v): is the binary built with -tags faultinject?", err)
	}
	var stmts []string
	for i, l := range cliLines(string(b)) {
		n, sql, _ := strings.Cut(l, "\t")
		if n != strconv.Itoa(i+1) {
			f.t.Fatalf("trace line %d is %q: statements out of order", i+1, l)
		}
		stmts = append(stmts, sql)
	}
	if len(stmts) == 0 {
		f.t.Fatal("the fault seam traced no statement")
	}
	return stmts
}

// stepLine is how the command reports the step done.
func (f *faultStep) stepLine(up bool) string {
	verb := "rolled back"
	if up {
		verb = "applied"
	}
	return fmt.Sprintf("%s %s %s (", verb, f.step.ID, f.step.Name)
}

// printedStep reports whether r printed the step done; any other step
// line, or the step twice, fails the test.
func (f *faultStep) printedStep(r schemaRun, up bool) bool {
	f.t.Helper()
	n := 0
	for _, l := range cliLines(r.stdout) {
		switch {
		case strings.HasPrefix(l, f.stepLine(up)):
			n++
		case strings.HasPrefix(l, "applied ") || strings.HasPrefix(l, "rolled back "):
			f.t.Fatalf("a step other than %s reported:\n%s", f.step.ID, r)
		}
	}
	if n > 1 {
		f.t.Fatalf("step %s reported twice:\n%s", f.step.ID, r)
	}
	return n == 1
}

func (f *faultStep) requireSteps(r schemaRun, up, want bool) {
	f.t.Helper()
	if got := f.printedStep(r, up); got != want {
		f.t.Fatalf("step %s reported done: %v, want %v\n%s", f.step.ID, got, want, r)
	}
}

// run tries the step's fault cases. It returns (rather than stopping the
// test) with the database after the step, unless a case failed in a way
// that left it elsewhere.
func (f *faultStep) run() {
	t := f.t
	t.Helper()
	f.before = f.state()
	upRun := f.clean(true)
	f.after = f.state()
	if diffs := f.before.diff(f.after, "before", "after"); len(diffs) == 0 {
		t.Fatalf("step %s changed nothing: no fixtures for it?", f.step.ID)
	}
	downRun := f.clean(false)
	if diffs := f.before.diff(f.state(), "before the step", "after it and a clean down"); len(diffs) > 0 {
		t.Fatalf("an uninterrupted up and down does not restore the fixtures, which the fault cases rely on:\n  %s", strings.Join(diffs, "\n  "))
	}
	reads := f.step.ID == faultReadsStep
	ups, downs := faultCases(true, upRun, reads), faultCases(false, downRun, reads)
	t.Logf("%d statements up, %d down: %d fault cases", len(upRun), len(downRun), len(ups)+len(downs))
	// Up cases start before the step and end after it, down cases the
	// other way round: alternate them, moving the database in between
	// only when one kind runs out. Each case is a subtest, so that one
	// can be run alone (-run). A failed case ends the step's cases only
	// if the database cannot be brought back to where it should be.
	atBefore := true
	for len(ups) > 0 || len(downs) > 0 {
		var c faultCase
		switch {
		case atBefore && len(ups) > 0, !atBefore && len(downs) == 0:
			c, ups = ups[0], ups[1:]
		default:
			c, downs = downs[0], downs[1:]
		}
		started := false
		ok := t.Run(c.name(), func(ct *testing.T) {
			f.t, f.d.T = ct, ct
			defer func() { f.t, f.d.T = t, t }()
			started = true
			if c.up != atBefore {
				f.move(!c.up) // down to before an up case, up to after a down case
				atBefore = c.up
			}
			f.runCase(c)
			atBefore = !c.up
		})
		if started {
			*f.cases++
		}
		if !ok {
			// The failure is reported; the remaining cases still run if
			// the database can be brought to where the case should have
			// left it.
			atBefore = !c.up
			if !f.recover(atBefore) {
				t.FailNow()
			}
		}
	}
	if atBefore {
		f.move(true)
	}
}

// recover brings the database, after a failed case, before the step (or
// after it) in process, and reports whether it is then exactly as it
// should be there.
func (f *faultStep) recover(before bool) bool {
	f.t.Helper()
	ctx := context.Background()
	var err error
	want := f.after
	if before {
		want = f.before
		_, err = f.d.Runner.Down(ctx, db.DownRequest{To: f.step.Revises}, db.Options{})
	} else {
		_, err = f.d.Runner.Up(ctx, f.step.ID, db.Options{})
	}
	if err != nil {
		f.t.Logf("after the failed case, the database could not be brought back (%v): the step's remaining cases are skipped", err)
		return false
	}
	if diffs := want.diff(f.state(), "expected", "brought back"); len(diffs) > 0 {
		f.t.Logf("after the failed case, the database could not be brought back:\n  %s\nthe step's remaining cases are skipped", strings.Join(diffs, "\n  "))
		return false
	}
	return true
}

// move applies (or rolls back) the step in process, without a fault.
func (f *faultStep) move(up bool) {
	f.t.Helper()
	ctx := context.Background()
	var err error
	if up {
		_, err = f.d.Runner.Up(ctx, f.step.ID, db.Options{})
	} else {
		_, err = f.d.Runner.Down(ctx, db.DownRequest{To: f.step.Revises}, db.Options{})
	}
	if err != nil {
		f.t.Fatal(err)
	}
}

// faultCases spreads the cases of one direction over the statements of
// its uninterrupted run. The database changes only at writes, so for
// SIGKILL the points that differ are before a write, before the first
// statement and after the last one: SIGKILL goes to the first and the
// last and to faultKillPoints writes spread over the run. SIGINT and
// SIGTERM cancel what runs next, reads too: SIGINT goes before the first
// statement, SIGTERM before the last write (where the run records what it
// did), and both to writes between the SIGKILL points; with reads, also
// before every probe of the records table (isRecordsProbe).
//
// SCHEMA_TEST_FAULT_POINTS=writes tries every signal before every write
// instead, and =all before every statement: minutes per dialect, for a
// deep look rather than for CI.
func faultCases(up bool, run []string, reads bool) []faultCase {
	n := len(run)
	sigs := []syscall.Signal{syscall.SIGKILL, syscall.SIGINT, syscall.SIGTERM}
	var out []faultCase
	var writes []int
	for i, sql := range run {
		if isWrite.MatchString(sql) {
			writes = append(writes, i+1)
		}
	}
	if mode := os.Getenv("SCHEMA_TEST_FAULT_POINTS"); mode == "all" || mode == "writes" {
		points := writes
		if mode == "all" || !slices.Contains(points, 1) {
			points = append([]int{1}, points...)
		}
		if mode == "all" {
			points = nil
			for i := 1; i <= n; i++ {
				points = append(points, i)
			}
		}
		for _, p := range points {
			for _, sig := range sigs {
				out = append(out, faultCase{up: up, n: p, sig: sig})
			}
		}
		for _, sig := range sigs {
			out = append(out, faultCase{up: up, n: n, after: true, sig: sig})
		}
		return out
	}
	kills := spreadOf(writes, faultKillPoints)
	out = append(out, faultCase{up: up, n: 1, sig: syscall.SIGKILL})
	for _, k := range kills {
		if k != 1 {
			out = append(out, faultCase{up: up, n: k, sig: syscall.SIGKILL})
		}
	}
	out = append(out, faultCase{up: up, n: n, after: true, sig: syscall.SIGKILL})
	// SIGINT before the first statement and SIGTERM before the last
	// write (where the run records what it did), and each at writes
	// between the SIGKILL points.
	out = append(out, faultCase{up: up, n: 1, sig: syscall.SIGINT})
	if len(writes) > 0 {
		out = append(out, faultCase{up: up, n: writes[len(writes)-1], sig: syscall.SIGTERM})
	}
	var between []int
	for _, w := range writes {
		if !slices.Contains(kills, w) {
			between = append(between, w)
		}
	}
	if len(between) == 0 {
		between = writes
	}
	for i, m := range spreadOf(between, 2*(faultSignalPoints-1)) {
		sig := syscall.SIGINT
		if i%2 == 1 {
			sig = syscall.SIGTERM
		}
		if c := (faultCase{up: up, n: m, sig: sig}); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if reads {
		i := 0
		for n, sql := range run {
			if !isRecordsProbe.MatchString(sql) {
				continue
			}
			sig := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}[i%2]
			i++
			if c := (faultCase{up: up, n: n + 1, sig: sig}); !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// isRecordsProbe matches a yes-or-no query about the records table, as
// the fault seam traces it (with its arguments), on any dialect.
var isRecordsProbe = regexp.MustCompile(`(?i)^\s*SELECT count\(\*\) FROM .*-- args: \[.*\bschema_migrations\b`)

// isWrite matches a statement that changes the database.
var isWrite = regexp.MustCompile(`(?i)^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|RENAME|TRUNCATE)\b`)

// spreadOf picks k of xs evenly, first and last included (all of them if
// there are no more than k).
func spreadOf(xs []int, k int) []int {
	if len(xs) <= k {
		return xs
	}
	var out []int
	for i := range k {
		x := xs[i*(len(xs)-1)/(k-1)]
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

var isAt = regexp.MustCompile(` is at (\S+)$`)

// runCase runs one fault case, checks what the interrupted run said and
// left, reruns the command and compares the outcome with the clean run's.
func (f *faultStep) runCase(c faultCase) {
	t := f.t
	t.Helper()
	args, start, goal := f.downArgs(), f.after, f.before
	from, to := f.step.ID, f.step.Revises
	if c.up {
		args, start, goal = f.upArgs(), f.before, f.after
		from, to = f.step.Revises, f.step.ID
	}
	r := f.schema([]string{c.env()}, args...)
	report := func(fatal bool, format string, a ...any) {
		t.Helper()
		msg := fmt.Sprintf("%s on %s, step %s (%s): %s\n%s\n(this case alone: go test ./tests -run 'TestFaultInjection/%s/%s_/%s$'; by hand: see DESIGN.md, Fault injection)",
			c, f.d.Dialect, f.step.ID, f.step.Name, fmt.Sprintf(format, a...), r, f.d.Dialect, f.step.ID, strings.ReplaceAll(c.name(), " ", "_"))
		if fatal {
			t.Fatal(msg)
		}
		t.Error(msg)
	}
	// What the database is like after the run is fatal; what the run
	// said about it is not, so that the rerun is still checked.
	fail := func(format string, a ...any) { t.Helper(); report(true, format, a...) }
	complain := func(format string, a ...any) { t.Helper(); report(false, format, a...) }
	printed := f.printedStep(r, c.up)
	cur := f.d.Current()
	if cur != from && cur != to {
		fail("the database is at %s, neither %s nor %s", fixtures.OrBaseRev(cur), fixtures.OrBaseRev(from), fixtures.OrBaseRev(to))
	}
	done := cur == to
	if printed && !done {
		fail("the step was reported done, yet the database is at %s", fixtures.OrBaseRev(cur))
	}
	transactional := f.d.Dialector().RunMode() == dialect.StepTransactions
	switch {
	case c.sig == syscall.SIGKILL:
		if r.signal != syscall.SIGKILL {
			fail("the run was not killed: the fault point was never reached")
		}
	case r.signal != 0:
		fail("%s killed the command instead of stopping it", sigName(c.sig))
	case r.code == 0:
		if !done || !printed || r.stderr != "" {
			fail("exit 0, but the step is not done and reported (done %v, reported %v)", done, printed)
		}
	case r.code == 1:
		f.checkInterrupted(r, c, cur, done, transactional, complain)
	default:
		fail("exit %d, want 0 or 1", r.code)
	}
	// Where each step runs in a transaction, a run that stopped is
	// exactly where it started or exactly at its goal.
	if transactional || done {
		want, name := start, "before the run"
		if done {
			want, name = goal, "after an uninterrupted run"
		}
		got := f.state()
		if !transactional && c.up {
			// On MySQL/MariaDB gormigrate records the step, then the
			// runner its checksum: killed in between, the step is
			// recorded without one, which the next run records (as for
			// a step applied before checksums were recorded).
			unsummed := fmt.Sprintf("id=%q checksum=%q", f.step.ID, "")
			if i := slices.Index(got.records, unsummed); i >= 0 {
				t.Logf("killed between recording step %s and recording its checksum: the rerun must record it", f.step.ID)
				got.records = slices.Clone(got.records)
				got.records[i] = want.records[slices.IndexFunc(want.records, func(r string) bool {
					return strings.HasPrefix(r, fmt.Sprintf("id=%q ", f.step.ID))
				})]
			}
		}
		if diffs := want.diff(got, name, "after the interrupted run"); len(diffs) > 0 {
			fail("the interrupted run left the database neither as it was nor as an uninterrupted run does:\n  %s", strings.Join(diffs, "\n  "))
		}
	}
	// The rerun finishes the job, as if nothing had happened.
	again := f.schema(nil, args...)
	if again.code != 0 || again.stderr != "" {
		fail("the rerun failed:\n%s", again)
	}
	if f.printedStep(again, c.up) == done {
		fail("the rerun reported the step done: %v, but the interrupted run had left it done: %v\n%s", !done, done, again)
	}
	if diffs := goal.diff(f.state(), "after an uninterrupted run", "after the interrupted run and a rerun"); len(diffs) > 0 {
		fail("the rerun does not end where an uninterrupted run does:\n  %s", strings.Join(diffs, "\n  "))
	}
}

// checkInterrupted checks the message of a run stopped by SIGINT or
// SIGTERM: one line saying what became of the step in flight and where the
// database is, which must be where it is.
func (f *faultStep) checkInterrupted(r schemaRun, c faultCase, cur string, done, transactional bool, complain func(string, ...any)) {
	msg := strings.TrimSuffix(r.stderr, "\n")
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "schema: interrupted") {
		complain("exit 1 without one line saying the run was interrupted")
		return
	}
	if m := isAt.FindStringSubmatch(msg); m == nil {
		complain("the message does not say where the database is")
	} else if m[1] != fixtures.OrBaseRev(cur) {
		complain("the message says the database is at %s; it is at %s", m[1], fixtures.OrBaseRev(cur))
	}
	id := fmt.Sprintf("step %s (%s)", f.step.ID, f.step.Name)
	switch {
	case strings.HasPrefix(msg, "schema: interrupted: "+id+" rolled back;"):
		if !c.up || !transactional {
			complain("the message says the step rolled back")
		}
	case strings.HasPrefix(msg, "schema: interrupted: the roll-back of "+id+" was undone, so the step stays applied;"):
		if c.up || !transactional {
			complain("the message says the roll-back was undone")
		}
	case strings.HasPrefix(msg, "schema: interrupted: "+id+" stopped partway"),
		strings.HasPrefix(msg, "schema: interrupted: rolling back "+id+" stopped partway"):
		if transactional {
			complain("the message says the step stopped partway, on a dialect that rolls steps back")
		}
	case strings.HasPrefix(msg, "schema: interrupted: "+id+" had run and is recorded as applied;"),
		strings.HasPrefix(msg, "schema: interrupted: "+id+" had been rolled back and its record removed;"):
		// Only the bookkeeping after the step was cut short (MySQL).
		if transactional {
			complain("the message says the step finished before its bookkeeping, on a dialect whose steps are one transaction")
		}
		if !done {
			complain("the message says step %s is done, but it is not (the database is at %s)", f.step.ID, fixtures.OrBaseRev(cur))
		}
		return
	case strings.HasPrefix(msg, "schema: interrupted between steps;"),
		strings.HasPrefix(msg, "schema: interrupted while waiting for the migration lock;"):
		return // either side of the step: the state checks decide
	default:
		complain("the message does not say what became of the step")
		return
	}
	// The step in flight rolled back, or stopped partway: not done.
	if done {
		complain("the message says step %s did not happen, but it is done (the database is at %s)", f.step.ID, fixtures.OrBaseRev(cur))
	}
}

// TestFaultSeamOffByDefault: the normal build ignores SCHEMA_FAULT, so the
// seam can never fire outside the fault suite.
func TestFaultSeamOffByDefault(t *testing.T) {
	if fault.Enabled {
		t.Fatal("the fault seam is compiled into the normal build")
	}
	url := testdb.URL(t, "sqlite")
	trace := t.TempDir() + "/trace"
	c := newCLI(t, "DATABASE_URL="+url, fault.EnvFault+"=1:SIGKILL", fault.EnvTrace+"="+trace)
	out := c.ok("up", "--to", "242a2047eae0")
	if !strings.Contains(out, "applied 242a2047eae0 ") {
		t.Fatalf("up printed %q", out)
	}
	if _, err := os.Stat(trace); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the normal build wrote a fault trace (%v)", err)
	}
	// And the faultinject build refuses a malformed plan rather than
	// running without the fault it was asked for.
	if testing.Short() {
		return
	}
	bad := &cli{t: t, bin: buildSchemaTags(t, "faultinject"), dir: t.TempDir(), env: []string{"DATABASE_URL=" + url, fault.EnvFault + "=soon:SIGKILL"}}
	bad.run("up").requireExit(t, 1, fault.EnvFault)
}

// TestFaultCases: the points of a run, as the suite picks them without a
// database: SIGKILL before the first statement, before writes spread over
// the run up to the last one, and after the last statement; SIGINT before
// the first statement and SIGTERM before the last write; no case twice.
func TestFaultCases(t *testing.T) {
	t.Setenv("SCHEMA_TEST_FAULT_POINTS", "")
	run := []string{
		"SELECT 1", // 1
		"SELECT count(*) FROM x  -- args: [schema_migrations]", // 2
		"CREATE TABLE a (x int)",                               // 3
		"SELECT 2",                                             // 4
		"INSERT INTO a VALUES (1)",                             // 5
		"UPDATE a SET x = 2",                                   // 6
		"DROP TABLE b",                                         // 7
		"INSERT INTO schema_migrations (id) VALUES (?)",        // 8
		"SELECT 3",                                             // 9
	}
	got := map[string]bool{}
	for _, c := range faultCases(true, run, true) {
		if got[c.name()] {
			t.Errorf("case %s twice", c.name())
		}
		got[c.name()] = true
	}
	for _, want := range []string{
		"up SIGKILL before 1", "up SIGKILL before 3", "up SIGKILL before 8", "up SIGKILL after 9",
		"up SIGINT before 1", "up SIGTERM before 8", "up SIGINT before 2",
	} {
		if !got[want] {
			t.Errorf("no case %q among %v", want, got)
		}
	}
	for name := range got {
		if strings.Contains(name, "before 4") || strings.Contains(name, "before 9") {
			t.Errorf("case %q before a plain read", name)
		}
	}
}
