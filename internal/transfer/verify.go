package transfer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"golang.org/x/sync/errgroup"
)

// verify reads both sides in full and compares every table's row count
// and column digests, then the records and the target's drift check. sc
// is the copy's scan (nil for --verify-only): the source is then digested
// as it was written (fixes applied, rows left out), which is what the
// target must hold.
func (s *session) verify(ctx context.Context, sc *scanResult, sum *Summary) error {
	type sides struct{ src, tgt *tableDigest }
	digests := make([]sides, len(s.tables))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(2, s.opt.Workers*2))
	for i, t := range s.tables {
		g.Go(func() error {
			d, err := s.digestSource(gctx, sc, t)
			mu.Lock()
			digests[i].src = d
			mu.Unlock()
			return err
		})
		g.Go(func() error {
			d, err := s.digestTarget(gctx, t)
			mu.Lock()
			digests[i].tgt = d
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	ok := true
	sum.Tables = sum.Tables[:0]
	for i, t := range s.tables {
		a, b := digests[i].src, digests[i].tgt
		ts := TableSummary{Name: t.name(), SourceRows: a.rows, TargetRows: b.rows, Digest: b.digest(), Match: true}
		for c := range a.columns {
			if a.columns[c] != b.columns[c] {
				ts.Columns = append(ts.Columns, t.shape.Columns[c].Name)
			}
		}
		switch {
		case a.rows != b.rows:
			ts.Match = false
			sum.Differences = append(sum.Differences, fmt.Sprintf("table %s: %d row(s) to copy from the source, %d in the target", t.name(), a.rows, b.rows))
		case len(ts.Columns) > 0:
			ts.Match = false
			sum.Differences = append(sum.Differences, fmt.Sprintf("table %s: the content of column(s) %v differs", t.name(), ts.Columns))
		}
		ok = ok && ts.Match
		sum.Tables = append(sum.Tables, ts)
	}
	srcRec, err := s.src.Records(ctx)
	if err != nil {
		return fmt.Errorf("verify: read the source's records: %w", err)
	}
	tgtRec, err := s.tgt.Records(ctx)
	if err != nil {
		return fmt.Errorf("verify: read the target's records: %w", err)
	}
	sum.RecordsMatch = srcRec.Equal(tgtRec)
	if !sum.RecordsMatch {
		sum.Differences = append(sum.Differences, "the records (schema_migrations, alembic_version) differ")
	}
	drift, err := s.tgt.CompareWithChain(ctx, s.rev)
	if err != nil {
		return fmt.Errorf("verify: the drift check of the target: %w", err)
	}
	sum.Drift = drift
	sum.Verified = ok && sum.RecordsMatch && len(drift) == 0
	return nil
}

func (s *session) digestSource(ctx context.Context, sc *scanResult, t *table) (*tableDigest, error) {
	d := newTableDigest(len(t.types))
	lim, fixes := dialect.Limits{}, Fixes{}
	if sc != nil {
		lim, fixes = scanned(sc.lim), s.opt.Fixes
	}
	start := time.Now()
	err := s.sourceReader(t).eachAhead(ctx, nil, func(rows [][]any) error {
		for _, raw := range rows {
			if sc.skipped(t, raw) {
				continue
			}
			row, _, problems := convert(t, raw, lim, fixes, sc.nulled(t, raw))
			if len(problems) > 0 {
				return fmt.Errorf("row %s of %s in the source: %s", displayKey(t, raw), t.name(), problems[0].Reason)
			}
			if err := d.add(t.types, row, t.pk); err != nil {
				return err
			}
		}
		return nil
	})
	s.rep.Progress(Progress{Phase: "verify", Table: t.name() + " (source)", Done: d.rows, Total: d.rows, Elapsed: time.Since(start), Finished: true})
	return d, err
}

func (s *session) digestTarget(ctx context.Context, t *table) (*tableDigest, error) {
	d := newTableDigest(len(t.types))
	start := time.Now()
	err := s.targetReader(t).eachAhead(ctx, nil, func(rows [][]any) error {
		for _, raw := range rows {
			row, _, problems := convert(t, raw, dialect.Limits{}, Fixes{}, nil)
			if len(problems) > 0 {
				return fmt.Errorf("row %s of %s in the target: %s", displayKey(t, raw), t.name(), problems[0].Reason)
			}
			if err := d.add(t.types, row, t.pk); err != nil {
				return err
			}
		}
		return nil
	})
	s.rep.Progress(Progress{Phase: "verify", Table: t.name() + " (target)", Done: d.rows, Total: d.rows, Elapsed: time.Since(start), Finished: true})
	return d, err
}
