package transfer

import (
	"context"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// The merge of ordered keys finds rows whose key points nowhere in a
// target loaded with checks off, composite keys included, and passes
// NULL keys and keys that do point somewhere.
func TestDanglingKeysInTheTarget(t *testing.T) {
	for _, name := range []string{"sqlite", "mysql"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			from := testdb.URL(t, "sqlite")
			to := testdb.URL(t, name)
			for _, u := range []string{from, to} {
				d, err := db.Open(ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.Up(ctx, "", db.Options{}); err != nil {
					t.Fatal(err)
				}
				d.Close()
			}
			s, err := open(ctx, Options{From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			if err := s.sourceRevision(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.checkTargetKeys(ctx); err != nil {
				t.Fatalf("empty target: %v", err)
			}
			sqlDB, _ := s.tgt.DB.DB()
			conn, err := sqlDB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := dialect.LoadSession(ctx, s.td, conn); err != nil {
				t.Fatal(err)
			}
			q := s.td.Quote
			for _, stmt := range []string{
				"INSERT INTO " + q("chat") + " (id, user_id, title, created_at, updated_at, pinned, archived) VALUES ('c1', 'u', 't', 1, 1, false, false), ('c2', 'u', 't', 1, 1, false, false)",
				"INSERT INTO " + q("message") + " (id, chat_id, user_id, role, content, created_at, updated_at) VALUES ('m1', 'c1', 'u', 'r', 'x', 1, 1), ('m2', 'c9', 'u', 'r', 'x', 1, 1), ('m3', 'c0', 'u', 'r', 'x', 1, 1), ('m4', 'c2', 'u', 'r', 'x', 1, 1), ('m5', 'c3', 'u', 'r', 'x', 1, 1)",
				"INSERT INTO " + q("tag") + " (id, name, user_id) VALUES ('work', 'Work', 'u1')",
				"INSERT INTO " + q("chat_tag") + " (chat_id, tag_id, user_id) VALUES ('c1', 'work', 'u1'), ('c2', 'work', 'u2')",
			} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			err = s.checkTargetKeys(ctx)
			for _, want := range []string{"3 row(s) of message whose key fk_message_chat_id", "1 row(s) of chat_tag whose key fk_chat_tag_tag_id_user_id"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("check: %v; want %q", err, want)
				}
			}
		})
	}
}
