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
	"slices"
	"strings"

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
	// CheckDown, if set, says without changing anything whether Down
	// would refuse, with Down's reason. A rollback over several steps
	// runs the CheckDown of every step it will undo before undoing the
	// first, so a refusal several steps down stops it before any change.
	// It runs with the later steps still applied: it may read only what
	// their Downs leave as it is. It is not part of the step's checksum.
	CheckDown func(*dialect.Migrator) error
	// Online marks a step written for a live database: it runs outside a
	// transaction, so that the dialect can use its online forms of DDL
	// (PostgreSQL builds and drops indexes CONCURRENTLY and adds keys and
	// checks NOT VALID before validating them; MariaDB alters with
	// ALGORITHM=INSTANT or INPLACE and LOCK=NONE and refuses a change that
	// would copy the table). Each of its statements must therefore be
	// safe to run again after a crash. SQLite runs it as any other step.
	Online bool
	// Allow lists the lint codes (`schema lint`) this step accepts on
	// purpose, e.g. "DS102" for a column it drops knowingly; say why in a
	// comment beside it.
	Allow []string
}

// history is Open WebUI's Alembic chain, oldest first. Later steps register
// themselves from their own files; a step that has run anywhere is never
// edited.
var history = []Step{
	{ID: "7e5b5dc7342b", Revises: "", Name: "init", Up: initUp, Down: initDown},
	{ID: "242a2047eae0", Revises: "7e5b5dc7342b", Name: "update_chat_table", Up: updateChatTableUp, Down: updateChatTableDown},
	{ID: "3781e22d8b01", Revises: "242a2047eae0", Name: "update_message_table", Up: updateMessageTableUp, Down: updateMessageTableDown},
	{ID: "c69f45358db4", Revises: "3781e22d8b01", Name: "add_folder_table", Up: addFolderTableUp, Down: addFolderTableDown},
	{ID: "4ace53fd72c8", Revises: "c69f45358db4", Name: "update_folder_table_datetime", Up: updateFolderTableDatetimeUp, Down: updateFolderTableDatetimeDown},
	{ID: "d31026856c01", Revises: "4ace53fd72c8", Name: "update_folder_table_data", Up: updateFolderTableDataUp, Down: updateFolderTableDataDown},
	{ID: "1af9b942657b", Revises: "d31026856c01", Name: "migrate_tags", Up: migrateTagsUp, Down: migrateTagsDown, CheckDown: migrateTagsCheckDown},
	{ID: "3ab32c4b8f59", Revises: "1af9b942657b", Name: "update_tags", Up: updateTagsUp, Down: updateTagsDown},
	{ID: "6a39f3d8e55c", Revises: "3ab32c4b8f59", Name: "add_knowledge_table", Up: addKnowledgeTableUp, Down: addKnowledgeTableDown},
	{ID: "c29facfe716b", Revises: "6a39f3d8e55c", Name: "update_file_table_path", Up: updateFileTablePathUp, Down: updateFileTablePathDown, CheckDown: updateFileTablePathCheckDown},
	{ID: "7826ab40b532", Revises: "c29facfe716b", Name: "update_file_table", Up: updateFileTableSizeUp, Down: updateFileTableSizeDown},
	{ID: "c0fbf31ca0db", Revises: "7826ab40b532", Name: "update_file_table", Up: updateFileTableProcessedUp, Down: updateFileTableProcessedDown},
	{ID: "922e7a387820", Revises: "c0fbf31ca0db", Name: "add_group_table", Up: addGroupTableUp, Down: addGroupTableDown},
	{ID: "ca81bd47c050", Revises: "922e7a387820", Name: "add_config_table", Up: addConfigTableUp, Down: addConfigTableDown},
	{ID: "af906e964978", Revises: "ca81bd47c050", Name: "add_feedback_table", Up: addFeedbackTableUp, Down: addFeedbackTableDown},
	{ID: "57c599a3cb57", Revises: "af906e964978", Name: "add_channel_table", Up: addChannelTableUp, Down: addChannelTableDown, CheckDown: addChannelTableCheckDown},
	{ID: "9f0c9cd09105", Revises: "57c599a3cb57", Name: "add_note_table", Up: addNoteTableUp, Down: addNoteTableDown},
	{ID: "10vr9xyets5m", Revises: "9f0c9cd09105", Name: "add_token_usage_tables", Up: addTokenUsageTablesUp, Down: addTokenUsageTablesDown},
	{ID: "3ff60f68c4f4", Revises: "10vr9xyets5m", Name: "add_last_reset_date_to_token_usage", Up: addLastResetDateUp, Down: addLastResetDateDown},
	{ID: "e223b100ad81", Revises: "3ff60f68c4f4", Name: "add_reset_scheduling_to_token_groups", Up: addResetSchedulingUp, Down: addResetSchedulingDown},
}

// registered holds the steps added after the Alembic history, each from its
// own file's init (see `schema new`). Each file registers itself, so two
// branches that each add a step merge in git without a conflict, and the
// chain check below reports the fork instead.
var registered []Step

// register adds a step to the chain. It is called from init functions only.
func register(s Step) { registered = append(registered, s) }

// Chain returns the validated chain, oldest first: the steps ordered by
// their Revises links from the one step that revises nothing.
func Chain() ([]Step, error) {
	return Order(append(append([]Step(nil), history...), registered...))
}

// Head is the newest revision ID, or "" when the chain does not validate
// (every command checks Chain first and reports why).
func Head() string {
	chain, err := Chain()
	if err != nil {
		return ""
	}
	return chain[len(chain)-1].ID
}

// Order checks that steps form one unbroken chain and returns it oldest
// first. Every step needs an ID, a name and both directions; no ID may
// repeat; exactly one step revises nothing; every other step revises a
// step that exists; and no two steps revise the same one (two heads, the
// usual result of merging two branches that each added a step).
func Order(steps []Step) ([]Step, error) {
	if len(steps) == 0 {
		return nil, errors.New("migration chain is empty")
	}
	byID := map[string]Step{}
	for i, s := range steps {
		switch {
		case s.ID == "":
			return nil, fmt.Errorf("migration chain: step %d (%q) has no ID", i+1, s.Name)
		case s.Name == "":
			return nil, fmt.Errorf("migration chain: step %s has no name", s.ID)
		case s.Up == nil || s.Down == nil:
			return nil, fmt.Errorf("migration chain: step %s (%s) needs both an up and a down", s.ID, s.Name)
		}
		if prev, dup := byID[s.ID]; dup {
			return nil, fmt.Errorf("migration chain: duplicate ID %s: steps %q and %q both use it; every step needs its own ID: give the newer one a fresh ID (`schema new` makes one)", s.ID, prev.Name, s.Name)
		}
		byID[s.ID] = s
	}
	children := map[string][]Step{}
	var roots []Step
	for _, s := range steps {
		if s.Revises == "" {
			roots = append(roots, s)
			continue
		}
		if _, ok := byID[s.Revises]; !ok {
			return nil, fmt.Errorf("migration chain: step %s (%s) revises %s, which is not a step of the chain; set its Revises to an existing revision (`schema history` lists them)", s.ID, s.Name, s.Revises)
		}
		children[s.Revises] = append(children[s.Revises], s)
	}
	if len(roots) != 1 {
		return nil, fmt.Errorf("migration chain: %d steps revise nothing (%s); only the first step may: set the others' Revises", len(roots), describe(roots))
	}
	for _, parent := range steps { // in declaration order, for a stable message
		kids := children[parent.ID]
		if len(kids) < 2 {
			continue
		}
		return nil, fmt.Errorf("migration chain: multiple heads: %s all revise %s (%s), usually because two branches each added a step; "+
			"put them in one line: keep the step that may already be applied somewhere first and set the other's Revises to it (e.g. set %s's Revises to %s)",
			describe(kids), parent.ID, parent.Name, kids[1].ID, kids[0].ID)
	}
	// No step has two children now, so the chain is the root and each
	// step's only child in turn.
	ordered := []Step{roots[0]}
	for {
		next := children[ordered[len(ordered)-1].ID]
		if len(next) == 0 {
			break
		}
		ordered = append(ordered, next[0])
	}
	// With one root, known parents and no forks, a step not reached from
	// the root lies on a cycle.
	if len(ordered) != len(steps) {
		var lost []Step
		for _, s := range steps {
			if !slices.ContainsFunc(ordered, func(o Step) bool { return o.ID == s.ID }) {
				lost = append(lost, s)
			}
		}
		return nil, fmt.Errorf("migration chain: %s revise each other in a cycle and are not reached from %s; fix their Revises", describe(lost), roots[0].ID)
	}
	return ordered, nil
}

// describe lists steps as "ID (name)".
func describe(steps []Step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%s (%s)", s.ID, s.Name)
	}
	return strings.Join(parts, " and ")
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
