package tests

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestDamagedRecords checks the runner and the schema binary together
// (the binary's refusal, then its stamp and up as the repair), so it stays
// here; the runner's other records tests are in db/records_test.go.

// TestDamagedRecords: a records table with a NULL id, a NULL applied_at or
// a missing column is named, with its bad rows and the repair, by every
// command that reads it, which change nothing; stamp repairs it, keeping
// the readable rows' times and checksums, and the database works again.
func TestDamagedRecords(t *testing.T) {
	ctx := context.Background()
	ids := fixtures.ChainIDs(t)
	at4 := ids[:4] // fixtures.RevFolderTable
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	const sum = "1111111111111111111111111111111111111111111111111111111111111111"
	good := func() []fixtures.RecordRow {
		var rows []fixtures.RecordRow
		for _, id := range at4 {
			rows = append(rows, fixtures.RecordRow{ID: fixtures.Strp(id), At: &when})
		}
		return rows
	}
	const damaged = "schema_migrations, where this tool records the applied steps, is damaged: "
	stampAdvice := `; nothing was changed: run "schema stamp REV" with the revision the schema is at (the readable rows record ` + fixtures.RevFolderTable + `), which recreates the missing columns, drops the rows without an id and fills in the missing times`
	cases := []struct {
		name string
		cols []string
		rows func() []fixtures.RecordRow
		want string
	}{
		{"NULL id", []string{"id", "applied_at", "checksum"}, func() []fixtures.RecordRow {
			rows := good()
			rows[0].Checksum = fixtures.Strp(sum) // a changed step: its checksum must survive the repair
			return append(rows, fixtures.RecordRow{At: &when}, fixtures.RecordRow{At: &when})
		}, damaged + "2 rows have no id (NULL)" + stampAdvice},
		{"NULL applied_at", []string{"id", "applied_at", "checksum"}, func() []fixtures.RecordRow {
			rows := good()
			rows[1].At, rows[3].At = nil, nil
			return rows
		}, damaged + "the rows of steps " + ids[1] + ", " + ids[3] + " have no applied_at (NULL)" + stampAdvice},
		{"no applied_at column", []string{"id", "checksum"}, good, damaged + "it has no applied_at column" + stampAdvice},
		{"no id column", []string{"applied_at", "checksum"}, good, damaged + `it has no id column; nothing was changed: it records no step, so run "schema stamp base" to recreate it, then "schema adopt" to find the revision the schema is at and record it (or "schema stamp REV" if you know it)`},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				u := fixtures.NewURLDB(t, dialectName)
				u.Up(fixtures.RevFolderTable)
				u.Fill()
				u.RemakeRecords(dialectName, c.cols, c.rows())
				before, records := u.State(), u.RecordsDump()

				runs := []struct {
					name string
					run  func() error
				}{
					{"status", func() error { _, err := u.D.Status(ctx); return err }},
					{"current", func() error { _, err := u.D.Current(ctx); return err }},
					{"up", func() error { _, err := u.D.Up(ctx, "", db.Options{}); return err }},
					{"down", func() error { _, err := u.D.Down(ctx, db.DownRequest{}, db.Options{}); return err }},
					{"OpenAndMigrate", func() error { _, err := db.OpenAndMigrate(ctx, u.URL); return err }},
					{"adopt", func() error { _, err := u.D.Adopt(ctx); return err }},
				}
				if !testing.Short() {
					runs = append(runs, struct {
						name string
						run  func() error
					}{"verify", func() error { _, err := u.D.Verify(ctx); return err }})
				}
				for _, r := range runs {
					err := r.run()
					if !errors.Is(err, db.ErrRecordsDamaged) || err.Error() != c.want {
						t.Errorf("%s: err = %v\nwant %s", r.name, err, c.want)
					}
					if got := u.RecordsDump(); got != records {
						t.Fatalf("%s changed the records:\n%s\nwere\n%s", r.name, got, records)
					}
					u.RequireState(before, "after a refused "+r.name)
				}
				cli := newCLI(t, "DATABASE_URL="+u.URL)
				cli.run("status").requireExit(t, 1, c.want)

				// stamp repairs the table and records the revision.
				if out := cli.ok("stamp", fixtures.RevFolderTable); !strings.HasPrefix(out, "stamped: ") {
					t.Errorf("stamp printed %q", out)
				}
				st, err := u.D.Status(ctx)
				if err != nil {
					t.Fatalf("status after stamp: %v", err)
				}
				if st.Current != fixtures.RevFolderTable {
					t.Fatalf("after stamp current = %q, want %s", st.Current, fixtures.RevFolderTable)
				}
				for _, s := range st.Steps[:4] {
					if s.AppliedAt == nil || s.AppliedAt.IsZero() {
						t.Errorf("after stamp step %s has no applied_at", s.ID)
					}
					// The readable rows keep their times and checksums.
					if slices.Contains(c.cols, "id") && slices.Contains(c.cols, "applied_at") && c.name != "NULL applied_at" && !s.AppliedAt.Equal(when) {
						t.Errorf("after stamp step %s applied at %v, want the recorded %v", s.ID, s.AppliedAt, when)
					}
				}
				if c.name == "NULL id" && st.Steps[0].Checksum != sum {
					t.Errorf("after stamp step %s has checksum %q, want the recorded %q", ids[0], st.Steps[0].Checksum, sum)
				}
				// The table is as this tool makes it: steps applied later
				// get their time from its default.
				if c.name == "NULL id" {
					cli.ok("up", "--accept-changed")
				} else {
					cli.ok("up")
				}
				st, err = u.D.Status(ctx)
				if err != nil {
					t.Fatalf("status after up: %v", err)
				}
				for _, s := range st.Steps {
					if !s.Applied || s.AppliedAt == nil || s.AppliedAt.IsZero() || s.Checksum == "" {
						t.Errorf("after up step %s: applied=%v at %v checksum %q", s.ID, s.Applied, s.AppliedAt, s.Checksum)
					}
				}
				if users := u.State().Users; !slices.Equal(users, before.Users) {
					t.Errorf("users after repair and up: %v, want %v", users, before.Users)
				}
			})
		}
	})
}
