package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revKnowledgeTable = "6a39f3d8e55c"

// TestAddKnowledgeTable: knowledge is created as SPEC.md step 9 says, the
// other tables' rows are untouched, and down drops it.
func TestAddKnowledgeTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revKnowledgeTable)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
		d.Insert("file", map[string]any{"id": "fl1", "user_id": "u1", "filename": "a.pdf", "path": "/data/a.pdf", "meta": `{"name": "a.pdf", "size": 1024}`})
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"knowledge": {
			Columns: []migtest.Col{
				{Name: "id", Type: "key"},
				{Name: "user_id", Type: "key", NotNull: true},
				{Name: "name", Type: "text", NotNull: true},
				{Name: "description", Type: "text"},
				{Name: "files", Type: "json"},
				{Name: "created_at", Type: "bigint"},
				{Name: "updated_at", Type: "bigint"},
			},
			PrimaryKey: []string{"id"},
			Indexes:    []migtest.Ix{{Columns: []string{"user_id"}}},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")

		k1 := map[string]any{"id": "k1", "user_id": "u1", "name": "Docs", "description": "Team docs", "files": `["fl1", "fl2"]`, "created_at": 1700000000, "updated_at": 1700000001}
		d.Insert("knowledge", k1, map[string]any{"id": "k2", "user_id": "u1", "name": "Empty"})
		migtest.JSONEqual(t, `["fl1", "fl2"]`, d.String("SELECT "+d.Q("files")+" FROM "+d.Q("knowledge")+" WHERE "+d.Q("id")+" = 'k1'"))
		d.Refused("a second knowledge k1", "knowledge", k1)
		d.Refused("knowledge.user_id NULL", "knowledge", map[string]any{"id": "k3", "user_id": nil, "name": "N"})
		d.Refused("knowledge.name NULL", "knowledge", map[string]any{"id": "k4", "user_id": "u1", "name": nil})

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
