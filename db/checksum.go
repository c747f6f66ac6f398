package db

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// ErrStepsChanged means steps applied to the database were edited since:
// their recorded checksums differ from the code's. The error is a
// *ChangedStepsError naming them.
var ErrStepsChanged = errors.New("applied steps were changed")

// ChangedStep is an applied step whose code no longer matches what was
// recorded when it ran.
type ChangedStep struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Recorded string `json:"recorded"` // the checksum in schema_migrations
	Code     string `json:"code"`     // the checksum of the step's code now
}

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

// shortChecksum is how a checksum is shown to people: its first 12 hex
// digits, like a short commit hash.
func shortChecksum(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// stepChecksum is the checksum of the step's code, with the step named in
// the error.
func stepChecksum(s migrations.Step) (string, error) {
	sum, err := migrations.Checksum(s.ID)
	if err != nil {
		return "", fmt.Errorf("step %s (%s): %w", s.ID, s.Name, err)
	}
	return sum, nil
}

// readChecksums reads the recorded checksum of each recorded step: ""
// where none was recorded (a row from before checksums, or a table that
// does not have the column yet, which only a run adds).
func readChecksums(db *gorm.DB) (map[string]string, error) {
	out := map[string]string{}
	if !db.Migrator().HasTable(MigrationsTable) || !db.Migrator().HasColumn(MigrationsTable, dialect.ChecksumColumn) {
		return out, nil
	}
	rows, err := db.Raw("SELECT id, " + dialect.ChecksumColumn + " FROM " + MigrationsTable).Rows()
	if err != nil {
		return nil, fmt.Errorf("read the checksums in %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var sum sql.NullString
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, fmt.Errorf("read the checksums in %s: %w", MigrationsTable, err)
		}
		out[id] = sum.String
	}
	return out, rows.Err()
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
	recorded, err := readChecksums(db)
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
		if err := setChecksum(db, c.ID, c.Code); err != nil {
			return nil, err
		}
	}
	for _, s := range fill {
		if err := recordChecksum(db, s); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// recordChecksum records the checksum of a step's code on its row.
func recordChecksum(db *gorm.DB, s migrations.Step) error {
	sum, err := stepChecksum(s)
	if err != nil {
		return err
	}
	return setChecksum(db, s.ID, sum)
}

func setChecksum(db *gorm.DB, id, sum string) error {
	if err := db.Exec("UPDATE "+MigrationsTable+" SET "+dialect.ChecksumColumn+" = ? WHERE id = ?", sum, id).Error; err != nil {
		return fmt.Errorf("record the checksum of step %s in %s: %w", id, MigrationsTable, err)
	}
	return nil
}

// recordApplied records the steps as applied, each with its code's
// checksum, without running them: what stamp (and the adoption of an
// Alembic database) writes. The IDs must be in the chain and not yet
// recorded; the record table must exist.
func recordApplied(tx *gorm.DB, ids []string) error {
	chain, err := migrations.Chain()
	if err != nil {
		return err
	}
	for _, id := range ids {
		i, err := indexOf(chain, id)
		if err != nil {
			return err
		}
		sum, err := stepChecksum(chain[i])
		if err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO "+MigrationsTable+" (id, "+dialect.ChecksumColumn+") VALUES (?, ?)", id, sum).Error; err != nil {
			return fmt.Errorf("record step %s as applied in %s: %w", id, MigrationsTable, err)
		}
	}
	return nil
}
