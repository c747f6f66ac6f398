package dialect

import (
	"slices"
	"sort"
)

// ShapeRecorder keeps the shape each table has after the steps run under
// it, as the steps declared them: CreateTable, AlterTable, Rebuild and
// DropForeignKey note the resulting shape, DropTable forgets the table.
// `schema new` runs the chain on a scratch database with one attached to
// learn the chain's HEAD in logical terms, which no catalog can give back
// (SQLite shows key and text alike as text).
type ShapeRecorder struct {
	tables map[string]Table
}

// NewShapeRecorder returns an empty recorder.
func NewShapeRecorder() *ShapeRecorder { return &ShapeRecorder{tables: map[string]Table{}} }

// Tables lists the recorded tables by name.
func (r *ShapeRecorder) Tables() []Table {
	out := make([]Table, 0, len(r.tables))
	for _, t := range r.tables {
		out = append(out, t.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *ShapeRecorder) record(t Table) {
	if r != nil {
		r.tables[t.Name] = t.clone()
	}
}

func (r *ShapeRecorder) drop(name string) {
	if r != nil {
		delete(r.tables, name)
	}
}

// dropForeignKey forgets a key dropped ahead of the table's next change.
func (r *ShapeRecorder) dropForeignKey(table, name string) {
	if r == nil {
		return
	}
	if t, ok := r.tables[table]; ok {
		t = t.clone()
		t.ForeignKeys = slices.DeleteFunc(t.ForeignKeys, func(f ForeignKey) bool { return f.Name == name })
		r.tables[table] = t
	}
}
