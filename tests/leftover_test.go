package tests

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// The leftovers of an interrupted step (MySQL, where DDL commits on its
// own) belong to the step, which is not recorded: meanwhile the
// application, still at the previous revision, keeps changing rows. These
// tests crash a step through the runner, change the data "in between",
// run the step again and compare with an uninterrupted run on the changed
// data. On PostgreSQL and SQLite the crashed step rolls back whole and the
// same scenario must just work.

const tagsStepID = "1af9b942657b" // migrate_tags

// crashUp runs step id through the runner with a crash plan and requires
// the injected crash.
func crashUp(t *testing.T, d *migtest.DB, id string, plan *dialect.CrashPlan) {
	t.Helper()
	ctx := dialect.WithCrashPlan(context.Background(), plan)
	_, err := d.Runner.Up(ctx, id, db.Options{})
	if !errors.Is(err, dialect.ErrInjectedCrash) {
		t.Fatalf("up %s with a crash planned (%+v): err = %v, want the injected crash", id, *plan, err)
	}
	if got := d.Current(); got == id {
		t.Fatalf("step %s is recorded after its crash", id)
	}
}

// crashPlanAt is a crash before the first statement containing before on
// MySQL; elsewhere, where the step rolls back whole, after a few writes.
func crashPlanAt(d *migtest.DB, before string) *dialect.CrashPlan {
	if d.Dialector().RunMode() == dialect.NoTransactions {
		return &dialect.CrashPlan{Before: before}
	}
	return &dialect.CrashPlan{After: 3}
}

// seedTagChats gives a database at revision 6 chats with tags in their
// payloads, and a message in the chat the tests delete.
func seedTagChats(d *migtest.DB) {
	d.Insert("user", map[string]any{"id": "u1", "name": "Ada", "email": "ada@example.com", "role": "admin"})
	d.Insert("chat",
		map[string]any{"id": "ca", "user_id": "u1", "chat": `{"title":"A","tags":["work","ideas"]}`},
		map[string]any{"id": "cb", "user_id": "u1", "chat": `{"title":"B","tags":["travel"]}`},
		map[string]any{"id": "cc", "user_id": "u1", "chat": `{"title":"C","tags":["work","gone"]}`},
		map[string]any{"id": "cd", "user_id": "u1", "chat": `{"title":"D"}`},
	)
	d.Insert("message", map[string]any{"id": "m1", "chat_id": "cc", "user_id": "u1", "role": "user", "content": "bye"})
}

// editTagChats is what the application (at revision 6) does in between:
// a tag removed from one chat, one added to another, a tagged chat
// deleted with its messages.
func editTagChats(d *migtest.DB) {
	d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("chat")+" = ? WHERE id = ?", `{"title":"A","tags":["work"]}`, "ca")
	d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("chat")+" = ? WHERE id = ?", `{"title":"B","tags":["travel","food"]}`, "cb")
	d.Exec("DELETE FROM "+d.Q("message")+" WHERE chat_id = ?", "cc")
	d.Exec("DELETE FROM "+d.Q("chat")+" WHERE id = ?", "cc")
}

// TestLeftoversStartedOver: step 7 crashed before chat was swapped in
// (so its tag, chat_tag and staging tables come from payloads that then
// changed) gives, when run again, exactly what an uninterrupted run on the
// changed data gives: the removed tag does not come back, the added one
// is there, the deleted chat does not block the run.
func TestLeftoversStartedOver(t *testing.T) {
	points := []struct{ name, before string }{
		{"at the swap", "RENAME TABLE"},
		{"in the walk", "INSERT INTO `chat_tag`"},
		{"copying chat", "INSERT INTO `chat__new`"},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		want := migtest.Before(t, dialectName, tagsStepID)
		seedTagChats(want)
		editTagChats(want)
		want.UpTo(tagsStepID)
		wantRows := want.Dump()
		for _, p := range points {
			t.Run(strings.ReplaceAll(p.name, " ", "_"), func(t *testing.T) {
				d := migtest.Before(t, dialectName, tagsStepID)
				seedTagChats(d)
				crashUp(t, d, tagsStepID, crashPlanAt(d, p.before))
				editTagChats(d)
				d.UpTo(tagsStepID)
				migtest.RequireSameData(t, wantRows, d.Dump(), "uninterrupted run on the changed data", "re-run after a crash "+p.name)
				links := d.Rows("SELECT chat_id, tag_id FROM " + d.Q("chat_tag") + " ORDER BY chat_id, tag_id")
				wantLinks := [][]string{{"ca", "work"}, {"cb", "food"}, {"cb", "travel"}}
				if !slices.EqualFunc(links, wantLinks, slices.Equal[[]string]) {
					t.Fatalf("chat_tag after the re-run: %v, want %v", links, wantLinks)
				}
			})
		}
	})
}

// TestLeftoversAfterSwapKept: once step 7 swapped chat in, the payloads
// no longer hold the tags and tag and chat_tag are their only copy: the
// re-run keeps and finishes them. A chat deleted in between (its foreign
// keys were not in place) takes its links and messages with it, as ON
// DELETE CASCADE would have, and the run says so.
func TestLeftoversAfterSwapKept(t *testing.T) {
	points := []struct{ name, before string }{
		{"before the swap's checkpoint", "INSERT INTO `" + dialect.ProgressTable + "`"},
		{"after the swap's checkpoint", "DROP TABLE IF EXISTS `chat__old`"},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		probe := migtest.New(t, dialectName)
		if probe.Dialector().RunMode() != dialect.NoTransactions {
			t.Skipf("%s runs each step in a transaction: a crashed step leaves nothing (TestLeftoversStartedOver covers it)", dialectName)
		}
		for _, p := range points {
			t.Run(strings.ReplaceAll(p.name, " ", "_"), func(t *testing.T) {
				d := migtest.Before(t, dialectName, tagsStepID)
				seedTagChats(d)
				crashUp(t, d, tagsStepID, &dialect.CrashPlan{Before: p.before})
				if got := d.String("SELECT " + d.Q("chat") + " FROM " + d.Q("chat") + " WHERE id = 'ca'"); !migtest.SameJSON(got, `{"title":"A"}`) {
					t.Fatalf("the crash came before the swap: chat ca holds %s", got)
				}
				// The application deletes a tagged chat; the key that would
				// cascade to its messages is not in place.
				d.Exec("DELETE FROM "+d.Q("chat")+" WHERE id = ?", "cc")
				res, err := d.Runner.Up(context.Background(), tagsStepID, db.Options{})
				if err != nil {
					t.Fatalf("re-run after a crash %s and a chat deleted: %v", p.name, err)
				}
				links := d.Rows("SELECT chat_id, tag_id FROM " + d.Q("chat_tag") + " ORDER BY chat_id, tag_id")
				wantLinks := [][]string{{"ca", "ideas"}, {"ca", "work"}, {"cb", "travel"}}
				if !slices.EqualFunc(links, wantLinks, slices.Equal[[]string]) {
					t.Fatalf("chat_tag after the re-run: %v, want %v", links, wantLinks)
				}
				if n := d.String("SELECT count(*) FROM " + d.Q("message")); n != "0" {
					t.Fatalf("messages of the deleted chat left: %s", n)
				}
				notices := strings.Join(res.Steps[0].Notices, "\n")
				for _, want := range []string{"deleted 2 row(s) of chat_tag whose chat was deleted", "deleted 1 row(s) of message whose chat was deleted"} {
					if !strings.Contains(notices, want) {
						t.Errorf("notices %q do not say %q", notices, want)
					}
				}
				for _, tbl := range []string{"_tags_payload_staging", "chat__new", "chat__old"} {
					if d.G.Migrator().HasTable(tbl) {
						t.Errorf("%s left after the re-run", tbl)
					}
				}
			})
		}
	})
}

// TestStatusShowsLeftovers: status names a step whose interrupted run
// left part of its work, and says how to finish it; once finished, it
// does not.
func TestStatusShowsLeftovers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		url := testdb.URL(t, dialectName)
		c := newCLI(t, "DATABASE_URL="+url)
		c.ok("up", "--to", migtest.Previous(t, tagsStepID))
		m := migtest.Open(t, dialectName, url)
		crashUp(t, m, tagsStepID, crashPlanAt(m, "RENAME TABLE"))
		st, err := m.Runner.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out := c.ok("status")
		var js struct {
			Unfinished *db.UnfinishedStep `json:"unfinished"`
		}
		if err := json.Unmarshal([]byte(c.ok("status", "--json")), &js); err != nil {
			t.Fatal(err)
		}
		if m.Dialector().RunMode() != dialect.NoTransactions {
			if st.Unfinished != nil || js.Unfinished != nil || strings.Contains(out, "unfinished") {
				t.Fatalf("status after a rolled-back step reports leftovers: %+v\n%s", st.Unfinished, out)
			}
			return
		}
		want := "leftovers of unfinished step 1af9b942657b (migrate_tags) are present: run `schema up` to finish it"
		if st.Unfinished == nil || st.Unfinished.Summary != want || st.Unfinished.Direction != "up" || !slices.Contains(st.Unfinished.Points, dialect.PointStarted) {
			t.Fatalf("status after a crash: unfinished = %+v, want %q", st.Unfinished, want)
		}
		if !strings.Contains(out, "unfinished  "+want) {
			t.Fatalf("status output does not name the unfinished step:\n%s", out)
		}
		if js.Unfinished == nil || js.Unfinished.ID != tagsStepID {
			t.Fatalf("status --json: unfinished = %+v", js.Unfinished)
		}
		c.ok("up", "--to", tagsStepID)
		if out := c.ok("status"); strings.Contains(out, "unfinished") {
			t.Fatalf("status after the step finished still reports it:\n%s", out)
		}
	})
}
