package migrations

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Text that is not UTF-8 is bad data a step leaves as it found it. Go's
// encoding/json would turn each such byte into U+FFFD when decoding or
// encoding, so different IDs or names could become one; these helpers
// keep bytes exact instead. Only SQLite can hold such text: PostgreSQL and
// MySQL refuse it (jsonb and MySQL's json_valid also refuse the escapes of
// unpaired surrogates).

// exactJSONString is s as a JSON string literal, written as encoding/json
// writes it (without HTML escaping) when s is UTF-8. Bytes that are not
// UTF-8 are copied as they are, so SQLite's JSON functions, which take
// string contents byte for byte, read back exactly s.
func exactJSONString(s string) []byte {
	if utf8.ValidString(s) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s) // a string always encodes
		return bytes.TrimRight(b.Bytes(), "\n")
	}
	out := []byte{'"'}
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			out = append(out, s[0])
			s = s[1:]
			continue
		}
		// The longest valid run, encoded as UTF-8 text is, without its quotes.
		end := n
		for end < len(s) {
			r, m := utf8.DecodeRuneInString(s[end:])
			if r == utf8.RuneError && m == 1 {
				break
			}
			end += m
		}
		quoted := exactJSONString(s[:end])
		out = append(out, quoted[1:len(quoted)-1]...)
		s = s[end:]
	}
	return append(out, '"')
}

// exactJSONText decodes a valid JSON string literal exactly: ok is false
// when its bytes are not UTF-8 or it escapes an unpaired surrogate (which
// decodes to U+FFFD in Go and to bytes that are not UTF-8 in SQLite).
func exactJSONText(raw []byte) (string, bool) {
	inner := raw[1 : len(raw)-1]
	if !utf8.Valid(inner) {
		return "", false
	}
	i := bytes.IndexByte(inner, '\\')
	if i < 0 {
		return string(inner), true
	}
	for ; i < len(inner); i++ {
		if inner[i] != '\\' {
			continue
		}
		i++
		if inner[i] != 'u' {
			continue
		}
		u := jsonEscapeUnit(inner[i+1 : i+5])
		i += 4
		switch {
		case u >= 0xDC00 && u <= 0xDFFF:
			return "", false // a low surrogate with no high one before it
		case u >= 0xD800 && u <= 0xDBFF:
			if i+6 >= len(inner) || inner[i+1] != '\\' || inner[i+2] != 'u' {
				return "", false
			}
			if low := jsonEscapeUnit(inner[i+3 : i+7]); low < 0xDC00 || low > 0xDFFF {
				return "", false
			}
			i += 6
		}
	}
	var s string
	_ = json.Unmarshal(raw, &s) // cannot fail on a valid literal
	return s, true
}

// jsonEscapeUnit is the code unit of the four hex digits of a \u escape.
func jsonEscapeUnit(hex []byte) uint64 {
	u, _ := strconv.ParseUint(string(hex), 16, 16)
	return u
}
