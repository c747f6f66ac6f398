package db

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// ErrSchemaMismatch means adopt found the live schema different from the
// chain at the revision alembic_version names; the report lists how.
var ErrSchemaMismatch = errors.New("the live schema differs from the chain")

// Where adopt takes the revision from (AdoptReport.Source).
const (
	// AdoptFromAlembic: the revision alembic_version holds.
	AdoptFromAlembic = "alembic_version"
	// AdoptFromSchema: no alembic_version, so the revision whose schema
	// the live one matches.
	AdoptFromSchema = "schema"
)

// AdoptReport is the outcome of Adopt.
type AdoptReport struct {
	Database string `json:"database"` // the URL, password masked
	Dialect  string `json:"dialect"`
	// Source is AdoptFromAlembic or AdoptFromSchema.
	Source string `json:"source"`
	// Revision is what alembic_version holds ("" for base); from the
	// schema, the revision it matches, or when none does, the closest one,
	// which Differences compare it with.
	Revision string `json:"revision"`
	// Matches lists the revisions the schema matches when there are
	// several (they look the same on the dialect); adopt records none.
	Matches []string `json:"matches,omitempty"`
	// Adopted says whether the steps up to Revision are now recorded.
	Adopted bool `json:"adopted"`
	// Recorded lists the steps recorded as applied, oldest first.
	Recorded []string `json:"recorded"`
	// Differences says how the live schema differs from the chain at
	// Revision; adopt records nothing unless it is empty.
	Differences []Difference `json:"differences"`
}

// Adopt takes over a database this tool has no record of.
//
// One migrated by Open WebUI's Alembic migrations: it reads
// alembic_version's revision, builds the chain up to it on a scratch
// database of the same dialect, and, when the live schema is the same,
// records the steps up to it as applied.
//
// One without alembic_version (records dropped or emptied, a schema made
// by AutoMigrate or by hand): it builds the chain step by step on a
// scratch database, compares the live schema with each revision, and
// records the steps up to the one it matches.
//
// On any difference it returns ErrSchemaMismatch with the differences in
// the report and changes nothing.
func (d *Database) Adopt(ctx context.Context) (AdoptReport, error) {
	r := AdoptReport{Database: d.String(), Dialect: d.Dialect(), Source: AdoptFromAlembic, Recorded: []string{}, Differences: []Difference{}}
	chain, err := migrations.Chain()
	if err != nil {
		return r, err
	}
	al, err := recordsOf(d.DB.WithContext(ctx)).alembic()
	if err != nil {
		return r, d.scrub(err)
	}
	if !al.exists {
		r.Source = AdoptFromSchema
		return d.adoptBySchema(ctx, chain, r)
	}
	rev, recorded, err := d.adoptable(d.DB.WithContext(ctx), chain)
	if err != nil {
		return r, d.scrub(err)
	}
	r.Revision = rev
	// The comparison runs before the lock: building the scratch database
	// takes a while, and the lock's holder may need the only connection of
	// an in-memory SQLite database. Under the lock, adoptable runs again,
	// so a database that moved in between is not recorded.
	want, err := d.chainSnapshot(ctx, rev)
	if err != nil {
		return r, err
	}
	live, err := d.liveOwnTables(ctx, chain)
	if err != nil {
		return r, err
	}
	if diffs := compareWithChain(want, live, rev); len(diffs) > 0 {
		r.Differences = diffs
		return r, fmt.Errorf("%w at %s in %d way(s); nothing was recorded: bring the schema to the shape of revision %s (Open WebUI's migrations, or by hand) and run adopt again",
			ErrSchemaMismatch, orBase(rev), len(diffs), orBase(rev))
	}
	keep := appliedUpTo(chain, rev)
	err = d.locked(ctx, Options{}, func(conn *gorm.DB) error {
		return conn.Transaction(func(tx *gorm.DB) error {
			revNow, recordedNow, err := d.adoptable(tx, chain)
			if err != nil {
				return err
			}
			if revNow != rev || recordedNow != recorded {
				return fmt.Errorf("the database moved while adopt compared the schema (%s from %s to %s, %s from %s to %s); nothing was recorded: run adopt again",
					AlembicTable, orBase(rev), orBase(revNow), MigrationsTable, orBase(recorded), orBase(recordedNow))
			}
			if err := recordsOf(tx).keepOnly(chain, keep); err != nil {
				return fmt.Errorf("adopt %s: %w", orBase(rev), err)
			}
			return nil
		})
	})
	if err != nil {
		return r, d.scrub(err)
	}
	r.Adopted, r.Recorded = true, keep
	return r, nil
}

// liveOwnTables is the live schema as adopt compares it: this schema's
// tables, without other applications' (see ownTables).
func (d *Database) liveOwnTables(ctx context.Context, chain []migrations.Step) (*snapshot.Snapshot, error) {
	live, err := snapshot.Take(ctx, d.DB)
	if err != nil {
		return nil, d.scrub(fmt.Errorf("inspect %s: %w", d, err))
	}
	return d.ownTables(d.DB.WithContext(ctx), chain, live)
}

// compareWithChain lists how the live schema differs from the chain's at
// rev: what adopt requires to be empty.
func compareWithChain(chainAt, live *snapshot.Snapshot, rev string) []Difference {
	return snapshot.CompareIgnoringCollation(chainAt, live, "chain at "+orBase(rev), "live database")
}

// adoptBySchema is Adopt without alembic_version: the revision is the one
// whose schema the live one matches. It records only where nothing
// contradicts that: with no record of this tool. A database with records
// is compared and the outcome reported, but its records are left to
// stamp, the explicit override: a schema can match a later revision while
// the data steps in between never ran (a MySQL step interrupted after its
// DDL).
func (d *Database) adoptBySchema(ctx context.Context, chain []migrations.Step, r AdoptReport) (AdoptReport, error) {
	g := d.DB.WithContext(ctx)
	st, err := recordsOf(g).state(chain)
	if err != nil {
		return r, d.scrub(err)
	}
	hasRecords := len(st.appliedAt) > 0
	if !hasRecords {
		ours, err := d.chainTablesIn(g, chain)
		if err != nil {
			return r, d.scrub(err)
		}
		if len(ours) == 0 {
			return r, fmt.Errorf("database %s has no tables of this schema and no record of this tool: there is nothing to adopt; run `schema up` to create the schema", d)
		}
	}
	// As for Alembic, the comparison runs before the lock, and what it
	// rests on is read again under it.
	snaps, err := d.chainSnapshots(ctx, chain)
	if err != nil {
		return r, err
	}
	live, err := d.liveOwnTables(ctx, chain)
	if err != nil {
		return r, err
	}
	var matches []int
	best, bestDiffs := -1, []Difference(nil)
	for i, want := range snaps {
		diffs := compareWithChain(want, live, revisionAt(chain, i))
		if len(diffs) == 0 {
			matches = append(matches, i)
		}
		// Ties go to the later revision: the nearer to what was built.
		if best < 0 || len(diffs) <= len(bestDiffs) {
			best, bestDiffs = i, diffs
		}
	}
	switch len(matches) {
	case 0:
		r.Revision, r.Differences = revisionAt(chain, best), bestDiffs
		return r, fmt.Errorf("%w at every revision; the closest is %s, from which it differs in %d way(s); nothing was recorded: bring the schema to the shape of a revision and run adopt again, or, if you know the revision the database is at, record it with `schema stamp REV`",
			ErrSchemaMismatch, orBase(r.Revision), len(bestDiffs))
	case 1:
	default:
		for _, i := range matches {
			r.Matches = append(r.Matches, orBase(revisionAt(chain, i)))
		}
		return r, fmt.Errorf("the schema of database %s matches %d revisions (%s), which look the same on %s (the steps between them change data, or types %s does not tell apart): nothing was recorded; record the one its data is at with `schema stamp REV`",
			d, len(matches), strings.Join(r.Matches, ", "), d.Dialect(), d.Dialect())
	}
	at := matches[0]
	r.Revision = revisionAt(chain, at)
	if hasRecords {
		if at == st.applied {
			return r, fmt.Errorf("database %s is already managed by this tool: %s records %s, and the schema matches it; there is nothing to adopt", d, MigrationsTable, orBase(r.Revision))
		}
		return r, fmt.Errorf("database %s: %s records %s but the schema matches %s; nothing was recorded: adopt does not overrule this tool's records (the data steps in between may not have run); if the records are wrong, run `schema stamp %s`",
			d, MigrationsTable, orBase(revisionAt(chain, st.applied)), orBase(r.Revision), orBase(r.Revision))
	}
	keep := appliedUpTo(chain, r.Revision)
	err = d.locked(ctx, Options{}, func(conn *gorm.DB) error {
		return conn.Transaction(func(tx *gorm.DB) error {
			al, err := recordsOf(tx).alembic()
			if err != nil {
				return err
			}
			stNow, err := recordsOf(tx).state(chain)
			if err != nil {
				return err
			}
			if al.exists || len(stNow.appliedAt) > 0 {
				return fmt.Errorf("the database moved while adopt compared the schema (%s or %s appeared); nothing was recorded: run adopt again", AlembicTable, MigrationsTable)
			}
			if err := recordsOf(tx).keepOnly(chain, keep); err != nil {
				return fmt.Errorf("adopt %s: %w", orBase(r.Revision), err)
			}
			return nil
		})
	})
	if err != nil {
		return r, d.scrub(err)
	}
	r.Adopted, r.Recorded = true, keep
	return r, nil
}

// chainSnapshots builds the chain step by step on one scratch database of
// d's dialect and returns its schema at each revision: [0] at base, [i]
// after the first i steps.
func (d *Database) chainSnapshots(ctx context.Context, chain []migrations.Step) ([]*snapshot.Snapshot, error) {
	scratch, cleanup, err := d.Scratch(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	snaps := make([]*snapshot.Snapshot, 0, len(chain)+1)
	for i := 0; ; i++ {
		s, err := snapshot.Take(ctx, scratch.DB)
		if err != nil {
			return nil, fmt.Errorf("inspect the scratch database at %s: %w", orBase(revisionAt(chain, i)), err)
		}
		snaps = append(snaps, s)
		if i == len(chain) {
			return snaps, nil
		}
		if _, err := scratch.Up(ctx, chain[i].ID, Options{}); err != nil {
			return nil, fmt.Errorf("migrate a scratch database to %s: %w", chain[i].ID, err)
		}
	}
}

// adoptable reads the revision adopt would take over, refusing what adopt
// cannot: Alembic branches, a revision the chain does not know, or records
// of this tool that already agree with it. It returns the revision and the
// one this tool records.
func (d *Database) adoptable(db *gorm.DB, chain []migrations.Step) (rev, recorded string, err error) {
	al, err := recordsOf(db).alembic()
	if err != nil {
		return "", "", err
	}
	if !al.exists {
		return "", "", fmt.Errorf("%s disappeared while adopt compared the schema; nothing was recorded: run adopt again", AlembicTable)
	}
	if rev, err = al.revision(chain); err != nil {
		return "", "", err
	}
	st, err := recordsOf(db).state(chain)
	if err != nil {
		return "", "", err
	}
	recorded = revisionAt(chain, st.applied)
	if len(st.appliedAt) > 0 && recorded == rev {
		return "", "", fmt.Errorf("database %s is already managed by this tool: %s records %s, and %s agrees; there is nothing to adopt", d, MigrationsTable, orBase(rev), AlembicTable)
	}
	return rev, recorded, nil
}

// chainSnapshot is the schema the chain builds up to rev on a scratch
// database of d's dialect.
func (d *Database) chainSnapshot(ctx context.Context, rev string) (*snapshot.Snapshot, error) {
	scratch, cleanup, err := d.Scratch(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if rev != "" {
		if _, err := scratch.Up(ctx, rev, Options{}); err != nil {
			return nil, fmt.Errorf("migrate a scratch database to %s: %w", rev, err)
		}
	}
	return snapshot.Take(ctx, scratch.DB)
}

// appliedUpTo lists the chain's IDs up to and including rev ("" for none).
func appliedUpTo(chain []migrations.Step, rev string) []string {
	ids := []string{}
	for _, s := range chain {
		if rev == "" {
			break
		}
		ids = append(ids, s.ID)
		if s.ID == rev {
			break
		}
	}
	return ids
}

// alembicGuard runs before a run plans anything. It refuses a database
// whose alembic_version this tool has no record of, or which disagrees
// with the records, and says whether the run must keep alembic_version in
// step (the table exists).
func (d *Database) alembicGuard(db *gorm.DB, chain []migrations.Step) (bool, error) {
	al, err := recordsOf(db).alembic()
	if err != nil || !al.exists {
		return false, err
	}
	rev, err := al.revision(chain)
	if err != nil {
		return false, err
	}
	st, err := recordsOf(db).state(chain)
	if err != nil {
		return false, err
	}
	recorded := revisionAt(chain, st.applied)
	switch {
	case rev == recorded:
		return true, nil
	case len(st.appliedAt) == 0:
		return false, fmt.Errorf(`database %s was migrated by Open WebUI's Alembic migrations (%s is at %s) and this tool has no record of it: run "schema adopt" first, which checks the schema and records the steps up to that revision`,
			d, AlembicTable, rev)
	default:
		return false, fmt.Errorf(`database %s: %s is at %s but this tool records %s: Open WebUI's migrations moved the database since this tool last ran, or a run of this tool was interrupted; run "schema adopt" to check the schema against %s and record it, or "schema stamp REV" if you know the schema is at REV`,
			d, AlembicTable, orBase(rev), orBase(recorded), orBase(rev))
	}
}

// alembicStatus is alembic_version's revision for Status: nil without the
// table, "" for base. Several rows are shown joined, as they are.
func (d *Database) alembicStatus(ctx context.Context) (*string, error) {
	al, err := recordsOf(d.DB.WithContext(ctx)).alembic()
	if err != nil || !al.exists {
		return nil, d.scrub(err)
	}
	rev := strings.Join(al.revs, ",")
	return &rev, nil
}
