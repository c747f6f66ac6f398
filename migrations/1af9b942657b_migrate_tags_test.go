package migrations_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const migrateTagsRev = "1af9b942657b"

// tagsChat is a chat row of a fixture; a nil payload is NULL.
type tagsChat struct {
	id, user string
	payload  any
	pinned   bool
}

// tagsInsertChats adds chats, many rows per statement.
func tagsInsertChats(t *testing.T, d *migtest.DB, chats ...tagsChat) {
	t.Helper()
	for len(chats) > 0 {
		n := min(len(chats), 200)
		var args []any
		for _, c := range chats[:n] {
			var user any
			if c.user != "" {
				user = c.user
			}
			args = append(args, c.id, user, c.payload, c.pinned)
		}
		d.Exec(fmt.Sprintf("INSERT INTO %s (%s, %s, %s, %s) VALUES %s", d.Q("chat"), d.Q("id"), d.Q("user_id"), d.Q("chat"), d.Q("pinned"),
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", n), ",")), args...)
		chats = chats[n:]
	}
}

// tagsTable lists "id=name" of every tag, in byte order.
func tagsTable(t *testing.T, d *migtest.DB) []string {
	t.Helper()
	var out []string
	for _, r := range d.Rows("SELECT " + d.Q("id") + ", " + d.Q("name") + " FROM " + d.Q("tag")) {
		out = append(out, r[0]+"="+r[1])
	}
	slices.Sort(out)
	return out
}

// tagsLinks lists "chat_id:tag_id" of every chat_tag row, in byte order.
func tagsLinks(t *testing.T, d *migtest.DB) []string {
	t.Helper()
	var out []string
	for _, r := range d.Rows("SELECT " + d.Q("chat_id") + ", " + d.Q("tag_id") + " FROM " + d.Q("chat_tag")) {
		out = append(out, r[0]+":"+r[1])
	}
	slices.Sort(out)
	return out
}

func tagsPayload(t *testing.T, d *migtest.DB, chat string) string {
	t.Helper()
	return d.String("SELECT "+d.Q("chat")+" FROM "+d.Q("chat")+" WHERE "+d.Q("id")+" = ?", chat)
}

func tagsPinned(t *testing.T, d *migtest.DB, chat string) bool {
	t.Helper()
	return migtest.Bool(t, d.String("SELECT "+d.Q("pinned")+" FROM "+d.Q("chat")+" WHERE "+d.Q("id")+" = ?", chat))
}

func tagsRequireList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// tagsRequireNotice fails unless one notice contains every part.
func tagsRequireNotice(t *testing.T, notices []string, parts ...string) {
	t.Helper()
	for _, n := range notices {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(n, p) }) {
			return
		}
	}
	t.Fatalf("no notice contains %q; notices: %q", parts, notices)
}

func tagsRequireNoNotice(t *testing.T, notices []string, part string) {
	t.Helper()
	for _, n := range notices {
		if strings.Contains(n, part) {
			t.Fatalf("unexpected notice %q", n)
		}
	}
}

func TestMigrateTagsNormalisesNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", user: "u1", payload: `{"tags":["  Side   Project ","Été\tÄrger","ΣΟΦΙΑ"]}`},
			tagsChat{id: "c2", user: "u1", payload: `{"tags":["side\u00a0project","snake_case"]}`},
		)
		d.Up()
		tagsRequireList(t, "tags", tagsTable(t, d),
			"side_project=Side   Project", "snake_case=snake_case", "été_ärger=Été\tÄrger", "σοφια=ΣΟΦΙΑ")
		tagsRequireList(t, "chat_tag", tagsLinks(t, d),
			"c1:side_project", "c1:été_ärger", "c1:σοφια", "c2:side_project", "c2:snake_case")
	})
}

func TestMigrateTagsSmallestSpellingWhateverTheOrder(t *testing.T) {
	spellings := []string{"work", " Work", "WORK ", "wORK"}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, dialect string) {
				d := migtest.Before(t, dialect, migrateTagsRev)
				for i, o := range order {
					b, _ := json.Marshal(map[string]any{"tags": []string{spellings[o]}})
					tagsInsertChats(t, d, tagsChat{id: fmt.Sprintf("c%d", i), payload: string(b)})
				}
				d.Up()
				tagsRequireList(t, "tags", tagsTable(t, d), "work=WORK") // trimmed, byte order: "WORK" < "Work" < "wORK" < "work"
				tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c0:work", "c1:work", "c2:work", "c3:work")
			})
		})
	}
}

func TestMigrateTagsDuplicatesMerged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d, tagsChat{id: "c1", payload: `{"title":"t","tags":["a","A"," a ","b","a"]}`})
		d.Up()
		tagsRequireList(t, "tags", tagsTable(t, d), "a=A", "b=b")
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c1:a", "c1:b")
		migtest.JSONEqual(t, `{"title":"t"}`, tagsPayload(t, d, "c1"))
	})
}

func TestMigrateTagsPinnedSetsColumn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", payload: `{"tags":[" Pinned ","x"]}`},
			tagsChat{id: "c2", payload: `{"tags":["pinned"]}`, pinned: true},
			tagsChat{id: "c3", payload: `{"tags":["x"]}`, pinned: true},
			tagsChat{id: "c4", payload: `{"tags":["x"]}`},
		)
		d.Up()
		tagsRequireList(t, "tags", tagsTable(t, d), "x=x")
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c1:x", "c3:x", "c4:x")
		for id, want := range map[string]bool{"c1": true, "c2": true, "c3": true, "c4": false} {
			if got := tagsPinned(t, d, id); got != want {
				t.Errorf("chat %s pinned = %v, want %v", id, got, want)
			}
			migtest.JSONEqual(t, `{}`, tagsPayload(t, d, id))
		}
	})
}

func TestMigrateTagsNonStringElementsKeptAndReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", payload: `{"tags":[7,"travel",{"x":1},null,["n"],true],"n":12345678901234567890}`},
			tagsChat{id: "c2", payload: `{"tags":[1.5]}`},
		)
		notices := d.Up()
		migtest.JSONEqual(t, `{"tags":[7,{"x":1},null,["n"],true],"n":12345678901234567890}`, tagsPayload(t, d, "c1"))
		migtest.JSONEqual(t, `{"tags":[1.5]}`, tagsPayload(t, d, "c2"))
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c1:travel")
		tagsRequireNotice(t, notices, "2 chat(s)", "not strings", `"c1"`, `"c2"`)
	})
}

func TestMigrateTagsNotAnArrayUntouchedAndReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		payloads := map[string]string{"c1": `{"tags":"work"}`, "c2": `{"tags":{"a":"b"}}`, "c3": `{"tags":null}`, "c4": `{"tags":3}`}
		for id, p := range payloads {
			tagsInsertChats(t, d, tagsChat{id: id, payload: p})
		}
		notices := d.Up()
		for id, p := range payloads {
			migtest.JSONEqual(t, p, tagsPayload(t, d, id))
		}
		tagsRequireList(t, "tags", tagsTable(t, d))
		tagsRequireNotice(t, notices, "4 chat(s)", "not an array", `"c1"`, `"c4"`)
	})
}

func TestMigrateTagsUnparseablePayloadReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", payload: `["work"]`},
			tagsChat{id: "c2", payload: `"tags"`},
			tagsChat{id: "c3", payload: `{"tags":["ok"]}`},
			tagsChat{id: "c4"}, // NULL: nothing to move, nothing to report
		)
		// Only some dialects can hold text that is not JSON; find out by trying.
		invalid := `{"tags": ["work",`
		canHoldInvalid := d.G.Exec("INSERT INTO "+d.Q("chat")+" ("+d.Q("id")+", "+d.Q("chat")+") VALUES (?, ?)", "c5", invalid).Error == nil
		notices := d.Up()
		migtest.JSONEqual(t, `["work"]`, tagsPayload(t, d, "c1"))
		migtest.JSONEqual(t, `"tags"`, tagsPayload(t, d, "c2"))
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c3:ok")
		tagsRequireNotice(t, notices, "2 chat(s)", "not a JSON object", `"c1"`, `"c2"`)
		if d.String("SELECT "+d.Q("chat")+" FROM "+d.Q("chat")+" WHERE "+d.Q("id")+" = 'c4'") != "<nil>" {
			t.Fatal("a NULL payload was written")
		}
		if canHoldInvalid {
			if got := tagsPayload(t, d, "c5"); got != invalid {
				t.Fatalf("invalid payload changed to %q", got)
			}
			tagsRequireNotice(t, notices, "1 chat(s)", "not valid JSON", `"c5"`)
		} else {
			tagsRequireNoNotice(t, notices, "not valid JSON")
		}
	})
}

func TestMigrateTagsEmptyTagsSkipped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", payload: `{"tags":["","   ","\t\n","ok"]}`},
			tagsChat{id: "c2", payload: `{"tags":[" "]}`},
			tagsChat{id: "c3", payload: `{"tags":[],"a":1}`},
		)
		notices := d.Up()
		tagsRequireList(t, "tags", tagsTable(t, d), "ok=ok")
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c1:ok")
		migtest.JSONEqual(t, `{}`, tagsPayload(t, d, "c1"))
		migtest.JSONEqual(t, `{}`, tagsPayload(t, d, "c2"))
		migtest.JSONEqual(t, `{"a":1}`, tagsPayload(t, d, "c3"))
		tagsRequireNotice(t, notices, "2 chat(s)", "empty or white-space-only", `"c1"`, `"c2"`)
	})
}

func TestMigrateTagsTooLongKeptAndReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		long, fits := strings.Repeat("é", 256), strings.Repeat("É", 255)
		tagsInsertChats(t, d, tagsChat{id: "c1", payload: `{"tags":["` + long + `","` + fits + `"]}`})
		notices := d.Up()
		tagsRequireList(t, "tags", tagsTable(t, d), strings.Repeat("é", 255)+"="+fits)
		migtest.JSONEqual(t, `{"tags":["`+long+`"]}`, tagsPayload(t, d, "c1"))
		tagsRequireNotice(t, notices, "1 chat(s)", "longer than 255", `"c1"`)
	})
}

// "café" and "cafe" are two tags on every dialect: MySQL's tables have a
// binary collation, so its default one (which takes them for one key)
// never decides.
func TestMigrateTagsAccentCollisions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", payload: `{"tags":["Café"]}`},
			tagsChat{id: "c2", payload: `{"tags":["cafe","café"]}`},
		)
		d.Up()
		tagsRequireList(t, "tags", tagsTable(t, d), "cafe=cafe", "café=Café")
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c1:café", "c2:cafe", "c2:café")
	})
}

// Pages end at 5000 rows or 4 MB of payload: both limits are crossed, and
// the spellings of one tag sit in different pages.
func TestMigrateTagsSeveralPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		const n = 12000
		chats := make([]tagsChat, 0, n)
		for i := range n {
			chats = append(chats, tagsChat{id: fmt.Sprintf("c%05d", i), user: "u1", payload: fmt.Sprintf(`{"i":%d,"tags":["t%d","all"]}`, i, i%7)})
		}
		chats[0].payload = `{"tags":["zeta"]}`
		chats[6000].payload = `{"tags":["Zeta","pinned"]}`
		chats[n-1].payload = `{"tags":["ZETA"]}`
		tagsInsertChats(t, d, chats...)
		big := strings.Repeat("x", 1500000)
		for i := range 6 {
			tagsInsertChats(t, d, tagsChat{id: fmt.Sprintf("d%d", i), payload: fmt.Sprintf(`{"blob":"%s","tags":["big","t%d"]}`, big, i)})
		}
		d.Up()
		tags := tagsTable(t, d)
		want := []string{"all=all", "big=big", "t0=t0", "t1=t1", "t2=t2", "t3=t3", "t4=t4", "t5=t5", "t6=t6", "zeta=ZETA"}
		tagsRequireList(t, "tags", tags, want...)
		if got, want := d.Count("chat_tag"), 2*(n-3)+3+12; got != want {
			t.Fatalf("%d chat_tag rows, want %d", got, want)
		}
		if !tagsPinned(t, d, "c06000") || tagsPinned(t, d, "c06001") {
			t.Fatal("pinned not set on the right chat")
		}
		migtest.JSONEqual(t, `{"i":11998}`, tagsPayload(t, d, "c11998"))
		migtest.JSONEqual(t, `{"blob":"`+big+`"}`, tagsPayload(t, d, "d5"))
		for _, r := range d.Rows("SELECT " + d.Q("id") + ", " + d.Q("chat") + " FROM " + d.Q("chat")) {
			if strings.Contains(r[1], "tags") {
				t.Fatalf("chat %s still holds tags", r[0])
			}
		}
	})
}

func TestMigrateTagsDownOrdersByTagID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d, tagsChat{id: "c1", payload: `{"a":1,"tags":[3,"b","äpfel","Zeta","alpha",{"k":null}],"z":2}`})
		d.Up()
		d.Down()
		// Tag ids in byte order: alpha < b < zeta < äpfel (not by name, not by locale).
		got := tagsPayload(t, d, "c1")
		migtest.JSONEqual(t, `{"a":1,"tags":[3,{"k":null},"alpha","b","Zeta","äpfel"],"z":2}`, got)
		var v struct{ Tags []any }
		if err := json.Unmarshal([]byte(got), &v); err != nil || fmt.Sprint(v.Tags) != "[3 map[k:<nil>] alpha b Zeta äpfel]" {
			t.Fatalf("tags order = %v (%v)", v.Tags, err)
		}
	})
}

func TestMigrateTagsDownCreatesTagsKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", payload: `{"title":"t"}`},
			tagsChat{id: "c2"},
			tagsChat{id: "c3", payload: `{"tags":null}`},
			tagsChat{id: "c4", payload: `{"title":"untagged"}`},
		)
		d.Up()
		// Tags the application added after the upgrade.
		d.Insert("tag", map[string]any{"id": "x", "name": "X"}, map[string]any{"id": "y", "name": "y"})
		for _, c := range []string{"c1", "c2", "c3"} {
			d.Insert("chat_tag", map[string]any{"chat_id": c, "tag_id": "y"}, map[string]any{"chat_id": c, "tag_id": "x"})
		}
		d.Down()
		migtest.JSONEqual(t, `{"title":"t","tags":["X","y"]}`, tagsPayload(t, d, "c1"))
		migtest.JSONEqual(t, `{"tags":["X","y"]}`, tagsPayload(t, d, "c2"))
		migtest.JSONEqual(t, `{"tags":["X","y"]}`, tagsPayload(t, d, "c3"))
		migtest.JSONEqual(t, `{"title":"untagged"}`, tagsPayload(t, d, "c4"))
	})
}

func TestMigrateTagsDownRefusesPayloadThatCannotTakeTags(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d,
			tagsChat{id: "c1", payload: `{"tags":["a"]}`},
			tagsChat{id: "c2", payload: `{"tags":"legacy"}`},
			tagsChat{id: "c3", payload: `[1]`},
		)
		d.Up()
		d.Insert("chat_tag", map[string]any{"chat_id": "c2", "tag_id": "a"}, map[string]any{"chat_id": "c3", "tag_id": "a"})
		_, err := d.DownErr()
		if err == nil {
			t.Fatal("down wrote tags into payloads that cannot hold them")
		}
		for _, part := range []string{"2 chat(s)", `"c2"`, `"c3"`, "run the downgrade again"} {
			if !strings.Contains(err.Error(), part) {
				t.Fatalf("error %q does not mention %s", err, part)
			}
		}
		if d.Current() != migrateTagsRev || d.Count("chat_tag") == 0 {
			t.Fatal("the refused down did not leave the step applied with its tags")
		}
		d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("chat")+" = ? WHERE "+d.Q("id")+" IN ('c2', 'c3')", `{"tags":[]}`)
		d.Down()
		migtest.JSONEqual(t, `{"tags":["a"]}`, tagsPayload(t, d, "c1"))
		migtest.JSONEqual(t, `{"tags":["a"]}`, tagsPayload(t, d, "c2"))
		migtest.JSONEqual(t, `{"tags":["a"]}`, tagsPayload(t, d, "c3"))
	})
}

// tagsNormalised is what down(up(payload)) must give: one spelling per
// normalised name (names holds the smallest across the database), duplicates
// merged, string tags after the others in tag-id order, empty arrays and
// "pinned" removed. It also says whether the payload carried "pinned".
func tagsNormalised(t *testing.T, payload string, names map[string]string) (string, bool) {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return payload, false
	}
	arr, ok := obj["tags"].([]any)
	if !ok {
		return payload, false
	}
	var kept []any
	var ids []string
	pinned := false
	for _, e := range arr {
		s, isString := e.(string)
		if !isString {
			kept = append(kept, e)
			continue
		}
		id := tagsOracleID(s)
		switch {
		case id == "":
		case id == "pinned":
			pinned = true
		case !slices.Contains(ids, id):
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		kept = append(kept, names[id])
	}
	if len(kept) == 0 {
		delete(obj, "tags")
	} else {
		obj["tags"] = kept
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), pinned
}

// tagsOracleID normalises a tag another way than the step does.
func tagsOracleID(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), "_") }

func TestMigrateTagsRoundTrip(t *testing.T) {
	spellings := []string{"Work", "work", " WORK ", "side project", "Side  Project", "side\tproject", "ideas", "Ideas",
		"pinned", " Pinned", "", "   ", "über", "ÜBER", "a_b", "a b", "x"}
	others := []string{`1`, `{"k":[1,2]}`, `null`, `true`, `"s"`, `12345678901234567890`}
	rng := rand.New(rand.NewSource(7))
	var chats []tagsChat
	fixed := []string{
		`{"title":"plain"}`,
		`{"tags":[]}`,
		`{"tags":["pinned"]}`,
		`{"tags":"str"}`,
		`{"tags":[1,"x",2]}`,
		`[1,2]`,
	}
	for i, p := range fixed {
		chats = append(chats, tagsChat{id: fmt.Sprintf("f%d", i), user: "u1", payload: p})
	}
	chats = append(chats, tagsChat{id: "fnull", user: "u1"})
	for i := range 300 {
		var elems []string
		for range rng.Intn(6) {
			if rng.Intn(4) == 0 {
				elems = append(elems, others[rng.Intn(len(others))])
			} else {
				b, _ := json.Marshal(spellings[rng.Intn(len(spellings))])
				elems = append(elems, string(b))
			}
		}
		// n is beyond float64 precision: payloads must not pass through floats.
		payload := fmt.Sprintf(`{"title":"chat %d","n":%d,"history":{"messages":{"m":{"content":"hi"}}}`, i, 9007199254740993+int64(i))
		if rng.Intn(5) > 0 {
			payload += `,"tags":[` + strings.Join(elems, ",") + `]`
		}
		chats = append(chats, tagsChat{id: fmt.Sprintf("r%03d", i), user: fmt.Sprintf("u%d", i%3), payload: payload + "}", pinned: rng.Intn(4) == 0})
	}
	// The smallest trimmed spelling of each id over the whole fixture.
	names := map[string]string{}
	for _, c := range chats {
		var v struct{ Tags []any }
		if s, ok := c.payload.(string); ok && json.Unmarshal([]byte(s), &v) == nil {
			for _, e := range v.Tags {
				if s, ok := e.(string); ok {
					id, name := tagsOracleID(s), strings.TrimSpace(s)
					if old, seen := names[id]; !seen || name < old {
						names[id] = name
					}
				}
			}
		}
	}
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		tagsInsertChats(t, d, chats...)
		otherCols := "SELECT " + strings.Join([]string{d.Q("id"), d.Q("user_id"), d.Q("title"), d.Q("archived"), d.Q("share_id"), d.Q("folder_id"), d.Q("created_at"), d.Q("updated_at")}, ", ") + " FROM " + d.Q("chat") + " ORDER BY " + d.Q("id")
		before := d.Rows(otherCols)
		d.Up()
		if d.Count("chat_tag") == 0 {
			t.Fatal("no tags moved")
		}
		d.Down()
		if got := d.Rows(otherCols); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("other chat columns changed:\n%v\n%v", before, got)
		}
		for _, c := range chats {
			got := d.String("SELECT "+d.Q("chat")+" FROM "+d.Q("chat")+" WHERE "+d.Q("id")+" = ?", c.id)
			if c.payload == nil {
				if got != "<nil>" {
					t.Fatalf("chat %s: NULL payload became %s", c.id, got)
				}
				continue
			}
			want, pinnedTag := tagsNormalised(t, c.payload.(string), names)
			if !migtest.SameJSON(want, got) {
				t.Fatalf("chat %s: round trip of %s\n gave %s\n want %s", c.id, c.payload, got, want)
			}
			if p := tagsPinned(t, d, c.id); p != (c.pinned || pinnedTag) {
				t.Fatalf("chat %s: pinned = %v, want %v", c.id, p, c.pinned || pinnedTag)
			}
		}
	})
}

// tagsCrashAfter runs one direction of a step straight on the database,
// as the runner does on MySQL, and makes its write number k+1 fail.
func tagsCrashAfter(t *testing.T, d *migtest.DB, fn func(*dialect.Migrator) error, k int) {
	t.Helper()
	m, err := dialect.NewMigrator(d.G.WithContext(crash.With(context.Background(), &crash.Plan{After: k})))
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(m); !errors.Is(err, crash.ErrInjected) {
		t.Fatalf("run crashing after %d writes: err = %v, want the injected crash", k, err)
	}
}

// Pages commit one by one (on MySQL, where steps run without a
// transaction): a run that stops at any write, in any page, is finished by
// the next run, up and down, with the same result as a run that never
// stopped. Payloads of about 1 MB make pages of four chats.
func TestMigrateTagsRerunAfterCrash(t *testing.T) {
	big := strings.Repeat("x", 1100000)
	fixture := func(t *testing.T, d *migtest.DB) {
		t.Helper()
		for i := range 10 {
			tagsInsertChats(t, d, tagsChat{id: fmt.Sprintf("c%02d", i), user: "u1",
				payload: fmt.Sprintf(`{"blob":"%s","tags":[%d,"Tag %d","tag %d","all","pinned"]}`, big, i, i%3, i%3)})
		}
	}
	step := migtest.Step(t, migrateTagsRev)
	testdb.Each(t, func(t *testing.T, dialectName string) {
		clean := migtest.Before(t, dialectName, migrateTagsRev)
		if clean.Dialector().RunMode() != dialect.NoTransactions {
			t.Skipf("%s runs each step in a transaction: a crashed step leaves nothing behind", dialectName)
		}
		fixture(t, clean)
		clean.Up()
		upRows := tagsShortDump(clean)
		clean.Down()
		downRows := tagsShortDump(clean)
		for _, k := range []int{2, 4, 9, 13} {
			d := migtest.Before(t, dialectName, migrateTagsRev)
			fixture(t, d)
			tagsCrashAfter(t, d, step.Up, k)
			d.Up()
			migtest.RequireSameData(t, upRows, tagsShortDump(d), "clean up", fmt.Sprintf("up re-run after a crash at write %d", k+1))
			tagsCrashAfter(t, d, step.Down, k/2)
			d.Down()
			migtest.RequireSameData(t, downRows, tagsShortDump(d), "clean down", fmt.Sprintf("down re-run after a crash at write %d", k/2+1))
		}
	})
}

// tagsShortDump is d.Dump with long rows cut to their ends and a digest, so
// a failure shows the differing tags rather than megabytes of payload.
func tagsShortDump(d *migtest.DB) map[string][]string {
	d.T.Helper()
	out := d.Dump()
	for table, lines := range out {
		for i, l := range lines {
			if len(l) > 400 {
				lines[i] = fmt.Sprintf("%s…%x…%s", l[:100], sha256.Sum256([]byte(l)), l[len(l)-200:])
			}
		}
		out[table] = lines
	}
	return out
}

// Bytes that are not UTF-8 in a tag, and escapes of unpaired surrogates,
// are bad data: they stay in the payload byte for byte, are reported with
// their chats, and never merge with another tag (decoded, "a\xffb" and
// "a\xfeb" would both be "a\ufffdb"). Down writes names back byte for byte
// too, reporting those that are not UTF-8. Only SQLite can hold such text:
// PostgreSQL and MySQL refuse it on insert, which is checked as well.
func TestMigrateTagsBadTextLeftAndReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.Before(t, dialect, migrateTagsRev)
		bad := []tagsChat{
			{id: "b1", payload: "{\"tags\":[\"a\xffb\",\"ok\"]}"},
			{id: "b2", payload: "{\"tags\":[\"a\xfeb\"]}"},
			{id: "b3", payload: `{"tags":["x\ud800"," OK "]}`},
			{id: "b4", payload: `{"tags":["x\udbff"]}`},
		}
		insert := "INSERT INTO " + d.Q("chat") + " (" + d.Q("id") + ", " + d.Q("chat") + ", " + d.Q("pinned") + ") VALUES (?, ?, false)"
		for _, c := range bad {
			err := d.G.Exec(insert, c.id, c.payload).Error
			if dialect != "sqlite" {
				if err == nil {
					t.Fatalf("%s stored chat %s's payload %q, which is not UTF-8 text", dialect, c.id, c.payload)
				}
				continue
			}
			if err != nil {
				t.Fatalf("insert chat %s: %v", c.id, err)
			}
		}
		if dialect != "sqlite" {
			return
		}
		notices := d.Up()
		tagsRequireList(t, "tags", tagsTable(t, d), "ok=OK")
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "b1:ok", "b3:ok")
		want := map[string]string{
			"b1": "{\"tags\":[\"a\xffb\"]}",
			"b2": bad[1].payload.(string),
			"b3": `{"tags":["x\ud800"]}`,
			"b4": bad[3].payload.(string),
		}
		for id, w := range want {
			if got := tagsPayload(t, d, id); got != w {
				t.Errorf("chat %s payload after up = %q, want %q byte for byte", id, got, w)
			}
		}
		tagsRequireNotice(t, notices, "4 chat(s)", "not valid UTF-8", `"b1"`, `"b4"`)

		// A tag the application wrote after the upgrade, not UTF-8 either.
		d.Exec("INSERT INTO "+d.Q("tag")+" ("+d.Q("id")+", "+d.Q("name")+") VALUES (?, ?)", "n\xff", "N\xff")
		d.Exec("INSERT INTO "+d.Q("chat_tag")+" ("+d.Q("chat_id")+", "+d.Q("tag_id")+") VALUES (?, ?)", "b2", "n\xff")
		notices = d.Down()
		want = map[string]string{
			"b1": "{\"tags\":[\"a\xffb\",\"OK\"]}",
			"b2": "{\"tags\":[\"a\xfeb\",\"N\xff\"]}",
			"b3": `{"tags":["x\ud800","OK"]}`,
			"b4": bad[3].payload.(string),
		}
		for id, w := range want {
			if got := tagsPayload(t, d, id); got != w {
				t.Errorf("chat %s payload after down = %q, want %q byte for byte", id, got, w)
			}
		}
		tagsRequireNotice(t, notices, "1 chat(s)", "not valid UTF-8", `"b2"`)
	})
}
