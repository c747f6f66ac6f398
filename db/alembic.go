package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// AlembicTable is where Open WebUI's Alembic migrations record the
// revision: one row, none at base.
const AlembicTable = "alembic_version"

// ErrSchemaMismatch means adopt found the live schema different from the
// chain at the revision alembic_version names; the report lists how.
var ErrSchemaMismatch = errors.New("the live schema differs from the chain")

// AdoptReport is the outcome of Adopt.
type AdoptReport struct {
	Database string `json:"database"` // the URL, password masked
	Dialect  string `json:"dialect"`
	// Revision is what alembic_version holds ("" for base).
	Revision string `json:"revision"`
	// Adopted says whether the steps up to Revision are now recorded.
	Adopted bool `json:"adopted"`
	// Recorded lists the steps recorded as applied, oldest first.
	Recorded []string `json:"recorded"`
	// Differences says how the live schema differs from the chain at
	// Revision; adopt records nothing unless it is empty.
	Differences []Difference `json:"differences"`
}

// Adopt takes over a database migrated by Open WebUI's Alembic migrations:
// it reads alembic_version's revision, builds the chain up to it on a
// scratch database of the same dialect, and, when the live schema is the
// same, records the steps up to it as applied. On any difference it
// returns ErrSchemaMismatch with the differences in the report and changes
// nothing.
func (d *Database) Adopt(ctx context.Context) (AdoptReport, error) {
	r := AdoptReport{Database: d.String(), Dialect: d.Dialect(), Recorded: []string{}, Differences: []Difference{}}
	chain, err := migrations.Chain()
	if err != nil {
		return r, err
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
	live, err := snapshot.Take(ctx, d.DB)
	if err != nil {
		return r, d.scrub(fmt.Errorf("inspect %s: %w", d, err))
	}
	if diffs := snapshot.CompareIgnoringCollation(want, live, "chain at "+orBase(rev), "live database"); len(diffs) > 0 {
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
			if err := recordUpTo(tx, chain, keep); err != nil {
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

// adoptable reads the revision adopt would take over, refusing what adopt
// cannot: no alembic_version, Alembic branches, a revision the chain does
// not know, or records of this tool that already agree with it. It
// returns the revision and the one this tool records.
func (d *Database) adoptable(db *gorm.DB, chain []migrations.Step) (rev, recorded string, err error) {
	al, err := readAlembic(db)
	if err != nil {
		return "", "", err
	}
	if !al.exists {
		return "", "", fmt.Errorf("database %s is not an Alembic database: it has no %s table, so there is nothing to adopt (a database this tool migrated needs no adopting)", d, AlembicTable)
	}
	if rev, err = al.revision(chain); err != nil {
		return "", "", err
	}
	st, err := readState(db, chain)
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

func orBase(rev string) string {
	if rev == "" {
		return "base"
	}
	return rev
}

// alembicState is what alembic_version holds.
type alembicState struct {
	exists bool
	revs   []string // one row normally, none at base
}

// readAlembic reads alembic_version; a missing table is not an error.
func readAlembic(db *gorm.DB) (alembicState, error) {
	if !db.Migrator().HasTable(AlembicTable) {
		return alembicState{}, nil
	}
	st := alembicState{exists: true}
	if err := db.Raw("SELECT version_num FROM " + AlembicTable).Scan(&st.revs).Error; err != nil {
		return st, fmt.Errorf("read %s: %w", AlembicTable, err)
	}
	slices.Sort(st.revs)
	return st, nil
}

// revision is the one revision alembic_version records ("" for base),
// checked against the chain.
func (a alembicState) revision(chain []migrations.Step) (string, error) {
	switch len(a.revs) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%s has %d rows (%v): the database is on several Alembic branches, which this tool does not support; merge them with Open WebUI's migrations first", AlembicTable, len(a.revs), a.revs)
	}
	rev := a.revs[0]
	if _, err := indexOf(chain, rev); err != nil {
		return "", fmt.Errorf("%w: %s is at %s, a revision this program does not know: the database was migrated by a newer Open WebUI or a newer version of this program; upgrade this program, or bring the database to a revision of `schema history` with Open WebUI's migrations",
			ErrUnknownRevision, AlembicTable, rev)
	}
	return rev, nil
}

// alembicGuard runs before a run plans anything. It refuses a database
// whose alembic_version this tool has no record of, or which disagrees
// with the records, and says whether the run must keep alembic_version in
// step (the table exists).
func (d *Database) alembicGuard(db *gorm.DB, chain []migrations.Step) (bool, error) {
	al, err := readAlembic(db)
	if err != nil || !al.exists {
		return false, err
	}
	rev, err := al.revision(chain)
	if err != nil {
		return false, err
	}
	st, err := readState(db, chain)
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

// setAlembic makes alembic_version say rev as Alembic would: one row, or
// none at base.
func setAlembic(db *gorm.DB, rev string) error {
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM " + AlembicTable).Scan(&n).Error; err != nil {
		return fmt.Errorf("read %s: %w", AlembicTable, err)
	}
	var err error
	switch {
	case rev == "":
		err = db.Exec("DELETE FROM " + AlembicTable).Error
	case n == 1:
		err = db.Exec("UPDATE "+AlembicTable+" SET version_num = ?", rev).Error
	default: // empty, or several branches that stamp replaces with one
		if n > 1 {
			err = db.Exec("DELETE FROM " + AlembicTable).Error
		}
		if err == nil {
			err = db.Exec("INSERT INTO "+AlembicTable+" (version_num) VALUES (?)", rev).Error
		}
	}
	if err != nil {
		return fmt.Errorf("set %s to %s: %w", AlembicTable, orBase(rev), err)
	}
	return nil
}

// syncAlembic sets alembic_version to rev if the table exists.
func syncAlembic(db *gorm.DB, rev string) error {
	if !db.Migrator().HasTable(AlembicTable) {
		return nil
	}
	return setAlembic(db, rev)
}

// revisionAfter is the current revision once a has run.
func (a action) revisionAfter() string {
	if a.up {
		return a.step.ID
	}
	return a.step.Revises
}

// alembicStatus is alembic_version's revision for Status: nil without the
// table, "" for base. Several rows are shown joined, as they are.
func (d *Database) alembicStatus(ctx context.Context) (*string, error) {
	al, err := readAlembic(d.DB.WithContext(ctx))
	if err != nil || !al.exists {
		return nil, d.scrub(err)
	}
	rev := strings.Join(al.revs, ",")
	return &rev, nil
}
