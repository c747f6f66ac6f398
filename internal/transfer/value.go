package transfer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openwebui-go/schema/internal/dialect"
)

// A value as it travels: nil, string (key, text, JSON), int64 (bigint,
// smallint), bool or time.Time (UTC). Every driver reads into and writes
// from these, so a row read from one dialect is written to another
// without a per-pair conversion.

// normalize turns what a driver returned for a column of logical type t
// into a travelling value. A value the column's type cannot mean (text in
// a SQLite integer column, 2 in a boolean) is an error naming why: the
// copy never guesses.
func normalize(t dialect.Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case dialect.Key, dialect.Text:
		switch v := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		}
	case dialect.JSON:
		switch v := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		case int64:
			// SQLite gives a json column numeric affinity: the JSON text
			// 12 is stored as the integer 12.
			return strconv.FormatInt(v, 10), nil
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, fmt.Errorf("JSON column holds %v, which is not JSON", v)
			}
			return strconv.FormatFloat(v, 'g', -1, 64), nil
		}
	case dialect.BigInt, dialect.SmallInt:
		switch v := v.(type) {
		case int64:
			return v, nil
		case []byte:
			return parseInt(string(v))
		case string:
			return parseInt(v)
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				return int64(v), nil
			}
			return nil, fmt.Errorf("integer column holds %v, which is not an integer", v)
		}
	case dialect.Bool:
		switch v := v.(type) {
		case bool:
			return v, nil
		case int64:
			if v == 0 || v == 1 {
				return v == 1, nil
			}
			return nil, fmt.Errorf("boolean column holds %d, which is neither 0 nor 1", v)
		case []byte:
			return parseBool(string(v))
		case string:
			return parseBool(v)
		}
	case dialect.Timestamptz:
		switch v := v.(type) {
		case time.Time:
			return v.UTC(), nil
		case []byte:
			return parseTime(string(v))
		case string:
			return parseTime(v)
		}
	}
	return nil, fmt.Errorf("%s column holds a %T", t, v)
}

func parseInt(s string) (any, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("integer column holds %q, which is not a 64-bit integer", clip(s))
	}
	return n, nil
}

func parseBool(s string) (any, error) {
	switch s {
	case "0", "false", "FALSE", "f":
		return false, nil
	case "1", "true", "TRUE", "t":
		return true, nil
	}
	return nil, fmt.Errorf("boolean column holds %q", clip(s))
}

// timeLayouts are how a timestamp may be spelt in a SQLite file: the Go
// driver's own form first, then SQLAlchemy's and SQLite's.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseTime(s string) (any, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return nil, fmt.Errorf("timestamp column holds %q, which is not a timestamp", clip(s))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Fixes are the changes the user allowed to values the target cannot hold.
type Fixes struct {
	StripNUL       bool // drop NUL bytes (and \u0000 in JSON strings)
	ReplaceBadUTF8 bool // replace invalid UTF-8 with U+FFFD
}

// Fix names, as the summary counts them.
const (
	FixStripNUL    = "strip-nul"
	FixReplaceUTF8 = "replace-bad-utf8"
	FixSetNull     = "set-null"
	FixSkipped     = "skipped"
)

// scanned is lim without the checks that parse JSON: the scan made them
// on every row, and the load and the verification, which read the rows
// again, need not pay for them twice. (A row changed since would be
// refused by the target itself, never carried altered.)
func scanned(lim dialect.Limits) dialect.Limits {
	lim.JSONParsed, lim.JSONMaxDepth = false, 0
	return lim
}

// carry checks v (a normalized value of type t) against what the target
// holds and applies the allowed fixes. It returns the value to write, the
// fixes it applied, and why the value cannot go if it cannot.
func carry(t dialect.Type, v any, lim dialect.Limits, fx Fixes) (out any, applied []string, problem string) {
	switch v := v.(type) {
	case nil:
		return nil, nil, ""
	case string:
		return carryString(t, v, lim, fx)
	case int64:
		if t == dialect.SmallInt && lim.SmallIntRange && (v < math.MinInt16 || v > math.MaxInt16) {
			return nil, nil, fmt.Sprintf("%d does not fit in a smallint", v)
		}
		return v, nil, ""
	case time.Time:
		if lim.TimeMicros && v.Nanosecond()%1000 != 0 {
			return nil, nil, fmt.Sprintf("timestamp %s has digits below the microsecond, which the target drops", v.Format(time.RFC3339Nano))
		}
		if !lim.MinTime.IsZero() && (v.Before(lim.MinTime) || v.After(lim.MaxTime)) {
			return nil, nil, fmt.Sprintf("timestamp %s is outside the target's range %d-%d", v.Format(time.RFC3339Nano), lim.MinTime.Year(), lim.MaxTime.Year())
		}
		return v, nil, ""
	}
	return v, nil, ""
}

func carryString(t dialect.Type, s string, lim dialect.Limits, fx Fixes) (any, []string, string) {
	var applied []string
	if lim.NoNUL && strings.IndexByte(s, 0) >= 0 {
		if !fx.StripNUL {
			return nil, nil, "holds a NUL byte, which PostgreSQL text cannot store (--strip-nul drops it)"
		}
		s = strings.ReplaceAll(s, "\x00", "")
		applied = append(applied, FixStripNUL)
	}
	if lim.UTF8 && !utf8.ValidString(s) {
		if !fx.ReplaceBadUTF8 {
			return nil, nil, "holds bytes that are not valid UTF-8, which the target's text refuses (--replace-bad-utf8 replaces them with U+FFFD)"
		}
		s = strings.ToValidUTF8(s, "\uFFFD")
		applied = append(applied, FixReplaceUTF8)
	}
	switch t {
	case dialect.Key:
		if lim.KeyChars > 0 && utf8.RuneCountInString(s) > lim.KeyChars {
			return nil, nil, fmt.Sprintf("is %d characters long; the target's varchar(%d) holds %d", utf8.RuneCountInString(s), lim.KeyChars, lim.KeyChars)
		}
	case dialect.JSON:
		if lim.JSONParsed && !json.Valid([]byte(s)) {
			return nil, nil, "is not valid JSON, which the target's JSON type refuses"
		}
		if lim.JSONMaxDepth > 0 {
			if d := jsonDepth(s); d > lim.JSONMaxDepth {
				return nil, nil, fmt.Sprintf("is JSON nested %d levels deep; the target's JSON type takes at most %d", d, lim.JSONMaxDepth)
			}
		}
		if lim.JSONNoNULChar && hasNULEscape(s) {
			if !fx.StripNUL {
				return nil, nil, `holds \u0000 in a JSON string, which PostgreSQL's jsonb refuses (--strip-nul drops it)`
			}
			s = stripNULEscapes(s)
			applied = append(applied, FixStripNUL)
		}
	}
	return s, applied, ""
}

// hasNULEscape reports a \u0000 escape in JSON text (not an escaped
// backslash followed by "u0000").
func hasNULEscape(s string) bool { return strings.Contains(s, `\u0000`) && nulEscapes(s) != nil }

func nulEscapes(s string) []int {
	var at []int
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		if strings.HasPrefix(s[i:], `\u0000`) {
			at = append(at, i)
			i += 5
			continue
		}
		i++ // skip the escaped character
	}
	return at
}

func stripNULEscapes(s string) string {
	at := nulEscapes(s)
	var b bytes.Buffer
	last := 0
	for _, i := range at {
		b.WriteString(s[last:i])
		last = i + 6
	}
	b.WriteString(s[last:])
	return b.String()
}

// jsonDepth is how deeply valid JSON text nests arrays and objects.
func jsonDepth(s string) int {
	depth, deepest := 0, 0
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case in:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}
