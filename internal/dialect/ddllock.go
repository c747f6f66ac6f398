package dialect

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Lock waits of a step's statements. A DDL statement that waits for a
// table lock queues every later reader and writer of that table behind it
// (PostgreSQL's lock queue, MySQL's metadata locks): one long open
// transaction of the application would stall the whole table for as long
// as the migration waits. So each statement of a run waits only briefly
// (the dialect's LimitLockWait / LimitTxLockWait), a statement that gave up
// is recognised (LockWaitTimedOut), the runner retries the whole step
// later, and when it gives up it names the sessions holding the table
// (LockHolders). The dialect methods are in each database's file
// (postgres_ddllock.go, mysql_ddllock.go, sqlite_ddllock.go).

// LockHolder is a session that holds a lock on a table a step waited for,
// or, where the database cannot say which table a session locked, an open
// transaction on the same database.
type LockHolder struct {
	Session    int64  // PostgreSQL backend pid, MySQL thread id
	User       string // the role or user it is logged in as
	App        string // PostgreSQL application_name ("" elsewhere)
	State      string // "idle in transaction", "active", MySQL's command and state
	TxStart    time.Time
	QueryStart time.Time
	Query      string // the last (or running) statement; String shows only its first word
	Tables     []string
	// End is the statement that ends the session, for the message.
	End string
}

// String describes the holder in one line for people.
func (h LockHolder) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "session %d (", h.Session)
	var parts []string
	if h.User != "" {
		parts = append(parts, "user "+h.User)
	}
	if h.App != "" {
		parts = append(parts, "application "+h.App)
	}
	if h.State != "" {
		parts = append(parts, h.State)
	}
	if !h.TxStart.IsZero() {
		parts = append(parts, fmt.Sprintf("transaction open since %s (%s)", h.TxStart.UTC().Format(time.RFC3339), time.Since(h.TxStart).Round(time.Second)))
	} else if !h.QueryStart.IsZero() {
		parts = append(parts, "last statement at "+h.QueryStart.UTC().Format(time.RFC3339))
	}
	if len(h.Tables) > 0 {
		parts = append(parts, "on "+strings.Join(h.Tables, ", "))
	}
	// Only the statement's kind: its text is another session's, and may
	// hold a secret (ALTER ROLE ... PASSWORD, a token in a literal).
	if kind := statementKind(h.Query); kind != "" {
		parts = append(parts, "last statement: "+kind+" ...")
	}
	b.WriteString(strings.Join(parts, ", "))
	b.WriteString(")")
	return b.String()
}

// maxLockHolders bounds how many sessions a message names.
const maxLockHolders = 5

// statementTable finds the table a schema statement works on: the name
// after TABLE, ON (an index), INTO, UPDATE or FROM, quoted with " or `.
var statementTable = regexp.MustCompile("(?i)\\b(?:TABLE(?:\\s+IF\\s+(?:NOT\\s+)?EXISTS)?|ON|INTO|UPDATE|FROM)\\s+[\"`]((?:[^\"`]|\"\"|``)+)[\"`]")

// StatementTable is the table a statement this package generated works on
// ("" if it names none the way the dialects quote identifiers): how the
// runner knows which table a step was waiting for when its statement gave
// up (StepRun.LastWrite).
func StatementTable(query string) string {
	if len(query) > 512 {
		query = query[:512] // the table comes first; a batch's values do not matter
	}
	m := statementTable.FindStringSubmatch(query)
	if m == nil {
		return ""
	}
	return strings.NewReplacer(`""`, `"`, "``", "`").Replace(m[1])
}

// splitNonEmpty splits a comma-separated list, "" being none.
func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// statementKind is the first word of a statement, upper-cased ("SELECT",
// "BEGIN"), or "" when it does not start with one.
func statementKind(q string) string {
	q = strings.TrimSpace(q)
	end := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(q)
	}
	return strings.ToUpper(q[:min(end, 20)])
}
