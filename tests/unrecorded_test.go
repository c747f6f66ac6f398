package tests

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/models"
)

const revGroupTable = "922e7a387820" // step 13

// unrecordedDB is a test database with its URL, for the cases that need
// OpenAndMigrate as a backend calls it.
type unrecordedDB struct {
	t   *testing.T
	url string
	d   *db.Database
	dl  dialect.Dialect
}

func newUnrecordedDB(t *testing.T, dialectName string) *unrecordedDB {
	t.Helper()
	u := testdb.URL(t, dialectName)
	d, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	dl, err := dialect.Of(d.DB)
	if err != nil {
		t.Fatal(err)
	}
	return &unrecordedDB{t: t, url: u, d: d, dl: dl}
}

func (u *unrecordedDB) q(ident string) string { return u.dl.Quote(ident) }

func (u *unrecordedDB) exec(stmts ...string) {
	u.t.Helper()
	for _, s := range stmts {
		if err := u.d.DB.Exec(s).Error; err != nil {
			u.t.Fatalf("%s: %v", s, err)
		}
	}
}

func (u *unrecordedDB) up(rev string) {
	u.t.Helper()
	if _, err := u.d.Up(context.Background(), rev, db.Options{}); err != nil {
		u.t.Fatalf("up to %s: %v", rev, err)
	}
}

// fill writes the rows a wrong run would lose: a user, and a chat where
// the table exists.
func (u *unrecordedDB) fill() {
	u.t.Helper()
	u.exec(fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES ('u1', 'Ada')", u.q("user"), u.q("id"), u.q("name")))
	if u.d.DB.Migrator().HasTable("chat") {
		u.exec(fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES ('c1', 'u1')", u.q("chat"), u.q("id"), u.q("user_id")))
	}
}

// dbState is everything a refused command must leave as it was: the
// schema, the rows of every table and the records.
type dbState struct {
	schema  *snapshot.Snapshot
	rows    map[string]int64
	users   []string
	records []string // nil without the records table
	hasRec  bool
}

func (u *unrecordedDB) state() dbState {
	u.t.Helper()
	s, err := snapshot.Take(context.Background(), u.d.DB)
	if err != nil {
		u.t.Fatal(err)
	}
	st := dbState{schema: s, rows: map[string]int64{}}
	for _, tb := range s.Tables {
		var n int64
		if err := u.d.DB.Table(tb.Name).Count(&n).Error; err != nil {
			u.t.Fatal(err)
		}
		st.rows[tb.Name] = n
	}
	if u.d.DB.Migrator().HasTable("user") {
		if err := u.d.DB.Raw("SELECT " + u.q("name") + " FROM " + u.q("user") + " ORDER BY " + u.q("id")).Scan(&st.users).Error; err != nil {
			u.t.Fatal(err)
		}
	}
	st.hasRec = u.d.DB.Migrator().HasTable(db.MigrationsTable)
	if st.hasRec && u.d.DB.Migrator().HasColumn(db.MigrationsTable, "id") {
		// Damaged tables too: a NULL id reads as "<nil>".
		var ids []sql.NullString
		if err := u.d.DB.Raw("SELECT id FROM " + db.MigrationsTable).Scan(&ids).Error; err != nil {
			u.t.Fatal(err)
		}
		for _, id := range ids {
			st.records = append(st.records, cmp.Or(id.String, "<nil>"))
		}
		slices.Sort(st.records)
	}
	return st
}

func (u *unrecordedDB) requireState(want dbState, when string) {
	u.t.Helper()
	got := u.state()
	migtest.RequireSameSchema(u.t, want.schema, got.schema, "before", when)
	for tb, n := range want.rows {
		if got.rows[tb] != n {
			u.t.Errorf("%s: table %s has %d rows, had %d", when, tb, got.rows[tb], n)
		}
	}
	if !slices.Equal(got.users, want.users) {
		u.t.Errorf("%s: users %v, were %v", when, got.users, want.users)
	}
	if got.hasRec != want.hasRec || !slices.Equal(got.records, want.records) {
		u.t.Errorf("%s: records table present=%v holding %v, was present=%v holding %v", when, got.hasRec, got.records, want.hasRec, want.records)
	}
}

// unrecordedCase is a database with tables this tool has no record of.
type unrecordedCase struct {
	name    string
	prepare func(u *unrecordedDB)
	want    string // the refusal's finding, after "database URL "
	// adopted is the revision adopt finds (empty when none matches, and
	// then closest is the revision it names as the nearest).
	adopted, closest string
}

func unrecordedCases(t *testing.T) []unrecordedCase {
	ids := chainIDs(t)
	headID := ids[len(ids)-1]
	dropRecords := func(u *unrecordedDB) { u.exec("DROP TABLE " + db.MigrationsTable) }
	emptyRecords := func(u *unrecordedDB) { u.exec("DELETE FROM " + db.MigrationsTable) }
	const all = "23 tables of this schema (auth, channel, channel_member, chat, chat_tag and 18 more)"
	const at13 = "16 tables of this schema (auth, chat, chat_tag, file, folder and 11 more)"
	return []unrecordedCase{
		{"AutoMigrate", func(u *unrecordedDB) {
			if err := u.d.DB.AutoMigrate(models.All()...); err != nil {
				u.t.Fatal(err)
			}
			u.fill()
		}, "has " + all + " but no record of this tool (schema_migrations is missing)", headID, ""},
		{"records dropped at head", func(u *unrecordedDB) {
			u.up("head")
			u.fill()
			dropRecords(u)
		}, "has " + all + " but no record of this tool (schema_migrations is missing)", headID, ""},
		{"records emptied at head", func(u *unrecordedDB) {
			u.up("head")
			u.fill()
			emptyRecords(u)
		}, "has " + all + " but no record of this tool (schema_migrations is empty)", headID, ""},
		{"records dropped at step 13", func(u *unrecordedDB) {
			u.up(revGroupTable)
			u.fill()
			dropRecords(u)
		}, "has " + at13 + " but no record of this tool (schema_migrations is missing)", revGroupTable, ""},
		{"records emptied at step 13", func(u *unrecordedDB) {
			u.up(revGroupTable)
			u.fill()
			emptyRecords(u)
		}, "has " + at13 + " but no record of this tool (schema_migrations is empty)", revGroupTable, ""},
		{"records dropped at init", func(u *unrecordedDB) {
			u.up(ids[0])
			u.fill()
			dropRecords(u)
		}, "has 10 tables of this schema (auth, chat, file, function, memory and 5 more) but no record of this tool (schema_migrations is missing)", ids[0], ""},
		{"hand-built", func(u *unrecordedDB) {
			u.exec(
				fmt.Sprintf("CREATE TABLE %s (%s varchar(255) PRIMARY KEY, %s text)", u.q("user"), u.q("id"), u.q("name")),
				fmt.Sprintf("CREATE TABLE %s (%s varchar(255) PRIMARY KEY, %s text)", u.q("note"), u.q("id"), u.q("title")),
			)
			u.fill()
		}, "has 2 tables of this schema (note, user) but no record of this tool (schema_migrations is missing)", "", "base"},
		{"later table at step 4", func(u *unrecordedDB) {
			u.up(revFolderTable)
			u.fill()
			u.exec(fmt.Sprintf("CREATE TABLE %s (%s varchar(255) PRIMARY KEY, %s text)", u.q("note"), u.q("id"), u.q("title")))
		}, "is recorded at " + revFolderTable + ", but 1 table that the chain does not have at that revision exists (note)", "", revFolderTable},
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
				u := newUnrecordedDB(t, dialectName)
				c.prepare(u)
				before := u.state()
				want := "database " + u.d.String() + " " + c.want
				runs := []struct {
					name string
					run  func() error
				}{
					{"up", func() error { _, err := u.d.Up(ctx, "", db.Options{}); return err }},
					{"up --to head", func() error { _, err := u.d.Up(ctx, "head", db.Options{}); return err }},
					{"down", func() error { _, err := u.d.Down(ctx, db.DownRequest{}, db.Options{}); return err }},
					{"down --all", func() error { _, err := u.d.Down(ctx, db.DownRequest{All: true}, db.Options{}); return err }},
					{"OpenAndMigrate", func() error {
						g, err := db.OpenAndMigrate(ctx, u.url)
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
					u.requireState(before, "after a refused "+r.name)
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
	ids := chainIDs(t)
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range unrecordedCases(t) {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				u := newUnrecordedDB(t, dialectName)
				c.prepare(u)
				before := u.state()
				rep, err := u.d.Adopt(ctx)
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
					if rep.Adopted || len(rep.Recorded) != 0 || orBaseRev(rep.Revision) != c.closest || len(rep.Differences) == 0 {
						t.Errorf("adopt report %+v, want not adopted, closest %s with differences", rep, c.closest)
					}
					u.requireState(before, "after a refused adopt")
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
				after := u.state()
				migtest.RequireSameSchema(t, before.schema, after.schema, "before", "after adopt")
				if !slices.Equal(after.records, sorted) || !slices.Equal(after.users, before.users) {
					t.Fatalf("after adopt: records %v, users %v; want %v and %v", after.records, after.users, sorted, before.users)
				}
				// From here on the database is this tool's.
				u.up("head")
				if _, err := u.d.Down(ctx, db.DownRequest{}, db.Options{}); err != nil {
					t.Fatalf("down after adopt: %v", err)
				}
				if got := u.state().users; !slices.Equal(got, before.users) {
					t.Fatalf("users after up and down: %v, want %v", got, before.users)
				}
			})
		}
	})
}

func orBaseRev(rev string) string {
	if rev == "" {
		return "base"
	}
	return rev
}

// TestAdoptUnrecordedRefusals: what adopt without alembic_version leaves
// alone, changing nothing: an empty database (nothing to adopt), records
// that agree with the schema, and records that disagree with it (stamp
// overrules records, adopt does not).
func TestAdoptUnrecordedRefusals(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		prepare func(u *unrecordedDB)
		want    string
	}{
		{"empty", func(u *unrecordedDB) {}, "has no tables of this schema and no record of this tool: there is nothing to adopt; run `schema up` to create the schema"},
		{"at base", func(u *unrecordedDB) {
			u.up("head")
			if _, err := u.d.Down(ctx, db.DownRequest{All: true}, db.Options{}); err != nil {
				u.t.Fatal(err)
			}
		}, "has no tables of this schema and no record of this tool: there is nothing to adopt"},
		{"managed", func(u *unrecordedDB) { u.up(revFolderTable) },
			"is already managed by this tool: schema_migrations records " + revFolderTable + ", and the schema matches it; there is nothing to adopt"},
		{"records behind the schema", func(u *unrecordedDB) {
			u.up(revGroupTable)
			ids := chainIDs(u.t)
			u.exec("DELETE FROM " + db.MigrationsTable + " WHERE id IN ('" + strings.Join(ids[4:13], "', '") + "')")
		}, "schema_migrations records " + revFolderTable + " but the schema matches " + revGroupTable + "; nothing was recorded: adopt does not overrule this tool's records (the data steps in between may not have run); if the records are wrong, run `schema stamp " + revGroupTable + "`"},
	}
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u := newUnrecordedDB(t, dialectName)
				c.prepare(u)
				before := u.state()
				_, err := u.d.Adopt(ctx)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("adopt: err = %v, want one saying %q", err, c.want)
				}
				u.requireState(before, "after a refused adopt")
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
	u := newUnrecordedDB(t, "sqlite")
	u.up(step10)
	u.exec("DROP TABLE " + db.MigrationsTable)
	before := u.state()
	rep, err := u.d.Adopt(context.Background())
	want := "matches 2 revisions (" + step9 + ", " + step10 + "), which look the same on sqlite"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was recorded; record the one its data is at with `schema stamp REV`") {
		t.Fatalf("adopt: err = %v, want one saying %q and pointing to stamp", err, want)
	}
	if rep.Adopted || !slices.Equal(rep.Matches, []string{step9, step10}) {
		t.Errorf("adopt report %+v, want not adopted, matches %s and %s", rep, step9, step10)
	}
	u.requireState(before, "after a refused adopt")
}

// TestStatusVerifyUnrecorded: status and verify say what up would: the
// tables found and that adopt is the way on, never that up is.
func TestStatusVerifyUnrecorded(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, dialectName string) {
		for _, c := range unrecordedCases(t) {
			t.Run(c.name, func(t *testing.T) {
				u := newUnrecordedDB(t, dialectName)
				c.prepare(u)
				_, upErr := u.d.Up(ctx, "", db.Options{})
				if !errors.Is(upErr, db.ErrUnrecordedTables) {
					t.Fatalf("up: err = %v, want ErrUnrecordedTables", upErr)
				}
				st, err := u.d.Status(ctx)
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
				rep, err := u.d.Verify(ctx)
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
		empty := newUnrecordedDB(t, dialectName)
		base := newUnrecordedDB(t, dialectName)
		base.up("head")
		if _, err := base.d.Down(ctx, db.DownRequest{All: true}, db.Options{}); err != nil {
			t.Fatal(err)
		}
		if !base.d.DB.Migrator().HasTable(db.MigrationsTable) {
			t.Fatal("down --all removed the records table; the test needs it")
		}
		const note = "the live database is empty; run `schema up` to create it"
		for name, u := range map[string]*unrecordedDB{"empty": empty, "at base": base} {
			rep, err := u.d.Verify(ctx)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !rep.OK() || rep.LiveChecked || rep.LiveNote != note || len(rep.Live) != 0 {
				t.Errorf("%s: verify ok=%v live checked=%v note %q live %v; want ok, not compared, note %q", name, rep.OK(), rep.LiveChecked, rep.LiveNote, rep.Live, note)
			}
		}
	})
}
