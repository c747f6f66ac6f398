package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestAmendedStepAccepted: a database that ran the released version of a
// step since fixed (its checksum listed as an amendment) is not refused:
// status and verify do not call it changed, status says why it was
// amended, and the next up or down records the code's checksum. A
// checksum that is no amendment is still refused.
func TestAmendedStepAccepted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		id, earlier, reason := fixtures.AmendedStep(t)
		d := migtest.At(t, dialect, fixtures.Head(t))
		tamper(d, id, earlier)

		st, err := d.Runner.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Steps {
			if s.ID == id && (s.Changed || s.Amended != reason || s.Checksum != earlier) {
				t.Errorf("status of the amended step: %+v, want not changed, amended %q", s, reason)
			}
		}
		r, err := d.Runner.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.ChangedSteps) > 0 || !r.OK() {
			t.Errorf("verify on a database with an amended step: %+v", r)
		}

		res, err := d.Runner.Up(ctx, "", db.Options{})
		if err != nil {
			t.Fatalf("up on a database with an amended step: %v", err)
		}
		if len(res.Accepted) != 0 {
			t.Errorf("up listed %+v as accepted changes; an amendment is no change", res.Accepted)
		}
		requireCodeChecksums(t, d, 20)

		tamper(d, id, earlier)
		if _, err := d.Runner.Down(ctx, db.DownRequest{}, db.Options{}); err != nil {
			t.Fatalf("down on a database with an amended step: %v", err)
		}
		requireCodeChecksums(t, d, 19)

		// The amendment is of this step only, and of that checksum only.
		tamper(d, "242a2047eae0", earlier)
		if _, err := d.Runner.Up(ctx, "", db.Options{}); err == nil || !strings.Contains(err.Error(), "step 242a2047eae0 (update_chat_table) was changed") {
			t.Errorf("another step recorded with the amendment's checksum: err %v, want it refused", err)
		}
	})
}
