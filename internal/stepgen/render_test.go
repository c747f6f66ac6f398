package stepgen

import (
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
)

var (
	userShape = dialect.Table{
		Name:       "user",
		Columns:    []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "name", Type: dialect.Text}},
		PrimaryKey: []string{"id"},
	}
	noteShape = dialect.Table{
		Name: "note",
		Columns: []dialect.Column{
			{Name: "id", Type: dialect.Key},
			{Name: "user_id", Type: dialect.Key, NotNull: true},
			{Name: "title", Type: dialect.Text},
			{Name: "stars", Type: dialect.SmallInt, NotNull: true, Default: "0"},
		},
		PrimaryKey: []string{"id"},
		Indexes:    []dialect.Index{{Name: "idx_note_user_id", Columns: []string{"user_id"}}, {Name: "idx_note_stars", Columns: []string{"stars"}}},
		Checks:     []dialect.Check{{Name: "chk_note_stars", Expr: "stars >= 0"}},
	}
)

// generate diffs head against models and renders the step, failing the
// test if the source does not parse (Render gofmt's it).
func generate(t *testing.T, head, models []dialect.Table) (Plan, string) {
	t.Helper()
	p := Diff(head, models)
	src, err := Render(Step{ID: "0123456789ab", Revises: "e223b100ad81", Name: "change", Ident: "change", File: "migrations/0123456789ab_change.go"}, p)
	if err != nil {
		t.Fatal(err)
	}
	return p, string(src)
}

// requireSnippets checks that src holds each snippet, whitespace aside.
func requireSnippets(t *testing.T, src string, snippets ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(src), " ")
	for _, s := range snippets {
		if !strings.Contains(flat, strings.Join(strings.Fields(s), " ")) {
			t.Errorf("generated step lacks\n%s\n--- generated:\n%s", s, src)
		}
	}
}

func requireNoTODO(t *testing.T, p Plan, src string) {
	t.Helper()
	if len(p.UpTODOs)+len(p.DownTODOs) > 0 || strings.Contains(src, "todo(") {
		t.Errorf("unexpected TODOs: up %v, down %v\n%s", p.UpTODOs, p.DownTODOs, src)
	}
}

func TestGenerateAddColumn(t *testing.T) {
	model := noteShape.With(
		dialect.Column{Name: "pinned", Type: dialect.Bool, NotNull: true, Default: "false"},
		dialect.Column{Name: "folder_id", Type: dialect.Key},
		dialect.Index{Name: "idx_note_folder_id", Columns: []string{"folder_id"}},
	)
	p, src := generate(t, []dialect.Table{userShape, noteShape}, []dialect.Table{userShape, model})
	requireNoTODO(t, p, src)
	requireSnippets(t, src,
		`// Online: the step only adds or drops indexes, foreign keys and nullable
		// or defaulted columns of existing tables, so it runs online, without
		// blocking the application (PostgreSQL builds indexes CONCURRENTLY,
		// MariaDB alters in place). Each of its statements must stay safe to run
		// again after a crash: if you add anything else to the step (rows, a type
		// change), remove Online.`,
		`func init() { register(Step{ID: "0123456789ab", Revises: "e223b100ad81", Name: "change", Up: changeUp, Down: changeDown, Online: true}) }`,
		`var changeNoteTo = dialect.Table{ Name: "note", Columns: []dialect.Column{ {Name: "id", Type: dialect.Key}, {Name: "user_id", Type: dialect.Key, NotNull: true}, {Name: "title", Type: dialect.Text}, {Name: "stars", Type: dialect.SmallInt, NotNull: true, Default: "0"}, {Name: "pinned", Type: dialect.Bool, NotNull: true, Default: "false"}, {Name: "folder_id", Type: dialect.Key}, },`,
		`{Name: "idx_note_folder_id", Columns: []string{"folder_id"}},`,
		`func changeUp(m *dialect.Migrator) error { if err := m.AlterTable(changeNoteFrom, changeNoteTo); err != nil { return err } return nil }`,
		`func changeDown(m *dialect.Migrator) error { if err := m.AlterTable(changeNoteTo, changeNoteFrom); err != nil { return err } return nil }`,
	)
	if strings.Contains(src, "models") && strings.Contains(src, `"github.com/openwebui-go/schema/models"`) {
		t.Error("a generated step must not import models")
	}
	want := []string{"note: add column pinned bool not null default false", "note: add column folder_id key", "note: add index idx_note_folder_id (folder_id)"}
	if strings.Join(p.Changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(p.Changes, "\n"), strings.Join(want, "\n"))
	}
}

func TestGenerateAddTablesParentsFirst(t *testing.T) {
	parent := dialect.Table{
		Name:        "shelf",
		Columns:     []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "user_id", Type: dialect.Key}},
		PrimaryKey:  []string{"id"},
		ForeignKeys: []dialect.ForeignKey{{Name: "fk_shelf_user_id", Columns: []string{"user_id"}, RefTable: "user", RefColumns: []string{"id"}, OnDelete: "CASCADE"}},
	}
	child := dialect.Table{
		Name:        "book",
		Columns:     []dialect.Column{{Name: "id", Type: dialect.Key}, {Name: "shelf_id", Type: dialect.Key, NotNull: true}},
		PrimaryKey:  []string{"id"},
		Indexes:     []dialect.Index{{Name: "uq_book_shelf_id", Columns: []string{"shelf_id"}, Unique: true}},
		ForeignKeys: []dialect.ForeignKey{{Name: "fk_book_shelf_id", Columns: []string{"shelf_id"}, RefTable: "shelf", RefColumns: []string{"id"}}},
	}
	// The models list the child first; the step must create the parent first.
	p, src := generate(t, []dialect.Table{userShape}, []dialect.Table{userShape, child, parent})
	requireNoTODO(t, p, src)
	requireSnippets(t, src,
		`var changeBook = dialect.Table{ Name: "book", Columns: []dialect.Column{ {Name: "id", Type: dialect.Key}, {Name: "shelf_id", Type: dialect.Key, NotNull: true}, }, PrimaryKey: []string{"id"}, Indexes: []dialect.Index{ {Name: "uq_book_shelf_id", Columns: []string{"shelf_id"}, Unique: true}, }, ForeignKeys: []dialect.ForeignKey{ {Name: "fk_book_shelf_id", Columns: []string{"shelf_id"}, RefTable: "shelf", RefColumns: []string{"id"}}, }, }`,
		`{Name: "fk_shelf_user_id", Columns: []string{"user_id"}, RefTable: "user", RefColumns: []string{"id"}, OnDelete: "CASCADE"},`,
		`func changeUp(m *dialect.Migrator) error { if err := m.CreateTable(changeShelf); err != nil { return err } if err := m.CreateTable(changeBook); err != nil { return err } return nil }`,
		`func changeDown(m *dialect.Migrator) error { if err := m.DropTable(changeBook.Name); err != nil { return err } if err := m.DropTable(changeShelf.Name); err != nil { return err } return nil }`,
	)
}

func TestGenerateDropTableRecreatesItEmptyInTheDown(t *testing.T) {
	p, src := generate(t, []dialect.Table{userShape, noteShape}, []dialect.Table{userShape})
	requireNoTODO(t, p, src)
	requireSnippets(t, src,
		`var changeNote = dialect.Table{ Name: "note",`,
		`func changeUp(m *dialect.Migrator) error { if err := m.DropTable(changeNote.Name); err != nil { return err } return nil }`,
		`// note comes back empty: the rows it held when the up dropped it are not // restored.`,
		`if err := m.CreateTable(changeNote); err != nil {`,
	)
}

func TestGenerateWideningNarrowsBackWithACheck(t *testing.T) {
	model := noteShape.Replace(dialect.Column{Name: "stars", Type: dialect.BigInt, NotNull: true, Default: "0"}).
		Replace(dialect.Column{Name: "user_id", Type: dialect.Key}) // not null -> nullable
	p, src := generate(t, []dialect.Table{noteShape}, []dialect.Table{model})
	requireNoTODO(t, p, src)
	requireSnippets(t, src,
		// The check and the index over stars are dropped before the type changes and added back after.
		`var changeNoteBetween = changeNoteFrom.Without("chk_note_stars", "idx_note_stars")`,
		`func changeUp(m *dialect.Migrator) error { if err := m.AlterTable(changeNoteFrom, changeNoteBetween); err != nil { return err } if err := m.AlterTable(changeNoteBetween, changeNoteTo); err != nil { return err } return nil }`,
		`if err := m.AlterTable(changeNoteTo, changeNoteBetween, dialect.NarrowFill(m.D, "stars", dialect.SmallInt)); err != nil {`,
		`if err := m.AlterTable(changeNoteBetween, changeNoteFrom); err != nil {`,
	)
	want := []string{
		"note: column user_id: not null -> nullable (rows holding NULL make the down fail)",
		"note: column stars: type smallint -> bigint (widening; the down narrows back and refuses values that do not fit)",
	}
	if strings.Join(p.Changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(p.Changes, "\n"), strings.Join(want, "\n"))
	}
}

func TestGenerateUnsafeChangesFailLoudly(t *testing.T) {
	cases := []struct {
		name      string
		model     dialect.Table
		up, down  bool
		todoShort string
	}{
		{"rename-looking drop and add", noteShape.Without("title").With(dialect.Column{Name: "heading", Type: dialect.Text}), true, true,
			"note.title is dropped and note.heading added with the same type: decide whether it is a rename"},
		{"narrowing type change", noteShape.Replace(dialect.Column{Name: "title", Type: dialect.Key}), true, true,
			"note.title changes type text -> key, which can lose data or fail: write the conversion"},
		{"unrelated type change", noteShape.Replace(dialect.Column{Name: "title", Type: dialect.JSON}), true, true,
			"note.title changes type text -> json, which can lose data or fail: write the conversion"},
		{"not null column without a default", noteShape.With(dialect.Column{Name: "kind", Type: dialect.Key, NotNull: true}), true, false,
			"note.kind is added NOT NULL without a default: give existing rows a value"},
		{"dropping a not null column", noteShape.Without("user_id", "idx_note_user_id"), false, true,
			"the down adds note.user_id back NOT NULL without a default: give existing rows a value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, src := generate(t, []dialect.Table{noteShape}, []dialect.Table{c.model})
			call := `if err := todo("` + c.todoShort + ` (edit migrations/0123456789ab_change.go)"); err != nil { return err }`
			for _, dir := range []struct {
				fn   string
				want bool
			}{{"changeUp", c.up}, {"changeDown", c.down}} {
				body := src[strings.Index(src, "func "+dir.fn):]
				body = body[:strings.Index(body, "\n}\n")]
				flat := strings.Join(strings.Fields(body), " ")
				has := strings.Contains(flat, call) && strings.Contains(body, "// TODO(schema new):")
				if has != dir.want {
					t.Errorf("%s: TODO present %v, want %v\n%s", dir.fn, has, dir.want, body)
				}
				// The todo call comes before any change.
				if dir.want && strings.Index(body, "todo(") > strings.Index(body, "if err := m.") {
					t.Errorf("%s: the todo call must come first\n%s", dir.fn, body)
				}
			}
		})
	}
}

func TestGenerateRenamedTableLooksLikeARename(t *testing.T) {
	renamed := noteShape
	renamed.Name = "memo"
	p, src := generate(t, []dialect.Table{noteShape}, []dialect.Table{renamed})
	if len(p.UpTODOs) != 1 || len(p.DownTODOs) != 1 {
		t.Fatalf("want one TODO each way, got up %v down %v", p.UpTODOs, p.DownTODOs)
	}
	requireSnippets(t, src, `todo("table note is dropped and memo created with the same columns: decide whether it is a rename`)
}

func TestDiffOfEqualShapesIsEmpty(t *testing.T) {
	reordered := noteShape
	reordered.Columns = []dialect.Column{noteShape.Columns[3], noteShape.Columns[0], noteShape.Columns[2], noteShape.Columns[1]}
	if p := Diff([]dialect.Table{userShape, noteShape}, []dialect.Table{reordered, userShape}); !p.Empty() {
		t.Errorf("column order alone made a plan: %v", p.Changes)
	}
}

func TestNamesAndIdents(t *testing.T) {
	for name, ident := range map[string]string{"add_note": "addNote", "add_note_pinned_2": "addNotePinned2", "x": "x", "2fa": "step2fa", "__a__b": "aB"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q): %v", name, err)
		}
		if got := Ident(name); got != ident {
			t.Errorf("Ident(%q) = %q, want %q", name, got, ident)
		}
	}
	for _, bad := range []string{"", "AddNote", "add-note", "add note", "äb"} {
		if err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) accepted a name that is not snake_case", bad)
		}
	}
	taken := map[string]bool{}
	for range 50 {
		id, err := NewRevisionID(func(id string) bool { return taken[id] })
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 12 || strings.Trim(id, "0123456789abcdef") != "" || taken[id] {
			t.Fatalf("revision ID %q is not 12 fresh lower-case hex characters", id)
		}
		taken[id] = true
	}
	if _, err := NewRevisionID(func(string) bool { return true }); err == nil {
		t.Error("NewRevisionID returned an ID although every one was taken")
	}
}

// TestGenerateOnline: a step is marked Online only when both directions
// merely add or drop indexes, foreign keys and nullable or defaulted
// columns of existing tables; anything else runs in the run's transaction.
func TestGenerateOnline(t *testing.T) {
	userFK := dialect.ForeignKey{Name: "fk_note_user_id", Columns: []string{"user_id"}, RefTable: "user", RefColumns: []string{"id"}, OnDelete: "CASCADE"}
	dropTitle := func(t dialect.Table) dialect.Table { return t.Without("title") }
	for _, c := range []struct {
		name   string
		models []dialect.Table
		online bool
	}{
		{"add a foreign key", []dialect.Table{userShape, noteShape.With(userFK)}, true},
		{"drop an index", []dialect.Table{userShape, noteShape.Without("idx_note_stars")}, true},
		{"drop a nullable column", []dialect.Table{userShape, dropTitle(noteShape)}, true},
		{"add a defaulted NOT NULL column", []dialect.Table{userShape, noteShape.With(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true, Default: "0"})}, true},
		{"add a check", []dialect.Table{userShape, noteShape.With(dialect.Check{Name: "chk_note_title", Expr: "title <> ''"})}, false},
		{"drop a check", []dialect.Table{userShape, noteShape.Without("chk_note_stars")}, false},
		{"add a NOT NULL column without a default", []dialect.Table{userShape, noteShape.With(dialect.Column{Name: "n", Type: dialect.BigInt, NotNull: true})}, false},
		{"drop a NOT NULL column without a default", []dialect.Table{userShape, noteShape.Without("user_id", "idx_note_user_id")}, false},
		{"change a column's type", []dialect.Table{userShape, noteShape.Replace(dialect.Column{Name: "stars", Type: dialect.BigInt, NotNull: true, Default: "0"})}, false},
		{"make a column NOT NULL", []dialect.Table{userShape, noteShape.Replace(dialect.Column{Name: "title", Type: dialect.Text, NotNull: true})}, false},
		{"create a table", []dialect.Table{userShape, noteShape, {Name: "tag", Columns: []dialect.Column{{Name: "id", Type: dialect.Key}}, PrimaryKey: []string{"id"}}}, false},
		{"drop a table", []dialect.Table{userShape}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, src := generate(t, []dialect.Table{userShape, noteShape}, c.models)
			if p.Online != c.online || strings.Contains(src, "Online: true") != c.online {
				t.Errorf("Online = %v (rendered: %v), want %v\n%s", p.Online, strings.Contains(src, "Online: true"), c.online, src)
			}
		})
	}
}
