//go:build faultinject

package fault

import (
	"strings"
	"syscall"
	"testing"
)

// Run with: go test -tags faultinject ./internal/fault/
func TestParse(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  *plan
		error bool
	}{
		{in: ""},
		{in: "12:SIGKILL", want: &plan{at: 12, sig: syscall.SIGKILL}},
		{in: "3+:SIGINT", want: &plan{at: 3, after: true, sig: syscall.SIGINT}},
		{in: "1:term", want: &plan{at: 1, sig: syscall.SIGTERM}},
		{in: "0:SIGKILL", error: true},
		{in: "soon:SIGKILL", error: true},
		{in: "5:SIGHUP", error: true},
		{in: "5", error: true},
	} {
		got, err := parse(c.in)
		switch {
		case c.error:
			if err == nil || !strings.Contains(err.Error(), EnvFault) {
				t.Errorf("parse(%q) = %v, %v; want an error naming %s", c.in, got, err, EnvFault)
			}
		case err != nil:
			t.Errorf("parse(%q): %v", c.in, err)
		case (got == nil) != (c.want == nil) || got != nil && *got != *c.want:
			t.Errorf("parse(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}
