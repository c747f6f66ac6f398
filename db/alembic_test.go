package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// recordedIDs is what schema_migrations holds, sorted (nil without it).
func recordedIDs(t *testing.T, g *gorm.DB) []string {
	t.Helper()
	if !g.Migrator().HasTable(db.MigrationsTable) {
		return nil
	}
	var ids []string
	if err := g.Raw("SELECT id FROM " + db.MigrationsTable).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func unadoptedMessage(d *db.Database, rev string) string {
	return fmt.Sprintf(`database %s was migrated by Open WebUI's Alembic migrations (alembic_version is at %s) and this tool has no record of it: run "schema adopt" first, which checks the schema and records the steps up to that revision`, d, rev)
}

// TestAdoptEveryRevision: a database Alembic left at any revision of the
// chain is refused by up and down, refused by adopt while its schema has a
// column the chain's has not, adopted once it matches, and from then on
// alembic_version follows every up, down and stamp.
func TestAdoptEveryRevision(t *testing.T) {
	ids := fixtures.ChainIDs(t)
	if len(ids) < 20 {
		t.Fatalf("the chain has %d steps, want at least Alembic's 20", len(ids))
	}
	alembicIDs := ids[:20] // steps added later are not Alembic revisions
	idx := make([]int, len(alembicIDs))
	for i := range idx {
		idx[i] = i
	}
	if testing.Short() {
		idx = []int{0, 6, 19} // first, a data step, head
	}
	headID, prev := ids[len(ids)-1], ids[len(ids)-2]
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, i := range idx {
			rev := alembicIDs[i]
			t.Run(fmt.Sprintf("%02d_%s", i+1, rev), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				m := migtest.At(t, dialectName, rev)
				fixtures.Alembicize(t, m.G, rev)
				before := m.Snapshot()

				// up and down refuse, touching nothing.
				_, upErr := m.Runner.Up(ctx, "", db.Options{})
				_, downErr := m.Runner.Down(ctx, db.DownRequest{}, db.Options{})
				for name, err := range map[string]error{"up": upErr, "down": downErr} {
					if err == nil || err.Error() != unadoptedMessage(m.Runner, rev) {
						t.Fatalf("%s on an unadopted database: err = %v, want %q", name, err, unadoptedMessage(m.Runner, rev))
					}
				}
				if m.G.Migrator().HasTable(db.MigrationsTable) {
					t.Fatalf("a refused run created %s", db.MigrationsTable)
				}
				fixtures.RequireAlembic(t, m.G, "after refused runs", rev)
				migtest.RequireSameSchema(t, before, m.Snapshot(), "before", "after refused runs")
				st, err := m.Runner.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Current != "" || st.Alembic == nil || *st.Alembic != rev {
					t.Fatalf("status before adopt: current %q alembic %v, want none and %s", st.Current, st.Alembic, rev)
				}

				// The same revision with a schema that is not the chain's
				// is refused, recording nothing.
				m.Exec("ALTER TABLE " + m.Q("user") + " ADD COLUMN " + m.Q("extra_col") + " text")
				if rep, err := m.Runner.Adopt(ctx); !errors.Is(err, db.ErrSchemaMismatch) || len(rep.Differences) != 1 || rep.Differences[0].Object != "column extra_col" {
					t.Fatalf("adopt with an extra column: err = %v, differences %v, want ErrSchemaMismatch naming user.extra_col", err, rep.Differences)
				}
				if m.G.Migrator().HasTable(db.MigrationsTable) {
					t.Fatalf("a refused adopt created %s", db.MigrationsTable)
				}
				m.Exec("ALTER TABLE " + m.Q("user") + " DROP COLUMN " + m.Q("extra_col"))

				rep, err := m.Runner.Adopt(ctx)
				if err != nil {
					t.Fatalf("adopt: %v (differences %v)", err, rep.Differences)
				}
				if !rep.Adopted || rep.Revision != rev || !slices.Equal(rep.Recorded, alembicIDs[:i+1]) || len(rep.Differences) != 0 {
					t.Fatalf("adopt report %+v, want adopted at %s with %v recorded", rep, rev, alembicIDs[:i+1])
				}
				st, err = m.Runner.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Current != rev || st.Alembic == nil || *st.Alembic != rev {
					t.Fatalf("status after adopt: current %q alembic %v, want %s for both", st.Current, st.Alembic, rev)
				}
				for j, s := range st.Steps {
					if s.Applied != (j <= i) {
						t.Errorf("status after adopt: step %d %s applied=%v, want %v", j+1, s.ID, s.Applied, j <= i)
					}
				}
				migtest.RequireSameSchema(t, before, m.Snapshot(), "before", "after adopt")

				// From here on alembic_version follows every change.
				m.UpTo("head")
				fixtures.RequireAlembic(t, m.G, "after up", headID)
				m.Down()
				fixtures.RequireAlembic(t, m.G, "after down", prev)
				if err := m.Runner.Stamp(ctx, "base"); err != nil {
					t.Fatal(err)
				}
				fixtures.RequireAlembic(t, m.G, "after stamp base")
				if err := m.Runner.Stamp(ctx, prev); err != nil {
					t.Fatal(err)
				}
				fixtures.RequireAlembic(t, m.G, "after stamp "+prev, prev)
				if _, err := m.Runner.Down(ctx, db.DownRequest{All: true}, db.Options{}); err != nil {
					t.Fatal(err)
				}
				fixtures.RequireAlembic(t, m.G, "after down --all")
				if got := m.Current(); got != "" {
					t.Fatalf("after down --all current = %q", got)
				}
			})
		}
	})
}

// TestAdoptRefusesMismatch: a schema that is not the chain's at the
// revision alembic_version names is refused with the difference, and
// nothing is recorded.
func TestAdoptRefusesMismatch(t *testing.T) {
	const rev = "9f0c9cd09105" // note exists, with idx_note_user_id
	cases := []struct {
		name          string
		change        func(m *migtest.DB)
		table, object string
	}{
		{"column added", func(m *migtest.DB) {
			m.Exec("ALTER TABLE " + m.Q("chat") + " ADD COLUMN " + m.Q("extra") + " text")
		}, "chat", "column extra"},
		{"index dropped", func(m *migtest.DB) {
			if err := m.G.Migrator().DropIndex("note", "idx_note_user_id"); err != nil {
				m.T.Fatal(err)
			}
		}, "note", "index idx_note_user_id"},
		{"table missing", func(m *migtest.DB) {
			m.Exec("DROP TABLE " + m.Q("config"))
		}, "config", "table"},
		{"column type changed", func(m *migtest.DB) {
			// The same statements on every dialect: title becomes an integer.
			m.Exec("ALTER TABLE " + m.Q("note") + " ADD COLUMN " + m.Q("title_new") + " integer")
			m.Exec("ALTER TABLE " + m.Q("note") + " DROP COLUMN " + m.Q("title"))
			m.Exec("ALTER TABLE " + m.Q("note") + " RENAME COLUMN " + m.Q("title_new") + " TO " + m.Q("title"))
		}, "note", "column title"},
		{"tables at base", func(m *migtest.DB) {
			m.Exec("DELETE FROM alembic_version")
		}, "", "table"},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx := context.Background()
				m := migtest.At(t, dialectName, rev)
				fixtures.Alembicize(t, m.G, rev)
				c.change(m)
				want := fixtures.AlembicRows(t, m.G)
				before := m.Snapshot()

				rep, err := m.Runner.Adopt(ctx)
				if !errors.Is(err, db.ErrSchemaMismatch) {
					t.Fatalf("adopt: err = %v, want ErrSchemaMismatch", err)
				}
				wantRev := rev
				if len(want) == 0 {
					wantRev = "base"
				}
				if !strings.Contains(err.Error(), "at "+wantRev) || !strings.Contains(err.Error(), "nothing was recorded") {
					t.Errorf("adopt error %q should name %s and say nothing was recorded", err, wantRev)
				}
				if rep.Adopted || len(rep.Recorded) != 0 {
					t.Errorf("a refused adopt reports adopted=%v recorded=%v", rep.Adopted, rep.Recorded)
				}
				found := slices.ContainsFunc(rep.Differences, func(d db.Difference) bool {
					return (c.table == "" || d.Table == c.table) && d.Object == c.object
				})
				if !found || c.table != "" && len(rep.Differences) != 1 {
					t.Errorf("differences %v, want exactly %s %s", rep.Differences, c.table, c.object)
				}
				if m.G.Migrator().HasTable(db.MigrationsTable) {
					t.Errorf("a refused adopt created %s", db.MigrationsTable)
				}
				fixtures.RequireAlembic(t, m.G, "after a refused adopt", want...)
				migtest.RequireSameSchema(t, before, m.Snapshot(), "before", "after a refused adopt")
			})
		}
	})
}

// TestAdoptRefusals: what adopt cannot take over is refused with the
// reason, changing nothing.
func TestAdoptRefusals(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		prepare func(m *migtest.DB)
		want    string
		is      error
		upToo   bool // up refuses it as well
	}{
		{"managed, no alembic_version", func(m *migtest.DB) {}, "is already managed by this tool: schema_migrations records " + fixtures.RevFolderTable + ", and the schema matches it", nil, false},
		{"unknown revision", func(m *migtest.DB) {
			fixtures.Alembicize(m.T, m.G, "0123456789ab")
		}, "alembic_version is at 0123456789ab, a revision this program does not know", db.ErrUnknownRevision, true},
		{"branches", func(m *migtest.DB) {
			fixtures.Alembicize(m.T, m.G, fixtures.RevFolderTable, fixtures.RevFolderDatetime)
		}, "alembic_version has 2 rows", nil, true},
		{"already managed", func(m *migtest.DB) {
			m.Exec(fixtures.AlembicCreate)
			m.Exec("INSERT INTO alembic_version (version_num) VALUES (?)", fixtures.RevFolderTable)
		}, "is already managed by this tool: schema_migrations records " + fixtures.RevFolderTable + ", and alembic_version agrees", nil, false},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				m := migtest.At(t, dialectName, fixtures.RevFolderTable)
				c.prepare(m)
				before, records := m.Snapshot(), recordedIDs(t, m.G)
				_, err := m.Runner.Adopt(ctx)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("adopt: err = %v, want one saying %q", err, c.want)
				}
				if c.is != nil && !errors.Is(err, c.is) {
					t.Errorf("adopt: err = %v, want it to be %v", err, c.is)
				}
				_, upErr := m.Runner.Up(ctx, "", db.Options{})
				if c.upToo != (upErr != nil) {
					t.Fatalf("up after the refused adopt: err = %v, want refused=%v", upErr, c.upToo)
				}
				if c.upToo {
					migtest.RequireSameSchema(t, before, m.Snapshot(), "before", "after refused adopt and up")
					if got := recordedIDs(t, m.G); !slices.Equal(got, records) {
						t.Fatalf("schema_migrations changed: %v, was %v", got, records)
					}
				}
			})
		}
	})
}

// TestAdoptAtBase: an empty database whose alembic_version has no row is
// adopted with nothing recorded, and up then moves alembic_version along.
func TestAdoptAtBase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		ctx := context.Background()
		m := migtest.New(t, dialectName)
		fixtures.Alembicize(t, m.G)
		rep, err := m.Runner.Adopt(ctx)
		if err != nil || !rep.Adopted || rep.Revision != "" || len(rep.Recorded) != 0 {
			t.Fatalf("adopt at base: %+v, %v; want adopted with nothing recorded", rep, err)
		}
		m.UpTo("head")
		fixtures.RequireAlembic(t, m.G, "after up", fixtures.Head(t))
	})
}

// TestAlembicMovedByOpenWebUI: when Open WebUI's migrations moved
// alembic_version past this tool's records, up refuses instead of running
// steps again, and adopt checks the schema and records the new revision.
func TestAlembicMovedByOpenWebUI(t *testing.T) {
	const from, to = fixtures.RevFolderTable, "922e7a387820"
	testdb.Each(t, func(t *testing.T, dialectName string) {
		ctx := context.Background()
		m := migtest.At(t, dialectName, from)
		m.Exec(fixtures.AlembicCreate)
		m.Exec("INSERT INTO alembic_version (version_num) VALUES (?)", from)
		m.UpTo(to)
		fixtures.RequireAlembic(t, m.G, "after up", to)
		// What Open WebUI leaves: its steps ran, only alembic_version says so.
		ids := fixtures.ChainIDs(t)
		later := ids[slices.Index(ids, from)+1 : slices.Index(ids, to)+1]
		m.Exec("DELETE FROM "+db.MigrationsTable+" WHERE id IN ?", later)

		_, err := m.Runner.Up(ctx, "", db.Options{})
		want := fmt.Sprintf("alembic_version is at %s but this tool records %s", to, from)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `run "schema adopt"`) {
			t.Fatalf("up: err = %v, want one saying %q and pointing to adopt", err, want)
		}
		if got := m.Current(); got != from {
			t.Fatalf("the refused up moved the records to %s", got)
		}
		rep, err := m.Runner.Adopt(ctx)
		if err != nil || rep.Revision != to {
			t.Fatalf("adopt: %+v, %v; want adopted at %s", rep, err, to)
		}
		if got := m.Current(); got != to {
			t.Fatalf("after adopt current = %s, want %s", got, to)
		}
		m.UpTo("head")
		fixtures.RequireAlembic(t, m.G, "after up", fixtures.Head(t))
	})
}

// crashAt makes the first write of one step fail, through the run's
// reporter, which hears of each step before it starts.
type crashAt struct {
	step string
	plan *crash.Plan
}

func (c *crashAt) StepStarted(s db.StepResult) {
	if s.ID == c.step {
		c.plan.After = c.plan.Seen
	}
}
func (c *crashAt) Notice(db.StepResult, string)         {}
func (c *crashAt) Progress(db.StepResult, int64, int64) {}

// TestAlembicFollowsEachStep: alembic_version moves with each step, not
// with the run: when a run fails at its second step, it names the first,
// as the records do, and the next run carries on from there.
func TestAlembicFollowsEachStep(t *testing.T) {
	const adopted, first, failing = "9f0c9cd09105", "10vr9xyets5m", "3ff60f68c4f4"
	testdb.Each(t, func(t *testing.T, dialectName string) {
		m := migtest.At(t, dialectName, adopted)
		fixtures.Alembicize(t, m.G, adopted)
		if _, err := m.Runner.Adopt(context.Background()); err != nil {
			t.Fatal(err)
		}
		plan := &crash.Plan{After: -1}
		ctx := crash.With(context.Background(), plan)
		_, err := m.Runner.Up(ctx, "", db.Options{Reporter: &crashAt{step: failing, plan: plan}})
		if !errors.Is(err, crash.ErrInjected) || !strings.Contains(err.Error(), failing) {
			t.Fatalf("up: err = %v, want the injected crash in step %s", err, failing)
		}
		if got := m.Current(); got != first {
			t.Fatalf("after the failed run the records say %s, want %s", got, first)
		}
		fixtures.RequireAlembic(t, m.G, "after the failed run", first)
		m.UpTo("head")
		fixtures.RequireAlembic(t, m.G, "after the next run", fixtures.Head(t))
	})
}

// TestStampOnAlembicDatabase: stamp is the unchecked override, as
// Alembic's own stamp is: it records the revision and leaves
// alembic_version with that one row, even over branches.
func TestStampOnAlembicDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		ctx := context.Background()
		m := migtest.At(t, dialectName, fixtures.RevFolderDatetime)
		fixtures.Alembicize(t, m.G, fixtures.RevFolderTable, fixtures.RevFolderDatetime)
		if err := m.Runner.Stamp(ctx, fixtures.RevFolderDatetime); err != nil {
			t.Fatal(err)
		}
		fixtures.RequireAlembic(t, m.G, "after stamp", fixtures.RevFolderDatetime)
		if got := m.Current(); got != fixtures.RevFolderDatetime {
			t.Fatalf("after stamp current = %s, want %s", got, fixtures.RevFolderDatetime)
		}
		m.UpTo("head")
		fixtures.RequireAlembic(t, m.G, "after up", fixtures.Head(t))
	})
}

// TestVerifyUnadopted: verify on an Alembic database this tool has not
// adopted points to adopt, not to up (which refuses it).
func TestVerifyUnadopted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialectName string) {
		m := migtest.At(t, dialectName, fixtures.RevFolderTable)
		fixtures.Alembicize(t, m.G, fixtures.RevFolderTable)
		rep, err := m.Runner.Verify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := "the live database was migrated by Open WebUI's Alembic migrations (alembic_version is at " + fixtures.RevFolderTable + ") and has not been adopted; run `schema adopt` first"
		if rep.OK() || rep.LiveChecked || rep.LiveNote != want {
			t.Errorf("verify: ok=%v live checked=%v note=%q, want not ok with note %q", rep.OK(), rep.LiveChecked, rep.LiveNote, want)
		}
	})
}
