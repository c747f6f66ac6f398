package dialect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// An online step on MySQL/MariaDB runs as every step does there, without a
// transaction and re-runnable at any statement; its ALTER TABLE
// statements say how the server may run them: ALGORITHM=INSTANT (a change
// of metadata only) where the server can, else ALGORITHM=INPLACE,
// LOCK=NONE (built while the application reads and writes). A change that
// needs neither, one the server would copy the table for while blocking
// writes, is refused with the reason the server gives.

func (mysqlDialect) onlineApart() bool         { return false }
func (mysqlDialect) readyApart(*gorm.DB) error { return nil }
func (mysqlDialect) apartTx(*Migrator, func(*Migrator) error) error {
	return errors.New("MySQL runs online steps on the run's connection")
}

// onlineAlgorithms are tried in order, each appended to the statement.
var onlineAlgorithms = []string{"ALGORITHM=INSTANT", "ALGORITHM=INPLACE, LOCK=NONE"}

// alterExec runs one ALTER TABLE of an AlterTable: as it is, or in an
// online step with the online algorithms, the first the server accepts.
// The crash hook (BeforeWrite) sees the statement once.
func (d mysqlDialect) alterExec(m *Migrator, stmt string) error {
	if !m.Online() || !strings.HasPrefix(stmt, "ALTER TABLE ") {
		return m.exec(stmt)
	}
	if err := m.write(stmt); err != nil {
		return err
	}
	var refused error
	for _, algo := range onlineAlgorithms {
		err := m.DB.Exec(stmt + ", " + algo).Error
		if err == nil {
			m.ranAs(stmt, stmt+", "+algo)
			return nil
		}
		if !onlineRefusal(err) {
			return fmt.Errorf("%w (while running: %s)", err, abbreviate(stmt+", "+algo))
		}
		refused = err
	}
	table, change := splitAlter(stmt)
	return fmt.Errorf("table %s: the online step cannot %s without blocking writes: the server refuses to make it in place (%w); "+
		"it needs a copying (or locking) ALTER, which blocks writes to the table while it runs: to accept that, make this change a separate step without Online",
		table, abbreviate(change), refused)
}

// refuseOnlineChecks refuses, before any change, a check an online step
// adds: MySQL and MariaDB add one only by copying the table (ALGORITHM=COPY,
// which blocks writes), whatever the session's settings. Dropping one is
// instant.
func refuseOnlineChecks(table string, p alterPlan) error {
	if len(p.addChecks) == 0 {
		return nil
	}
	names := make([]string, len(p.addChecks))
	for i, c := range p.addChecks {
		names[i] = c.Name
	}
	return fmt.Errorf("table %s: the online step cannot add check %s without blocking writes: MySQL and MariaDB add a check only with a copying ALTER, which blocks writes to the table while it copies every row; "+
		"to accept that, make this change a separate step without Online", table, strings.Join(names, ", "))
}

// addIndexSQL adds an index: in an online step as an ALTER TABLE, which
// takes the algorithm clauses.
func (d mysqlDialect) addIndexSQL(m *Migrator, table string, i Index) string {
	if !m.Online() {
		return createIndexSQL(d, table, i, false)
	}
	kind := "INDEX"
	if i.Unique {
		kind = "UNIQUE INDEX"
	}
	return fmt.Sprintf("ALTER TABLE %s ADD %s %s (%s)", d.Quote(table), kind, d.Quote(i.Name), quoteList(d, i.Columns))
}

// onlineRefusal reports the server refusing an ALGORITHM or LOCK clause:
// ER_ALTER_OPERATION_NOT_SUPPORTED (1845) and its _REASON form (1846).
func onlineRefusal(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1845 || me.Number == 1846)
}

// splitAlter splits "ALTER TABLE `t` change" into t and change.
func splitAlter(stmt string) (table, change string) {
	rest := strings.TrimPrefix(stmt, "ALTER TABLE ")
	if strings.HasPrefix(rest, "`") {
		if end := strings.Index(rest[1:], "` "); end >= 0 {
			return strings.ReplaceAll(rest[1:end+1], "``", "`"), rest[end+3:]
		}
	}
	return "?", rest
}

func (mysqlDialect) journalSQL() journalSQL {
	return journalSQL{reachedAt: "datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)", keepRow: " ON DUPLICATE KEY UPDATE point = point"}
}
