package migrations_test

import (
	"testing"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revResetSchedule = "e223b100ad81"

const dailyMidnightUTC = `{"period":"daily","time":"00:00","timezone":"UTC"}`

func insertTokenGroups(t *testing.T, d *migtest.DB) {
	t.Helper()
	d.Insert("token_group",
		map[string]any{"name": "staff", "models": `["gpt-4o", "llama3"]`, "limit": 100000, "created_at": 1, "updated_at": 2},
		map[string]any{"name": "guests", "models": `[]`, "limit": nil, "created_at": 3, "updated_at": 4},
	)
	d.Insert("token_usage", map[string]any{"group_name": "staff", "token_in": 5, "token_out": 6, "token_total": 11, "last_reset_date": "2025-01-31"})
}

// tokenGroupRows reads token_group's columns from before the step.
func tokenGroupRows(t *testing.T, d *migtest.DB) [][]string {
	t.Helper()
	rows := d.Rows("SELECT " + d.Q("name") + ", " + d.Q("models") + ", " + d.Q("limit") + ", " + d.Q("created_at") + ", " + d.Q("updated_at") +
		" FROM " + d.Q("token_group") + " ORDER BY " + d.Q("name"))
	for _, r := range rows {
		c, err := migtest.CanonicalJSON(r[1])
		if err != nil {
			t.Fatalf("models of %s is not JSON: %q", r[0], r[1])
		}
		r[1] = c
	}
	return rows
}

func resetSchedule(t *testing.T, d *migtest.DB, group string) string {
	t.Helper()
	return d.String("SELECT "+d.Q("reset_schedule")+" FROM "+d.Q("token_group")+" WHERE "+d.Q("name")+" = ?", group)
}

func TestAddResetSchedulingBackfillsDailyAtMidnightUTC(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revResetSchedule)
		insertTokenGroups(t, d)
		before := tokenGroupRows(t, d)
		d.Up()
		for _, g := range []string{"staff", "guests"} {
			migtest.JSONEqual(t, dailyMidnightUTC, resetSchedule(t, d, g))
		}
		requireSameRows(t, map[string][][]string{"token_group": before}, map[string][][]string{"token_group": tokenGroupRows(t, d)})
	})
}

func TestAddResetSchedulingLeavesNewGroupsAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revResetSchedule)
		insertTokenGroups(t, d)
		d.Up()
		weekly := `{"period":"weekly","time":"09:30","timezone":"Europe/Paris","weekday":1}`
		d.Insert("token_group",
			map[string]any{"name": "unscheduled", "models": `[]`},
			map[string]any{"name": "weekly", "models": `[]`, "reset_schedule": weekly},
		)
		// No default fills a new group's schedule, and nothing rewrites one.
		if got := resetSchedule(t, d, "unscheduled"); got != "<nil>" {
			t.Fatalf("a group created without a schedule has %s, want NULL", got)
		}
		migtest.JSONEqual(t, weekly, resetSchedule(t, d, "weekly"))
		migtest.JSONEqual(t, dailyMidnightUTC, resetSchedule(t, d, "staff"))
	})
}

func TestAddResetSchedulingDownDropsColumn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revResetSchedule)
		insertTokenGroups(t, d)
		schema, before := d.Snapshot(), tokenGroupRows(t, d)
		usage := d.Rows("SELECT * FROM " + d.Q("token_usage"))
		d.Up()
		d.Down()
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the step", "after its down")
		requireSameRows(t, map[string][][]string{"token_group": before, "token_usage": usage},
			map[string][][]string{"token_group": tokenGroupRows(t, d), "token_usage": d.Rows("SELECT * FROM " + d.Q("token_usage"))})
	})
}
