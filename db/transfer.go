package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// What schema copy (internal/transfer) needs of a database beyond running
// the chain: a source opened only to be read, the list of its tables, its
// record tables as rows, and the drift check at any revision.

// CopyTable is schema copy's bookkeeping in a database it is writing
// into; it is dropped once the copy is verified. While it is there, up
// and down refuse the database (ErrCopyInProgress).
const CopyTable = "schema_copy"

// ErrCopyInProgress means a copy into the database has not finished.
var ErrCopyInProgress = errors.New("a copy into this database has not finished")

// OpenReadOnly opens rawURL only to read it: a SQLite file that does not
// exist is an error rather than created, and an existing one is not
// switched to WAL nor locked for writing. The caller only reads.
func OpenReadOnly(ctx context.Context, rawURL string) (*Database, error) {
	target, err := dialect.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	target = target.ReadOnly()
	g, err := dialect.Open(target)
	if err != nil {
		return nil, err
	}
	return &Database{DB: g.WithContext(ctx), target: target}, nil
}

// Tables lists the database's tables other than this tool's and Alembic's
// bookkeeping.
func (d *Database) Tables(ctx context.Context) ([]string, error) {
	t, err := schemaTables(d.DB.WithContext(ctx))
	return t, d.scrub(err)
}

// Records is what a database's record tables say, row by row.
type Records struct {
	Steps []RecordedStep
	// Alembic holds alembic_version's rows; nil when there is no such table.
	Alembic []string
}

// RecordedStep is one row of the records table.
type RecordedStep struct {
	ID        string
	AppliedAt time.Time
	Checksum  string // "" for none
}

// Equal reports whether r and o say the same, applied_at to the
// microsecond (what every dialect's column keeps).
func (r Records) Equal(o Records) bool {
	if (r.Alembic == nil) != (o.Alembic == nil) || !slices.Equal(r.Alembic, o.Alembic) {
		return false
	}
	return slices.EqualFunc(r.Steps, o.Steps, func(a, b RecordedStep) bool {
		return a.ID == b.ID && a.Checksum == b.Checksum && a.AppliedAt.Truncate(time.Microsecond).Equal(b.AppliedAt.Truncate(time.Microsecond))
	})
}

// Records reads the record tables (a damaged one is an error, as for any
// run).
func (d *Database) Records(ctx context.Context) (Records, error) {
	l := recordsOf(d.DB.WithContext(ctx))
	rec, err := l.read()
	if err != nil {
		return Records{}, d.scrub(err)
	}
	if rec.damage.damaged() {
		return Records{}, d.scrub(&rec.damage)
	}
	var out Records
	for id, at := range rec.applied {
		out.Steps = append(out.Steps, RecordedStep{ID: id, AppliedAt: at.UTC(), Checksum: rec.checksums[id]})
	}
	slices.SortFunc(out.Steps, func(a, b RecordedStep) int { return cmp.Compare(a.ID, b.ID) })
	al, err := l.alembic()
	if err != nil {
		return Records{}, d.scrub(err)
	}
	if al.exists {
		out.Alembic = append([]string{}, al.revs...)
	}
	return out, nil
}

// ReplaceRecords makes d's record tables say exactly what r says: the
// steps' rows with their applied times and checksums, and alembic_version
// (created as Alembic creates it) when r has one. One transaction where
// the dialect has them.
func (d *Database) ReplaceRecords(ctx context.Context, r Records) error {
	chain, err := migrations.Chain()
	if err != nil {
		return err
	}
	for _, s := range r.Steps {
		if _, err := indexOf(chain, s.ID); err != nil {
			return err
		}
	}
	g := d.DB.WithContext(ctx)
	if err := recordsOf(g).ensure(); err != nil {
		return d.scrub(err)
	}
	if r.Alembic != nil {
		if err := g.Exec("CREATE TABLE IF NOT EXISTS " + AlembicTable + " (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))").Error; err != nil {
			return d.scrub(fmt.Errorf("create %s: %w", AlembicTable, err))
		}
	}
	return d.scrub(g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM " + MigrationsTable).Error; err != nil {
			return fmt.Errorf("replace the rows of %s: %w", MigrationsTable, err)
		}
		for _, s := range r.Steps {
			var sum any
			if s.Checksum != "" {
				sum = s.Checksum
			}
			if err := tx.Exec("INSERT INTO "+MigrationsTable+" (id, applied_at, "+dialect.ChecksumColumn+") VALUES (?, ?, ?)", s.ID, s.AppliedAt.UTC(), sum).Error; err != nil {
				return fmt.Errorf("record step %s in %s: %w", s.ID, MigrationsTable, err)
			}
		}
		if r.Alembic == nil {
			return nil
		}
		if err := tx.Exec("DELETE FROM " + AlembicTable).Error; err != nil {
			return fmt.Errorf("replace the rows of %s: %w", AlembicTable, err)
		}
		for _, rev := range r.Alembic {
			if err := tx.Exec("INSERT INTO "+AlembicTable+" (version_num) VALUES (?)", rev).Error; err != nil {
				return fmt.Errorf("write %s: %w", AlembicTable, err)
			}
		}
		return nil
	}))
}

// CompareWithChain is the drift check of a database at revision rev: how
// its own tables differ from what the chain builds up to rev on a scratch
// database of its dialect (at HEAD, the same as what the models make).
func (d *Database) CompareWithChain(ctx context.Context, rev string) ([]Difference, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return nil, err
	}
	want, err := d.chainSnapshot(ctx, rev)
	if err != nil {
		return nil, d.scrub(err)
	}
	live, err := d.liveOwnTables(ctx, chain)
	if err != nil {
		return nil, err
	}
	return compareWithChain(want, live, rev), nil
}
