package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// The checksum and amendment tests that drive the schema binary; the
// runner's are beside it, in db/checksum_test.go and db/amended_test.go.

// TestCLIChangedStep drives the refusal and the override through the
// binary: exit 1 with the message, status marking the step, and
// --accept-changed on up and down.
func TestCLIChangedStep(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		c := newCLI(t)
		u := testdb.URL(t, dialect)
		run := func(args ...string) string {
			t.Helper()
			return c.ok(append([]string{"--database-url", u}, args...)...)
		}
		run("up", "--to", fixtures.RevFolderDatetime)
		d, err := db.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.DB.Exec("UPDATE "+db.MigrationsTable+" SET checksum = ? WHERE id = ?", fixtures.ZeroChecksum, fixtures.RevChanged).Error; err != nil {
			t.Fatal(err)
		}

		want := fixtures.ChangedMessage(t, fixtures.RevChanged, "update_message_table", fixtures.ZeroChecksum)
		for _, args := range [][]string{{"up"}, {"down"}, {"down", "--all"}} {
			r := c.run(append([]string{"--database-url", u}, args...)...)
			r.requireExit(t, 1, want)
			if r.stderr != "schema: "+want+"\n" {
				t.Errorf("schema %v: stderr %q, want exactly the message", args, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("schema %v printed %q on stdout; nothing ran", args, r.stdout)
			}
		}

		text := run("status")
		wantRow := fmt.Sprintf("%s  applied  ", fixtures.RevChanged)
		wantCell := fmt.Sprintf("000000000000 CHANGED (code: %s)", fixtures.CodeChecksum(t, fixtures.RevChanged)[:12])
		wantLine := "1 applied step was CHANGED after it was applied: restore it as it was, or if the change is deliberate and the database needs nothing more, run `schema up --accept-changed` to record its new checksum"
		var row string
		for _, l := range cliLines(text) {
			if strings.HasPrefix(l, wantRow) {
				row = l
			}
		}
		if !strings.Contains(row, wantCell) || !strings.Contains(text, wantLine) {
			t.Errorf("status text should mark %s with %q and say %q:\n%s", fixtures.RevChanged, wantCell, wantLine, text)
		}
		if other := fmt.Sprintf("%s  applied  ", fixtures.RevChanged2); !strings.Contains(text, fixtures.CodeChecksum(t, fixtures.RevChanged2)[:12]) || strings.Count(text, "CHANGED") != 2 {
			t.Errorf("status text should show %s with its checksum and mark only %s:\n%s", other, fixtures.RevChanged, text)
		}
		st := cliParseStatus(t, run("status", "--json"))
		for _, s := range st.Steps {
			if s.Changed != (s.ID == fixtures.RevChanged) {
				t.Errorf("status --json: step %s changed = %v", s.ID, s.Changed)
			}
		}
		if !strings.Contains(run("status", "--json"), `"checksum": "`+fixtures.ZeroChecksum+`"`) {
			t.Error(`status --json lacks the recorded "checksum"`)
		}

		r := c.run("--database-url", u, "verify")
		r.requireExit(t, 1, "1 step applied to the live database changed since (see schema status)")
		wantVerify := fmt.Sprintf("applied steps vs code: 1 step changed after they ran here (restore them, or accept with up --accept-changed)\n  %s update_message_table: recorded checksum 000000000000, the code's is %s\n",
			fixtures.RevChanged, fixtures.CodeChecksum(t, fixtures.RevChanged)[:12])
		if !strings.Contains(r.stdout, wantVerify) {
			t.Errorf("verify printed:\n%s\nwant it to contain:\n%s", r.stdout, wantVerify)
		}

		out := run("up", "--accept-changed")
		wantAccepted := fmt.Sprintf("accepted changed step %s update_message_table: recorded its new checksum %s (was 000000000000)",
			fixtures.RevChanged, fixtures.CodeChecksum(t, fixtures.RevChanged)[:12])
		if !strings.Contains(out, wantAccepted) || !strings.Contains(out, "is at "+fixtures.RevHead+" (head)") {
			t.Errorf("up --accept-changed printed:\n%s\nwant %q and the closing line", out, wantAccepted)
		}
		if text := run("status"); strings.Contains(text, "CHANGED") {
			t.Errorf("status after --accept-changed still marks a step:\n%s", text)
		}

		if err := d.DB.Exec("UPDATE "+db.MigrationsTable+" SET checksum = ? WHERE id = ?", fixtures.ZeroChecksum, fixtures.RevChanged).Error; err != nil {
			t.Fatal(err)
		}
		if out := run("down", "--accept-changed"); !strings.Contains(out, "accepted changed step "+fixtures.RevChanged) {
			t.Errorf("down --accept-changed printed:\n%s", out)
		}
		if st := cliParseStatus(t, run("status", "--json")); st.Steps[2].Changed || st.Steps[2].Checksum != fixtures.CodeChecksum(t, fixtures.RevChanged) {
			t.Errorf("after down --accept-changed step %s: %+v", fixtures.RevChanged, st.Steps[2])
		}
	})
}

// TestCLIStatusShowsAmended: status marks an amended step "amended" (not
// CHANGED), says what the next run does, and --json gives the reason.
func TestCLIStatusShowsAmended(t *testing.T) {
	id, earlier, reason := fixtures.AmendedStep(t)
	c := newCLI(t)
	u := testdb.URL(t, "sqlite")
	c.ok("--database-url", u, "up")
	d, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.DB.Exec("UPDATE "+db.MigrationsTable+" SET checksum = ? WHERE id = ?", earlier, id).Error; err != nil {
		t.Fatal(err)
	}
	text := c.ok("--database-url", u, "status")
	wantCell := earlier[:12] + " amended (code: " + fixtures.CodeChecksum(t, id)[:12] + ")"
	wantLine := "1 step ran here in an earlier released version, since amended (see `status --json`): the next up or down records the code's checksum"
	if !strings.Contains(text, wantCell) || !strings.Contains(text, wantLine) || strings.Contains(text, "CHANGED") {
		t.Errorf("status text should mark %s with %q and say %q, and nothing CHANGED:\n%s", id, wantCell, wantLine, text)
	}
	var st db.Status
	if err := json.Unmarshal([]byte(c.ok("--database-url", u, "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Steps {
		if s.ID == id && (s.Amended != reason || s.Changed) {
			t.Errorf("status --json of %s: amended %q changed %v, want %q and false", id, s.Amended, s.Changed, reason)
		}
	}
	c.ok("--database-url", u, "verify")
	c.ok("--database-url", u, "up")
	if text := c.ok("--database-url", u, "status"); strings.Contains(text, "amended") {
		t.Errorf("status after up still shows an amendment:\n%s", text)
	}
}
