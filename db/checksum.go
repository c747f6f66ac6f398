package db

import (
	"errors"
	"fmt"
	"strings"

	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// ErrStepsChanged means steps applied to the database were edited since:
// their recorded checksums differ from the code's. The error is a
// *ChangedStepsError naming them.
var ErrStepsChanged = errors.New("applied steps were changed")

// ChangedStepsError refuses a run on a database whose applied steps were
// edited after they ran. errors.Is(err, ErrStepsChanged) holds.
type ChangedStepsError struct {
	Steps []ChangedStep
}

func (e *ChangedStepsError) Unwrap() error { return ErrStepsChanged }

func (e *ChangedStepsError) Error() string {
	detail := func(c ChangedStep) string {
		return fmt.Sprintf("recorded checksum %s, the code's is %s", shortChecksum(c.Recorded), shortChecksum(c.Code))
	}
	if len(e.Steps) == 1 {
		c := e.Steps[0]
		return fmt.Sprintf("step %s (%s) was changed after it was applied to this database (%s): "+
			"restore the step as it was, or if the change is deliberate and the database needs nothing more, "+
			"run again with --accept-changed to record the new checksums", c.ID, c.Name, detail(c))
	}
	parts := make([]string, len(e.Steps))
	for i, c := range e.Steps {
		parts[i] = fmt.Sprintf("step %s (%s; %s)", c.ID, c.Name, detail(c))
	}
	return fmt.Sprintf("%d steps were changed after they were applied to this database: %s: "+
		"restore the steps as they were, or if the changes are deliberate and the database needs nothing more, "+
		"run again with --accept-changed to record the new checksums", len(e.Steps), strings.Join(parts, ", "))
}

// checksumState compares a step's recorded checksum with its code's:
// changed when they differ and the recorded one is not an earlier released
// version of the step (migrations.Amended), whose reason amended then
// gives. Nothing recorded is neither.
func checksumState(id, recorded, code string) (changed bool, amended string) {
	if recorded == "" || recorded == code {
		return false, ""
	}
	if a, ok := migrations.Amended(id, recorded); ok {
		return false, a.Reason
	}
	return true, ""
}

// checkChecksums compares the applied steps' recorded checksums with their
// code's before a run. A changed step refuses the run unless accept is
// set, in which case the code's checksum is recorded and the step
// returned. A step recorded without a checksum (before this check
// existed) gets the code's: trust on first use. So does a step recorded
// with the checksum of an earlier released version of it (an amendment).
func checkChecksums(db *gorm.DB, chain []migrations.Step, st state, accept bool) ([]ChangedStep, error) {
	recorded, err := recordsOf(db).checksums()
	if err != nil {
		return nil, err
	}
	var changed []ChangedStep
	var fill []migrations.Step
	for _, s := range chain[:st.applied] {
		code, err := stepChecksum(s)
		if err != nil {
			return nil, err
		}
		rec := recorded[s.ID]
		switch isChanged, _ := checksumState(s.ID, rec, code); {
		case isChanged:
			changed = append(changed, ChangedStep{ID: s.ID, Name: s.Name, Recorded: rec, Code: code})
		case rec != code: // nothing recorded, or an earlier version's
			fill = append(fill, s)
		}
	}
	if len(changed) > 0 && !accept {
		return nil, &ChangedStepsError{Steps: changed}
	}
	for _, c := range changed {
		if err := recordsOf(db).setChecksum(c.ID, c.Code); err != nil {
			return nil, err
		}
	}
	for _, s := range fill {
		if err := recordsOf(db).recordChecksum(s); err != nil {
			return nil, err
		}
	}
	return changed, nil
}
