package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/models"
)

// unrecordedCase is a database with tables this tool has no record of.
type unrecordedCase struct {
	name    string
	prepare func(u *fixtures.URLDB)
	want    string // the refusal's finding, after "database URL "
	// adopted is the revision adopt finds (empty when none matches, and
	// then closest is the revision it names as the nearest).
	adopted, closest string
}

func unrecordedCases(t *testing.T) []unrecordedCase {
	ids := fixtures.ChainIDs(t)
	headID := ids[len(ids)-1]
	dropRecords := func(u *fixtures.URLDB) { u.Exec("DROP TABLE " + db.MigrationsTable) }
	emptyRecords := func(u *fixtures.URLDB) { u.Exec("DELETE FROM " + db.MigrationsTable) }
	const all = "23 tables of this schema (auth, channel, channel_member, chat, chat_tag and 18 more)"
	const at13 = "16 tables of this schema (auth, chat, chat_tag, file, folder and 11 more)"
	return []unrecordedCase{
		{"AutoMigrate", func(u *fixtures.URLDB) {
			if err := u.D.DB.AutoMigrate(models.All()...); err != nil {
				u.T.Fatal(err)
			}
			u.Fill()
		}, "has " + all + " but no record of this tool (schema_migrations is missing)", headID, ""},
		{"records dropped at head", func(u *fixtures.URLDB) {
			u.Up("head")
			u.Fill()
			dropRecords(u)
		}, "has " + all + " but no record of this tool (schema_migrations is missing)", headID, ""},
		{"records emptied at head", func(u *fixtures.URLDB) {
			u.Up("head")
			u.Fill()
			emptyRecords(u)
		}, "has " + all + " but no record of this tool (schema_migrations is empty)", headID, ""},
		{"records dropped at step 13", func(u *fixtures.URLDB) {
			u.Up(fixtures.RevGroupTable)
			u.Fill()
			dropRecords(u)
		}, "has " + at13 + " but no record of this tool (schema_migrations is missing)", fixtures.RevGroupTable, ""},
		{"records emptied at step 13", func(u *fixtures.URLDB) {
			u.Up(fixtures.RevGroupTable)
			u.Fill()
			emptyRecords(u)
		}, "has " + at13 + " but no record of this tool (schema_migrations is empty)", fixtures.RevGroupTable, ""},
		{"records dropped at init", func(u *fixtures.URLDB) {
			u.Up(ids[0])
			u.Fill()
			dropRecords(u)
		}, "has 10 tables of this schema (auth, chat, file, function, memory and 5 more) but no record of this tool (schema_migrations is missing)", ids[0], ""},
		{"hand-built", func(u *fixtures.URLDB) {
			u.Exec(
				fmt.Sprintf("CREATE TABLE %s (%s varchar(255) PRIMARY KEY, %s text)", u.Q("user"), u.Q("id"), u.Q("name")),
				fmt.Sprintf("CREATE TABLE %s (%s varchar(255) PRIMARY KEY, %s text)", u.Q("note"), u.Q("id"), u.Q("title")),
			)
			u.Fill()
		}, "has 2 tables of this schema (note, user) but no record of this tool (schema_migrations is missing)", "", "base"},
		{"later table at step 4", func(u *fixtures.URLDB) {
			u.Up(fixtures.RevFolderTable)
			u.Fill()
			u.Exec(fmt.Sprintf("CREATE TABLE %s (%s varchar(255) PRIMARY KEY, %s text)", u.Q("note"), u.Q("id"), u.Q("title")))
		}, "is recorded at " + fixtures.RevFolderTable + ", but 1 table that the chain does not have at that revision exists (note)", "", fixtures.RevFolderTable},
	}
}

// TestUnrecordedTablesRefused: up, down and OpenAndMigrate refuse a
// database with tables of this schema that no applied step created,
// naming them and pointing to adopt, and change nothing: not the schema,
// not a row, not the records.
func TestUnrecordedTablesRefused(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range unrecordedCases(t) {
			t.Run(c.name, func(t *testing.T) {
				u := fixtures.NewURLDB(t, dialectName)
				c.prepare(u)
				before := u.State()
				want := "database " + u.D.String() + " " + c.want
				runs := []struct {
					name string
					run  func() error
				}{
					{"up", func() error { _, err := u.D.Up(ctx, "", db.Options{}); return err }},
					{"up --to head", func() error { _, err := u.D.Up(ctx, "head", db.Options{}); return err }},
					{"down", func() error { _, err := u.D.Down(ctx, db.DownRequest{}, db.Options{}); return err }},
					{"down --all", func() error { _, err := u.D.Down(ctx, db.DownRequest{All: true}, db.Options{}); return err }},
					{"OpenAndMigrate", func() error {
						g, err := db.OpenAndMigrate(ctx, u.URL)
						if err == nil {
							if sqlDB, err := g.DB(); err == nil {
								sqlDB.Close()
							}
						}
						return err
					}},
				}
				for _, r := range runs {
					err := r.run()
					if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), `nothing was changed; run "schema adopt"`) {
						t.Errorf("%s: err = %v\nwant one starting %q and pointing to adopt", r.name, err, want)
					}
					u.RequireState(before, "after a refused "+r.name)
				}
			})
		}
	})
}

// TestAdoptUnrecorded: adopt takes over a database without records by
// comparing its schema with the chain at every revision: it records the
// steps up to the revision it matches (HEAD for an AutoMigrate-built one,
// the revision the records were lost at otherwise), after which up and
// down work again and the rows are still there; or it names the closest
// revision with the differences and records nothing.
func TestAdoptUnrecorded(t *testing.T) {
	ctx := context.Background()
	ids := fixtures.ChainIDs(t)
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range unrecordedCases(t) {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				u := fixtures.NewURLDB(t, dialectName)
				c.prepare(u)
				before := u.State()
				rep, err := u.D.Adopt(ctx)
				if rep.Source != db.AdoptFromSchema {
					t.Errorf("adopt source %q, want %q", rep.Source, db.AdoptFromSchema)
				}
				if c.adopted == "" {
					if !errors.Is(err, db.ErrSchemaMismatch) {
						t.Fatalf("adopt: err = %v, want ErrSchemaMismatch", err)
					}
					want := "the live schema differs from the chain at every revision; the closest is " + c.closest + ", from which it differs in "
					if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was recorded") {
						t.Errorf("adopt: err = %v, want one saying %q and that nothing was recorded", err, want)
					}
					if rep.Adopted || len(rep.Recorded) != 0 || fixtures.OrBaseRev(rep.Revision) != c.closest || len(rep.Differences) == 0 {
						t.Errorf("adopt report %+v, want not adopted, closest %s with differences", rep, c.closest)
					}
					u.RequireState(before, "after a refused adopt")
					return
				}
				if err != nil {
					t.Fatalf("adopt: %v (differences %v)", err, rep.Differences)
				}
				n := slices.Index(ids, c.adopted) + 1
				sorted := slices.Sorted(slices.Values(ids[:n]))
				if !rep.Adopted || rep.Revision != c.adopted || !slices.Equal(rep.Recorded, ids[:n]) || len(rep.Differences) != 0 {
					t.Fatalf("adopt report %+v, want adopted at %s with %v recorded", rep, c.adopted, ids[:n])
				}
				after := u.State()
				migtest.RequireSameSchema(t, before.Schema, after.Schema, "before", "after adopt")
				if !slices.Equal(after.Records, sorted) || !slices.Equal(after.Users, before.Users) {
					t.Fatalf("after adopt: records %v, users %v; want %v and %v", after.Records, after.Users, sorted, before.Users)
				}
				// From here on the database is this tool's.
				u.Up("head")
				if _, err := u.D.Down(ctx, db.DownRequest{}, db.Options{}); err != nil {
					t.Fatalf("down after adopt: %v", err)
				}
				if got := u.State().Users; !slices.Equal(got, before.Users) {
					t.Fatalf("users after up and down: %v, want %v", got, before.Users)
				}
			})
		}
	})
}

// TestAdoptUnrecordedRefusals: what adopt without alembic_version leaves
// alone, changing nothing: an empty database (nothing to adopt), records
// that agree with the schema, and records that disagree with it (stamp
// overrules records, adopt does not).
func TestAdoptUnrecordedRefusals(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		prepare func(u *fixtures.URLDB)
		want    string
	}{
		{"empty", func(u *fixtures.URLDB) {}, "has no tables of this schema and no record of this tool: there is nothing to adopt; run `schema up` to create the schema"},
		{"at base", func(u *fixtures.URLDB) {
			u.Up("head")
			if _, err := u.D.Down(ctx, db.DownRequest{All: true}, db.Options{}); err != nil {
				u.T.Fatal(err)
			}
		}, "has no tables of this schema and no record of this tool: there is nothing to adopt"},
		{"managed", func(u *fixtures.URLDB) { u.Up(fixtures.RevFolderTable) },
			"is already managed by this tool: schema_migrations records " + fixtures.RevFolderTable + ", and the schema matches it; there is nothing to adopt"},
		{"records behind the schema", func(u *fixtures.URLDB) {
			u.Up(fixtures.RevGroupTable)
			ids := fixtures.ChainIDs(u.T)
			u.Exec("DELETE FROM " + db.MigrationsTable + " WHERE id IN ('" + strings.Join(ids[4:13], "', '") + "')")
		}, "schema_migrations records " + fixtures.RevFolderTable + " but the schema matches " + fixtures.RevGroupTable + "; nothing was recorded: adopt does not overrule this tool's records (the data steps in between may not have run); if the records are wrong, run `schema stamp " + fixtures.RevGroupTable + "`"},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u := fixtures.NewURLDB(t, dialectName)
				c.prepare(u)
				before := u.State()
				_, err := u.D.Adopt(ctx)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("adopt: err = %v, want one saying %q", err, c.want)
				}
				u.RequireState(before, "after a refused adopt")
			})
		}
	})
}

// TestAdoptAmbiguous: on SQLite, key and text are both text, so the chain
// at step 9 and at step 10 (file.path becomes text, and file:// URIs) look
// the same; adopt names both and records neither, since recording the
// wrong one would skip or repeat the path conversion.
func TestAdoptAmbiguous(t *testing.T) {
	const step9, step10 = "6a39f3d8e55c", "c29facfe716b"
	u := fixtures.NewURLDB(t, "sqlite")
	u.Up(step10)
	u.Exec("DROP TABLE " + db.MigrationsTable)
	before := u.State()
	rep, err := u.D.Adopt(context.Background())
	want := "matches 2 revisions (" + step9 + ", " + step10 + "), which look the same on sqlite"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was recorded; record the one its data is at with `schema stamp REV`") {
		t.Fatalf("adopt: err = %v, want one saying %q and pointing to stamp", err, want)
	}
	if rep.Adopted || !slices.Equal(rep.Matches, []string{step9, step10}) {
		t.Errorf("adopt report %+v, want not adopted, matches %s and %s", rep, step9, step10)
	}
	u.RequireState(before, "after a refused adopt")
}

// TestStatusVerifyUnrecorded: status and verify say what up would: the
// tables found and that adopt is the way on, never that up is.
func TestStatusVerifyUnrecorded(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range unrecordedCases(t) {
			t.Run(c.name, func(t *testing.T) {
				u := fixtures.NewURLDB(t, dialectName)
				c.prepare(u)
				_, upErr := u.D.Up(ctx, "", db.Options{})
				if !errors.Is(upErr, db.ErrUnrecordedTables) {
					t.Fatalf("up: err = %v, want ErrUnrecordedTables", upErr)
				}
				st, err := u.D.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Refused != upErr.Error() || len(st.UnrecordedTables) == 0 {
					t.Errorf("status: refused %q, unrecorded %v\nwant up's refusal %q", st.Refused, st.UnrecordedTables, upErr)
				}
				var ue *db.UnrecordedTablesError
				if !errors.As(upErr, &ue) || !slices.Equal(ue.Tables, st.UnrecordedTables) {
					t.Errorf("status lists %v, up refused %v", st.UnrecordedTables, ue)
				}
				rep, err := u.D.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := "the live database has " + st.UnrecordedSummary() + "; up and down refuse it: run `schema adopt` first"
				if rep.OK() || rep.LiveChecked || rep.LiveNote != want {
					t.Errorf("verify: ok=%v live checked=%v note %q\nwant not ok, not compared, note %q", rep.OK(), rep.LiveChecked, rep.LiveNote, want)
				}
			})
		}
	})
}

// TestVerifyEmptyAndBaseAgree: a database with nothing applied reads the
// same to verify whether its records table was never created (empty) or
// is there with no row (at base, after down --all): not compared, no
// drift, the same note.
func TestVerifyEmptyAndBaseAgree(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		empty := fixtures.NewURLDB(t, dialectName)
		base := fixtures.NewURLDB(t, dialectName)
		base.Up("head")
		if _, err := base.D.Down(ctx, db.DownRequest{All: true}, db.Options{}); err != nil {
			t.Fatal(err)
		}
		if !base.D.DB.Migrator().HasTable(db.MigrationsTable) {
			t.Fatal("down --all removed the records table; the test needs it")
		}
		const note = "the live database is empty; run `schema up` to create it"
		for name, u := range map[string]*fixtures.URLDB{"empty": empty, "at base": base} {
			rep, err := u.D.Verify(ctx)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !rep.OK() || rep.LiveChecked || rep.LiveNote != note || len(rep.Live) != 0 {
				t.Errorf("%s: verify ok=%v live checked=%v note %q live %v; want ok, not compared, note %q", name, rep.OK(), rep.LiveChecked, rep.LiveNote, rep.Live, note)
			}
		}
	})
}
