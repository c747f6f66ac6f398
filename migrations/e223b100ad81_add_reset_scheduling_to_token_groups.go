package migrations

import (
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision e223b100ad81 (add_reset_scheduling_to_token_groups) adds
// token_group.reset_schedule. Existing groups keep the daily reset at
// midnight UTC they already had.

var tokenGroupAt20 = tokenGroupAt18.With(dialect.Column{Name: "reset_schedule", Type: dialect.JSON})

// dailyAtMidnightUTC is the schedule existing groups had before the column.
const dailyAtMidnightUTC = `{"period":"daily","time":"00:00","timezone":"UTC"}`

func addResetSchedulingUp(m *dialect.Migrator) error {
	if err := m.AlterTable(tokenGroupAt18, tokenGroupAt20); err != nil {
		return err
	}
	return m.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s IS NULL",
		m.Q("token_group"), m.Q("reset_schedule"), m.Q("reset_schedule")), dailyAtMidnightUTC)
}

func addResetSchedulingDown(m *dialect.Migrator) error {
	return m.AlterTable(tokenGroupAt20, tokenGroupAt18)
}
