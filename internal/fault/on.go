//go:build faultinject

package fault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gorm.io/gorm"
)

// Enabled reports whether this build injects faults (-tags faultinject).
const Enabled = true

// plan is what SCHEMA_FAULT asks for.
type plan struct {
	at    int64 // statement number, from 1
	after bool  // right after the statement rather than before it
	sig   syscall.Signal
}

var (
	count atomic.Int64 // statements begun in this process
	fired atomic.Bool  // the signal was sent

	setup struct {
		once  sync.Once
		plan  *plan
		trace *os.File
		err   error
	}
	traceMu sync.Mutex
)

// parse reads SCHEMA_FAULT ("" for none).
func parse(s string) (*plan, error) {
	if s == "" {
		return nil, nil
	}
	n, sig, ok := strings.Cut(s, ":")
	p := &plan{}
	n, p.after = strings.CutSuffix(n, "+")
	var err error
	if p.at, err = strconv.ParseInt(n, 10, 64); err != nil || p.at < 1 {
		ok = false
	}
	switch strings.TrimPrefix(strings.ToUpper(sig), "SIG") {
	case "INT":
		p.sig = syscall.SIGINT
	case "TERM":
		p.sig = syscall.SIGTERM
	case "KILL":
		p.sig = syscall.SIGKILL
	default:
		ok = false
	}
	if !ok {
		return nil, fmt.Errorf("%s=%q: want <statement number>[+]:SIGINT|SIGTERM|SIGKILL, e.g. 12:SIGKILL (before statement 12) or 12+:SIGINT (after it)", EnvFault, s)
	}
	return p, nil
}

// Instrument registers the seam's callbacks on db, unless skip is set.
// The environment is read once per process; the callbacks go on every
// handle passed (each opened database), and all count on one counter.
func Instrument(db *gorm.DB, skip bool) error {
	setup.once.Do(func() {
		setup.plan, setup.err = parse(os.Getenv(EnvFault))
		if setup.err != nil {
			return
		}
		if path := os.Getenv(EnvTrace); path != "" {
			setup.trace, setup.err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		}
	})
	if setup.err != nil {
		return setup.err
	}
	if skip || setup.plan == nil && setup.trace == nil {
		return nil
	}
	cb := db.Callback()
	err := errors.Join(
		cb.Create().Before("*").Register("fault:before_create", before),
		cb.Create().After("*").Register("fault:after_create", after),
		cb.Query().Before("*").Register("fault:before_query", before),
		cb.Query().After("*").Register("fault:after_query", after),
		cb.Update().Before("*").Register("fault:before_update", before),
		cb.Update().After("*").Register("fault:after_update", after),
		cb.Delete().Before("*").Register("fault:before_delete", before),
		cb.Delete().After("*").Register("fault:after_delete", after),
		cb.Row().Before("*").Register("fault:before_row", before),
		cb.Row().After("*").Register("fault:after_row", after),
		cb.Raw().Before("*").Register("fault:before_raw", before),
		cb.Raw().After("*").Register("fault:after_raw", after),
	)
	if err != nil {
		return fmt.Errorf("fault seam: %w", err)
	}
	return nil
}

const numberKey = "fault:number"

func before(db *gorm.DB) {
	n := count.Add(1)
	db.InstanceSet(numberKey, n)
	if p := setup.plan; p != nil && !p.after && p.at == n {
		fire(db, p.sig)
	}
}

func after(db *gorm.DB) {
	v, _ := db.InstanceGet(numberKey)
	n, _ := v.(int64)
	if setup.trace != nil {
		sql := strings.Join(strings.Fields(db.Statement.SQL.String()), " ")
		if len(sql) > 200 {
			sql = sql[:200] + "..."
		}
		if vars := db.Statement.Vars; len(vars) > 0 {
			args := strings.Join(strings.Fields(fmt.Sprint(vars)), " ")
			if len(args) > 120 {
				args = args[:120] + "..."
			}
			sql += "  -- args: " + args
		}
		if db.Error != nil {
			sql += "  -- error: " + strings.Join(strings.Fields(db.Error.Error()), " ")
		}
		traceMu.Lock()
		fmt.Fprintf(setup.trace, "%d\t%s\n", n, sql)
		traceMu.Unlock()
	}
	if p := setup.plan; p != nil && p.after && p.at == n {
		fire(db, p.sig)
	}
}

// fire sends the process sig, once. SIGKILL never returns. After SIGINT
// or SIGTERM it waits until the statement's context is cancelled (the
// command's handler cancels the run's context), for at most two seconds
// (a loaded machine may be slow to deliver it): statements that must not
// be cancelled (rollback, the lock's release, reading where the database
// stands) run on a context that no signal cancels, and wait it out.
func fire(db *gorm.DB, sig syscall.Signal) {
	if !fired.CompareAndSwap(false, true) {
		return
	}
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		fmt.Fprintf(os.Stderr, "fault seam: send %s: %v\n", sig, err)
		os.Exit(3)
	}
	if sig == syscall.SIGKILL {
		select {} // the kernel ends the process
	}
	ctx := db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
}
