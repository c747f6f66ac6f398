package schematest

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/models"
)

// TestCheck: the real chain and models agree on every dialect.
func TestCheck(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		if dialect == "sqlite" {
			Check(t)
			return
		}
		CheckURL(t, testdb.URL(t, dialect))
	})
}

// extraTable is a model the chain never created.
type extraTable struct {
	ID string `gorm:"primaryKey;size:255"`
}

func (extraTable) TableName() string { return "extra_table" }

// TestCheckFindsDrift: a model without a step is reported, with what to do.
func TestCheckFindsDrift(t *testing.T) {
	u := "sqlite:///" + filepath.Join(t.TempDir(), "x.db")
	got, err := check(context.Background(), u, append(models.All(), &extraTable{}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"schema drift on sqlite: extra_table: in models but missing from chain",
		"the models and the migration chain disagree: run `go run github.com/openwebui-go/schema/cmd/schema diff` to see why, and `schema new NAME` to generate the step",
	}
	if !slices.Equal(got, want) {
		t.Errorf("check =\n  %q\nwant\n  %q", got, want)
	}
}

// TestCheckUnreachable: a server that cannot be reached is an error, not a
// pass.
func TestCheckUnreachable(t *testing.T) {
	_, err := check(context.Background(), "postgres://nobody:secret@127.0.0.1:1/none", models.All())
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("check on an unreachable server: err = %v, want a connection error naming the server without the password", err)
	}
}
