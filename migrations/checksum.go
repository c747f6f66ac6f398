package migrations

import (
	"embed"
	"fmt"
	"sync"

	"github.com/openwebui-go/schema/internal/checksum"
)

// sources are this package's own files: a step's checksum is computed from
// its code as compiled into the binary. The test files come along with the
// pattern and are skipped when read.
//
//go:embed *.go
var sources embed.FS

var checksums struct {
	once sync.Once
	sums map[string]string
	errs map[string]error
	err  error
}

// Checksum is the checksum of what step id does: a SHA-256 (hex) of its Up
// and Down and of every declaration of this package they use, directly or
// through other declarations, printed without comments or layout. Editing
// any of them changes it; reformatting or commenting does not. Code of
// other packages (dialect.X) counts only as the name written in the step.
// It is computed once, on first use, from the sources embedded in the
// binary.
func Checksum(id string) (string, error) {
	checksums.once.Do(func() {
		checksums.sums, checksums.errs, checksums.err = checksum.Compute(sources)
	})
	if checksums.err != nil {
		return "", checksums.err
	}
	if err := checksums.errs[id]; err != nil {
		return "", err
	}
	sum, ok := checksums.sums[id]
	if !ok {
		return "", fmt.Errorf("checksum of step %s: no Step literal with this ID in package migrations: declare the step as Step{ID: %q, ...} in history or in a register call", id, id)
	}
	return sum, nil
}
