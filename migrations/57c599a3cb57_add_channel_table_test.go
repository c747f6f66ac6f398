package migrations_test

import (
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revChannel = "57c599a3cb57"

// channelFixture is a chat with a message, and (after the step) a channel
// with a member and two messages that belong to the channel alone.
func channelFixture(t *testing.T, d *migtest.DB) {
	t.Helper()
	d.Insert("user", map[string]any{"id": "u1", "name": "Ada"})
	d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{"title": "x"}`})
	d.Insert("message", map[string]any{"id": "m1", "chat_id": "c1", "user_id": "u1", "content": "in a chat"})
}

func channelMessages(t *testing.T, d *migtest.DB) {
	t.Helper()
	d.Insert("channel", map[string]any{"id": "ch1", "user_id": "u1", "name": "general", "data": `{}`})
	d.Insert("channel_member", map[string]any{"channel_id": "ch1", "user_id": "u1", "created_at": 1})
	d.Insert("message",
		map[string]any{"id": "m2", "channel_id": "ch1", "user_id": "u1", "content": "in a channel"},
		map[string]any{"id": "m3", "channel_id": "ch1", "user_id": "u1", "content": "also in a channel"},
	)
}

// channelRows reads every table the step touches, for comparing states.
func channelRows(t *testing.T, d *migtest.DB) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	for table, key := range map[string]string{"message": "id", "channel": "id", "channel_member": "channel_id", "chat": "id"} {
		out[table] = d.Rows("SELECT * FROM " + d.Q(table) + " ORDER BY " + d.Q(key))
	}
	return out
}

func requireSameRows(t *testing.T, want, got map[string][][]string) {
	t.Helper()
	for table, w := range want {
		g := got[table]
		if len(w) != len(g) {
			t.Fatalf("%s has %d rows, want %d", table, len(g), len(w))
		}
		for i := range w {
			if strings.Join(w[i], "|") != strings.Join(g[i], "|") {
				t.Fatalf("%s row %d = %q, want %q", table, i, g[i], w[i])
			}
		}
	}
}

func TestAddChannelTableUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revChannel)
		channelFixture(t, d)
		d.Up()

		msg, ok := d.Snapshot().Table("message")
		if !ok {
			t.Fatal("no message table")
		}
		if c, ok := msg.Column("chat_id"); !ok || !c.Nullable {
			t.Fatalf("message.chat_id = %+v, want nullable", c)
		}
		if _, ok := msg.Column("channel_id"); !ok {
			t.Fatal("message has no channel_id")
		}
		var fk bool
		for _, f := range msg.ForeignKeys {
			if len(f.Columns) == 1 && f.Columns[0] == "channel_id" && f.RefTable == "channel" && f.OnDelete == "CASCADE" {
				fk = true
			}
		}
		if !fk {
			t.Fatalf("message has no foreign key channel_id -> channel ON DELETE CASCADE: %+v", msg.ForeignKeys)
		}

		// A message may now belong to a channel instead of a chat...
		channelMessages(t, d)
		if got := d.String("SELECT " + d.Q("chat_id") + " FROM " + d.Q("message") + " WHERE " + d.Q("id") + " = 'm2'"); got != "<nil>" {
			t.Fatalf("m2.chat_id = %q, want NULL", got)
		}
		// ...but only to one that exists, and goes with it.
		if err := d.G.Exec("INSERT INTO " + d.Q("message") + " (" + d.Q("id") + ", " + d.Q("channel_id") + ") VALUES ('m4', 'missing')").Error; err == nil {
			t.Fatal("a message of a missing channel was accepted")
		}
		d.Exec("DELETE FROM " + d.Q("channel") + " WHERE " + d.Q("id") + " = 'ch1'")
		if got := d.Rows("SELECT " + d.Q("id") + " FROM " + d.Q("message") + " ORDER BY " + d.Q("id")); len(got) != 1 || got[0][0] != "m1" {
			t.Fatalf("messages after deleting the channel = %v, want just m1", got)
		}
		if n := d.Count("channel_member"); n != 0 {
			t.Fatalf("%d channel members left after deleting the channel", n)
		}
	})
}

func TestAddChannelTableDownRefusesChannelMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revChannel)
		channelFixture(t, d)
		d.Up()
		channelMessages(t, d)
		schema, rows := d.Snapshot(), channelRows(t, d)

		_, err := d.DownErr()
		if err == nil {
			t.Fatal("down accepted messages without a chat")
		}
		for _, part := range []string{"2 message(s)", `"m2"`, `"m3"`} {
			if !strings.Contains(err.Error(), part) {
				t.Fatalf("error %q does not say %q", err, part)
			}
		}
		if got := d.Current(); got != revChannel {
			t.Fatalf("current = %s, want %s", got, revChannel)
		}
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the refused down", "after it")
		requireSameRows(t, rows, channelRows(t, d))
	})
}

func TestAddChannelTableDownAfterRemovingChannelMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revChannel)
		channelFixture(t, d)
		schema := d.Snapshot()
		before := d.Rows("SELECT * FROM " + d.Q("message"))
		d.Up()
		channelMessages(t, d)
		if _, err := d.DownErr(); err == nil {
			t.Fatal("down accepted messages without a chat")
		}
		d.Exec("DELETE FROM " + d.Q("message") + " WHERE " + d.Q("chat_id") + " IS NULL")
		d.Down()
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the step", "after its down")
		if got := d.Rows("SELECT * FROM " + d.Q("message")); len(got) != 1 || strings.Join(got[0], "|") != strings.Join(before[0], "|") {
			t.Fatalf("messages after down = %q, want %q", got, before)
		}
	})
}
