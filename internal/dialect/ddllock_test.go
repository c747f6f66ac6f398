package dialect

import (
	"strings"
	"testing"
)

// TestStatementTable: the table a generated statement works on, as the
// runner names it when the statement gave up waiting for a lock.
func TestStatementTable(t *testing.T) {
	for q, want := range map[string]string{
		`ALTER TABLE "chat" ADD COLUMN "title" text`:                                  "chat",
		"ALTER TABLE `chat` ADD COLUMN `title` longtext, ALGORITHM=INSTANT":           "chat",
		`CREATE TABLE IF NOT EXISTS "tag" ("id" text)`:                                "tag",
		`CREATE UNIQUE INDEX IF NOT EXISTS "uq_chat_share_id" ON "chat" ("share_id")`: "chat",
		`DROP TABLE IF EXISTS "old""name"`:                                            `old"name`,
		`INSERT INTO "folder" ("id") VALUES ($1)`:                                     "folder",
		"UPDATE `file` AS t JOIN (SELECT 1) AS s ON 1 SET t.a = 1":                    "file",
		`DELETE FROM "chat_tag" WHERE x`:                                              "chat_tag",
		"RENAME TABLE `chat` TO `chat_old`":                                           "chat",
		"SELECT 1":                                                                    "",
		"":                                                                            "",
	} {
		if got := StatementTable(q); got != want {
			t.Errorf("StatementTable(%q) = %q, want %q", q, got, want)
		}
	}
}

// TestLockHolderHidesStatementText: a blocking session is named by its
// statement's first word only; the text is another session's and may
// hold a secret.
func TestLockHolderHidesStatementText(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{"ALTER ROLE app PASSWORD 'hunter2-secret'", "last statement: ALTER ..."},
		{"  select * from chat where token = 'hunter2-secret'", "last statement: SELECT ..."},
		{"BEGIN; SELECT 'hunter2-secret'", "last statement: BEGIN ..."},
		{"/* hunter2-secret */ SELECT 1", ""},
	} {
		got := LockHolder{Session: 7, State: "idle in transaction", Query: c.query}.String()
		if strings.Contains(got, "hunter2") {
			t.Errorf("%q: the holder's description shows the statement's text: %s", c.query, got)
		}
		if c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%q: got %s, want it to say %q", c.query, got, c.want)
		}
		if !strings.Contains(got, "session 7 (") {
			t.Errorf("%q: got %s, want the session named", c.query, got)
		}
	}
}
