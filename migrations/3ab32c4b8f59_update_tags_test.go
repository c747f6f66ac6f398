package migrations_test

import (
	"slices"
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const updateTagsRev = "3ab32c4b8f59"

// updateTagsSetup is a database at step 7 with users "amy" and "Zed" ("Zed"
// comes first in byte order, last in a case-insensitive one), an ownerless
// chat, and tags used by one owner, two owners, the ownerless chat, and none.
func updateTagsSetup(t *testing.T, dialect string) *migtest.DB {
	t.Helper()
	d := migtest.Before(t, dialect, updateTagsRev)
	tagsInsertChats(t, d,
		tagsChat{id: "c1", user: "amy", payload: `{}`},
		tagsChat{id: "c2", user: "Zed", payload: `{}`},
		tagsChat{id: "c3", user: "amy", payload: `{}`},
		tagsChat{id: "c4", payload: `{}`},
	)
	d.Insert("tag",
		map[string]any{"id": "work", "name": "Work"},
		map[string]any{"id": "ideas", "name": "Ideas"},
		map[string]any{"id": "shared", "name": "Shared"},
		map[string]any{"id": "lonely", "name": "Lonely"},
	)
	for _, l := range [][2]string{{"c1", "work"}, {"c2", "work"}, {"c3", "work"}, {"c3", "ideas"}, {"c4", "shared"}, {"c2", "shared"}} {
		d.Insert("chat_tag", map[string]any{"chat_id": l[0], "tag_id": l[1]})
	}
	return d
}

// updateTagsRows lists "id/user_id/name" of every tag, in byte order.
func updateTagsRows(t *testing.T, d *migtest.DB) []string {
	t.Helper()
	var out []string
	for _, r := range d.Rows("SELECT " + d.Q("id") + ", " + d.Q("user_id") + ", " + d.Q("name") + " FROM " + d.Q("tag")) {
		out = append(out, r[0]+"/"+r[1]+"/"+r[2])
	}
	slices.Sort(out)
	return out
}

// updateTagsLinks lists "chat_id:tag_id:user_id" of every chat_tag row.
func updateTagsLinks(t *testing.T, d *migtest.DB) []string {
	t.Helper()
	var out []string
	for _, r := range d.Rows("SELECT " + d.Q("chat_id") + ", " + d.Q("tag_id") + ", " + d.Q("user_id") + " FROM " + d.Q("chat_tag")) {
		out = append(out, r[0]+":"+r[1]+":"+r[2])
	}
	slices.Sort(out)
	return out
}

func TestUpdateTagsOneRowPerOwnerWithGlobalName(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := updateTagsSetup(t, dialect)
		d.Up()
		tags := updateTagsRows(t, d)
		for _, want := range []string{"ideas/amy/Ideas", "work/Zed/Work", "work/amy/Work", "shared/Zed/Shared"} {
			if !slices.Contains(tags, want) {
				t.Fatalf("tags = %q, missing %s", tags, want)
			}
		}
		for _, gone := range []string{"ideas//Ideas", "work//Work"} {
			if slices.Contains(tags, gone) {
				t.Fatalf("tags = %q: shared row %s used only by owned chats was kept", tags, gone)
			}
		}
	})
}

func TestUpdateTagsUnusedTagStaysShared(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := updateTagsSetup(t, dialect)
		d.Up()
		tagsRequireList(t, "tags", updateTagsRows(t, d),
			"ideas/amy/Ideas", "lonely//Lonely", "shared//Shared", "shared/Zed/Shared", "work/Zed/Work", "work/amy/Work")
	})
}

func TestUpdateTagsOwnerlessChatUsesSharedRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := updateTagsSetup(t, dialect)
		d.Up()
		tags := updateTagsRows(t, d)
		if !slices.Contains(tags, "shared//Shared") || !slices.Contains(tags, "shared/Zed/Shared") {
			t.Fatalf("tags = %q, want shared kept for the ownerless chat and added for Zed", tags)
		}
		if !slices.Contains(updateTagsLinks(t, d), "c4:shared:") {
			t.Fatalf("chat_tag = %q, want c4 with user_id ''", updateTagsLinks(t, d))
		}
	})
}

func TestUpdateTagsChatTagUserIDFromChat(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := updateTagsSetup(t, dialect)
		d.Up()
		tagsRequireList(t, "chat_tag", updateTagsLinks(t, d),
			"c1:work:amy", "c2:shared:Zed", "c2:work:Zed", "c3:ideas:amy", "c3:work:amy", "c4:shared:")
	})
}

func TestUpdateTagsCompositeForeignKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := updateTagsSetup(t, dialect)
		d.Up()
		d.Exec("DELETE FROM "+d.Q("tag")+" WHERE "+d.Q("id")+" = ? AND "+d.Q("user_id")+" = ?", "work", "amy")
		tagsRequireList(t, "chat_tag", updateTagsLinks(t, d),
			"c2:shared:Zed", "c2:work:Zed", "c3:ideas:amy", "c4:shared:")
		// A link to a tag its user does not have is refused.
		err := d.G.Exec("INSERT INTO " + d.Q("chat_tag") + " (" + d.Q("chat_id") + ", " + d.Q("tag_id") + ", " + d.Q("user_id") + ") VALUES ('c1', 'ideas', 'Zed')").Error
		if err == nil {
			t.Fatal("chat_tag accepted a tag the user has no row of")
		}
	})
}

func TestUpdateTagsDownMergesWithSmallestUserIDName(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := updateTagsSetup(t, dialect)
		before := d.Snapshot()
		d.Up()
		// Users renamed their rows and gave them colours.
		set := "UPDATE " + d.Q("tag") + " SET " + d.Q("name") + " = ?, " + d.Q("color") + " = '#fff', " + d.Q("icon") + " = 'i' WHERE " + d.Q("id") + " = ? AND " + d.Q("user_id") + " = ?"
		d.Exec(set, "amy's work", "work", "amy")
		d.Exec(set, "Zed's work", "work", "Zed")
		d.Exec(set, "Zed's shared", "shared", "Zed")
		d.Exec(set, "everyone's", "shared", "")
		d.Down()
		migtest.RequireSameSchema(t, before, d.Snapshot(), "step 7", "after update_tags down")
		// Byte order: "" < "Zed" < "amy".
		tagsRequireList(t, "tags", tagsTable(t, d), "ideas=Ideas", "lonely=Lonely", "shared=everyone's", "work=Zed's work")
		tagsRequireList(t, "chat_tag", tagsLinks(t, d), "c1:work", "c2:shared", "c2:work", "c3:ideas", "c3:work", "c4:shared")
	})
}

func TestUpdateTagsRoundTripKeepsData(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := updateTagsSetup(t, dialect)
		before := d.Dump()
		d.Up()
		d.Down()
		migtest.RequireSameData(t, before, d.Dump(), "step 7", "after update_tags up and down")
	})
}
