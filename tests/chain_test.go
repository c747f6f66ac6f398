// Package tests holds the cross-dialect suites: the whole chain step by
// step, the drift check, concurrent runs and the command line.
package tests

import (
	"context"
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
	"github.com/openwebui-go/schema/models"
)

// TestChainRoundTrip walks the chain with realistic rows in every table
// (fixtures.SeedAfter): each step is applied, rolled back and applied again. After
// each down the schema must equal the previous step's and every row must be
// back as it was; re-applying must give the same schema and rows as the
// first time. Rows a revision makes possible are seeded once its own round
// trip is done, so the following steps carry them.
func TestChainRoundTrip(t *testing.T) {
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.New(t, dialect)
		prev := d.Snapshot()
		for i, s := range chain {
			ok := t.Run(s.ID+"_"+s.Name, func(t *testing.T) {
				d.T = t
				rowsBefore := d.Dump()
				d.Up()
				after, rowsAfter := d.Snapshot(), d.Dump()
				d.Down()
				migtest.RequireSameSchema(t, prev, d.Snapshot(), "before "+s.ID, "after its down")
				migtest.RequireSameData(t, rowsBefore, d.Dump(), "before "+s.ID, "after its down")
				d.Up()
				migtest.RequireSameSchema(t, after, d.Snapshot(), "first up", "second up")
				migtest.RequireSameData(t, rowsAfter, d.Dump(), "first up", "second up")
				if seed := fixtures.SeedAfter[s.ID]; seed != nil {
					seed(d)
				}
				prev = d.Snapshot()
			})
			if !ok {
				t.Fatalf("step %d failed; later steps not tried", i+1)
			}
		}
		d.T = t
		if _, err := d.Runner.Down(context.Background(), dbDownAll(), noOptions()); err != nil {
			t.Fatalf("down --all: %v", err)
		}
		if s := d.Snapshot(); len(s.Tables) != 0 {
			t.Fatalf("down --all left tables:\n%s", s)
		}
	})
}

// TestDrift is the drift check itself: the chain's HEAD equals what
// AutoMigrate makes from the models, on every dialect.
func TestDrift(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.New(t, dialect)
		diffs, err := d.Runner.CompareChainWithModels(context.Background(), models.All())
		if err != nil {
			t.Fatal(err)
		}
		for _, df := range diffs {
			t.Errorf("drift: %s", df)
		}
	})
}

// TestDriftDetected proves the drift check fails when a model and the
// chain disagree, and says how.
func TestDriftDetected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		d := migtest.New(t, dialect)
		list := append(models.All(), &driftedNote{})
		// Replace note with a copy that has one more column and no index.
		for i, m := range list {
			if _, ok := m.(*models.Note); ok {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		diffs, err := d.Runner.CompareChainWithModels(context.Background(), list)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{
			"note: column pinned: in models but missing from chain":    false,
			"note: index idx_note_user_id: in chain but not in models": false,
		}
		for _, df := range diffs {
			if _, ok := want[df.String()]; ok {
				want[df.String()] = true
			} else {
				t.Errorf("unexpected difference: %s", df)
			}
		}
		for w, seen := range want {
			if !seen {
				t.Errorf("drift check did not report %q; got %v", w, diffs)
			}
		}
	})
}

type driftedNote struct {
	ID        string `gorm:"primaryKey;size:255"`
	UserID    string `gorm:"size:255;not null"`
	Title     *string
	Content   *string
	CreatedAt *int64
	UpdatedAt *int64
	Pinned    bool `gorm:"not null;default:false"`
}

func (driftedNote) TableName() string { return "note" }
