package tests

// Holes found by trying the schema binary as a hostile user would, after
// issue 8: each test failed before its fix (see docs/DESIGN.md, "Hostile
// review"). Those of the runner are beside it, in db/hostile_test.go.

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCLISQLiteSymlink: SQLite follows a symlinked database file and
// keeps its journal (-wal, -shm) beside the file it points to, but the
// read-only check judged the folder of the link. A link in a folder this
// user may write, to a file in one it may not, was opened read-write:
// status failed with "attempt to write a readonly database". A link in a
// folder it may not write, to a file it may, was refused as read-only.
func TestCLISQLiteSymlink(t *testing.T) {
	u := newUnprivileged(t)
	mk := func(name string, owner int) string {
		dir := filepath.Join(u.base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, owner, owner); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	nobody := 65534
	if os.Geteuid() != 0 {
		nobody = os.Geteuid()
	}
	t.Run("link_writable_target_folder_not", func(t *testing.T) {
		real, links := mk("real1", 0), mk("links1", nobody)
		path := filepath.Join(real, "webui.db")
		newCLI(t).ok("--database-url", "sqlite:///"+path, "up")
		if err := os.Chown(path, nobody, nobody); err != nil { // the file is the user's, its folder not
			t.Fatal(err)
		}
		link := filepath.Join(links, "webui.db")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		u.requireCannotWrite(real)
		if r := u.schema(link, "status"); r.code != 0 || r.stderr != "" {
			t.Errorf("status through a link to a file in a folder the user may not write: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		u.schema(link, "up").requireExit(t, 1, "is read-only: its folder "+real+" is not writable by this user")
	})
	t.Run("link_folder_not_writable_target_is", func(t *testing.T) {
		real, links := mk("real2", nobody), mk("links2", 0)
		path := filepath.Join(real, "webui.db")
		newCLI(t).ok("--database-url", "sqlite:///"+path, "up", "--to", "7e5b5dc7342b")
		if err := os.Chown(path, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(links, "webui.db")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		u.requireCannotWrite(links)
		if r := u.schema(link, "up"); r.code != 0 || r.stderr != "" {
			t.Errorf("up through a link, in a folder the user may not write, to a file it may write: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
