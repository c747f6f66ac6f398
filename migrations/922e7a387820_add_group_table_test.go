package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revGroupTable = "922e7a387820"

// groupTableOwned are the tables that gain access_control.
var groupTableOwned = []string{"knowledge", "model", "prompt", "tool"}

// TestAddGroupTable: group and group_member are created as SPEC.md step 13
// says, knowledge, model, prompt and tool gain access_control (NULL for
// their rows, which are kept byte for byte), and down undoes all of it.
func TestAddGroupTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revGroupTable)
		d.Insert("user",
			map[string]any{"id": "u1", "name": "Ada"},
			map[string]any{"id": "u2", "name": "Bob"},
		)
		d.Insert("knowledge", map[string]any{"id": "k1", "user_id": "u1", "name": "Docs", "files": `["fl1"]`, "created_at": 1})
		d.Insert("model", map[string]any{"id": "md1", "user_id": "u1", "base_model_id": "gpt-4o", "name": "Helper", "params": `{"temperature": 0.2}`})
		d.Insert("prompt", map[string]any{"command": "/summarize", "user_id": "u1", "title": "Summarize", "content": "Summarize {{text}}", "timestamp": 1700000000})
		d.Insert("tool", map[string]any{"id": "t1", "user_id": "u1", "name": "Search", "specs": `[{"name": "search"}]`, "valves": `{"key": "v"}`})
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		accessControl := migtest.Shape{Columns: []migtest.Col{{Name: "access_control", Type: "json"}}}
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{
			"group": {
				Columns: []migtest.Col{
					{Name: "id", Type: "key"},
					{Name: "user_id", Type: "key", NotNull: true},
					{Name: "name", Type: "text", NotNull: true},
					{Name: "description", Type: "text"},
					{Name: "permissions", Type: "json"},
					{Name: "created_at", Type: "bigint"},
					{Name: "updated_at", Type: "bigint"},
				},
				PrimaryKey: []string{"id"},
			},
			"group_member": {
				Columns: []migtest.Col{
					{Name: "group_id", Type: "key"},
					{Name: "user_id", Type: "key"},
					{Name: "created_at", Type: "bigint"},
				},
				PrimaryKey: []string{"group_id", "user_id"},
				Indexes:    []migtest.Ix{{Columns: []string{"user_id"}}},
				ForeignKeys: []migtest.FK{
					{Columns: []string{"group_id"}, RefTable: "group", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
					{Columns: []string{"user_id"}, RefTable: "user", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
				},
			},
			"knowledge": accessControl, "model": accessControl, "prompt": accessControl, "tool": accessControl,
		})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")
		for _, table := range groupTableOwned {
			if got := d.Rows("SELECT " + d.Q("access_control") + " FROM " + d.Q(table)); len(got) != 1 || got[0][0] != "<nil>" {
				t.Fatalf("%s.access_control = %q, want NULL (the owner's default rules)", table, got)
			}
		}
		rules := `{"read": {"group_ids": ["g1"], "user_ids": []}, "write": {"group_ids": [], "user_ids": ["u1"]}}`
		d.Exec("UPDATE "+d.Q("knowledge")+" SET "+d.Q("access_control")+" = ? WHERE "+d.Q("id")+" = ?", rules, "k1")
		migtest.JSONEqual(t, rules, d.String("SELECT "+d.Q("access_control")+" FROM "+d.Q("knowledge")))

		// Members belong to a group and a user that exist, once, and go
		// with either.
		d.Insert("user", map[string]any{"id": "u3", "name": "Cy"})
		d.Insert("group",
			map[string]any{"id": "g1", "user_id": "u1", "name": "Team", "permissions": `{"workspace": {"models": true}}`},
			map[string]any{"id": "g2", "user_id": "u1", "name": "Other"},
		)
		d.Insert("group_member",
			map[string]any{"group_id": "g1", "user_id": "u2", "created_at": 1},
			map[string]any{"group_id": "g1", "user_id": "u3"},
			map[string]any{"group_id": "g2", "user_id": "u2"},
		)
		d.Refused("group_member (g1, u2) twice", "group_member", map[string]any{"group_id": "g1", "user_id": "u2"})
		d.Refused("a member of a missing group", "group_member", map[string]any{"group_id": "missing", "user_id": "u2"})
		d.Refused("a missing user as member", "group_member", map[string]any{"group_id": "g1", "user_id": "missing"})
		d.Refused("group.user_id NULL", "group", map[string]any{"id": "g3", "user_id": nil, "name": "N"})
		d.Refused("group.name NULL", "group", map[string]any{"id": "g4", "user_id": "u1", "name": nil})
		d.Exec("DELETE FROM " + d.Q("group") + " WHERE " + d.Q("id") + " = 'g2'")
		d.Exec("DELETE FROM " + d.Q("user") + " WHERE " + d.Q("id") + " = 'u3'")
		members := d.Rows("SELECT " + d.Q("group_id") + ", " + d.Q("user_id") + " FROM " + d.Q("group_member"))
		if len(members) != 1 || members[0][0] != "g1" || members[0][1] != "u2" {
			t.Fatalf("members after deleting group g2 and user u3 = %q, want just (g1, u2)", members)
		}

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
