package migrations

import (
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openwebui-go/schema/internal/checksum"
)

// TestChecksumEveryStep: every step of the real chain has a checksum, and
// the steps' code differs, so their checksums do too.
func TestChecksumEveryStep(t *testing.T) {
	chain, err := Chain()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, s := range chain {
		sum, err := Checksum(s.ID)
		if err != nil {
			t.Fatalf("step %s: %v", s.ID, err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(sum) {
			t.Fatalf("step %s: checksum %q is not 64 hex digits", s.ID, sum)
		}
		if other, dup := seen[sum]; dup {
			t.Errorf("steps %s and %s have the same checksum", other, s.ID)
		}
		seen[sum] = s.ID
	}
	if _, err := Checksum("000000000000"); err == nil || !strings.Contains(err.Error(), "no Step literal") {
		t.Errorf("unknown step: err = %v", err)
	}
}

// TestChecksumRealSourcesReformatted strips every comment from the real
// sources and prints them with another layout: no step's checksum moves.
func TestChecksumRealSourcesReformatted(t *testing.T) {
	want, _, err := checksum.Compute(sources)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sources, "*.go")
	if err != nil {
		t.Fatal(err)
	}
	reformatted := fstest.MapFS{}
	for _, name := range names {
		src, err := fs.ReadFile(sources, name)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, 0) // comments dropped
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		cfg := printer.Config{Mode: printer.RawFormat, Tabwidth: 3}
		if err := cfg.Fprint(&b, fset, f); err != nil {
			t.Fatal(err)
		}
		out := strings.ReplaceAll(b.String(), "\n\n", "\n")
		reformatted[name] = &fstest.MapFile{Data: []byte(out)}
	}
	got, _, err := checksum.Compute(reformatted)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 20 {
		t.Fatalf("%d checksums from the real sources, want at least 20", len(got))
	}
	for id, sum := range want {
		if got[id] != sum {
			t.Errorf("step %s: checksum changed from %s to %s after reformatting", id, sum, got[id])
		}
	}
}

func BenchmarkChecksums(b *testing.B) {
	for b.Loop() {
		if _, _, err := checksum.Compute(sources); err != nil {
			b.Fatal(err)
		}
	}
}
