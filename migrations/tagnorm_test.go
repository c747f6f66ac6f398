package migrations

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeTag(t *testing.T) {
	cases := []struct {
		in, id, trimmed string
		ok              bool
	}{
		{"work", "work", "work", true},
		{"  Work  ", "work", "Work", true},
		{"Side   Project", "side_project", "Side   Project", true},
		{"a \t\n b", "a_b", "a \t\n b", true},
		{"ÉTÉ Ärger", "été_ärger", "ÉTÉ Ärger", true}, // unicode-aware, unlike SQLite's lower()
		{"ΣΟΦΙΑ", "σοφια", "ΣΟΦΙΑ", true},
		{"\u00a0nbsp\u2003em\u00a0", "nbsp_em", "nbsp\u2003em", true}, // non-ASCII white space
		{"already_snake", "already_snake", "already_snake", true},
		{"x  _  y", "x___y", "x  _  y", true},
		{"", "", "", false},
		{"   ", "", "", false},
		{"\t\n\u3000", "", "", false},
	}
	for _, c := range cases {
		id, trimmed, ok := normalizeTag(c.in)
		if id != c.id || trimmed != c.trimmed || ok != c.ok {
			t.Errorf("normalizeTag(%q) = %q, %q, %v; want %q, %q, %v", c.in, id, trimmed, ok, c.id, c.trimmed, c.ok)
		}
	}
}

func TestTagsParseObjectKeepsRawText(t *testing.T) {
	in := ` { "b" : 12345678901234567890 , "t\u0061gs":[ "x" ], "a":{"z":1,"y":[1.50]} } `
	members, err := tagsParseObject([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var keys, raws []string
	for _, m := range members {
		keys = append(keys, m.key)
		raws = append(raws, string(m.rawKey)+"="+string(m.value))
	}
	if got := strings.Join(keys, ","); got != "b,tags,a" {
		t.Fatalf("keys = %s", got)
	}
	want := `"b"=12345678901234567890|"t\u0061gs"=[ "x" ]|"a"={"z":1,"y":[1.50]}`
	if got := strings.Join(raws, "|"); got != want {
		t.Fatalf("members = %s\nwant      %s", got, want)
	}
	if got := string(tagsWriteObject(members)); got != `{"b":12345678901234567890,"t\u0061gs":[ "x" ],"a":{"z":1,"y":[1.50]}}` {
		t.Fatalf("tagsWriteObject = %s", got)
	}
	for in, want := range map[string]error{`{"a":`: errTagsNotJSON, `{"a":1} x`: errTagsNotJSON, `[1]`: errTagsNotObject, `"s"`: errTagsNotObject, `null`: errTagsNotObject, ``: errTagsNotJSON} {
		if _, err := tagsParseObject([]byte(in)); err != want {
			t.Errorf("tagsParseObject(%q) error = %v, want %v", in, err, want)
		}
	}
}

func TestExtractTags(t *testing.T) {
	cases := []struct {
		name, in, out string // out "" means the payload is not rewritten
		tags          string // id=name pairs
		pinned        bool
		flags         string
	}{
		{name: "strings only", in: `{"title":"x","tags":["B","a"],"n":1e400}`, out: `{"title":"x","n":1e400}`, tags: "b=B a=a"},
		{name: "duplicates", in: `{"tags":["Work","work "," WORK","Work"]}`, out: `{}`, tags: "work=WORK"},
		{name: "mixed", in: `{"tags":[ 7 , "x", {"k":"v"}, null ]}`, out: `{"tags":[7,{"k":"v"},null]}`, tags: "x=x", flags: "nonString"},
		{name: "only non-strings", in: `{"tags":[1,2]}`, flags: "nonString"},
		{name: "empty array", in: `{"a":1,"tags":[]}`, out: `{"a":1}`},
		{name: "pinned", in: `{"tags":[" Pinned ","p"]}`, out: `{}`, tags: "p=p", pinned: true},
		{name: "blank", in: `{"tags":["", "  ", "ok"]}`, out: `{}`, tags: "ok=ok", flags: "empty"},
		{name: "too long", in: `{"tags":["` + strings.Repeat("é", 256) + `","ok"]}`, out: `{"tags":["` + strings.Repeat("é", 256) + `"]}`, tags: "ok=ok", flags: "tooLong"},
		{name: "255 is fine", in: `{"tags":["` + strings.Repeat("é", 255) + `"]}`, out: `{}`, tags: strings.Repeat("é", 255) + "=" + strings.Repeat("é", 255)},
		{name: "no tags", in: `{"title":"t"}`},
		{name: "not an array", in: `{"tags":"a"}`, flags: "notArray"},
		{name: "null tags", in: `{"tags":null}`, flags: "notArray"},
		{name: "two tags keys", in: `{"tags":["a"],"tags":["b"]}`, flags: "duplicateKey"},
		{name: "invalid", in: `{"tags":["a"`, flags: "invalid"},
		{name: "not an object", in: `["a"]`, flags: "notObject"},
		// Bytes that are not UTF-8, and escapes of unpaired surrogates,
		// decode to U+FFFD (or to bytes that are not UTF-8): two
		// different tags would merge. They stay, byte for byte.
		{name: "not UTF-8", in: "{\"tags\":[\"a\xffb\",\"A\xfeB\",\"ok\"]}", out: "{\"tags\":[\"a\xffb\",\"A\xfeB\"]}", tags: "ok=ok", flags: "badText"},
		{name: "unpaired surrogates", in: `{"tags":["x\ud800","\udc00x","\ud800\u0041","\ud83d\ude00 \u00e9"]}`, out: `{"tags":["x\ud800","\udc00x","\ud800\u0041"]}`, tags: "😀_é=😀 é", flags: "badText"},
		{name: "only bad text", in: "{\"tags\":[\"\xc3\"]}", flags: "badText"},
		{name: "replacement character is text", in: `{"tags":["\ufffd","�"]}`, out: `{}`, tags: "�=�"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r tagsUpReports
			x := extractTags([]byte(c.in), &r)
			if string(x.payload) != c.out {
				t.Errorf("payload = %s, want %s", x.payload, c.out)
			}
			var tags []string
			for _, tg := range x.tags {
				tags = append(tags, tg.id+"="+tg.name)
			}
			if got := strings.Join(tags, " "); got != c.tags {
				t.Errorf("tags = %q, want %q", got, c.tags)
			}
			if x.pinned != c.pinned {
				t.Errorf("pinned = %v", x.pinned)
			}
			var flags []string
			for name, on := range map[string]bool{"nonString": x.nonString, "tooLong": x.tooLong, "empty": x.empty, "badText": x.badText,
				"invalid": x.problem == &r.invalid, "notObject": x.problem == &r.notObject,
				"notArray": x.problem == &r.notArray, "duplicateKey": x.problem == &r.duplicateKey} {
				if on {
					flags = append(flags, name)
				}
			}
			if got := strings.Join(flags, ","); got != c.flags {
				t.Errorf("flags = %q, want %q", got, c.flags)
			}
		})
	}
}

func TestAppendTagNames(t *testing.T) {
	names := []string{"a<b", "Zed"}
	cases := []struct {
		in    string
		valid bool
		out   string
		err   bool
	}{
		{in: "", valid: false, out: `{"tags":["a<b","Zed"]}`},
		{in: "null", valid: true, out: `{"tags":["a<b","Zed"]}`},
		{in: `{"x":1.0}`, valid: true, out: `{"x":1.0,"tags":["a<b","Zed"]}`},
		{in: `{"tags":[7,{"k":1}],"x":2}`, valid: true, out: `{"tags":[7,{"k":1},"a<b","Zed"],"x":2}`},
		{in: `{"tags":null}`, valid: true, out: `{"tags":["a<b","Zed"]}`},
		{in: `{"tags":"s"}`, valid: true, err: true},
		{in: `[1]`, valid: true, err: true},
		{in: `{"tags":`, valid: true, err: true},
		{in: `{"tags":[],"tags":[]}`, valid: true, err: true},
	}
	for _, c := range cases {
		got, err := appendTagNames([]byte(c.in), c.valid, names)
		if (err != nil) != c.err || string(got) != c.out {
			t.Errorf("appendTagNames(%q) = %s, %v; want %s (error %v)", c.in, got, err, c.out, c.err)
		}
	}
	// A name that is not UTF-8 (SQLite holds any bytes) goes back byte
	// for byte, not as U+FFFD.
	got, err := appendTagNames([]byte(`{}`), true, []string{"a\xffb\"\n\u2028"})
	if want := "{\"tags\":[\"a\xffb\\\"\\n\\u2028\"]}"; err != nil || string(got) != want {
		t.Errorf("appendTagNames with bytes that are not UTF-8 = %q, %v; want %q", got, err, want)
	}
}

func TestExactJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "a<b>&c", "quote\" back\\slash", "\x00\x01\b\f\n\r\t\x1f\x7f", "\u2028\u2029", "é😀", "\xff", "a\xc3", "\xed\xa0\x80", "\xef\xbf\xbd"} {
		got := exactJSONString(s)
		if !json.Valid(got) {
			t.Errorf("exactJSONString(%q) = %q: not valid JSON", s, got)
		}
		if strings.ToValidUTF8(s, "") == s {
			want, _ := json.Marshal(s)
			want = []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(want)))
			if string(got) != string(want) {
				t.Errorf("exactJSONString(%q) = %s, want %s as encoding/json writes it", s, got, want)
			}
			continue
		}
		// Bytes that are not UTF-8 pass through, so SQLite's json
		// functions read back exactly s.
		if !strings.Contains(string(got), s) {
			t.Errorf("exactJSONString(%q) = %q: the bytes did not pass through", s, got)
		}
	}
}

// FuzzTagsParseObject checks the structural scanner against encoding/json:
// every valid object parses, and its members put back together hold the
// same value.
func FuzzTagsParseObject(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : [1, {"b":"}]\""}] , "c":"\u00e9\\" } `, `{"tags":["x",1,null,true,false,-1.5e3,{"y":[[]]}]}`,
		`{"a":"b\"}"}`, `[1]`, `{"a":1,}`, `{"a":"\ud83d\ude00"}`, "{\"k\":\"\xff\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want any
		isObject := json.Unmarshal([]byte(s), &want) == nil
		if isObject {
			_, isObject = want.(map[string]any)
		}
		members, err := tagsParseObject([]byte(s))
		if (err == nil) != isObject {
			t.Fatalf("tagsParseObject(%q) error = %v, but encoding/json says object = %v", s, err, isObject)
		}
		if err != nil {
			return
		}
		var got any
		if err := json.Unmarshal(tagsWriteObject(members), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("members of %q put back together give %v (%v), want %v", s, got, err, want)
		}
		for _, m := range members {
			var k string
			if json.Unmarshal(m.rawKey, &k) != nil || k != m.key {
				t.Fatalf("key %s decoded as %q", m.rawKey, m.key)
			}
			if elems, ok := tagsSplitArray(m.value); ok {
				var arr []json.RawMessage
				if json.Unmarshal(m.value, &arr) != nil || len(arr) != len(elems) {
					t.Fatalf("array %s split into %q", m.value, elems)
				}
			}
		}
	})
}

// FuzzNormalizeTag checks normalizeTag (and its ASCII shortcut) against
// another reading of the rule: lower-case, split at white space, join with _.
func FuzzNormalizeTag(f *testing.F) {
	for _, s := range []string{"Work", " a  b ", "A b", "x\ty", "É t", "a_b", "\u00a0", "\xff A", "a\x7fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.Join(strings.Fields(strings.ToLower(s)), "_")
		id, trimmed, ok := normalizeTag(s)
		if id != want || ok != (want != "") || (ok && trimmed != strings.TrimSpace(s)) {
			t.Fatalf("normalizeTag(%q) = %q, %q, %v; want id %q", s, id, trimmed, ok, want)
		}
	})
}
