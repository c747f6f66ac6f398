// Command schema migrates an Open WebUI database: it applies and rolls back
// the steps of the schema history, shows where a database stands, and
// checks that the chain, the models and the live database agree.
//
// The database is --database-url, else DATABASE_URL, else the embedded
// default sqlite:///data/webui.db. Exit codes: 0 success, 1 failure
// (including drift found by verify), 2 usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	// A closed stdout (schema up | head) must not kill a run halfway:
	// writes fail instead, and the run finishes or rolls back cleanly.
	signal.Ignore(syscall.SIGPIPE)
	// SIGINT or SIGTERM cancels the run: the step in flight rolls back
	// (on MySQL/MariaDB it stops, and the next run redoes it), and the
	// command says so and where the database is. A second signal kills
	// at once, as it would without the first: the database is safe then
	// too, only the message is lost.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// execute runs one command line and returns its exit code. Errors become
// one line on stderr: "schema: <reason>".
func execute(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	a := &app{stdout: stdout, stderr: stderr, tty: tty}
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	a.clearProgress()
	fmt.Fprintf(stderr, "schema: %s\n", oneLine(mask(err.Error(), args)))
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	var f *failure
	if errors.As(err, &f) {
		return exitFailure
	}
	// Everything that did not come out of a command's work (cobra's own
	// flag and argument errors, and ours marked as usage) is a usage error.
	return exitUsage
}

// usageError is a bad command line: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// failure is an error from a command's work (exit code 1), as opposed to
// one from parsing the command line.
type failure struct{ err error }

func (e *failure) Error() string { return e.err.Error() }
func (e *failure) Unwrap() error { return e.err }

// exitError ends the command with its own exit code, for a command whose
// codes are not the usual ones (diff: 1 means differences, 2 an error).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// oneLine keeps an error to a single line, whatever a driver put in it;
// the lines of a joined error become clauses.
func oneLine(s string) string {
	var parts []string
	for l := range strings.Lines(s) {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// credentials matches the user:password@ part of anything URL-shaped.
var credentials = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):[^@\s]*@`)

// mask is the last guard against printing a password: the db package
// already scrubs its errors, but a password can also come back in an echo
// of the command line (an unknown command or revision that is a URL).
func mask(s string, args []string) string {
	s = credentials.ReplaceAllString(s, "$1:xxxxx@")
	for _, p := range passwords(args) {
		s = strings.ReplaceAll(s, p, "xxxxx")
	}
	return s
}

// passwords are the passwords of the URLs this run may have used, in both
// their URL-encoded and plain forms. Very short ones are left alone: the
// pattern above covers them in URLs, and replacing them everywhere would
// mangle the message.
func passwords(args []string) []string {
	candidates := []string{os.Getenv("DATABASE_URL")}
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "--database-url="):
			candidates = append(candidates, strings.TrimPrefix(a, "--database-url="))
		case a == "--database-url" && i+1 < len(args):
			candidates = append(candidates, args[i+1])
		}
	}
	var out []string
	for _, raw := range candidates {
		_, rest, ok := strings.Cut(raw, "://")
		if !ok {
			continue
		}
		at := strings.LastIndex(rest, "@")
		if at < 0 {
			continue
		}
		_, pass, ok := strings.Cut(rest[:at], ":")
		if !ok || len(pass) < 4 {
			continue
		}
		out = append(out, pass)
		if plain, err := url.PathUnescape(pass); err == nil && plain != pass {
			out = append(out, plain)
		}
	}
	return out
}

// isTerminal reports whether f is a terminal (a character device), where
// progress lines are welcome.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
