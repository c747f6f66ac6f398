package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/openwebui-go/schema/db"
)

// liveReporter prints a run as it goes: each step on stdout once it is
// done (committed: the runner reports a step done only then, so what is
// printed as applied is applied), with its notices indented below it, and,
// when stderr is a terminal, the progress of a step running longer than a
// second on one self-overwriting stderr line, at most once a second.
type liveReporter struct {
	mu       sync.Mutex
	out, err io.Writer
	tty      bool
	now      func() time.Time

	cur          *runningStep
	lastProgress time.Time
	progressLine bool // a progress line is on the terminal
}

type runningStep struct {
	step  db.StepResult
	start time.Time
	// The first progress report of the step's current walk, for the
	// ETA: a new walk (done going back, another total) starts over.
	rateFrom          time.Time
	fromDone, ofTotal int64
	lastDone          int64
}

// progressEvery limits progress lines to about one a second.
const progressEvery = time.Second

func newLiveReporter(out, err io.Writer, tty bool) *liveReporter {
	return &liveReporter{out: out, err: err, tty: tty, now: time.Now}
}

func (r *liveReporter) StepStarted(s db.StepResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur = &runningStep{step: s, start: r.now()}
}

// StepDone prints the step: the runner calls it once the step committed.
func (r *liveReporter) StepDone(s db.StepResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur = nil
	r.clearLocked()
	verb := "applied"
	if s.Direction == db.DirectionDown {
		verb = "rolled back"
	}
	fmt.Fprintf(r.out, "%s %s %s (%s)\n", verb, s.ID, s.Name, formatDuration(s.Duration))
	for _, n := range s.Notices {
		fmt.Fprintf(r.out, "  note: %s\n", n)
	}
}

// Notice prints nothing yet: a step's notices come with it in StepDone,
// and those of a step that did not happen are not printed.
func (r *liveReporter) Notice(db.StepResult, string) {}

// LockWaiting prints at once, on stderr, that a step waits for a table
// lock and will be retried: the run may wait minutes.
func (r *liveReporter) LockWaiting(_ db.StepResult, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
	fmt.Fprintln(r.err, msg)
}

func (r *liveReporter) Progress(s db.StepResult, done, total int64) {
	if !r.tty {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if c := r.cur; c != nil {
		if c.rateFrom.IsZero() || done < c.lastDone || total != c.ofTotal {
			c.rateFrom, c.fromDone, c.ofTotal = now, done, total
		}
		c.lastDone = done
	}
	// Quiet for the first second of a step, so short steps do not flicker.
	if r.cur == nil || now.Sub(r.cur.start) < progressEvery || now.Sub(r.lastProgress) < progressEvery {
		return
	}
	r.lastProgress = now
	line := fmt.Sprintf("%s %s: %d", s.ID, s.Name, done)
	if total > 0 {
		line += fmt.Sprintf(" of %d (%d%%)", total, done*100/total)
		if eta, ok := r.cur.eta(now, done, total); ok {
			line += ", ETA " + eta.Round(time.Second).String()
		}
	}
	fmt.Fprintf(r.err, "\r\033[K%s", line)
	r.progressLine = true
}

// finish ends the run's output: a step still running when the run ended
// (it failed or was interrupted) is not printed, since it did not happen;
// the error says what became of it.
func (r *liveReporter) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur = nil
	r.clearLocked()
}

func (r *liveReporter) clearProgress() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
}

func (r *liveReporter) clearLocked() {
	if r.progressLine {
		fmt.Fprint(r.err, "\r\033[K")
		r.progressLine = false
	}
}

// eta is the time left at the rate observed since the walk's first
// report; ok is false before any progress.
func (c *runningStep) eta(now time.Time, done, total int64) (time.Duration, bool) {
	elapsed, walked := now.Sub(c.rateFrom), done-c.fromDone
	if elapsed <= 0 || walked <= 0 || done >= total {
		return 0, false
	}
	return time.Duration(float64(total-done) * float64(elapsed) / float64(walked)), true
}
