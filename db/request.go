package db

import (
	"errors"
	"fmt"
	"strings"

	"github.com/openwebui-go/schema/migrations"
)

// ErrBadRequest marks a request that is wrong before any database is
// touched: an unknown revision, or a rollback asked for in two ways. The
// command line shows such errors as usage errors (exit code 2).
var ErrBadRequest = errors.New("bad request")

type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }
func (e *badRequestError) Unwrap() error { return ErrBadRequest }

func badRequest(format string, args ...any) error {
	return &badRequestError{msg: fmt.Sprintf(format, args...)}
}

// Revision resolves a revision as the commands take it, for the option
// named what: an ID of the chain, "head" (the newest), or, when allowBase,
// "base" (nothing applied, returned as ""). It is the one place where
// head and base become IDs; Up, Down and Stamp call it too.
func Revision(what, name string, allowBase bool) (string, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return "", err
	}
	switch {
	case name == "head" && len(chain) > 0:
		return chain[len(chain)-1].ID, nil
	case name == "base" && allowBase:
		return "", nil
	}
	for _, s := range chain {
		if s.ID == name {
			return name, nil
		}
	}
	accepted := "a revision ID from `schema history` or head"
	if allowBase {
		accepted = "a revision ID from `schema history`, head or base"
	}
	return "", badRequest("%s: unknown revision %q: use %s", what, name, accepted)
}

// Check says whether the request is one a rollback can follow: at most
// one of To, Steps and All, Steps not negative, To a revision (an ID, head
// or base). The messages name the command line's flags.
func (r DownRequest) Check() error {
	var set []string
	if r.To != "" {
		set = append(set, "--to")
	}
	if r.Steps != 0 {
		set = append(set, "--steps")
	}
	if r.All {
		set = append(set, "--all")
	}
	if len(set) > 1 {
		return badRequest("down takes only one of --to, --steps and --all, got %s", strings.Join(set, " and "))
	}
	if r.Steps < 0 {
		return badRequest("--steps must be at least 1, got %d", r.Steps)
	}
	if r.To != "" {
		if _, err := Revision("--to", r.To, true); err != nil {
			return err
		}
	}
	return nil
}
