package tests

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The schema binary is built once per test run, by the first test that
// needs it, and removed when the run ends.
var schemaBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if schemaBin.dir != "" {
		os.RemoveAll(schemaBin.dir)
	}
	os.Exit(code)
}

func buildSchema(t *testing.T) string {
	t.Helper()
	schemaBin.once.Do(func() {
		schemaBin.dir, schemaBin.err = os.MkdirTemp("", "schema-cli-test-")
		if schemaBin.err != nil {
			return
		}
		schemaBin.path = filepath.Join(schemaBin.dir, "schema")
		cmd := exec.Command("go", "build", "-o", schemaBin.path, "github.com/openwebui-go/schema/cmd/schema")
		if out, err := cmd.CombinedOutput(); err != nil {
			schemaBin.err = errors.New("go build ./cmd/schema: " + err.Error() + "\n" + string(out))
		}
	})
	if schemaBin.err != nil {
		t.Fatal(schemaBin.err)
	}
	return schemaBin.path
}

// cli runs the schema binary in its own working directory with a
// controlled environment: DATABASE_URL is unset unless env sets it.
type cli struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

func newCLI(t *testing.T, env ...string) *cli {
	t.Helper()
	return &cli{t: t, bin: buildSchema(t), dir: t.TempDir(), env: env}
}

type cliResult struct {
	args           []string
	code           int
	stdout, stderr string
}

func (c *cli) run(args ...string) cliResult {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, c.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		c.t.Fatalf("run schema %v: %v", args, err)
	}
	return res
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 || r.stderr != "" {
		c.t.Fatalf("schema %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// requireExit checks a failed run: the exit code, and the one stderr line
// ("schema: ...") that mentions want.
func (r cliResult) requireExit(t *testing.T, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("schema %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.args, r.code, code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "schema: ") {
		t.Fatalf("schema %v: stderr should be exactly one line \"schema: ...\", got %q", r.args, r.stderr)
	}
	if !strings.Contains(lines[0], want) {
		t.Fatalf("schema %v: stderr %q does not mention %q", r.args, lines[0], want)
	}
}

// lines splits output into its non-empty lines.
func cliLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
