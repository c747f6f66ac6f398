package migrations

import (
	"slices"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
)

func noop(*dialect.Migrator) error { return nil }

func step(id, revises string) Step {
	return Step{ID: id, Revises: revises, Name: "step_" + id, Up: noop, Down: noop}
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name    string
		steps   []Step
		want    []string // IDs in order
		wantErr string
	}{
		{"declared in order", []Step{step("a", ""), step("b", "a"), step("c", "b")}, []string{"a", "b", "c"}, ""},
		{"registered out of order", []Step{step("c", "b"), step("a", ""), step("b", "a")}, []string{"a", "b", "c"}, ""},
		{"multiple heads",
			[]Step{step("a", ""), step("b", "a"), step("c", "b"), step("d", "b")}, nil,
			"migration chain: multiple heads: c (step_c) and d (step_d) all revise b (step_b), usually because two branches each added a step; " +
				"put them in one line: keep the step that may already be applied somewhere first and set the other's Revises to it (e.g. set d's Revises to c)"},
		{"duplicate ID",
			[]Step{step("a", ""), step("b", "a"), {ID: "b", Revises: "b", Name: "other", Up: noop, Down: noop}}, nil,
			`migration chain: duplicate ID b: steps "step_b" and "other" both use it; every step needs its own ID: give the newer one a fresh ID (` + "`schema new`" + ` makes one)`},
		{"unknown revises",
			[]Step{step("a", ""), step("b", "zz")}, nil,
			"migration chain: step b (step_b) revises zz, which is not a step of the chain; set its Revises to an existing revision (`schema history` lists them)"},
		{"two roots",
			[]Step{step("a", ""), step("b", "")}, nil,
			"migration chain: 2 steps revise nothing (a (step_a) and b (step_b)); only the first step may: set the others' Revises"},
		{"cycle",
			[]Step{step("a", ""), step("b", "c"), step("c", "b")}, nil,
			"migration chain: b (step_b) and c (step_c) revise each other in a cycle and are not reached from a; fix their Revises"},
		{"missing down",
			[]Step{step("a", ""), {ID: "b", Revises: "a", Name: "nodown", Up: noop}}, nil,
			"migration chain: step b (nodown) needs both an up and a down"},
		{"missing ID", []Step{{Name: "x", Up: noop, Down: noop}}, nil, `migration chain: step 1 ("x") has no ID`},
		{"empty", nil, nil, "migration chain is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Order(tt.steps)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Order error =\n  %v\nwant\n  %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("Order = %v, want %v", ids, tt.want)
			}
		})
	}
}

// TestChainIsAlembicHistory pins the twenty Alembic revisions in their order.
func TestChainIsAlembicHistory(t *testing.T) {
	chain, err := Chain()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"7e5b5dc7342b", "242a2047eae0", "3781e22d8b01", "c69f45358db4", "4ace53fd72c8",
		"d31026856c01", "1af9b942657b", "3ab32c4b8f59", "6a39f3d8e55c", "c29facfe716b", "7826ab40b532",
		"c0fbf31ca0db", "922e7a387820", "ca81bd47c050", "af906e964978", "57c599a3cb57", "9f0c9cd09105",
		"10vr9xyets5m", "3ff60f68c4f4", "e223b100ad81"}
	if len(chain) < len(want) {
		t.Fatalf("chain has %d steps, want at least %d", len(chain), len(want))
	}
	for i, id := range want {
		if chain[i].ID != id {
			t.Errorf("step %d is %s, want %s", i+1, chain[i].ID, id)
		}
	}
	if Head() != chain[len(chain)-1].ID {
		t.Errorf("Head() = %s, want %s", Head(), chain[len(chain)-1].ID)
	}
}
