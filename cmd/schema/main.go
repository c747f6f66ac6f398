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
	"log"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/openwebui-go/schema/internal/dialect"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	// The MySQL driver also logs some connection errors on stderr, besides
	// returning them: errors are one line, printed below.
	gomysql.SetLogger(log.New(io.Discard, "", 0))
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
	a := &app{stdout: &quietPipe{w: stdout}, stderr: stderr, tty: tty}
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

// secretOption matches an option whose name says it holds a secret
// (password=, sslpassword=, passwd=, api_token=, ...) in URL-shaped text.
// The value runs to a delimiter, or to a ":" that ends a clause
// ("cannot open URL: reason").
var secretOption = regexp.MustCompile(`(?i)([?&;][a-z0-9_.]*(?:pass|pwd|secret|token|key)[a-z0-9_.]*=)(?:[^&;:\s"'` + "`" + `]|:\S)*`)

// mask is the last guard against printing a secret: the db package already
// scrubs its errors, but a secret can also come back in an echo of the
// command line (an unknown command, a revision or a flag value that is a
// URL), or from code that forgot to scrub.
//
// The secrets known from the command line go first: the patterns after
// them would cut a password that holds an "@" in two and leave its tail.
func mask(s string, args []string) string {
	var secrets []string
	for _, raw := range urlsIn(args) {
		secrets = append(secrets, dialect.SecretsIn(raw)...)
	}
	s = dialect.MaskSecrets(s, secrets)
	s = credentials.ReplaceAllString(s, "$1:xxxxx@")
	return secretOption.ReplaceAllString(s, "${1}xxxxx")
}

// urlsIn lists what in this run may be a database URL: DATABASE_URL, the
// --database-url values, and any argument or flag value that looks like
// one (has "://", an "@" or an "=").
func urlsIn(args []string) []string {
	out := []string{os.Getenv("DATABASE_URL")}
	for i, a := range args {
		if a == "--database-url" && i+1 < len(args) {
			out = append(out, args[i+1])
		}
		if name, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(name, "-") && !strings.Contains(name, "://") {
			a = v
		}
		if strings.Contains(a, "://") || strings.ContainsAny(a, "@=") {
			out = append(out, a)
		}
	}
	return out
}

// quietPipe is standard output that a reader may close early (schema
// status | head -3). Once it has, output is dropped instead of failing:
// the command finishes its work, prints no "broken pipe", and exits with
// the code of the work itself.
type quietPipe struct {
	w      io.Writer
	closed atomic.Bool
}

func (p *quietPipe) Write(b []byte) (int, error) {
	if p.closed.Load() {
		return len(b), nil
	}
	n, err := p.w.Write(b)
	if errors.Is(err, syscall.EPIPE) {
		p.closed.Store(true)
		return len(b), nil
	}
	return n, err
}

// isTerminal reports whether f is a terminal (a character device), where
// progress lines are welcome.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
