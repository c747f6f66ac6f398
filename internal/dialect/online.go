package dialect

import (
	"fmt"
	"strings"
)

// Online steps (migrations.Step.Online) change a live database without
// blocking its application: each dialect alters with its online forms of
// DDL when the step's migrator is online (postgres_online.go,
// mysql_online.go; SQLite has none and runs the step as any other). Every
// statement of an online step must be safe to run again: on PostgreSQL
// they run outside the unit's transaction, so a crash leaves what they did
// and the step unrecorded, and the re-run does it again.

// RunsOnlineApart reports whether d runs an online step apart from the
// unit's transaction, so that a crash or a signal leaves its partial work
// (PostgreSQL) rather than rolling it back.
func RunsOnlineApart(d Dialect) bool { return d.onlineApart() }

// Online reports whether the step runs online.
func (m *Migrator) Online() bool { return m.run.Online }

// refuseOnline refuses, before any change, what no online form can do
// without rewriting the table under a lock that blocks its application:
// a column's type, or the primary key.
func refuseOnline(table string, p alterPlan) error {
	var what []string
	for _, c := range p.changes {
		if c.typeChanged() {
			what = append(what, fmt.Sprintf("the type of column %s (%s to %s)", c.From.Name, c.From.Type, c.To.Type))
		}
	}
	if p.pkChanged {
		what = append(what, "the primary key")
	}
	if len(what) == 0 {
		return nil
	}
	return fmt.Errorf("an online step cannot change %s of table %s: that rewrites the table under a lock that blocks its reads and writes; "+
		"make the change a separate step without Online (accepting the lock), or an expand/contract change (add a new column, fill it, move the application to it, then drop the old one)",
		strings.Join(what, " and "), table)
}
