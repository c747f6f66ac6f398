// Package snapshot inspects a live database with Atlas and reduces it to a
// comparable description: tables, columns (type, nullability, default),
// primary keys, indexes and unique indexes, foreign keys and checks. The
// drift check, verify and the migration tests all compare snapshots.
//
// Column order and primary-key constraint names are not compared: neither
// changes how the schema behaves, and ALTER TABLE cannot reorder columns.
// Collations are (MySQL's table defaults and character columns, and any a
// column declares elsewhere): they decide which values are equal.
package snapshot

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"ariga.io/atlas/sql/schema"
	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// Bookkeeping tables that are not part of the application schema.
// schema_copy is schema copy's, in a target it is writing into.
var Bookkeeping = []string{"schema_migrations", "schema_migrations_progress", "alembic_version", "schema_copy"}

// Snapshot is the comparable shape of one database's application tables.
type Snapshot struct {
	Dialect string
	Tables  []Table
}

type Table struct {
	Name string
	// Collation is the table's default collation (MySQL), which columns
	// added later take; "" where tables have none.
	Collation   string
	Columns     []Column // sorted by name
	PrimaryKey  []string
	Indexes     []Index      // sorted by name
	ForeignKeys []ForeignKey // sorted by name
	Checks      []Check      // sorted by name
}

type Column struct {
	Name     string
	Type     string
	Nullable bool
	Default  string
	// Collation is the column's collation where the database reports one
	// (MySQL's character columns; elsewhere only a declared one).
	Collation string
}

type Index struct {
	Name    string
	Columns []string
	Unique  bool
}

type ForeignKey struct {
	Name       string
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string
	OnUpdate   string
}

type Check struct {
	Name string
	Expr string
}

// Table returns the named table.
func (s *Snapshot) Table(name string) (Table, bool) {
	for _, t := range s.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// Column returns the named column.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

type typeFormatter interface {
	FormatType(schema.Type) (string, error)
}

// Take inspects db's current schema (the current PostgreSQL schema, MySQL
// database or SQLite main database), leaving out the bookkeeping tables.
func Take(ctx context.Context, db *gorm.DB) (*Snapshot, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	name := db.Dialector.Name()
	drv, in, err := dialect.Inspector(ctx, db, sqlDB)
	if err != nil {
		return nil, fmt.Errorf("inspect %s database: %w", name, err)
	}
	s, err := drv.InspectSchema(ctx, in, &schema.InspectOptions{Mode: schema.InspectTables})
	if err != nil {
		return nil, fmt.Errorf("inspect %s database: %w", name, err)
	}
	ft, _ := drv.(typeFormatter)
	snap := &Snapshot{Dialect: name}
	for _, t := range s.Tables {
		if slices.Contains(Bookkeeping, t.Name) {
			continue
		}
		snap.Tables = append(snap.Tables, convertTable(t, ft))
	}
	sort.Slice(snap.Tables, func(i, j int) bool { return snap.Tables[i].Name < snap.Tables[j].Name })
	return snap, nil
}

func convertTable(t *schema.Table, ft typeFormatter) Table {
	out := Table{Name: t.Name, Collation: collation(t.Attrs)}
	for _, c := range t.Columns {
		out.Columns = append(out.Columns, Column{
			Name:      c.Name,
			Type:      formatType(c.Type, ft),
			Nullable:  c.Type.Null,
			Default:   formatDefault(c.Default),
			Collation: collation(c.Attrs),
		})
	}
	sort.Slice(out.Columns, func(i, j int) bool { return out.Columns[i].Name < out.Columns[j].Name })
	if t.PrimaryKey != nil {
		out.PrimaryKey = partNames(t.PrimaryKey.Parts)
	}
	for _, i := range t.Indexes {
		out.Indexes = append(out.Indexes, Index{Name: i.Name, Columns: partNames(i.Parts), Unique: i.Unique})
	}
	sort.Slice(out.Indexes, func(i, j int) bool { return out.Indexes[i].Name < out.Indexes[j].Name })
	for _, f := range t.ForeignKeys {
		fk := ForeignKey{Name: f.Symbol, RefTable: f.RefTable.Name,
			OnDelete: string(f.OnDelete), OnUpdate: string(f.OnUpdate)}
		for _, c := range f.Columns {
			fk.Columns = append(fk.Columns, c.Name)
		}
		for _, c := range f.RefColumns {
			fk.RefColumns = append(fk.RefColumns, c.Name)
		}
		out.ForeignKeys = append(out.ForeignKeys, fk)
	}
	sort.Slice(out.ForeignKeys, func(i, j int) bool { return out.ForeignKeys[i].Name < out.ForeignKeys[j].Name })
	for _, a := range t.Attrs {
		if c, ok := a.(*schema.Check); ok {
			out.Checks = append(out.Checks, Check{Name: c.Name, Expr: c.Expr})
		}
	}
	sort.Slice(out.Checks, func(i, j int) bool { return out.Checks[i].Name < out.Checks[j].Name })
	return out
}

// collation is the collation among an object's attributes, "" for none.
func collation(attrs []schema.Attr) string {
	for _, a := range attrs {
		if c, ok := a.(*schema.Collation); ok {
			return c.V
		}
	}
	return ""
}

func partNames(parts []*schema.IndexPart) []string {
	var out []string
	for _, p := range parts {
		switch {
		case p.C != nil:
			out = append(out, p.C.Name)
		case p.X != nil:
			out = append(out, fmt.Sprintf("(%v)", p.X))
		}
	}
	return out
}

func formatType(t *schema.ColumnType, ft typeFormatter) string {
	if ft != nil && t.Type != nil {
		if s, err := ft.FormatType(t.Type); err == nil && s != "" {
			return strings.ToLower(s)
		}
	}
	return strings.ToLower(t.Raw)
}

func formatDefault(e schema.Expr) string {
	switch v := e.(type) {
	case nil:
		return ""
	case *schema.Literal:
		return v.V
	case *schema.RawExpr:
		return v.X
	default:
		return fmt.Sprintf("%v", v)
	}
}

// String renders the snapshot one line per fact, sorted: the form tests
// compare and print when two snapshots differ.
func (s *Snapshot) String() string {
	var b strings.Builder
	for _, t := range s.Tables {
		b.WriteString(t.String())
	}
	return b.String()
}

func (t Table) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s", t.Name)
	if t.Collation != "" {
		fmt.Fprintf(&b, " collate %s", t.Collation)
	}
	b.WriteString("\n")
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "  column %s\n", c.describe())
	}
	if len(t.PrimaryKey) > 0 {
		fmt.Fprintf(&b, "  primary key (%s)\n", strings.Join(t.PrimaryKey, ", "))
	}
	for _, i := range t.Indexes {
		fmt.Fprintf(&b, "  %s\n", i.describe())
	}
	for _, f := range t.ForeignKeys {
		fmt.Fprintf(&b, "  %s\n", f.describe())
	}
	for _, c := range t.Checks {
		fmt.Fprintf(&b, "  check %s (%s)\n", c.Name, c.Expr)
	}
	return b.String()
}

func (c Column) describe() string {
	s := c.Name + " " + c.Type
	if !c.Nullable {
		s += " not null"
	}
	if c.Default != "" {
		s += " default " + c.Default
	}
	if c.Collation != "" {
		s += " collate " + c.Collation
	}
	return s
}

// WithoutCollations is a copy of s with every collation left out: how
// adopt compares a database Open WebUI built on MySQL (the server's default
// collation) with the chain (binary), which the next run converts.
func (s *Snapshot) WithoutCollations() *Snapshot {
	out := &Snapshot{Dialect: s.Dialect, Tables: make([]Table, len(s.Tables))}
	for i, t := range s.Tables {
		t.Collation = ""
		t.Columns = slices.Clone(t.Columns)
		for j := range t.Columns {
			t.Columns[j].Collation = ""
		}
		out.Tables[i] = t
	}
	return out
}

func (i Index) describe() string {
	kind := "index"
	if i.Unique {
		kind = "unique index"
	}
	return fmt.Sprintf("%s %s (%s)", kind, i.Name, strings.Join(i.Columns, ", "))
}

func (f ForeignKey) describe() string {
	s := fmt.Sprintf("foreign key %s (%s) references %s (%s)", f.Name,
		strings.Join(f.Columns, ", "), f.RefTable, strings.Join(f.RefColumns, ", "))
	if f.OnDelete != "" {
		s += " on delete " + strings.ToLower(f.OnDelete)
	}
	if f.OnUpdate != "" && f.OnUpdate != "NO ACTION" && f.OnUpdate != "RESTRICT" {
		s += " on update " + strings.ToLower(f.OnUpdate)
	}
	return s
}
