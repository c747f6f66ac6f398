package migrations

import (
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision 4ace53fd72c8 (update_folder_table_datetime) turns folder's
// created_at and updated_at from epoch seconds into UTC timestamps. Epoch
// second N becomes the instant N; down turns instants back into epoch
// seconds, dropping sub-second parts (the instant's whole second, floored).
//
// Both directions keep to the instants every dialect stores exactly, from
// 0001-01-01T00:00:00Z (Go's zero time) to 9999-12-31T23:59:59Z:
// PostgreSQL holds more, MySQL's datetime and SQLite's date functions no
// more. A value outside refuses the step, before any change, naming the
// rows, so a database converts the same on every dialect.

var folderAt5 = folderAt4.
	Replace(dialect.Column{Name: "created_at", Type: dialect.Timestamptz, NotNull: true}).
	Replace(dialect.Column{Name: "updated_at", Type: dialect.Timestamptz, NotNull: true})

// The first and last epoch second of the range both directions keep to.
const (
	folderTimeFirstEpoch = -62135596800 // 0001-01-01T00:00:00Z
	folderTimeLastEpoch  = 253402300799 // 9999-12-31T23:59:59Z
)

// folderTimeInRange is value where epoch (an SQL expression of epoch
// seconds) is within the range, and NULL elsewhere, which makes the
// conversion refuse the row.
func folderTimeInRange(epoch, value string) string {
	return fmt.Sprintf("CASE WHEN %s BETWEEN %d AND %d THEN %s END", epoch, folderTimeFirstEpoch, folderTimeLastEpoch, value)
}

// On MySQL each direction converts through a temporary column (see
// dialect.AlterTable): a re-run after a crash converts again from the old
// column as it is then, and checks it again, so values the application
// wrote meanwhile are converted or refused, never left out.
func updateFolderTableDatetimeUp(m *dialect.Migrator) error {
	fill := func(col string) dialect.Fill {
		return dialect.Fill{Column: col, Expr: folderTimeInRange(m.Q(col), m.D.EpochToTime(col))}
	}
	return m.AlterTable(folderAt4, folderAt5, fill("created_at"), fill("updated_at"))
}

func updateFolderTableDatetimeDown(m *dialect.Migrator) error {
	fill := func(col string) dialect.Fill {
		epoch := m.D.TimeToEpoch(col)
		return dialect.Fill{Column: col, Expr: folderTimeInRange(epoch, epoch)}
	}
	return m.AlterTable(folderAt5, folderAt4, fill("created_at"), fill("updated_at"))
}
