package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/migrations"
)

// historyEntry is one step of `history --json`.
type historyEntry struct {
	ID      string `json:"id"`
	Revises string `json:"revises"`
	Name    string `json:"name"`
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// whereIs is the closing line of a run: where the database now stands.
func whereIs(database, rev string) string {
	if rev == "" {
		return fmt.Sprintf("database %s is at base (no revision applied)", database)
	}
	return fmt.Sprintf("database %s is at %s (%s)", database, rev, position(rev))
}

// position says how rev relates to HEAD: "head" or "N pending".
func position(rev string) string {
	chain, err := migrations.Chain()
	if err != nil {
		return "?"
	}
	for i, s := range chain {
		if s.ID == rev {
			if pending := len(chain) - 1 - i; pending > 0 {
				return fmt.Sprintf("%d pending", pending)
			}
			return "head"
		}
	}
	return "unknown revision"
}

func renderHistory(w io.Writer, entries []historyEntry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREVISES\tNAME")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.ID, orDash(e.Revises), e.Name)
	}
	return tw.Flush()
}

func renderStatus(w io.Writer, st db.Status) error {
	current := "(none)"
	if st.Current != "" {
		current = st.Current + " (" + position(st.Current) + ")"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "database\t%s\n", st.Database)
	fmt.Fprintf(tw, "current\t%s\n", current)
	fmt.Fprintf(tw, "head\t%s\n", st.Head)
	if st.Alembic != nil {
		fmt.Fprintf(tw, "alembic_version\t%s\n", alembicLine(st))
	}
	if len(st.UnrecordedTables) > 0 {
		fmt.Fprintf(tw, "unrecorded\t%s: up and down refuse this database; run \"schema adopt\"\n", st.UnrecordedSummary())
	}
	if st.Unfinished != nil {
		fmt.Fprintf(tw, "unfinished\t%s\n", st.Unfinished.Summary)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tAPPLIED AT\tCHECKSUM\tNAME")
	changed, unrecorded, amended := 0, 0, 0
	for _, s := range st.Steps {
		state, at, sum := "pending", "", ""
		if s.Applied {
			state = "applied"
			sum = checksumCell(s)
			switch {
			case s.Changed:
				changed++
			case s.Checksum == "":
				unrecorded++
			case s.Amended != "":
				amended++
			}
		}
		if s.AppliedAt != nil {
			at = s.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, state, at, sum, s.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case changed == 1:
		fmt.Fprintln(w, "\n1 applied step was CHANGED after it was applied: restore it as it was, or if the change is deliberate and the database needs nothing more, run `schema up --accept-changed` to record its new checksum")
	case changed > 1:
		fmt.Fprintf(w, "\n%d applied steps were CHANGED after they were applied: restore them as they were, or if the changes are deliberate and the database needs nothing more, run `schema up --accept-changed` to record their new checksums\n", changed)
	}
	if amended > 0 {
		fmt.Fprintf(w, "\n%s ran here in an earlier released version, since amended (see `status --json`): the next up or down records the code's checksum\n", plural(amended, "step"))
	}
	if unrecorded > 0 {
		fmt.Fprintf(w, "\n%s applied before checksums were recorded: the next up or down records the code's\n", plural(unrecorded, "step"))
	}
	return nil
}

// checksumCell is an applied step's recorded checksum, short, and whether
// the code still matches it.
func checksumCell(s db.StepStatus) string {
	switch {
	case s.Checksum == "":
		return "not recorded"
	case s.Changed:
		return fmt.Sprintf("%s CHANGED (code: %s)", shortSum(s.Checksum), shortSum(s.CodeChecksum))
	case s.Amended != "":
		return fmt.Sprintf("%s amended (code: %s)", shortSum(s.Checksum), shortSum(s.CodeChecksum))
	default:
		return shortSum(s.Checksum)
	}
}

// shortSum is a checksum's first 12 hex digits, like a short commit hash.
func shortSum(sum string) string { return sum[:min(12, len(sum))] }

// renderAccepted lists the changed steps whose new checksums a run
// recorded (--accept-changed).
func renderAccepted(w io.Writer, accepted []db.ChangedStep) {
	for _, c := range accepted {
		fmt.Fprintf(w, "accepted changed step %s %s: recorded its new checksum %s (was %s)\n",
			c.ID, c.Name, shortSum(c.Code), shortSum(c.Recorded))
	}
}

// verifyReport is `verify --json`: the db report with empty lists as []
// rather than null, and the verdict spelled out for scripts.
type verifyReport struct {
	db.VerifyReport
	OK bool `json:"ok"`
}

func verifyJSON(r db.VerifyReport) verifyReport {
	if r.Chain == nil {
		r.Chain = []db.Difference{}
	}
	if r.Live == nil {
		r.Live = []db.Difference{}
	}
	return verifyReport{VerifyReport: r, OK: r.OK()}
}

func renderVerify(w io.Writer, database string, r db.VerifyReport) error {
	fmt.Fprintf(w, "database %s (%s)\n", database, r.Dialect)
	renderDifferences(w, "chain at head vs models", r.Chain)
	if !r.LiveChecked {
		fmt.Fprintf(w, "live database vs models: not compared: %s\n", r.LiveNote)
	} else {
		renderDifferences(w, "live database vs models", r.Live)
	}
	if len(r.ChangedSteps) > 0 {
		fmt.Fprintf(w, "applied steps vs code: %s changed after they ran here (restore them, or accept with up --accept-changed)\n", plural(len(r.ChangedSteps), "step"))
		for _, c := range r.ChangedSteps {
			fmt.Fprintf(w, "  %s %s: recorded checksum %s, the code's is %s\n", c.ID, c.Name, shortSum(c.Recorded), shortSum(c.Code))
		}
	}
	return nil
}

// renderDifferences lists diffs one per line, grouped by table.
func renderDifferences(w io.Writer, title string, diffs []db.Difference) {
	if len(diffs) == 0 {
		fmt.Fprintf(w, "%s: no differences\n", title)
		return
	}
	fmt.Fprintf(w, "%s: %s\n", title, plural(len(diffs), "difference"))
	for i, d := range diffs {
		if i == 0 || diffs[i-1].Table != d.Table {
			fmt.Fprintf(w, "  %s\n", d.Table)
		}
		fmt.Fprintf(w, "    %s: %s\n", d.Object, d.Detail)
	}
}

// driftError is verify's failure, if any: drift, or a live database that
// could not be compared because it is behind.
func driftError(r db.VerifyReport) error {
	if r.OK() {
		return nil
	}
	var reasons []string
	if n := len(r.Chain); n > 0 {
		reasons = append(reasons, fmt.Sprintf("the chain at head differs from the models in %s", plural(n, "way")))
	}
	if n := len(r.Live); n > 0 {
		if r.LiveChecked {
			reasons = append(reasons, fmt.Sprintf("the live database differs from the models in %s", plural(n, "way")))
		} else {
			reasons = append(reasons, "the live database was not compared: "+r.LiveNote)
		}
	}
	if n := len(r.ChangedSteps); n > 0 {
		reasons = append(reasons, fmt.Sprintf("%s applied to the live database changed since (see schema status)", plural(n, "step")))
	}
	return errors.New("drift found: " + strings.Join(reasons, "; "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatDuration rounds a step's duration to what a person reads.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
