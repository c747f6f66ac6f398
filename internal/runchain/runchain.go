// Package runchain lets code inside this module run a migration chain
// other than migrations.Chain() through db's runner, for tests of code that
// runs steps with the runner (schema plan's scratch capture) on steps
// declared outside package migrations. It is internal on purpose: the
// module's API runs only the real chain.
package runchain

import (
	"context"
	"sync"

	"github.com/openwebui-go/schema/migrations"
)

type key struct{}

// With returns ctx carrying chain: db's Up runs it in place of
// migrations.Chain() and takes its target as one of its IDs.
func With(ctx context.Context, chain []migrations.Step) context.Context {
	return context.WithValue(ctx, key{}, chain)
}

// From returns the chain attached by With, if any.
func From(ctx context.Context) ([]migrations.Step, bool) {
	if ctx == nil {
		return nil, false
	}
	c, ok := ctx.Value(key{}).([]migrations.Step)
	return c, ok
}

var sums sync.Map // step ID -> checksum

// SetChecksum gives the checksum the runner records for a step that
// package migrations does not declare (whose source it cannot hash).
func SetChecksum(id, sum string) { sums.Store(id, sum) }

// Checksum is migrations.Checksum, with the checksums given by SetChecksum.
func Checksum(id string) (string, error) {
	if v, ok := sums.Load(id); ok {
		return v.(string), nil
	}
	return migrations.Checksum(id)
}
