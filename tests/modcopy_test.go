package tests

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyModule copies this module's sources (go.mod, go.sum and every .go
// file outside .git and data/) into a temporary directory, for tests that
// change the code itself: a model, a step, the chain. It returns the copy's
// root.
func copyModule(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if e.IsDir() {
			if rel == ".git" || rel == "data" || strings.HasPrefix(e.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") && rel != "go.mod" && rel != "go.sum" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy the module: %v", err)
	}
	return dst
}

// buildSchemaIn builds the schema command of the module copy at dir and
// returns the binary's path.
func buildSchemaIn(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "schema")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/schema")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/schema in the module copy: %v\n%s", err, out)
	}
	return bin
}

// writeFile writes content to dir/rel.
func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
