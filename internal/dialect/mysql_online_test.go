package dialect

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestOnlineAlterRefusedByServer: a change MariaDB/MySQL will make neither
// instantly nor in place without a lock (a FULLTEXT index) fails an online
// step with the server's reason, naming the table and the change and
// saying how to accept the copy. (The changes AlterTable plans are made in
// place or refused before any change; this is the server's last word.)
func TestOnlineAlterRefusedByServer(t *testing.T) {
	raw := os.Getenv("SCHEMA_TEST_MYSQL_URL")
	if raw == "" {
		if os.Getenv("SCHEMA_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("SCHEMA_TEST_MYSQL_URL is not set")
		}
		t.Skip("SCHEMA_TEST_MYSQL_URL is not set")
	}
	ctx := context.Background()
	server, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := Open(server)
	if err != nil {
		t.Fatal(err)
	}
	defer closeGorm(admin)
	sib, err := NewSibling(ctx, admin, server, "schematest", "")
	if err != nil {
		t.Fatal(err)
	}
	defer sib.Drop(ctx)
	db, err := Open(sib.Target)
	if err != nil {
		t.Fatal(err)
	}
	defer closeGorm(db)
	if err := db.Exec("CREATE TABLE `it` (`id` varchar(255) NOT NULL PRIMARY KEY, `label` varchar(255))").Error; err != nil {
		t.Fatal(err)
	}
	var seen []string
	run := &StepRun{Online: true, Hooks: Hooks{BeforeWrite: func(q string) error { seen = append(seen, q); return nil }}}
	m, err := NewMigrator(db.WithContext(WithStepRun(ctx, run)))
	if err != nil {
		t.Fatal(err)
	}
	err = mysqlDialect{}.alterExec(m, "ALTER TABLE `it` ADD FULLTEXT INDEX `ft` (`label`)")
	for _, want := range []string{"table it: the online step cannot ADD FULLTEXT INDEX `ft` (`label`) without blocking writes",
		"LOCK=NONE is not supported", "copying (or locking) ALTER", "separate step without Online"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to say %q", err, want)
		}
	}
	t.Logf("refused: %v", err)
	if len(seen) != 1 {
		t.Errorf("the crash hook saw %d statements, want the one change: %q", len(seen), seen)
	}
	var n int64
	if err := db.Raw("SELECT count(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'ft'").Scan(&n).Error; err != nil || n != 0 {
		t.Errorf("index ft: %d (%v), want none", n, err)
	}
}
