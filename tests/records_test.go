package tests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// timestampType is how a hand-made records table declares applied_at.
var timestampType = map[string]string{"sqlite": "datetime", "postgres": "timestamptz", "mysql": "datetime(6)"}

// recordRow is one row of a hand-made records table; nil is NULL.
type recordRow struct {
	id, checksum *string
	at           *time.Time
}

func strp(s string) *string { return &s }

// remakeRecords replaces the records table with one made by hand: columns
// are "id", "applied_at" and "checksum", each optional and nullable.
func (u *unrecordedDB) remakeRecords(dialectName string, cols []string, rows []recordRow) {
	u.t.Helper()
	defs := map[string]string{"id": "id varchar(255)", "applied_at": "applied_at " + timestampType[dialectName], "checksum": "checksum varchar(64)"}
	var ds []string
	for _, c := range cols {
		ds = append(ds, defs[c])
	}
	u.exec("DROP TABLE "+db.MigrationsTable, "CREATE TABLE "+db.MigrationsTable+" ("+strings.Join(ds, ", ")+")")
	for _, r := range rows {
		vals := map[string]any{"id": r.id, "applied_at": r.at, "checksum": r.checksum}
		args := make([]any, len(cols))
		for i, c := range cols {
			args[i] = vals[c]
		}
		q := "INSERT INTO " + db.MigrationsTable + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		if err := u.d.DB.Exec(q, args...).Error; err != nil {
			u.t.Fatalf("%s: %v", q, err)
		}
	}
}

// recordsDump is the records table as it is, every column and row, for
// proving a refused command left it alone.
func (u *unrecordedDB) recordsDump() string {
	u.t.Helper()
	rows, err := u.d.DB.Raw("SELECT * FROM " + db.MigrationsTable).Rows()
	if err != nil {
		u.t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			u.t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	slices.Sort(out)
	return strings.Join(cols, ",") + "\n" + strings.Join(out, "\n")
}

// TestDamagedRecords: a records table with a NULL id, a NULL applied_at or
// a missing column is named, with its bad rows and the repair, by every
// command that reads it, which change nothing; stamp repairs it, keeping
// the readable rows' times and checksums, and the database works again.
func TestDamagedRecords(t *testing.T) {
	ctx := context.Background()
	ids := chainIDs(t)
	at4 := ids[:4] // revFolderTable
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	const sum = "1111111111111111111111111111111111111111111111111111111111111111"
	good := func() []recordRow {
		var rows []recordRow
		for _, id := range at4 {
			rows = append(rows, recordRow{id: strp(id), at: &when})
		}
		return rows
	}
	const damaged = "schema_migrations, where this tool records the applied steps, is damaged: "
	stampAdvice := `; nothing was changed: run "schema stamp REV" with the revision the schema is at (the readable rows record ` + revFolderTable + `), which recreates the missing columns, drops the rows without an id and fills in the missing times`
	cases := []struct {
		name string
		cols []string
		rows func() []recordRow
		want string
	}{
		{"NULL id", []string{"id", "applied_at", "checksum"}, func() []recordRow {
			rows := good()
			rows[0].checksum = strp(sum) // a changed step: its checksum must survive the repair
			return append(rows, recordRow{at: &when}, recordRow{at: &when})
		}, damaged + "2 rows have no id (NULL)" + stampAdvice},
		{"NULL applied_at", []string{"id", "applied_at", "checksum"}, func() []recordRow {
			rows := good()
			rows[1].at, rows[3].at = nil, nil
			return rows
		}, damaged + "the rows of steps " + ids[1] + ", " + ids[3] + " have no applied_at (NULL)" + stampAdvice},
		{"no applied_at column", []string{"id", "checksum"}, good, damaged + "it has no applied_at column" + stampAdvice},
		{"no id column", []string{"applied_at", "checksum"}, good, damaged + `it has no id column; nothing was changed: it records no step, so run "schema stamp base" to recreate it, then "schema adopt" to find the revision the schema is at and record it (or "schema stamp REV" if you know it)`},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				u := newUnrecordedDB(t, dialectName)
				u.up(revFolderTable)
				u.fill()
				u.remakeRecords(dialectName, c.cols, c.rows())
				before, records := u.state(), u.recordsDump()

				runs := []struct {
					name string
					run  func() error
				}{
					{"status", func() error { _, err := u.d.Status(ctx); return err }},
					{"current", func() error { _, err := u.d.Current(ctx); return err }},
					{"up", func() error { _, err := u.d.Up(ctx, "", db.Options{}); return err }},
					{"down", func() error { _, err := u.d.Down(ctx, db.DownRequest{}, db.Options{}); return err }},
					{"OpenAndMigrate", func() error { _, err := db.OpenAndMigrate(ctx, u.url); return err }},
					{"adopt", func() error { _, err := u.d.Adopt(ctx); return err }},
				}
				if !testing.Short() {
					runs = append(runs, struct {
						name string
						run  func() error
					}{"verify", func() error { _, err := u.d.Verify(ctx); return err }})
				}
				for _, r := range runs {
					err := r.run()
					if !errors.Is(err, db.ErrRecordsDamaged) || err.Error() != c.want {
						t.Errorf("%s: err = %v\nwant %s", r.name, err, c.want)
					}
					if got := u.recordsDump(); got != records {
						t.Fatalf("%s changed the records:\n%s\nwere\n%s", r.name, got, records)
					}
					u.requireState(before, "after a refused "+r.name)
				}
				cli := newCLI(t, "DATABASE_URL="+u.url)
				cli.run("status").requireExit(t, 1, c.want)

				// stamp repairs the table and records the revision.
				if out := cli.ok("stamp", revFolderTable); !strings.HasPrefix(out, "stamped: ") {
					t.Errorf("stamp printed %q", out)
				}
				st, err := u.d.Status(ctx)
				if err != nil {
					t.Fatalf("status after stamp: %v", err)
				}
				if st.Current != revFolderTable {
					t.Fatalf("after stamp current = %q, want %s", st.Current, revFolderTable)
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
				st, err = u.d.Status(ctx)
				if err != nil {
					t.Fatalf("status after up: %v", err)
				}
				for _, s := range st.Steps {
					if !s.Applied || s.AppliedAt == nil || s.AppliedAt.IsZero() || s.Checksum == "" {
						t.Errorf("after up step %s: applied=%v at %v checksum %q", s.ID, s.Applied, s.AppliedAt, s.Checksum)
					}
				}
				if users := u.state().users; !slices.Equal(users, before.users) {
					t.Errorf("users after repair and up: %v, want %v", users, before.users)
				}
			})
		}
	})
}

// TestDamagedRecordsStampBaseThenAdopt: a records table without an id
// column says nothing, so the way out its message gives is stamp base and
// adopt, which finds the revision from the schema.
func TestDamagedRecordsStampBaseThenAdopt(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		u := newUnrecordedDB(t, dialectName)
		u.up(revGroupTable)
		u.fill()
		now := time.Now()
		u.remakeRecords(dialectName, []string{"applied_at"}, []recordRow{{at: &now}})
		if err := u.d.Stamp(ctx, "base"); err != nil {
			t.Fatal(err)
		}
		if _, err := u.d.Up(ctx, "", db.Options{}); !errors.Is(err, db.ErrUnrecordedTables) {
			t.Fatalf("up after stamp base: err = %v, want ErrUnrecordedTables", err)
		}
		rep, err := u.d.Adopt(ctx)
		if err != nil || rep.Revision != revGroupTable {
			t.Fatalf("adopt: %+v, %v; want adopted at %s", rep, err, revGroupTable)
		}
		u.up("head")
	})
}

// TestRecordsWithoutChecksums: a records table from before checksums (no
// checksum column) is not damaged: status reads it, and a run adds the
// column and fills it in.
func TestRecordsWithoutChecksums(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		u := newUnrecordedDB(t, dialectName)
		u.up(revFolderTable)
		u.exec("ALTER TABLE " + db.MigrationsTable + " DROP COLUMN checksum")
		st, err := u.d.Status(ctx)
		if err != nil || st.Current != revFolderTable || st.Steps[0].Checksum != "" || st.Steps[0].AppliedAt == nil {
			t.Fatalf("status: %v; current %q, step 1 checksum %q at %v", err, st.Current, st.Steps[0].Checksum, st.Steps[0].AppliedAt)
		}
		u.up("head")
		if st, err = u.d.Status(ctx); err != nil || st.Steps[0].Checksum == "" {
			t.Fatalf("after up: %v; step 1 checksum %q", err, st.Steps[0].Checksum)
		}
	})
}
