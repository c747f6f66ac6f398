package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// The whole loop of `schema new`: change the models in a copy of the
// module, generate a step with one command, build, and the drift check
// passes on every dialect; the step's up keeps the rows and its down
// brings the schema back exactly.
func TestNewGeneratesAStepThatPassesVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("copies and builds the module")
	}
	oldHead := migrations.Head()
	mod := copyModule(t)
	// One model change of every common kind.
	edit(t, mod, "models/chat.go", // a new table with a key to chat and an index
		"func (Chat) TableName() string { return \"chat\" }",
		`func (Chat) TableName() string { return "chat" }

// Bookmark marks a place in a chat.
type Bookmark struct {
	ID        string  `+"`"+`gorm:"primaryKey;size:255" json:"id"`+"`"+`
	ChatID    string  `+"`"+`gorm:"size:255;not null;index:idx_bookmark_chat_id" json:"chat_id"`+"`"+`
	Label     *string `+"`"+`json:"label"`+"`"+`
	CreatedAt int64   `+"`"+`json:"created_at"`+"`"+`

	Chat *Chat `+"`"+`gorm:"foreignKey:ChatID;references:ID;constraint:fk_bookmark_chat_id,OnDelete:CASCADE" json:"-"`+"`"+`
}

func (Bookmark) TableName() string { return "bookmark" }`)
	edit(t, mod, "models/doc.go", "&TokenGroup{}, &TokenUsage{},", "&TokenGroup{}, &TokenUsage{}, &Bookmark{},")
	// A nullable indexed column, and a key over an existing column.
	editStruct(t, mod, "models/workspace.go", "type Note struct {",
		"\tFolderID *string `gorm:\"size:255;index:idx_note_folder_id\" json:\"folder_id\"`\n"+
			"\tUser     *User   `gorm:\"foreignKey:UserID;references:ID;constraint:fk_note_user_id,OnDelete:CASCADE\" json:\"-\"`\n")
	edit(t, mod, "models/file.go", // a dropped column
		"\tError     *string `json:\"error\"`\n", "")
	edit(t, mod, "models/feedback.go", // a widening under a check, and a nullability
		"Rating    int16   `gorm:\"not null;", "Rating    int64   `gorm:\"not null;")
	edit(t, mod, "models/channel.go",
		"Name          string         `gorm:\"not null\" json:\"name\"`\n\tDescription   *string        `json:\"description\"`\n\tData ",
		"Name          *string        `json:\"name\"`\n\tDescription   *string        `json:\"description\"`\n\tData ")
	edit(t, mod, "models/chat.go", // a widening of a key to text
		"Color  *string `gorm:\"size:255\" json:\"color\"`", "Color  *string `json:\"color\"`")
	edit(t, mod, "models/user.go", // a unique index
		"Email *string `gorm:\"size:255\" json:\"email\"`\n\t// Password", "Email *string `gorm:\"size:255;uniqueIndex:uq_auth_email\" json:\"email\"`\n\t// Password")

	generateStep(t, mod, "evolve_models",
		"revises "+oldHead,
		"create table bookmark",
		"note: add column folder_id key",
		"note: add index idx_note_folder_id (folder_id)",
		"note: add foreign key fk_note_user_id (user_id) -> user (id) on delete cascade",
		"file: drop column error text",
		"feedback: column rating: type smallint -> bigint",
		"channel: column name: not null -> nullable",
		"tag: column color: type key -> text",
		"auth: add unique index uq_auth_email (email)",
	)
	requireGeneratedStep(t, buildCopy(t, mod), oldHead, nil,
		map[string]string{
			`SELECT count(*) FROM "note" WHERE "folder_id" IS NULL AND "user_id" = 'u1'`: "1",
			`SELECT "rating" FROM "feedback"`:                                            "-1",
			`SELECT "color" FROM "tag"`:                                                  "red",
			`SELECT "name" FROM "channel"`:                                               "general",
			`SELECT count(*) FROM "file"`:                                                "1",
			`SELECT count(*) FROM "bookmark"`:                                            "0",
		},
		map[string]string{
			`SELECT count(*) FROM "note"`:     "1",
			`SELECT "rating" FROM "feedback"`: "-1",
			`SELECT "color" FROM "tag"`:       "red",
			`SELECT "name" FROM "channel"`:    "general",
			`SELECT "email" FROM "auth"`:      "a@example.com",
			`SELECT "error" FROM "file"`:      "<nil>", // dropped values are not restored
		})
}

// The loop again on top of a generated step: the drops. A second `schema
// new` in the same copy revises the first generated step and takes back
// what the models no longer have: a table added by the first step and one
// of Open WebUI's, an index, a foreign key and a unique index.
func TestNewGeneratesDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("copies and builds the module")
	}
	mod := copyModule(t)
	editStruct(t, mod, "models/workspace.go", "type Note struct {",
		"\tUser     *User   `gorm:\"foreignKey:UserID;references:ID;constraint:fk_note_user_id,OnDelete:CASCADE\" json:\"-\"`\n")
	edit(t, mod, "models/user.go",
		"Email *string `gorm:\"size:255\" json:\"email\"`\n\t// Password", "Email *string `gorm:\"size:255;uniqueIndex:uq_auth_email\" json:\"email\"`\n\t// Password")
	// Only keys: marked Online, and so run online below.
	out := generateStep(t, mod, "add_keys", "marked Online")
	_, rest, _ := strings.Cut(out, "revision ")
	first, _, _ := strings.Cut(rest, " ")
	if len(first) != 12 {
		t.Fatalf("cannot read the first step's revision from:\n%s", out)
	}

	// Now take them back, and drop memory and two of chat's indexes too.
	edit(t, mod, "models/workspace.go",
		"\tUser     *User   `gorm:\"foreignKey:UserID;references:ID;constraint:fk_note_user_id,OnDelete:CASCADE\" json:\"-\"`\n", "")
	edit(t, mod, "models/user.go", "size:255;uniqueIndex:uq_auth_email", "size:255")
	edit(t, mod, "models/doc.go", "&Tool{}, &Function{}, &Model{}, &Prompt{}, &Memory{},", "&Tool{}, &Function{}, &Model{}, &Prompt{},")
	edit(t, mod, "models/chat.go", "UserID    *string        `gorm:\"size:255;index:idx_chat_user_id\"", "UserID    *string        `gorm:\"size:255\"")
	// The only index under fk_chat_folder_id (InnoDB keeps one of its own).
	edit(t, mod, "models/chat.go", "FolderID  *string        `gorm:\"size:255;index:idx_chat_folder_id\"", "FolderID  *string        `gorm:\"size:255\"")
	generateStep(t, mod, "drop_things",
		"revises "+first,
		"drop table memory (the down creates it again, empty)",
		"note: drop foreign key fk_note_user_id",
		"auth: drop unique index uq_auth_email (email)",
		"chat: drop index idx_chat_user_id (user_id)",
		"chat: drop index idx_chat_folder_id (folder_id)",
	)
	requireGeneratedStep(t, buildCopy(t, mod), first,
		[]string{`INSERT INTO "memory" ("id", "user_id", "created_at", "updated_at") VALUES ('mem1', 'u1', 1, 1)`},
		map[string]string{
			`SELECT "email" FROM "auth"`:  "a@example.com",
			`SELECT count(*) FROM "chat"`: "1",
		},
		map[string]string{
			`SELECT count(*) FROM "memory"`: "0", // a dropped table comes back empty
			`SELECT count(*) FROM "note"`:   "1",
		})
}

// generateStep runs `schema new name` in the module copy and requires its
// output to list each of want and no TODO; it returns the output.
func generateStep(t *testing.T, mod, name string, want ...string) string {
	t.Helper()
	out := goCmd(t, mod, "run", "./cmd/schema", "new", name)
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("schema new's output does not say %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "TODO") {
		t.Fatalf("schema new wrote TODOs:\n%s", out)
	}
	return out
}

// requireGeneratedStep proves the copy's new head step on every dialect:
// the drift check passes; on a database at from, seeded with seedForNew
// and seed, the up keeps the rows (afterUp) and leaves no drift, and the
// down brings the schema back exactly (with afterDown's rows).
func requireGeneratedStep(t *testing.T, bin, from string, seed []string, afterUp, afterDown map[string]string) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, name string) {
		url := testdb.URL(t, name)
		requireRun(t, bin, 0, "chain at head vs models: no differences", "--database-url", url, "verify")
		requireRun(t, bin, 0, "", "--database-url", url, "up", "--to", from)
		g := openRows(t, url)
		seedForNew(t, g)
		for _, q := range seed {
			if err := g.Exec(quoted(t, g, q)).Error; err != nil {
				t.Fatalf("seed: %s: %v", q, err)
			}
		}
		before := takeSnapshot(t, g)

		requireRun(t, bin, 0, "", "--database-url", url, "up")
		requireRun(t, bin, 0, "live database vs models: no differences", "--database-url", url, "verify")
		requireValues(t, g, "after up", afterUp)
		requireRun(t, bin, 0, "", "--database-url", url, "down")
		if diffs := snapshot.Compare(before, takeSnapshot(t, g), "before up", "after down"); len(diffs) > 0 {
			t.Fatalf("the generated down does not restore the schema: %v", diffs)
		}
		requireValues(t, g, "after down", afterDown)
	})
}

// A change that only looks like drop plus add is written as a TODO that
// fails the step, and so the drift check, until a person decides.
func TestNewRenameLookingChangeFailsLoudly(t *testing.T) {
	if testing.Short() {
		t.Skip("copies and builds the module")
	}
	mod := copyModule(t)
	edit(t, mod, "models/workspace.go", "Title     *string `json:\"title\"`\n\tContent   *string", "Heading   *string `json:\"heading\"`\n\tContent   *string")
	out := goCmd(t, mod, "run", "./cmd/schema", "new", "rename_note_title")
	want := "note.title is dropped and note.heading added with the same type: decide whether it is a rename"
	if !strings.Contains(out, "TODO(s)") || !strings.Contains(out, want) {
		t.Fatalf("schema new's output does not list the TODO %q:\n%s", want, out)
	}
	bin := buildCopy(t, mod)
	testdb.Each(t, func(t *testing.T, name string) {
		url := testdb.URL(t, name)
		r := requireRun(t, bin, 1, "", "--database-url", url, "verify")
		if !strings.Contains(r, "TODO(schema new): "+want) {
			t.Fatalf("verify's error does not carry the TODO:\n%s", r)
		}
		r = requireRun(t, bin, 1, "", "--database-url", url, "up")
		if !strings.Contains(r, "TODO(schema new): "+want) {
			t.Fatalf("up's error does not carry the TODO:\n%s", r)
		}
	})
}

// edit replaces old, which must occur exactly once, in a file of the copy.
func edit(t *testing.T, mod, file, old, new string) {
	t.Helper()
	path := filepath.Join(mod, file)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("%s: the text to edit occurs %d times, want once (did the model change?): %q", file, n, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editStruct adds fields before the closing brace of the struct opened by
// the line start.
func editStruct(t *testing.T, mod, file, start, fields string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(mod, file))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, start)
	if i < 0 {
		t.Fatalf("%s: no %q", file, start)
	}
	end := i + strings.Index(s[i:], "\n}\n") + 1
	edit(t, mod, file, s[i:end], s[i:end]+fields)
}

// goCmd runs the go command in the copy and returns its output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// buildCopy builds the copy (and vets the generated step) and returns its
// schema binary.
func buildCopy(t *testing.T, mod string) string {
	t.Helper()
	goCmd(t, mod, "build", "./...")
	goCmd(t, mod, "vet", "./migrations/")
	return buildSchemaIn(t, mod)
}

// requireRun runs the copy's binary, requires the exit code and, for
// success, want in its output; it returns stdout and stderr together.
func requireRun(t *testing.T, bin string, code int, want string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = filepath.Dir(bin)
	out, err := cmd.CombinedOutput()
	got := 0
	if exit, ok := err.(*exec.ExitError); ok {
		got = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	if got != code || !strings.Contains(string(out), want) {
		t.Fatalf("schema %s: exit %d (want %d), output should contain %q:\n%s", strings.Join(args[2:], " "), got, code, want, out)
	}
	return string(out)
}

func openRows(t *testing.T, url string) *gorm.DB {
	t.Helper()
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d.DB
}

// quoted rewrites "ident" to the dialect's quoting.
func quoted(t *testing.T, g *gorm.DB, q string) string {
	t.Helper()
	d, err := dialect.Of(g)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(q, `"`)
	for i := 1; i < len(parts); i += 2 {
		parts[i] = d.Quote(parts[i])
	}
	return strings.Join(parts, "")
}

// seedForNew puts a row in every table the generated step changes.
func seedForNew(t *testing.T, g *gorm.DB) {
	t.Helper()
	for _, s := range []string{
		`INSERT INTO "user" ("id", "name", "created_at", "updated_at") VALUES ('u1', 'Ada', 1, 1)`,
		`INSERT INTO "auth" ("id", "email", "password") VALUES ('u1', 'a@example.com', 'x')`,
		`INSERT INTO "chat" ("id", "user_id", "pinned", "archived", "created_at", "updated_at") VALUES ('c1', 'u1', false, false, 1, 1)`,
		`INSERT INTO "message" ("id", "chat_id", "created_at", "updated_at") VALUES ('m1', 'c1', 1, 1)`,
		`INSERT INTO "feedback" ("id", "user_id", "message_id", "rating", "created_at") VALUES ('f1', 'u1', 'm1', -1, 1)`,
		`INSERT INTO "note" ("id", "user_id", "title") VALUES ('n1', 'u1', 'hello')`,
		`INSERT INTO "file" ("id", "user_id", "processed", "error", "created_at") VALUES ('file1', 'u1', false, 'boom', 1)`,
		`INSERT INTO "channel" ("id", "user_id", "name") VALUES ('ch1', 'u1', 'general')`,
		`INSERT INTO "tag" ("id", "name", "user_id", "color") VALUES ('t1', 'T1', 'u1', 'red')`,
	} {
		if err := g.Exec(quoted(t, g, s)).Error; err != nil {
			t.Fatalf("seed: %s: %v", s, err)
		}
	}
}

func takeSnapshot(t *testing.T, g *gorm.DB) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Take(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// requireValues checks single-value queries (NULL reads "<nil>").
func requireValues(t *testing.T, g *gorm.DB, when string, want map[string]string) {
	t.Helper()
	for q, w := range want {
		var v *string
		if err := g.Raw(quoted(t, g, q)).Row().Scan(&v); err != nil {
			t.Fatalf("%s: %s: %v", when, q, err)
		}
		got := "<nil>"
		if v != nil {
			got = *v
		}
		if got != w {
			t.Errorf("%s: %s = %s, want %s", when, q, got, w)
		}
	}
}
