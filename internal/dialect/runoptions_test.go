package dialect

import (
	"strings"
	"testing"
	"time"
)

// TestRunOptionsFromURL: the schema_* options are read, taken out of the
// URL before the driver (and String, and a sibling database's URL) sees
// it, and the rest is left as written.
func TestRunOptionsFromURL(t *testing.T) {
	tests := []struct {
		url    string
		want   RunOptions
		dsnHas []string
	}{
		{"postgres://u:Sup3rSecret@h/db?schema_ddl_lock_wait=2s&sslmode=disable&schema_ddl_retry_for=5m",
			RunOptions{DDLLockWait: 2 * time.Second, DDLRetryFor: 5 * time.Minute, DDLRetryForGiven: true}, []string{"sslmode=disable"}},
		{"postgresql://u@h/db?options=-c%20search_path%3Dapp&schema_ddl_lock_wait=500ms",
			RunOptions{DDLLockWait: 500 * time.Millisecond}, []string{"options=-c%20search_path%3Dapp"}},
		{"postgresql://u@h/db", RunOptions{}, nil},
		{"mysql://root:Sup3rSecret@h/db?schema_ddl_retry_for=0&charset=utf8mb4",
			RunOptions{DDLRetryForGiven: true}, []string{"charset=utf8mb4"}},
		{"mariadb://root@h/db?schema_ddl_lock_wait=1.5", RunOptions{DDLLockWait: 1500 * time.Millisecond}, nil},
		{"sqlite:///x.db?schema_ddl_lock_wait=3s&timeout=2", RunOptions{DDLLockWait: 3 * time.Second}, []string{"_busy_timeout=2000"}},
		{"sqlite:///x.db?schema_ddl_retry_for=90", RunOptions{DDLRetryFor: 90 * time.Second, DDLRetryForGiven: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := Parse(tt.url)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Run != tt.want {
				t.Errorf("run options %+v, want %+v", got.Run, tt.want)
			}
			for _, s := range []string{got.dsn, got.String()} {
				if strings.Contains(s, "schema_") {
					t.Errorf("%q still carries a schema_ option", s)
				}
			}
			for _, want := range tt.dsnHas {
				if !strings.Contains(got.dsn, want) {
					t.Errorf("driver's DSN %q lacks %q", got.dsn, want)
				}
			}
			if got.Dialect.server() {
				if _, err := got.WithDatabase("other"); err != nil {
					t.Errorf("WithDatabase: %v", err)
				}
			}
		})
	}
}

// TestRunOptionsRefused: a bad value, a repeated option or an unknown
// schema_ option is one clear error, which never shows the password.
func TestRunOptionsRefused(t *testing.T) {
	const secret = "Sup3rSecret"
	tests := []struct{ query, want string }{
		{"schema_ddl_lock_wait=0", "schema_ddl_lock_wait is not a positive duration"},
		{"schema_ddl_lock_wait=-2s", "schema_ddl_lock_wait is not a positive duration"},
		{"schema_ddl_lock_wait=soon", "schema_ddl_lock_wait is not a positive duration"},
		{"schema_ddl_lock_wait=", "schema_ddl_lock_wait is not a positive duration"},
		{"schema_ddl_lock_wait=NaN", "schema_ddl_lock_wait is not a positive duration"},
		{"schema_ddl_retry_for=-1m", "schema_ddl_retry_for is not a duration of zero or more"},
		{"schema_ddl_retry_for=1e300", "schema_ddl_retry_for is not a duration of zero or more"},
		{"schema_ddl_retry_for=1m&schema_ddl_retry_for=2m", `option "schema_ddl_retry_for" is given twice`},
		{"schema_ddl_lockwait=2s", `unsupported database URL option "schema_ddl_lockwait" (supported: schema_ddl_lock_wait, schema_ddl_retry_for)`},
		{"schema_ddl_lock_wait=%zz", "malformed query string"},
	}
	for _, base := range []string{"postgresql://u:" + secret + "@h/db", "mysql://root:" + secret + "@h/db", "sqlite:///x.db"} {
		for _, tt := range tests {
			t.Run(base+"?"+tt.query, func(t *testing.T) {
				_, err := Parse(base + "?" + tt.query)
				if err == nil {
					t.Fatal("accepted")
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.want) {
					t.Errorf("error %q, want it to say %q", msg, tt.want)
				}
				if strings.Contains(msg, secret) || strings.Contains(msg, "\n") {
					t.Errorf("error %q shows the password or is not one line", msg)
				}
			})
		}
	}
	// A password given as an option, with a "&" in it, could make a piece
	// of it look like an option: the name is then not shown.
	_, err := Parse("mysql://root@h/db?password=ab&schema_" + secret + "=1")
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("a piece of a password option that looks like a schema_ option: %v", err)
	}
}
