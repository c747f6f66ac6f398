package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revTokenTables = "10vr9xyets5m"

// TestAddTokenUsageTables: token_group and token_usage are created as
// SPEC.md step 18 says (counters NOT NULL default 0, usage going with its
// group), the other tables' rows are untouched, and down drops both.
func TestAddTokenUsageTables(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revTokenTables)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
		d.Insert("note", map[string]any{"id": "n1", "user_id": "u1", "title": "Ideas", "content": "# Ideas"})
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		counter := func(name string) migtest.Col {
			return migtest.Col{Name: name, Type: "bigint", NotNull: true, Default: "0"}
		}
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{
			"token_group": {
				Columns: []migtest.Col{
					{Name: "name", Type: "key"},
					{Name: "models", Type: "json"},
					{Name: "limit", Type: "bigint"},
					{Name: "created_at", Type: "bigint"},
					{Name: "updated_at", Type: "bigint"},
				},
				PrimaryKey: []string{"name"},
			},
			"token_usage": {
				Columns:     []migtest.Col{{Name: "group_name", Type: "key"}, counter("token_in"), counter("token_out"), counter("token_total"), {Name: "updated_at", Type: "bigint"}},
				PrimaryKey:  []string{"group_name"},
				ForeignKeys: []migtest.FK{{Columns: []string{"group_name"}, RefTable: "token_group", RefColumns: []string{"name"}, OnDelete: "CASCADE"}},
			},
		})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")

		staff := map[string]any{"name": "staff", "models": `["gpt-4o", "llama3"]`, "limit": int64(5000000000), "created_at": 1, "updated_at": 2}
		d.Insert("token_group", staff, map[string]any{"name": "guests"}, map[string]any{"name": "gone"})
		if got := d.String("SELECT " + d.Q("limit") + " FROM " + d.Q("token_group") + " WHERE " + d.Q("name") + " = 'staff'"); got != "5000000000" {
			t.Fatalf("limit = %s, want 5000000000 (beyond 32 bits)", got)
		}
		migtest.JSONEqual(t, `["gpt-4o", "llama3"]`, d.String("SELECT "+d.Q("models")+" FROM "+d.Q("token_group")+" WHERE "+d.Q("name")+" = 'staff'"))
		d.Refused("a second token_group staff", "token_group", staff)

		// A new usage row starts at zero; counters are never NULL; usage
		// belongs to one group that exists, and goes with it.
		d.Insert("token_usage",
			map[string]any{"group_name": "staff"},
			map[string]any{"group_name": "guests", "token_in": 3000000000, "token_out": 2000000000, "token_total": 5000000000, "updated_at": 9},
			map[string]any{"group_name": "gone", "token_in": 1},
		)
		counters := "SELECT " + d.Q("token_in") + ", " + d.Q("token_out") + ", " + d.Q("token_total") + " FROM " + d.Q("token_usage") + " WHERE " + d.Q("group_name") + " = ?"
		if got := d.Rows(counters, "staff"); len(got) != 1 || got[0][0] != "0" || got[0][1] != "0" || got[0][2] != "0" {
			t.Fatalf("new usage counters = %q, want 0, 0, 0", got)
		}
		if got := d.Rows(counters, "guests"); len(got) != 1 || got[0][2] != "5000000000" {
			t.Fatalf("usage counters = %q, want token_total 5000000000", got)
		}
		for _, col := range []string{"token_in", "token_out", "token_total"} {
			d.Refused("token_usage."+col+" NULL", "token_usage", map[string]any{"group_name": "staff", col: nil})
		}
		d.Refused("a second usage row of staff", "token_usage", map[string]any{"group_name": "staff"})
		d.Refused("usage of a missing group", "token_usage", map[string]any{"group_name": "missing"})
		d.Exec("DELETE FROM " + d.Q("token_group") + " WHERE " + d.Q("name") + " = 'gone'")
		if got := d.Rows("SELECT " + d.Q("group_name") + " FROM " + d.Q("token_usage") + " ORDER BY " + d.Q("group_name")); len(got) != 2 || got[0][0] != "guests" || got[1][0] != "staff" {
			t.Fatalf("usage after deleting group gone = %q, want guests and staff", got)
		}

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
