// Package schematest runs the schema package's drift check inside a
// backend's own `go test`: the migration chain must be one unbroken line,
// and its HEAD must build exactly the schema GORM's AutoMigrate makes from
// the models. A backend that upgrades this module, or edits its copy of the
// models, finds out in CI rather than at start-up.
//
//	func TestSchemaDrift(t *testing.T) {
//		schematest.Check(t) // embedded SQLite, needs no server; runs Lint too
//		if u := os.Getenv("TEST_POSTGRES_URL"); u != "" {
//			schematest.CheckURL(t, u) // a scratch database beside u
//		}
//	}
package schematest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/lint"
	"github.com/openwebui-go/schema/migrations"
	"github.com/openwebui-go/schema/models"
)

// Check fails t if the chain is broken or its HEAD differs from the models,
// comparing on a temporary embedded SQLite database.
func Check(t testing.TB) {
	t.Helper()
	CheckURL(t, "")
	Lint(t)
}

// Lint fails t on every error finding of `schema lint` for the steps after
// the Alembic revisions (those the backend added with `schema new`), for
// all three dialects; it needs no server. Warnings and findings a step
// lists in its Allow are logged.
func Lint(t testing.TB) {
	t.Helper()
	problems, notes, err := lintNew(context.Background(), nil)
	if err != nil {
		t.Fatalf("schematest: lint: %v", err)
	}
	for _, n := range notes {
		t.Log(n)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// lintNew lints the new steps of chain (the registered chain if nil).
func lintNew(ctx context.Context, chain []migrations.Step) (problems, notes []string, err error) {
	if chain == nil {
		if chain, err = migrations.Chain(); err != nil {
			return []string{err.Error()}, nil, nil
		}
	}
	from, err := lint.From(lint.StepsNew, chain, 0)
	if err != nil {
		return nil, nil, err
	}
	r, err := lint.Lint(ctx, chain, from, lint.Options{})
	if err != nil {
		return nil, nil, err
	}
	for _, f := range r.Findings {
		if f.Failing() {
			problems = append(problems, "schema lint: "+f.String()+" (or list "+f.Code+" in the step's Allow, saying why)")
		} else {
			notes = append(notes, "schema lint: "+f.String())
		}
	}
	return problems, notes, nil
}

// CheckURL is Check on the dialect of rawURL (postgres://, mysql://, ...):
// it creates two scratch databases on that server, which the URL's user
// needs permission to do, and drops them afterwards. The database rawURL
// names is only connected to, never changed. An empty rawURL means a
// temporary SQLite file.
func CheckURL(t testing.TB, rawURL string) {
	t.Helper()
	if rawURL == "" {
		rawURL = "sqlite:///" + filepath.Join(t.TempDir(), "schematest.db")
	}
	problems, err := check(context.Background(), rawURL, models.All())
	if err != nil {
		t.Fatalf("schematest: %v", err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// check returns one line per problem found, or an error when the check
// could not run.
func check(ctx context.Context, rawURL string, modelList []any) ([]string, error) {
	if _, err := migrations.Chain(); err != nil {
		return []string{err.Error()}, nil
	}
	d, err := db.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	diffs, err := d.CompareChainWithModels(ctx, modelList)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, df := range diffs {
		out = append(out, fmt.Sprintf("schema drift on %s: %s", d.Dialect(), df))
	}
	if len(out) > 0 {
		out = append(out, "the models and the migration chain disagree: run `go run github.com/openwebui-go/schema/cmd/schema diff` to see why, and `schema new NAME` to generate the step")
	}
	return out, nil
}
