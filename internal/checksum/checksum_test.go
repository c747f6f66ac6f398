package checksum

import (
	"maps"
	"strings"
	"testing"
	"testing/fstest"
)

// The sources the checksum tests edit: two steps in history, one helper
// and frozen table each, a type with a method, and a third step that
// registers itself with function literals.
var checksumBase = map[string]string{
	"registry.go": `package migrations

import "github.com/openwebui-go/schema/internal/dialect"

type Step struct {
	ID      string
	Revises string
	Name    string
	Up      func(*dialect.Migrator) error
	Down    func(*dialect.Migrator) error
}

var history = []Step{
	{ID: "aaaaaaaaaaaa", Revises: "", Name: "first", Up: firstUp, Down: firstDown},
	{ID: "bbbbbbbbbbbb", Revises: "aaaaaaaaaaaa", Name: "second", Up: secondUp, Down: secondDown},
}

func register(s Step) {}
`,
	"first.go": `package migrations

import "github.com/openwebui-go/schema/internal/dialect"

var userAt1 = dialect.Table{
	Name: "user",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "name", Type: dialect.Text},
	},
}

func firstUp(m *dialect.Migrator) error   { return m.CreateTable(userAt1) }
func firstDown(m *dialect.Migrator) error { return m.DropTable(userAt1.Name) }
`,
	"second.go": `package migrations

import "github.com/openwebui-go/schema/internal/dialect"

const secondBatch = 100

var userAt2 = userAt1.With(dialect.Column{Name: "email", Type: dialect.Key})

type counter struct{ n int }

func (c *counter) add() { c.n++ }

func secondUp(m *dialect.Migrator) error {
	var c counter
	c.add()
	if err := m.AlterTable(userAt1, userAt2); err != nil {
		return err
	}
	return secondFill(m, secondBatch)
}

func secondDown(m *dialect.Migrator) error {
	// a local named like an unrelated declaration is not a reference
	unrelated := 1
	_ = unrelated
	return m.AlterTable(userAt2, userAt1)
}

func secondFill(m *dialect.Migrator, batch int) error {
	return m.Exec("UPDATE user SET email = name WHERE email IS NULL LIMIT ?", batch)
}
`,
	"third.go": `package migrations

import "github.com/openwebui-go/schema/internal/dialect"

var unrelated = 7

func init() {
	register(Step{ID: "cccccccccccc", Revises: "bbbbbbbbbbbb", Name: "third",
		Up: func(m *dialect.Migrator) error { return m.Exec("CREATE INDEX i ON user (name)") },
		Down: func(m *dialect.Migrator) error {
			return m.Exec(thirdDrop)
		},
	})
}

const thirdDrop = "DROP INDEX i"
`,
}

var checksumIDs = []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"}

func sumsOf(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	sums, errs, err := Compute(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for id, err := range errs {
		t.Fatalf("step %s: %v", id, err)
	}
	for _, id := range checksumIDs {
		if len(sums[id]) != 64 {
			t.Fatalf("step %s has checksum %q, want 64 hex digits (all: %v)", id, sums[id], sums)
		}
	}
	return sums
}

// edit replaces old with new in one file of the base sources, failing the
// test if old is not there (an edit that silently did nothing would make
// the test pass for the wrong reason).
func edit(t *testing.T, file, old, new string) map[string]string {
	t.Helper()
	out := maps.Clone(checksumBase)
	if !strings.Contains(out[file], old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	out[file] = strings.Replace(out[file], old, new, 1)
	return out
}

func TestChecksumIgnoresLayoutAndComments(t *testing.T) {
	base := sumsOf(t, checksumBase)
	cases := []struct {
		name     string
		file     string
		old, new string
		moved    string // appended to third.go
	}{
		{"comment added to a step's function", "second.go", "func secondUp(m *dialect.Migrator) error {\n",
			"// secondUp adds email.\nfunc secondUp(m *dialect.Migrator) error { /* inline */\n\t// why\n", ""},
		{"comment removed", "second.go", "\t// a local named like an unrelated declaration is not a reference\n", "", ""},
		{"one-line function spread over lines", "first.go", "func firstUp(m *dialect.Migrator) error   { return m.CreateTable(userAt1) }",
			"func firstUp(\n\tm *dialect.Migrator,\n) error {\n\n\treturn m.CreateTable(\n\t\tuserAt1,\n\t)\n}", ""},
		{"frozen table joined on one line, no trailing comma", "first.go",
			"Columns: []dialect.Column{\n\t\t{Name: \"id\", Type: dialect.Key},\n\t\t{Name: \"name\", Type: dialect.Text},\n\t},",
			"Columns: []dialect.Column{{Name: \"id\", Type: dialect.Key}, {Name: \"name\", Type: dialect.Text}},", ""},
		{"declarations grouped", "second.go", "const secondBatch = 100\n\nvar userAt2 =",
			"const (\n\tsecondBatch = 100 // rows per batch\n)\n\nvar userAt2 =", ""},
		{"declarations moved to another order", "second.go",
			"type counter struct{ n int }\n\nfunc (c *counter) add() { c.n++ }\n", "",
			"\ntype counter struct {\n\tn int\n}\n\nfunc (c *counter) add() {\n\tc.n++\n}\n"},
		{"function literal reformatted", "third.go", "Down: func(m *dialect.Migrator) error {\n\t\t\treturn m.Exec(thirdDrop)\n\t\t},",
			"Down: func(m *dialect.Migrator) error { return m.Exec(thirdDrop) }, // same", ""},
		{"blank lines and semicolons", "second.go", "\tvar c counter\n\tc.add()\n", "\n\n\tvar c counter; c.add()\n\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := edit(t, tc.file, tc.old, tc.new)
			files["third.go"] += tc.moved
			got := sumsOf(t, files)
			for _, id := range checksumIDs {
				if got[id] != base[id] {
					t.Errorf("step %s: checksum changed from %s to %s", id, base[id], got[id])
				}
			}
		})
	}
}

func TestChecksumSeesChanges(t *testing.T) {
	base := sumsOf(t, checksumBase)
	cases := []struct {
		name     string
		file     string
		old, new string
		changed  []string // the steps whose checksum must change; the others must not
	}{
		{"statement in Up", "first.go", "return m.CreateTable(userAt1)", "return m.CreateTable(userAt1.Without(\"name\"))", []string{"aaaaaaaaaaaa"}},
		{"statement in Down", "second.go", "return m.AlterTable(userAt2, userAt1)", "return m.AlterTable(userAt2, userAt2)", []string{"bbbbbbbbbbbb"}},
		{"referenced helper", "second.go", "WHERE email IS NULL LIMIT ?", "LIMIT ?", []string{"bbbbbbbbbbbb"}},
		{"referenced constant", "second.go", "const secondBatch = 100", "const secondBatch = 10", []string{"bbbbbbbbbbbb"}},
		{"method of a referenced type", "second.go", "c.n++", "c.n += 2", []string{"bbbbbbbbbbbb"}},
		// userAt1 is step 1's frozen table and step 2 alters it: both change.
		{"referenced frozen table", "first.go", "{Name: \"name\", Type: dialect.Text}", "{Name: \"name\", Type: dialect.Key}", []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}},
		{"other package's name", "first.go", "Type: dialect.Key}", "Type: dialect.BigInt}", []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}},
		{"function literal Up", "third.go", "CREATE INDEX i ON user (name)", "CREATE INDEX i ON user (id)", []string{"cccccccccccc"}},
		{"constant a function literal uses", "third.go", `"DROP INDEX i"`, `"DROP INDEX IF EXISTS i"`, []string{"cccccccccccc"}},
		{"step points at another function", "registry.go", "Down: firstDown}", "Down: secondDown}", []string{"aaaaaaaaaaaa"}},
		{"unrelated declaration", "third.go", "var unrelated = 7", "var unrelated = 8", nil},
		{"step's name", "registry.go", `Name: "first"`, `Name: "initial"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := sumsOf(t, edit(t, tc.file, tc.old, tc.new))
			for _, id := range checksumIDs {
				want := strings.Contains(strings.Join(tc.changed, " "), id)
				if changed := got[id] != base[id]; changed != want {
					t.Errorf("step %s: changed = %v, want %v", id, changed, want)
				}
			}
		})
	}
}

func TestChecksumStepForms(t *testing.T) {
	files := maps.Clone(checksumBase)
	files["fourth.go"] = `package migrations

func init() {
	register(Step{"dddddddddddd", "cccccccccccc", "positional", firstUp, firstDown})
	s := &Step{ID: "eeeeeeeeeeee", Up: firstUp, Down: firstDown}
	register(*s)
}
`
	files["gen.go"] = "//go:build ignore\n\npackage main\n\nvar Step = 1\n"
	files["x_test.go"] = "package migrations\n\nvar _ = Step{ID: \"ffffffffffff\"}\n"
	sums := sumsOf(t, files)
	if sums["dddddddddddd"] != sums["aaaaaaaaaaaa"] || sums["eeeeeeeeeeee"] != sums["aaaaaaaaaaaa"] {
		t.Errorf("steps with step 1's functions should share its checksum: %v", sums)
	}
	if _, ok := sums["ffffffffffff"]; ok {
		t.Error("a Step literal in a test file got a checksum")
	}

	files["fifth.go"] = "package migrations\n\nvar fifth = Step{ID: \"aaaaaaaaaaaa\", Up: secondUp, Down: secondDown}\n"
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	_, errs, err := Compute(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if err := errs["aaaaaaaaaaaa"]; err == nil || !strings.Contains(err.Error(), "two Step literals have this ID") {
		t.Errorf("duplicate ID: err = %v", err)
	}
}

func TestChecksumBadSources(t *testing.T) {
	for name, src := range map[string]string{
		"parse error":    "package migrations\n\nfunc broken( {\n",
		"ID not literal": "package migrations\n\nconst id = \"x\"\n\nvar s = Step{ID: id}\n",
	} {
		t.Run(name, func(t *testing.T) {
			files := maps.Clone(checksumBase)
			files["bad.go"] = src
			fsys := fstest.MapFS{}
			for n, s := range files {
				fsys[n] = &fstest.MapFile{Data: []byte(s)}
			}
			_, _, err := Compute(fsys)
			if err == nil || !strings.Contains(err.Error(), "package migrations") {
				t.Fatalf("err = %v, want an error about package migrations' sources", err)
			}
		})
	}
}
