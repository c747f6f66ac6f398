package migrations

import (
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision c0fbf31ca0db (update_file_table) adds processed and error to
// file; files whose meta names a collection are processed.

var fileAt12 = fileAt11.With(
	dialect.Column{Name: "processed", Type: dialect.Bool, NotNull: true, Default: "false"},
	dialect.Column{Name: "error", Type: dialect.Text},
)

func updateFileTableProcessedUp(m *dialect.Migrator) error {
	if err := m.AlterTable(fileAt11, fileAt12); err != nil {
		return err
	}
	collection := m.D.JSONString("meta", "collection_name")
	named := fmt.Sprintf("%s > 0", m.D.CharLength(collection))
	// The skip conditions look at meta only where processed stayed false.
	unprocessed := fmt.Sprintf("%s = false", m.Q("processed"))
	skips := []*fileSkip{
		{
			cond:   unprocessed + " AND " + dialect.JSONUnparsable(m.D, "meta"),
			notice: "left processed false for %d file(s) whose meta is not valid JSON (files %s)",
		},
		{
			cond:   unprocessed + " AND " + dialect.JSONKeyPresent(m.D, "meta", "collection_name"),
			notice: "left processed false for %d file(s) whose meta.collection_name is not a non-empty string (files %s)",
		},
	}
	// Setting true twice is harmless, so a re-run (MySQL, after a crash)
	// completes the job.
	err := m.Batches("file", "id", 0, func(m *dialect.Migrator, after *string, upTo string) error {
		where, args := m.KeyRange("id", after, upTo)
		if err := m.Exec(fmt.Sprintf("UPDATE %s SET %s = true WHERE %s AND %s",
			m.Q("file"), m.Q("processed"), where, named), args...); err != nil {
			return fmt.Errorf("mark files with a collection as processed: %w", err)
		}
		return countFileSkips(m, where, args, skips)
	})
	if err != nil {
		return err
	}
	reportFileSkips(m, skips)
	return nil
}

func updateFileTableProcessedDown(m *dialect.Migrator) error { return m.AlterTable(fileAt12, fileAt11) }
