package tests

import (
	"fmt"
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
)

// forkStep is a step file as `schema new` writes it, revising parent.
func forkStep(id, parent, name string) string {
	return fmt.Sprintf(`package migrations

import "github.com/openwebui-go/schema/internal/dialect"

func init() {
	register(Step{ID: %[1]q, Revises: %[2]q, Name: %[3]q, Up: func(*dialect.Migrator) error { return nil }, Down: func(*dialect.Migrator) error { return nil }})
}
`, id, parent, name)
}

// TestChainChecksAtStartup: two branches that each added a step revising
// the head merge without a git conflict (each step is its own file); the
// program then refuses to run anything, at start-up and in verify, naming
// both steps and the fix. Once one revises the other, both apply in order.
func TestChainChecksAtStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a copy of the module (-short)")
	}
	head := migrations.Head()
	dir := copyModule(t)
	writeFile(t, dir, "migrations/aaaaaaaaaaa1_branch_one.go", forkStep("aaaaaaaaaaa1", head, "branch_one"))
	writeFile(t, dir, "migrations/bbbbbbbbbbb2_branch_two.go", forkStep("bbbbbbbbbbb2", head, "branch_two"))
	forked := buildSchemaIn(t, dir)

	// Fixing the fork: branch two now revises branch one.
	writeFile(t, dir, "migrations/bbbbbbbbbbb2_branch_two.go", forkStep("bbbbbbbbbbb2", "aaaaaaaaaaa1", "branch_two"))
	fixed := buildSchemaIn(t, dir)

	// A step added below an applied one: branch three is inserted between
	// the old head and branch one, after branch one ran.
	writeFile(t, dir, "migrations/ccccccccccc3_branch_three.go", forkStep("ccccccccccc3", head, "branch_three"))
	writeFile(t, dir, "migrations/aaaaaaaaaaa1_branch_one.go", forkStep("aaaaaaaaaaa1", "ccccccccccc3", "branch_one"))
	inserted := buildSchemaIn(t, dir)

	wantFork := fmt.Sprintf("migration chain: multiple heads: aaaaaaaaaaa1 (branch_one) and bbbbbbbbbbb2 (branch_two) all revise %s (add_reset_scheduling_to_token_groups), "+
		"usually because two branches each added a step; put them in one line: keep the step that may already be applied somewhere first and set the other's Revises to it "+
		"(e.g. set bbbbbbbbbbb2's Revises to aaaaaaaaaaa1)", head)
	testdb.Each(t, func(t *testing.T, dialect string) {
		u := testdb.URL(t, dialect)
		c := &cli{t: t, bin: forked, dir: t.TempDir(), env: []string{"DATABASE_URL=" + u}}
		for _, args := range [][]string{{"up"}, {"verify"}, {"status"}, {"history"}} {
			r := c.run(args...)
			r.requireExit(t, 1, wantFork)
		}

		c.bin = fixed
		c.ok("up")
		if cur := c.ok("current"); cur != "bbbbbbbbbbb2\n" {
			t.Fatalf("current after the fixed chain = %q", cur)
		}

		c.bin = inserted
		r := c.run("up")
		r.requireExit(t, 1, "out of order: step ccccccccccc3 (branch_three) comes before step aaaaaaaaaaa1 (branch_one) in the chain, "+
			"but this database has applied aaaaaaaaaaa1 and not ccccccccccc3")
	})
}
