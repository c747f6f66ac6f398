package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// Revision 4ace53fd72c8 (update_folder_table_datetime) turns folder's
// created_at and updated_at from epoch seconds into UTC timestamps. Epoch
// second N becomes the instant N; down turns instants back into epoch
// seconds, dropping sub-second parts (the instant's whole second, floored).

var folderAt5 = folderAt4.
	Replace(dialect.Column{Name: "created_at", Type: dialect.Timestamptz, NotNull: true}).
	Replace(dialect.Column{Name: "updated_at", Type: dialect.Timestamptz, NotNull: true})

func updateFolderTableDatetimeUp(m *dialect.Migrator) error {
	return m.AlterTable(folderAt4, folderAt5,
		dialect.Fill{Column: "created_at", Expr: m.D.EpochToTime("created_at")},
		dialect.Fill{Column: "updated_at", Expr: m.D.EpochToTime("updated_at")},
	)
}

func updateFolderTableDatetimeDown(m *dialect.Migrator) error {
	return m.AlterTable(folderAt5, folderAt4,
		dialect.Fill{Column: "created_at", Expr: m.D.TimeToEpoch("created_at")},
		dialect.Fill{Column: "updated_at", Expr: m.D.TimeToEpoch("updated_at")},
	)
}
