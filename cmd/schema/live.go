package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/openwebui-go/schema/db"
)

// liveReporter prints a run as it goes: each step on stdout once it has
// finished, with its notices indented below it, and, when stderr is a
// terminal, the progress of a step running longer than a second on one
// self-overwriting stderr line, at most once a second.
//
// The runner reports a step's start but not its end; a step has finished
// when the next one starts or the run returns, so the line for a step is
// printed then.
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
	step    db.StepResult
	start   time.Time
	notices []string
}

// progressEvery limits progress lines to about one a second.
const progressEvery = time.Second

func newLiveReporter(out, err io.Writer, tty bool) *liveReporter {
	return &liveReporter{out: out, err: err, tty: tty, now: time.Now}
}

func (r *liveReporter) StepStarted(s db.StepResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.cur != nil {
		r.printStep(r.cur, now.Sub(r.cur.start))
	}
	r.cur = &runningStep{step: s, start: now}
}

func (r *liveReporter) Notice(s db.StepResult, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil && r.cur.step.ID == s.ID {
		r.cur.notices = append(r.cur.notices, msg)
	}
}

func (r *liveReporter) Progress(s db.StepResult, done, total int64) {
	if !r.tty {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	// Quiet for the first second of a step, so short steps do not flicker.
	if r.cur == nil || now.Sub(r.cur.start) < progressEvery || now.Sub(r.lastProgress) < progressEvery {
		return
	}
	r.lastProgress = now
	line := fmt.Sprintf("%s %s: %d", s.ID, s.Name, done)
	if total > 0 {
		line += fmt.Sprintf(" of %d (%d%%)", total, done*100/total)
	}
	fmt.Fprintf(r.err, "\r\033[K%s", line)
	r.progressLine = true
}

// finish prints the last step of a run that succeeded; the step a failed
// run was in is not printed (the error names it), though the steps that
// finished before it are.
func (r *liveReporter) finish(res db.Result, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.cur
	r.cur = nil
	if cur == nil || len(res.Steps) == 0 {
		r.clearLocked()
		return
	}
	last := res.Steps[len(res.Steps)-1]
	if last.ID != cur.step.ID || last.Direction != cur.step.Direction {
		r.clearLocked() // the running step failed
		return
	}
	_ = err // a step recorded in res finished, whatever failed after it
	r.printStep(cur, last.Duration)
}

func (r *liveReporter) printStep(s *runningStep, took time.Duration) {
	r.clearLocked()
	verb := "applied"
	if s.step.Direction == db.DirectionDown {
		verb = "rolled back"
	}
	fmt.Fprintf(r.out, "%s %s %s (%s)\n", verb, s.step.ID, s.step.Name, formatDuration(took))
	for _, n := range s.notices {
		fmt.Fprintf(r.out, "  note: %s\n", n)
	}
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
