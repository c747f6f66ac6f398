package db_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// collationPairs are distinct values that MySQL's and MariaDB's default
// collations take for one: PAD SPACE, case, accents, ß, and every emoji
// (utf8mb4_general_ci gives all of them one weight).
var collationPairs = [][2]string{
	{"k", "k "},
	{"k", "K"},
	{"café", "cafe"},
	{"ß", "ss"},
	{"ß", "s"},
	{"😀", "😃"},
}

// headShapesParentsFirst is the chain's HEAD, tables before those whose
// foreign keys reference them.
func headShapesParentsFirst(t *testing.T) []dialect.Table {
	t.Helper()
	shapes, err := db.HeadShapes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []dialect.Table
	done := map[string]bool{}
	for len(out) < len(shapes) {
		progress := false
		for _, s := range shapes {
			if done[s.Name] || slices.ContainsFunc(s.ForeignKeys, func(f dialect.ForeignKey) bool { return f.RefTable != s.Name && !done[f.RefTable] }) {
				continue
			}
			out, done[s.Name], progress = append(out, s), true, true
		}
		if !progress {
			t.Fatal("the HEAD tables' foreign keys form a cycle")
		}
	}
	return out
}

// keyedRow is a row of t whose every key-typed column holds v (so foreign
// keys find the parent row with the same v), other NOT NULL columns a
// plain value and the rest NULL. A key referencing its own table stays
// NULL.
func keyedRow(t dialect.Table, v string) map[string]any {
	self := map[string]bool{}
	for _, f := range t.ForeignKeys {
		if f.RefTable == t.Name {
			for _, c := range f.Columns {
				self[c] = true
			}
		}
	}
	row := map[string]any{}
	for _, c := range t.Columns {
		switch {
		case c.Type == dialect.Key && !self[c.Name]:
			row[c.Name] = v
		case !c.NotNull:
			row[c.Name] = nil
		case c.Type == dialect.Text:
			row[c.Name] = "x"
		case c.Type == dialect.JSON:
			row[c.Name] = "{}"
		case c.Type == dialect.BigInt || c.Type == dialect.SmallInt:
			row[c.Name] = 1
		case c.Type == dialect.Bool:
			row[c.Name] = false
		case c.Type == dialect.Timestamptz:
			row[c.Name] = time.Unix(0, 0).UTC()
		}
	}
	return row
}

// TestCollationKeysByteForByte: in every HEAD table, on every dialect,
// keys that differ only where MySQL's default collation sees no
// difference (a trailing space, case, accents, ß, one emoji for another)
// are different keys: primary keys, unique indexes and foreign keys, each
// row found by its own value only.
func TestCollationKeysByteForByte(t *testing.T) {
	shapes := headShapesParentsFirst(t)
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.At(t, dl, fixtures.Head(t))
		var values []string
		for i, p := range collationPairs {
			for _, v := range p {
				values = append(values, fmt.Sprintf("p%d-%s", i, v))
			}
		}
		for _, s := range shapes {
			for _, v := range values {
				if err := d.G.Table(s.Name).Create(keyedRow(s, v)).Error; err != nil {
					t.Fatalf("insert %s row %q: %v", s.Name, v, err)
				}
			}
		}
		for _, s := range shapes {
			key := s.PrimaryKey[0]
			var got []string
			for _, r := range d.Rows("SELECT " + d.Q(key) + " FROM " + d.Q(s.Name)) {
				got = append(got, r[0])
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(values))
			if !slices.Equal(got, want) {
				t.Errorf("%s.%s holds %q, want %q", s.Name, key, got, want)
			}
			for _, v := range values[:2] {
				if n := d.String("SELECT count(*) FROM "+d.Q(s.Name)+" WHERE "+d.Q(key)+" = ?", v); n != "1" {
					t.Errorf("%s: %s rows have %s = %q, want 1", s.Name, n, key, v)
				}
			}
		}
	})
}

// collationChats are chats whose tags MySQL's default collation would
// merge (and whose owners it would take for one user), each chat's tags in
// tag id byte order, so that down(up(x)) gives x back exactly.
var collationChats = []struct{ id, user, payload string }{
	{"c1", "u", `{"tags":["café","straße","😀"]}`},
	{"c2", "U", `{"tags":["cafe","strasse","😃"]}`},
	{"c3", "u ", `{"tags":["e","ss","x"]}`},
	{"c4", "ü", `{"tags":["x","ß","é"]}`},
}

// TestCollationTagsStayDistinct: steps 7 and 8, up and down, keep tags
// and owners that the default MySQL collation equates apart on every
// dialect: every id its own tag row, every chat its own links, and the
// down writes back each chat's own spelling.
func TestCollationTagsStayDistinct(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, "1af9b942657b")
		for _, c := range collationChats {
			d.Insert("chat", map[string]any{"id": c.id, "user_id": c.user, "chat": c.payload, "pinned": false, "archived": false})
		}
		d.Up() // step 7
		tags := d.Rows("SELECT " + d.Q("id") + ", " + d.Q("name") + " FROM " + d.Q("tag"))
		want := []string{"cafe=cafe", "café=café", "e=e", "ss=ss", "strasse=strasse", "straße=straße", "x=x", "ß=ß", "é=é", "😀=😀", "😃=😃"}
		if got := pairs(tags); !slices.Equal(got, want) {
			t.Fatalf("tags after step 7 = %q, want %q", got, want)
		}
		links := pairs(d.Rows("SELECT " + d.Q("chat_id") + ", " + d.Q("tag_id") + " FROM " + d.Q("chat_tag")))
		wantLinks := []string{"c1=café", "c1=straße", "c1=😀", "c2=cafe", "c2=strasse", "c2=😃", "c3=e", "c3=ss", "c3=x", "c4=x", "c4=ß", "c4=é"}
		if !slices.Equal(links, wantLinks) {
			t.Fatalf("chat_tag after step 7 = %q, want %q", links, wantLinks)
		}

		d.Up() // step 8: per-user tags, owners "u", "U", "u " and "ü" apart
		perUser := pairs(d.Rows("SELECT " + d.Q("id") + ", " + d.Q("user_id") + " FROM " + d.Q("tag")))
		wantPerUser := []string{"cafe=U", "café=u", "e=u ", "ss=u ", "strasse=U", "straße=u", "x=u ", "x=ü", "ß=ü", "é=ü", "😀=u", "😃=U"}
		if !slices.Equal(perUser, wantPerUser) {
			t.Fatalf("tag (id, user_id) after step 8 = %q, want %q", perUser, wantPerUser)
		}
		owners := pairs(d.Rows("SELECT " + d.Q("chat_id") + ", " + d.Q("user_id") + " FROM " + d.Q("chat_tag") + " WHERE " + d.Q("tag_id") + " = 'x'"))
		if want := []string{"c3=u ", "c4=ü"}; !slices.Equal(owners, want) {
			t.Fatalf("chat_tag owners of tag x = %q, want %q", owners, want)
		}
		d.Down() // step 8
		d.Down() // step 7
		for _, c := range collationChats {
			got := d.String("SELECT "+d.Q("chat")+" FROM "+d.Q("chat")+" WHERE "+d.Q("id")+" = ?", c.id)
			if !migtest.SameJSON(got, c.payload) {
				t.Errorf("chat %s payload after the round trip = %s, want %s", c.id, got, c.payload)
			}
		}
	})
}

// pairs renders two-column rows as sorted "a=b".
func pairs(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0] + "=" + r[1]
	}
	slices.Sort(out)
	return out
}

// requireMySQL skips a test about MySQL's collations elsewhere.
func requireMySQL(t *testing.T, dl string) {
	t.Helper()
	if dl != "mysql" {
		t.Skipf("%s compares byte for byte whatever its default collation: nothing to convert", dl)
	}
}

var binaryTableOption = regexp.MustCompile(` DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_(nopad|0900)_bin`)

// oldCollationCopy copies src (MySQL) into a new database as this tool
// built it before it declared a collation, and as Open WebUI builds it:
// the same tables, rows and records, with the server's default collation.
func oldCollationCopy(t *testing.T, src *migtest.DB) *migtest.DB {
	t.Helper()
	dst := migtest.New(t, "mysql")
	from := src.String("SELECT DATABASE()")
	var tables []string
	for _, r := range src.Rows("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME") {
		tables = append(tables, r[0])
	}
	err := dst.G.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SET SESSION foreign_key_checks = 0").Error; err != nil {
			return err
		}
		defer conn.Exec("SET SESSION foreign_key_checks = 1")
		for _, table := range tables {
			var name, ddl string
			if err := src.G.Raw("SHOW CREATE TABLE "+src.Q(table)).Row().Scan(&name, &ddl); err != nil {
				return err
			}
			if !binaryTableOption.MatchString(ddl) {
				return fmt.Errorf("table %s was not created with a binary collation: %s", table, ddl)
			}
			if err := conn.Exec(binaryTableOption.ReplaceAllString(ddl, "")).Error; err != nil {
				return fmt.Errorf("%s: %w", ddl, err)
			}
			if err := conn.Exec("INSERT INTO " + dst.Q(table) + " SELECT * FROM " + dst.Q(from) + "." + dst.Q(table)).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copy %s with the default collation: %v", from, err)
	}
	if n := dst.String("SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME LIKE '%nopad%'"); n != "0" {
		t.Fatalf("the copy has %s columns in a binary collation", n)
	}
	return dst
}

// collationFixture fills a database at or past step 7 with rows in tables
// linked by foreign keys.
func collationFixture(d *migtest.DB) {
	d.T.Helper()
	for _, c := range collationChats {
		d.Insert("chat", map[string]any{"id": c.id, "user_id": c.user, "chat": c.payload, "pinned": false, "archived": false})
		d.Insert("message", map[string]any{"id": "m-" + c.id, "chat_id": c.id, "content": "hi"})
	}
}

// TestCollationOldDatabaseConverted: a MySQL database built before this
// tool declared a collation (or by Open WebUI) has the server's default;
// the next up converts it before any step, so the steps that follow keep
// distinct tags apart, and the result equals a database built with the
// binary collation throughout: same schema, same rows, verify clean.
func TestCollationOldDatabaseConverted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		requireMySQL(t, dl)
		ctx := context.Background()
		src := migtest.At(t, dl, "d31026856c01") // before migrate_tags
		collationFixture(src)
		old := oldCollationCopy(t, src)
		// A table of the application's own with a key into the chain's
		// is converted with it (a key needs one collation on both sides).
		old.Exec("INSERT INTO `user` (id) VALUES ('u1')")
		old.Exec("CREATE TABLE app_extra (id varchar(255) PRIMARY KEY, user_id varchar(255), CONSTRAINT fk_app_extra_user FOREIGN KEY (user_id) REFERENCES `user` (id) ON DELETE CASCADE)")
		old.Exec("INSERT INTO app_extra VALUES ('e1', 'u1')")

		if _, err := src.Runner.Up(ctx, "", db.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Runner.Up(ctx, "", db.Options{}); err != nil {
			t.Fatalf("up on a database with the default collation: %v", err)
		}
		coll := src.String("SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'chat'")
		extra := old.Rows("SELECT t.TABLE_COLLATION, r.DELETE_RULE FROM information_schema.TABLES t JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = t.TABLE_SCHEMA AND r.TABLE_NAME = t.TABLE_NAME WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = 'app_extra'")
		if fmt.Sprint(extra) != fmt.Sprint([][]string{{coll, "CASCADE"}}) || old.String("SELECT user_id FROM app_extra") != "u1" {
			t.Fatalf("app_extra after the conversion: %v, want %s with its key", extra, coll)
		}
		old.Exec("DROP TABLE app_extra")
		old.Exec("DELETE FROM `user`")
		migtest.RequireSameSchema(t, src.Snapshot(), old.Snapshot(), "built binary", "converted")
		migtest.RequireSameData(t, src.Dump(), old.Dump(), "built binary", "converted")
		if n := old.Count("tag"); n != 12 {
			t.Errorf("%d tag rows after converting and migrating, want 12 (none merged)", n)
		}
		r, err := old.Runner.Verify(ctx)
		if err != nil || !r.OK() {
			t.Fatalf("verify after the conversion: %+v, %v", r, err)
		}
		// JSON columns keep MariaDB's own collation, as AutoMigrate makes them.
		if got := old.Rows("SELECT DISTINCT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL ORDER BY 1"); fmt.Sprint(got) != fmt.Sprint(src.Rows("SELECT DISTINCT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL ORDER BY 1")) {
			t.Errorf("collations after the conversion: %v", got)
		}

		// Converting again changes nothing.
		before := old.Snapshot()
		if _, err := old.Runner.Up(ctx, "", db.Options{}); err != nil {
			t.Fatal(err)
		}
		migtest.RequireSameSchema(t, before, old.Snapshot(), "converted", "after another up")
	})
}

// TestCollationVerifyDetects: verify lists a table in the wrong collation
// (a table default and its character columns), and up converts it back.
func TestCollationVerifyDetects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		requireMySQL(t, dl)
		ctx := context.Background()
		d := migtest.At(t, dl, fixtures.Head(t))
		d.Exec("ALTER TABLE note CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
		r, err := d.Runner.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, df := range r.Live {
			got = append(got, df.String())
		}
		coll := d.String("SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tag'")
		want := []string{"note: the default collation is " + coll + " in models but utf8mb4_general_ci in live database"}
		for _, c := range []string{"content", "id", "title", "user_id"} {
			want = append(want, "note: column "+c+": collation is "+coll+" in models but utf8mb4_general_ci in live database")
		}
		if !slices.Equal(got, want) || r.OK() {
			t.Fatalf("verify = %q (ok %v), want %q", got, r.OK(), want)
		}
		if _, err := d.Runner.Up(ctx, "", db.Options{}); err != nil {
			t.Fatal(err)
		}
		if r, err := d.Runner.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("verify after up: %+v, %v", r, err)
		}
	})
}

// TestCollationConversionCrash: the conversion survives a crash at any of
// its statements: the next run finishes it, with the same schema and rows
// as one uninterrupted conversion (the foreign keys it drops are kept in
// the table's comment until they are back).
func TestCollationConversionCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash suite is slow; run without -short")
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		requireMySQL(t, dl)
		ctx := context.Background()
		src := migtest.At(t, dl, "c69f45358db4") // chat, message and its key, folder
		collationFixture(src)
		clean := oldCollationCopy(t, src)
		if _, err := clean.Runner.Up(ctx, "c69f45358db4", db.Options{}); err != nil {
			t.Fatal(err)
		}
		wantSchema, wantRows, wantColls := clean.Snapshot(), clean.Dump(), columnCollations(clean)
		migtest.RequireSameSchema(t, src.Snapshot(), wantSchema, "built binary", "converted")
		for k, crashed := 0, true; crashed; k++ {
			// A subtest per crash, so each copy's connections and database
			// go when it ends.
			t.Run(fmt.Sprintf("crash_at_write_%02d", k+1), func(t *testing.T) {
				src.T = t
				defer func() { src.T = nil }()
				old := oldCollationCopy(t, src)
				plan := &crash.Plan{After: k}
				_, err := old.Runner.Up(crash.With(ctx, plan), "c69f45358db4", db.Options{})
				if crashed = err != nil; !crashed {
					if k < 5 {
						t.Fatalf("the conversion made only %d writes", k)
					}
					return
				}
				if !strings.Contains(err.Error(), crash.ErrInjected.Error()) {
					t.Fatalf("crash at write %d: %v", k+1, err)
				}
				if _, err := old.Runner.Up(ctx, "c69f45358db4", db.Options{}); err != nil {
					t.Fatalf("up after a crash at write %d: %v", k+1, err)
				}
				where := fmt.Sprintf("converted after a crash at write %d", k+1)
				migtest.RequireSameSchema(t, wantSchema, old.Snapshot(), "converted at once", where)
				migtest.RequireSameData(t, wantRows, old.Dump(), "converted at once", where)
				// Snapshots leave MariaDB's JSON columns' collation out.
				if got := columnCollations(old); !slices.Equal(got, wantColls) {
					t.Fatalf("%s: column collations %q, want %q", where, got, wantColls)
				}
				if c := old.String("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_COMMENT <> ''"); c != "0" {
					t.Fatalf("%s: table comments left on %s tables", where, c)
				}
			})
			if t.Failed() {
				return
			}
		}
	})
}

// TestCollationConversionCrashOneTable: a table with no foreign keys and
// a JSON column (MariaDB's JSON collation comes back in a second
// statement) is marked while it converts, so a crash in between is
// finished by the next run too.
func TestCollationConversionCrashOneTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		requireMySQL(t, dl)
		ctx := context.Background()
		want := columnCollations(migtest.At(t, dl, fixtures.Head(t)))
		for k, crashed := 0, true; crashed; k++ {
			t.Run(fmt.Sprintf("crash_at_write_%02d", k+1), func(t *testing.T) {
				d := migtest.At(t, dl, fixtures.Head(t))
				d.Exec("ALTER TABLE config CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
				_, err := d.Runner.Up(crash.With(ctx, &crash.Plan{After: k}), "", db.Options{})
				if crashed = err != nil; crashed {
					if !strings.Contains(err.Error(), crash.ErrInjected.Error()) {
						t.Fatalf("crash at write %d: %v", k+1, err)
					}
					if _, err := d.Runner.Up(ctx, "", db.Options{}); err != nil {
						t.Fatalf("up after a crash at write %d: %v", k+1, err)
					}
				}
				if got := columnCollations(d); !slices.Equal(got, want) {
					t.Fatalf("after a crash at write %d: column collations %q, want %q", k+1, got, want)
				}
				if c := d.String("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_COMMENT <> ''"); c != "0" {
					t.Fatalf("table comments left on %s tables", c)
				}
			})
			if t.Failed() {
				return
			}
		}
	})
}

// columnCollations lists "table.column collation" of every character
// column.
func columnCollations(d *migtest.DB) []string {
	d.T.Helper()
	var out []string
	for _, r := range d.Rows("SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL ORDER BY 1, 2") {
		out = append(out, r[0]+"."+r[1]+" "+r[2])
	}
	return out
}

// TestCollationBytewiseKeyCheck: a child row whose parent matches only
// under the old collation ("C1" for "c1") would break its foreign key once
// values compare byte for byte: the conversion refuses before any change,
// naming the row.
func TestCollationBytewiseKeyCheck(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		requireMySQL(t, dl)
		ctx := context.Background()
		src := migtest.At(t, dl, "c69f45358db4")
		collationFixture(src)
		old := oldCollationCopy(t, src)
		old.Exec("UPDATE message SET chat_id = 'C1' WHERE id = 'm-c1'") // the old collation takes it for c1
		before := old.Snapshot()
		_, err := old.Runner.Up(ctx, "", db.Options{})
		want := `1 row(s) of message name a chat that exists only when case, accents or trailing spaces are ignored (chat_id "C1"), so foreign key fk_message_chat_id would not hold once chat compares values byte for byte; nothing was changed`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("up = %v, want an error containing %q", err, want)
		}
		migtest.RequireSameSchema(t, before, old.Snapshot(), "before", "after the refusal")
		if old.Current() != "c69f45358db4" {
			t.Fatal("a step ran")
		}
	})
}

// TestCollationAdoptOpenWebUIDatabase: Open WebUI's tables on MySQL have
// the server's default collation; adopt takes them over all the same (the
// comparison leaves collations out), and the next up converts them.
func TestCollationAdoptOpenWebUIDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		requireMySQL(t, dl)
		ctx := context.Background()
		src := migtest.At(t, dl, "d31026856c01")
		collationFixture(src)
		old := oldCollationCopy(t, src)
		fixtures.Alembicize(t, old.G, "d31026856c01")
		if _, err := old.Runner.Adopt(ctx); err != nil {
			t.Fatalf("adopt an Open WebUI database with the default collation: %v", err)
		}
		if _, err := old.Runner.Up(ctx, "", db.Options{}); err != nil {
			t.Fatal(err)
		}
		if r, err := old.Runner.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("verify after adopt and up: %+v, %v", r, err)
		}
		// Alembic's table is not this tool's to convert.
		if c := old.String("SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'alembic_version'"); strings.Contains(c, "bin") {
			t.Errorf("alembic_version was converted to %s", c)
		}
		if n := old.Count("tag"); n != 12 {
			t.Errorf("%d tag rows, want 12 (none merged)", n)
		}
	})
}
