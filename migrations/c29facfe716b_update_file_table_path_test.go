package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revFilePath = "c29facfe716b"

// fileRow is a file fixture: the columns the file steps read. nil path or
// meta is NULL.
type fileRow struct {
	id   string
	path any
	meta any
}

// insertFileRows adds files in multi-row statements, so fixtures that span
// several batches load quickly.
func insertFileRows(t *testing.T, d *migtest.DB, rows []fileRow) {
	t.Helper()
	const chunk = 500
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		tuples := make([]string, len(part))
		args := make([]any, 0, 4*len(part))
		for i, r := range part {
			tuples[i] = "(?, ?, ?, ?)"
			args = append(args, r.id, "u1", r.path, r.meta)
		}
		d.Exec(fmt.Sprintf("INSERT INTO %s (%s, %s, %s, %s) VALUES %s", d.Q("file"),
			d.Q("id"), d.Q("user_id"), d.Q("path"), d.Q("meta"), strings.Join(tuples, ", ")), args...)
	}
}

// fileColumn reads one column of every file, by id ("<nil>" for NULL).
func fileColumn(t *testing.T, d *migtest.DB, col string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range d.Rows(fmt.Sprintf("SELECT %s, %s FROM %s", d.Q("id"), d.Q(col), d.Q("file"))) {
		out[r[0]] = r[1]
	}
	return out
}

// requireSkipNotice finds the notice starting with prefix and checks that
// it names the count of ids and the first of them (in key order).
func requireSkipNotice(t *testing.T, notices []string, prefix string, ids []string) {
	t.Helper()
	want := fmt.Sprintf(prefix, len(ids))
	for _, n := range notices {
		if !strings.HasPrefix(n, want) {
			continue
		}
		sorted := slices.Sorted(slices.Values(ids))
		for i, id := range sorted {
			named := strings.Contains(n, fmt.Sprintf("%q", id))
			if i < dialect.SampleSize && !named {
				t.Fatalf("notice %q does not name file %s", n, id)
			}
			if i >= dialect.SampleSize && named {
				t.Fatalf("notice %q names more than %d files", n, dialect.SampleSize)
			}
		}
		return
	}
	t.Fatalf("no notice starting %q among %q", want, notices)
}

// requireNoNoticeWith fails if a notice contains part.
func requireNoNoticeWith(t *testing.T, notices []string, part string) {
	t.Helper()
	for _, n := range notices {
		if strings.Contains(n, part) {
			t.Fatalf("unexpected notice %q", n)
		}
	}
}

// requireFileColumn compares a file column with want, row by row.
func requireFileColumn(t *testing.T, d *migtest.DB, col string, want map[string]string) {
	t.Helper()
	got := fileColumn(t, d, col)
	if len(got) != len(want) {
		t.Fatalf("file has %d rows, want %d", len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		if got[id] != w {
			if bad < 5 {
				t.Errorf("file %s: %s = %q, want %q", id, col, got[id], w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%d file(s) have the wrong %s", bad, col)
	}
}

// progressLog records a run's progress reports.
type progressLog struct{ done, total []int64 }

func (p *progressLog) StepStarted(db.StepResult)    {}
func (p *progressLog) Notice(db.StepResult, string) {}
func (p *progressLog) Progress(_ db.StepResult, done, total int64) {
	p.done = append(p.done, done)
	p.total = append(p.total, total)
}

// requireBatches checks that a step walked n rows in several batches, or
// on PostgreSQL copied them in one statement.
func requireBatches(t *testing.T, dl string, p *progressLog, n int64) {
	t.Helper()
	if dl == "postgres" { // one statement: reported at its start and end
		if !slices.Equal(p.done, []int64{0, n}) || !slices.Equal(p.total, []int64{n, n}) {
			t.Fatalf("progress %v of %v, want [0 %d] of [%d %d]", p.done, p.total, n, n, n)
		}
		return
	}
	if len(p.done) < 2 {
		t.Fatalf("progress reported %d time(s), want one per batch (several)", len(p.done))
	}
	if last := len(p.done) - 1; p.done[last] != n || p.total[last] != n {
		t.Fatalf("last progress %d of %d, want %d of %d", p.done[last], p.total[last], n, n)
	}
}

func upWithProgress(t *testing.T, d *migtest.DB, rev string) ([]string, *progressLog) {
	t.Helper()
	p := &progressLog{}
	res, err := d.Runner.Up(context.Background(), rev, db.Options{Reporter: p})
	if err != nil {
		t.Fatalf("up to %s: %v", rev, err)
	}
	var notices []string
	for _, s := range res.Steps {
		notices = append(notices, s.Notices...)
	}
	return notices, p
}

func downWithProgress(t *testing.T, d *migtest.DB) *progressLog {
	t.Helper()
	p := &progressLog{}
	if _, err := d.Runner.Down(context.Background(), db.DownRequest{}, db.Options{Reporter: p}); err != nil {
		t.Fatalf("down: %v", err)
	}
	return p
}

const relativeNotice = "left %d relative file path(s) unchanged"

func TestUpdateFileTablePathAbsoluteBecomesFileURI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		insertFileRows(t, d, []fileRow{
			{id: "a", path: "/data/a.pdf"},
			{id: "b", path: "/"},
			{id: "c", path: "/data/ünï cödé (1).pdf"},
		})
		notices := d.Up()
		requireFileColumn(t, d, "path", map[string]string{
			"a": "file:///data/a.pdf",
			"b": "file:///",
			"c": "file:///data/ünï cödé (1).pdf",
		})
		if len(notices) != 0 {
			t.Fatalf("notices = %q, want none", notices)
		}
		// The column is text now: a long storage URI fits.
		long := "s3://bucket/" + strings.Repeat("k", 300)
		insertFileRows(t, d, []fileRow{{id: "long", path: long}})
		if got := d.String("SELECT "+d.Q("path")+" FROM "+d.Q("file")+" WHERE "+d.Q("id")+" = ?", "long"); got != long {
			t.Fatalf("a 312-character path came back as %d characters", len(got))
		}
	})
}

func TestUpdateFileTablePathExistingURIsUntouched(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		want := map[string]string{
			"s3":    "s3://bucket/a.pdf",
			"gs":    "gs://bucket/b.pdf",
			"az":    "az://container/c.pdf",
			"file":  "file:///data/d.pdf",
			"host":  "file://server/share/e.pdf",
			"https": "HTTPS://example.com/f.pdf",
			"odd":   "/data/g://h.pdf",
		}
		var rows []fileRow
		for id, p := range want {
			rows = append(rows, fileRow{id: id, path: p})
		}
		insertFileRows(t, d, rows)
		notices := d.Up()
		requireFileColumn(t, d, "path", want)
		requireNoNoticeWith(t, notices, "relative")
		// An absolute path that contains :// is taken for a URI, and said so.
		requireSkipNotice(t, notices, "left %d file path(s) unchanged that start with / but contain ://", []string{"odd"})
	})
}

func TestUpdateFileTablePathNullAndEmptyUntouched(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		insertFileRows(t, d, []fileRow{{id: "null", path: nil}, {id: "empty", path: ""}})
		notices := d.Up()
		requireFileColumn(t, d, "path", map[string]string{"null": "<nil>", "empty": ""})
		if len(notices) != 0 {
			t.Fatalf("notices = %q, want none", notices)
		}
	})
}

func TestUpdateFileTablePathRelativeReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		want := map[string]string{
			"r1":  "uploads/a.pdf",
			"r2":  "b.pdf",
			"r3":  "./c.pdf",
			"r4":  `C:\data\d.pdf`,
			"r5":  " ",
			"r6":  "~/f.pdf",
			"abs": "/data/g.pdf",
		}
		var rows []fileRow
		for id, p := range want {
			rows = append(rows, fileRow{id: id, path: p})
		}
		insertFileRows(t, d, rows)
		notices := d.Up()
		want["abs"] = "file:///data/g.pdf"
		requireFileColumn(t, d, "path", want)
		// Six relative paths: the notice counts all and names the first five.
		requireSkipNotice(t, notices, relativeNotice, []string{"r1", "r2", "r3", "r4", "r5", "r6"})
		requireNoNoticeWith(t, notices, `"abs"`)
	})
}

func TestUpdateFileTablePathDownStripsFileScheme(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		before := map[string]string{
			"a": "/data/a.pdf",
			"b": "file:///data/b.pdf", // already a URI: comes back as the plain path
			"c": "s3://bucket/c.pdf",
			"d": "file://server/d.pdf",
			"e": "rel/e.pdf",
			"f": "<nil>",
			"g": "",
		}
		var rows []fileRow
		for id, p := range before {
			var v any = p
			if p == "<nil>" {
				v = nil
			}
			rows = append(rows, fileRow{id: id, path: v})
		}
		insertFileRows(t, d, rows)
		schema := d.Snapshot()
		d.Up()
		// Written after the upgrade: the scheme is matched exactly.
		insertFileRows(t, d, []fileRow{{id: "h", path: "file:///new/h.pdf"}, {id: "i", path: "FILE:///upper/i.pdf"}})
		d.Down()
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the step", "after its down")
		want := withPaths(before, map[string]string{"b": "/data/b.pdf", "h": "/new/h.pdf", "i": "FILE:///upper/i.pdf"})
		requireFileColumn(t, d, "path", want)
	})
}

// withPaths returns a copy of base with over applied.
func withPaths(base, over map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func TestUpdateFileTablePathDownRefusesLongPath(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		insertFileRows(t, d, []fileRow{{id: "plain", path: "/data/a.pdf"}, {id: "uri", path: "file:///data/b.pdf"}})
		d.Up()
		long := "s3://bucket/" + strings.Repeat("k", 250) // 262 characters
		stripped := "file:///" + strings.Repeat("a", 250) // 258, but 251 once stripped
		wide := "s3://" + strings.Repeat("é", 250)        // 255 characters, 505 bytes
		insertFileRows(t, d, []fileRow{{id: "long", path: long}, {id: "stripped", path: stripped}, {id: "wide", path: wide}})
		schema := d.Snapshot()
		paths := fileColumn(t, d, "path")

		_, err := d.DownErr()
		if err == nil {
			t.Fatal("down accepted a 262-character path")
		}
		for _, part := range []string{"1 file path(s)", "255 characters", `"long"`} {
			if !strings.Contains(err.Error(), part) {
				t.Fatalf("error %q does not say %q", err, part)
			}
		}
		for _, other := range []string{`"stripped"`, `"wide"`} {
			if strings.Contains(err.Error(), other) {
				t.Fatalf("error %q names %s, which fits", err, other)
			}
		}
		// Nothing changed: the revision, the column and every value.
		if got := d.Current(); got != revFilePath {
			t.Fatalf("current = %s, want %s", got, revFilePath)
		}
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the refused down", "after it")
		requireFileColumn(t, d, "path", paths)

		d.Exec("DELETE FROM "+d.Q("file")+" WHERE "+d.Q("id")+" = ?", "long")
		d.Down()
		requireFileColumn(t, d, "path", map[string]string{
			"plain":    "/data/a.pdf",
			"uri":      "/data/b.pdf",
			"stripped": "/" + strings.Repeat("a", 250),
			"wide":     wide,
		})
	})
}

// fileBatchFixture is several batches of files with every kind of path.
func fileBatchFixture(n int) (rows []fileRow, relative []string) {
	for i := range n {
		id := fmt.Sprintf("f%06d", i)
		var p any
		switch i % 5 {
		case 0:
			p = fmt.Sprintf("/data/%d.pdf", i)
		case 1:
			p = fmt.Sprintf("uploads/%d.pdf", i)
			relative = append(relative, id)
		case 2:
			p = fmt.Sprintf("s3://bucket/%d.pdf", i)
		case 3:
			p = nil
		case 4:
			p = ""
		}
		rows = append(rows, fileRow{id: id, path: p})
	}
	return rows, relative
}

func TestUpdateFileTablePathSeveralBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		n := 2*dialect.BatchSize + 7
		rows, relative := fileBatchFixture(n)
		insertFileRows(t, d, rows)
		before := fileColumn(t, d, "path")

		notices, p := upWithProgress(t, d, revFilePath)
		requireBatches(t, dl, p, int64(n))
		requireSkipNotice(t, notices, relativeNotice, relative)
		after := map[string]string{}
		for id, v := range before {
			if strings.HasPrefix(v, "/") {
				v = "file://" + v
			}
			after[id] = v
		}
		requireFileColumn(t, d, "path", after)

		requireBatches(t, dl, downWithProgress(t, d), int64(n))
		requireFileColumn(t, d, "path", before)
	})
}

// TestFileStepsResumeAfterCrash: where DDL commits on its own (MySQL), a
// file step that crashes while copying the table, or just after swapping
// the copy in, finishes the job when run again, up and down, over several
// batches. (tests/TestCrashAtAnyStatement tries every statement on small
// data; this one crosses batch boundaries.)
func TestFileStepsResumeAfterCrash(t *testing.T) {
	for _, rev := range []string{revFilePath, revFileSize, revFileProcessed} {
		t.Run(rev, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, dl string) {
				d := migtest.Before(t, dl, rev)
				if d.Dialector().RunMode() != dialect.NoTransactions {
					t.Skipf("%s runs a step in one transaction: a crash undoes it whole", dl)
				}
				rows, _ := fileBatchFixture(dialect.BatchSize + 11)
				for i := range rows {
					rows[i].meta = fmt.Sprintf(`{"size":%d,"content_type":"text/plain","collection_name":"c%d"}`, i, i%2)
				}
				insertFileRows(t, d, rows)
				step := migtest.Step(t, rev)
				before := d.Dump()
				d.Up()
				after := d.Dump()
				downWrites, err := d.RunStep(step.Down, -1)
				if err != nil {
					t.Fatal(err)
				}
				d.Exec("DELETE FROM "+db.MigrationsTable+" WHERE id = ?", rev)
				migtest.RequireSameData(t, before, d.Dump(), "before", "after a clean up and down")

				// Writes of a copy: drop and create the new table, one
				// insert per batch, the swap, dropping the old table.
				for _, k := range []int{3, 5, 6} {
					if _, err := d.RunStep(step.Up, k); !errors.Is(err, crash.ErrInjected) {
						t.Fatalf("up crashing after write %d: %v", k, err)
					}
					d.Up()
					migtest.RequireSameData(t, after, d.Dump(), "a clean up", fmt.Sprintf("up re-run after a crash at write %d", k+1))
					if k >= downWrites { // down is an in-place change with fewer writes
						d.Down()
						continue
					}
					if _, err := d.RunStep(step.Down, k); !errors.Is(err, crash.ErrInjected) {
						t.Fatalf("down crashing after write %d: %v", k, err)
					}
					d.Down()
					migtest.RequireSameData(t, before, d.Dump(), "before", fmt.Sprintf("down re-run after a crash at write %d", k+1))
				}
			})
		})
	}
}
