package tests

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// TestOnlineStepKilledDuringIndexBuild: `schema up` of a generated online
// step is killed (SIGKILL) while PostgreSQL's CREATE INDEX CONCURRENTLY
// waits for an older transaction; the server keeps the orphaned build
// going, with an INVALID index. The same command run again, while that
// build still waits, finishes once the old transaction ends: one valid
// index, the step recorded, no drift.
func TestOnlineStepKilledDuringIndexBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("copies and builds the module")
	}
	mod := copyModule(t)
	edit(t, mod, "models/chat.go", "gorm:\"size:255;index:idx_chat_folder_id\"",
		"gorm:\"size:255;index:idx_chat_folder_id;index:idx_chat_folder_share,priority:1\"")
	edit(t, mod, "models/chat.go", "gorm:\"size:255;uniqueIndex:uq_chat_share_id\"",
		"gorm:\"size:255;uniqueIndex:uq_chat_share_id;index:idx_chat_folder_share,priority:2\"")
	generateStep(t, mod, "add_chat_folder_share_index", "marked Online")
	bin := buildCopy(t, mod)
	head := migrations.Head()

	url := testdb.URL(t, "postgres")
	requireRun(t, bin, 0, "", "--database-url", url, "up", "--to", head)
	g := openRows(t, url)
	for _, q := range []string{
		`INSERT INTO chat (id, user_id, chat, created_at, updated_at, pinned, archived) VALUES ('c1', 'u1', '{}', 1, 1, false, false), ('c2', 'u1', '{}', 2, 2, false, false)`,
	} {
		if err := g.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}

	// A transaction with a snapshot older than the build: CONCURRENTLY
	// waits for it to end.
	holder := g.Begin()
	if err := holder.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").Error; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := holder.Raw("SELECT count(*) FROM chat").Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			if err := holder.Commit().Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	defer release()

	// The build is past creating the index and waits for the holder.
	building := func() bool {
		var k int
		if err := g.Raw(`SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database() AND phase = 'waiting for old snapshots'`).Row().Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k > 0
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := exec.Command(bin, "--database-url", url, "up")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor("the first run's index build", building)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	if !building() {
		t.Fatal("the killed run's build is no longer on the server: the test proves nothing")
	}
	if got := indexState(t, g); got != "invalid" {
		t.Fatalf("while the orphaned build waits, idx_chat_folder_share is %s, want invalid", got)
	}
	st := requireRun(t, bin, 0, "", "--database-url", url, "current")
	if !strings.Contains(st, head) {
		t.Fatalf("after the kill the database should still be at %s:\n%s", head, st)
	}

	// The same command again, while the orphaned build still waits; the
	// old transaction ends a moment later.
	second := exec.Command(bin, "--database-url", url, "up")
	var out strings.Builder
	second.Stdout, second.Stderr = &out, &out
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	release()
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the re-run failed: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		second.Process.Kill()
		t.Fatalf("the re-run did not finish:\n%s", out.String())
	}
	if got := indexState(t, g); got != "valid" {
		t.Fatalf("after the re-run idx_chat_folder_share is %s, want one valid index", got)
	}
	requireRun(t, bin, 0, "live database vs models: no differences", "--database-url", url, "verify")
	if cur := requireRun(t, bin, 0, "", "--database-url", url, "current"); strings.Contains(cur, head) {
		t.Fatalf("the re-run did not record the new step:\n%s", cur)
	}
}

// indexState is "valid", "invalid", "missing" or "N copies" for
// idx_chat_folder_share.
func indexState(t *testing.T, g *gorm.DB) string {
	t.Helper()
	var valid []bool
	if err := g.Raw(`SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relname = 'idx_chat_folder_share' AND c.relnamespace = current_schema()::regnamespace`).Scan(&valid).Error; err != nil {
		t.Fatal(err)
	}
	switch {
	case len(valid) == 0:
		return "missing"
	case len(valid) > 1:
		return fmt.Sprintf("%d copies", len(valid))
	case valid[0]:
		return "valid"
	}
	return "invalid"
}
