package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/transfer"
	"github.com/spf13/cobra"
)

// copyMemoryLimit is the copy's soft memory limit (runtime/debug).
const copyMemoryLimit = 96 << 20

func (a *app) copyCommand() *cobra.Command {
	var (
		from, to   string
		opt        transfer.Options
		verifyOnly bool
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "copy --from URL [--to URL]",
		Short: "Copy a whole database to another server or dialect, and verify the copy",
		Long: `copy moves every row of every table, at the revision the source is at,
into a target that is empty (the chain builds the schema first) or at that
revision with empty tables; the records come along. The source is only
read. Rows the target cannot hold as they are refuse the copy, listed by
table and key, unless a flag says what to do with them. Afterwards both
sides are compared: row counts, a content digest of every column, the
records, and the target's drift check.

An interrupted copy is finished by running the same command again: the
tables done are kept, the one in flight goes on after its last committed
key. A second copy into the same target is refused while one runs.

The target is --to, else --database-url, else DATABASE_URL.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&from, "from", "", "the source database URL (only read)")
	cmd.Flags().StringVar(&to, "to", "", "the target database URL (default: --database-url, else $DATABASE_URL)")
	cmd.Flags().BoolVar(&opt.Fixes.StripNUL, "strip-nul", false, "drop NUL bytes (and \\u0000 in JSON) from text bound for PostgreSQL")
	cmd.Flags().BoolVar(&opt.Fixes.ReplaceBadUTF8, "replace-bad-utf8", false, "replace bytes that are not valid UTF-8 with U+FFFD")
	cmd.Flags().StringVar(&opt.SkipFile, "skip-rows", "", "leave out rows that still cannot go, writing each to this file (JSON lines); their children follow their foreign key's ON DELETE rule")
	cmd.Flags().BoolVar(&verifyOnly, "verify-only", false, "only compare the two databases (for a move made some other way)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as one JSON document (progress as JSON lines on stderr)")
	cmd.Flags().IntVar(&opt.Workers, "workers", 2, "tables loaded at once")
	cmd.Flags().IntVar(&opt.BatchRows, "batch-rows", 5000, "rows per batch (one read query and one transaction each)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if strings.TrimSpace(from) == "" {
			return usagef("give the source with --from URL")
		}
		if to == "" {
			to = a.databaseURL
		}
		if to == "" {
			to = os.Getenv("DATABASE_URL")
		}
		if strings.TrimSpace(to) == "" {
			return usagef("give the target with --to URL (or --database-url, or DATABASE_URL)")
		}
		for _, u := range []string{from, to} {
			if err := db.CheckURL(u); err != nil {
				return &usageError{err}
			}
		}
		if opt.Workers < 1 || opt.BatchRows < 1 {
			return usagef("--workers and --batch-rows must be at least 1")
		}
		if verifyOnly && (opt.SkipFile != "" || opt.Fixes != (transfer.Fixes{})) {
			return usagef("--verify-only compares only; --strip-nul, --replace-bad-utf8 and --skip-rows belong to a copy")
		}
		return nil
	}
	cmd.RunE = work(func(cmd *cobra.Command, _ []string) error {
		// A few batches are all a copy holds; a soft limit keeps the
		// garbage collector from letting the heap grow past it in
		// between (memory stays flat whatever the database's size).
		debug.SetMemoryLimit(copyMemoryLimit)
		opt.From, opt.To = from, to
		rep := newCopyReporter(a.stderr, a.tty, asJSON)
		opt.Reporter = rep
		run := transfer.Copy
		if verifyOnly {
			run = transfer.VerifyOnly
		}
		sum, err := run(cmd.Context(), opt)
		rep.clear()
		if sum.Revision != "" && (err == nil || sum.Tables != nil) {
			if asJSON {
				if werr := writeJSON(a.stdout, sum); werr != nil {
					return werr
				}
			} else {
				renderCopy(a.stdout, sum, verifyOnly)
			}
		}
		return err
	})
	return cmd
}

// renderCopy prints what a copy or a verification did.
func renderCopy(w io.Writer, s transfer.Summary, verifyOnly bool) {
	if verifyOnly {
		fmt.Fprintf(w, "compared %s with %s at revision %s\n", s.Source, s.Target, s.Revision)
	} else {
		resumed := ""
		if s.Resumed {
			resumed = " (resumed)"
		}
		fmt.Fprintf(w, "copied %s to %s at revision %s%s\n", s.Source, s.Target, s.Revision, resumed)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  table\tsource rows\ttarget rows\tdigest\t")
	for _, t := range s.Tables {
		mark := ""
		if !t.Match {
			mark = "DIFFERS"
			if len(t.Columns) > 0 {
				mark += " in " + strings.Join(t.Columns, ", ")
			}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\n", t.Name, t.SourceRows, t.TargetRows, t.Digest, mark)
	}
	tw.Flush()
	for _, k := range []string{transfer.FixStripNUL, transfer.FixReplaceUTF8, transfer.FixSkipped, transfer.FixSetNull} {
		if n := s.Fixed[k]; n > 0 {
			fmt.Fprintf(w, "  %s: %d row(s)\n", fixWords[k], n)
		}
	}
	if s.SkipFile != "" && (s.Fixed[transfer.FixSkipped] > 0 || s.Fixed[transfer.FixSetNull] > 0) {
		fmt.Fprintf(w, "  rows left out or changed are listed in %s\n", s.SkipFile)
	}
	timing := fmt.Sprintf("verification %s", formatDuration(secs(s.VerifySeconds)))
	if !verifyOnly {
		timing = fmt.Sprintf("copy %s, %s", formatDuration(secs(s.CopySeconds)), timing)
	}
	if s.Verified {
		fmt.Fprintf(w, "verified: every table's row count and content digest match, the records match, and the target has no drift (%s)\n", timing)
		return
	}
	for _, d := range s.Differences {
		fmt.Fprintf(w, "  differs: %s\n", d)
	}
	for _, d := range s.Drift {
		fmt.Fprintf(w, "  drift: %s\n", d)
	}
}

var fixWords = map[string]string{
	transfer.FixStripNUL:    "NUL bytes dropped (--strip-nul)",
	transfer.FixReplaceUTF8: "invalid UTF-8 replaced (--replace-bad-utf8)",
	transfer.FixSkipped:     "left out (--skip-rows)",
	transfer.FixSetNull:     "key set to NULL as its ON DELETE SET NULL says (--skip-rows)",
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// copyReporter shows a copy's progress: on a terminal, one self-overwriting
// line with the table, rows, rows/s and ETA, and a line per finished table;
// with --json, every event as a JSON line; otherwise nothing.
type copyReporter struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	json    bool
	last    time.Time
	onLine  bool
	started map[string]time.Time
}

func newCopyReporter(w io.Writer, tty, asJSON bool) *copyReporter {
	return &copyReporter{w: w, tty: tty, json: asJSON, started: map[string]time.Time{}}
}

func (r *copyReporter) Phase(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.json:
		r.event(map[string]any{"phase": name})
	case r.tty:
		r.clearLocked()
		fmt.Fprintf(r.w, "%s...\n", name)
	}
}

func (r *copyReporter) Progress(p transfer.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json {
		r.event(map[string]any{"phase": p.Phase, "table": p.Table, "done": p.Done, "total": p.Total, "finished": p.Finished, "seconds": p.Elapsed.Seconds()})
		return
	}
	if !r.tty {
		return
	}
	rate := 0.0
	if p.Elapsed > 0 {
		rate = float64(p.Done) / p.Elapsed.Seconds()
	}
	if p.Finished {
		r.clearLocked()
		if p.Phase == "load" {
			fmt.Fprintf(r.w, "  %s: %d rows (%s, %.0f rows/s)\n", p.Table, p.Done, formatDuration(p.Elapsed), rate)
		}
		return
	}
	now := time.Now()
	if now.Sub(r.last) < 200*time.Millisecond {
		return
	}
	r.last = now
	line := fmt.Sprintf("  %s: %d of %d rows, %.0f rows/s", p.Table, p.Done, p.Total, rate)
	if rate > 0 && p.Total > p.Done {
		line += ", ETA " + formatDuration(time.Duration(float64(p.Total-p.Done)/rate*float64(time.Second)))
	}
	fmt.Fprintf(r.w, "\r\033[K%s", line)
	r.onLine = true
}

func (r *copyReporter) event(v map[string]any) {
	b, err := json.Marshal(v)
	if err == nil {
		fmt.Fprintf(r.w, "%s\n", b)
	}
}

func (r *copyReporter) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
}

func (r *copyReporter) clearLocked() {
	if r.onLine {
		fmt.Fprint(r.w, "\r\033[K")
		r.onLine = false
	}
}

var _ transfer.Reporter = (*copyReporter)(nil)
