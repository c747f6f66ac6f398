// Package db opens a database from a DATABASE_URL and brings it to HEAD.
//
// A backend calls OpenAndMigrate once at start-up. The schema command uses
// the finer calls (Up, Down, Status, Stamp, Verify), which return plain
// values that it renders as text or JSON.
package db

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/fault"
	"gorm.io/gorm"
)

// DefaultURL is the embedded SQLite database used when nothing else is given.
const DefaultURL = dialect.DefaultURL

// ResolveURL picks the database URL the way the command line does: the
// flag if set, else DATABASE_URL, else the embedded default.
func ResolveURL(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("DATABASE_URL"); env != "" {
		return env
	}
	return DefaultURL
}

// Database is an open database together with what migrating it needs.
type Database struct {
	// DB is the GORM handle a backend uses for its queries.
	DB     *gorm.DB
	target dialect.Target
}

// Open parses rawURL (SQLAlchemy-style, as Open WebUI accepts it), connects
// and checks the connection. Errors never contain the password.
func Open(ctx context.Context, rawURL string) (*Database, error) {
	target, err := dialect.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	g, err := dialect.Open(target)
	if err != nil {
		return nil, err
	}
	// A no-op unless built with -tags faultinject (the fault suite), which
	// counts the statements of the databases a run works on: not those of
	// the in-memory one the table guard builds the chain on.
	if err := fault.Instrument(g, target.InMemory()); err != nil {
		if sqlDB, e := g.DB(); e == nil {
			sqlDB.Close()
		}
		return nil, err
	}
	return &Database{DB: g.WithContext(ctx), target: target}, nil
}

// String names the database with its password masked.
func (d *Database) String() string { return d.target.String() }

// Dialect is "sqlite", "postgres" or "mysql".
func (d *Database) Dialect() string { return d.target.Dialect.Name() }

// Close releases the connection pool.
func (d *Database) Close() error {
	sqlDB, err := d.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// scrub keeps the password out of any error leaving this package.
func (d *Database) scrub(err error) error {
	if err == nil {
		return nil
	}
	return d.target.Scrub(err)
}

// ErrUnknownRevision means the database was migrated by a newer version.
var ErrUnknownRevision = errors.New("unknown revision")

func unknownRevisionError(ids []string) error {
	return fmt.Errorf("%w: the database records revision(s) %v that this program does not know; it was migrated by a newer version of the schema package: upgrade this program, or roll the database back with the newer one",
		ErrUnknownRevision, ids)
}

// CheckURL reports whether rawURL is a database URL this package accepts,
// without connecting: a malformed or unsupported URL is the caller's
// mistake, while a failure to connect is the database's.
func CheckURL(rawURL string) error {
	_, err := dialect.Parse(rawURL)
	return err
}
