package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/migrations"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// app is one run of the command: where it writes and what the flags say.
type app struct {
	stdout, stderr io.Writer
	tty            bool // stderr is a terminal: show progress of long steps

	databaseURL string
	live        *liveReporter // the running up/down, if any
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "schema",
		Short: "Migrate an Open WebUI database through the schema history",
		Long: `schema applies and rolls back the steps of the Open WebUI schema history.

The database is --database-url, else DATABASE_URL, else the embedded
default ` + db.DefaultURL + ` (created, with its folder, on first use).
Accepted URLs: sqlite:///relative.db, sqlite:////absolute.db, sqlite://
(in memory), postgres:// or postgresql://, mysql:// or mariadb://.

Exit codes: 0 success, 1 failure (including drift found by verify),
2 usage error.`,
		// The root runs only to report an unknown command on one line.
		Args:          cobra.ArbitraryArgs,
		RunE:          a.runRoot,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SuggestionsMinimumDistance = 2
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if twice := (*givenTwiceError)(nil); errors.As(err, &twice) {
			return usagef("%v (see %s --help)", twice, c.CommandPath())
		}
		return usagef("%v (see %s --help)", err, c.CommandPath())
	})
	root.PersistentFlags().StringVar(&a.databaseURL, "database-url", "",
		"database URL (default: $DATABASE_URL, else "+db.DefaultURL+")")
	root.AddCommand(a.upCommand(), a.downCommand(), a.statusCommand(), a.currentCommand(),
		a.historyCommand(), a.stampCommand(), a.verifyCommand())
	root.AddCommand(a.adoptCommand())
	root.AddCommand(a.diffCommand())
	root.AddCommand(a.newCommand())
	root.AddCommand(a.copyCommand())
	root.AddCommand(a.lintCommand())
	root.AddCommand(a.planCommand())
	refuseConflictingRepeats(root)
	return root
}

// refuseConflictingRepeats makes every flag of cmd and its subcommands
// refuse a second, different value: which database or revision a run
// would use is then a guess (pflag silently keeps the last). The same
// value twice is harmless and accepted.
func refuseConflictingRepeats(cmd *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		if _, done := f.Value.(*onceValue); !done {
			f.Value = &onceValue{Value: f.Value, name: f.Name}
		}
	}
	cmd.PersistentFlags().VisitAll(wrap)
	cmd.Flags().VisitAll(wrap)
	for _, c := range cmd.Commands() {
		refuseConflictingRepeats(c)
	}
}

type onceValue struct {
	pflag.Value
	name  string
	first *string
}

func (v *onceValue) Set(s string) error {
	if v.first != nil && *v.first != s {
		return &givenTwiceError{name: v.name}
	}
	v.first = &s
	return v.Value.Set(s)
}

// givenTwiceError names the flag only: its values may be secrets.
type givenTwiceError struct{ name string }

func (e *givenTwiceError) Error() string {
	return fmt.Sprintf("--%s is given twice with different values: give it once", e.name)
}

// checkLockTimeout refuses a negative wait; 0 means the default.
func checkLockTimeout(d time.Duration) error {
	if d < 0 {
		return usagef("--lock-timeout must not be negative, got %s: give how long to wait, as 30s or 10m", d)
	}
	return nil
}

func (a *app) runRoot(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	hint := ""
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = "did you mean " + strings.Join(s, " or ") + "? "
	}
	return usagef("unknown command %q (%ssee schema --help)", args[0], hint)
}

// work marks errors of a command's work as failures (exit 1), keeping
// usage errors found while checking arguments as usage errors.
func work(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := fn(cmd, args)
		var u *usageError
		if err == nil || errors.As(err, &u) {
			return err
		}
		return &failure{err}
	}
}

// noArgs and oneArg replace cobra's validators with one-line messages.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q (see %s --help)", cmd.Name(), args[0], cmd.CommandPath())
	}
	return nil
}

func oneArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usagef("%s takes exactly one argument, %s; got %d (see %s --help)", cmd.Name(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// open resolves and opens the database. A URL that does not parse is a
// usage error; one that parses but cannot be reached is a failure.
func (a *app) open(cmd *cobra.Command) (*db.Database, error) {
	if cmd.Flags().Changed("database-url") && strings.TrimSpace(a.databaseURL) == "" {
		return nil, usagef("--database-url is empty: give a URL, or leave the flag out to use DATABASE_URL or %s", db.DefaultURL)
	}
	raw := db.ResolveURL(a.databaseURL)
	if err := db.CheckURL(raw); err != nil {
		return nil, &usageError{err}
	}
	return db.Open(cmd.Context(), raw)
}

// withDB opens the database for fn and closes it afterwards.
func (a *app) withDB(fn func(ctx context.Context, d *db.Database) error) func(*cobra.Command, []string) error {
	return work(func(cmd *cobra.Command, _ []string) error {
		d, err := a.open(cmd)
		if err != nil {
			return err
		}
		defer d.Close()
		return fn(cmd.Context(), d)
	})
}

// revision checks a revision argument against the chain before any
// database is opened (db.Revision resolves it again where it is used);
// base is accepted only where it means something.
func revision(flag, rev string, allowBase bool) (string, error) {
	id, err := db.Revision(flag, rev, allowBase)
	if errors.Is(err, db.ErrBadRequest) {
		return "", &usageError{err}
	}
	return id, err
}

const acceptChangedUsage = "run even if applied steps were edited since they ran, recording their new checksums"

func (a *app) upCommand() *cobra.Command {
	var to string
	var lockTimeout time.Duration
	var acceptChanged bool
	cmd := &cobra.Command{
		Use:   "up [--to REV]",
		Short: "Apply pending steps, up to HEAD by default",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&to, "to", "", "apply steps up to and including REV (an ID, or head)")
	dryRun := cmd.Flags().Bool("dry-run", false, "show what up would do (as schema plan) and change nothing")
	dryJSON := cmd.Flags().Bool("json", false, "with --dry-run: print the plan as one JSON document (as schema plan --json)")
	cmd.Flags().DurationVar(&lockTimeout, "lock-timeout", 0, "how long to wait for another run to finish (default 10m)")
	cmd.Flags().BoolVar(&acceptChanged, "accept-changed", false, acceptChangedUsage)
	ddl := addDDLFlags(cmd)
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if err := checkLockTimeout(lockTimeout); err != nil {
			return err
		}
		if err := ddl.check(); err != nil {
			return err
		}
		if *dryJSON && !*dryRun {
			return usagef("up --json prints the plan of --dry-run: add --dry-run, or leave out --json")
		}
		if cmd.Flags().Changed("to") {
			_, err := revision("--to", to, false)
			return err
		}
		return nil
	}
	cmd.RunE = a.withDB(func(ctx context.Context, d *db.Database) error {
		if *dryRun {
			return a.plan(ctx, d, to, *dryJSON)
		}
		a.live = newLiveReporter(a.stdout, a.stderr, a.tty)
		res, err := d.Up(ctx, to, ddl.options(db.Options{Reporter: a.live, LockTimeout: lockTimeout, AcceptChanged: acceptChanged}))
		a.live.finish()
		renderAccepted(a.stdout, res.Accepted)
		if err != nil {
			return err
		}
		if len(res.Steps) == 0 {
			if res.To == migrations.Head() {
				fmt.Fprintf(a.stdout, "already at head %s\n", res.To)
			} else {
				fmt.Fprintf(a.stdout, "already at %s\n", res.To)
			}
			return nil
		}
		fmt.Fprintln(a.stdout, whereIs(d.String(), res.To))
		return nil
	})
	return cmd
}

func (a *app) downCommand() *cobra.Command {
	var req db.DownRequest
	var lockTimeout time.Duration
	var acceptChanged bool
	cmd := &cobra.Command{
		Use:   "down [--to REV | --steps N | --all]",
		Short: "Roll back applied steps, one by default",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&req.To, "to", "", "roll back the steps after REV, which stays applied (an ID, or base for all)")
	cmd.Flags().IntVar(&req.Steps, "steps", 0, "roll back N steps")
	cmd.Flags().BoolVar(&req.All, "all", false, "roll back every step")
	cmd.Flags().DurationVar(&lockTimeout, "lock-timeout", 0, "how long to wait for another run to finish (default 10m)")
	cmd.Flags().BoolVar(&acceptChanged, "accept-changed", false, acceptChangedUsage)
	ddl := addDDLFlags(cmd)
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if err := checkLockTimeout(lockTimeout); err != nil {
			return err
		}
		if err := ddl.check(); err != nil {
			return err
		}
		if err := req.Check(); err != nil {
			if errors.Is(err, db.ErrBadRequest) {
				return &usageError{err}
			}
			return err
		}
		// What the flags say as typed, which the request cannot tell.
		switch {
		case cmd.Flags().Changed("steps") && req.Steps == 0:
			return usagef("--steps must be at least 1, got 0")
		case cmd.Flags().Changed("all") && !req.All:
			return usagef("--all=false is not a way to roll back; leave the flag out")
		case cmd.Flags().Changed("to") && req.To == "":
			_, err := revision("--to", "", true)
			return err
		}
		return nil
	}
	cmd.RunE = a.withDB(func(ctx context.Context, d *db.Database) error {
		a.live = newLiveReporter(a.stdout, a.stderr, a.tty)
		res, err := d.Down(ctx, req, ddl.options(db.Options{Reporter: a.live, LockTimeout: lockTimeout, AcceptChanged: acceptChanged}))
		a.live.finish()
		renderAccepted(a.stdout, res.Accepted)
		if err != nil {
			return err
		}
		switch {
		case len(res.Steps) > 0:
			fmt.Fprintln(a.stdout, whereIs(d.String(), res.To))
		case res.From == "":
			fmt.Fprintf(a.stdout, "nothing to roll back: database %s has no revision applied\n", d)
		default:
			fmt.Fprintf(a.stdout, "already at %s\n", res.From)
		}
		return nil
	})
	return cmd
}

func (a *app) statusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every step as applied or pending, and the current revision",
		Args:  noArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.RunE = a.withDB(func(ctx context.Context, d *db.Database) error {
		st, err := d.Status(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(a.stdout, st)
		}
		return renderStatus(a.stdout, st)
	})
	return cmd
}

func (a *app) currentCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "current",
		Short: "Print the current revision ID (nothing when none is applied)",
		Args:  noArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"current": "ID"}`)
	cmd.RunE = a.withDB(func(ctx context.Context, d *db.Database) error {
		cur, err := d.Current(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(a.stdout, map[string]string{"current": cur})
		}
		if cur != "" {
			fmt.Fprintln(a.stdout, cur)
		}
		return nil
	})
	return cmd
}

func (a *app) historyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the chain, oldest first (needs no database)",
		Args:  noArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of {id, revises, name}")
	cmd.RunE = work(func(*cobra.Command, []string) error {
		chain, err := migrations.Chain()
		if err != nil {
			return err
		}
		entries := make([]historyEntry, len(chain))
		for i, s := range chain {
			entries[i] = historyEntry{ID: s.ID, Revises: s.Revises, Name: s.Name}
		}
		if asJSON {
			return writeJSON(a.stdout, entries)
		}
		return renderHistory(a.stdout, entries)
	})
	return cmd
}

func (a *app) stampCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stamp REV",
		Short: "Record REV (an ID, head or base) as current without running anything",
		Args:  oneArg("the revision to record (an ID, head or base)"),
	}
	var rev string // the revision's ID, "" for base
	cmd.PreRunE = func(_ *cobra.Command, args []string) (err error) {
		rev, err = revision("stamp", args[0], true)
		return err
	}
	cmd.RunE = work(func(cmd *cobra.Command, args []string) error {
		d, err := a.open(cmd)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.Stamp(cmd.Context(), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "stamped: %s\n", whereIs(d.String(), rev))
		return nil
	})
	return cmd
}

func (a *app) verifyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the chain and the live database against the models (exit 1 on drift)",
		Args:  noArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	cmd.RunE = a.withDB(func(ctx context.Context, d *db.Database) error {
		rep, err := d.Verify(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			err = writeJSON(a.stdout, verifyJSON(rep))
		} else {
			err = renderVerify(a.stdout, d.String(), rep)
		}
		if err != nil {
			return err
		}
		return driftError(rep)
	})
	return cmd
}

// clearProgress removes a progress line before an error is printed.
func (a *app) clearProgress() {
	if a.live != nil {
		a.live.clearProgress()
	}
}
