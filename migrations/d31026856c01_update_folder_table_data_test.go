package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

const folderDataRev = "d31026856c01"

var folderDataT0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// folderDataFolder is a folder fixture at the revision before the step.
type folderDataFolder struct {
	id, user string
	parent   any // nil or a string
	items    any // nil (SQL NULL) or JSON text
	updated  time.Time
}

// folderDataSetup returns a database at the revision before the step with
// chats (chat ID to user ID) and folders.
func folderDataSetup(t *testing.T, dialectName string, chats map[string]any, folders ...folderDataFolder) *migtest.DB {
	t.Helper()
	d := migtest.Before(t, dialectName, folderDataRev)
	folderDataInsertChats(t, d, chats)
	for _, f := range folders {
		folderDataInsertFolder(t, d, f)
	}
	return d
}

// folderDataInsertChats adds one chat per entry: chat ID to user ID (nil for
// a chat without a user).
func folderDataInsertChats(t *testing.T, d *migtest.DB, chats map[string]any) {
	t.Helper()
	for id, user := range chats {
		d.Insert("chat", map[string]any{"id": id, "user_id": user, "chat": `{}`, "created_at": 1, "updated_at": 1})
	}
}

func folderDataInsertFolder(t *testing.T, d *migtest.DB, f folderDataFolder) {
	t.Helper()
	if f.updated.IsZero() {
		f.updated = folderDataT0
	}
	row := map[string]any{"id": f.id, "user_id": f.user, "name": "n " + f.id, "parent_id": f.parent,
		"created_at": folderDataT0, "updated_at": f.updated}
	if f.items != nil { // after the up there is no items column
		row["items"] = f.items
	}
	d.Insert("folder", row)
}

// folderDataOf returns each chat's folder_id ("<nil>" for NULL).
func folderDataOf(t *testing.T, d *migtest.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range d.Rows("SELECT " + d.Q("id") + ", " + d.Q("folder_id") + " FROM " + d.Q("chat")) {
		out[r[0]] = r[1]
	}
	return out
}

func folderDataRequireFolders(t *testing.T, d *migtest.DB, want map[string]string) {
	t.Helper()
	got := folderDataOf(t, d)
	for chat, w := range want {
		if got[chat] != w {
			t.Errorf("chat %s: folder_id = %s, want %s", chat, got[chat], w)
		}
	}
}

// folderDataNotice returns the one notice containing marker, failing if
// there is none or more than one.
func folderDataNotice(t *testing.T, notices []string, marker string) string {
	t.Helper()
	var found []string
	for _, n := range notices {
		if strings.Contains(n, marker) {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one notice containing %q, got %d in %q", marker, len(found), notices)
	}
	return found[0]
}

func folderDataRequireNoNotice(t *testing.T, notices []string, marker string) {
	t.Helper()
	for _, n := range notices {
		if strings.Contains(n, marker) {
			t.Fatalf("unexpected notice: %s", n)
		}
	}
}

func folderDataRequireContains(t *testing.T, notice string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(notice, p) {
			t.Errorf("notice lacks %q: %s", p, notice)
		}
	}
}

// Notice markers, one per kind of dropped data.
const (
	folderDataMarkMissing    = "name no chat"
	folderDataMarkForeign    = "folder of another user"
	folderDataMarkLost       = "listed by several folders"
	folderDataMarkUnreadable = "cannot be read"
	folderDataMarkDangling   = "parent folder that does not exist"
)

func TestUpdateFolderTableDataLatestFolderWins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1", "c3": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1", "c2", "c3"]}`, updated: folderDataT0.Add(time.Hour)},
			folderDataFolder{id: "f2", user: "u1", items: `{"chat_ids": ["c1"]}`, updated: folderDataT0.Add(2 * time.Hour)},
			// Half a second later: sub-second parts count.
			folderDataFolder{id: "f3", user: "u1", items: `{"chat_ids": ["c2"]}`, updated: folderDataT0.Add(time.Hour + 500*time.Millisecond)},
			folderDataFolder{id: "f0", user: "u1", items: `{"chat_ids": ["c3"]}`, updated: folderDataT0},
		)
		d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c1": "f2", "c2": "f3", "c3": "f1"})
	})
}

func TestUpdateFolderTableDataTieGoesToSmallestFolderID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		// Byte order: "B" < "a" and "f10" < "f9"; a case-insensitive or
		// numeric order would pick the other folder.
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1"},
			folderDataFolder{id: "a", user: "u1", items: `{"chat_ids": ["c1"]}`},
			folderDataFolder{id: "B", user: "u1", items: `{"chat_ids": ["c1"]}`},
			folderDataFolder{id: "f9", user: "u1", items: `{"chat_ids": ["c2"]}`},
			folderDataFolder{id: "f10", user: "u1", items: `{"chat_ids": ["c2"]}`},
		)
		d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c1": "B", "c2": "f10"})
	})
}

func TestUpdateFolderTableDataMissingChatsReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		long := strings.Repeat("x", 300) // longer than any key
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1", "gone1", "C1"]}`},
			folderDataFolder{id: "f2", user: "u1", items: `{"chat_ids": ["gone1", "gone2", "` + long + `"]}`},
		)
		notices := d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c1": "f1"})
		if n := d.Count("chat"); n != 1 {
			t.Fatalf("chat has %d rows, want 1", n)
		}
		// "C1" names no chat: IDs match byte for byte on every dialect.
		// gone1 is listed twice: two listings dropped.
		n := folderDataNotice(t, notices, folderDataMarkMissing)
		folderDataRequireContains(t, n, "5 listed chat ID(s)", `"gone1" in folder "f1"`, `"C1" in folder "f1"`,
			`"gone1" in folder "f2"`, `"gone2" in folder "f2"`, `"`+strings.Repeat("x", 40)+`..." in folder "f2"`)
		for _, other := range []string{folderDataMarkForeign, folderDataMarkLost, folderDataMarkUnreadable, folderDataMarkDangling} {
			folderDataRequireNoNotice(t, notices, other)
		}
	})
}

func TestUpdateFolderTableDataOtherUsersChatNotMoved(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1", "c3": nil},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1"]}`},
			// Newer, but another user's: it neither takes c1 nor wins.
			folderDataFolder{id: "f2", user: "u2", items: `{"chat_ids": ["c1", "c2", "c3"]}`, updated: folderDataT0.Add(time.Hour)},
			// User IDs match byte for byte too.
			folderDataFolder{id: "f3", user: "U1", items: `{"chat_ids": ["c2"]}`},
		)
		notices := d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c1": "f1", "c2": "<nil>", "c3": "<nil>"})
		n := folderDataNotice(t, notices, folderDataMarkForeign)
		folderDataRequireContains(t, n, "4 listing(s)", `chat "c1" in folder "f2" of user "u2"`, `chat "c2" in folder "f3" of user "U1"`, `chat "c3" in folder "f2"`)
		folderDataRequireNoNotice(t, notices, folderDataMarkLost)
	})
}

func TestUpdateFolderTableDataLostMembershipsReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1", "c2", "c1"]}`},
			folderDataFolder{id: "f2", user: "u1", items: `{"chat_ids": ["c1"]}`, updated: folderDataT0.Add(time.Minute)},
			folderDataFolder{id: "f3", user: "u1", items: `{"chat_ids": ["c1"]}`, updated: folderDataT0.Add(time.Hour)},
		)
		notices := d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c1": "f3", "c2": "f1"})
		// c1 listed twice by f1 is one membership; c2 has one folder only.
		n := folderDataNotice(t, notices, folderDataMarkLost)
		folderDataRequireContains(t, n, "2 membership(s)",
			`chat "c1" dropped from folder "f1"`, `chat "c1" dropped from folder "f2"`)
		folderDataRequireNoNotice(t, notices, "c2")
	})
}

func TestUpdateFolderTableDataUnreadableItemsReported(t *testing.T) {
	cases := []struct {
		name, folder string
		items        any
		problem      string // "" if items hold nothing unreadable
		chat         string // a chat items list that must still move
	}{
		{name: "sql null", folder: "z1", items: nil},
		{name: "json null", folder: "z2", items: `null`},
		{name: "empty object", folder: "z3", items: `{}`},
		{name: "empty list", folder: "z4", items: `{"chat_ids": []}`},
		{name: "null list", folder: "z5", items: `{"chat_ids": null}`},
		{name: "invalid json", folder: "p1", items: `{"chat_ids": ["c1"`, problem: "invalid JSON"},
		{name: "not an object", folder: "p2", items: `["c2"]`, problem: "not a JSON object"},
		{name: "list not an array", folder: "p3", items: `{"chat_ids": "c3"}`, problem: "chat_ids is not an array"},
		{name: "non-string elements", folder: "p4", items: `{"chat_ids": [5, "c4", null, {"id": "c5"}]}`, problem: "3 non-string chat_ids element(s)", chat: "c4"},
		{name: "other keys", folder: "p5", items: `{"chat_ids": ["c6"], "file_ids": ["x"]}`, problem: "keys other than chat_ids", chat: "c6"},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := migtest.Before(t, dialectName, folderDataRev)
		folderDataInsertChats(t, d, map[string]any{"c1": "u1", "c2": "u1", "c3": "u1", "c4": "u1", "c5": "u1", "c6": "u1"})
		held := map[string]bool{}
		problems := 0
		for _, c := range cases {
			// Only SQLite can hold text that is not JSON: try the insert.
			err := d.G.Exec("INSERT INTO "+d.Q("folder")+" ("+d.Q("id")+", "+d.Q("user_id")+", "+d.Q("name")+", "+d.Q("items")+", "+
				d.Q("created_at")+", "+d.Q("updated_at")+") VALUES (?, 'u1', 'n', ?, ?, ?)", c.folder, c.items, folderDataT0, folderDataT0).Error
			if err != nil {
				if c.problem != "invalid JSON" {
					t.Fatalf("insert %s: %v", c.name, err)
				}
				continue
			}
			held[c.name] = true
			if c.problem != "" {
				problems++
			}
		}
		notices := d.Up()
		got := folderDataOf(t, d)
		n := folderDataNotice(t, notices, folderDataMarkUnreadable)
		folderDataRequireContains(t, n, fmt.Sprintf("%d folder(s)", problems))
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if !held[c.name] {
					t.Skipf("%s cannot hold items %s", dialectName, c.items)
				}
				if c.problem == "" {
					folderDataRequireNoNotice(t, []string{n}, fmt.Sprintf("%q", c.folder))
				} else {
					folderDataRequireContains(t, n, fmt.Sprintf("folder %q (%s)", c.folder, c.problem))
				}
				if c.chat != "" && got[c.chat] != c.folder {
					t.Errorf("chat %s: folder_id = %s, want %s", c.chat, got[c.chat], c.folder)
				}
			})
		}
		for _, c := range []string{"c1", "c2", "c3", "c5"} {
			if got[c] != "<nil>" {
				t.Errorf("chat %s moved to %s from unreadable items", c, got[c])
			}
		}
	})
}

func TestUpdateFolderTableDataCleanDataReportsNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1", "c3": "u2"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1", "c2"]}`},
			folderDataFolder{id: "f2", user: "u1", parent: "f1", items: `{}`},
			folderDataFolder{id: "f3", user: "u2", items: nil},
		)
		if notices := d.Up(); len(notices) != 0 {
			t.Fatalf("clean data gave notices: %q", notices)
		}
		folderDataRequireFolders(t, d, map[string]string{"c1": "f1", "c2": "f1", "c3": "<nil>"})
	})
}

func TestUpdateFolderTableDataDanglingParentNulled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, nil,
			folderDataFolder{id: "f1", user: "u1"},
			folderDataFolder{id: "f2", user: "u1", parent: "f1"},
			folderDataFolder{id: "f3", user: "u1", parent: "gone"},
			folderDataFolder{id: "f4", user: "u1", parent: "f4"},
			folderDataFolder{id: "f5", user: "u1", parent: "F1"}, // names no folder byte for byte
		)
		notices := d.Up()
		got := map[string]string{}
		for _, r := range d.Rows("SELECT " + d.Q("id") + ", " + d.Q("parent_id") + " FROM " + d.Q("folder")) {
			got[r[0]] = r[1]
		}
		want := map[string]string{"f1": "<nil>", "f2": "f1", "f3": "<nil>", "f4": "f4", "f5": "<nil>"}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("folder %s: parent_id = %s, want %s", id, got[id], w)
			}
		}
		n := folderDataNotice(t, notices, folderDataMarkDangling)
		folderDataRequireContains(t, n, "2 folder(s)", `folder "f3" (parent "gone")`, `folder "f5" (parent "F1")`)
	})
}

func TestUpdateFolderTableDataForeignKeysAct(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1", "c3": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1"]}`},
			folderDataFolder{id: "top", user: "u1"},
			folderDataFolder{id: "sub", user: "u1", parent: "top", items: `{"chat_ids": ["c2"]}`},
		)
		d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c1": "f1", "c2": "sub", "c3": "<nil>"})
		// Deleting a folder empties its chats' folder_id (SET NULL)...
		d.Exec("DELETE FROM "+d.Q("folder")+" WHERE "+d.Q("id")+" = ?", "f1")
		// ...and deleting a parent deletes its subfolders (CASCADE).
		d.Exec("DELETE FROM "+d.Q("folder")+" WHERE "+d.Q("id")+" = ?", "top")
		if n := d.Count("folder"); n != 0 {
			t.Fatalf("folder has %d rows after deleting f1 and top, want 0", n)
		}
		folderDataRequireFolders(t, d, map[string]string{"c1": "<nil>", "c2": "<nil>"})
		if n := d.Count("chat"); n != 3 {
			t.Fatalf("chat has %d rows, want 3: deleting a folder must not delete chats", n)
		}
		if err := d.G.Exec("UPDATE " + d.Q("chat") + " SET " + d.Q("folder_id") + " = 'nope' WHERE " + d.Q("id") + " = 'c3'").Error; err == nil {
			t.Fatal("a chat in a missing folder was accepted")
		}
		folderDataInsertFolder(t, d, folderDataFolder{id: "f9", user: "u1"})
		if err := d.G.Exec("UPDATE " + d.Q("folder") + " SET " + d.Q("parent_id") + " = 'nope' WHERE " + d.Q("id") + " = 'f9'").Error; err == nil {
			t.Fatal("a folder with a missing parent was accepted")
		}
	})
}

// folderDataItems returns each folder's items ("<nil>" for NULL).
func folderDataItems(t *testing.T, d *migtest.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range d.Rows("SELECT " + d.Q("id") + ", " + d.Q("items") + " FROM " + d.Q("folder")) {
		out[r[0]] = r[1]
	}
	return out
}

func TestUpdateFolderTableDataDownRebuildsItems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "a": "u1", "B": "u1", "c2": "u1", "c3": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1", "a", "B", "a"]}`},
			folderDataFolder{id: "f2", user: "u1", items: `{"chat_ids": []}`},
			folderDataFolder{id: "f3", user: "u1", items: `{}`},
			folderDataFolder{id: "f4", user: "u1", items: nil},
			folderDataFolder{id: "f5", user: "u1", parent: "f1", items: `{"chat_ids": ["c2", "gone"]}`},
			folderDataFolder{id: "f6", user: "u1", items: `{"chat_ids": ["c2"]}`, updated: folderDataT0.Add(time.Hour)},
		)
		before := d.Snapshot()
		d.Up()
		if notices := d.Down(); len(notices) != 0 {
			t.Fatalf("down gave notices: %q", notices)
		}
		migtest.RequireSameSchema(t, before, d.Snapshot(), "before up", "after down")
		want := map[string]string{
			"f1": `{"chat_ids": ["B", "a", "c1"]}`, // byte order, duplicates merged
			"f2": `{"chat_ids": []}`,
			"f3": `{"chat_ids": []}`,
			"f4": `{"chat_ids": []}`,
			"f5": `{"chat_ids": []}`, // c2 went to f6, gone was dropped
			"f6": `{"chat_ids": ["c2"]}`,
		}
		got := folderDataItems(t, d)
		if len(got) != len(want) {
			t.Fatalf("folders after down: %v", got)
		}
		for id, w := range want {
			if !migtest.SameJSON(w, got[id]) {
				t.Errorf("folder %s: items = %s, want %s", id, got[id], w)
			}
		}
		if d.G.Migrator().HasColumn("chat", "folder_id") {
			t.Fatal("chat.folder_id survived the down")
		}
		if p := d.String("SELECT " + d.Q("parent_id") + " FROM " + d.Q("folder") + " WHERE " + d.Q("id") + " = 'f5'"); p != "f1" {
			t.Fatalf("f5 parent_id = %s after down, want f1", p)
		}
	})
}

// TestUpdateFolderTableDataDownReportsOrphans: a chat.folder_id naming no
// folder (possible where foreign keys were off, as SQLite allows) cannot be
// written back into items; the down says so.
func TestUpdateFolderTableDataDownReportsOrphans(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1"]}`},
		)
		d.Up()
		err := d.G.Connection(func(conn *gorm.DB) error {
			if err := conn.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
				return err
			}
			defer conn.Exec("PRAGMA foreign_keys = ON")
			return conn.Exec("UPDATE " + d.Q("chat") + " SET " + d.Q("folder_id") + " = 'gone' WHERE " + d.Q("id") + " = 'c2'").Error
		})
		if err != nil {
			t.Skipf("%s cannot hold a chat in a missing folder: %v", dialectName, err)
		}
		n := folderDataNotice(t, d.Down(), "name a folder that does not exist")
		folderDataRequireContains(t, n, "1 chat(s)", `chat "c2" (folder "gone")`)
		if got := folderDataItems(t, d)["f1"]; !migtest.SameJSON(`{"chat_ids": ["c1"]}`, got) {
			t.Fatalf("f1 items = %s after down", got)
		}
	})
}

// TestUpdateFolderTableDataBadTextKeptByteForByte: chat IDs that are not
// UTF-8 (only SQLite can hold them) are matched byte for byte by the up and
// written back byte for byte by the down, which reports them; encoded by
// encoding/json they would both become "c\ufffd" and name no chat.
func TestUpdateFolderTableDataBadTextKeptByteForByte(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := migtest.Before(t, dialectName, folderDataRev)
		err := d.G.Exec("INSERT INTO "+d.Q("chat")+" ("+d.Q("id")+", "+d.Q("user_id")+", "+d.Q("chat")+") VALUES (?, 'u1', '{}')", "c\xff").Error
		if dialectName != "sqlite" {
			if err == nil {
				t.Fatalf("%s stored a chat ID that is not UTF-8", dialectName)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		folderDataInsertChats(t, d, map[string]any{"c\xfe": "u1", "c2": "u1"})
		folderDataInsertFolder(t, d, folderDataFolder{id: "f1", user: "u1", items: "{\"chat_ids\": [\"c\xff\", \"c2\", \"c\xfe\"]}"})
		if notices := d.Up(); len(notices) != 0 {
			t.Fatalf("up gave notices: %q", notices)
		}
		folderDataRequireFolders(t, d, map[string]string{"c\xff": "f1", "c\xfe": "f1", "c2": "f1"})
		n := folderDataNotice(t, d.Down(), "not valid UTF-8")
		folderDataRequireContains(t, n, "2 chat(s)", `"c\xfe"`, `"c\xff"`)
		if got, want := folderDataItems(t, d)["f1"], "{\"chat_ids\":[\"c2\",\"c\xfe\",\"c\xff\"]}"; got != want {
			t.Fatalf("f1 items after down = %q, want %q byte for byte", got, want)
		}
		d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c\xff": "f1", "c\xfe": "f1", "c2": "f1"})
	})
}

func TestUpdateFolderTableDataUpDownUpSameAssignment(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1", "c3": "u2", "c4": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1", "c2", "c3", "gone"]}`},
			folderDataFolder{id: "f2", user: "u1", parent: "nope", items: `{"chat_ids": ["c2"]}`, updated: folderDataT0.Add(time.Second)},
			folderDataFolder{id: "f3", user: "u2", parent: "f1", items: `{"chat_ids": ["c3", "c4"]}`},
		)
		// One notice each: missing chat, other user's chats, lost
		// membership, dangling parent.
		if notices := d.Up(); len(notices) != 4 {
			t.Fatalf("first up: want 4 notices, got %q", notices)
		}
		first := folderDataOf(t, d)
		d.Down()
		// The down wrote back exactly what the up kept: nothing left to report.
		if notices := d.Up(); len(notices) != 0 {
			t.Fatalf("second up gave notices: %q", notices)
		}
		second := folderDataOf(t, d)
		if fmt.Sprint(first) != fmt.Sprint(second) {
			t.Fatalf("assignment changed over up-down-up:\n first %v\nsecond %v", first, second)
		}
		folderDataRequireFolders(t, d, map[string]string{"c1": "f1", "c2": "f2", "c3": "f3", "c4": "<nil>"})
	})
}

func TestUpdateFolderTableDataLeftoverStagingIgnored(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1"]}`},
			folderDataFolder{id: "f2", user: "u1", updated: folderDataT0.Add(time.Hour)},
		)
		// As an interrupted MySQL run could leave it: a listing f2 never had.
		d.Exec("CREATE TABLE " + d.Q("_folder_chat_staging") + " (" + d.Q("chat_id") + " varchar(255) NOT NULL, " + d.Q("folder_id") + " varchar(255) NOT NULL)")
		d.Exec("INSERT INTO " + d.Q("_folder_chat_staging") + " VALUES ('c1', 'f2')")
		d.Up()
		folderDataRequireFolders(t, d, map[string]string{"c1": "f1"})
		if d.G.Migrator().HasTable("_folder_chat_staging") {
			t.Fatal("the staging table survived the step")
		}
	})
}

// TestUpdateFolderTableDataManyBatches uses more folders than one keyed
// batch holds (up checks items and down rebuilds them batch by batch);
// chats listed by folders batches apart go to the newer folder.
func TestUpdateFolderTableDataManyBatches(t *testing.T) {
	const n = 2*dialect.BatchSize + 1
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := migtest.Before(t, dialectName, folderDataRev)
		folderRows := make([][]any, 0, n)
		chatRows := make([][]any, 0, n+1)
		for i := range n {
			items := fmt.Sprintf(`{"chat_ids": ["c%05d"]}`, i)
			updated := folderDataT0
			switch i {
			case 0: // loses to the last folder, batches later
				items = fmt.Sprintf(`{"chat_ids": ["c%05d", "shared"]}`, i)
			case 1: // wins over the folder before last, batches later
				items = fmt.Sprintf(`{"chat_ids": ["c%05d", "shared2"]}`, i)
				updated = folderDataT0.Add(time.Hour)
			case n - 2:
				items = fmt.Sprintf(`{"chat_ids": ["c%05d", "shared2"]}`, i)
			case n - 1:
				items = fmt.Sprintf(`{"chat_ids": ["c%05d", "shared"]}`, i)
				updated = folderDataT0.Add(time.Hour)
			}
			folderRows = append(folderRows, []any{fmt.Sprintf("f%05d", i), "u1", "n", items, folderDataT0, updated})
			chatRows = append(chatRows, []any{fmt.Sprintf("c%05d", i), "u1", "{}"})
		}
		chatRows = append(chatRows, []any{"shared", "u1", "{}"}, []any{"shared2", "u1", "{}"})
		folderDataBulkInsert(t, d, "folder", []string{"id", "user_id", "name", "items", "created_at", "updated_at"}, folderRows)
		folderDataBulkInsert(t, d, "chat", []string{"id", "user_id", "chat"}, chatRows)

		notices := d.Up()
		got := folderDataOf(t, d)
		for i := range n {
			c, f := fmt.Sprintf("c%05d", i), fmt.Sprintf("f%05d", i)
			if got[c] != f {
				t.Fatalf("chat %s: folder_id = %s, want %s", c, got[c], f)
			}
		}
		folderDataRequireFolders(t, d, map[string]string{"shared": fmt.Sprintf("f%05d", n-1), "shared2": "f00001"})
		folderDataRequireContains(t, folderDataNotice(t, notices, folderDataMarkLost), "2 membership(s)",
			`chat "shared" dropped from folder "f00000"`, fmt.Sprintf(`chat "shared2" dropped from folder "f%05d"`, n-2))

		d.Down()
		items := folderDataItems(t, d)
		for i := range n {
			want := fmt.Sprintf(`{"chat_ids": ["c%05d"]}`, i)
			switch i {
			case 1:
				want = fmt.Sprintf(`{"chat_ids": ["c%05d", "shared2"]}`, i)
			case n - 1:
				want = fmt.Sprintf(`{"chat_ids": ["c%05d", "shared"]}`, i)
			}
			if f := fmt.Sprintf("f%05d", i); !migtest.SameJSON(want, items[f]) {
				t.Fatalf("folder %s: items = %s, want %s", f, items[f], want)
			}
		}
	})
}

// folderDataBulkInsert inserts rows a few hundred per statement.
func folderDataBulkInsert(t *testing.T, d *migtest.DB, table string, cols []string, rows [][]any) {
	t.Helper()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = d.Q(c)
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for start := 0; start < len(rows); start += 500 {
		chunk := rows[start:min(start+500, len(rows))]
		var args []any
		for _, r := range chunk {
			args = append(args, r...)
		}
		d.Exec("INSERT INTO "+d.Q(table)+" ("+strings.Join(quoted, ",")+") VALUES "+
			strings.TrimSuffix(strings.Repeat(tuple+",", len(chunk)), ","), args...)
	}
}

// TestUpdateFolderTableDataRerunAfterCrash crashes the step at every
// statement that writes, in both directions, then runs it again: the
// result must be the one an uninterrupted run gives, though on MySQL the
// crashed run's earlier statements stay committed.
func TestUpdateFolderTableDataRerunAfterCrash(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := folderDataSetup(t, dialectName, map[string]any{"c1": "u1", "c2": "u1", "c3": "u2"},
			folderDataFolder{id: "f1", user: "u1", items: `{"chat_ids": ["c1", "c2", "gone"]}`},
			folderDataFolder{id: "f2", user: "u1", parent: "nope", items: `{"chat_ids": ["c2", "c3"]}`, updated: folderDataT0.Add(time.Hour)},
			folderDataFolder{id: "f3", user: "u1", parent: "f1"},
		)
		if d.Dialector().RunMode() != dialect.NoTransactions {
			t.Skipf("%s runs the step in a transaction: a crash leaves nothing half done", dialectName)
		}
		before := d.Snapshot()
		d.Up()
		after := d.Snapshot()
		wantUp := d.Dump()
		d.Down()
		wantDown := d.Dump()

		crash := func(t *testing.T, run func(ctx context.Context) error, writes int) bool {
			t.Helper()
			plan := &crash.Plan{After: writes}
			err := run(crash.With(context.Background(), plan))
			if err == nil {
				return false // the step has fewer writes: it ran through
			}
			if !errors.Is(err, crash.ErrInjected) {
				t.Fatalf("crash after %d writes: unexpected error %v", writes, err)
			}
			return true
		}
		up := func(ctx context.Context) error {
			_, err := d.Runner.Up(ctx, folderDataRev, db.Options{})
			return err
		}
		down := func(ctx context.Context) error {
			_, err := d.Runner.Down(ctx, db.DownRequest{}, db.Options{})
			return err
		}
		for writes := 0; ; writes++ {
			if !crash(t, up, writes) {
				t.Logf("up: %d writes", writes)
				d.Down()
				if writes == 0 {
					t.Fatal("the up wrote nothing")
				}
				break
			}
			d.Up()
			migtest.RequireSameSchema(t, after, d.Snapshot(), "clean up", fmt.Sprintf("up re-run after a crash after %d writes", writes))
			migtest.RequireSameData(t, wantUp, d.Dump(), "clean up", fmt.Sprintf("up re-run after a crash after %d writes", writes))
			d.Down()
		}
		d.Up()
		for writes := 0; ; writes++ {
			if !crash(t, down, writes) {
				t.Logf("down: %d writes", writes)
				break
			}
			d.Down()
			migtest.RequireSameSchema(t, before, d.Snapshot(), "clean down", fmt.Sprintf("down re-run after a crash after %d writes", writes))
			migtest.RequireSameData(t, wantDown, d.Dump(), "clean down", fmt.Sprintf("down re-run after a crash after %d writes", writes))
			d.Up()
		}
	})
}

// TestUpdateFolderTableDataAtScale times the step up and down on many chats
// (set SCHEMA_TEST_FOLDER_ROWS, e.g. 1000000): one folder per four chats,
// each listing its four and the next folder's first, so a quarter of the
// chats are contested. Each direction must finish well under 30 seconds.
func TestUpdateFolderTableDataAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SCHEMA_TEST_FOLDER_ROWS"))
	if n <= 0 {
		t.Skip("set SCHEMA_TEST_FOLDER_ROWS to run")
	}
	const limit = 30 * time.Second
	testdb.Each(t, func(t *testing.T, dialectName string) {
		d := migtest.Before(t, dialectName, folderDataRev)
		start := time.Now()
		folders := n / 4
		var chatRows, folderRows [][]any
		for i := range n {
			chatRows = append(chatRows, []any{fmt.Sprintf("c%08d", i), "u1", "{}"})
			if len(chatRows) == 5000 || i == n-1 {
				folderDataBulkInsert(t, d, "chat", []string{"id", "user_id", "chat"}, chatRows)
				chatRows = chatRows[:0]
			}
		}
		for i := range folders {
			ids := []string{}
			for j := range 5 {
				ids = append(ids, fmt.Sprintf("%q", fmt.Sprintf("c%08d", (4*i+j)%n)))
			}
			folderRows = append(folderRows, []any{fmt.Sprintf("f%08d", i), "u1", "n",
				`{"chat_ids": [` + strings.Join(ids, ", ") + `]}`, folderDataT0, folderDataT0.Add(time.Duration(i%7) * time.Second)})
			if len(folderRows) == 5000 || i == folders-1 {
				folderDataBulkInsert(t, d, "folder", []string{"id", "user_id", "name", "items", "created_at", "updated_at"}, folderRows)
				folderRows = folderRows[:0]
			}
		}
		t.Logf("%s: inserted %d chats and %d folders in %v", dialectName, n, folders, time.Since(start))
		timed := func(what string, f func()) {
			t.Helper()
			start := time.Now()
			f()
			took := time.Since(start)
			t.Logf("%s: %s took %v", dialectName, what, took)
			if took > limit {
				t.Errorf("%s: %s took %v, want under %v", dialectName, what, took, limit)
			}
		}
		timed("up", func() { d.Up() })
		if got := d.String("SELECT count(*) FROM " + d.Q("chat") + " WHERE " + d.Q("folder_id") + " IS NOT NULL"); got != strconv.Itoa(4*folders) {
			t.Fatalf("%s chats have a folder, want %d", got, 4*folders)
		}
		timed("down", func() { d.Down() })
	})
}
