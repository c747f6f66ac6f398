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
	"strings"
	"time"

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
// JSON and a SQLite text column each would keep it differently.
func canonicalJSON(s string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	if dec.More() {
		return "", fmt.Errorf("trailing data after JSON value")
	}
	var b strings.Builder
	writeJSON(&b, v)
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, v[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case string:
		writeJSONString(b, v)
	case json.Number:
		b.WriteString(canonicalNumber(string(v)))
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	}
}

var jsonEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	jsonEscaper.WriteString(b, s)
	b.WriteByte('"')
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
