package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openwebui-go/schema/db"
)

// The -copy-seed database: what `schema copy` is measured on. It is an
// Open WebUI-shaped SQLite file at head, built by the real chain, with for
// N chats about 7N rows (N/100 users; per chat about 4 messages in the
// payload and in `message`, one chat_tag; N/2 files; nested folders; a
// feedback row per 50 chats) and every other table holding a few rows.
// Everything is drawn from a generator seeded per row, so the same N and
// -seed give the same bytes whatever the batch sizes, and memory stays flat
// in N: rows go out in multi-row prepared inserts, committed every few
// thousand rows.

// rowsPerStatement is how many rows one prepared INSERT carries (11
// columns at most: far below SQLite's 32766 variables).
const rowsPerStatement = 100

// rowsPerCommit is about how many rows one transaction holds.
const rowsPerCommit = 10000

// seedStart is the first chat's creation time; chats spread over a year.
var seedStart = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// Generator kinds: one stream of random numbers per kind and row index.
const (
	kindUser uint64 = iota + 1
	kindFolder
	kindChat
	kindFile
	kindMemory
	kindNote
	kindGroup
	kindChannel
	kindChannelMessage
	kindKnowledge
	kindWorkspace
)

// copySeed writes the database to path, which must not exist yet.
func copySeed(ctx context.Context, path string, chats int, seed uint64) error {
	if chats < 1 {
		return errors.New("-copy-seed needs at least 1 chat")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("%s exists: remove it or choose another -out", abs)
	}
	start := time.Now()
	d, err := db.Open(ctx, "sqlite:///"+abs)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Up(ctx, "", db.Options{}); err != nil {
		return fmt.Errorf("migrate %s to head: %w", abs, err)
	}
	sqlDB, err := d.DB.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A seed that dies halfway is thrown away, so durability buys nothing;
	// the cache keeps the random-key indexes (UUIDs) off the disk.
	for _, p := range []string{"PRAGMA synchronous = OFF", "PRAGMA cache_size = -131072"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	s := &seeder{ctx: ctx, conn: conn, seed: seed, chats: chats, users: max(chats/100, 1)}
	// An unfinalised statement keeps SQLite from checkpointing at close,
	// which would leave the rows in the -wal file beside the database.
	defer s.closeStatements()
	if err := s.run(); err != nil {
		return err
	}
	fmt.Printf("seeded %s with %d chats (seed %d) in %s\n", abs, chats, seed, time.Since(start).Round(time.Millisecond))
	return report(ctx, conn, abs)
}

// report prints each table's rows and the file's size.
func report(ctx context.Context, conn *sql.Conn, path string) error {
	rows, err := conn.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	fmt.Printf("| table | rows |\n|---|---|\n")
	var total int64
	for _, t := range tables {
		var n int64
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM "`+t+`"`).Scan(&n); err != nil {
			return err
		}
		total += n
		fmt.Printf("| %s | %d |\n", t, n)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("| total | %d |\nfile size: %d bytes (%.0f MB)\n", total, st.Size(), float64(st.Size())/1e6)
	return nil
}

// seeder writes the rows; tables keeps each table's pending statement.
type seeder struct {
	ctx          context.Context
	conn         *sql.Conn
	seed         uint64
	chats, users int
	tables       []*tableWriter
	pending      int
	inTx         bool
	userIDs      []string
	folderIDs    []string // foldersPerUser per user
}

const (
	foldersPerUser = 5
	tagsPerUser    = 10
)

// tableWriter batches one table's rows into multi-row inserts.
type tableWriter struct {
	s     *seeder
	name  string
	cols  []string
	full  *sql.Stmt
	args  []any
	count int64
}

func (s *seeder) table(name string, cols ...string) *tableWriter {
	w := &tableWriter{s: s, name: name, cols: cols}
	s.tables = append(s.tables, w)
	return w
}

func insertSQL(table string, cols []string, rows int) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	return fmt.Sprintf(`INSERT INTO "%s" (%s) VALUES %s`, table, strings.Join(quoted, ","),
		strings.TrimSuffix(strings.Repeat(tuple+",", rows), ","))
}

// add queues one row; a full statement's worth goes out at once.
func (w *tableWriter) add(values ...any) error {
	if len(values) != len(w.cols) {
		return fmt.Errorf("%s: row has %d values, want %d", w.name, len(values), len(w.cols))
	}
	if err := w.s.begin(); err != nil {
		return err
	}
	w.args = append(w.args, values...)
	w.count++
	w.s.pending++
	if len(w.args) < rowsPerStatement*len(w.cols) {
		return nil
	}
	if w.full == nil {
		st, err := w.s.conn.PrepareContext(w.s.ctx, insertSQL(w.name, w.cols, rowsPerStatement))
		if err != nil {
			return fmt.Errorf("prepare insert into %s: %w", w.name, err)
		}
		w.full = st
	}
	if _, err := w.full.ExecContext(w.s.ctx, w.args...); err != nil {
		return fmt.Errorf("insert into %s: %w", w.name, err)
	}
	w.args = w.args[:0]
	return nil
}

func (s *seeder) closeStatements() {
	for _, w := range s.tables {
		if w.full != nil {
			w.full.Close()
		}
	}
}

// flush writes the rows left over, fewer than a full statement's.
func (w *tableWriter) flush() error {
	if len(w.args) == 0 {
		return nil
	}
	q := insertSQL(w.name, w.cols, len(w.args)/len(w.cols))
	if _, err := w.s.conn.ExecContext(w.s.ctx, q, w.args...); err != nil {
		return fmt.Errorf("insert into %s: %w", w.name, err)
	}
	w.args = w.args[:0]
	return nil
}

// Foreign keys are checked at commit (defer_foreign_keys), so rows may go
// out in any order within a transaction; a commit happens only between
// whole entities, so a commit that succeeds proves the references.
func (s *seeder) begin() error {
	if s.inTx {
		return nil
	}
	if _, err := s.conn.ExecContext(s.ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := s.conn.ExecContext(s.ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
		return err
	}
	s.inTx = true
	return nil
}

// commitIfFull commits once the transaction holds rowsPerCommit rows.
func (s *seeder) commitIfFull() error {
	if s.pending < rowsPerCommit {
		return nil
	}
	return s.commit()
}

func (s *seeder) commit() error {
	if !s.inTx {
		return nil
	}
	for _, w := range s.tables {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if _, err := s.conn.ExecContext(s.ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit (a foreign key the seed broke?): %w", err)
	}
	s.inTx, s.pending = false, 0
	return nil
}

// rng is the random stream of one row: the same for the same seed, kind
// and index, whatever was generated before.
func (s *seeder) rng(kind uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(s.seed*0x9E3779B97F4A7C15+kind, uint64(i)))
}

// uuid draws a version 4 UUID.
func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = a&^0xF000 | 0x4000
	b = b&^(0xC<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xFFFF, a&0xFFFF, b>>48, b&0xFFFFFFFFFFFF)
}

func (s *seeder) run() error {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"users", s.seedUsers},
		{"workspace", s.seedWorkspace},
		{"folders and tags", s.seedFoldersAndTags},
		{"chats", s.seedChats},
		{"channels", s.seedChannels},
		{"files", s.seedFiles},
		{"memories and notes", s.seedMemoriesAndNotes},
	}
	for _, st := range steps {
		t0 := time.Now()
		if err := st.fn(); err != nil {
			return fmt.Errorf("seed %s: %w", st.name, err)
		}
		if err := s.commit(); err != nil {
			return fmt.Errorf("seed %s: %w", st.name, err)
		}
		fmt.Fprintf(os.Stderr, "seeded %s in %s\n", st.name, time.Since(t0).Round(time.Millisecond))
	}
	return nil
}

// Nullable values: nil is NULL.
func strOrNil(ok bool, v string) any {
	if ok {
		return v
	}
	return nil
}

func epoch(t time.Time) int64 { return t.Unix() }

var firstNames = []string{"Anna", "Bob", "Chloé", "Dmitri", "Émile", "Fatima", "Giulia", "Hiro", "Ingrid", "José",
	"Kwame", "Łukasz", "María", "Nguyễn", "Olga", "Priya", "Quentin", "Rūta", "Søren", "Tomás", "Ümit", "Wei", "Yuki", "Zoë",
	"山田", "Σοφία", "Алексей", "محمد"}

var lastNames = []string{"Smith", "Müller", "García", "Rossi", "Nowak", "Kowalski", "Dubois", "O'Brien", "Tanaka", "Kim",
	"Johansson", "van der Berg", "Ivanova", "Nakamura", "Silva", "太郎", "Παπαδόπουλος"}

func (s *seeder) seedUsers() error {
	user := s.table("user", "id", "name", "email", "role", "profile_image_url", "last_active_at", "updated_at", "created_at",
		"api_key", "settings", "info", "oauth_sub")
	auth := s.table("auth", "id", "email", "password", "active")
	s.userIDs = make([]string, s.users)
	for u := range s.users {
		r := s.rng(kindUser, u)
		id := uuid(r)
		s.userIDs[u] = id
		name := firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
		email := fmt.Sprintf("user%d@example.com", u)
		role := "user"
		switch {
		case u == 0:
			role = "admin"
		case r.IntN(20) == 0:
			role = "pending"
		}
		avatar := "/user.png"
		if r.IntN(10) == 0 {
			// Open WebUI keeps uploaded avatars inline, as data URLs.
			avatar = "data:image/png;base64," + base64ish(r, 1500+r.IntN(3000))
		}
		created := seedStart.Add(-time.Duration(r.IntN(400*24)) * time.Hour)
		var settings, info any
		if r.IntN(3) > 0 {
			settings = fmt.Sprintf(`{"ui":{"theme":%q,"models":["gpt-4o"],"chatBubble":%t,"notificationSound":true},"system":%s}`,
				[]string{"dark", "light", "oled-dark", "system"}[r.IntN(4)], r.IntN(2) == 0, jsonString("Réponds en français 🇫🇷, s'il te plaît."))
		}
		if r.IntN(4) == 0 {
			info = `{"location":"Zürich","timezone":"Europe/Zurich"}`
		} else if r.IntN(3) == 0 {
			info = `{}`
		}
		err := user.add(id, name, email, role, avatar, epoch(created)+int64(r.IntN(3e7)), epoch(created)+int64(r.IntN(1e6)), epoch(created),
			strOrNil(r.IntN(10) == 0, "sk-"+hexString(r, 32)), settings, info, strOrNil(r.IntN(20) == 0, "oidc@"+uuid(r)))
		if err != nil {
			return err
		}
		password := "$2b$12$" + base64ish(r, 53)
		if err := auth.add(id, email, password, r.IntN(50) != 0); err != nil {
			return err
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	return nil
}

// seedWorkspace fills the small tables: groups, models, tools, functions,
// prompts, knowledge, config and token groups.
func (s *seeder) seedWorkspace() error {
	admin := s.userIDs[0]
	t0 := epoch(seedStart)
	groups := max(s.users/50, 2)
	group := s.table("group", "id", "user_id", "name", "description", "permissions", "created_at", "updated_at")
	member := s.table("group_member", "group_id", "user_id", "created_at")
	groupIDs := make([]string, groups)
	for g := range groups {
		r := s.rng(kindGroup, g)
		groupIDs[g] = uuid(r)
		perms := `{"workspace":{"models":false,"knowledge":true,"prompts":true,"tools":false},"chat":{"file_upload":true,"delete":true,"edit":true,"temporary":true}}`
		if err := group.add(groupIDs[g], admin, fmt.Sprintf("Team %d – Équipe", g), strOrNil(g%2 == 0, "A group of people who work together."),
			perms, t0+int64(g), t0+int64(g)+3600); err != nil {
			return err
		}
	}
	for u := range s.users {
		if err := member.add(groupIDs[u%groups], s.userIDs[u], t0+int64(u)); err != nil {
			return err
		}
		if u%3 == 0 && groups > 1 {
			if err := member.add(groupIDs[(u+1)%groups], s.userIDs[u], t0+int64(u)); err != nil {
				return err
			}
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	r := s.rng(kindWorkspace, 0)
	access := []any{nil, `{"read":{"group_ids":[],"user_ids":[]},"write":{"group_ids":[],"user_ids":[]}}`}
	model := s.table("model", "id", "user_id", "base_model_id", "name", "params", "meta", "created_at", "updated_at", "access_control")
	for i := range 10 {
		meta := fmt.Sprintf(`{"profile_image_url":"/static/favicon.png","description":%s,"capabilities":{"vision":%t,"citations":true},"tags":[{"name":"assistant"}]}`,
			jsonString(sentence(r)), i%2 == 0)
		if err := model.add(fmt.Sprintf("assistant-%d", i), admin, strOrNil(i > 0, modelNames[i%len(modelNames)]), fmt.Sprintf("Assistant %d 🤖", i),
			fmt.Sprintf(`{"system":%s,"temperature":0.%d}`, jsonString(paragraph(r, 200)), i), meta, t0+int64(i), t0+int64(i)+60, access[i%2]); err != nil {
			return err
		}
	}
	tool := s.table("tool", "id", "user_id", "name", "content", "specs", "meta", "valves", "created_at", "updated_at", "access_control")
	function := s.table("function", "id", "user_id", "name", "type", "content", "meta", "valves", "is_active", "is_global", "created_at", "updated_at")
	for i := range 5 {
		code := pythonSource(r, 40+r.IntN(80))
		if err := tool.add(fmt.Sprintf("tool_%d", i), admin, fmt.Sprintf("Tool %d", i), code,
			`[{"name":"search","description":"Search the web","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}]`,
			`{"description":"A tool","manifest":{"title":"Tool","version":"0.1.0"}}`, strOrNil(i%2 == 0, `{"api_key":""}`), t0, t0+10, access[i%2]); err != nil {
			return err
		}
		if err := function.add(fmt.Sprintf("function_%d", i), admin, fmt.Sprintf("Function %d", i), []string{"filter", "pipe", "action"}[i%3],
			code, `{"description":"A function","manifest":{}}`, nil, i%2 == 0, i == 0, t0, t0+10); err != nil {
			return err
		}
	}
	prompt := s.table("prompt", "command", "user_id", "title", "content", "timestamp", "access_control")
	for i := range 20 {
		if err := prompt.add(fmt.Sprintf("/prompt-%d", i), admin, fmt.Sprintf("Prompt %d", i), paragraph(r, 300), t0+int64(i), access[i%2]); err != nil {
			return err
		}
	}
	knowledge := s.table("knowledge", "id", "user_id", "name", "description", "files", "created_at", "updated_at", "access_control")
	for k := range max(s.chats/1000, 1) {
		kr := s.rng(kindKnowledge, k)
		var files []string
		for j := range 1 + kr.IntN(5) {
			files = append(files, strconv.Quote(s.fileID((k*7+j)%s.files())))
		}
		if err := knowledge.add(uuid(kr), s.userIDs[k%s.users], fmt.Sprintf("Knowledge base %d", k), sentence(kr),
			"["+strings.Join(files, ",")+"]", t0+int64(k), t0+int64(k)+100, access[k%2]); err != nil {
			return err
		}
	}
	config := s.table("config", "key", "value", "updated_at")
	for i, kv := range [][2]string{
		{"ui", `{"default_locale":"fr-FR","prompt_suggestions":[{"title":["Help me study","vocabulary for a college entrance exam"],"content":"Help me study vocabulary"}],"banners":[]}`},
		{"rag", `{"chunk_size":1000,"chunk_overlap":100,"template":` + jsonString(paragraph(r, 800)) + `}`},
		{"version", `0`},
	} {
		if err := config.add(kv[0], kv[1], t0+int64(i)); err != nil {
			return err
		}
	}
	tokenGroup := s.table("token_group", "name", "models", "limit", "created_at", "updated_at", "reset_schedule")
	tokenUsage := s.table("token_usage", "group_name", "token_in", "token_out", "token_total", "updated_at", "last_reset_date")
	for i, g := range []string{"free", "pro", "équipe 🚀"} {
		sched := []any{`{"period":"daily","time":"00:00","timezone":"UTC"}`, `{"period":"weekly","time":"06:30","timezone":"Europe/Paris","weekday":1}`, nil}[i]
		if err := tokenGroup.add(g, `["gpt-4o","llama3.1:8b"]`, []any{int64(100000), int64(5000000), nil}[i], t0, t0+5, sched); err != nil {
			return err
		}
		in, out := int64(r.IntN(1e6)), int64(r.IntN(1e6))
		if err := tokenUsage.add(g, in, out, in+out, t0+50, strOrNil(i < 2, "2025-06-01")); err != nil {
			return err
		}
	}
	return nil
}

var folderNames = []string{"Work", "Personal", "Projets 2025", "Archive 🗄️", "Ideas 💡"}

// folderParent gives a user's folder k its parent's index, or -1 at the
// root: two trees, one three deep.
var folderParent = []int{-1, -1, 0, 2, 1}

// tagNames are the tags users pick from; a user has tagsPerUser of them.
var tagNames = []string{"work", "Python", "recipes", "travel ✈️", "日本語", "ideas 💡", "réunion", "go", "sql", "health",
	"finance", "kids", "reading", "music 🎵", "math", "history", "garden", "cars", "DIY", "to do",
	"urgent", "later", "Paris", "code review", "writing", "email", "legal", "science", "games", "misc"}

func tagID(name string) string { return strings.ToLower(strings.ReplaceAll(name, " ", "_")) }

// userTag gives user u's j-th tag (0 <= j < tagsPerUser): distinct per user.
func userTag(u, j int) string { return tagNames[(u*7+j*3)%len(tagNames)] }

func (s *seeder) seedFoldersAndTags() error {
	folder := s.table("folder", "id", "parent_id", "user_id", "name", "created_at", "updated_at")
	tag := s.table("tag", "id", "name", "user_id", "color", "icon")
	s.folderIDs = make([]string, s.users*foldersPerUser)
	for u := range s.users {
		for k := range foldersPerUser {
			r := s.rng(kindFolder, u*foldersPerUser+k)
			id := uuid(r)
			s.folderIDs[u*foldersPerUser+k] = id
			var parent any
			if p := folderParent[k]; p >= 0 {
				parent = s.folderIDs[u*foldersPerUser+p]
			}
			// Most folders were migrated from epoch seconds; one in ten was
			// written since, with microseconds.
			created := seedStart.Add(time.Duration(r.IntN(300*24*3600)) * time.Second)
			if r.IntN(10) == 0 {
				created = created.Add(time.Duration(1+r.IntN(999999)) * time.Microsecond)
			}
			if err := folder.add(id, parent, s.userIDs[u], folderNames[k], created, created.Add(time.Duration(r.IntN(1e6))*time.Second)); err != nil {
				return err
			}
		}
		for j := range tagsPerUser {
			name := userTag(u, j)
			var color, icon any
			if (u+j)%2 == 0 {
				color = fmt.Sprintf("#%06x", (u*131+j*977)%0x1000000)
			}
			if j == 0 {
				icon = "🏷️"
			}
			if err := tag.add(tagID(name), name, s.userIDs[u], color, icon); err != nil {
				return err
			}
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	return nil
}

var modelNames = []string{"gpt-4o", "llama3.1:8b", "mistral-large", "claude-3-5-sonnet", "qwen2.5:14b"}

// chatMessage is one turn of a conversation, as both the payload and the
// message table hold it.
type chatMessage struct {
	id, parent, role, content, model string
	at                               int64
}

func (s *seeder) seedChats() error {
	chat := s.table("chat", "id", "user_id", "chat", "created_at", "updated_at", "title", "pinned", "archived", "share_id", "folder_id")
	message := s.table("message", "id", "chat_id", "user_id", "role", "content", "created_at", "updated_at", "images", "files", "citations", "channel_id")
	chatTag := s.table("chat_tag", "chat_id", "tag_id", "user_id")
	feedback := s.table("feedback", "id", "user_id", "message_id", "rating", "comment", "created_at")
	span := 365 * 24 * time.Hour
	var payload []byte
	msgs := make([]chatMessage, 0, 6)
	for i := range s.chats {
		r := s.rng(kindChat, i)
		id := uuid(r)
		x := r.Float64()
		u := min(int(x*x*float64(s.users)), s.users-1) // a few users have most chats
		userID := s.userIDs[u]
		created := seedStart.Add(time.Duration(float64(span) * float64(i) / float64(s.chats))).Add(time.Duration(r.IntN(3600)) * time.Second)
		model := modelNames[r.IntN(len(modelNames))]
		msgs = msgs[:0]
		at := epoch(created)
		parent := ""
		for k := range 2 * (1 + r.IntN(3)) {
			m := chatMessage{id: uuid(r), parent: parent, role: "user", at: at}
			if k%2 == 0 {
				m.content = text(r, 10, 80)
			} else {
				m.role, m.model = "assistant", model
				m.content = text(r, 40, 260)
			}
			msgs = append(msgs, m)
			parent = m.id
			at += int64(5 + r.IntN(120))
		}
		title := titleOf(msgs[0].content)
		var titleValue any = title
		switch r.IntN(1000) {
		case 0:
			titleValue = ""
		case 1:
			titleValue = nil
		}
		payload = chatPayload(payload[:0], r, title, model, msgs, created)
		var shareID, folderID any
		if r.IntN(50) == 0 {
			shareID = uuid(r)
		}
		if r.IntN(10) < 3 {
			folderID = s.folderIDs[u*foldersPerUser+r.IntN(foldersPerUser)]
		}
		if err := chat.add(id, userID, string(payload), epoch(created), at, titleValue, r.IntN(20) == 0, r.IntN(10) == 0, shareID, folderID); err != nil {
			return err
		}
		for _, m := range msgs {
			var images, files, citations any
			if m.role == "user" {
				switch r.IntN(20) {
				case 0:
					files = fmt.Sprintf(`[{"type":"file","id":%q,"name":"report.pdf","status":"uploaded","size":%d}]`, s.fileID(r.IntN(s.files())), 1000+r.IntN(1e6))
				case 1:
					images = `[{"type":"image","url":"data:image/png;base64,` + base64ish(r, 300) + `"}]`
				case 2:
					files = "[]"
				}
			} else if r.IntN(5) == 0 {
				citations = fmt.Sprintf(`[{"source":{"name":"docs.example.com","url":"https://docs.example.com/page/%d"},"document":[%s],"metadata":[{"page":%d}]}]`,
					r.IntN(1000), jsonString(sentence(r)), r.IntN(40))
			}
			if err := message.add(m.id, id, userID, m.role, m.content, m.at, m.at, images, files, citations, nil); err != nil {
				return err
			}
		}
		switch r.IntN(4) {
		case 0, 1: // one tag
			j := r.IntN(tagsPerUser)
			if err := chatTag.add(id, tagID(userTag(u, j)), userID); err != nil {
				return err
			}
		case 2: // two
			j := r.IntN(tagsPerUser)
			for _, jj := range []int{j, (j + 1 + r.IntN(tagsPerUser-1)) % tagsPerUser} {
				if err := chatTag.add(id, tagID(userTag(u, jj)), userID); err != nil {
					return err
				}
			}
		}
		if r.IntN(50) == 0 {
			rating := int64(1)
			if r.IntN(3) == 0 {
				rating = -1
			}
			var comment any
			if r.IntN(2) == 0 {
				comment = sentence(r)
			}
			if err := feedback.add(uuid(r), userID, msgs[1].id, rating, comment, at+30); err != nil {
				return err
			}
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	return nil
}

// chatPayload appends the chat column as Open WebUI writes it: the
// message tree under history.messages and the current branch as the
// messages array, so every message's content is there twice.
func chatPayload(b []byte, r *rand.Rand, title, model string, msgs []chatMessage, created time.Time) []byte {
	b = append(b, `{"id":"","title":`...)
	b = appendJSONString(b, title)
	b = append(b, `,"models":[`...)
	b = appendJSONString(b, model)
	b = append(b, `],"params":{},"history":{"messages":{`...)
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.id)
		b = append(b, ':')
		b = appendMessage(b, m, msgs, i)
	}
	b = append(b, `},"currentId":`...)
	b = appendJSONString(b, msgs[len(msgs)-1].id)
	b = append(b, `},"messages":[`...)
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, m, msgs, i)
	}
	b = append(b, `],"tags":[],"timestamp":`...)
	b = strconv.AppendInt(b, created.UnixMilli(), 10)
	b = append(b, `,"files":[]}`...)
	return b
}

func appendMessage(b []byte, m chatMessage, msgs []chatMessage, i int) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, m.id)
	b = append(b, `,"parentId":`...)
	if m.parent == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, m.parent)
	}
	b = append(b, `,"childrenIds":[`...)
	if i+1 < len(msgs) {
		b = appendJSONString(b, msgs[i+1].id)
	}
	b = append(b, `],"role":`...)
	b = appendJSONString(b, m.role)
	b = append(b, `,"content":`...)
	b = appendJSONString(b, m.content)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, m.at, 10)
	if m.role == "assistant" {
		b = append(b, `,"model":`...)
		b = appendJSONString(b, m.model)
		b = append(b, `,"modelName":`...)
		b = appendJSONString(b, m.model)
		b = append(b, `,"modelIdx":0,"userContext":null,"done":true,"usage":{"prompt_tokens":`...)
		b = strconv.AppendInt(b, int64(len(m.content)/5+12), 10)
		b = append(b, `,"completion_tokens":`...)
		b = strconv.AppendInt(b, int64(len(m.content)/4), 10)
		b = append(b, `}}`...)
	} else {
		b = append(b, `,"models":[`...)
		if i+1 < len(msgs) {
			b = appendJSONString(b, msgs[i+1].model)
		}
		b = append(b, `]}`...)
	}
	return b
}

// appendJSONString appends s as a JSON string, UTF-8 kept as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func jsonString(s string) string { return string(appendJSONString(nil, s)) }

// titleOf makes a chat title from its first message, as the title
// generator would: the first few words.
func titleOf(content string) string {
	words := strings.Fields(content)
	if len(words) > 6 {
		words = words[:6]
	}
	return strings.Join(words, " ")
}

func (s *seeder) seedChannels() error {
	channels := max(s.users/200, 2)
	channel := s.table("channel", "id", "user_id", "name", "description", "data", "meta", "access_control", "created_at", "updated_at")
	member := s.table("channel_member", "channel_id", "user_id", "created_at")
	message := s.table("message", "id", "chat_id", "user_id", "role", "content", "created_at", "updated_at", "images", "files", "citations", "channel_id")
	ids := make([]string, channels)
	t0 := epoch(seedStart)
	for c := range channels {
		r := s.rng(kindChannel, c)
		ids[c] = uuid(r)
		if err := channel.add(ids[c], s.userIDs[0], fmt.Sprintf("general-%d", c), strOrNil(c%2 == 0, "Talk about anything ☕"),
			nil, strOrNil(c%2 == 1, `{}`), strOrNil(c > 0, `{"read":{"group_ids":[],"user_ids":[]},"write":{"group_ids":[],"user_ids":[]}}`), t0+int64(c), t0+int64(c)); err != nil {
			return err
		}
	}
	for u := 0; u < s.users; u += 10 {
		if err := member.add(ids[u/10%channels], s.userIDs[u], t0+int64(u)); err != nil {
			return err
		}
	}
	for i := range max(s.chats/100, 1) {
		r := s.rng(kindChannelMessage, i)
		at := t0 + int64(i)*60
		if err := message.add(uuid(r), nil, s.userIDs[r.IntN(s.users)], nil, text(r, 10, 200), at, at, nil, nil, nil, ids[i%channels]); err != nil {
			return err
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	return nil
}

func (s *seeder) files() int { return max(s.chats/2, 1) }

// fileID is file j's ID, drawn first from its stream.
func (s *seeder) fileID(j int) string { return uuid(s.rng(kindFile, j)) }

var fileKinds = []struct{ ext, mime string }{
	{"pdf", "application/pdf"}, {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{"png", "image/png"}, {"txt", "text/plain"}, {"csv", "text/csv"}, {"md", "text/markdown"},
}

func (s *seeder) seedFiles() error {
	file := s.table("file", "id", "user_id", "filename", "path", "meta", "created_at", "size", "mime_type", "hash", "processed", "error")
	t0 := epoch(seedStart)
	for j := range s.files() {
		r := s.rng(kindFile, j)
		id := uuid(r)
		k := fileKinds[r.IntN(len(fileKinds))]
		name := fmt.Sprintf("%s %d.%s", []string{"report", "Rapport d'activité", "notes, draft", "写真", "budget \"final\"", "slides"}[r.IntN(6)], j, k.ext)
		path := "/app/backend/data/uploads/" + id + "_" + name
		if r.IntN(10) == 0 {
			path = "s3://webui-files/uploads/" + id + "_" + name
		}
		size := int64(200 + r.IntN(5e6))
		meta := fmt.Sprintf(`{"name":%s,"content_type":%q,"size":%d,"data":{},"collection_name":"file-%s"}`, jsonString(name), k.mime, size, id)
		processed := r.IntN(20) != 0
		var errText any
		if !processed && r.IntN(2) == 0 {
			errText = "extraction failed: could not read page 3\n(timeout after 30s)"
		}
		if err := file.add(id, s.userIDs[r.IntN(s.users)], name, path, meta, t0+int64(j), size, k.mime, hexString(r, 64), processed, errText); err != nil {
			return err
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	return nil
}

func (s *seeder) seedMemoriesAndNotes() error {
	memory := s.table("memory", "id", "user_id", "content", "created_at", "updated_at")
	note := s.table("note", "id", "user_id", "title", "content", "created_at", "updated_at")
	t0 := epoch(seedStart)
	for i := range max(s.chats/10, 1) {
		r := s.rng(kindMemory, i)
		at := t0 + int64(i)*30
		if err := memory.add(uuid(r), s.userIDs[r.IntN(s.users)], text(r, 30, 150), at, at); err != nil {
			return err
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	for i := range max(s.chats/20, 1) {
		r := s.rng(kindNote, i)
		at := t0 + int64(i)*60
		if err := note.add(uuid(r), s.userIDs[r.IntN(s.users)], strOrNil(r.IntN(20) != 0, sentence(r)), text(r, 300, 3000), at, at+int64(r.IntN(1e5))); err != nil {
			return err
		}
		if err := s.commitIfFull(); err != nil {
			return err
		}
	}
	return nil
}

// Text. Messages are English prose with, now and then, what breaks naive
// loaders: other scripts and emoji, quotes, commas, backslashes, tabs,
// CRLF, code blocks.

var words = strings.Fields(`the a of to and in is it that for you with on this be are as can not or have your from
by will one all which if more about when there use would some what so data need like time function value table
query model file example database server error return string number user chat message each make first new then
also way only should could into because after most other just write read process system result change memory
index column key step test code list run case order help check start point version build work set question
answer problem simple better fast slow large small right left over under between without through during`)

var snippets = []string{
	"Ça marche très bien, merci !", "日本語のテキストも大丈夫です。", "这是一个中文句子。", "Привет, мир!", "مرحبا بالعالم",
	"Γειά σου Κόσμε", "🚀🔥👍🏽", "👨‍👩‍👧‍👦 family emoji", "naïve café résumé", "e\u0301 (combining accent)",
	"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝔪𝔞𝔱𝔥", "Größe: 10 µm ± 2 °C", "한국어 문장입니다.", "शब्द और वाक्य", "שלום עולם",
}

var fences = []string{
	"```python\ndef parse(line):\n\treturn line.split(\",\")  # \"quoted\", 'single'\n```",
	"```sql\nSELECT id, \"user\" FROM chat WHERE title LIKE '%\\_x%' ESCAPE '\\';\n```",
	"```go\nfmt.Printf(\"%q\\n\", `C:\\path\\to\\file`)\n```",
	"```\nname,value\n\"a, b\",1\n\"say \"\"hi\"\"\",2\n```",
	"```json\n{\"key\": \"value\", \"list\": [1, 2, 3], \"nested\": {\"ok\": true}}\n```",
}

func sentence(r *rand.Rand) string {
	var b strings.Builder
	n := 6 + r.IntN(11)
	for i := range n {
		w := words[r.IntN(len(words))]
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if i < n-1 && r.IntN(10) == 0 {
			b.WriteByte(',')
		}
	}
	b.WriteByte(".?!"[min(r.IntN(8), 2)])
	return b.String()
}

func paragraph(r *rand.Rand, length int) string {
	var b strings.Builder
	for b.Len() < length {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sentence(r))
	}
	return b.String()
}

// text is a message of about lo to hi bytes.
func text(r *rand.Rand, lo, hi int) string {
	length := lo + r.IntN(hi-lo+1)
	var b strings.Builder
	b.Grow(length + 200)
	for b.Len() < length {
		if b.Len() > 0 {
			switch r.IntN(12) {
			case 0:
				b.WriteString("\n\n- ")
			case 1:
				b.WriteString("\n\n")
			case 2:
				b.WriteString("\r\n")
			default:
				b.WriteByte(' ')
			}
		}
		switch r.IntN(40) {
		case 0, 1, 2:
			b.WriteString(snippets[r.IntN(len(snippets))])
		case 3:
			b.WriteString(fences[r.IntN(len(fences))])
		case 4:
			b.WriteString(`He said "it's done" \ then left	(tab).`)
		default:
			b.WriteString(sentence(r))
		}
	}
	return b.String()
}

func pythonSource(r *rand.Rand, lines int) string {
	var b strings.Builder
	b.WriteString("\"\"\"\ntitle: Example\nversion: 0.1.0\n\"\"\"\nfrom pydantic import BaseModel\n\nclass Tools:\n")
	for i := range lines {
		fmt.Fprintf(&b, "    def f%d(self, x: str) -> str:\n        # %s\n        return x.replace(\"\\t\", \"    \")\n", i, sentence(r))
	}
	return b.String()
}

func hexString(r *rand.Rand, n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[r.IntN(16)]
	}
	return string(b)
}

func base64ish(r *rand.Rand, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(64)]
	}
	return string(b)
}
