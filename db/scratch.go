package db

import (
	"context"
	"fmt"
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
	admin := d.DB.WithContext(ctx)
	// Best effort: a user who may not list or drop databases can still
	// verify, as before.
	_ = dialect.RemoveStaleSiblings(ctx, admin, d.target, ScratchPrefix, staleScratchAge)
	sib, err := dialect.NewSibling(ctx, admin, d.target, ScratchPrefix, "scratch.db")
	if err != nil {
		return nil, nil, d.scrub(fmt.Errorf("create a scratch database beside %s: %w", d, err))
	}
	drop := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), scratchDropTimeout)
		defer cancel()
		_ = sib.Drop(cctx)
	}
	g, err := dialect.Open(sib.Target)
	if err != nil {
		drop()
		return nil, nil, err
	}
	s := &Database{DB: g.WithContext(ctx), target: sib.Target}
	cleanup := func() { s.Close(); drop() }
	if err := dialect.MatchScratchSchema(ctx, d.DB, s.DB); err != nil {
		cleanup()
		return nil, nil, d.scrub(fmt.Errorf("prepare scratch database %s: %w", sib.Name, err))
	}
	return s, cleanup, nil
}
