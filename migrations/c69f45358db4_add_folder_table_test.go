package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revFolderTable = "c69f45358db4"

// TestAddFolderTable: folder is created as SPEC.md step 4 says (epoch
// seconds, membership in items, no foreign keys yet), the other tables'
// rows are untouched, and down drops it.
func TestAddFolderTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFolderTable)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
		d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{"title": "x"}`, "title": "x", "pinned": true})
		d.Insert("message", map[string]any{"id": "m1", "chat_id": "c1", "content": "hi", "files": `[{"id": "fl1"}]`})
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"folder": {
			Columns: []migtest.Col{
				{Name: "id", Type: "key"},
				{Name: "parent_id", Type: "key"},
				{Name: "user_id", Type: "key", NotNull: true},
				{Name: "name", Type: "text", NotNull: true},
				{Name: "items", Type: "json"},
				{Name: "created_at", Type: "bigint", NotNull: true},
				{Name: "updated_at", Type: "bigint", NotNull: true},
			},
			PrimaryKey: []string{"id"},
			Indexes:    []migtest.Ix{{Columns: []string{"parent_id"}}, {Columns: []string{"user_id"}}},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")

		folder := map[string]any{"id": "f1", "user_id": "u1", "name": "Work", "items": `{"chat_ids": ["c1"]}`, "created_at": 1700000000, "updated_at": 1700000300}
		d.Insert("folder", folder,
			// No foreign keys until d31026856c01: a parent may be missing.
			map[string]any{"id": "f2", "parent_id": "gone", "user_id": "u1", "name": "Sub", "created_at": -86400, "updated_at": 4102444800})
		got := d.Rows("SELECT " + d.Q("created_at") + ", " + d.Q("updated_at") + ", " + d.Q("items") + " FROM " + d.Q("folder") + " ORDER BY " + d.Q("id"))
		if len(got) != 2 || got[0][0] != "1700000000" || got[0][1] != "1700000300" || got[1][0] != "-86400" || got[1][1] != "4102444800" {
			t.Fatalf("folder times = %q, want the epoch seconds inserted", got)
		}
		migtest.JSONEqual(t, `{"chat_ids": ["c1"]}`, got[0][2])
		d.Refused("a second folder f1", "folder", folder)
		for _, col := range []string{"user_id", "name", "created_at", "updated_at"} {
			row := map[string]any{"id": "f9", "user_id": "u1", "name": "N", "created_at": 1, "updated_at": 1}
			row[col] = nil
			d.Refused("folder."+col+" NULL", "folder", row)
		}

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
