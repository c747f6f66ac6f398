package transfer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/openwebui-go/schema/internal/dialect"
	"golang.org/x/sync/errgroup"
)

// BadRow is a source row the target cannot hold as it is.
type BadRow struct {
	Table  string `json:"table"`
	Key    string `json:"key"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

func (r BadRow) String() string {
	col := ""
	if r.Column != "" {
		col = " column " + r.Column
	}
	return fmt.Sprintf("%s %s%s %s", r.Table, r.Key, col, r.Reason)
}

// BadRowsError refuses a copy: rows the target cannot hold, and no choice
// made for them. Nothing was written.
type BadRowsError struct {
	Rows    []BadRow         // the first few per table
	ByTable map[string]int64 // how many in all, per table
}

func (e *BadRowsError) Unwrap() error { return ErrRefused }

func (e *BadRowsError) Error() string {
	var total int64
	tables := make([]string, 0, len(e.ByTable))
	for t, n := range e.ByTable {
		total += n
		tables = append(tables, fmt.Sprintf("%s %d", t, n))
	}
	sort.Strings(tables)
	var rows []string
	for _, r := range e.Rows {
		rows = append(rows, r.String())
	}
	return fmt.Sprintf("%v: %d source row(s) cannot go to the target as they are (%s): %s; nothing was written. "+
		"Fix them in the source, or choose: --strip-nul drops NUL bytes, --replace-bad-utf8 replaces invalid bytes, "+
		"--skip-rows FILE leaves the rest out and lists them in FILE",
		ErrRefused, total, strings.Join(tables, ", "), strings.Join(rows, "; "))
}

// shownPerTable is how many bad rows per table an error lists.
const shownPerTable = 5

// scanResult is what the scan found: the source's row counts, and what
// happens to each row the target cannot hold as it is.
type scanResult struct {
	mu      sync.Mutex
	counts  map[string]int64
	bytes   map[string]int64            // about how much each table holds
	skip    map[string]map[string]bool  // table -> row key -> left out
	setNull map[string]map[string][]int // table -> row key -> columns set to NULL
	fixed   map[string]int64            // fix -> rows
	bad     []BadRow
	byTable map[string]int64
	// parents: rows left out, by table, with the values of the columns
	// foreign keys point at, so their children follow.
	parents map[string][][]any
	report  *json.Encoder
	lim     dialect.Limits
}

func (sc *scanResult) fixedTotals() map[string]int64 {
	if len(sc.fixed) == 0 {
		return nil
	}
	return sc.fixed
}

func (sc *scanResult) skipped(t *table, raw []any) bool {
	return sc != nil && sc.skip[t.name()][keyString(raw, t.pk)]
}

func (sc *scanResult) nulled(t *table, raw []any) []int {
	if sc == nil || len(sc.setNull[t.name()]) == 0 {
		return nil
	}
	return sc.setNull[t.name()][keyString(raw, t.pk)]
}

// convert turns a source row into the row written to the target: each
// value normalized, checked against lim, fixed as fx allows, and the
// columns in null set to NULL. problems lists what still cannot go.
func convert(t *table, raw []any, lim dialect.Limits, fx Fixes, null []int) (out []any, applied []string, problems []BadRow) {
	out = make([]any, len(raw))
	for i, v := range raw {
		if len(null) > 0 && containsInt(null, i) {
			continue
		}
		n, err := normalize(t.types[i], v)
		if err != nil {
			problems = append(problems, BadRow{Column: t.shape.Columns[i].Name, Reason: err.Error()})
			continue
		}
		c, fixes, why := carry(t.types[i], n, lim, fx)
		if why != "" {
			problems = append(problems, BadRow{Column: t.shape.Columns[i].Name, Reason: why})
			continue
		}
		out[i] = c
		applied = append(applied, fixes...)
	}
	return out, applied, problems
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// displayKey names a row by its primary key, readably.
func displayKey(t *table, raw []any) string {
	var parts []string
	for _, i := range t.pk {
		parts = append(parts, t.shape.Columns[i].Name+"="+displayValue(raw[i]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func displayValue(v any) string {
	switch v := v.(type) {
	case []byte:
		return fmt.Sprintf("%q", clip(string(v)))
	case string:
		return fmt.Sprintf("%q", clip(v))
	}
	return fmt.Sprint(v)
}

// scan reads every source row once before anything is written. Rows the
// target cannot hold refuse the copy, unless a fix or --skip-rows says
// what to do with them.
func (s *session) scan(ctx context.Context) (*scanResult, error) {
	sc := &scanResult{
		counts: map[string]int64{}, bytes: map[string]int64{}, skip: map[string]map[string]bool{}, setNull: map[string]map[string][]int{},
		fixed: map[string]int64{}, byTable: map[string]int64{}, parents: map[string][][]any{},
		lim: dialect.LimitsOf(s.td),
	}
	if s.opt.SkipFile != "" {
		f, err := os.OpenFile(s.opt.SkipFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open the file for skipped rows: %w", err)
		}
		defer f.Close()
		sc.report = json.NewEncoder(f)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opt.Workers)
	for _, t := range s.tables {
		g.Go(func() error { return s.scanTable(gctx, sc, t) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := s.danglingKeys(ctx, sc); err != nil {
		return nil, err
	}
	if len(sc.byTable) > 0 && sc.report == nil {
		return nil, &BadRowsError{Rows: sc.bad, ByTable: sc.byTable}
	}
	return sc, nil
}

func (s *session) scanTable(ctx context.Context, sc *scanResult, t *table) error {
	r := s.sourceReader(t)
	var n, size int64
	fixed := map[string]int64{}
	err := r.eachAhead(ctx, nil, func(rows [][]any) error {
		for _, raw := range rows {
			n++
			size += int64(approxSize(raw))
			_, applied, problems := convert(t, raw, sc.lim, s.opt.Fixes, nil)
			if len(problems) > 0 {
				for i := range problems {
					problems[i].Table, problems[i].Key = t.name(), displayKey(t, raw)
				}
				if err := sc.leaveOut(t, raw, problems); err != nil {
					return err
				}
				continue
			}
			for _, f := range uniq(applied) {
				fixed[f]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.counts[t.name()] = n
	sc.bytes[t.name()] = size
	for f, k := range fixed {
		sc.fixed[f] += k
	}
	return nil
}

func uniq(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:0:0]
	for _, v := range s {
		if !containsString(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// leaveOut notes a row that cannot go: listed for the refusal, or, with
// --skip-rows, left out and written to the report.
func (sc *scanResult) leaveOut(t *table, raw []any, problems []BadRow) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	k := keyString(raw, t.pk)
	if sc.skip[t.name()][k] {
		return nil
	}
	sc.byTable[t.name()]++
	if sc.byTable[t.name()] <= shownPerTable {
		sc.bad = append(sc.bad, problems[0])
	}
	if sc.report == nil {
		return nil
	}
	if sc.skip[t.name()] == nil {
		sc.skip[t.name()] = map[string]bool{}
	}
	sc.skip[t.name()][k] = true
	sc.fixed[FixSkipped]++
	var refs []any
	for _, i := range t.refs {
		refs = append(refs, raw[i])
	}
	if len(t.refs) > 0 {
		sc.parents[t.name()] = append(sc.parents[t.name()], refs)
	}
	return sc.report.Encode(map[string]any{"table": t.name(), "key": displayKey(t, raw), "action": "skipped", "problems": problems, "row": reportRow(t, raw)})
}

// reportRow is a skipped row as the report keeps it: text as text, bytes
// that are not UTF-8 as base64, so nothing of it is lost.
func reportRow(t *table, raw []any) map[string]any {
	out := map[string]any{}
	for i, v := range raw {
		name := t.shape.Columns[i].Name
		switch v := v.(type) {
		case []byte:
			if utf8.Valid(v) {
				out[name] = string(v)
			} else {
				out[name] = map[string]string{"base64": base64.StdEncoding.EncodeToString(v)}
			}
		case string:
			if utf8.ValidString(v) {
				out[name] = v
			} else {
				out[name] = map[string]string{"base64": base64.StdEncoding.EncodeToString([]byte(v))}
			}
		case time.Time:
			out[name] = v.UTC().Format(time.RFC3339Nano)
		default:
			out[name] = v
		}
	}
	return out
}

func (s *session) sourceReader(t *table) *reader {
	return &reader{g: s.src.DB, d: s.sd, t: t, batchRows: s.opt.BatchRows, batchBytes: s.opt.BatchBytes}
}

func (s *session) targetReader(t *table) *reader {
	return &reader{g: s.tgt.DB, d: s.td, t: t, batchRows: s.opt.BatchRows, batchBytes: s.opt.BatchBytes}
}
