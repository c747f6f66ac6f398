package dialect

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"ariga.io/atlas/sql/migrate"
	"gorm.io/gorm"
)

// Scratch databases (and, for SQLite, scratch folders) are named
//
//	<prefix>_<created>_<pid>_<random>
//
// created is the Unix second of creation, pid the creating process and
// random eight hex digits. A run that is killed leaves its scratch behind;
// the name lets a later run recognise it as this tool's, tell how old it
// is, and (for folders on this machine) whether its maker is still alive,
// so that only abandoned ones are removed. Anything that does not match
// the whole pattern exactly, a user's database named alike included, is
// never touched.
var scratchName = regexp.MustCompile(`^([a-z][a-z_]*)_([0-9]{10})_([1-9][0-9]{0,9})_([0-9a-f]{8})$`)

// NewScratchName returns a fresh name under prefix (lower-case letters and
// underscores, such as "schema_scratch").
func NewScratchName(prefix string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	name := fmt.Sprintf("%s_%010d_%d_%s", prefix, time.Now().Unix(), os.Getpid(), hex.EncodeToString(b))
	if _, ok := ParseScratchName(prefix, name); !ok || !validScratchName(name) {
		return "", fmt.Errorf("invalid scratch name prefix %q", prefix)
	}
	return name, nil
}

// ScratchInfo is what a scratch name says about its maker.
type ScratchInfo struct {
	Created time.Time
	PID     int
}

// ParseScratchName reports whether name is a scratch name made under
// prefix, and what it says.
func ParseScratchName(prefix, name string) (ScratchInfo, bool) {
	m := scratchName.FindStringSubmatch(name)
	if m == nil || m[1] != prefix {
		return ScratchInfo{}, false
	}
	secs, err1 := strconv.ParseInt(m[2], 10, 64)
	pid, err2 := strconv.Atoi(m[3])
	if err1 != nil || err2 != nil {
		return ScratchInfo{}, false
	}
	return ScratchInfo{Created: time.Unix(secs, 0), PID: pid}, true
}

// stale reports whether a scratch made at created is older than maxAge. The
// name holds whole seconds, so a second is added before comparing.
func stale(created time.Time, maxAge time.Duration) bool {
	return time.Since(created.Add(time.Second)) > maxAge
}

// OnServer reports whether d's databases live on a server beside others
// (PostgreSQL, MySQL), so that a scratch database of the same dialect can
// be made there; SQLite's are files.
func OnServer(d Dialect) bool { return d.listDatabasesSQL() != "" }

// ListScratchDatabases lists the databases on admin's server named under
// prefix (see NewScratchName).
func ListScratchDatabases(ctx context.Context, admin *gorm.DB, prefix string) ([]string, error) {
	d, err := Of(admin)
	if err != nil {
		return nil, err
	}
	q := d.listDatabasesSQL()
	if q == "" {
		return nil, fmt.Errorf("%s has no sibling databases", d.Name())
	}
	var names []string
	// LIKE only narrows the search; the pattern decides.
	if err := admin.WithContext(ctx).Raw(q, prefix+"%").Scan(&names).Error; err != nil {
		return nil, fmt.Errorf("list scratch databases: %w", err)
	}
	var out []string
	for _, n := range names {
		if _, ok := ParseScratchName(prefix, n); ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// DatabaseSessions counts the sessions connected to database name
// (PostgreSQL: pg_stat_activity; MySQL: processlist entries using it, of
// which a user without the PROCESS privilege sees only its own).
func DatabaseSessions(ctx context.Context, admin *gorm.DB, name string) (int64, error) {
	d, err := Of(admin)
	if err != nil {
		return 0, err
	}
	q := d.sessionsSQL()
	if q == "" {
		return 0, fmt.Errorf("%s has no sibling databases", d.Name())
	}
	var n int64
	err = admin.WithContext(ctx).Raw(q, name).Scan(&n).Error
	return n, err
}

// DropStaleScratch drops the scratch databases under prefix on admin's
// server that are older than maxAge and that no session uses: those of
// runs that were killed. A database in use, too young, or not named by
// NewScratchName is left alone; so is one that a session reaches between
// the check and the drop (PostgreSQL refuses to drop it). It returns what
// it dropped; failures to drop one (another user's, say) are returned
// joined, after trying the rest.
func DropStaleScratch(ctx context.Context, admin *gorm.DB, prefix string, maxAge time.Duration) ([]string, error) {
	d, err := Of(admin)
	if err != nil {
		return nil, err
	}
	names, err := ListScratchDatabases(ctx, admin, prefix)
	if err != nil {
		return nil, err
	}
	var dropped []string
	var errs []error
	for _, name := range names {
		info, _ := ParseScratchName(prefix, name)
		if !stale(info.Created, maxAge) {
			continue
		}
		n, err := DatabaseSessions(ctx, admin, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n > 0 {
			continue
		}
		// No FORCE here: a session that arrived meanwhile makes
		// PostgreSQL refuse, which is what we want.
		if err := admin.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + d.Quote(name)).Error; err != nil {
			errs = append(errs, fmt.Errorf("drop stale scratch database %s: %w", name, err))
			continue
		}
		dropped = append(dropped, name)
	}
	return dropped, errors.Join(errs...)
}

// MakeScratchDir creates a folder named under prefix (see NewScratchName)
// in the system's temporary folder, readable by this user only.
func MakeScratchDir(prefix string) (string, error) {
	for range 5 {
		name, err := NewScratchName(prefix)
		if err != nil {
			return "", err
		}
		dir := filepath.Join(os.TempDir(), name)
		err = os.Mkdir(dir, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return dir, err
	}
	return "", errors.New("could not find a free scratch folder name")
}

// RemoveStaleScratchDirs removes the scratch folders under prefix in the
// system's temporary folder that are older than maxAge and whose maker is
// no longer running: those of killed runs. It returns what it removed.
func RemoveStaleScratchDirs(prefix string, maxAge time.Duration) []string {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		info, ok := ParseScratchName(prefix, e.Name())
		// A symlink or file of that name is not ours (ReadDir does not
		// follow links, so IsDir is the entry itself).
		if !ok || !e.IsDir() || !stale(info.Created, maxAge) || processAlive(info.PID) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if err := os.RemoveAll(dir); err == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}

// CurrentSchema is where db's unqualified table names resolve and new
// tables go: PostgreSQL's current_schema() (the first schema of the
// search_path that exists; "" when none does), the MySQL database, or
// SQLite's "main".
func CurrentSchema(ctx context.Context, db *gorm.DB) (string, error) {
	d, err := Of(db)
	if err != nil {
		return "", err
	}
	q := d.currentSchemaSQL()
	if q == "" {
		return "main", nil
	}
	var name *string
	if err := db.WithContext(ctx).Raw(q).Scan(&name).Error; err != nil {
		return "", fmt.Errorf("read the current schema: %w", err)
	}
	if name == nil {
		return "", nil
	}
	return *name, nil
}

// Inspector returns the schema inspector (Atlas's driver) for db's
// dialect, and the schema to inspect: on PostgreSQL the one the URL's
// search_path selects (?search_path=app), which is where the chain creates
// its tables, never public just because it exists; "" elsewhere, which is
// the connection's database.
func Inspector(ctx context.Context, db *gorm.DB, conn *sql.DB) (migrate.Driver, string, error) {
	d, err := Of(db)
	if err != nil {
		return nil, "", err
	}
	drv, err := d.inspector(conn)
	if err != nil || !d.searchPath() {
		return drv, "", err
	}
	in, err := CurrentSchema(ctx, db)
	if err != nil {
		return nil, "", err
	}
	if in == "" {
		return nil, "", errors.New("the search_path names no schema that exists in the database: create the schema, or fix search_path in the URL")
	}
	return drv, in, nil
}

// MatchScratchSchema gives a new scratch database the schema the live
// database works in. On PostgreSQL the scratch database's URL carries the
// live one's search_path (?search_path=app), but a new database has only
// public: the schema is created, and the scratch database must then
// resolve to it. Other dialects have nothing to do.
func MatchScratchSchema(ctx context.Context, live, scratch *gorm.DB) error {
	d, err := Of(live)
	if err != nil {
		return err
	}
	if !d.searchPath() {
		return nil
	}
	want, err := CurrentSchema(ctx, live)
	if err != nil {
		return err
	}
	if want == "" {
		return errors.New("the search_path names no schema that exists in the database; create the schema, or fix search_path in the URL")
	}
	got, err := CurrentSchema(ctx, scratch)
	if err != nil || got == want {
		return err
	}
	if err := scratch.WithContext(ctx).Exec("CREATE SCHEMA IF NOT EXISTS " + d.Quote(want)).Error; err != nil {
		return fmt.Errorf("create schema %s in the scratch database: %w", want, err)
	}
	if got, err = CurrentSchema(ctx, scratch); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the scratch database resolves names to schema %q where the live database uses %q: put %q first in search_path", got, want, want)
	}
	return nil
}

// Sibling is an empty database made for a while beside another: on a
// server, a database named under a prefix (NewScratchName), so that one a
// killed process leaves behind is recognised and removed later; for
// SQLite, a file in a new temporary folder named alike. It is the one way
// the tool, its benchmarks and its tests make scratch databases.
type Sibling struct {
	Target Target
	Name   string // the database, or for SQLite the folder
	drop   func(ctx context.Context) error
}

// Drop removes the sibling. Call it with a context a signal has not
// cancelled (context.WithoutCancel); it may be called more than once.
func (s Sibling) Drop(ctx context.Context) error {
	if s.drop == nil {
		return nil
	}
	return s.drop(ctx)
}

// NewSibling makes an empty sibling of server's database, named under
// prefix; admin is a connection to server (unused for SQLite, whose
// sibling is the file named file in a new folder). On failure nothing is
// left behind.
func NewSibling(ctx context.Context, admin *gorm.DB, server Target, prefix, file string) (Sibling, error) {
	if server.Dialect != nil && !server.Dialect.server() {
		dir, err := MakeScratchDir(prefix)
		if err != nil {
			return Sibling{}, fmt.Errorf("make a folder for a SQLite file: %w", err)
		}
		t, err := Parse("sqlite:///" + filepath.Join(dir, file))
		if err != nil {
			os.RemoveAll(dir)
			return Sibling{}, err
		}
		return Sibling{Target: t, Name: dir, drop: func(context.Context) error { return os.RemoveAll(dir) }}, nil
	}
	name, err := NewScratchName(prefix)
	if err != nil {
		return Sibling{}, err
	}
	s := Sibling{Name: name, drop: func(ctx context.Context) error {
		return DropDatabase(admin.WithContext(ctx), name)
	}}
	if err := CreateDatabase(admin.WithContext(ctx), name); err != nil {
		_ = s.Drop(context.WithoutCancel(ctx)) // a cancelled CREATE may still have created it
		return Sibling{}, fmt.Errorf("create database %s (the user needs permission to create databases): %w", name, err)
	}
	if s.Target, err = server.WithDatabase(name); err != nil {
		_ = s.Drop(context.WithoutCancel(ctx))
		return Sibling{}, err
	}
	return s, nil
}

// RemoveStaleSiblings removes the siblings under prefix that earlier
// processes left behind and that are older than maxAge (see
// DropStaleScratch and RemoveStaleScratchDirs for what counts as
// abandoned).
func RemoveStaleSiblings(ctx context.Context, admin *gorm.DB, server Target, prefix string, maxAge time.Duration) error {
	if server.Dialect != nil && !server.Dialect.server() {
		RemoveStaleScratchDirs(prefix, maxAge)
		return nil
	}
	_, err := DropStaleScratch(ctx, admin, prefix, maxAge)
	return err
}
