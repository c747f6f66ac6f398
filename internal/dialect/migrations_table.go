package dialect

import "fmt"

// ChecksumColumn is the record table's column holding each applied step's
// checksum (migrations.Checksum). It is nullable: rows recorded before
// checksums existed have none until the runner fills them in.
const ChecksumColumn = "checksum"

// checksumColumnDef is the column's definition: a SHA-256 in hex.
func checksumColumnDef(d Dialect) string { return d.Quote(ChecksumColumn) + " varchar(64)" }

// addChecksumColumn upgrades a record table created before checksums. The
// dialect has checked that the column is missing.
func addChecksumColumn(m *Migrator, table string) error {
	return m.exec(fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", m.D.Quote(table), checksumColumnDef(m.D)))
}

// migrationsTableReady reports whether the record table exists with its
// checksum column, so that nothing needs creating. A run looks first
// rather than relying on IF NOT EXISTS alone: PostgreSQL and MySQL check
// the user's privileges (PostgreSQL: ownership, for ALTER TABLE) before
// IF NOT EXISTS looks, so a backend running as a user who may only read
// and write rows failed at start-up even with nothing to apply.
func migrationsTableReady(m *Migrator, name string) bool {
	mg := m.DB.Migrator()
	return mg.HasTable(name) && mg.HasColumn(name, ChecksumColumn)
}
