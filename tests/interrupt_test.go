package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// interruptChats is how many tagged chats make step 7 run for seconds on
// every dialect (about 2 s on SQLite, longer on the servers).
const interruptChats = 100_000

// seedTaggedChats inserts n chats at step 5 or 6, each tagged "work" and
// one of 200 topics, in one set-based statement (digits cross-joined).
func seedTaggedChats(t *testing.T, r *db.Database, n int) {
	t.Helper()
	digits := "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
	num := "(a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d)"
	payload := fmt.Sprintf(`concat('{"title": "chat ', %[1]s, '", "tags": ["work", "Topic ', %[1]s %% 200, '"]}')`, num)
	if r.Dialect() == "postgres" {
		payload = "CAST(" + payload + " AS jsonb)"
	}
	q := fmt.Sprintf(`INSERT INTO chat (id, user_id, chat, pinned, archived, created_at, updated_at)
		SELECT concat('chat-', %[1]s), concat('user-', %[1]s %% 100), %[2]s, false, false, 1700000000, 1700000000
		FROM %[3]s a, %[3]s b, %[3]s c, %[3]s e, %[3]s f, %[3]s g WHERE %[1]s < %[4]d`, num, payload, digits, n)
	if err := r.DB.Exec(q).Error; err != nil {
		t.Fatalf("seed %d chats: %v", n, err)
	}
}

// TestSIGINTDuringStep sends a real SIGINT to the schema command while
// step 7 (migrate_tags) runs over many chats. What it printed as applied
// must be committed, and it must say what became of the step in flight:
// rolled back on SQLite and PostgreSQL; on MySQL/MariaDB stopped partway,
// its work redone by the next run. `current` must say what it said, and
// the next run must finish the job.
func TestSIGINTDuringStep(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 chats per dialect")
	}
	const before, inFlight, after = "4ace53fd72c8", "1af9b942657b", "3ab32c4b8f59"
	const done = "d31026856c01" // step 6: applied, then step 7 starts
	testdb.Each(t, func(t *testing.T, dialect string) {
		url := testdb.URL(t, dialect)
		r, err := db.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.Up(context.Background(), before, db.Options{}); err != nil {
			t.Fatal(err)
		}
		seedTaggedChats(t, r, interruptChats)

		c := newCLI(t, "DATABASE_URL="+url)
		cmd := exec.Command(c.bin, "up", "--to", after)
		cmd.Dir, cmd.Env = c.dir, append(os.Environ(), "DATABASE_URL="+url)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var printed []string
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			printed = append(printed, lines.Text())
			if strings.HasPrefix(lines.Text(), "applied "+done+" ") {
				// Step 6 is committed and step 7 has started: let it
				// get going, then interrupt it.
				time.Sleep(300 * time.Millisecond)
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		rest, _ := io.ReadAll(stdout)
		printed = append(printed, cliLines(string(rest))...)
		timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
		err = cmd.Wait()
		timer.Stop()
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Fatalf("exit %d (%v), want 1\nstdout: %q\nstderr: %s", code, err, printed, stderr.String())
		}
		if len(printed) != 1 || !strings.HasPrefix(printed[0], "applied "+done+" update_folder_table_data (") {
			t.Fatalf("stdout %q, want just step 6 applied", printed)
		}
		want := "schema: interrupted: step 1af9b942657b (migrate_tags) rolled back; database " + r.String() + " is at " + done + "\n"
		if dialect == "mysql" {
			want = "schema: interrupted: step 1af9b942657b (migrate_tags) stopped partway, and MySQL/MariaDB cannot roll a step back; the step is not recorded, and its partial work stays until the next `schema up` redoes it; database " + r.String() + " is at " + done + "\n"
		}
		if stderr.String() != want {
			t.Fatalf("stderr\n  %q\nwant\n  %q", stderr.String(), want)
		}
		if got := strings.TrimSpace(c.ok("current")); got != done {
			t.Fatalf("current = %q, but the command said %s", got, done)
		}
		if dialect != "mysql" && (r.DB.Migrator().HasTable("tag") || r.DB.Migrator().HasTable("chat_tag")) {
			t.Fatalf("step %s was rolled back, yet its tables are there", inFlight)
		}
		// The next run finishes the job, as if nothing had happened.
		c.ok("up", "--to", after)
		// Each chat has two tags; each of the 100 users has "work" and
		// two topics.
		for table, want := range map[string]int64{"chat_tag": 2 * interruptChats, "tag": 300} {
			var n int64
			if err := r.DB.Table(table).Count(&n).Error; err != nil || n != want {
				t.Errorf("%s has %d rows after the rerun (%v), want %d", table, n, err, want)
			}
		}
	})
}
