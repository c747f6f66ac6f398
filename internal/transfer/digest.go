package transfer

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/openwebui-go/schema/internal/dialect"
)

// A table's digest is order independent: every cell is hashed together
// with its row's primary key, and the hashes of a column are added up
// (modulo 2^128). Two tables digest the same when they hold the same rows,
// whatever order either side reads them in; a differing column is named.
// Values are hashed in a canonical form, the same on every dialect: JSON
// parsed and written with sorted keys and exact numbers, timestamps as UTC
// nanoseconds, booleans as booleans, NULL apart from ''.

type sum128 struct{ hi, lo uint64 }

func (s *sum128) add(h [sha256.Size]byte) {
	lo := binary.BigEndian.Uint64(h[8:16])
	hi := binary.BigEndian.Uint64(h[0:8])
	var carry uint64
	s.lo, carry = addCarry(s.lo, lo)
	s.hi += hi + carry
}

func addCarry(a, b uint64) (uint64, uint64) {
	s := a + b
	if s < a {
		return s, 1
	}
	return s, 0
}

func (s sum128) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.hi)
	binary.BigEndian.PutUint64(b[8:], s.lo)
	return hex.EncodeToString(b[:])
}

// tableDigest accumulates one table's rows.
type tableDigest struct {
	rows    int64
	columns []sum128
	buf     bytes.Buffer
	key     bytes.Buffer
}

func newTableDigest(columns int) *tableDigest {
	return &tableDigest{columns: make([]sum128, columns)}
}

// add takes one row of travelling values; pk holds the indexes of its
// primary key columns.
func (d *tableDigest) add(types []dialect.Type, row []any, pk []int) error {
	d.rows++
	d.key.Reset()
	for _, i := range pk {
		if err := canonical(&d.key, types[i], row[i]); err != nil {
			return err
		}
	}
	for i, v := range row {
		d.buf.Reset()
		d.buf.Write(d.key.Bytes())
		d.buf.WriteByte(0xff)
		if err := canonical(&d.buf, types[i], v); err != nil {
			return err
		}
		d.columns[i].add(sha256.Sum256(d.buf.Bytes()))
	}
	return nil
}

// Digest is the summary's form of a table's digest.
func (d *tableDigest) digest() string {
	h := sha256.New()
	for _, c := range d.columns {
		h.Write([]byte(c.String()))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// canonical appends the canonical encoding of v to b: a tag, then a length
// or fixed-size value, so no two values encode alike.
func canonical(b *bytes.Buffer, t dialect.Type, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteByte('N')
	case string:
		if t == dialect.JSON {
			c, err := canonicalJSON(v)
			if err != nil {
				// The same unparsable text on both sides still matches.
				b.WriteByte('X')
				writeLen(b, len(v))
				b.WriteString(v)
				return nil
			}
			v = c
			b.WriteByte('J')
		} else {
			b.WriteByte('S')
		}
		writeLen(b, len(v))
		b.WriteString(v)
	case int64:
		b.WriteByte('I')
		binary.Write(b, binary.BigEndian, v)
	case bool:
		if v {
			b.WriteString("B1")
		} else {
			b.WriteString("B0")
		}
	case time.Time:
		b.WriteByte('T')
		binary.Write(b, binary.BigEndian, v.Unix())
		binary.Write(b, binary.BigEndian, int32(v.Nanosecond()))
	default:
		return fmt.Errorf("no canonical form for a %T", v)
	}
	return nil
}

func writeLen(b *bytes.Buffer, n int) {
	var l [binary.MaxVarintLen64]byte
	b.Write(l[:binary.PutUvarint(l[:], uint64(n))])
}

// canonicalJSON writes JSON text with sorted keys, no spaces and exact
// numbers (1.50, 1.5 and 15e-1 alike), as PostgreSQL's jsonb, MySQL's
// JSON and a SQLite text column each would keep it differently. Of
// duplicate keys the last counts, as in jsonb. It parses by hand, into
// bytes rather than maps and interfaces: the verification runs it on
// every JSON value of both databases.
func canonicalJSON(s string) (string, error) {
	p := jsonParser{s: s}
	var out []byte
	out, err := p.value(out)
	if err != nil {
		return "", err
	}
	if p.skipSpace(); p.i != len(s) {
		return "", fmt.Errorf("trailing data after JSON value at byte %d", p.i)
	}
	return string(out), nil
}

type jsonParser struct {
	s string
	i int
}

type jsonMember struct {
	key string
	val []byte
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) fail(what string) error {
	return fmt.Errorf("invalid JSON: %s at byte %d", what, p.i)
}

func (p *jsonParser) value(out []byte) ([]byte, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, p.fail("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(out)
	case c == '[':
		p.i++
		out = append(out, '[')
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return append(out, ']'), nil
		}
		for n := 0; ; n++ {
			if n > 0 {
				out = append(out, ',')
			}
			var err error
			if out, err = p.value(out); err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.i >= len(p.s) {
				return nil, p.fail("unterminated array")
			}
			if p.s[p.i] == ']' {
				p.i++
				return append(out, ']'), nil
			}
			if p.s[p.i] != ',' {
				return nil, p.fail("expected , or ]")
			}
			p.i++
		}
	case c == '"':
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		return appendJSONString(out, str), nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.s) && strings.IndexByte("+-0123456789.eE", p.s[p.i]) >= 0 {
			p.i++
		}
		lit := p.s[start:p.i]
		if !json.Valid([]byte(lit)) {
			return nil, p.fail("bad number")
		}
		return append(out, canonicalNumber(lit)...), nil
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(p.s[p.i:], lit) {
				p.i += len(lit)
				return append(out, lit...), nil
			}
		}
		return nil, p.fail("unexpected character")
	}
}

func (p *jsonParser) object(out []byte) ([]byte, error) {
	p.i++ // {
	var members []jsonMember
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return append(out, '{', '}'), nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.fail("expected a key")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.fail("expected :")
		}
		p.i++
		val, err := p.value(nil)
		if err != nil {
			return nil, err
		}
		members = append(members, jsonMember{key, val})
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, p.fail("unterminated object")
		}
		if p.s[p.i] == '}' {
			p.i++
			break
		}
		if p.s[p.i] != ',' {
			return nil, p.fail("expected , or }")
		}
		p.i++
	}
	// Sorted by key; of equal keys the last written wins.
	slices.SortStableFunc(members, func(a, b jsonMember) int { return strings.Compare(a.key, b.key) })
	out = append(out, '{')
	first := true
	for i, m := range members {
		if i+1 < len(members) && members[i+1].key == m.key {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = appendJSONString(out, m.key)
		out = append(out, ':')
		out = append(out, m.val...)
	}
	return append(out, '}'), nil
}

// str reads a string at p.i, returning its unescaped content.
func (p *jsonParser) str() (string, error) {
	p.i++ // "
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			return s, nil
		case c == '\\':
			return p.escapedStr(start)
		case c < 0x20:
			return "", p.fail("control character in string")
		}
		p.i++
	}
	return "", p.fail("unterminated string")
}

// escapedStr finishes a string that holds escapes, decoding them as
// encoding/json does (a lone surrogate becomes U+FFFD).
func (p *jsonParser) escapedStr(start int) (string, error) {
	b := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", p.fail("unterminated escape")
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				if strings.HasPrefix(p.s[p.i:], "\\u") {
					save := p.i
					p.i += 2
					if r2, ok := p.hex4(); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							b = utf8.AppendRune(b, d)
							continue
						}
					}
					p.i = save
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", p.fail("bad escape")
		}
	}
	return "", p.fail("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

func appendJSONString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return append(out, '"')
}

// canonicalNumber spells a JSON number by its exact value. A number with
// an exponent too large to expand is kept as written.
func canonicalNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0"
		}
		return strings.TrimPrefix(s, "+")
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp := strings.TrimLeft(s[i+1:], "+-0")
		if len(exp) > 4 {
			return s
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.String()
}
