package transfer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openwebui-go/schema/db"
)

// targetMode is what a copy finds in its target.
type targetMode int

const (
	targetEmpty  targetMode = iota + 1 // no tables: the chain builds the revision first
	targetReady                        // at the revision, every table empty
	targetResume                       // a copy of the same source was interrupted here
)

// Copy copies opt.From into opt.To and verifies the result. A refused
// copy (ErrRefused, *BadRowsError) wrote nothing; an interrupted one is
// finished by running it again.
func Copy(ctx context.Context, opt Options) (Summary, error) {
	start := time.Now()
	s, err := open(ctx, opt)
	if err != nil {
		return Summary{}, err
	}
	defer s.close()
	sum := Summary{Source: s.src.String(), Target: s.tgt.String(), SkipFile: opt.SkipFile}
	s.rep.Phase("checking the source and the target")
	if err := s.sourceRevision(ctx); err != nil {
		return sum, err
	}
	sum.Revision = s.rev
	mode, err := s.inspectTarget(ctx)
	if err != nil {
		return sum, err
	}
	sum.Resumed = mode == targetResume
	clock := start
	sum.lap("checks", &clock)
	s.rep.Phase("scanning the source for values the target cannot hold")
	sc, err := s.scan(ctx)
	if err != nil {
		return sum, err
	}
	sum.Fixed = sc.fixedTotals()
	sum.lap("scan", &clock)

	// From here on the target is written.
	if mode == targetEmpty {
		s.rep.Phase("creating the schema at " + s.rev + " in the target")
		if _, err := s.tgt.Up(ctx, s.rev, db.Options{}); err != nil {
			return sum, fmt.Errorf("bring the target to %s: %w", s.rev, err)
		}
	}
	sum.lap("schema", &clock)
	b, err := newBook(s.tgt.DB.WithContext(ctx), s.td)
	if err != nil {
		return sum, err
	}
	if err := b.create(); err != nil {
		return sum, err
	}
	if err := b.acquire(); err != nil {
		return sum, err
	}
	defer b.release()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go b.heartbeat(ctx, cancel)
	switch fp, err := b.source(); {
	case err != nil:
		return sum, err
	case fp == "":
		// A copy that started after the checks may have filled the
		// target and finished in between.
		if full, err := s.tablesWithRows(ctx); err != nil || len(full) > 0 {
			if err == nil {
				// Not this copy's target: leave it as the other left it.
				err = errors.Join(refused("the target %s already holds rows in %s (another copy finished into it meanwhile?)", s.tgt, strings.Join(full, ", ")), b.drop())
			}
			return sum, err
		}
		if err := b.setSource(s.fingerprint()); err != nil {
			return sum, err
		}
	case fp != s.fingerprint():
		return sum, refused("the target holds a partial copy of %s, not of %s; copy into a new, empty database, or drop this one's tables", fp, s.fingerprint())
	}

	copied, err := s.load(ctx, b, sc)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			err = cause
		}
		return sum, fmt.Errorf("%w; run the same command again to resume", err)
	}
	sum.lap("load", &clock)
	s.rep.Phase("checking foreign keys and copying the records")
	if err := s.finish(ctx, sc); err != nil {
		return sum, fmt.Errorf("%w; run the same command again to resume", err)
	}
	sum.lap("finish", &clock)
	sum.CopySeconds = since(start)

	vstart := time.Now()
	s.rep.Phase("verifying")
	if err := s.verify(ctx, sc, &sum); err != nil {
		return sum, err
	}
	for i := range sum.Tables {
		sum.Tables[i].Copied = copied[sum.Tables[i].Name]
	}
	sum.VerifySeconds = since(vstart)
	sum.lap("verify", &clock)
	if !sum.Verified {
		return sum, &MismatchError{Summary: sum}
	}
	if err := b.drop(); err != nil {
		return sum, err
	}
	return sum, nil
}

// VerifyOnly compares opt.From and opt.To as Copy's last phase does, for
// a move made some other way: row counts and content digests of every
// table, the records, and the target's drift check. Neither side is
// written.
func VerifyOnly(ctx context.Context, opt Options) (Summary, error) {
	start := time.Now()
	s, err := open(ctx, opt)
	if err != nil {
		return Summary{}, err
	}
	defer s.close()
	sum := Summary{Source: s.src.String(), Target: s.tgt.String()}
	if err := s.sourceRevision(ctx); err != nil {
		return sum, err
	}
	sum.Revision = s.rev
	s.rep.Phase("verifying")
	if err := s.verify(ctx, nil, &sum); err != nil {
		return sum, err
	}
	sum.VerifySeconds = since(start)
	if !sum.Verified {
		return sum, &MismatchError{Summary: sum}
	}
	return sum, nil
}

// inspectTarget decides whether the target can take the copy, reading
// only: anything in the way is named.
func (s *session) inspectTarget(ctx context.Context) (targetMode, error) {
	g := s.tgt.DB.WithContext(ctx)
	hasBook, err := bookExists(g)
	if err != nil {
		return 0, fmt.Errorf("inspect the target: %w", err)
	}
	if hasBook {
		b := &book{g: g, d: s.td}
		fp, err := b.source()
		if err != nil {
			return 0, err
		}
		if fp != "" && fp != s.fingerprint() {
			return 0, refused("the target %s holds a partial copy of %s, not of %s; copy into a new, empty database, or drop this one's tables", s.tgt, fp, s.fingerprint())
		}
		if fp != "" {
			cur, err := s.tgt.Current(ctx)
			if err != nil {
				return 0, fmt.Errorf("read the target's records: %w", err)
			}
			if cur != s.rev {
				return 0, refused("the target %s holds a partial copy at %s, but the source is now at %s; copy into a new, empty database", s.tgt, orBase(cur), s.rev)
			}
			return targetResume, nil
		}
	}
	tables, err := s.tgt.Tables(ctx)
	if err != nil {
		return 0, fmt.Errorf("inspect the target: %w", err)
	}
	st, err := s.tgt.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the target's records: %w", err)
	}
	alembic := st.Alembic != nil && *st.Alembic != ""
	if len(tables) == 0 && st.Current == "" && !alembic {
		return targetEmpty, nil
	}
	need := fmt.Sprintf("copy needs an empty database, or one at the source's revision %s with empty tables", s.rev)
	switch {
	case st.Current == "" && alembic:
		return 0, refused("the target %s was migrated by Open WebUI's Alembic migrations (alembic_version is at %s); %s", s.tgt, *st.Alembic, need)
	case len(st.UnrecordedTables) > 0:
		return 0, refused("the target %s has %s; %s", s.tgt, st.UnrecordedSummary(), need)
	case st.Current != s.rev:
		ahead := ""
		if i, j := stepIndex(st, st.Current), stepIndex(st, s.rev); i > j {
			ahead = " (newer than the source)"
		}
		return 0, refused("the target %s is at revision %s%s, the source at %s; %s", s.tgt, orBase(st.Current), ahead, s.rev, need)
	case st.Unfinished != nil:
		return 0, refused("the target %s has leftovers of the unfinished step %s; %s", s.tgt, st.Unfinished.ID, need)
	}
	var extra []string
	for _, name := range tables {
		if !slices.ContainsFunc(s.tables, func(t *table) bool { return strings.EqualFold(t.name(), name) }) {
			extra = append(extra, name)
		}
	}
	full, err := s.tablesWithRows(ctx)
	if err != nil {
		return 0, err
	}
	switch {
	case len(extra) > 0:
		return 0, refused("the target %s holds table(s) %s that revision %s does not have; %s", s.tgt, strings.Join(extra, ", "), s.rev, need)
	case len(full) > 0:
		return 0, refused("the target %s already holds rows in %s; %s", s.tgt, strings.Join(full, ", "), need)
	}
	return targetReady, nil
}

func stepIndex(st db.Status, id string) int {
	return slices.IndexFunc(st.Steps, func(s db.StepStatus) bool { return s.ID == id })
}

func orBase(rev string) string {
	if rev == "" {
		return "base (nothing applied)"
	}
	return rev
}

// tablesWithRows lists the revision's tables that hold rows in the target.
func (s *session) tablesWithRows(ctx context.Context) ([]string, error) {
	var full []string
	for _, t := range s.tables {
		var n []int
		if err := s.tgt.DB.WithContext(ctx).Raw("SELECT 1 FROM " + s.td.Quote(t.name()) + " LIMIT 1").Scan(&n).Error; err != nil {
			return nil, fmt.Errorf("inspect table %s of the target: %w", t.name(), err)
		}
		if len(n) > 0 {
			full = append(full, t.name())
		}
	}
	return full, nil
}
