package stepgen

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Plan is what a new step must do to take the chain's HEAD to the models.
type Plan struct {
	// Creates are the models' shapes of new tables, parents first.
	Creates []dialect.Table
	// Alters take existing tables from HEAD's shape to the models', by
	// table name.
	Alters []Alter
	// Drops are HEAD's shapes of tables the models no longer have,
	// children first; the down creates them again, empty.
	Drops []dialect.Table
	// Changes describe the difference, one line each.
	Changes []string
	// UpTODOs and DownTODOs are decisions the generator cannot take: the
	// generated direction fails with them until a person edits the step.
	UpTODOs, DownTODOs []TODO
	// Online marks a step that can run online (migrations.Step.Online) in
	// both directions on every dialect (see online).
	Online bool
}

// Alter is one table changing shape.
type Alter struct {
	From, To dialect.Table
	// Narrow lists columns whose type the up widens: the down narrows
	// them back with dialect.NarrowFill, refusing values that do not fit.
	Narrow []dialect.Column // the narrower (From) column
	// Detach names the checks and indexes over columns that change type:
	// the step drops them before the change and adds them back after it
	// (the table passes through From.Without(Detach...)): PostgreSQL keeps
	// a check parsed for the old type.
	Detach []string
}

// TODO is a decision left to a person: Short goes into the error the step
// fails with, Explain into the comment above it.
type TODO struct {
	Short, Explain string
}

// Empty reports no difference.
func (p Plan) Empty() bool { return len(p.Creates)+len(p.Alters)+len(p.Drops) == 0 }

// Diff compares the chain's HEAD with the models, table by table.
func Diff(head, models []dialect.Table) Plan {
	var p Plan
	var created, dropped []dialect.Table
	for _, t := range models {
		if h, ok := find(head, t.Name); ok {
			if !dialect.DiffShapes(h, t).Empty() {
				p.Alters = append(p.Alters, p.alter(h, t))
			}
			continue
		}
		created = append(created, t)
	}
	for _, h := range head {
		if _, ok := find(models, h.Name); !ok {
			dropped = append(dropped, h)
		}
	}
	sort.Slice(p.Alters, func(i, j int) bool { return p.Alters[i].To.Name < p.Alters[j].To.Name })
	p.Creates = parentsFirst(created)
	p.Drops = parentsFirst(dropped)
	slices.Reverse(p.Drops)
	var lines []string
	for _, t := range p.Creates {
		lines = append(lines, "create table "+t.Name)
	}
	for _, t := range p.Drops {
		lines = append(lines, "drop table "+t.Name+" (the down creates it again, empty)")
	}
	p.Changes = append(lines, p.Changes...)
	for _, d := range dropped {
		for _, c := range created {
			if sameColumns(d, c) {
				p.both(TODO{
					Short: fmt.Sprintf("table %s is dropped and %s created with the same columns: decide whether it is a rename", d.Name, c.Name),
					Explain: fmt.Sprintf("Table %s is dropped and table %s created with the same columns. If %s is %s renamed, "+
						"its rows are lost as generated: copy them before the drop (m.Exec(\"INSERT INTO ... SELECT ...\") after CreateTable) and back in the down. "+
						"If not, nothing else needs to change.", d.Name, c.Name, c.Name, d.Name),
				})
			}
		}
	}
	p.Online = p.online()
	return p
}

// online reports whether the step can be marked Online: it only alters
// existing tables, adding or dropping indexes, foreign keys, and columns
// that are nullable or have a default, with nothing left to a person.
// Step has one Online flag for both directions, so the rule holds for
// the down as well: a column the up drops comes back in the down, and
// must be nullable or defaulted too. Not online: table creates and drops,
// column changes (a type change rewrites the table; SET NOT NULL scans it
// under an exclusive lock), primary keys, fills, and checks, added or
// dropped (the down adds a dropped one back): MySQL and MariaDB add a
// check only by copying the table.
func (p Plan) online() bool {
	if len(p.Alters) == 0 || len(p.Creates)+len(p.Drops)+len(p.UpTODOs)+len(p.DownTODOs) > 0 {
		return false
	}
	for _, a := range p.Alters {
		d := dialect.DiffShapes(a.From, a.To)
		if len(d.ChangeColumns) > 0 || d.PrimaryKeyChanged || len(d.AddChecks)+len(d.DropChecks) > 0 || len(a.Narrow)+len(a.Detach) > 0 {
			return false
		}
		for _, c := range slices.Concat(d.AddColumns, d.DropColumns) {
			if c.NotNull && c.Default == "" {
				return false
			}
		}
	}
	return true
}

func (p *Plan) both(t TODO) {
	p.UpTODOs = append(p.UpTODOs, t)
	p.DownTODOs = append(p.DownTODOs, t)
}

func (p *Plan) change(table, format string, args ...any) {
	p.Changes = append(p.Changes, table+": "+fmt.Sprintf(format, args...))
}

// alter classifies the changes to one table and builds its target shape:
// HEAD's columns in HEAD's order, changed as the models say, then the new
// columns in the models' order.
func (p *Plan) alter(from, model dialect.Table) Alter {
	to, added, dropped := columnsOf(from, model)
	a := Alter{From: from, To: to}
	p.addedAndDropped(from.Name, added, dropped)
	for _, c := range from.Columns {
		if m, ok := model.Column(c.Name); ok && m != c {
			p.changedColumn(&a, c, m)
		}
	}
	p.keysChanged(from, to)
	return a
}

// columnsOf is model's shape with the columns from keeps in from's order,
// then the added ones; and the columns added and dropped.
func columnsOf(from, model dialect.Table) (to dialect.Table, added, dropped []dialect.Column) {
	to = model
	to.Columns = nil
	for _, c := range from.Columns {
		if m, ok := model.Column(c.Name); ok {
			to.Columns = append(to.Columns, m)
		}
	}
	for _, c := range model.Columns {
		if _, ok := from.Column(c.Name); !ok {
			to.Columns = append(to.Columns, c)
			added = append(added, c)
		}
	}
	for _, c := range from.Columns {
		if _, ok := model.Column(c.Name); !ok {
			dropped = append(dropped, c)
		}
	}
	return to, added, dropped
}

// addedAndDropped lists the columns added and dropped, with what the
// author must decide about them: values for a NOT NULL column without a
// default, and whether a drop and an add of the same type is a rename.
func (p *Plan) addedAndDropped(t string, added, dropped []dialect.Column) {
	for _, c := range added {
		p.change(t, "add column %s", describeColumn(c))
		if c.NotNull && c.Default == "" {
			p.UpTODOs = append(p.UpTODOs, TODO{
				Short: fmt.Sprintf("%s.%s is added NOT NULL without a default: give existing rows a value", t, c.Name),
				Explain: fmt.Sprintf("Column %s.%s is added NOT NULL without a default, so existing rows need a value "+
					"(MySQL would silently give them the zero value of %s). Pass a dialect.Fill{Column: %q, Expr: \"<SQL over the row>\"} to the AlterTable call below, "+
					"or give the field a default in the model and run schema new again.", t, c.Name, c.Type, c.Name),
			})
		}
	}
	for _, c := range dropped {
		p.change(t, "drop column %s", describeColumn(c))
		if c.NotNull && c.Default == "" {
			p.DownTODOs = append(p.DownTODOs, TODO{
				Short: fmt.Sprintf("the down adds %s.%s back NOT NULL without a default: give existing rows a value", t, c.Name),
				Explain: fmt.Sprintf("The up drops %s.%s, which is NOT NULL without a default; the down adds it back, and the rows need a value "+
					"(the dropped values are gone). Pass a dialect.Fill{Column: %q, Expr: \"<SQL over the row>\"} to the AlterTable call below.", t, c.Name, c.Name),
			})
		}
	}
	for _, d := range dropped {
		for _, c := range added {
			if d.Type == c.Type {
				p.both(TODO{
					Short: fmt.Sprintf("%s.%s is dropped and %s.%s added with the same type: decide whether it is a rename", t, d.Name, t, c.Name),
					Explain: fmt.Sprintf("Column %s.%s is dropped and %s.%s added, both %s. If %s is %s renamed, its values are lost as generated: "+
						"split the change in two AlterTable calls, the first adding %s with dialect.Fill{Column: %q, Expr: m.Q(%q)} and the second dropping %s, "+
						"and the reverse in the down. If not, nothing else needs to change.", t, d.Name, t, c.Name, c.Type, c.Name, d.Name, c.Name, c.Name, d.Name, d.Name),
				})
			}
		}
	}
}

// changedColumn notes a column that stays but changes (c as it was, m as
// the model has it): a type change detaches the checks and indexes over
// it, and is a widening or a conversion the author writes.
func (p *Plan) changedColumn(a *Alter, c, m dialect.Column) {
	t := a.From.Name
	if c.Type != m.Type {
		for _, ch := range a.From.Checks {
			if strings.Contains(ch.Expr, c.Name) && !slices.Contains(a.Detach, ch.Name) {
				a.Detach = append(a.Detach, ch.Name)
			}
		}
		for _, i := range a.From.Indexes {
			if slices.Contains(i.Columns, c.Name) && !slices.Contains(a.Detach, i.Name) {
				a.Detach = append(a.Detach, i.Name)
			}
		}
		if dialect.Widens(c.Type, m.Type) {
			p.change(t, "column %s: type %s -> %s (widening; the down narrows back and refuses values that do not fit)", c.Name, c.Type, m.Type)
			a.Narrow = append(a.Narrow, c)
		} else {
			p.change(t, "column %s: type %s -> %s", c.Name, c.Type, m.Type)
			p.both(TODO{
				Short: fmt.Sprintf("%s.%s changes type %s -> %s, which can lose data or fail: write the conversion", t, c.Name, c.Type, m.Type),
				Explain: fmt.Sprintf("Column %s.%s changes from %s to %s, which is not a widening every dialect makes without loss. "+
					"Write the conversion as dialect.Fill{Column: %q, Expr: \"<SQL giving the new value, NULL where none fits>\"} on the AlterTable call "+
					"(rows it turns into NULL refuse the step, naming them), in both directions.", t, c.Name, c.Type, m.Type, c.Name),
			})
		}
	}
	if c.NotNull != m.NotNull {
		if m.NotNull {
			p.change(t, "column %s: nullable -> not null (rows holding NULL make the step fail)", c.Name)
		} else {
			p.change(t, "column %s: not null -> nullable (rows holding NULL make the down fail)", c.Name)
		}
	}
	if c.Default != m.Default {
		p.change(t, "column %s: default %s -> %s", c.Name, orNone(c.Default), orNone(m.Default))
	}
}

// keysChanged lists the primary key, indexes, foreign keys and checks that
// change from from to to.
func (p *Plan) keysChanged(from, to dialect.Table) {
	t := from.Name
	if !slices.Equal(from.PrimaryKey, to.PrimaryKey) {
		p.change(t, "primary key (%s) -> (%s)", strings.Join(from.PrimaryKey, ", "), strings.Join(to.PrimaryKey, ", "))
	}
	d := dialect.DiffShapes(from, to)
	for _, i := range d.DropIndexes {
		p.change(t, "drop %s", describeIndex(i))
	}
	for _, i := range d.AddIndexes {
		p.change(t, "add %s", describeIndex(i))
	}
	for _, f := range d.DropForeignKeys {
		p.change(t, "drop %s", describeFK(f))
	}
	for _, f := range d.AddForeignKeys {
		p.change(t, "add %s", describeFK(f))
	}
	for _, c := range d.DropChecks {
		p.change(t, "drop check %s (%s)", c.Name, c.Expr)
	}
	for _, c := range d.AddChecks {
		p.change(t, "add check %s (%s)", c.Name, c.Expr)
	}
}

// parentsFirst orders tables so that each comes after the tables of the
// list it references, keeping the given order otherwise.
func parentsFirst(tables []dialect.Table) []dialect.Table {
	var out []dialect.Table
	placed := map[string]bool{}
	for len(out) < len(tables) {
		progress := false
		for _, t := range tables {
			if placed[t.Name] {
				continue
			}
			ready := true
			for _, f := range t.ForeignKeys {
				if f.RefTable != t.Name && !placed[f.RefTable] && slices.ContainsFunc(tables, func(o dialect.Table) bool { return o.Name == f.RefTable }) {
					ready = false
				}
			}
			if ready {
				out = append(out, t)
				placed[t.Name] = true
				progress = true
			}
		}
		if !progress { // a cycle: keep the rest in the given order
			for _, t := range tables {
				if !placed[t.Name] {
					out = append(out, t)
					placed[t.Name] = true
				}
			}
		}
	}
	return out
}

func find(tables []dialect.Table, name string) (dialect.Table, bool) {
	for _, t := range tables {
		if t.Name == name {
			return t, true
		}
	}
	return dialect.Table{}, false
}

// sameColumns reports equal column names and types: what makes a dropped
// and a created table look like a rename.
func sameColumns(a, b dialect.Table) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for _, c := range a.Columns {
		if o, ok := b.Column(c.Name); !ok || o.Type != c.Type {
			return false
		}
	}
	return true
}

func describeColumn(c dialect.Column) string {
	s := c.Name + " " + c.Type.String()
	if c.NotNull {
		s += " not null"
	}
	if c.Default != "" {
		s += " default " + c.Default
	}
	return s
}

func describeIndex(i dialect.Index) string {
	kind := "index"
	if i.Unique {
		kind = "unique index"
	}
	return fmt.Sprintf("%s %s (%s)", kind, i.Name, strings.Join(i.Columns, ", "))
}

func describeFK(f dialect.ForeignKey) string {
	s := fmt.Sprintf("foreign key %s (%s) -> %s (%s)", f.Name, strings.Join(f.Columns, ", "), f.RefTable, strings.Join(f.RefColumns, ", "))
	if f.OnDelete != "" {
		s += " on delete " + strings.ToLower(f.OnDelete)
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
