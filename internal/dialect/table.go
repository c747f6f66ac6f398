package dialect

import (
	"fmt"
	"slices"
)

// Type is a logical column type from SPEC.md section 2. Each dialect maps it
// to the SQL type GORM's AutoMigrate produces for the matching Go field, so a
// table built by the migration chain inspects the same as one built from the
// models.
type Type int

const (
	Key         Type = iota + 1 // string: varchar(255); anything indexed, keyed or unique
	Text                        // string: unbounded text
	JSON                        // datatypes.JSON
	BigInt                      // int64
	Bool                        // bool
	SmallInt                    // int16
	Timestamptz                 // time.Time, UTC
)

func (t Type) String() string {
	switch t {
	case Key:
		return "key"
	case Text:
		return "text"
	case JSON:
		return "json"
	case BigInt:
		return "bigint"
	case Bool:
		return "bool"
	case SmallInt:
		return "smallint"
	case Timestamptz:
		return "timestamptz"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Column is one column of a frozen table shape.
type Column struct {
	Name    string
	Type    Type
	NotNull bool
	// Default is a SQL literal (false, 0) or empty for no default.
	Default string
}

// Index is a plain or unique index.
type Index struct {
	Name    string
	Columns []string
	Unique  bool
}

// ForeignKey references RefColumns of RefTable.
type ForeignKey struct {
	Name       string
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string // CASCADE, SET NULL or empty for the dialect's default
}

// Check is a named CHECK constraint; Expr is written without the outer
// parentheses, exactly as the models' gorm tag spells it.
type Check struct {
	Name string
	Expr string
}

// Table is a table's complete shape at one revision. Migration steps declare
// the shapes they need as values of this type, so a step keeps meaning the
// same thing however the models change later.
type Table struct {
	Name        string
	Columns     []Column
	PrimaryKey  []string
	Indexes     []Index
	ForeignKeys []ForeignKey
	Checks      []Check
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

// ColumnNames lists the columns in declaration order.
func (t Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// With returns a copy of t with columns, indexes, foreign keys and checks
// appended. Steps use it to derive a revision's shape from the previous one.
func (t Table) With(parts ...any) Table {
	out := t.clone()
	for _, p := range parts {
		switch v := p.(type) {
		case Column:
			out.Columns = append(out.Columns, v)
		case Index:
			out.Indexes = append(out.Indexes, v)
		case ForeignKey:
			out.ForeignKeys = append(out.ForeignKeys, v)
		case Check:
			out.Checks = append(out.Checks, v)
		case PrimaryKey:
			out.PrimaryKey = slices.Clone(v)
		default:
			panic(fmt.Sprintf("dialect: Table.With does not take %T", p))
		}
	}
	return out
}

// PrimaryKey replaces a table's primary key when passed to With.
type PrimaryKey []string

// Without returns a copy of t without the named columns, indexes, foreign
// keys and checks.
func (t Table) Without(names ...string) Table {
	out := t.clone()
	drop := func(n string) bool { return slices.Contains(names, n) }
	out.Columns = slices.DeleteFunc(out.Columns, func(c Column) bool { return drop(c.Name) })
	out.Indexes = slices.DeleteFunc(out.Indexes, func(i Index) bool { return drop(i.Name) })
	out.ForeignKeys = slices.DeleteFunc(out.ForeignKeys, func(f ForeignKey) bool { return drop(f.Name) })
	out.Checks = slices.DeleteFunc(out.Checks, func(c Check) bool { return drop(c.Name) })
	return out
}

// Replace returns a copy of t with the same-named column replaced by c.
func (t Table) Replace(c Column) Table {
	out := t.clone()
	for i := range out.Columns {
		if out.Columns[i].Name == c.Name {
			out.Columns[i] = c
			return out
		}
	}
	panic(fmt.Sprintf("dialect: table %s has no column %s to replace", t.Name, c.Name))
}

func (t Table) clone() Table {
	out := t
	out.Columns = slices.Clone(t.Columns)
	out.PrimaryKey = slices.Clone(t.PrimaryKey)
	out.Indexes = slices.Clone(t.Indexes)
	out.ForeignKeys = slices.Clone(t.ForeignKeys)
	out.Checks = slices.Clone(t.Checks)
	return out
}

// validate catches mistakes in a step's declared shape before any SQL runs.
func (t Table) validate() error {
	if t.Name == "" {
		return fmt.Errorf("table without a name")
	}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if c.Type == 0 {
			return fmt.Errorf("table %s: column %s has no type", t.Name, c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("table %s: column %s declared twice", t.Name, c.Name)
		}
		seen[c.Name] = true
	}
	has := func(cols []string) error {
		for _, c := range cols {
			if !seen[c] {
				return fmt.Errorf("table %s: unknown column %s", t.Name, c)
			}
		}
		return nil
	}
	if err := has(t.PrimaryKey); err != nil {
		return err
	}
	for _, i := range t.Indexes {
		if err := has(i.Columns); err != nil {
			return fmt.Errorf("index %s: %w", i.Name, err)
		}
	}
	for _, f := range t.ForeignKeys {
		if err := has(f.Columns); err != nil {
			return fmt.Errorf("foreign key %s: %w", f.Name, err)
		}
	}
	return nil
}

// Fill gives the value a column takes while a table changes shape: an SQL
// expression over the table's current row (and other tables). A fill may read
// the column it replaces, or columns that exist both before and after the
// change, so replaying the change after a crash computes the same values.
type Fill struct {
	Column string
	Expr   string
}
