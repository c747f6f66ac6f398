package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revConfigTable = "ca81bd47c050"

// TestAddConfigTable: config is created as SPEC.md step 14 says, the
// other tables' rows are untouched, and down drops it.
func TestAddConfigTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revConfigTable)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada", "settings": `{"ui": {"theme": "dark"}}`})
		d.Insert("group", map[string]any{"id": "g1", "user_id": "u1", "name": "Team"})
		d.Insert("group_member", map[string]any{"group_id": "g1", "user_id": "u1"})
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"config": {
			Columns: []migtest.Col{
				{Name: "key", Type: "key"},
				{Name: "value", Type: "json", NotNull: true},
				{Name: "updated_at", Type: "bigint"},
			},
			PrimaryKey: []string{"key"},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")

		ui := map[string]any{"key": "ui", "value": `{"default_locale": "en-US", "banners": []}`, "updated_at": 1700000000}
		d.Insert("config", ui)
		migtest.JSONEqual(t, `{"default_locale": "en-US", "banners": []}`, d.String("SELECT "+d.Q("value")+" FROM "+d.Q("config")))
		d.Refused("a second config ui", "config", ui)
		d.Refused("config.value NULL", "config", map[string]any{"key": "other", "value": nil})

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
