package main

import (
	"context"
	"fmt"
	"io"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/lint"
	"github.com/openwebui-go/schema/migrations"
	"github.com/spf13/cobra"
)

func (a *app) planCommand() *cobra.Command {
	var to string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan [--to REV] [--json]",
		Short: "Show what the pending steps would do, lock and rewrite on the database, without running them",
		Long: `plan shows, for each step up would apply (up to --to, else HEAD), the ops it
makes and their statements, and for each table touched: its row estimate and
size from the live catalog, the lock each op takes on the database's dialect
and for how long, whether the table is rewritten, and an estimated duration
from throughput measured per dialect and kind of work. ` + "`up --dry-run`" + ` is the
same.

On PostgreSQL and MySQL/MariaDB the steps are run, with the runner, on a
scratch database made beside the database on the same server (named
schema_scratch_..., dropped when plan ends): the statements shown are those
up will run there. That needs permission to create a database; without it
the steps are run on an in-memory SQLite database instead and the plan says
that its statements are in SQLite's form. On SQLite they always are. The
database itself is only read.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&to, "to", "", "plan the steps up to and including REV (an ID, or head)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as one JSON document")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if cmd.Flags().Changed("to") {
			_, err := revision("--to", to, false)
			return err
		}
		return nil
	}
	cmd.RunE = a.withDB(func(ctx context.Context, d *db.Database) error {
		return a.plan(ctx, d, to, asJSON)
	})
	return cmd
}

// plan prints the plan of d's pending steps up to to ("" for HEAD).
func (a *app) plan(ctx context.Context, d *db.Database, to string, asJSON bool) error {
	chain, err := migrations.Chain()
	if err != nil {
		return err
	}
	applied, err := appliedSteps(ctx, d, chain)
	if err != nil {
		return err
	}
	end := len(chain)
	if to != "" {
		id, err := db.Revision("--to", to, false)
		if err != nil {
			return err
		}
		for i, s := range chain {
			if s.ID == id {
				end = i + 1
			}
		}
		if end < applied {
			return fmt.Errorf("revision %s is already applied (the database is at %s); nothing to plan", to, chain[applied-1].ID)
		}
	}
	p, err := lint.BuildPlan(ctx, chain, applied, end, d)
	if err != nil {
		return err
	}
	p.Database = d.String()
	if asJSON {
		return writeJSON(a.stdout, p)
	}
	return renderPlan(a.stdout, p)
}

func renderPlan(w io.Writer, p lint.Plan) error {
	fmt.Fprintf(w, "plan for database %s (%s): %s pending\n", p.Database, p.Dialect, plural(len(p.Steps), "step"))
	if p.Fallback != "" {
		fmt.Fprintf(w, "statements: in SQLite's form, because %s\n", p.Fallback)
	} else {
		fmt.Fprintf(w, "statements: as up will run them, captured on a %s database\n", p.StatementsFrom)
	}
	fmt.Fprintf(w, "estimates: %s\n", lint.EstimatesNote(p.Dialect))
	for _, s := range p.Steps {
		mode := "not online (in one transaction where the dialect has them)"
		if s.Online {
			mode = "online"
		}
		fmt.Fprintf(w, "\nstep %s (%s), %s: estimated %s\n", s.ID, s.Name, mode, lint.FormatSeconds(s.Seconds))
		for _, op := range s.Ops {
			size := "new table, no rows"
			switch {
			case op.Table == "":
				size = "table not known"
			case !op.New && op.Rows < 0:
				size = "size unknown"
			case !op.New:
				size = fmt.Sprintf("about %d rows", op.Rows)
				if op.Bytes >= 0 {
					size += fmt.Sprintf(", %s", bytesOf(op.Bytes))
				}
			}
			rewrite := "no"
			if op.Rewrite {
				rewrite = "yes"
			}
			fmt.Fprintf(w, "  %s %s (%s): rewrite %s, estimated %s\n", op.Kind, orDash(op.Table), size, rewrite, lint.FormatSeconds(op.Seconds))
			for _, part := range op.Parts {
				hold := "held for the whole operation"
				if w := whileWork[part.Work]; w != "" {
					hold += " (while " + w + ")"
				}
				if part.Brief {
					hold = "brief"
				}
				extra := ""
				if part.Rewrite {
					extra += ", rewrites the table"
				}
				if part.Seconds > 0 {
					extra += ", estimated " + lint.FormatSeconds(part.Seconds)
				}
				fmt.Fprintf(w, "    %s: lock %s, %s%s\n", part.Part, part.Lock, hold, extra)
			}
			for _, st := range op.Statements {
				fmt.Fprintf(w, "    sql: %s\n", st)
			}
		}
	}
	_, err := fmt.Fprintf(w, "\nestimated total: %s\n", lint.FormatSeconds(p.Seconds))
	return err
}

// whileWork says what a lock held for a whole part is held through.
var whileWork = map[string]string{
	dialect.WorkRewrite: "the table is rewritten",
	dialect.WorkIndex:   "the index is built",
	dialect.WorkScan:    "every row is read",
	dialect.WorkWrite:   "the rows are written",
}

func bytesOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
