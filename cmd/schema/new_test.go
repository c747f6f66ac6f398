package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/openwebui-go/schema/migrations"
)

func TestNewRefusesBadArguments(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"new"}, "new takes exactly one argument"},
		{[]string{"new", "AddThing"}, `step name "AddThing": use snake_case`},
		{[]string{"new", "add-thing"}, `step name "add-thing": use snake_case`},
		{[]string{"new", "add_thing", "--dir", filepath.Join(t.TempDir(), "missing")}, "is not a folder"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCLI(t, c.args...)
		if code != 2 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want exit 2 and no output", c.args, code, stdout)
		}
		requireOneErrorLine(t, stderr, c.want)
	}
}

// At HEAD the models match the chain: nothing is written, and exit 1 lets
// a script tell.
func TestNewWithNothingToGenerate(t *testing.T) {
	dir := t.TempDir()
	headFile := filepath.Join(dir, migrations.Head()+"_head.go")
	if err := os.WriteFile(headFile, []byte("package migrations\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "new", "add_thing", "--dir", dir)
	if code != 1 || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want exit 1 and no output", code, stdout)
	}
	requireOneErrorLine(t, stderr, "nothing to generate: the models match the chain's HEAD")
	if files, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(files) != 1 {
		t.Errorf("files written: %v", files)
	}
}

// A --dir that does not hold the chain built into the program would get a
// step revising the wrong HEAD.
func TestNewRefusesAFolderWithoutTheHead(t *testing.T) {
	code, _, stderr := runCLI(t, "new", "add_thing", "--dir", t.TempDir())
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	requireOneErrorLine(t, stderr, "the chain built into this program ends at "+migrations.Head())
}
