package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/openwebui-go/schema/db"
	"github.com/spf13/cobra"
)

func (a *app) adoptCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "adopt",
		Short: "Take over a database this tool has no record of (Open WebUI's Alembic, AutoMigrate, by hand)",
		Long: `adopt takes over a database that this tool has no record of, after
checking its schema, so up, down and status work from there.

A database Open WebUI's Alembic migrations built: adopt reads the revision
in alembic_version, builds the chain up to that revision on a scratch
database of the same dialect (a temporary file for SQLite; a database on
the same server for PostgreSQL and MySQL, which needs permission to create
databases), and compares the live schema with it: tables, columns (type,
nullability, default), primary keys, indexes, foreign keys and checks.
When they are the same, it records the steps up to that revision as
applied. While alembic_version exists, up, down and stamp keep it at the
current revision, so Open WebUI and this tool can take turns on the
database.

A database without alembic_version whose tables this tool has no record
of (its schema_migrations dropped or emptied, or a schema made by GORM's
AutoMigrate or by hand), which up and down refuse: adopt builds the chain
step by step on a scratch database, compares the live schema with every
revision, and records the steps up to the one it matches. When none
matches, it names the closest revision and lists the differences to it.
A database that has records is compared and the outcome printed, but its
records are left as they are (schema stamp REV overrules them).

When the schema differs, adopt prints the differences grouped by table,
changes nothing and exits 1.`,
		Args: noArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	cmd.RunE = a.withDB(func(ctx context.Context, d *db.Database) error {
		rep, err := d.Adopt(ctx)
		mismatch := errors.Is(err, db.ErrSchemaMismatch)
		if err != nil && !mismatch {
			return err
		}
		if asJSON {
			if werr := writeJSON(a.stdout, rep); werr != nil {
				return werr
			}
			return err
		}
		renderAdopt(a.stdout, rep)
		return err
	})
	return cmd
}

// renderAdopt prints what adopt recorded, or why it recorded nothing.
func renderAdopt(w io.Writer, r db.AdoptReport) {
	rev := orBase(r.Revision)
	switch {
	case r.Adopted && r.Source == db.AdoptFromSchema:
		fmt.Fprintf(w, "adopted: %s at %s, the revision its schema matches (%s recorded as applied)\n", r.Database, rev, plural(len(r.Recorded), "step"))
	case r.Adopted:
		fmt.Fprintf(w, "adopted: %s at %s (%s recorded as applied)\n", r.Database, rev, plural(len(r.Recorded), "step"))
	case r.Source == db.AdoptFromSchema:
		fmt.Fprintf(w, "database %s (%s), no alembic_version: the schema matches no revision; the closest is %s\n", r.Database, r.Dialect, rev)
		renderDifferences(w, "live database vs chain at "+rev, r.Differences)
	default:
		fmt.Fprintf(w, "database %s (%s), alembic_version at %s\n", r.Database, r.Dialect, rev)
		renderDifferences(w, "live database vs chain at "+rev, r.Differences)
	}
}

// alembicLine is status's alembic_version line: the revision, and what to
// do when it is not this tool's record.
func alembicLine(st db.Status) string {
	rev := orBase(*st.Alembic)
	switch {
	case *st.Alembic == st.Current:
		return rev + " (in step)"
	case *st.Alembic != "" && position(rev) == "unknown revision":
		return rev + ", a revision this program does not know: upgrade this program"
	case st.Current == "":
		return rev + `, not recorded by this tool: run "schema adopt" to check the schema and record the steps up to it`
	}
	return rev + ", but this tool records " + st.Current + `: run "schema adopt" to check the schema against ` + rev + " and record it"
}

func orBase(rev string) string {
	if rev == "" {
		return "base"
	}
	return rev
}
