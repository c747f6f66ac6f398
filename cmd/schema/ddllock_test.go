package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/db"
)

// TestDDLLockFlags: up and down take --ddl-lock-wait (more than 0) and
// --ddl-retry-for (0 or more; 0 means no retry), and the URL's
// schema_ddl_lock_wait and schema_ddl_retry_for; a bad value is a usage
// error of one line, before the database is touched, that never shows the
// password.
func TestDDLLockFlags(t *testing.T) {
	const secret = "Sup3rSecret"
	tests := []struct {
		name string
		args []string
		url  string // "" for a fresh SQLite file
		want string // "" for success
	}{
		{"both flags", []string{"--ddl-lock-wait=500ms", "--ddl-retry-for=1m"}, "", ""},
		{"no retry", []string{"--ddl-retry-for=0"}, "", ""},
		{"URL options", nil, "?schema_ddl_lock_wait=1s&schema_ddl_retry_for=0", ""},
		{"zero wait", []string{"--ddl-lock-wait=0s"}, "", "--ddl-lock-wait must be more than 0, got 0s"},
		{"negative wait", []string{"--ddl-lock-wait=-1s"}, "", "--ddl-lock-wait must be more than 0, got -1s"},
		{"negative budget", []string{"--ddl-retry-for=-5m"}, "", "--ddl-retry-for must not be negative, got -5m0s"},
		{"not a duration", []string{"--ddl-retry-for=soon"}, "", `invalid argument "soon"`},
		{"bad URL wait", nil, "postgresql://u:" + secret + "@127.0.0.1:1/db?schema_ddl_lock_wait=0", "schema_ddl_lock_wait is not a positive duration"},
		{"bad URL budget", nil, "mysql://root:" + secret + "@127.0.0.1:1/db?schema_ddl_retry_for=-1s", "schema_ddl_retry_for is not a duration of zero or more"},
	}
	for _, cmd := range []string{"up", "down"} {
		for _, tt := range tests {
			t.Run(cmd+" "+tt.name, func(t *testing.T) {
				url, path := sqliteURL(t)
				switch {
				case strings.HasPrefix(tt.url, "?"):
					url += tt.url
				case tt.url != "":
					url, path = tt.url, ""
				}
				code, stdout, stderr := runCLI(t, append([]string{cmd, "--database-url", url}, tt.args...)...)
				if tt.want == "" {
					if code != exitOK {
						t.Fatalf("exit %d: %s", code, stderr)
					}
					return
				}
				if code != exitUsage {
					t.Fatalf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
				}
				requireOneErrorLine(t, stderr, tt.want)
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr %q shows the password", stderr)
				}
				if stdout != "" || path != "" && exists(path) {
					t.Errorf("a usage error must not touch the database (stdout %q)", stdout)
				}
			})
		}
	}
}

// TestLiveReporterLockWaiting: a step's lock-wait retries are printed on
// stderr at once (notices wait for the step to be done), and stdout stays
// for what was applied.
func TestLiveReporterLockWaiting(t *testing.T) {
	var out, errw bytes.Buffer
	r := newLiveReporter(&out, &errw, false)
	var _ db.LockWaitReporter = r
	s := db.StepResult{ID: "aaa", Name: "first", Direction: db.DirectionUp}
	r.StepStarted(s)
	const msg = "step aaa (first): waiting for a lock on table chat, held by session 7 (idle in transaction); retry 1 in 500ms"
	r.LockWaiting(s, msg)
	if errw.String() != msg+"\n" || out.Len() != 0 {
		t.Errorf("stderr %q, stdout %q; want the message on stderr alone", errw.String(), out.String())
	}
}
