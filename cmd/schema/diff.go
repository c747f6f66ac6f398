package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/openwebui-go/schema/db"
	"github.com/spf13/cobra"
)

// Exit codes of diff, as diff(1) has them.
const (
	diffSame   = 0
	diffFound  = 1
	diffFailed = 2
)

func (a *app) diffCommand() *cobra.Command {
	var live, asJSON bool
	cmd := &cobra.Command{
		Use:   "diff [--live] [--json]",
		Short: "List how the models differ from the chain's HEAD, or from the live database",
		Long: `diff lists how the models differ from the chain's HEAD, built on a scratch
database of the chosen database's dialect (the embedded default: SQLite), or,
with --live, from the database itself. One line per difference, grouped by
table; "in models but missing from chain" is what the next step must add.

Exit codes, as diff(1) has them: 0 no differences, 1 differences, 2 error.`,
		Args: noArgs,
	}
	cmd.Flags().BoolVar(&live, "live", false, "compare with the live database instead of the chain's HEAD")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		err := a.withDB(func(ctx context.Context, d *db.Database) error {
			rep, err := d.Diff(ctx, live)
			if err != nil {
				return err
			}
			if asJSON {
				err = writeJSON(a.stdout, diffJSON{DiffReport: rep, OK: len(rep.Differences) == 0})
			} else {
				err = renderDiff(a.stdout, rep)
			}
			if err != nil {
				return err
			}
			if n := len(rep.Differences); n > 0 {
				return &exitError{code: diffFound, err: fmt.Errorf("the models differ from %s in %s", againstName(rep), plural(n, "way"))}
			}
			return nil
		})(cmd, args)
		if err == nil {
			return nil
		}
		if e := (*exitError)(nil); errors.As(err, &e) {
			return err
		}
		return &exitError{code: diffFailed, err: err}
	}
	return cmd
}

type diffJSON struct {
	db.DiffReport
	OK bool `json:"ok"`
}

func againstName(r db.DiffReport) string {
	if r.Against == db.AgainstLive {
		return "the live database"
	}
	return "the chain's HEAD"
}

func renderDiff(w io.Writer, r db.DiffReport) error {
	fmt.Fprintf(w, "database %s (%s)\n", r.Database, r.Dialect)
	if r.Note != "" {
		fmt.Fprintf(w, "note: %s\n", r.Note)
	}
	title := "models vs chain at head"
	if r.Against == db.AgainstLive {
		title = "models vs live database"
	}
	renderDifferences(w, title, r.Differences)
	return nil
}
