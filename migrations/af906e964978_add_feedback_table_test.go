package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revFeedbackTable = "af906e964978"

// TestAddFeedbackTable: feedback is created as SPEC.md step 15 says: a
// thumbs up (1) or down (-1) and nothing else, on a message that exists
// and goes with it; the other tables' rows are untouched, and down drops
// it.
func TestAddFeedbackTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFeedbackTable)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
		d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{"title": "x"}`})
		d.Insert("message", map[string]any{"id": "m1", "chat_id": "c1", "user_id": "u1", "role": "assistant", "content": "hi"})
		d.Insert("config", map[string]any{"key": "ui", "value": `{"banners": []}`})
		before := d.Snapshot()
		rows := d.Contents(before)

		d.Up()
		migtest.RequireGrowth(t, before, d.Snapshot(), map[string]migtest.Shape{"feedback": {
			Columns: []migtest.Col{
				{Name: "id", Type: "key"},
				{Name: "user_id", Type: "key", NotNull: true},
				{Name: "message_id", Type: "key", NotNull: true},
				{Name: "rating", Type: "smallint", NotNull: true},
				{Name: "comment", Type: "text"},
				{Name: "created_at", Type: "bigint", NotNull: true},
			},
			PrimaryKey:  []string{"id"},
			Indexes:     []migtest.Ix{{Columns: []string{"user_id"}}, {Columns: []string{"message_id"}}},
			ForeignKeys: []migtest.FK{{Columns: []string{"message_id"}, RefTable: "message", RefColumns: []string{"id"}, OnDelete: "CASCADE"}},
			Checks:      []string{"rating"},
		}})
		migtest.RequireSameContents(t, rows, d.Contents(before), "before up", "after up")

		row := func(id string, rating any) map[string]any {
			return map[string]any{"id": id, "user_id": "u1", "message_id": "m1", "rating": rating, "comment": "ok", "created_at": 1700000000}
		}
		d.Insert("feedback", row("up", 1), row("down", -1))
		if got := d.Rows("SELECT " + d.Q("rating") + " FROM " + d.Q("feedback") + " ORDER BY " + d.Q("id")); len(got) != 2 || got[0][0] != "-1" || got[1][0] != "1" {
			t.Fatalf("ratings = %q, want -1 and 1", got)
		}
		for _, bad := range []int{0, 2, -2, 5} {
			d.Refused("a rating that is neither -1 nor 1", "feedback", row("bad", bad))
		}
		d.Refused("a second feedback up", "feedback", row("up", 1))
		for _, col := range []string{"user_id", "message_id", "rating", "created_at"} {
			r := row("null", 1)
			r[col] = nil
			d.Refused("feedback."+col+" NULL", "feedback", r)
		}
		r := row("orphan", 1)
		r["message_id"] = "missing"
		d.Refused("feedback on a missing message", "feedback", r)
		// Deleting a message (here with its chat) deletes its feedback.
		d.Insert("chat", map[string]any{"id": "c2", "user_id": "u1"})
		d.Insert("message", map[string]any{"id": "m2", "chat_id": "c2"})
		d.Insert("feedback", map[string]any{"id": "gone", "user_id": "u1", "message_id": "m2", "rating": -1, "created_at": 1})
		d.Exec("DELETE FROM " + d.Q("chat") + " WHERE " + d.Q("id") + " = 'c2'")
		if n := d.Count("feedback"); n != 2 {
			t.Fatalf("%d feedback rows after deleting message m2, want 2", n)
		}

		kept := d.Contents(before)
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before the step", "after its down")
		migtest.RequireSameContents(t, kept, d.Contents(before), "before down", "after down")
	})
}
