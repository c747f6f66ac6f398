package db

import (
	"slices"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
)

// The progress journal is bookkeeping: the guard, snapshots, verify and
// adopt must leave it out like the records table.
func TestProgressTableIsBookkeeping(t *testing.T) {
	for _, name := range []string{MigrationsTable, dialect.ProgressTable} {
		if !slices.Contains(snapshot.Bookkeeping, name) {
			t.Errorf("snapshot.Bookkeeping %v does not list %s", snapshot.Bookkeeping, name)
		}
	}
}
