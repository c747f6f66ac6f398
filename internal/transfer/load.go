package transfer

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"golang.org/x/sync/errgroup"
)

// load writes every table not yet done, a few at a time, each through its
// own connection readied for loading. It returns the rows written per
// table by this run.
func (s *session) load(ctx context.Context, b *book, sc *scanResult) (map[string]int64, error) {
	sqlDB, err := s.tgt.DB.DB()
	if err != nil {
		return nil, err
	}
	if dialect.DropsForeignKeysToLoad(s.td) {
		// Dropped on every run, added back (and so checked) by finish:
		// a rerun after a crash anywhere in between ends the same.
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range s.tables {
			for _, f := range t.shape.ForeignKeys {
				if err := dialect.DropForeignKey(ctx, s.td, conn, t.name(), f.Name); err != nil {
					conn.Close()
					return nil, fmt.Errorf("drop foreign key %s of %s for the load: %w", f.Name, t.name(), err)
				}
			}
		}
		conn.Close()
	}
	var mu sync.Mutex
	copied := map[string]int64{}
	// The biggest tables first, so that they load side by side rather
	// than the last one alone.
	order := slices.Clone(s.tables)
	slices.SortStableFunc(order, func(a, b *table) int { return cmp.Compare(sc.bytes[b.name()], sc.bytes[a.name()]) })
	queue := make(chan *table, len(order))
	for _, t := range order {
		queue <- t
	}
	close(queue)
	g, gctx := errgroup.WithContext(ctx)
	for range s.opt.Workers {
		g.Go(func() error {
			conn, err := sqlDB.Conn(gctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			restore, err := dialect.LoadSession(gctx, s.td, conn)
			if err != nil {
				return fmt.Errorf("ready a target connection for loading: %w", err)
			}
			defer restore(context.WithoutCancel(gctx))
			for t := range queue {
				n, err := s.loadTable(gctx, b, sc, conn, t)
				mu.Lock()
				copied[t.name()] = n
				mu.Unlock()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	return copied, g.Wait()
}

type loadBatch struct {
	rows    [][]any
	lastKey string
}

// loadTable copies one table from where an interrupted copy left it: the
// reader converts batches while the writer loads the previous one.
func (s *session) loadTable(ctx context.Context, b *book, sc *scanResult, conn *sql.Conn, t *table) (int64, error) {
	st, err := b.table(t.name())
	if err != nil {
		return 0, err
	}
	total := sc.counts[t.name()]
	if st.done {
		s.rep.Progress(Progress{Phase: "load", Table: t.name(), Done: st.rows, Total: total, Finished: true})
		return 0, nil
	}
	if !st.exists {
		if err := b.startTable(t.name()); err != nil {
			return 0, err
		}
	}
	var after []any
	if st.lastKey != "" {
		if after, err = decodeKey(st.lastKey); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	lim := scanned(sc.lim)
	done := st.rows
	var copied int64
	batches := make(chan loadBatch, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		return s.sourceReader(t).each(gctx, after, func(raw [][]any) error {
			out := make([][]any, 0, len(raw))
			for _, r := range raw {
				if sc.skipped(t, r) {
					continue
				}
				row, _, problems := convert(t, r, lim, s.opt.Fixes, sc.nulled(t, r))
				if len(problems) > 0 {
					// The scan saw this row fine: the source changed since.
					return fmt.Errorf("row %s of %s changed since the scan: %s; stop whatever writes to the source, then run the same command again",
						displayKey(t, r), t.name(), problems[0].Reason)
				}
				out = append(out, row)
			}
			last := raw[len(raw)-1]
			key := make([]any, len(t.pk))
			for i, k := range t.pk {
				key[i] = last[k]
			}
			enc, err := encodeKey(key)
			if err != nil {
				return err
			}
			select {
			case batches <- loadBatch{rows: out, lastKey: enc}:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	g.Go(func() error {
		loader := dialect.NewLoader(s.td, conn, t.name(), t.shape.Columns)
		q := s.td.Quote(BookTable)
		for bt := range batches {
			err := loader.Load(gctx, bt.rows, func(exec dialect.Exec) error {
				return batchDone(exec, gctx, q, t.name(), bt.lastKey, len(bt.rows))
			})
			if err != nil {
				return err
			}
			copied += int64(len(bt.rows))
			done += int64(len(bt.rows))
			s.rep.Progress(Progress{Phase: "load", Table: t.name(), Done: done, Total: total, Elapsed: time.Since(start)})
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return copied, err
	}
	if err := b.finishTable(t.name()); err != nil {
		return copied, err
	}
	s.rep.Progress(Progress{Phase: "load", Table: t.name(), Done: done, Total: total, Elapsed: time.Since(start), Finished: true})
	return copied, nil
}

// finish makes the target whole: its foreign keys back and checked, and
// the source's records.
func (s *session) finish(ctx context.Context, sc *scanResult) error {
	if dialect.DropsForeignKeysToLoad(s.td) {
		sqlDB, err := s.tgt.DB.DB()
		if err != nil {
			return err
		}
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		for _, t := range s.tables {
			for _, f := range t.shape.ForeignKeys {
				if err := dialect.DropForeignKey(ctx, s.td, conn, t.name(), f.Name); err != nil {
					return err
				}
				if err := dialect.AddForeignKey(ctx, s.td, conn, t.name(), f); err != nil {
					return fmt.Errorf("add foreign key %s of %s back: %w", f.Name, t.name(), err)
				}
			}
		}
	}
	if sc.fixed[FixSkipped]+sc.fixed[FixSetNull] > 0 {
		if err := s.checkTargetKeys(ctx); err != nil {
			return err
		}
	}
	rec, err := s.src.Records(ctx)
	if err != nil {
		return fmt.Errorf("read the source's records: %w", err)
	}
	if err := s.tgt.ReplaceRecords(ctx, rec); err != nil {
		return fmt.Errorf("copy the records: %w", err)
	}
	return nil
}
