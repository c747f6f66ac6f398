package main

import (
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/spf13/cobra"
)

// ddlFlags are up's and down's --ddl-lock-wait and --ddl-retry-for: how
// long each statement of a step waits for a table lock, and how long a
// step is retried while it times out so (db.Options). Left out, the URL's
// schema_ddl_lock_wait and schema_ddl_retry_for apply, else the defaults.
type ddlFlags struct {
	cmd            *cobra.Command
	wait, retryFor time.Duration
}

func addDDLFlags(cmd *cobra.Command) *ddlFlags {
	f := &ddlFlags{cmd: cmd}
	cmd.Flags().DurationVar(&f.wait, "ddl-lock-wait", 0, "how long each statement of a step may wait for a table lock before the step is retried (default 2s)")
	cmd.Flags().DurationVar(&f.retryFor, "ddl-retry-for", 0, "how long a step is retried while a table it changes is locked by another session; 0 for no retry (default 5m)")
	return f
}

// check refuses a wait of 0 or less and a negative budget.
func (f *ddlFlags) check() error {
	if f.cmd.Flags().Changed("ddl-lock-wait") && f.wait <= 0 {
		return usagef("--ddl-lock-wait must be more than 0, got %s: give how long each statement may wait for a table lock, as 2s or 500ms", f.wait)
	}
	if f.retryFor < 0 {
		return usagef("--ddl-retry-for must not be negative, got %s: give how long to retry a step while a table is locked, as 5m, or 0 for no retry", f.retryFor)
	}
	return nil
}

// options sets the flags given in o.
func (f *ddlFlags) options(o db.Options) db.Options {
	o.DDLLockWait = f.wait
	if f.cmd.Flags().Changed("ddl-retry-for") {
		o.DDLRetryFor = f.retryFor
		if f.retryFor == 0 {
			o.DDLRetryFor = db.NoDDLRetry
		}
	}
	return o
}
