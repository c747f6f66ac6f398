package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// StepStatus is one step of the chain as this database has it.
type StepStatus struct {
	ID        string     `json:"id"`
	Revises   string     `json:"revises"`
	Name      string     `json:"name"`
	Applied   bool       `json:"applied"`
	AppliedAt *time.Time `json:"applied_at,omitempty"`
	// Checksum is what was recorded when the step was applied ("" when
	// nothing was: pending, or applied before checksums were recorded);
	// CodeChecksum is the checksum of the step's code now. Changed means
	// both are set and differ: the step was edited after it ran here.
	// Amended, instead, says why the step changed since the earlier
	// released version recorded here, which runs accept as the step.
	Checksum     string `json:"checksum,omitempty"`
	CodeChecksum string `json:"code_checksum"`
	Changed      bool   `json:"changed"`
	Amended      string `json:"amended,omitempty"`
}

// Status is the whole chain with what is applied.
type Status struct {
	Database string       `json:"database"` // the URL, password masked
	Current  string       `json:"current"`  // "" when nothing is applied
	Head     string       `json:"head"`
	Pending  int          `json:"pending"`
	Steps    []StepStatus `json:"steps"`
	// Alembic is alembic_version's revision ("" for base) when the table
	// exists; unlike Current it is not this tool's record.
	Alembic *string `json:"alembic,omitempty"`
	// UnrecordedTables are tables of this schema that no applied step
	// created: with no record at all, every one found; else those the
	// chain does not have at the current revision. up and down refuse
	// such a database; Refused is what they say (ErrUnrecordedTables).
	UnrecordedTables []string `json:"unrecorded_tables,omitempty"`
	Refused          string   `json:"refused,omitempty"`
	// Unfinished is a step a run started and did not finish (MySQL, where
	// a step cannot roll back): its leftovers are in the database until
	// the next up (or down) finishes it. nil when there is none.
	Unfinished *UnfinishedStep `json:"unfinished,omitempty"`
}

// UnfinishedStep is a step whose interrupted run left part of its work:
// the points its progress journal recorded (dialect.ProgressTable).
type UnfinishedStep struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Direction string   `json:"direction"` // "up" or "down"
	Points    []string `json:"points"`
	Summary   string   `json:"summary"`
}

// unfinishedStep reads the journal for the step whose run may have been
// interrupted: the first pending step's up or the newest applied step's
// down. Rows of a finished direction are stale and not reported.
func unfinishedStep(db *gorm.DB, chain []migrations.Step, st state) (*UnfinishedStep, error) {
	rows, err := recordsOf(db).journal()
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	var cands []UnfinishedStep
	if st.applied < len(chain) {
		s := chain[st.applied]
		cands = append(cands, UnfinishedStep{ID: s.ID, Name: s.Name, Direction: DirectionUp})
	}
	if st.applied > 0 {
		s := chain[st.applied-1]
		cands = append(cands, UnfinishedStep{ID: s.ID, Name: s.Name, Direction: DirectionDown})
	}
	for _, c := range cands {
		for _, r := range rows {
			if r.ID == c.ID && r.Direction == c.Direction {
				c.Points = append(c.Points, r.Point)
			}
		}
		if len(c.Points) == 0 {
			continue
		}
		if c.Direction == DirectionUp {
			c.Summary = fmt.Sprintf("leftovers of unfinished step %s (%s) are present: run `schema up` to finish it", c.ID, c.Name)
		} else {
			c.Summary = fmt.Sprintf("leftovers of the unfinished rollback of step %s (%s) are present: run `schema down` to finish rolling it back", c.ID, c.Name)
		}
		return &c, nil
	}
	return nil, nil
}

// UnrecordedSummary says in a few words what UnrecordedTables holds, ""
// when it is empty.
func (s Status) UnrecordedSummary() string {
	if len(s.UnrecordedTables) == 0 {
		return ""
	}
	e := UnrecordedTablesError{Recorded: s.Current, Tables: s.UnrecordedTables}
	return e.Summary()
}

// Status reads what is applied without changing anything. A database with
// revisions this program does not know, or with records out of order, is
// an error.
func (d *Database) Status(ctx context.Context) (Status, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return Status{}, err
	}
	st, err := recordsOf(d.DB.WithContext(ctx)).state(chain)
	if err != nil {
		return Status{}, d.scrub(err)
	}
	out := Status{Database: d.String(), Head: chain[len(chain)-1].ID, Current: revisionAt(chain, st.applied)}
	recorded, err := recordsOf(d.DB.WithContext(ctx)).checksums()
	if err != nil {
		return Status{}, d.scrub(err)
	}
	if out.Alembic, err = d.alembicStatus(ctx); err != nil {
		return Status{}, err
	}
	unrecorded, err := d.unrecordedTables(d.DB.WithContext(ctx), chain, st)
	if err != nil {
		return Status{}, d.scrub(err)
	}
	if unrecorded != nil {
		out.UnrecordedTables, out.Refused = unrecorded.Tables, unrecorded.Error()
	}
	if out.Unfinished, err = unfinishedStep(d.DB.WithContext(ctx), chain, st); err != nil {
		return Status{}, d.scrub(err)
	}
	for i, s := range chain {
		ss := StepStatus{ID: s.ID, Revises: s.Revises, Name: s.Name, Applied: i < st.applied}
		if at, ok := st.appliedAt[s.ID]; ok {
			ss.AppliedAt = &at
		}
		if ss.CodeChecksum, err = stepChecksum(s); err != nil {
			return Status{}, err
		}
		ss.Checksum = recorded[s.ID]
		ss.Changed, ss.Amended = checksumState(s.ID, ss.Checksum, ss.CodeChecksum)
		if !ss.Applied {
			out.Pending++
		}
		out.Steps = append(out.Steps, ss)
	}
	return out, nil
}

// Current is the newest applied revision, "" for none.
func (d *Database) Current(ctx context.Context) (string, error) {
	s, err := d.Status(ctx)
	if errors.Is(err, dialect.ErrJournalDamaged) {
		// The repair (stamp) needs the revision: the records alone give it.
		chain, cerr := migrations.Chain()
		if cerr != nil {
			return "", cerr
		}
		st, serr := recordsOf(d.DB.WithContext(ctx)).state(chain)
		if serr != nil {
			return "", d.scrub(serr)
		}
		return revisionAt(chain, st.applied), nil
	}
	return s.Current, err
}

// Stamp records rev as the current revision without running any step:
// the steps up to rev are marked applied and the later ones pending.
// rev may be a revision ID, "head", or "base" (nothing applied).
func (d *Database) Stamp(ctx context.Context, rev string) error {
	chain, err := migrations.Chain()
	if err != nil {
		return err
	}
	id, err := Revision("stamp", rev, true)
	if err != nil {
		return err
	}
	n := 0
	if id != "" {
		i, err := indexOf(chain, id)
		if err != nil {
			return err
		}
		n = i + 1
	}
	keep := make([]string, n)
	for i := range n {
		keep[i] = chain[i].ID
	}
	return d.scrub(d.locked(ctx, Options{}, func(conn *gorm.DB) error {
		return conn.Transaction(func(tx *gorm.DB) error {
			if err := recordsOf(tx).repair(); err != nil {
				return fmt.Errorf("stamp %s: %w", rev, err)
			}
			if err := recordsOf(tx).keepOnly(chain, keep); err != nil {
				return fmt.Errorf("stamp %s: %w", rev, err)
			}
			return recordsOf(tx).syncAlembic(revisionAt(chain, n))
		})
	}))
}
