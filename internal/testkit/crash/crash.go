// Package crash makes steps crash at chosen statements, through the one
// hook a run offers (dialect.Hooks.BeforeWrite): the crash-safety suites
// prove with it that every step can be run again after a crash at any
// statement. It is test code; no production package imports it.
package crash

import (
	"context"
	"errors"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
)

// ErrInjected is the error of a crash a Plan injects.
var ErrInjected = errors.New("injected crash")

// Plan crashes the steps run under a context carrying it (With): the
// statement after the first After writes fails with ErrInjected instead of
// running (After < 0 never crashes). Seen counts the writes.
type Plan struct {
	After int
	Seen  int
	// Before, if set, crashes instead at the first write statement that
	// contains it (After is then ignored): a crash at a named point, such
	// as a rebuild's RENAME TABLE.
	Before string
}

// With attaches p to ctx.
func With(ctx context.Context, p *Plan) context.Context {
	return dialect.WithHooks(ctx, dialect.Hooks{BeforeWrite: p.beforeWrite})
}

func (p *Plan) beforeWrite(query string) error {
	p.Seen++
	if p.Before != "" {
		if strings.Contains(query, p.Before) {
			return ErrInjected
		}
		return nil
	}
	if p.After >= 0 && p.Seen > p.After {
		return ErrInjected
	}
	return nil
}
