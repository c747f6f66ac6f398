package stepgen_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/stepgen"
	"github.com/openwebui-go/schema/models"
)

// The models read offline must equal the chain's HEAD as its steps declare
// it, table by table: the drift check proves the chain's HEAD inspects
// like AutoMigrate's models on every dialect, so any difference here is a
// mistake in reading one side, which `schema new` would turn into a bogus
// step.
func TestModelShapesEqualTheChainsHead(t *testing.T) {
	head, err := db.HeadShapes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := stepgen.ModelShapes(models.All())
	if err != nil {
		t.Fatal(err)
	}
	if len(head) != len(models.All()) || len(want) != len(head) {
		t.Fatalf("HEAD has %d tables, the models %d, models.All() lists %d", len(head), len(want), len(models.All()))
	}
	if p := stepgen.Diff(head, want); !p.Empty() {
		t.Fatalf("the models differ from the chain's HEAD:\n%s", strings.Join(p.Changes, "\n"))
	}
	// Spot checks that would catch both sides being wrong alike.
	for _, c := range []struct {
		table string
		col   dialect.Column
	}{
		{"chat", dialect.Column{Name: "pinned", Type: dialect.Bool, NotNull: true, Default: "false"}},
		{"folder", dialect.Column{Name: "created_at", Type: dialect.Timestamptz, NotNull: true}},
		{"feedback", dialect.Column{Name: "rating", Type: dialect.SmallInt, NotNull: true}},
		{"token_group", dialect.Column{Name: "reset_schedule", Type: dialect.JSON}},
		{"tag", dialect.Column{Name: "user_id", Type: dialect.Key, NotNull: true}},
		{"user", dialect.Column{Name: "name", Type: dialect.Text}},
	} {
		i := slices.IndexFunc(want, func(t dialect.Table) bool { return t.Name == c.table })
		if i < 0 {
			t.Fatalf("no table %s in the models", c.table)
		}
		if got, _ := want[i].Column(c.col.Name); got != c.col {
			t.Errorf("%s.%s read as %+v, want %+v", c.table, c.col.Name, got, c.col)
		}
	}
}

type floatModel struct {
	ID    string  `gorm:"primaryKey;size:255"`
	Score float64 // no logical type
}

func (floatModel) TableName() string { return "float_model" }

type uniqueModel struct {
	ID    string  `gorm:"primaryKey;size:255"`
	Email *string `gorm:"size:255;unique"`
}

func (uniqueModel) TableName() string { return "unique_model" }

type shortKeyModel struct {
	ID   string `gorm:"primaryKey;size:255"`
	Code string `gorm:"size:64"` // varchar(64) is no logical type
}

func (shortKeyModel) TableName() string { return "short_key_model" }

type autoModel struct {
	ID uint `gorm:"primaryKey"`
}

func (autoModel) TableName() string { return "auto_model" }

func TestModelShapesRefuseWhatNoLogicalTypeExpresses(t *testing.T) {
	cases := []struct {
		model any
		want  []string
	}{
		{&floatModel{}, []string{"models: floatModel.Score (table float_model, column score)", `"real" on sqlite`, `"double" on mysql`, "use one of: key (string or *string with size:255)"}},
		{&shortKeyModel{}, []string{"shortKeyModel.Code", `"varchar(64)" on postgres`, "use one of"}},
		{&uniqueModel{}, []string{"uniqueModel.Email", "use the project's convention uniqueIndex:uq_unique_model_email instead"}},
		{&autoModel{}, []string{"autoModel.ID", "auto-increment columns have no logical type"}},
	}
	for _, c := range cases {
		_, err := stepgen.ModelShapes([]any{c.model})
		if err == nil {
			t.Errorf("%T: no error", c.model)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%T: error %q does not say %q", c.model, err, w)
			}
		}
	}
}
