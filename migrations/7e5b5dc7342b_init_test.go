package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

func TestInit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, "7e5b5dc7342b")
		empty := d.Snapshot()
		d.Up()
		s := d.Snapshot()
		want := []string{"auth", "chat", "file", "function", "memory", "message", "model", "prompt", "tool", "user"}
		var got []string
		for _, tb := range s.Tables {
			got = append(got, tb.Name)
		}
		if len(got) != len(want) {
			t.Fatalf("tables = %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("tables = %v, want %v", got, want)
			}
		}
		// Rows go in and the message's foreign key holds.
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada", "api_key": "k1"})
		d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{"title":"x"}`})
		d.Insert("message", map[string]any{"id": "m1", "chat_id": "c1", "content": "hi"})
		if err := d.G.Exec("INSERT INTO " + d.Q("message") + " (" + d.Q("id") + ", " + d.Q("chat_id") + ") VALUES ('m2', 'missing')").Error; err == nil {
			t.Fatal("a message of a missing chat was accepted")
		}
		if err := d.G.Exec("INSERT INTO " + d.Q("user") + " (" + d.Q("id") + ", " + d.Q("api_key") + ") VALUES ('u2', 'k1')").Error; err == nil {
			t.Fatal("a duplicate api_key was accepted")
		}
		d.Down()
		migtest.RequireSameSchema(t, empty, d.Snapshot(), "before init", "after init's down")
		t.Log(s.String())
	})
}
