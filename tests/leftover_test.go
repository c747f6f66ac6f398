package tests

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
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
func crashUp(t *testing.T, d *migtest.DB, id string, plan *crash.Plan) {
	t.Helper()
	ctx := crash.With(context.Background(), plan)
	_, err := d.Runner.Up(ctx, id, db.Options{})
	if !errors.Is(err, crash.ErrInjected) {
		t.Fatalf("up %s with a crash planned (%+v): err = %v, want the injected crash", id, *plan, err)
	}
	if got := d.Current(); got == id {
		t.Fatalf("step %s is recorded after its crash", id)
	}
}

// crashPlanAt is a crash before the first statement containing before on
// MySQL; elsewhere, where the step rolls back whole, after its first
// `after` writes.
func crashPlanAt(d *migtest.DB, before string, after int) *crash.Plan {
	if d.Dialector().RunMode() == dialect.NoTransactions {
		return &crash.Plan{Before: before}
	}
	return &crash.Plan{After: after}
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
				crashUp(t, d, tagsStepID, crashPlanAt(d, p.before, 3))
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
				crashUp(t, d, tagsStepID, &crash.Plan{Before: p.before})
				if got := d.String("SELECT " + d.Q("chat") + " FROM " + d.Q("chat") + " WHERE id = 'ca'"); !migtest.SameJSON(got, `{"title":"A"}`) {
					t.Fatalf("the crash came before the swap: chat ca holds %s", got)
				}
				// The application deletes a tagged chat; the key that would
				// cascade to its messages is not in place. It tags and pins
				// the chats whose payloads have no tags left.
				d.Exec("DELETE FROM "+d.Q("chat")+" WHERE id = ?", "cc")
				d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("chat")+" = ? WHERE id = ?", `{"title":"B","tags":["Later"]}`, "cb")
				d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("chat")+" = ? WHERE id = ?", `{"title":"D","tags":["pinned"]}`, "cd")
				res, err := d.Runner.Up(context.Background(), tagsStepID, db.Options{})
				if err != nil {
					t.Fatalf("re-run after a crash %s and a chat deleted: %v", p.name, err)
				}
				links := d.Rows("SELECT chat_id, tag_id FROM " + d.Q("chat_tag") + " ORDER BY chat_id, tag_id")
				wantLinks := [][]string{{"ca", "ideas"}, {"ca", "work"}, {"cb", "later"}, {"cb", "travel"}}
				if !slices.EqualFunc(links, wantLinks, slices.Equal[[]string]) {
					t.Fatalf("chat_tag after the re-run: %v, want %v", links, wantLinks)
				}
				for id, want := range map[string]string{"cb": `{"title":"B"}`, "cd": `{"title":"D"}`} {
					if got := d.String("SELECT "+d.Q("chat")+" FROM "+d.Q("chat")+" WHERE id = ?", id); !migtest.SameJSON(got, want) {
						t.Errorf("payload of %s after the re-run: %s, want %s", id, got, want)
					}
				}
				if !migtest.Bool(t, d.String("SELECT pinned FROM "+d.Q("chat")+" WHERE id = 'cd'")) {
					t.Error("chat cd, tagged pinned after the swap, is not pinned")
				}
				if got := d.String("SELECT name FROM " + d.Q("tag") + " WHERE id = 'later'"); got != "Later" {
					t.Errorf("tag later is named %q, want Later", got)
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
		crashUp(t, m, tagsStepID, crashPlanAt(m, "RENAME TABLE", 3))
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
		if n := m.String("SELECT count(*) FROM " + m.Q(dialect.ProgressTable)); n != "0" {
			t.Fatalf("%s rows left in %s after the step was recorded", n, dialect.ProgressTable)
		}
	})
}

// TestStampDropsFinishedProgress: stamp overrules the records, and with
// them the journal of the steps it marks applied: a later down of such a
// step does not read an up's points, and status reports nothing.
func TestStampDropsFinishedProgress(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		if dialectName != "mysql" {
			t.Skipf("%s keeps no progress journal", dialectName)
		}
		d := migtest.Before(t, dialectName, tagsStepID)
		crashUp(t, d, tagsStepID, &crash.Plan{Before: "RENAME TABLE"})
		if err := d.Runner.Stamp(context.Background(), tagsStepID); err != nil {
			t.Fatal(err)
		}
		if n := d.String("SELECT count(*) FROM " + d.Q(dialect.ProgressTable)); n != "0" {
			t.Fatalf("%s rows left in %s after stamp recorded the step", n, dialect.ProgressTable)
		}
		st, err := d.Runner.Status(context.Background())
		if err != nil || st.Unfinished != nil {
			t.Fatalf("status after stamp: unfinished %+v, err %v", st.Unfinished, err)
		}
	})
}

// crashDown rolls back step id through the runner with a crash plan and
// requires the injected crash.
func crashDown(t *testing.T, d *migtest.DB, id string, plan *crash.Plan) {
	t.Helper()
	ctx := crash.With(context.Background(), plan)
	_, err := d.Runner.Down(ctx, db.DownRequest{}, db.Options{})
	if !errors.Is(err, crash.ErrInjected) {
		t.Fatalf("down %s with a crash planned (%+v): err = %v, want the injected crash", id, *plan, err)
	}
	if got := d.Current(); got != id {
		t.Fatalf("step %s is no longer recorded after its crashed down (current %s)", id, got)
	}
}

// TestLeftoversProvenCurrent: for every other step with partial state on
// MySQL, a crash after its table was swapped in, then rows the
// application (at the previous revision) writes in between, then the
// re-run, gives what an uninterrupted run on the changed data gives.
// Elsewhere a crashed step rolls back whole (TestLeftoversStartedOver
// shows the scenario holds there), so only MySQL is run.
func TestLeftoversProvenCurrent(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	files := func(d *migtest.DB) {
		d.Insert("file",
			map[string]any{"id": "fl1", "user_id": "u1", "filename": "a.pdf", "path": "/data/a.pdf", "meta": `{"size":10,"content_type":"application/pdf","collection_name":"c1"}`},
			map[string]any{"id": "fl2", "user_id": "u1", "filename": "b.txt", "path": "s3://b/b.txt", "meta": `{}`})
	}
	newFile := func(path string) func(d *migtest.DB) {
		return func(d *migtest.DB) {
			d.Insert("file", map[string]any{"id": "fl3", "user_id": "u1", "filename": "new.txt", "path": path,
				"meta": `{"size":7,"content_type":"text/plain","collection_name":"c3"}`})
		}
	}
	cases := []struct {
		name, step string
		up         bool
		seed       func(d *migtest.DB)
		crash      string // the statement a crash on MySQL comes before
		between    func(d *migtest.DB)
	}{
		{name: "file_path_up", step: "c29facfe716b", up: true, seed: files, crash: "DROP TABLE IF EXISTS `file__old`", between: newFile("/data/new.txt")},
		{name: "file_path_down", step: "c29facfe716b", seed: files, crash: "DROP TABLE IF EXISTS `file__old`", between: newFile("file:///data/new.txt")},
		{name: "file_size_up", step: "7826ab40b532", up: true, seed: files, crash: "DROP TABLE IF EXISTS `file__old`", between: newFile("file:///data/new.txt")},
		{name: "file_processed_up", step: "c0fbf31ca0db", up: true, seed: files, crash: "DROP TABLE IF EXISTS `file__old`", between: newFile("file:///data/new.txt")},
		{
			name: "folder_data_up", step: "d31026856c01", up: true,
			seed: func(d *migtest.DB) {
				d.Insert("user", map[string]any{"id": "u1", "name": "Ada", "email": "ada@example.com", "role": "admin"})
				d.Insert("chat", map[string]any{"id": "c1", "user_id": "u1", "chat": `{}`}, map[string]any{"id": "c2", "user_id": "u1", "chat": `{}`})
				d.Insert("folder",
					map[string]any{"id": "f1", "user_id": "u1", "name": "One", "items": `{"chat_ids":["c1","c2"]}`, "created_at": t0, "updated_at": t0},
					map[string]any{"id": "f2", "user_id": "u1", "name": "Two", "items": `{"chat_ids":[]}`, "created_at": t0, "updated_at": t0})
			},
			crash: "DROP TABLE IF EXISTS `chat__old`",
			// The user moves c1 from f1 to f2.
			between: func(d *migtest.DB) {
				d.Exec("UPDATE "+d.Q("folder")+" SET items = ? WHERE id = ?", `{"chat_ids":["c2"]}`, "f1")
				d.Exec("UPDATE "+d.Q("folder")+" SET items = ? WHERE id = ?", `{"chat_ids":["c1"]}`, "f2")
			},
		},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		if dialectName != "mysql" {
			t.Skipf("%s runs each step in a transaction: a crashed step leaves nothing", dialectName)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				at := func() *migtest.DB {
					if c.up {
						return migtest.Before(t, dialectName, c.step)
					}
					return migtest.At(t, dialectName, c.step)
				}
				run := func(d *migtest.DB) {
					if c.up {
						d.UpTo(c.step)
					} else {
						d.Down()
					}
				}
				want := at()
				c.seed(want)
				c.between(want)
				run(want)

				d := at()
				c.seed(d)
				plan := crashPlanAt(d, c.crash, 0)
				if c.up {
					crashUp(t, d, c.step, plan)
				} else {
					crashDown(t, d, c.step, plan)
				}
				c.between(d)
				run(d)
				migtest.RequireSameSchema(t, want.Snapshot(), d.Snapshot(), "uninterrupted run on the changed data", "re-run after a crash")
				migtest.RequireSameData(t, want.Dump(), d.Dump(), "uninterrupted run on the changed data", "re-run after a crash")
			})
		}
	})
}

// TestLeftoverConversionCheckedAgain: a column conversion interrupted
// halfway (MySQL: the temporary column filled, the old one still there)
// checks the old column again on the re-run: a value the application
// wrote meanwhile that does not convert is refused by name, not turned
// into a NULL the server then rejects.
func TestLeftoverConversionCheckedAgain(t *testing.T) {
	const step = "4ace53fd72c8" // update_folder_table_datetime
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := migtest.Before(t, dialectName, step)
		d.Insert("user", map[string]any{"id": "u1", "name": "Ada", "email": "ada@example.com", "role": "admin"})
		d.Insert("folder", map[string]any{"id": "f1", "user_id": "u1", "name": "One", "created_at": 1700000000, "updated_at": 1700000000})
		crashUp(t, d, step, crashPlanAt(d, "DROP COLUMN `created_at`", 0))
		d.Insert("folder", map[string]any{"id": "f2", "user_id": "u1", "name": "Two", "created_at": int64(1) << 40, "updated_at": 1700000000})
		_, err := d.Runner.Up(context.Background(), step, db.Options{})
		if err == nil || !strings.Contains(err.Error(), "cannot be converted") || !strings.Contains(err.Error(), "f2") {
			t.Fatalf("re-run with a value that does not convert: err = %v, want the refusal naming f2", err)
		}
		d.Exec("DELETE FROM "+d.Q("folder")+" WHERE id = ?", "f2")
		d.Insert("folder", map[string]any{"id": "f3", "user_id": "u1", "name": "Three", "created_at": 1700000100, "updated_at": 1700000100})
		d.UpTo(step)
		got := d.Rows("SELECT id FROM " + d.Q("folder") + " ORDER BY id")
		if len(got) != 2 {
			t.Fatalf("folders after the re-run: %v", got)
		}
	})
}
