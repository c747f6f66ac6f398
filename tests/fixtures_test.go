package tests

import (
	"time"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
)

// seedAfter holds realistic rows for the tables each revision creates or
// changes, inserted right after that revision is applied. Values are in
// the form each data step's round trip preserves (SPEC.md section 3): tags
// in tag-id order with one spelling each, folder items sorted and each chat
// in one folder of its owner, absolute or URI file paths, every message
// with a chat.
var seedAfter = map[string]func(d *migtest.DB){
	"7e5b5dc7342b": func(d *migtest.DB) {
		d.Insert("user",
			map[string]any{"id": "u1", "name": "Ada", "email": "ada@example.com", "role": "admin", "api_key": "sk-ada",
				"settings": `{"ui":{"theme":"dark"},"big":12345678901234567}`, "created_at": 1700000000, "updated_at": 1700000100, "last_active_at": 1700000200},
			map[string]any{"id": "u2", "name": "Bob", "email": "bob@example.com", "role": "user", "oauth_sub": "google:42", "info": `{"location":"Berlin"}`},
			map[string]any{"id": "u3", "name": "Cy", "role": "pending"},
		)
		d.Insert("auth",
			map[string]any{"id": "u1", "email": "ada@example.com", "password": "$2b$12$hash", "active": true},
			map[string]any{"id": "u2", "email": "bob@example.com", "password": "$2b$12$hash2", "active": false},
		)
		d.Insert("chat",
			map[string]any{"id": "c1", "user_id": "u1", "created_at": 1700000000, "updated_at": 1700000500,
				"chat": `{"title":"Plans","models":["gpt-4o"],"tags":["ideas","work"],"history":{"messages":{"m1":{"content":"hi"}}},"n":12345678901234567}`},
			map[string]any{"id": "c2", "user_id": "u1", "chat": `{"title":"No tags"}`},
			map[string]any{"id": "c3", "user_id": "u2", "chat": `{"title":"Mixed","tags":[7,{"x":1},"travel"]}`},
			map[string]any{"id": "c4", "user_id": "u3"},
			map[string]any{"id": "c5", "user_id": "u2", "chat": `{"title":"Odd","tags":"not-a-list"}`},
			map[string]any{"id": "c6", "chat": `{"title":"Ownerless","tags":["work"]}`},
		)
		d.Insert("message",
			map[string]any{"id": "m1", "chat_id": "c1", "user_id": "u1", "role": "user", "content": "hello", "created_at": 1700000001},
			map[string]any{"id": "m2", "chat_id": "c1", "user_id": "u1", "role": "assistant", "content": "hi **there**"},
			map[string]any{"id": "m3", "chat_id": "c3", "user_id": "u2", "role": "user", "content": ""},
		)
		d.Insert("file",
			map[string]any{"id": "fl1", "user_id": "u1", "filename": "a.pdf", "path": "/data/uploads/a.pdf", "created_at": 1700000000,
				"meta": `{"name":"a.pdf","content_type":"application/pdf","size":1024,"collection_name":"file-fl1"}`},
			map[string]any{"id": "fl2", "user_id": "u2", "filename": "b.txt", "path": "s3://bucket/b.txt", "meta": `{"size":"12","content_type":""}`},
			map[string]any{"id": "fl3", "user_id": "u2", "filename": "rel.txt", "path": "uploads/rel.txt"},
			map[string]any{"id": "fl4", "user_id": "u1", "filename": "none", "meta": `{"size":-5,"collection_name":""}`},
			map[string]any{"id": "fl5", "user_id": "u1", "filename": "empty", "path": ""},
		)
		d.Insert("tool", map[string]any{"id": "t1", "user_id": "u1", "name": "Search", "content": "def run(): pass",
			"specs": `[{"name":"search"}]`, "meta": `{"description":"web"}`, "valves": `{"key":"v"}`, "created_at": 1, "updated_at": 2})
		d.Insert("function", map[string]any{"id": "fn1", "user_id": "u1", "name": "Filter", "type": "filter", "content": "class Filter: pass",
			"meta": `{}`, "is_active": true, "is_global": false})
		d.Insert("model", map[string]any{"id": "md1", "user_id": "u1", "base_model_id": "gpt-4o", "name": "Helper",
			"params": `{"temperature":0.2}`, "meta": `{"profile_image_url":"/static/x.png"}`})
		d.Insert("prompt", map[string]any{"command": "/summarize", "user_id": "u1", "title": "Summarize", "content": "Summarize {{text}}", "timestamp": 1700000000})
		d.Insert("memory", map[string]any{"id": "mem1", "user_id": "u2", "content": "Likes tea", "created_at": 1, "updated_at": 1})
	},
	"242a2047eae0": func(d *migtest.DB) {
		d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("title")+" = ?, "+d.Q("share_id")+" = ? WHERE id = ?", "Plans", "share-1", "c1")
		d.Exec("UPDATE "+d.Q("chat")+" SET "+d.Q("pinned")+" = ?, "+d.Q("archived")+" = ? WHERE id = ?", true, true, "c2")
	},
	"3781e22d8b01": func(d *migtest.DB) {
		d.Exec("UPDATE "+d.Q("message")+" SET "+d.Q("images")+" = ?, "+d.Q("files")+" = ?, "+d.Q("citations")+" = ? WHERE id = ?",
			`["data:image/png;base64,AAAA"]`, `[{"id":"fl1"}]`, `[{"source":"a.pdf","page":3}]`, "m2")
	},
	"c69f45358db4": func(d *migtest.DB) {
		d.Insert("folder",
			map[string]any{"id": "f1", "user_id": "u1", "name": "Work", "items": `{"chat_ids":["c1","c2"]}`, "created_at": 1700000000, "updated_at": 1700000300},
			map[string]any{"id": "f2", "parent_id": "f1", "user_id": "u1", "name": "Sub", "items": `{"chat_ids":[]}`, "created_at": 0, "updated_at": 1},
			map[string]any{"id": "f3", "user_id": "u2", "name": "Trips", "items": `{"chat_ids":["c3"]}`, "created_at": -86400, "updated_at": 1700000000},
		)
	},
	"6a39f3d8e55c": func(d *migtest.DB) {
		d.Insert("knowledge", map[string]any{"id": "k1", "user_id": "u1", "name": "Docs", "description": "Team docs",
			"files": `["fl1","fl2"]`, "created_at": 1700000000, "updated_at": 1700000000})
	},
	"922e7a387820": func(d *migtest.DB) {
		d.Insert("group", map[string]any{"id": "g1", "user_id": "u1", "name": "Team", "description": "core",
			"permissions": `{"workspace":{"models":true}}`, "created_at": 1, "updated_at": 2})
		d.Insert("group_member", map[string]any{"group_id": "g1", "user_id": "u2", "created_at": 3})
		d.Exec("UPDATE "+d.Q("knowledge")+" SET "+d.Q("access_control")+" = ? WHERE id = ?",
			`{"read":{"group_ids":["g1"],"user_ids":[]},"write":{"group_ids":[],"user_ids":["u1"]}}`, "k1")
	},
	"ca81bd47c050": func(d *migtest.DB) {
		d.Insert("config", map[string]any{"key": "ui", "value": `{"default_locale":"en-US","banners":[]}`, "updated_at": 1700000000})
	},
	"af906e964978": func(d *migtest.DB) {
		d.Insert("feedback",
			map[string]any{"id": "fb1", "user_id": "u2", "message_id": "m2", "rating": 1, "comment": "great", "created_at": 1700000000},
			map[string]any{"id": "fb2", "user_id": "u1", "message_id": "m2", "rating": -1, "created_at": 1700000001},
		)
	},
	"57c599a3cb57": func(d *migtest.DB) {
		d.Insert("channel", map[string]any{"id": "ch1", "user_id": "u1", "name": "general", "description": "all hands",
			"data": `{}`, "meta": `{"pinned":false}`, "created_at": 1, "updated_at": 1})
		d.Insert("channel_member", map[string]any{"channel_id": "ch1", "user_id": "u2", "created_at": 2})
		// A channel message that also names a chat, so the step's down can run.
		d.Insert("message", map[string]any{"id": "m4", "chat_id": "c2", "channel_id": "ch1", "user_id": "u2", "role": "user", "content": "hey all"})
	},
	"9f0c9cd09105": func(d *migtest.DB) {
		d.Insert("note", map[string]any{"id": "n1", "user_id": "u1", "title": "Ideas", "content": "# Ideas\n- one", "created_at": 1, "updated_at": 2})
	},
	"10vr9xyets5m": func(d *migtest.DB) {
		d.Insert("token_group", map[string]any{"name": "team", "models": `["gpt-4o","claude"]`, "limit": int64(1000000), "created_at": 1, "updated_at": 1})
		d.Insert("token_usage", map[string]any{"group_name": "team", "token_in": 10, "token_out": 20, "token_total": 30, "updated_at": 1})
	},
	"3ff60f68c4f4": func(d *migtest.DB) {
		d.Exec("UPDATE "+d.Q("token_usage")+" SET "+d.Q("last_reset_date")+" = ? WHERE "+d.Q("group_name")+" = ?", "2026-11-25", "team")
	},
	"e223b100ad81": func(d *migtest.DB) {
		d.Insert("token_group", map[string]any{"name": "night", "models": `[]`, "reset_schedule": `{"period":"weekly","time":"03:30","timezone":"Europe/Berlin","weekday":1}`})
	},
	"4ace53fd72c8": func(d *migtest.DB) {
		d.Insert("folder", map[string]any{"id": "f4", "user_id": "u3", "name": "Later", "items": `{"chat_ids":["c4"]}`,
			"created_at": time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC), "updated_at": time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)})
	},
}
