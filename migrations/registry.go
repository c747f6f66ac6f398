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
	{ID: "242a2047eae0", Revises: "7e5b5dc7342b", Name: "update_chat_table", Up: updateChatTableUp, Down: updateChatTableDown},
	{ID: "3781e22d8b01", Revises: "242a2047eae0", Name: "update_message_table", Up: updateMessageTableUp, Down: updateMessageTableDown},
	{ID: "c69f45358db4", Revises: "3781e22d8b01", Name: "add_folder_table", Up: addFolderTableUp, Down: addFolderTableDown},
	{ID: "4ace53fd72c8", Revises: "c69f45358db4", Name: "update_folder_table_datetime", Up: updateFolderTableDatetimeUp, Down: updateFolderTableDatetimeDown},
	{ID: "d31026856c01", Revises: "4ace53fd72c8", Name: "update_folder_table_data", Up: updateFolderTableDataUp, Down: updateFolderTableDataDown},
	{ID: "1af9b942657b", Revises: "d31026856c01", Name: "migrate_tags", Up: migrateTagsUp, Down: migrateTagsDown},
	{ID: "3ab32c4b8f59", Revises: "1af9b942657b", Name: "update_tags", Up: updateTagsUp, Down: updateTagsDown},
	{ID: "6a39f3d8e55c", Revises: "3ab32c4b8f59", Name: "add_knowledge_table", Up: addKnowledgeTableUp, Down: addKnowledgeTableDown},
	{ID: "c29facfe716b", Revises: "6a39f3d8e55c", Name: "update_file_table_path", Up: updateFileTablePathUp, Down: updateFileTablePathDown},
	{ID: "7826ab40b532", Revises: "c29facfe716b", Name: "update_file_table", Up: updateFileTableSizeUp, Down: updateFileTableSizeDown},
	{ID: "c0fbf31ca0db", Revises: "7826ab40b532", Name: "update_file_table", Up: updateFileTableProcessedUp, Down: updateFileTableProcessedDown},
	{ID: "922e7a387820", Revises: "c0fbf31ca0db", Name: "add_group_table", Up: addGroupTableUp, Down: addGroupTableDown},
	{ID: "ca81bd47c050", Revises: "922e7a387820", Name: "add_config_table", Up: addConfigTableUp, Down: addConfigTableDown},
	{ID: "af906e964978", Revises: "ca81bd47c050", Name: "add_feedback_table", Up: addFeedbackTableUp, Down: addFeedbackTableDown},
	{ID: "57c599a3cb57", Revises: "af906e964978", Name: "add_channel_table", Up: addChannelTableUp, Down: addChannelTableDown},
	{ID: "9f0c9cd09105", Revises: "57c599a3cb57", Name: "add_note_table", Up: addNoteTableUp, Down: addNoteTableDown},
	{ID: "10vr9xyets5m", Revises: "9f0c9cd09105", Name: "add_token_usage_tables", Up: addTokenUsageTablesUp, Down: addTokenUsageTablesDown},
	{ID: "3ff60f68c4f4", Revises: "10vr9xyets5m", Name: "add_last_reset_date_to_token_usage", Up: addLastResetDateUp, Down: addLastResetDateDown},
	{ID: "e223b100ad81", Revises: "3ff60f68c4f4", Name: "add_reset_scheduling_to_token_groups", Up: addResetSchedulingUp, Down: addResetSchedulingDown},
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
