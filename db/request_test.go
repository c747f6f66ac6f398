package db

import (
	"errors"
	"strings"
	"testing"

	"github.com/openwebui-go/schema/migrations"
)

func TestRevision(t *testing.T) {
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	first, head := chain[0].ID, chain[len(chain)-1].ID
	cases := []struct {
		name      string
		allowBase bool
		want      string
		err       string
	}{
		{"head", false, head, ""},
		{"base", true, "", ""},
		{first, false, first, ""},
		{"base", false, "", `up --to: unknown revision "base": use a revision ID from ` + "`schema history`" + ` or head`},
		{"HEAD", true, "", `up --to: unknown revision "HEAD": use a revision ID from ` + "`schema history`" + `, head or base`},
		{"", true, "", `up --to: unknown revision ""`},
		{first[:4], false, "", `unknown revision "` + first[:4] + `"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Revision("up --to", c.name, c.allowBase)
			if c.err == "" {
				if err != nil || got != c.want {
					t.Fatalf("Revision(%q) = %q, %v; want %q", c.name, got, err, c.want)
				}
				return
			}
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Revision(%q) error = %v; want a bad request containing %q", c.name, err, c.err)
			}
		})
	}
}

func TestDownRequestCheck(t *testing.T) {
	cases := []struct {
		name string
		req  DownRequest
		err  string
	}{
		{"one step", DownRequest{}, ""},
		{"to base", DownRequest{To: "base"}, ""},
		{"to head", DownRequest{To: "head"}, ""},
		{"steps", DownRequest{Steps: 3}, ""},
		{"all", DownRequest{All: true}, ""},
		{"two ways", DownRequest{Steps: 2, All: true}, "down takes only one of --to, --steps and --all, got --steps and --all"},
		{"three ways", DownRequest{To: "base", Steps: 1, All: true}, "got --to and --steps and --all"},
		{"negative", DownRequest{Steps: -1}, "--steps must be at least 1, got -1"},
		{"unknown", DownRequest{To: "nope"}, `--to: unknown revision "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.req.Check()
			if c.err == "" {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Check() = %v; want a bad request containing %q", err, c.err)
			}
		})
	}
}
