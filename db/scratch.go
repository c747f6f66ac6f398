package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
)

// ScratchPrefix starts the name of every scratch database (and SQLite
// scratch folder) this package makes: schema_scratch_<unix
// time>_<pid>_<random>.
const ScratchPrefix = "schema_scratch"

// staleScratchAge is how old a scratch database must be before a later run
// takes it for abandoned (and unused) and drops it. No run of this tool
// keeps one for long; an hour leaves a wide margin for slow servers and
// skewed clocks. Tests shorten it.
var staleScratchAge = time.Hour

// scratchDropTimeout bounds the clean-up of a scratch database, which runs
// on a context of its own: the run's may already be cancelled by a signal.
const scratchDropTimeout = 30 * time.Second

// Scratch opens a new, empty database beside d: a database on the same
// server (which needs permission to create one), in the same schema as d,
// or a temporary file for SQLite. The returned function closes and removes
// it, also after ctx was cancelled (SIGINT), so callers defer it. Scratch
// databases of earlier runs that were killed before removing theirs are
// removed first (see dialect.DropStaleScratch).
func (d *Database) Scratch(ctx context.Context) (*Database, func(), error) {
	if d.Dialect() == "sqlite" {
		return d.scratchFile(ctx)
	}
	admin := d.DB.WithContext(ctx)
	// Best effort: a user who may not list or drop databases can still
	// verify, as before.
	_, _ = dialect.DropStaleScratch(ctx, admin, ScratchPrefix, staleScratchAge)
	name, err := dialect.NewScratchName(ScratchPrefix)
	if err != nil {
		return nil, nil, err
	}
	drop := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), scratchDropTimeout)
		defer cancel()
		_ = dialect.DropDatabase(d.DB.WithContext(cctx), name)
	}
	if err := dialect.CreateDatabase(admin, name); err != nil {
		drop() // a cancelled CREATE may still have created it
		return nil, nil, d.scrub(fmt.Errorf("create scratch database %s on %s (the user needs permission to create databases): %w", name, d, err))
	}
	target, err := d.target.WithDatabase(name)
	if err != nil {
		drop()
		return nil, nil, err
	}
	g, err := dialect.Open(target)
	if err != nil {
		drop()
		return nil, nil, err
	}
	s := &Database{DB: g.WithContext(ctx), target: target}
	cleanup := func() { s.Close(); drop() }
	if err := dialect.MatchScratchSchema(ctx, d.DB, s.DB); err != nil {
		cleanup()
		return nil, nil, d.scrub(fmt.Errorf("prepare scratch database %s: %w", name, err))
	}
	return s, cleanup, nil
}

// scratchFile is Scratch for SQLite: a file in a new folder of the system's
// temporary folder, removed with the folder.
func (d *Database) scratchFile(ctx context.Context) (*Database, func(), error) {
	dialect.RemoveStaleScratchDirs(ScratchPrefix, staleScratchAge)
	dir, err := dialect.MakeScratchDir(ScratchPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("create a scratch SQLite database: %w", err)
	}
	s, err := Open(ctx, "sqlite:///"+filepath.Join(dir, "scratch.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return s, func() { s.Close(); os.RemoveAll(dir) }, nil
}
