package dialect

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/gorm"
)

// An SQLite file this process may not write (its permissions, its
// folder's, or a read-only mount) is opened read-only, so that the
// commands that only read it work, and nothing is created or changed
// beside it:
//
//   - mode=ro, without switching the journal to WAL (a write);
//   - for a WAL database with no -shm file (no process has it open),
//     also immutable=1: otherwise SQLite would create -shm and -wal files,
//     owned by this user, in the user's folder, where they could later
//     keep the owner from opening the database;
//   - a WAL database with a -shm file is being used (or was left by a
//     crash): SQLite reads it, and the changes still in its -wal, through
//     the existing -shm, read-only.
//
// Write runs (up, down, stamp, adopt) refuse such a database before they
// start, with ReadOnlyError.

// ReadOnlyError is the refusal of a run that would write to an SQLite
// database this process may only read.
type ReadOnlyError struct {
	Database string // the URL
	Why      string
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("%s is read-only: %s; up, down, stamp and adopt need write access to the file and its folder (status, current, history, verify and diff do not)", e.Database, e.Why)
}

// readOnlyMark is attached to a database opened read-only (see sqliteDSN).
type readOnlyMark struct{ err *ReadOnlyError }

func (readOnlyMark) Name() string              { return "schema:sqlite-read-only" }
func (readOnlyMark) Initialize(*gorm.DB) error { return nil }

// refuseReadOnly is the error a write run meets on db, nil when db was not
// opened read-only.
func refuseReadOnly(db *gorm.DB) error {
	if p, ok := db.Config.Plugins[readOnlyMark{}.Name()].(readOnlyMark); ok {
		return p.err
	}
	return nil
}

// sqliteDSN is the DSN to open t with: t's own when this process may write
// the file and its folder (creating the folder if needed), else a
// read-only one, with the reason it is read-only. A new file in a folder
// this process may not write is refused as permission denied, rather than
// as SQLite's "no such file".
func sqliteDSN(t Target) (dsn string, readOnly *ReadOnlyError, err error) {
	if t.InMemory() {
		return t.dsn, nil, nil
	}
	path := t.Database
	if t.readOnly {
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			return "", nil, fmt.Errorf("cannot read %s: %w", t, err)
		case fi.IsDir():
			return "", nil, fmt.Errorf("cannot read %s: it is a folder, not a database file", t)
		}
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
		return readOnlyDSN(t, path, "it is opened only to be read")
	}
	dir := filepath.Dir(path)
	if dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("create the folder for %s: %w", t, err)
		}
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !writable(dir) {
			return "", nil, fmt.Errorf("cannot create %s: %w: this user may not create files in the folder %s", t, fs.ErrPermission, absolute(dir))
		}
		return t.dsn, nil, nil
	case err != nil:
		return "", nil, fmt.Errorf("cannot open %s: %w", t, err)
	case fi.IsDir():
		return "", nil, fmt.Errorf("cannot open %s: it is a folder, not a database file", t)
	}
	// SQLite follows a symlinked file and keeps its journal beside the
	// file it points to: judge that file's folder, not the link's.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path, dir = real, filepath.Dir(real)
	}
	var why string
	switch {
	case !writable(path):
		why = "the file is not writable by this user"
	case !writable(dir):
		why = "its folder " + absolute(dir) + " is not writable by this user (SQLite writes its journal there)"
	default:
		return t.dsn, nil, nil
	}
	return readOnlyDSN(t, path, why)
}

// readOnlyDSN opens path for reading only: no journal mode switch, no
// write lock, and a WAL file's changes read without a -shm file only if
// there are none.
func readOnlyDSN(t Target, path, why string) (string, *ReadOnlyError, error) {
	file, query, _ := strings.Cut(t.dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", nil, fmt.Errorf("cannot open %s: %w", t, err)
	}
	q.Del("_journal_mode") // switching to WAL is a write
	q.Set("_txlock", "deferred")
	q.Set("mode", "ro")
	if walMode(path) && !exists(path+"-shm") {
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
			return "", nil, fmt.Errorf("cannot read %s: %s, and its -wal file holds changes that only a writer can recover (a process using it stopped without closing it); open it once with write access (schema status as its owner), then try again", t, why)
		}
		q.Set("immutable", "1")
	}
	return file + "?" + q.Encode(), &ReadOnlyError{Database: t.String(), Why: why}, nil
}

// walMode reports whether the database file is in WAL mode: its header's
// read and write format versions are 2.
func walMode(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := make([]byte, 20)
	if _, err := f.ReadAt(h, 0); err != nil {
		return false
	}
	return string(h[:16]) == "SQLite format 3\x00" && h[18] == 2 && h[19] == 2
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func absolute(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
