package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revChatColumns = "242a2047eae0"

// TestUpdateChatTable: chat gains title, pinned and archived (NOT NULL,
// default false) and a unique share_id; the chats and the messages that
// reference them are kept byte for byte, and down restores the table.
func TestUpdateChatTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revChatColumns)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
		d.Insert("chat",
			map[string]any{"id": "c1", "user_id": "u1", "chat": `{"title": "Plans ✓", "n": 12345678901234567}`, "created_at": 1700000000, "updated_at": 1700000500},
			map[string]any{"id": "c2", "user_id": "u1"},
		)
		d.Insert("message",
			map[string]any{"id": "m1", "chat_id": "c1", "user_id": "u1", "content": "hello"},
			map[string]any{"id": "m2", "chat_id": "c2", "user_id": "u1", "content": "again"},
		)
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"chat": {
			Columns: []migtest.Col{
				{Name: "title", Type: "text"},
				{Name: "pinned", Type: "bool", NotNull: true, Default: "false"},
				{Name: "archived", Type: "bool", NotNull: true, Default: "false"},
				{Name: "share_id", Type: "key"},
			},
			Indexes: []migtest.Ix{{Columns: []string{"share_id"}, Unique: true}},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")
		chatFlags := func(id string) (title string, pinned, archived bool, share string) {
			t.Helper()
			r := d.Rows("SELECT "+d.Q("title")+", "+d.Q("pinned")+", "+d.Q("archived")+", "+d.Q("share_id")+
				" FROM "+d.Q("chat")+" WHERE "+d.Q("id")+" = ?", id)
			if len(r) != 1 {
				t.Fatalf("chat %s: %d rows", id, len(r))
			}
			return r[0][0], migtest.Bool(t, r[0][1]), migtest.Bool(t, r[0][2]), r[0][3]
		}
		for _, id := range []string{"c1", "c2"} {
			if title, pinned, archived, share := chatFlags(id); title != "<nil>" || pinned || archived || share != "<nil>" {
				t.Fatalf("existing chat %s got title %s, pinned %v, archived %v, share_id %s; want NULL, false, false, NULL", id, title, pinned, archived, share)
			}
		}

		// New chats take the defaults; the flags cannot be NULL, and a
		// share link names one chat (while any number have none).
		d.Insert("chat",
			map[string]any{"id": "c3", "user_id": "u1", "title": "Trip", "share_id": "s1"},
			map[string]any{"id": "c4", "user_id": "u1"},
		)
		if title, pinned, archived, share := chatFlags("c3"); title != "Trip" || pinned || archived || share != "s1" {
			t.Fatalf("new chat c3 = %s, %v, %v, %s; want Trip, false, false, s1", title, pinned, archived, share)
		}
		d.Refused("a second chat with share_id s1", "chat", map[string]any{"id": "c5", "share_id": "s1"})
		d.Refused("pinned NULL", "chat", map[string]any{"id": "c6", "pinned": nil})
		d.Refused("archived NULL", "chat", map[string]any{"id": "c7", "archived": nil})
		d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("pinned")+" = ?, "+d.Q("archived")+" = ? WHERE "+d.Q("id")+" = ?", true, true, "c1")
		if _, pinned, archived, _ := chatFlags("c1"); !pinned || !archived {
			t.Fatalf("chat c1 pinned %v, archived %v after setting both", pinned, archived)
		}

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
