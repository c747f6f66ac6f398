package transfer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"
)

// table is one table of the copied revision, as the copy reads and writes it.
type table struct {
	shape dialect.Table
	types []dialect.Type
	pk    []int // indexes of the primary key's columns
	// refs are the indexes of the columns other tables' foreign keys
	// point at, kept for rows left out (their children follow).
	refs []int
}

func newTable(shape dialect.Table, all []dialect.Table) (*table, error) {
	t := &table{shape: shape}
	for _, c := range shape.Columns {
		t.types = append(t.types, c.Type)
	}
	if len(shape.PrimaryKey) == 0 {
		return nil, fmt.Errorf("table %s has no primary key, which a copy reads in key order", shape.Name)
	}
	for _, k := range shape.PrimaryKey {
		t.pk = append(t.pk, t.index(k))
	}
	seen := map[int]bool{}
	for _, o := range all {
		for _, f := range o.ForeignKeys {
			if f.RefTable != shape.Name {
				continue
			}
			for _, c := range f.RefColumns {
				if i := t.index(c); !seen[i] {
					seen[i] = true
					t.refs = append(t.refs, i)
				}
			}
		}
	}
	return t, nil
}

func (t *table) name() string { return t.shape.Name }

func (t *table) index(col string) int {
	for i, c := range t.shape.Columns {
		if c.Name == col {
			return i
		}
	}
	return -1
}

// reader reads a table in batches of rows in primary key order, one
// key-range query per batch, so memory holds a batch whatever the size of
// the table, and a read can start after any key.
type reader struct {
	g          *gorm.DB
	d          dialect.Dialect
	t          *table
	batchRows  int
	batchBytes int
}

// each calls fn with every batch of rows after the key after (nil: from
// the start), as the driver returned them.
func (r *reader) each(ctx context.Context, after []any, fn func(rows [][]any) error) error {
	q := r.d.Quote
	cols := make([]string, len(r.t.shape.Columns))
	for i, c := range r.t.shape.Columns {
		cols[i] = q(c.Name)
	}
	var order []string
	for _, i := range r.t.pk {
		order = append(order, cols[i])
	}
	base := fmt.Sprintf("SELECT %s FROM %s", strings.Join(cols, ", "), q(r.t.name()))
	tail := fmt.Sprintf(" ORDER BY %s LIMIT %d", strings.Join(order, ", "), r.batchRows)
	for {
		query, args := base+tail, []any(nil)
		if after != nil {
			where, a := keyAfter(order, after)
			query, args = base+" WHERE "+where+tail, a
		}
		// Through GORM, which writes ? as the dialect's placeholder.
		rows, err := r.g.WithContext(ctx).Raw(query, args...).Rows()
		if err != nil {
			return fmt.Errorf("read %s: %w", r.t.name(), err)
		}
		var batch [][]any
		size := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("read %s: %w", r.t.name(), err)
			}
			batch = append(batch, vals)
			size += approxSize(vals)
			if size >= r.batchBytes {
				break // the next query starts after this row
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", r.t.name(), err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		last := batch[len(batch)-1]
		after = make([]any, len(r.t.pk))
		for i, k := range r.t.pk {
			after[i] = last[k]
		}
	}
}

// eachAhead is each with the next batch read while fn works on the last
// one: the read (the driver, and cgo for SQLite) and the work (checks,
// digests) run on two cores.
func (r *reader) eachAhead(ctx context.Context, after []any, fn func(rows [][]any) error) error {
	batches := make(chan [][]any, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		return r.each(gctx, after, func(rows [][]any) error {
			select {
			case batches <- rows:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	g.Go(func() error {
		for rows := range batches {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

// keyAfter is the condition for rows after key in order's order, written
// out (a > ? OR a = ? AND b > ?) so every dialect uses the key's index.
func keyAfter(order []string, key []any) (string, []any) {
	var ors []string
	var args []any
	for i := range order {
		var ands []string
		for j := range i {
			ands = append(ands, order[j]+" = ?")
			args = append(args, key[j])
		}
		ands = append(ands, order[i]+" > ?")
		args = append(args, key[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

func approxSize(vals []any) int {
	n := 0
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			n += len(v) + 16
		case []byte:
			n += len(v) + 24
		default:
			n += 16
		}
	}
	return n
}

// encodeKey writes a row's key as the copy's bookkeeping keeps it: each
// value's bytes in base64 (a key may hold bytes no text column takes) or
// an integer.
func encodeKey(key []any) (string, error) {
	out := make([]string, len(key))
	for i, v := range key {
		switch v := v.(type) {
		case string:
			out[i] = "s" + base64.StdEncoding.EncodeToString([]byte(v))
		case []byte:
			out[i] = "s" + base64.StdEncoding.EncodeToString(v)
		case int64:
			out[i] = "i" + strconv.FormatInt(v, 10)
		default:
			return "", fmt.Errorf("a key column holds a %T", v)
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func decodeKey(s string) ([]any, error) {
	var in []string
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("read the last copied key %q: %w", clip(s), err)
	}
	out := make([]any, len(in))
	for i, v := range in {
		if v == "" {
			return nil, fmt.Errorf("read the last copied key %q: empty value", clip(s))
		}
		switch v[0] {
		case 's':
			b, err := base64.StdEncoding.DecodeString(v[1:])
			if err != nil {
				return nil, fmt.Errorf("read the last copied key %q: %w", clip(s), err)
			}
			out[i] = string(b)
		case 'i':
			n, err := strconv.ParseInt(v[1:], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("read the last copied key %q: %w", clip(s), err)
			}
			out[i] = n
		default:
			return nil, fmt.Errorf("read the last copied key %q: unknown value %q", clip(s), v)
		}
	}
	return out, nil
}

// keyString is a row's raw key as a map key.
func keyString(row []any, pk []int) string {
	var b strings.Builder
	for _, i := range pk {
		switch v := row[i].(type) {
		case []byte:
			fmt.Fprintf(&b, "s%d:%s", len(v), v)
		case string:
			fmt.Fprintf(&b, "s%d:%s", len(v), v)
		default:
			fmt.Fprintf(&b, "%T:%v;", v, v)
		}
	}
	return b.String()
}
