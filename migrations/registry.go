// Package migrations is the schema's history: one step per Alembic revision
// of Open WebUI's migrations/versions directory, with the same revision ID,
// applying that revision's change to schema and data, each with a working
// rollback.
//
// Steps never import the models package. Each declares the table shapes it
// needs as they were at its revision (frozen dialect.Table values, in the
// step's own file or in the file of the step that created the shape), so a
// step means the same thing however the models change later.
package migrations

import (
	"errors"
	"fmt"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// Step is one revision of the schema.
type Step struct {
	ID      string // the Alembic revision ID, byte for byte
	Revises string // the previous revision's ID; empty for the first
	Name    string
	Up      func(*dialect.Migrator) error
	Down    func(*dialect.Migrator) error
}

// history is the whole chain, oldest first. New steps are appended; a step
// that has run anywhere is never edited.
var history = []Step{
	{ID: "7e5b5dc7342b", Revises: "", Name: "init", Up: initUp, Down: initDown},
}

// Chain returns the validated chain, oldest first.
func Chain() ([]Step, error) {
	if err := Validate(history); err != nil {
		return nil, err
	}
	return append([]Step(nil), history...), nil
}

// Head is the newest revision ID.
func Head() string { return history[len(history)-1].ID }

// Validate checks that steps form one unbroken chain: every step has an ID,
// a name and both directions, no ID repeats, and each step revises the one
// before it.
func Validate(steps []Step) error {
	if len(steps) == 0 {
		return errors.New("migration chain is empty")
	}
	seen := map[string]int{}
	for i, s := range steps {
		switch {
		case s.ID == "":
			return fmt.Errorf("migration chain: step %d (%q) has no ID", i+1, s.Name)
		case s.Name == "":
			return fmt.Errorf("migration chain: step %s has no name", s.ID)
		case s.Up == nil || s.Down == nil:
			return fmt.Errorf("migration chain: step %s (%s) needs both an up and a down", s.ID, s.Name)
		}
		if j, dup := seen[s.ID]; dup {
			return fmt.Errorf("migration chain: ID %s is used by step %d and step %d; every step needs its own ID", s.ID, j+1, i+1)
		}
		seen[s.ID] = i
		want := ""
		if i > 0 {
			want = steps[i-1].ID
		}
		if s.Revises != want {
			if i == 0 {
				return fmt.Errorf("migration chain: first step %s revises %s; the first step revises nothing", s.ID, s.Revises)
			}
			return fmt.Errorf("migration chain: step %s (%s) revises %q, but the step before it is %s; fix its Revises", s.ID, s.Name, s.Revises, want)
		}
	}
	return nil
}

// Migration adapts the step to gormigrate, which runs it and records it.
func (s Step) Migration() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:       s.ID,
		Migrate:  adapt(s.Up),
		Rollback: gormigrate.RollbackFunc(adapt(s.Down)),
	}
}

func adapt(fn func(*dialect.Migrator) error) gormigrate.MigrateFunc {
	return func(tx *gorm.DB) error {
		m, err := dialect.NewMigrator(tx)
		if err != nil {
			return err
		}
		return fn(m)
	}
}
