package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The schema binary is built once per test run and build tags, by the
// first test that needs it, into a directory removed when the run ends.
var schemaBins struct {
	mu   sync.Mutex
	dir  string
	bins map[string]*schemaBin // by build tags
}

type schemaBin struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if schemaBins.dir != "" {
		os.RemoveAll(schemaBins.dir)
	}
	os.Exit(code)
}

func buildSchema(t *testing.T) string {
	t.Helper()
	return buildSchemaTags(t, "")
}

// buildSchemaTags builds cmd/schema with the build tags (comma-separated,
// "" for none), once per run.
func buildSchemaTags(t *testing.T, tags string) string {
	t.Helper()
	schemaBins.mu.Lock()
	if schemaBins.bins == nil {
		schemaBins.bins = map[string]*schemaBin{}
	}
	b := schemaBins.bins[tags]
	if b == nil {
		b = &schemaBin{}
		schemaBins.bins[tags] = b
	}
	if schemaBins.dir == "" {
		var err error
		if schemaBins.dir, err = os.MkdirTemp("", "schema-cli-test-"); err != nil {
			schemaBins.mu.Unlock()
			t.Fatal(err)
		}
	}
	dir := schemaBins.dir
	schemaBins.mu.Unlock()
	b.once.Do(func() {
		name := "schema"
		args := []string{"build", "-o"}
		if tags != "" {
			name += "-" + strings.ReplaceAll(tags, ",", "-")
		}
		b.path = filepath.Join(dir, name)
		args = append(args, b.path)
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		cmd := exec.Command("go", append(args, "github.com/openwebui-go/schema/cmd/schema")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
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
