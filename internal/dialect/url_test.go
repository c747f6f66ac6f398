package dialect

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAccepted(t *testing.T) {
	tests := []struct {
		url      string
		dialect  string
		database string
		display  string
		dsnHas   []string
	}{
		{"sqlite:///data/webui.db", "sqlite", "data/webui.db", "sqlite:///data/webui.db",
			[]string{"file:data/webui.db?", "_foreign_keys=1", "_journal_mode=WAL", "_busy_timeout=5000", "_txlock=immediate"}},
		{"sqlite:////var/lib/webui.db", "sqlite", "/var/lib/webui.db", "sqlite:////var/lib/webui.db", []string{"file:/var/lib/webui.db?"}},
		{"sqlite://", "sqlite", ":memory:", "sqlite://", []string{"file::memory:?"}},
		{"sqlite:///:memory:", "sqlite", ":memory:", "sqlite://", []string{"file::memory:?"}},
		{"sqlite:///x.db?timeout=2.5&check_same_thread=false", "sqlite", "x.db", "sqlite:///x.db", []string{"_busy_timeout=2500"}},
		{"sqlite:///dir%20x/100%25.db", "sqlite", "dir%20x/100%25.db", "", []string{"file:dir%2520x/100%2525.db?"}},
		{"postgres://u:pw@db.example:5433/webui?sslmode=require", "postgres", "webui", "postgres://u:xxxxx@db.example:5433/webui?sslmode=require",
			[]string{"postgres://u:pw@db.example:5433/webui?", "sslmode=require", "default_query_exec_mode=exec"}},
		{"postgresql://u@localhost/webui", "postgres", "webui", "postgres://u@localhost/webui", nil},
		{"postgresql+psycopg2://u:p%40ss@localhost/webui", "postgres", "webui", "postgres://u:xxxxx@localhost/webui", []string{"p%40ss"}},
		{"postgresql://u@/webui?host=/var/run/postgresql", "postgres", "webui", "postgres://u@/webui?host=/var/run/postgresql", nil},
		{"mysql://root:pw@127.0.0.1:3307/webui?charset=utf8mb4", "mysql", "webui", "mysql://root:xxxxx@127.0.0.1:3307/webui?charset=utf8mb4",
			[]string{"root:pw@tcp(127.0.0.1:3307)/webui?", "parseTime=true", "charset=utf8mb4", "time_zone=%27%2B00%3A00%27"}},
		{"mysql+pymysql://root@db/webui", "mysql", "webui", "mysql://root@db/webui", []string{"tcp(db:3306)"}},
		{"mariadb://root@db/webui", "mysql", "webui", "mysql://root@db/webui", nil},
		{"mysql://root@/webui?unix_socket=/run/mysqld/mysqld.sock", "mysql", "webui", "", []string{"unix(/run/mysqld/mysqld.sock)"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := Parse(tt.url)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Dialect.Name() != tt.dialect || got.Database != tt.database {
				t.Errorf("dialect, database = %s, %s; want %s, %s", got.Dialect.Name(), got.Database, tt.dialect, tt.database)
			}
			if tt.display != "" && got.String() != tt.display {
				t.Errorf("String() = %q, want %q", got.String(), tt.display)
			}
			for _, part := range tt.dsnHas {
				if !strings.Contains(got.dsn, part) {
					t.Errorf("DSN %q lacks %q", got.dsn, part)
				}
			}
		})
	}
}

func TestParseRejected(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "database URL is empty"},
		{"just-a-path.db", "has no scheme"},
		{"oracle://u:pw@h/db", `unsupported database URL scheme "oracle"`},
		{"sqlite+sqlcipher:///x.db", `unsupported database URL scheme "sqlite+sqlcipher"`},
		{"sqlite://host/x.db", "has a host part"},
		{"sqlite:///x.db?journal=wal", `unsupported SQLite URL option "journal"`},
		{"sqlite:///x.db?timeout=soon", `timeout="soon" is not a number of seconds`},
		{"postgres://u:pw@host:notaport/db", "malformed database URL"},
		{"postgres://u:pw@host/", "names no database"},
		{"postgres:///db", "names no host"},
		{"mysql://u:pw@host/db?ssl_ca=/x", `unsupported MySQL URL option "ssl_ca"`},
		{"mysql://u:pw@host", "names no database"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := Parse(tt.url)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
			if strings.Contains(msg, "pw@") || strings.Contains(msg, ":pw") {
				t.Errorf("error %q shows the password", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is more than one line", msg)
			}
		})
	}
}

func TestScrubKeepsPasswordOut(t *testing.T) {
	target, err := Parse("postgres://u:hunter2secret@localhost:1/db")
	if err != nil {
		t.Fatal(err)
	}
	inner := errors.New("dial failed for postgres://u:hunter2secret@localhost:1/db")
	got := target.Scrub(inner)
	if strings.Contains(got.Error(), "hunter2secret") {
		t.Fatalf("scrubbed error still has the password: %v", got)
	}
	if !errors.Is(got, inner) {
		t.Fatal("scrubbing broke the error chain")
	}
	if _, err := Open(target); err == nil || strings.Contains(err.Error(), "hunter2secret") {
		t.Fatalf("Open error = %v; want a failure without the password", err)
	}
}

func TestWithDatabase(t *testing.T) {
	target, err := Parse("mysql://root:pw@127.0.0.1:3306/test?charset=utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	sib, err := target.WithDatabase("scratch_1")
	if err != nil {
		t.Fatal(err)
	}
	if sib.Database != "scratch_1" || !strings.Contains(sib.dsn, "/scratch_1?") || !strings.Contains(sib.dsn, "charset=utf8mb4") {
		t.Fatalf("sibling = %+v", sib)
	}
	if _, err := (Target{Dialect: sqliteDialect{}, Database: "x.db"}).WithDatabase("y"); err == nil {
		t.Fatal("SQLite has no sibling databases")
	}
}
