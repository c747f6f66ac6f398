package tests

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/models"
	"gorm.io/datatypes"
	"gorm.io/gorm"
)

func ptr[T any](v T) *T { return &v }

func quote(g *gorm.DB, ident string) string {
	var b strings.Builder
	g.Dialector.QuoteTo(&b, ident)
	return b.String()
}

// TestModelsOnChainSchema is what a handler does: on a database built by
// the chain, every model writes and reads back exactly, on every dialect.
func TestModelsOnChainSchema(t *testing.T) {
	if got := len(models.All()); got != 23 {
		t.Fatalf("models.All() has %d models, want 23 tables", got)
	}
	testdb.Each(t, func(t *testing.T, dialect string) {
		g, err := db.OpenAndMigrate(context.Background(), testdb.URL(t, dialect))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if s, err := g.DB(); err == nil {
				s.Close()
			}
		})
		created := time.Date(2025, 3, 30, 1, 30, 15, 123456000, time.UTC)
		daily := models.ResetSchedule{Period: "daily", Time: "00:00", Timezone: "UTC"}
		rows := []any{
			&models.User{ID: "u1", Name: ptr("Ada"), Email: ptr("ada@example.com"), APIKey: ptr("sk-1"), Settings: datatypes.JSON(`{"theme":"dark"}`), CreatedAt: 1700000000},
			&models.Auth{ID: "u1", Email: ptr("ada@example.com"), Password: ptr("hash"), Active: ptr(true)},
			&models.Folder{ID: "f1", UserID: "u1", Name: "Work", CreatedAt: created, UpdatedAt: created},
			&models.Chat{ID: "c1", UserID: ptr("u1"), Chat: datatypes.JSON(`{"title":"x"}`), Title: ptr("x"), Pinned: true, FolderID: ptr("f1")},
			&models.Channel{ID: "ch1", UserID: "u1", Name: "general", AccessControl: &models.AccessControl{Read: models.AccessList{GroupIDs: []string{"g1"}}}},
			&models.Message{ID: "m1", ChatID: ptr("c1"), Content: ptr("hi"), Images: datatypes.JSON(`["a.png"]`)},
			&models.Message{ID: "m2", ChannelID: ptr("ch1"), Content: ptr("channel only")},
			&models.File{ID: "fl1", UserID: ptr("u1"), Path: ptr("file:///data/a.pdf"), Size: ptr(int64(1024)), Processed: true,
				Meta: datatypes.JSON(`{"name":"a.pdf","content_type":"application/pdf","size":1024}`)},
			&models.Tool{ID: "t1", UserID: ptr("u1")},
			&models.Function{ID: "fn1", IsActive: ptr(false)},
			&models.Model{ID: "md1", BaseModelID: ptr("gpt-4o")},
			&models.Prompt{Command: "/s", Content: ptr("Summarize")},
			&models.Memory{ID: "mem1", UserID: ptr("u1")},
			&models.Tag{ID: "work", Name: "Work", UserID: "u1", Color: ptr("#fff")},
			&models.ChatTag{ChatID: "c1", TagID: "work", UserID: "u1"},
			&models.Knowledge{ID: "k1", UserID: "u1", Name: "Docs", Files: models.StringList{"fl1"}},
			&models.Group{ID: "g1", UserID: "u1", Name: "Team"},
			&models.GroupMember{GroupID: "g1", UserID: "u1"},
			&models.Config{Key: "ui", Value: datatypes.JSON(`{"a":1}`)},
			&models.Feedback{ID: "fb1", UserID: "u1", MessageID: "m1", Rating: -1, CreatedAt: 1},
			&models.ChannelMember{ChannelID: "ch1", UserID: "u1"},
			&models.Note{ID: "n1", UserID: "u1", Title: ptr("Ideas")},
			&models.TokenGroup{Name: "team", Models: models.StringList{"gpt-4o"}, Limit: ptr(int64(1000)), ResetSchedule: &daily},
			&models.TokenGroup{Name: "plain"},
			&models.TokenUsage{GroupName: "team", TokenIn: 1, TokenOut: 2, TokenTotal: 3, LastResetDate: ptr("2026-11-25")},
		}
		for _, r := range rows {
			if err := g.Create(r).Error; err != nil {
				t.Fatalf("create %T: %v", r, err)
			}
		}

		var user models.User
		if err := g.First(&user, "id = ?", "u1").Error; err != nil || user.CreatedAt != 1700000000 || user.UpdatedAt < 1700000000 {
			t.Errorf("user read back as %+v (%v); created_at kept, updated_at set by GORM", user, err)
		}
		// Rows written by other programs may hold NULL epochs: they read as 0.
		if err := g.Exec("UPDATE " + quote(g, "user") + " SET created_at = NULL WHERE id = 'u1'").Error; err != nil {
			t.Fatal(err)
		}
		var again models.User
		if err := g.First(&again, "id = ?", "u1").Error; err != nil || again.CreatedAt != 0 {
			t.Errorf("NULL created_at read back as %+v (%v)", again, err)
		}
		var folder models.Folder
		if err := g.First(&folder, "id = ?", "f1").Error; err != nil {
			t.Fatal(err)
		}
		if !folder.CreatedAt.Equal(created) || folder.CreatedAt.Location() != time.UTC {
			t.Errorf("folder.created_at = %v, want %v in UTC", folder.CreatedAt, created)
		}
		var tg, plain models.TokenGroup
		if err := g.First(&tg, "name = ?", "team").Error; err != nil {
			t.Fatal(err)
		}
		if tg.ResetSchedule == nil || *tg.ResetSchedule != daily || !reflect.DeepEqual(tg.Models, models.StringList{"gpt-4o"}) {
			t.Errorf("token group read back as %+v", tg)
		}
		if err := g.First(&plain, "name = ?", "plain").Error; err != nil {
			t.Fatal(err)
		}
		if plain.ResetSchedule != nil || plain.Models != nil {
			t.Errorf("NULL JSON columns read back as %+v", plain)
		}
		var chat models.Chat
		if err := g.First(&chat, "id = ?", "c1").Error; err != nil || !chat.Pinned || chat.Archived {
			t.Errorf("chat read back as %+v (%v)", chat, err)
		}
		var ch models.Channel
		if err := g.First(&ch, "id = ?", "ch1").Error; err != nil || ch.AccessControl == nil || ch.AccessControl.Read.GroupIDs[0] != "g1" {
			t.Errorf("channel read back as %+v (%v)", ch, err)
		}
		var fb models.Feedback
		if err := g.First(&fb, "id = ?", "fb1").Error; err != nil || fb.Rating != -1 {
			t.Errorf("feedback read back as %+v (%v)", fb, err)
		}
		if err := g.Create(&models.Feedback{ID: "fb2", UserID: "u1", MessageID: "m1", Rating: 5, CreatedAt: 1}).Error; err == nil {
			t.Error("a rating of 5 passed the check constraint")
		}
		// Deleting the folder empties the chat's folder, and deleting the
		// chat removes its messages and tag links.
		if err := g.Delete(&models.Folder{ID: "f1"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := g.First(&chat, "id = ?", "c1").Error; err != nil || chat.FolderID != nil {
			t.Errorf("after deleting its folder the chat is %+v (%v)", chat, err)
		}
		if err := g.Delete(&models.Chat{ID: "c1"}).Error; err != nil {
			t.Fatal(err)
		}
		for model, want := range map[any]int64{&models.Message{}: 1, &models.ChatTag{}: 0, &models.Feedback{}: 0} {
			var n int64
			if err := g.Model(model).Count(&n).Error; err != nil || n != want {
				t.Errorf("%T rows after deleting the chat = %d (%v), want %d", model, n, err, want)
			}
		}
	})
}
