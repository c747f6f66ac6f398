package db

import (
	"context"
	"fmt"

	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/migrations"
	"github.com/openwebui-go/schema/models"
)

// Difference is one way two schemas disagree, phrased for a person.
type Difference = snapshot.Difference

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Dialect string `json:"dialect"`
	// Chain lists how the migration chain's HEAD differs from the models.
	Chain []Difference `json:"chain"`
	// LiveChecked says whether the live database was compared too; when it
	// was not, LiveNote says why.
	LiveChecked bool         `json:"live_checked"`
	LiveNote    string       `json:"live_note,omitempty"`
	Live        []Difference `json:"live"`
	// ChangedSteps are the live database's applied steps whose code was
	// edited after they ran there (`up` refuses them).
	ChangedSteps []ChangedStep `json:"changed_steps,omitempty"`
}

// OK reports no drift anywhere.
func (r VerifyReport) OK() bool {
	return len(r.Chain) == 0 && len(r.Live) == 0 && len(r.ChangedSteps) == 0
}

// Verify is the drift check. It migrates a scratch database of d's dialect
// through the chain, AutoMigrates the models into another, and compares the
// two. When d itself is at HEAD, it also compares d with the models; a live
// database with pending steps is reported, not compared.
func (d *Database) Verify(ctx context.Context) (VerifyReport, error) {
	r := VerifyReport{Dialect: d.Dialect()}
	// A broken chain (two heads, a lost parent) is reported as such before
	// any database is built.
	if _, err := migrations.Chain(); err != nil {
		return r, err
	}
	chain, err := d.CompareChainWithModels(ctx, models.All())
	if err != nil {
		return r, err
	}
	r.Chain = chain
	st, err := d.Status(ctx)
	switch {
	case err != nil:
		return r, err
	case st.Current == "" && st.Alembic != nil && *st.Alembic != "":
		// up refuses such a database until it is adopted.
		r.LiveNote = fmt.Sprintf("the live database was migrated by Open WebUI's Alembic migrations (alembic_version is at %s) and has not been adopted; run `schema adopt` first", *st.Alembic)
		r.Live = append(r.Live, Difference{Table: "(database)", Object: "table", Detail: r.LiveNote})
	case len(st.UnrecordedTables) > 0:
		// up refuses it too, and only adopt can say which revision it is at.
		r.LiveNote = fmt.Sprintf("the live database has %s; up and down refuse it: run `schema adopt` first", st.UnrecordedSummary())
		r.Live = append(r.Live, Difference{Table: "(database)", Object: "table", Detail: r.LiveNote})
	case st.Current == "" && !d.hasTables(ctx):
		// The same whether the records table exists or not: at base.
		r.LiveNote = "the live database is empty; run `schema up` to create it"
	case st.Pending > 0:
		r.LiveNote = fmt.Sprintf("the live database is at %s with %d step(s) pending; run `schema up` first", orNone(st.Current), st.Pending)
		r.Live = append(r.Live, Difference{Table: "(database)", Object: "table", Detail: r.LiveNote})
	default:
		live, err := d.compareLiveWithModels(ctx)
		if err != nil {
			return r, err
		}
		r.LiveChecked = true
		r.Live = live
	}
	// A step edited after it ran here means the schema may not be what
	// the code says, whatever the comparison found.
	for _, s := range st.Steps {
		if s.Changed {
			r.ChangedSteps = append(r.ChangedSteps, ChangedStep{ID: s.ID, Name: s.Name, Recorded: s.Checksum, Code: s.CodeChecksum})
		}
	}
	return r, nil
}

func orNone(rev string) string {
	if rev == "" {
		return "no revision"
	}
	return rev
}

// hasTables reports whether d has tables besides the bookkeeping ones.
func (d *Database) hasTables(ctx context.Context) bool {
	tables, err := schemaTables(d.DB.WithContext(ctx))
	return err == nil && len(tables) > 0
}

// CompareChainWithModels builds the chain's HEAD and the given models on
// two scratch databases beside d (the same server, or temporary files for
// SQLite) and lists how the chain differs from the models.
func (d *Database) CompareChainWithModels(ctx context.Context, modelList []any) ([]Difference, error) {
	want, err := d.modelsSnapshot(ctx, modelList)
	if err != nil {
		return nil, err
	}
	chainDB, cleanup, err := d.Scratch(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if _, err := chainDB.Up(ctx, "", Options{}); err != nil {
		return nil, fmt.Errorf("migrate the scratch database through the chain: %w", err)
	}
	got, err := snapshot.Take(ctx, chainDB.DB)
	if err != nil {
		return nil, err
	}
	return snapshot.Compare(want, got, "models", "chain"), nil
}

// modelsSnapshot is what AutoMigrate makes of the models on an empty
// database of d's dialect.
func (d *Database) modelsSnapshot(ctx context.Context, modelList []any) (*snapshot.Snapshot, error) {
	scratch, cleanup, err := d.Scratch(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if err := AutoMigrate(scratch.DB, modelList...); err != nil {
		return nil, fmt.Errorf("AutoMigrate the models on a scratch database: %w", err)
	}
	return snapshot.Take(ctx, scratch.DB)
}
