package db

import (
	"fmt"
	"slices"
	"time"

	"github.com/openwebui-go/schema/internal/runchain"
	"github.com/openwebui-go/schema/migrations"
)

// The vocabulary every file of this package shares, and that depends on
// none of them: the tables, revisions of the chain, what is applied
// (state), a step to run (action), a run's options and results, and a
// step's checksum. The runner (run.go, lock.go, interrupt.go), the
// records (records.go), the guards and the commands build on it.

// MigrationsTable is where applied steps are recorded.
const MigrationsTable = "schema_migrations"

// AlembicTable is where Open WebUI's Alembic migrations record the
// revision: one row, none at base.
const AlembicTable = "alembic_version"

// Reporter receives a run's events as they happen, for live output.
type Reporter interface {
	StepStarted(s StepResult)
	Notice(s StepResult, msg string)
	Progress(s StepResult, done, total int64)
}

// StepDoneReporter is a Reporter that also hears when a step is done:
// committed, or on MySQL/MariaDB, where a step has no transaction, run
// and recorded. Only then is it applied (or rolled back): a step that
// started and is never reported done did not happen.
type StepDoneReporter interface {
	Reporter
	StepDone(s StepResult)
}

// Options tune a run.
type Options struct {
	// Reporter, if set, hears about steps, notices and progress live.
	Reporter Reporter
	// LockTimeout bounds each wait for the migration lock while another
	// run holds it, on every dialect (default 10 minutes; negative is
	// refused).
	LockTimeout time.Duration
	// DDLLockWait bounds how long each statement of a step waits for a
	// table lock before the step is rolled back and retried (0: the URL's
	// schema_ddl_lock_wait, else DefaultDDLLockWait; negative is
	// refused). See ddllock.go.
	DDLLockWait time.Duration
	// DDLRetryFor is how long a step is retried while its statements time
	// out waiting for table locks, before the run fails with a
	// *DDLLockTimeoutError (0: the URL's schema_ddl_retry_for, else
	// DefaultDDLRetryFor; NoDDLRetry: not at all).
	DDLRetryFor time.Duration
	// AcceptChanged lets a run go ahead on a database whose applied steps
	// were edited since they ran, recording the code's checksums for them;
	// without it such a run is refused with a *ChangedStepsError.
	AcceptChanged bool
}

// DefaultLockTimeout is how long a run waits for the migration lock when
// Options.LockTimeout is zero.
const DefaultLockTimeout = 10 * time.Minute

func (o Options) lockTimeout() (time.Duration, error) {
	switch {
	case o.LockTimeout < 0:
		return 0, fmt.Errorf("lock timeout %s is negative: give how long to wait for another run's lock, or 0 for the default (%s)", o.LockTimeout, DefaultLockTimeout)
	case o.LockTimeout == 0:
		return DefaultLockTimeout, nil
	}
	return o.LockTimeout, nil
}

// Direction of a step's run.
const (
	DirectionUp   = "up"
	DirectionDown = "down"
)

// StepResult is one step a run applied or rolled back.
type StepResult struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Direction string        `json:"direction"`
	Duration  time.Duration `json:"duration_ns"`
	// Notices report data the step skipped, dropped or left untouched.
	Notices []string `json:"notices,omitempty"`
}

// Result is what a run did.
type Result struct {
	From string `json:"from"` // revision before the run ("" for none)
	To   string `json:"to"`   // revision after it
	// Steps are the steps this run applied or rolled back, each committed.
	// Steps another run did meanwhile are not listed (see DESIGN.md).
	Steps []StepResult `json:"steps"`
	// Accepted are the changed steps whose new checksums the run recorded
	// (Options.AcceptChanged).
	Accepted []ChangedStep `json:"accepted,omitempty"`
}

// DownRequest says how far to roll back: To a revision (which stays
// applied), a number of Steps, or All. The zero value rolls back one step.
type DownRequest struct {
	To    string
	Steps int
	All   bool
}

type action struct {
	step migrations.Step
	up   bool
}

// revisionAfter is the current revision once a has run.
func (a action) revisionAfter() string {
	if a.up {
		return a.step.ID
	}
	return a.step.Revises
}

// goal is where a run is going: up (or down) until chain[:target] is
// applied. It is fixed from what is applied when the run starts; after
// that, steps another run does in between count toward it.
type goal struct {
	up     bool
	target int
}

// state is what schema_migrations says, checked against the chain: the
// applied steps are always a prefix of it.
type state struct {
	applied   int // chain[:applied] is applied
	appliedAt map[string]time.Time
}

func (s state) current(chain []migrations.Step) string {
	if s.applied == 0 {
		return "(none)"
	}
	return chain[s.applied-1].ID
}

func indexOf(chain []migrations.Step, id string) (int, error) {
	for i, s := range chain {
		if s.ID == id {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown revision %q: see `schema history` for the chain", id)
}

func direction(up bool) string {
	if up {
		return DirectionUp
	}
	return DirectionDown
}

func revisionAt(chain []migrations.Step, applied int) string {
	if applied == 0 {
		return ""
	}
	return chain[applied-1].ID
}

func orBase(rev string) string {
	if rev == "" {
		return "base"
	}
	return rev
}

func sortStrings(s []string) []string {
	slices.Sort(s)
	return s
}

// stepChecksum is the checksum of the step's code, with the step named in
// the error.
func stepChecksum(s migrations.Step) (string, error) {
	sum, err := checksumOf(s.ID)
	if err != nil {
		return "", fmt.Errorf("step %s (%s): %w", s.ID, s.Name, err)
	}
	return sum, nil
}

// shortChecksum is how a checksum is shown to people: its first 12 hex
// digits, like a short commit hash.
func shortChecksum(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// ChangedStep is an applied step whose code no longer matches what was
// recorded when it ran.
type ChangedStep struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Recorded string `json:"recorded"` // the checksum in schema_migrations
	Code     string `json:"code"`     // the checksum of the step's code now
}

// checksumOf is migrations.Checksum; the tests of steps declared outside
// package migrations give their own (here, or through runchain).
var checksumOf = runchain.Checksum
