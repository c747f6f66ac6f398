package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
)

func TestNormalize(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	cases := []struct {
		name    string
		typ     dialect.Type
		in      any
		want    any
		problem string
	}{
		{"NULL stays NULL", dialect.Text, nil, nil, ""},
		{"empty text stays empty", dialect.Text, "", "", ""},
		{"bytes become text", dialect.Key, []byte("a\xffb"), "a\xffb", ""},
		{"SQLite json integer", dialect.JSON, int64(12), "12", ""},
		{"SQLite json real", dialect.JSON, 1.5, "1.5", ""},
		{"bigint", dialect.BigInt, int64(-9223372036854775808), int64(-9223372036854775808), ""},
		{"MySQL text protocol integer", dialect.BigInt, []byte("42"), int64(42), ""},
		{"text in an integer column", dialect.BigInt, "abc", nil, `integer column holds "abc"`},
		{"real in an integer column", dialect.BigInt, 1.5, nil, "not an integer"},
		{"bool 0", dialect.Bool, int64(0), false, ""},
		{"bool 1", dialect.Bool, int64(1), true, ""},
		{"bool 2 is not merged into true", dialect.Bool, int64(2), nil, "neither 0 nor 1"},
		{"bool as MySQL bytes", dialect.Bool, []byte("1"), true, ""},
		{"time in UTC", dialect.Timestamptz, ts.In(time.FixedZone("x", 3600)), ts, ""},
		{"time as the Go driver writes it", dialect.Timestamptz, "2024-05-06 07:08:09.123456+00:00", ts, ""},
		{"time with an offset", dialect.Timestamptz, "2024-05-06T09:08:09.123456+02:00", ts, ""},
		{"not a time", dialect.Timestamptz, "yesterday", nil, "not a timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := normalize(c.typ, c.in)
			if c.problem != "" {
				if err == nil || !strings.Contains(err.Error(), c.problem) {
					t.Fatalf("normalize(%v) = %v, %v; want an error with %q", c.in, got, err, c.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gt, ok := got.(time.Time); ok {
				if !gt.Equal(c.want.(time.Time)) || gt.Location() != time.UTC {
					t.Fatalf("got %v, want %v in UTC", gt, c.want)
				}
				return
			}
			if got != c.want {
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestCarry(t *testing.T) {
	limitsOf := func(name string) dialect.Limits {
		d, err := dialect.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return dialect.LimitsOf(d)
	}
	pg, my := limitsOf("postgres"), limitsOf("mysql")
	long := strings.Repeat("é", 256)
	cases := []struct {
		name    string
		typ     dialect.Type
		in      any
		lim     dialect.Limits
		fx      Fixes
		want    any
		fixes   string
		problem string
	}{
		{"NUL refused by PostgreSQL", dialect.Text, "a\x00b", pg, Fixes{}, nil, "", "NUL byte"},
		{"NUL stripped", dialect.Text, "a\x00b", pg, Fixes{StripNUL: true}, "ab", FixStripNUL, ""},
		{"NUL fine in MySQL", dialect.Text, "a\x00b", my, Fixes{}, "a\x00b", "", ""},
		{"bad UTF-8 refused", dialect.Text, "a\xffb", my, Fixes{}, nil, "", "not valid UTF-8"},
		{"bad UTF-8 replaced", dialect.Text, "a\xffb", my, Fixes{ReplaceBadUTF8: true}, "a\uFFFDb", FixReplaceUTF8, ""},
		{"anything goes to SQLite", dialect.Text, "a\x00\xff", dialect.Limits{}, Fixes{}, "a\x00\xff", "", ""},
		{"255 characters fit", dialect.Key, long[:len(long)-2], pg, Fixes{}, long[:len(long)-2], "", ""},
		{"256 characters do not", dialect.Key, long, pg, Fixes{}, nil, "", "256 characters"},
		{"text is not bounded", dialect.Text, long, pg, Fixes{}, long, "", ""},
		{"JSON that is not JSON", dialect.JSON, "{oops", my, Fixes{}, nil, "", "not valid JSON"},
		{`\u0000 refused by jsonb`, dialect.JSON, `{"a":"x\u0000y"}`, pg, Fixes{}, nil, "", `\u0000`},
		{`\u0000 stripped`, dialect.JSON, `{"a":"x\u0000y"}`, pg, Fixes{StripNUL: true}, `{"a":"xy"}`, FixStripNUL, ""},
		{`escaped backslash before u0000 is text`, dialect.JSON, `{"a":"\\u0000"}`, pg, Fixes{}, `{"a":"\\u0000"}`, "", ""},
		{`\u0000 fine in MariaDB`, dialect.JSON, `{"a":"\u0000"}`, my, Fixes{}, `{"a":"\u0000"}`, "", ""},
		{"nesting MariaDB takes", dialect.JSON, strings.Repeat("[", 31) + strings.Repeat("]", 31), my, Fixes{}, strings.Repeat("[", 31) + strings.Repeat("]", 31), "", ""},
		{"nesting MariaDB refuses", dialect.JSON, strings.Repeat("[", 32) + strings.Repeat("]", 32), my, Fixes{}, nil, "", "nested 32 levels"},
		{"brackets in strings do not nest", dialect.JSON, `["[[[\"{{"]`, dialect.Limits{JSONMaxDepth: 1}, Fixes{}, `["[[[\"{{"]`, "", ""},
		{"smallint range", dialect.SmallInt, int64(40000), pg, Fixes{}, nil, "", "smallint"},
		{"smallint in SQLite", dialect.SmallInt, int64(40000), dialect.Limits{}, Fixes{}, int64(40000), "", ""},
		{"nanoseconds refused", dialect.Timestamptz, time.Date(2024, 1, 1, 0, 0, 0, 1, time.UTC), pg, Fixes{}, nil, "", "below the microsecond"},
		{"year 999 refused by MySQL", dialect.Timestamptz, time.Date(999, 1, 1, 0, 0, 0, 0, time.UTC), my, Fixes{}, nil, "", "outside the target's range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, fixes, problem := carry(c.typ, c.in, c.lim, c.fx)
			if c.problem != "" {
				if !strings.Contains(problem, c.problem) {
					t.Fatalf("carry(%q) problem %q, want %q", c.in, problem, c.problem)
				}
				return
			}
			if problem != "" {
				t.Fatalf("carry(%q): %s", c.in, problem)
			}
			if gt, ok := got.(time.Time); ok {
				if !gt.Equal(c.want.(time.Time)) {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			} else if got != c.want {
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
			if strings.Join(fixes, ",") != c.fixes {
				t.Fatalf("fixes %v, want %q", fixes, c.fixes)
			}
		})
	}
}

// JSON is compared as JSON: what jsonb, MySQL's JSON and a SQLite text
// column each keep of the same value digests alike; a different value
// does not.
func TestCanonicalJSON(t *testing.T) {
	same := [][]string{
		{`{"b":1,"a":[1,2]}`, `{"a": [1, 2], "b": 1}`},
		{`{"n":1.50}`, `{"n":1.5}`, `{"n":15e-1}`, `{"n":0.15E1}`},
		{`{"n":100}`, `{"n":1e2}`, `{"n":100.0}`},
		{`{"s":"\u00e9"}`, `{"s":"é"}`},
		{`{"a":1,"a":2}`, `{"a":2}`}, // the last of duplicate keys, as jsonb keeps
		{`{"n":-0}`, `{"n":0}`},
	}
	for _, group := range same {
		want, err := canonicalJSON(group[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range group[1:] {
			if got, err := canonicalJSON(s); err != nil || got != want {
				t.Errorf("canonicalJSON(%s) = %s, %v; want %s as for %s", s, got, err, want, group[0])
			}
		}
	}
	differ := [][2]string{
		{`{"n":9007199254740993}`, `{"n":9007199254740992}`},
		{`{"n":1}`, `{"n":"1"}`},
		{`{"a":null}`, `{}`},
		{`[1,2]`, `[2,1]`},
		{`{"n":0.1}`, `{"n":0.10000000000000001}`},
	}
	for _, p := range differ {
		a, _ := canonicalJSON(p[0])
		b, _ := canonicalJSON(p[1])
		if a == b {
			t.Errorf("%s and %s canonicalize alike (%s)", p[0], p[1], a)
		}
	}
}

// The digest is order independent, tells NULL from ” and names the
// column that differs.
func TestTableDigest(t *testing.T) {
	types := []dialect.Type{dialect.Key, dialect.Text, dialect.JSON}
	pk := []int{0}
	digest := func(rows ...[]any) *tableDigest {
		d := newTableDigest(len(types))
		for _, r := range rows {
			if err := d.add(types, r, pk); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	a := digest([]any{"1", "x", `{"a":1,"b":2}`}, []any{"2", nil, nil})
	b := digest([]any{"2", nil, nil}, []any{"1", "x", `{"b":2,"a":1}`})
	if a.digest() != b.digest() {
		t.Fatalf("the same rows in another order digest differently")
	}
	c := digest([]any{"1", "x", `{"a":1,"b":2}`}, []any{"2", "", nil})
	if a.digest() == c.digest() {
		t.Fatalf("NULL and '' digest alike")
	}
	if a.columns[1] == c.columns[1] || a.columns[0] != c.columns[0] || a.columns[2] != c.columns[2] {
		t.Fatalf("only column 1 should differ")
	}
	// Swapping values between rows is a difference, though every column
	// holds the same values.
	d := digest([]any{"1", nil, `{"a":1,"b":2}`}, []any{"2", "x", nil})
	if a.columns[1] == d.columns[1] {
		t.Fatalf("values moved between rows digest alike")
	}
}

func TestKeyEncoding(t *testing.T) {
	for _, key := range [][]any{{"plain"}, {"a\xff\x00b", int64(-5)}, {[]byte("bytes"), "x"}} {
		enc, err := encodeKey(key)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(enc, "[") || bytes.ContainsRune([]byte(enc), 0) {
			t.Fatalf("encoded key %q is not plain JSON text", enc)
		}
		got, err := decodeKey(enc)
		if err != nil {
			t.Fatal(err)
		}
		for i := range key {
			want := key[i]
			if b, ok := want.([]byte); ok {
				want = string(b)
			}
			if got[i] != want {
				t.Fatalf("key %q round-trips to %q", key, got)
			}
		}
	}
	if _, err := decodeKey(`["x1"]`); err == nil {
		t.Fatal("an unknown key value was accepted")
	}
}

func TestKeyAfter(t *testing.T) {
	where, args := keyAfter([]string{`"a"`, `"b"`}, []any{"x", "y"})
	if where != `(("a" > ?) OR ("a" = ? AND "b" > ?))` || len(args) != 3 {
		t.Fatalf("keyAfter = %s %v", where, args)
	}
}

// The hand-written canonical form agrees with one built on encoding/json
// (decode, then write with sorted keys) on the edge-value fixture's JSON
// and on JSON in odd spellings.
func TestCanonicalJSONMatchesEncodingJSON(t *testing.T) {
	corpus := []string{
		`{}`, `[]`, `""`, `0`, `-0`, `true`, `null`, ` { "b" : [ 1 , 2.50 , { } ] , "a" : "x" } `,
		`{"a":"\u00e9\ud83d\ude00\n\t\"\\\/"}`, `{"lone":"\ud800x"}`, `{"k":1,"k":2,"j":{"k":3,"k":[4]}}`,
		`[1E+2, 1.5e-7, 6.02214076e23, 18446744073709551616, 123456789012345678901234567890]`,
		`{"` + strings.Repeat("z", 300) + `":[[[[[[[[[[]]]]]]]]]]}`,
	}
	rows, err := fixtures.EdgeRows(headShapes(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range rows {
		for i, c := range tb.Table.Columns {
			if c.Type != dialect.JSON {
				continue
			}
			for _, r := range tb.Rows {
				if s, ok := r[i].(string); ok {
					corpus = append(corpus, s)
				}
			}
		}
	}
	for _, s := range corpus {
		want, err := referenceCanonicalJSON(s)
		if err != nil {
			t.Fatalf("reference on %.60q: %v", s, err)
		}
		got, err := canonicalJSON(s)
		if err != nil || got != want {
			t.Fatalf("canonicalJSON(%.80q)\n got %.200q, %v\nwant %.200q", s, got, err, want)
		}
	}
	for _, bad := range []string{`{`, `{"a"}`, `[1,]`, `"\x01"`, `01x`, `{"a":1} x`, `tru`} {
		if got, err := canonicalJSON(bad); err == nil {
			t.Errorf("canonicalJSON(%q) = %q, want an error", bad, got)
		}
	}
}

func referenceCanonicalJSON(s string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var b strings.Builder
	var write func(v any)
	str := func(s string) { b.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`) }
	write = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := slices.Sorted(maps.Keys(v))
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				str(k)
				b.WriteByte(':')
				write(v[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				write(e)
			}
			b.WriteByte(']')
		case string:
			str(v)
		case json.Number:
			b.WriteString(canonicalNumber(string(v)))
		case bool:
			fmt.Fprint(&b, v)
		case nil:
			b.WriteString("null")
		}
	}
	write(v)
	return b.String(), nil
}

func headShapes(t *testing.T) []dialect.Table {
	t.Helper()
	shapes, err := db.ShapesAt(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return shapes
}
