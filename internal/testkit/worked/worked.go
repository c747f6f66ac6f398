// Package worked holds the change of the README's worked example ("an
// index and a NOT NULL column on chat"), which the latency benchmark
// (db) and plan's tests (internal/lint) both run, so that they measure
// and show the same step. Test harness only.
package worked

import (
	"fmt"
	"slices"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
)

// ChatIndexAndScore appends to chain a step with the given ID that adds
// an index on chat (user_id, updated_at) and a NOT NULL column with a
// default to chat, whose shape at the chain's HEAD is in head.
func ChatIndexAndScore(chain []migrations.Step, head []dialect.Table, id string, online bool) ([]migrations.Step, error) {
	i := slices.IndexFunc(head, func(s dialect.Table) bool { return s.Name == "chat" })
	if i < 0 {
		return nil, fmt.Errorf("the chain's HEAD has no chat table")
	}
	from := head[i]
	to := from.With(
		dialect.Column{Name: "latency_score", Type: dialect.BigInt, NotNull: true, Default: "0"},
		dialect.Index{Name: "idx_chat_user_updated", Columns: []string{"user_id", "updated_at"}},
	)
	return append(slices.Clip(chain), migrations.Step{
		ID: id, Revises: chain[len(chain)-1].ID, Name: "add_chat_index_and_score", Online: online,
		Up:   func(m *dialect.Migrator) error { return m.AlterTable(from, to) },
		Down: func(m *dialect.Migrator) error { return m.AlterTable(to, from) },
	}), nil
}
