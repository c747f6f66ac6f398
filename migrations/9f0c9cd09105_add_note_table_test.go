package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revNoteTable = "9f0c9cd09105"

// TestAddNoteTable: note is created as SPEC.md step 17 says, the other
// tables' rows are untouched, and down drops it.
func TestAddNoteTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revNoteTable)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
		d.Insert("channel", map[string]any{"id": "ch1", "user_id": "u1", "name": "general", "data": `{}`})
		d.Insert("channel_member", map[string]any{"channel_id": "ch1", "user_id": "u1", "created_at": 1})
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"note": {
			Columns: []migtest.Col{
				{Name: "id", Type: "key"},
				{Name: "user_id", Type: "key", NotNull: true},
				{Name: "title", Type: "text"},
				{Name: "content", Type: "text"},
				{Name: "created_at", Type: "bigint"},
				{Name: "updated_at", Type: "bigint"},
			},
			PrimaryKey: []string{"id"},
			Indexes:    []migtest.Ix{{Columns: []string{"user_id"}}},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")

		markdown := "# Ideas\n\n- one\n- *two* ✓\n"
		n1 := map[string]any{"id": "n1", "user_id": "u1", "title": "Ideas", "content": markdown, "created_at": 1, "updated_at": 2}
		d.Insert("note", n1, map[string]any{"id": "n2", "user_id": "u1"})
		if got := d.String("SELECT " + d.Q("content") + " FROM " + d.Q("note") + " WHERE " + d.Q("id") + " = 'n1'"); got != markdown {
			t.Fatalf("note content = %q, want %q", got, markdown)
		}
		d.Refused("a second note n1", "note", n1)
		d.Refused("note.user_id NULL", "note", map[string]any{"id": "n3", "user_id": nil})

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
