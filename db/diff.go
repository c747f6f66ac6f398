package db

import (
	"context"
	"fmt"

	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/migrations"
	"github.com/openwebui-go/schema/models"
)

// What Diff compares the models with.
const (
	AgainstChain = "chain" // the chain's HEAD, built on a scratch database
	AgainstLive  = "live"  // the database itself
)

// DiffReport lists how the models differ from the chain's HEAD or from a
// live database: what the next step (or a pending one) has to change.
type DiffReport struct {
	Database string `json:"database"` // the URL, password masked
	Dialect  string `json:"dialect"`
	Against  string `json:"against"` // AgainstChain or AgainstLive
	// Note qualifies a live comparison: a database with pending steps
	// differs by what those steps will change.
	Note        string       `json:"note,omitempty"`
	Differences []Difference `json:"differences"`
}

// Diff compares the models with the chain's HEAD on a scratch database of
// d's dialect, or with d itself when live is set. Differences read from the
// models' side: "added" is in the models only.
func (d *Database) Diff(ctx context.Context, live bool) (DiffReport, error) {
	r := DiffReport{Database: d.String(), Dialect: d.Dialect(), Against: AgainstChain, Differences: []Difference{}}
	if _, err := migrations.Chain(); err != nil {
		return r, err
	}
	if !live {
		diffs, err := d.CompareChainWithModels(ctx, models.All())
		if err != nil {
			return r, err
		}
		r.Differences = append(r.Differences, diffs...)
		return r, nil
	}
	r.Against = AgainstLive
	st, err := d.Status(ctx)
	if err != nil {
		return r, err
	}
	if st.Pending > 0 {
		r.Note = fmt.Sprintf("the database is at %s with %d step(s) pending; `schema up` applies them", orNone(st.Current), st.Pending)
	}
	diffs, err := d.compareLiveWithModels(ctx)
	if err != nil {
		return r, err
	}
	r.Differences = append(r.Differences, diffs...)
	return r, nil
}

// compareLiveWithModels lists how d's schema differs from what AutoMigrate
// makes of the models.
func (d *Database) compareLiveWithModels(ctx context.Context) ([]Difference, error) {
	want, err := d.modelsSnapshot(ctx, models.All())
	if err != nil {
		return nil, err
	}
	live, err := snapshot.Take(ctx, d.DB)
	if err != nil {
		return nil, d.scrub(err)
	}
	return snapshot.Compare(want, live, "models", "live database"), nil
}
