package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/lint"
	"github.com/openwebui-go/schema/migrations"
	"github.com/spf13/cobra"
)

func (a *app) lintCommand() *cobra.Command {
	var steps, dialectName string
	var asJSON bool
	var largeRows int64
	cmd := &cobra.Command{
		Use:   "lint [--steps new|pending|all] [--dialect sqlite|postgres|mysql] [--large-rows N] [--json]",
		Short: "Report what steps would destroy, break for old replicas, or lock, before they run (exit 1 on errors)",
		Long: `lint runs the chosen steps on a scratch in-memory SQLite database, records
what each does, and judges it for a target dialect: destructive changes
(DS1xx), changes that break replicas still running the old binary (BC2xx),
changes that depend on the rows (DD3xx), locks and rewrites on large tables
(LK4xx) and backfills inside a DDL transaction (TX5xx). No server is needed.

With a database (--database-url or DATABASE_URL), sizes come from its
catalog and unique indexes and NOT NULL changes are checked on its rows; it
is only read.

--steps: new (the steps after the 20 Alembic revisions), pending (those the
database has not applied; needs a database) or all. Default: pending with a
database, else new. --dialect defaults to the database's, else all three.

A finding whose code the step lists in its Allow is reported as allowed.
Exit codes: 0 no error finding, 1 error findings (or lint failed), 2 usage error.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&steps, "steps", "", "which steps: new, pending or all")
	cmd.Flags().StringVar(&dialectName, "dialect", "", "lint for sqlite, postgres or mysql (default: the database's, else all three)")
	cmd.Flags().Int64Var(&largeRows, "large-rows", lint.DefaultLargeRows, "a table with more rows counts as large (lock and rewrite codes)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	cmd.RunE = work(func(cmd *cobra.Command, _ []string) error {
		if steps != "" && !slices.Contains([]string{lint.StepsNew, lint.StepsPending, lint.StepsAll}, steps) {
			return usagef("--steps must be new, pending or all, got %q", steps)
		}
		if dialectName != "" && !slices.Contains(dialect.Names(), dialectName) {
			return usagef("--dialect must be sqlite, postgres or mysql, got %q", dialectName)
		}
		if largeRows < 0 {
			return usagef("--large-rows must not be negative, got %d", largeRows)
		}
		chain, err := migrations.Chain()
		if err != nil {
			return err
		}
		opt := lint.Options{LargeRows: largeRows}
		if dialectName != "" {
			opt.Dialects = []string{dialectName}
		}
		// A database is given only on purpose: the embedded default would
		// be created by opening it.
		if a.databaseURL == "" && os.Getenv("DATABASE_URL") == "" && !cmd.Flags().Changed("database-url") {
			if steps == lint.StepsPending {
				return usagef("--steps pending needs a database: give --database-url or DATABASE_URL")
			}
			if steps == "" {
				steps = lint.StepsNew
			}
			from, err := lint.From(steps, chain, 0)
			if err != nil {
				return err
			}
			return a.lintReport(cmd.Context(), chain, from, opt, asJSON, "")
		}
		if steps == "" {
			steps = lint.StepsPending
		}
		d, err := a.open(cmd)
		if err != nil {
			return err
		}
		defer d.Close()
		applied := 0
		if steps == lint.StepsPending {
			if applied, err = appliedSteps(cmd.Context(), d, chain); err != nil {
				return err
			}
		}
		from, err := lint.From(steps, chain, applied)
		if err != nil {
			return err
		}
		opt.Live = d.DB
		return a.lintReport(cmd.Context(), chain, from, opt, asJSON, d.String())
	})
	return cmd
}

// appliedSteps is how many steps of chain d has applied.
func appliedSteps(ctx context.Context, d *db.Database, chain []migrations.Step) (int, error) {
	st, err := d.Status(ctx)
	if err != nil {
		return 0, err
	}
	if st.Refused != "" {
		return 0, fmt.Errorf("%s; up would refuse it, so nothing is pending", st.Refused)
	}
	if st.Current == "" && st.Alembic != nil && *st.Alembic != "" {
		return 0, fmt.Errorf("database %s was migrated by Open WebUI's Alembic migrations (alembic_version is at %s) and has not been adopted; run `schema adopt` first", d, *st.Alembic)
	}
	if st.Current == "" {
		return 0, nil
	}
	for i, s := range chain {
		if s.ID == st.Current {
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("database %s is at revision %s, which is not a step of the chain", d, st.Current)
}

func (a *app) lintReport(ctx context.Context, chain []migrations.Step, from int, opt lint.Options, asJSON bool, database string) error {
	r, err := lint.Lint(ctx, chain, from, opt)
	if err != nil {
		return err
	}
	r.Database = database
	if asJSON {
		err = writeJSON(a.stdout, r)
	} else {
		err = renderLint(a.stdout, r)
	}
	if err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("lint found %s (and %s, %d allowed)", plural(r.Errors, "error"), plural(r.Warnings, "warning"), r.Allowed)
	}
	return nil
}

func renderLint(w io.Writer, r lint.Report) error {
	where := "no database: tables assumed large, rows not checked"
	if r.Database != "" {
		where = "database " + r.Database
	}
	steps := "no steps"
	if len(r.Steps) > 0 {
		steps = plural(len(r.Steps), "step") + " (" + r.Steps[0] + " .. " + r.Steps[len(r.Steps)-1] + ")"
	}
	fmt.Fprintf(w, "lint: %s for %s; %s; large tables: over %d rows\n", steps, strings.Join(r.Dialects, ", "), where, r.LargeRows)
	for _, f := range r.Findings {
		fmt.Fprintln(w, f.String())
	}
	_, err := fmt.Fprintf(w, "%s, %s, %d allowed\n", plural(r.Errors, "error"), plural(r.Warnings, "warning"), r.Allowed)
	return err
}
