// Package fault is the fault-injection seam of the schema command, for the
// fault suite (tests/fault_test.go). In the normal build it does nothing:
// Instrument is a no-op and the environment variables below are ignored.
//
// Built with -tags faultinject, Instrument hooks every statement GORM runs
// for the process (queries, DDL and data changes alike; begin and commit do
// not pass through GORM's callbacks and are not counted) and numbers them
// from 1. Two environment variables drive it:
//
//	SCHEMA_FAULT=<n>:<SIGNAL>   send the process SIGNAL right before statement n
//	SCHEMA_FAULT=<n>+:<SIGNAL>  ... right after statement n
//	SCHEMA_FAULT_TRACE=<file>   append "<n>\t<statement>  -- args: [...]" to file for each statement
//
// SIGNAL is SIGINT, SIGTERM or SIGKILL. For SIGINT and SIGTERM the seam
// waits (briefly) until the signal has cancelled the statement's context,
// so "before statement n" means the statement runs, if at all, already
// interrupted; SIGKILL ends the process on the spot.
package fault

// Env names the variables the faultinject build reads.
const (
	EnvFault = "SCHEMA_FAULT"
	EnvTrace = "SCHEMA_FAULT_TRACE"
)
