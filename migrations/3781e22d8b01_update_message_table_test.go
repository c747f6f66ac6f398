package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revMessageColumns = "3781e22d8b01"

// TestUpdateMessageTable: message gains images, files and citations
// (json, NULL for the messages already there); the messages keep their
// chat foreign key and every byte, and down restores the table.
func TestUpdateMessageTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revMessageColumns)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
		d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{"title": "x"}`})
		d.Insert("message",
			map[string]any{"id": "m1", "chat_id": "c1", "user_id": "u1", "role": "user", "content": "hi **there** ✓", "created_at": 1700000001},
			map[string]any{"id": "m2", "chat_id": "c1", "role": "assistant", "content": ""},
		)
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"message": {
			Columns: []migtest.Col{{Name: "images", Type: "json"}, {Name: "files", Type: "json"}, {Name: "citations", Type: "json"}},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")
		added := "SELECT " + d.Q("images") + ", " + d.Q("files") + ", " + d.Q("citations") + " FROM " + d.Q("message") + " WHERE " + d.Q("id") + " = ?"
		for _, id := range []string{"m1", "m2"} {
			if got := d.Rows(added, id); len(got) != 1 || got[0][0] != "<nil>" || got[0][1] != "<nil>" || got[0][2] != "<nil>" {
				t.Fatalf("existing message %s has images, files, citations %q; want NULL", id, got)
			}
		}

		// The new columns hold JSON; the chat foreign key still holds and
		// still cascades.
		images, files, citations := `["data:image/png;base64,AAAA"]`, `[{"id": "fl1", "name": "a.pdf"}]`, `[{"source": "a.pdf", "page": 3}]`
		d.Insert("message", map[string]any{"id": "m3", "chat_id": "c1", "images": images, "files": files, "citations": citations})
		got := d.Rows(added, "m3")
		migtest.JSONEqual(t, images, got[0][0])
		migtest.JSONEqual(t, files, got[0][1])
		migtest.JSONEqual(t, citations, got[0][2])
		d.Refused("a message of a missing chat", "message", map[string]any{"id": "m4", "chat_id": "missing"})
		d.Insert("chat", map[string]any{"id": "c2", "user_id": "u1"})
		d.Insert("message", map[string]any{"id": "m5", "chat_id": "c2", "files": `[]`})
		d.Exec("DELETE FROM " + d.Q("chat") + " WHERE " + d.Q("id") + " = 'c2'")
		if n := len(d.Rows("SELECT " + d.Q("id") + " FROM " + d.Q("message") + " WHERE " + d.Q("id") + " = 'm5'")); n != 0 {
			t.Fatal("deleting chat c2 left its message m5")
		}

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
