package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 3ff60f68c4f4 (add_last_reset_date_to_token_usage) records the
// ISO date (YYYY-MM-DD, in the group's reset time zone) of the last reset.

var tokenUsageAt19 = tokenUsageAt18.With(dialect.Column{Name: "last_reset_date", Type: dialect.Text})

func addLastResetDateUp(m *dialect.Migrator) error {
	return m.AlterTable(tokenUsageAt18, tokenUsageAt19)
}

func addLastResetDateDown(m *dialect.Migrator) error {
	return m.AlterTable(tokenUsageAt19, tokenUsageAt18)
}
