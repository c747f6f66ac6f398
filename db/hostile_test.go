package db_test

// Holes found by trying the package as a hostile user would, after issue
// 8: each test failed before its fix (see docs/DESIGN.md, "Hostile
// review").

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// withQuery adds a query option to a URL.
func withQuery(u, opt string) string {
	if strings.Contains(u, "?") {
		return u + "&" + opt
	}
	return u + "?" + opt
}

// TestPostgresSearchPathReachesNoOtherSchema: with two schemas in the
// search path (or PostgreSQL's default "$user", public when the user's
// schema exists), an unqualified DROP TABLE IF EXISTS or DROP INDEX IF
// EXISTS of a step finds the object in the next schema when the current
// one lacks it. A damaged app schema (a table dropped by hand) then cost
// public's table of the same name, rows and all, on the next down.
func TestPostgresSearchPathReachesNoOtherSchema(t *testing.T) {
	target := testdb.NewTarget(t, "postgres")
	admin, err := dialect.Open(target) // search_path untouched: public
	if err != nil {
		t.Fatal(err)
	}
	defer fixtures.CloseGorm(admin)
	base, err := target.URL()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	public, err := db.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer public.Close()
	if _, err := public.Up(ctx, "", db.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CREATE SCHEMA app`,
		`INSERT INTO public.note (id, user_id, title, created_at, updated_at) VALUES ('n1', 'u1', 'kept', 0, 0)`,
	} {
		if err := admin.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	app, err := db.Open(ctx, withQuery(base, "search_path=app,public"))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, err := app.Up(ctx, "", db.Options{}); err != nil {
		t.Fatal(err)
	}
	// Damage in app: a table and an index gone.
	for _, s := range []string{`DROP TABLE app.note`, `DROP INDEX app.idx_chat_folder_id`} {
		if err := admin.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := app.Down(ctx, db.DownRequest{All: true}, db.Options{}); err != nil {
		t.Fatalf("down --all in app: %v", err)
	}
	var titles []string
	if err := admin.Raw(`SELECT title FROM public.note`).Scan(&titles).Error; err != nil {
		t.Fatalf("public.note after a down in app: %v", err)
	}
	var indexes int64
	admin.Raw(`SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'idx_chat_folder_id'`).Scan(&indexes)
	if len(titles) != 1 || titles[0] != "kept" || indexes != 1 {
		t.Fatalf("a down in schema app changed public: note rows %q, idx_chat_folder_id %d", titles, indexes)
	}
	if cur, err := public.Current(ctx); err != nil || cur != fixtures.RevHead {
		t.Fatalf("public's records after a down in app: %q, %v", cur, err)
	}
}

// TestConnectionSpeaksUTF8: the steps read and write every value through
// the connection, so its character set must carry every character the
// tables hold. On MySQL ?charset=latin1 (or utf8, which is utf8mb3) made
// the server turn every other character into "?" on the way to step 7,
// which merged distinct tags ("日本" and "中国" both "??") and wrote the
// payloads back mangled; on PostgreSQL a database whose encoding is not
// UTF8 (or ?client_encoding=LATIN1) gave the session that encoding, so
// step 7 took "Café" for bytes that are not UTF-8 and left it unmigrated.
// Now the connection always speaks UTF-8, and a URL asking otherwise is
// refused before connecting.
func TestConnectionSpeaksUTF8(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		for _, u := range []string{
			"mysql://u@h/db?charset=latin1",
			"mysql://u@h/db?charset=utf8",
			"mysql://u@h/db?charset=utf8mb3",
			"mysql://u@h/db?charset=utf8mb4,latin1",
			"mysql://u@h/db?collation=latin1_swedish_ci",
			"mysql://u@h/db?collation=utf8mb3_general_ci",
			"mysql://u@h/db?charset=utf8mb4&collation=utf8_bin",
			"postgres://u@h/db?client_encoding=LATIN1",
			"postgres://u@h/db?client_encoding=SQL_ASCII",
		} {
			_, err := dialect.Parse(u)
			if err == nil || !strings.Contains(err.Error(), "UTF-8") {
				t.Errorf("Parse(%q): %v, want a refusal naming UTF-8", u, err)
			}
		}
		for _, u := range []string{
			"mysql://u@h/db?charset=utf8mb4",
			"mysql://u@h/db?charset=UTF8MB4&collation=utf8mb4_unicode_ci",
			"postgres://u@h/db?client_encoding=UTF8",
			"postgres://u@h/db?client_encoding=utf-8",
			"postgres://u@h/db?client_encoding=unicode",
		} {
			if _, err := dialect.Parse(u); err != nil {
				t.Errorf("Parse(%q): %v", u, err)
			}
		}
	})
	t.Run("postgres_latin1_database", func(t *testing.T) {
		target := testdb.NewTarget(t, "postgres")
		admin, err := dialect.Open(target)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fixtures.CloseGorm(admin) })
		name, err := dialect.NewScratchName(testdb.Prefix)
		if err != nil {
			t.Fatal(err)
		}
		if err := admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'`).Error; err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := dialect.DropDatabase(admin, name); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		})
		latin1, err := target.WithDatabase(name)
		if err != nil {
			t.Fatal(err)
		}
		u, err := latin1.URL()
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		d, err := db.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Up(ctx, "d31026856c01", db.Options{}); err != nil {
			t.Fatal(err)
		}
		// Written with chr(), so the test does not depend on the session's
		// encoding: "Café", "Ünï" in LATIN1.
		if err := d.DB.Exec(`INSERT INTO chat (id, user_id, title, chat, created_at, updated_at) VALUES ('c1', 'u1', 't', ('{"tags": ["Caf' || chr(233) || '", "' || chr(220) || 'n' || chr(239) || '"]}')::jsonb, 0, 0)`).Error; err != nil {
			t.Fatal(err)
		}
		res, err := d.Up(ctx, "1af9b942657b", db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		if err := d.DB.Raw(`SELECT id || '=' || name FROM tag ORDER BY id`).Scan(&tags).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Join(tags, " ") != "café=Café ünï=Ünï" {
			t.Errorf("tags after step 7 on a LATIN1 database: %q (notices %q)", tags, res.Steps[0].Notices)
		}
	})
}

// TestLeastPrivilegeUserAtHead: a backend commonly runs as a user that
// may read and write rows but not change the schema (migrations run as
// the owner, at deploy time), and still calls OpenAndMigrate at start-up.
// At HEAD there is nothing to do, yet every run began with CREATE TABLE
// IF NOT EXISTS schema_migrations (and, on PostgreSQL, ALTER TABLE ADD
// COLUMN IF NOT EXISTS checksum), which PostgreSQL and MySQL check for
// privileges (and ownership) before looking: "permission denied for
// schema public", "must be owner of table schema_migrations", "CREATE
// command denied". The records table is now created or upgraded only
// when the catalog says it must be.
func TestLeastPrivilegeUserAtHead(t *testing.T) {
	for _, dl := range []string{"postgres", "mysql"} {
		t.Run(dl, func(t *testing.T) {
			target := testdb.NewTarget(t, dl)
			admin, err := dialect.Open(target)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fixtures.CloseGorm(admin) })
			owner, err := target.URL()
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			g, err := db.OpenAndMigrate(ctx, owner)
			if err != nil {
				t.Fatal(err)
			}
			fixtures.CloseGorm(g)
			role, err := dialect.NewScratchName("hs_role")
			if err != nil {
				t.Fatal(err)
			}
			role = role[:min(len(role), 32)] // MySQL user names
			var grants, drops []string
			switch dl {
			case "postgres":
				grants = []string{
					`CREATE ROLE ` + role + ` LOGIN`,
					`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
					`GRANT USAGE ON SCHEMA public TO ` + role,
					`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + role,
				}
				drops = []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role}
			case "mysql":
				grants = []string{
					`CREATE USER '` + role + `'@'%'`,
					`GRANT SELECT, INSERT, UPDATE, DELETE ON ` + "`" + target.Database + "`" + `.* TO '` + role + `'@'%'`,
				}
				drops = []string{`DROP USER '` + role + `'@'%'`}
			}
			t.Cleanup(func() {
				for _, s := range drops {
					if err := admin.Exec(s).Error; err != nil {
						t.Errorf("%s: %v", s, err)
					}
				}
			})
			for _, s := range grants {
				if err := admin.Exec(s).Error; err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			u, err := url.Parse(owner)
			if err != nil {
				t.Fatal(err)
			}
			u.User = url.User(role)
			g, err = db.OpenAndMigrate(ctx, u.String())
			if err != nil {
				t.Fatalf("OpenAndMigrate at head as a user who may only read and write rows: %v", err)
			}
			fixtures.CloseGorm(g)
		})
	}
}

// TestAdoptLeavesOtherApplicationsTablesOut: tables no revision of the
// chain has are not this tool's (the guard leaves them out), but adopt
// compared them: an Open WebUI database upgraded from the versions before
// Alembic still has peewee's migratehistory, a PostgreSQL database with
// PostGIS has spatial_ref_sys, a shared one another application's tables.
// adopt then matched no revision ("in live database but not in chain"),
// with no way out but dropping tables that are not this tool's to drop.
// (verify and diff --live still list such a table as drift, as their
// tests require: see DESIGN.md.)
func TestAdoptLeavesOtherApplicationsTablesOut(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		ctx := context.Background()
		d := migtest.At(t, dl, "922e7a387820")
		d.Exec("CREATE TABLE migratehistory (id integer PRIMARY KEY, name varchar(255) NOT NULL)")
		fixtures.Alembicize(t, d.G, "922e7a387820")
		r, err := d.Runner.Adopt(ctx)
		if err != nil || !r.Adopted {
			t.Fatalf("adopt an Alembic database with peewee's migratehistory: %v (differences %v)", err, r.Differences)
		}
		d.UpTo("")
		// Without alembic_version: adopt by schema.
		d.Exec("DROP TABLE alembic_version")
		d.Exec("DROP TABLE " + db.MigrationsTable)
		r, err = d.Runner.Adopt(ctx)
		if err != nil || !r.Adopted || r.Revision != fixtures.RevHead {
			t.Fatalf("adopt by schema with another application's table: %v (at %q, differences %v)", err, r.Revision, r.Differences)
		}
		if n := d.Count("migratehistory"); n != 0 {
			t.Fatalf("migratehistory holds %d rows", n)
		}
	})
}

// TestAlembicVersionDamaged: an alembic_version with a NULL row (SQLite's
// PRIMARY KEY allows one, a hand-made table anywhere) or without its
// version_num column made every command, status included, fail with the
// driver's "converting NULL to string is unsupported" or "no such
// column". Such a table is now named as damaged, with the repair: stamp
// rewrites its row (and refuses a table that is not Alembic's).
func TestAlembicVersionDamaged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		ctx := context.Background()
		d := migtest.At(t, dl, "922e7a387820")
		d.Exec("CREATE TABLE alembic_version (version_num varchar(32))")
		d.Exec("INSERT INTO alembic_version (version_num) VALUES (NULL)")
		const want = "alembic_version, where Open WebUI's Alembic migrations record the revision, has a row without a revision (NULL)"
		check := func(what string, err error) {
			t.Helper()
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "schema stamp") {
				t.Errorf("%s: %v, want %q and the repair", what, err, want)
			}
		}
		_, err := d.Runner.Status(ctx)
		check("status", err)
		_, err = d.Runner.Up(ctx, "", db.Options{})
		check("up", err)
		_, err = d.Runner.Adopt(ctx)
		check("adopt", err)
		if err := d.Runner.Stamp(ctx, "922e7a387820"); err != nil {
			t.Fatalf("stamp, the repair: %v", err)
		}
		if got := fixtures.AlembicRows(t, d.G); len(got) != 1 || got[0] != "922e7a387820" {
			t.Fatalf("alembic_version after stamp: %q", got)
		}
		d.UpTo("")
		if got := fixtures.AlembicRows(t, d.G); len(got) != 1 || got[0] != fixtures.RevHead {
			t.Fatalf("alembic_version after up: %q", got)
		}

		d.Exec("DROP TABLE alembic_version")
		d.Exec("CREATE TABLE alembic_version (revision varchar(32))")
		_, err = d.Runner.Status(ctx)
		if err == nil || !strings.Contains(err.Error(), "alembic_version has no version_num column") {
			t.Errorf("status with an alembic_version without version_num: %v", err)
		}
	})
}

// TestRecordsWithGarbageIDs: a records row whose id cannot be a revision
// (blank, or with white space or control characters: "7e5b5dc7342b "
// typed by hand) was taken for a revision of a newer program, so every
// command refused the database as "migrated by a newer version", and so
// did stamp, the documented repair: no way out but SQL. Such a row is now
// damage, named with the repair, and stamp drops it.
func TestRecordsWithGarbageIDs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		ctx := context.Background()
		d := migtest.At(t, dl, "922e7a387820")
		for _, id := range []string{"7e5b5dc7342b ", "", "c0fbf31ca0db\n"} {
			d.Exec("INSERT INTO "+db.MigrationsTable+" (id) VALUES (?)", id)
		}
		_, err := d.Runner.Status(ctx)
		if !errors.Is(err, db.ErrRecordsDamaged) || !strings.Contains(err.Error(), `3 rows have an id that is not a revision ID ("", "7e5b5dc7342b ", "c0fbf31ca0db\n")`) || !strings.Contains(err.Error(), "schema stamp REV") {
			t.Fatalf("status with garbage ids: %v", err)
		}
		if _, err := d.Runner.Up(ctx, "", db.Options{}); !errors.Is(err, db.ErrRecordsDamaged) {
			t.Fatalf("up with garbage ids: %v", err)
		}
		if err := d.Runner.Stamp(ctx, "922e7a387820"); err != nil {
			t.Fatalf("stamp, the repair: %v", err)
		}
		if got := d.String("SELECT count(*) FROM " + db.MigrationsTable); got != "13" {
			t.Fatalf("%s rows after stamp: %s, want 13", db.MigrationsTable, got)
		}
		d.UpTo("")
	})
}

// TestTablesDifferingOnlyInCase: the guard compared table names without
// case on every dialect, but only SQLite (and MySQL with
// lower_case_table_names set) takes "User" for "user". On PostgreSQL, and
// MySQL as Linux installs it, a database shared with an application whose
// tables are "User" and "Chat" (Prisma's default naming) was refused by
// up and OpenAndMigrate as "tables of this schema but no record of this
// tool", forever: adopt could not match it either.
func TestTablesDifferingOnlyInCase(t *testing.T) {
	for _, dl := range []string{"postgres", "mysql"} {
		t.Run(dl, func(t *testing.T) {
			d := migtest.New(t, dl)
			var folds int
			if dl == "mysql" {
				folds, _ = strconv.Atoi(d.String("SELECT @@lower_case_table_names"))
			}
			if folds != 0 {
				t.Skip("the server folds table names (lower_case_table_names), so User is user there")
			}
			d.Exec("CREATE TABLE " + d.Q("User") + " (id varchar(64) PRIMARY KEY, email varchar(255))")
			d.Exec("CREATE TABLE " + d.Q("Chat") + " (id varchar(64) PRIMARY KEY)")
			d.Exec("INSERT INTO " + d.Q("User") + " (id, email) VALUES ('u1', 'a@b')")
			d.UpTo("")
			if got := d.String("SELECT email FROM " + d.Q("User")); got != "a@b" {
				t.Fatalf("the other application's table: %q", got)
			}
			if _, err := d.Runner.Down(context.Background(), db.DownRequest{All: true}, db.Options{}); err != nil {
				t.Fatal(err)
			}
			if got := d.Count("User"); got != 1 {
				t.Fatalf("the other application's table holds %d rows after down --all", got)
			}
		})
	}
}
