package dialect

import "testing"

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
