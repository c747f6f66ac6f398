package migrations_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revFileSize = "7826ab40b532"

const (
	sizeNotice         = "left size NULL for %d file(s) whose meta.size is not a non-negative integer"
	mimeNotice         = "left mime_type NULL for %d file(s) whose meta.content_type is not a non-empty string"
	sizeBadMetaNotice  = "left size and mime_type NULL for %d file(s) whose meta is not valid JSON"
	fileMetaNotJSONRaw = "this is {not JSON"
)

// metaCase is one meta value and what a backfill makes of it. ids are
// fixed-width lower-case so every collation sorts them alike.
type metaCase struct {
	id       string
	meta     any    // JSON text, or nil for NULL
	want     string // the backfilled column ("<nil>" for NULL)
	reported bool   // counted in the step's notice
}

func insertMetaCases(t *testing.T, d *migtest.DB, cases []metaCase) {
	t.Helper()
	rows := make([]fileRow, len(cases))
	for i, c := range cases {
		rows[i] = fileRow{id: c.id, path: "/data/" + c.id, meta: c.meta}
	}
	insertFileRows(t, d, rows)
}

// checkMetaCases compares col with each case and checks the notice names
// exactly the reported cases.
func checkMetaCases(t *testing.T, d *migtest.DB, col string, cases []metaCase, notices []string, notice string) {
	t.Helper()
	want := map[string]string{}
	var reported []string
	for _, c := range cases {
		want[c.id] = c.want
		if c.reported {
			reported = append(reported, c.id)
		}
	}
	requireFileColumn(t, d, col, want)
	requireSkipNotice(t, notices, notice, reported)
}

func TestUpdateFileTableSizeBackfill(t *testing.T) {
	cases := []metaCase{
		{id: "s01", meta: `{"size": 123, "name": "a.pdf"}`, want: "123"},
		{id: "s02", meta: `{"size": 0}`, want: "0"},
		{id: "s03", meta: `{"size": 5000000000}`, want: "5000000000"},
		{id: "s04", meta: `{"size": -1}`, want: "<nil>", reported: true},
		{id: "s05", meta: `{"size": 12.5}`, want: "<nil>", reported: true},
		{id: "s06", meta: `{"size": 12.0}`, want: "<nil>", reported: true},
		{id: "s07", meta: `{"size": "123"}`, want: "<nil>", reported: true},
		{id: "s08", meta: `{"size": true}`, want: "<nil>", reported: true},
		{id: "s09", meta: `{"size": {"bytes": 1}}`, want: "<nil>", reported: true},
		{id: "s10", meta: `{"name": "no size"}`, want: "<nil>"},
		{id: "s11", meta: `{"size": null}`, want: "<nil>"},
		{id: "s12", meta: nil, want: "<nil>"},
		{id: "s13", meta: `[1, 2]`, want: "<nil>"},
		{id: "s14", meta: `{"size": 99999999999999999999}`, want: "<nil>", reported: true},
		{id: "s15", meta: `{"size": 1000000000000000000}`, want: "<nil>", reported: true}, // 19 digits: beyond every dialect's limit
		{id: "s16", meta: `{"size": 999999999999999999}`, want: "999999999999999999"},
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileSize)
		insertMetaCases(t, d, cases)
		notices := d.Up()
		checkMetaCases(t, d, "size", cases, notices, sizeNotice)
		for id, h := range fileColumn(t, d, "hash") {
			if h != "<nil>" {
				t.Fatalf("file %s: hash = %q, want NULL (content is not read)", id, h)
			}
		}
	})
}

func TestUpdateFileTableMimeTypeBackfill(t *testing.T) {
	longest := "application/" + strings.Repeat("x", 255-len("application/")) // 255 characters
	cases := []metaCase{
		{id: "m01", meta: `{"content_type": "application/pdf"}`, want: "application/pdf"},
		{id: "m02", meta: `{"content_type": "text/plain; charset=utf-8"}`, want: "text/plain; charset=utf-8"},
		{id: "m03", meta: fmt.Sprintf(`{"content_type": %q}`, longest), want: longest},
		{id: "m04", meta: `{"content_type": ""}`, want: "<nil>", reported: true},
		{id: "m05", meta: `{"content_type": 42}`, want: "<nil>", reported: true},
		{id: "m06", meta: `{"content_type": ["text/plain"]}`, want: "<nil>", reported: true},
		{id: "m07", meta: fmt.Sprintf(`{"content_type": %q}`, longest+"y"), want: "<nil>", reported: true},
		{id: "m08", meta: `{"content_type": null}`, want: "<nil>"},
		{id: "m09", meta: `{"size": 1}`, want: "<nil>"},
		{id: "m10", meta: nil, want: "<nil>"},
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileSize)
		insertMetaCases(t, d, cases)
		notices := d.Up()
		checkMetaCases(t, d, "mime_type", cases, notices, mimeNotice)
	})
}

// A number in exponent form is an integer only where the database keeps
// no other form of it (PostgreSQL's jsonb turns 1e3 into 1000); elsewhere
// it is left NULL and reported. Either way the step does not fail.
func TestUpdateFileTableSizeExponentMeta(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileSize)
		insertFileRows(t, d, []fileRow{{id: "e", meta: `{"size": 1e3}`}})
		notices := d.Up()
		switch got := fileColumn(t, d, "size")["e"]; got {
		case "1000":
			requireNoNoticeWith(t, notices, "meta.size")
		case "<nil>":
			requireSkipNotice(t, notices, sizeNotice, []string{"e"})
		default:
			t.Fatalf("size = %q, want 1000 or NULL", got)
		}
	})
}

// SQLite stores text that is not JSON in a JSON column; the others refuse
// it on insert, so there is nothing to check there.
func TestUpdateFileTableSizeInvalidJSONMeta(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileSize)
		insertFileRows(t, d, []fileRow{{id: "good", meta: `{"size": 7, "content_type": "text/plain"}`}})
		if err := d.G.Exec("INSERT INTO "+d.Q("file")+" ("+d.Q("id")+", "+d.Q("meta")+") VALUES (?, ?)", "bad", fileMetaNotJSONRaw).Error; err != nil {
			t.Skipf("%s refuses meta that is not JSON: %v", dl, err)
		}
		notices := d.Up()
		requireFileColumn(t, d, "size", map[string]string{"good": "7", "bad": "<nil>"})
		requireFileColumn(t, d, "mime_type", map[string]string{"good": "text/plain", "bad": "<nil>"})
		requireSkipNotice(t, notices, sizeBadMetaNotice, []string{"bad"})
		if got := fileColumn(t, d, "meta")["bad"]; got != fileMetaNotJSONRaw {
			t.Fatalf("meta of file bad = %q, want it untouched", got)
		}
	})
}

func TestUpdateFileTableSizeSeveralBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFileSize)
		n := 2*dialect.BatchSize + 3
		rows := make([]fileRow, n)
		sizes, mimes := map[string]string{}, map[string]string{}
		var badSize []string
		for i := range rows {
			id := fmt.Sprintf("f%06d", i)
			meta := fmt.Sprintf(`{"size": %d, "content_type": "type/%d"}`, i, i)
			sizes[id], mimes[id] = fmt.Sprint(i), fmt.Sprintf("type/%d", i)
			if i%1000 == 999 {
				meta = fmt.Sprintf(`{"size": "%d", "content_type": "type/%d"}`, i, i)
				sizes[id] = "<nil>"
				badSize = append(badSize, id)
			}
			rows[i] = fileRow{id: id, path: "/data/" + id, meta: meta}
		}
		insertFileRows(t, d, rows)
		schema := d.Snapshot()
		metas := fileColumn(t, d, "meta")

		notices, p := upWithProgress(t, d, revFileSize)
		requireBatches(t, dl, p, int64(n))
		requireFileColumn(t, d, "size", sizes)
		requireFileColumn(t, d, "mime_type", mimes)
		requireSkipNotice(t, notices, sizeNotice, badSize)
		requireNoNoticeWith(t, notices, "mime_type")

		d.Down()
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the step", "after its down")
		requireFileColumn(t, d, "meta", metas) // the source values are still there
	})
}
