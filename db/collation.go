package db

import (
	"context"
	"fmt"
	"sync"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// AutoMigrate runs GORM's AutoMigrate of the models on g with the table
// options the chain creates tables with (dialect.TableOptions: on MySQL a
// binary collation, so IDs and keys compare byte for byte). The drift
// check builds the models this way; a backend that creates its tables
// with AutoMigrate instead of the chain should too, or on MySQL its
// tables take the server's default collation and differ from the chain's.
func AutoMigrate(g *gorm.DB, models ...any) error {
	opts, err := dialect.TableOptions(g)
	if err != nil {
		return err
	}
	if opts != "" {
		g = g.Set("gorm:table_options", " "+opts)
	}
	return g.AutoMigrate(models...)
}

// chainTables names the tables this tool creates: the chain's at HEAD
// (read from the steps, on an in-memory SQLite database), its records and
// its progress journal.
// They are the tables a run converts to the chain's collation
// (dialect.MatchCollation), which asks only when a table needs it.
func chainTables(ctx context.Context) func() ([]string, error) {
	return func() ([]string, error) {
		headTables.Lock()
		defer headTables.Unlock()
		if headTables.names != nil {
			return headTables.names, nil
		}
		// The run's context may carry what concerns its own steps (a
		// reporter, a test's crash plan), not the scratch chain's.
		shapes, err := HeadShapes(withoutValues{ctx})
		if err != nil {
			return nil, fmt.Errorf("list the chain's tables: %w", err)
		}
		names := []string{MigrationsTable, dialect.ProgressTable}
		for _, t := range shapes {
			names = append(names, t.Name)
		}
		headTables.names = names
		return names, nil
	}
}

// headTables caches chainTables' answer: the chain is compiled in, and a
// database with a table of its own in another collation (alembic_version,
// say) would otherwise run the chain on SQLite (some 30 ms) on every run.
var headTables struct {
	sync.Mutex
	names []string
}

// withoutValues is a context's cancellation and deadline without its values.
type withoutValues struct{ context.Context }

func (withoutValues) Value(any) any { return nil }
