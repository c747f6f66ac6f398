package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revLastResetDate = "3ff60f68c4f4"

// TestAddLastResetDate: token_usage gains last_reset_date (text, NULL for
// the rows already there, which are kept byte for byte), and down drops
// it.
func TestAddLastResetDate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revLastResetDate)
		d.Insert("token_group",
			map[string]any{"name": "staff", "models": `["gpt-4o"]`, "limit": 100000},
			map[string]any{"name": "guests"},
		)
		d.Insert("token_usage",
			map[string]any{"group_name": "staff", "token_in": 5, "token_out": 6, "token_total": 11, "updated_at": 1700000000},
			map[string]any{"group_name": "guests"},
		)
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"token_usage": {
			Columns: []migtest.Col{{Name: "last_reset_date", Type: "text"}},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")
		resetDates := "SELECT " + d.Q("group_name") + ", " + d.Q("last_reset_date") + " FROM " + d.Q("token_usage") + " ORDER BY " + d.Q("group_name")
		if got := d.Rows(resetDates); len(got) != 2 || got[0][1] != "<nil>" || got[1][1] != "<nil>" {
			t.Fatalf("last_reset_date of existing usage = %q, want NULL", got)
		}
		d.Exec("UPDATE "+d.Q("token_usage")+" SET "+d.Q("last_reset_date")+" = ? WHERE "+d.Q("group_name")+" = ?", "2026-11-25", "staff")
		if got := d.Rows(resetDates); got[1][1] != "2026-11-25" {
			t.Fatalf("last_reset_date of staff = %q, want 2026-11-25", got[1][1])
		}
		// The foreign key to token_group still holds and cascades.
		d.Refused("usage of a missing group", "token_usage", map[string]any{"group_name": "missing"})
		d.Exec("DELETE FROM " + d.Q("token_group") + " WHERE " + d.Q("name") + " = 'guests'")
		if n := d.Count("token_usage"); n != 1 {
			t.Fatalf("%d usage rows after deleting group guests, want 1", n)
		}

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
