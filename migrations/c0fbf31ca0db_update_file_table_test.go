package migrations_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revFileProcessed = "c0fbf31ca0db"

const (
	processedNotice        = "left processed false for %d file(s) whose meta.collection_name is not a non-empty string"
	processedBadMetaNotice = "left processed false for %d file(s) whose meta is not valid JSON"
)

// fileProcessed reads processed of every file as a boolean.
func fileProcessed(t *testing.T, d *migtest.DB) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for id, v := range fileColumn(t, d, "processed") {
		out[id] = migtest.Bool(t, v)
	}
	return out
}

func requireProcessed(t *testing.T, d *migtest.DB, want map[string]bool) {
	t.Helper()
	got := fileProcessed(t, d)
	if len(got) != len(want) {
		t.Fatalf("file has %d rows, want %d", len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Fatalf("file %s: processed = %v, want %v", id, got[id], w)
		}
	}
}

func TestUpdateFileTableProcessedBackfill(t *testing.T) {
	cases := []struct {
		id       string
		meta     any
		want     bool
		reported bool
	}{
		{id: "p01", meta: `{"collection_name": "file-abc"}`, want: true},
		{id: "p02", meta: `{"collection_name": "c", "size": 3}`, want: true},
		{id: "p03", meta: `{"collection_name": ""}`, reported: true},
		{id: "p04", meta: `{"collection_name": 7}`, reported: true},
		{id: "p05", meta: `{"collection_name": ["a"]}`, reported: true},
		{id: "p06", meta: `{"collection_name": true}`, reported: true},
		{id: "p07", meta: `{"collection_name": null}`},
		{id: "p08", meta: `{"name": "a.pdf"}`},
		{id: "p09", meta: nil},
		{id: "p10", meta: `"collection_name"`},
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileProcessed)
		rows := make([]fileRow, len(cases))
		want := map[string]bool{}
		errs := map[string]string{}
		var reported []string
		for i, c := range cases {
			rows[i] = fileRow{id: c.id, path: "/data/" + c.id, meta: c.meta}
			want[c.id] = c.want
			errs[c.id] = "<nil>"
			if c.reported {
				reported = append(reported, c.id)
			}
		}
		insertFileRows(t, d, rows)
		notices := d.Up()
		requireProcessed(t, d, want)
		requireFileColumn(t, d, "error", errs)
		requireSkipNotice(t, notices, processedNotice, reported)

		// A file added after the step starts unprocessed.
		d.Exec("INSERT INTO "+d.Q("file")+" ("+d.Q("id")+") VALUES (?)", "new")
		want["new"] = false
		requireProcessed(t, d, want)
	})
}

// SQLite stores text that is not JSON in a JSON column; the others refuse
// it on insert, so there is nothing to check there.
func TestUpdateFileTableProcessedInvalidJSONMeta(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileSize)
		insertFileRows(t, d, []fileRow{{id: "good", meta: `{"collection_name": "c1"}`}})
		if err := d.G.Exec("INSERT INTO "+d.Q("file")+" ("+d.Q("id")+", "+d.Q("meta")+") VALUES (?, ?)", "bad", fileMetaNotJSONRaw).Error; err != nil {
			t.Skipf("%s refuses meta that is not JSON: %v", dl, err)
		}
		d.Up() // 7826ab40b532
		notices := d.Up()
		requireProcessed(t, d, map[string]bool{"good": true, "bad": false})
		requireSkipNotice(t, notices, processedBadMetaNotice, []string{"bad"})
	})
}

func TestUpdateFileTableProcessedSeveralBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileProcessed)
		n := 2*dialect.BatchSize + 5
		rows := make([]fileRow, n)
		want := map[string]bool{}
		for i := range rows {
			id := fmt.Sprintf("f%06d", i)
			meta := `{"name": "unprocessed"}`
			if i%3 != 0 {
				meta = fmt.Sprintf(`{"collection_name": "file-%d"}`, i)
			}
			want[id] = i%3 != 0
			rows[i] = fileRow{id: id, path: "/data/" + id, meta: meta}
		}
		insertFileRows(t, d, rows)
		schema := d.Snapshot()
		metas := fileColumn(t, d, "meta")

		notices, p := upWithProgress(t, d, revFileProcessed)
		requireBatches(t, dl, p, int64(n))
		requireProcessed(t, d, want)
		if len(notices) != 0 {
			t.Fatalf("notices = %q, want none", notices)
		}

		d.Down()
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the step", "after its down")
		requireFileColumn(t, d, "meta", metas)
	})
}

// TestFileStepsAtScale times steps 10-12 up and down on many files (set
// SCHEMA_TEST_FILE_ROWS, e.g. 1000000); each direction of each step must
// finish well under 30 seconds.
func TestFileStepsAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SCHEMA_TEST_FILE_ROWS"))
	if n <= 0 {
		t.Skip("set SCHEMA_TEST_FILE_ROWS to run")
	}
	const limit = 30 * time.Second
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFilePath)
		start := time.Now()
		rows := make([]fileRow, 0, 5000)
		for i := range n {
			path := fmt.Sprintf("/data/%d.pdf", i)
			if i%10 == 9 {
				path = fmt.Sprintf("uploads/%d.pdf", i)
			}
			rows = append(rows, fileRow{id: fmt.Sprintf("f%08d", i), path: path,
				meta: fmt.Sprintf(`{"name": "%d.pdf", "size": %d, "content_type": "application/pdf", "collection_name": "file-%d"}`, i, i, i)})
			if len(rows) == cap(rows) || i == n-1 {
				insertFileRows(t, d, rows)
				rows = rows[:0]
			}
		}
		t.Logf("%s: inserted %d files in %v", dl, n, time.Since(start))
		timed := func(what string, f func()) {
			t.Helper()
			start := time.Now()
			f()
			took := time.Since(start)
			t.Logf("%s: %s took %v", dl, what, took)
			if took > limit {
				t.Errorf("%s: %s took %v, want under %v", dl, what, took, limit)
			}
		}
		for _, rev := range []string{revFilePath, revFileSize, revFileProcessed} {
			timed("up "+rev, func() { d.UpTo(rev) })
		}
		if got := d.String("SELECT count(*) FROM " + d.Q("file") + " WHERE " + d.Q("size") + " IS NOT NULL"); got != strconv.Itoa(n) {
			t.Fatalf("%s files have a size, want %d", got, n)
		}
		for _, rev := range []string{revFileProcessed, revFileSize, revFilePath} {
			timed("down "+rev, func() { d.Down() })
		}
	})
}
