// Package stepgen writes new migration steps: it reads the models as
// frozen table shapes (offline, with GORM's own parser and dialectors),
// diffs them against the chain's HEAD, and renders a step in the
// dialect-neutral DSL of internal/dialect. `schema new` drives it.
package stepgen

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// supportedTypes tells a person which Go field gives each logical type.
const supportedTypes = "key (string or *string with size:255), text (string without size), json (datatypes.JSON, or a type whose GormDBDataType is datatypes.JSON's), " +
	"bigint (int64), bool (bool), smallint (int16), timestamptz (time.Time with precision:6)"

// mysqlDatetimePrecision is what gorm.io/driver/mysql assumes for a time
// field without a precision tag once it has met a server.
var mysqlDatetimePrecision = 3

// dialectors are GORM's, configured as dialect.Open configures them, but
// never connected: only their DataTypeOf is used.
func dialectors() map[string]gorm.Dialector {
	return map[string]gorm.Dialector{
		"sqlite":   sqlite.Dialector{},
		"postgres": postgres.New(postgres.Config{}),
		"mysql":    mysql.New(mysql.Config{DefaultDatetimePrecision: &mysqlDatetimePrecision}),
	}
}

// ModelShapes is what AutoMigrate would create from the models, as frozen
// shapes with logical types, in the models' order. It needs no database:
// GORM parses the structs, and each field's column type is what GORM's
// dialectors would make of it, which must be one logical type's on all
// three dialects.
func ModelShapes(models []any) ([]dialect.Table, error) {
	namer := schema.NamingStrategy{IdentifierMaxLength: 64} // gorm.Open's default
	store := &sync.Map{}
	// Each dialector parses its own copy: DataTypeOf may change a field
	// (MySQL fills in a default precision).
	types := map[string]map[string]string{} // dialect -> table.column -> SQL type
	for name, dl := range dialectors() {
		types[name] = map[string]string{}
		own := &sync.Map{}
		db := &gorm.DB{Config: &gorm.Config{Dialector: dl, NamingStrategy: namer}}
		for _, m := range models {
			s, err := schema.Parse(m, own, namer)
			if err != nil {
				return nil, fmt.Errorf("models: parse %T: %w", m, err)
			}
			for _, f := range columnFields(s) {
				types[name][s.Table+"."+f.DBName] = sqlTypeOf(db, dl, f)
			}
		}
	}
	var out []dialect.Table
	seen := map[string]string{}
	for _, m := range models {
		s, err := schema.Parse(m, store, namer)
		if err != nil {
			return nil, fmt.Errorf("models: parse %T: %w", m, err)
		}
		if prev, dup := seen[s.Table]; dup {
			return nil, fmt.Errorf("models: %s and %T both map to table %s", prev, m, s.Table)
		}
		seen[s.Table] = fmt.Sprintf("%T", m)
		t, err := tableOf(s, types)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// columnFields are the fields AutoMigrate makes columns of, in order.
func columnFields(s *schema.Schema) []*schema.Field {
	var out []*schema.Field
	for _, n := range s.DBNames {
		if f := s.FieldsByDBName[n]; f != nil && !f.IgnoreMigration {
			out = append(out, f)
		}
	}
	return out
}

type gormDBDataTyper interface {
	GormDBDataType(*gorm.DB, *schema.Field) string
}

// sqlTypeOf is the column type GORM's migrator gives f: the field type's
// own GormDBDataType if it has one, else the dialector's choice.
func sqlTypeOf(db *gorm.DB, dl gorm.Dialector, f *schema.Field) string {
	if t, ok := reflect.New(f.IndirectFieldType).Interface().(gormDBDataTyper); ok {
		if s := t.GormDBDataType(db, f); s != "" {
			return s
		}
	}
	return dl.DataTypeOf(f)
}

func tableOf(s *schema.Schema, types map[string]map[string]string) (dialect.Table, error) {
	t := dialect.Table{Name: s.Table}
	for _, f := range columnFields(s) {
		c, err := columnOf(s, f, types)
		if err != nil {
			return t, err
		}
		t.Columns = append(t.Columns, c)
	}
	for _, f := range s.PrimaryFields {
		t.PrimaryKey = append(t.PrimaryKey, f.DBName)
	}
	for _, idx := range s.ParseIndexes() {
		i, err := indexOf(s, idx)
		if err != nil {
			return t, err
		}
		t.Indexes = append(t.Indexes, i)
	}
	sort.Slice(t.Indexes, func(i, j int) bool { return t.Indexes[i].Name < t.Indexes[j].Name })
	fks, err := foreignKeysOf(s)
	if err != nil {
		return t, err
	}
	t.ForeignKeys = fks
	for _, c := range s.ParseCheckConstraints() {
		t.Checks = append(t.Checks, dialect.Check{Name: c.Name, Expr: c.Constraint})
	}
	sort.Slice(t.Checks, func(i, j int) bool { return t.Checks[i].Name < t.Checks[j].Name })
	return t, nil
}

func columnOf(s *schema.Schema, f *schema.Field, types map[string]map[string]string) (dialect.Column, error) {
	where := fmt.Sprintf("models: %s.%s (table %s, column %s)", s.Name, f.Name, s.Table, f.DBName)
	switch {
	case f.AutoIncrement:
		return dialect.Column{}, fmt.Errorf("%s: auto-increment columns have no logical type; use a string key (size:255) set by the application", where)
	case f.Unique:
		return dialect.Column{}, fmt.Errorf("%s: the unique tag makes a constraint named by GORM (uni_%s_%s) that SQLite cannot name; use the project's convention uniqueIndex:uq_%s_%s instead",
			where, s.Table, f.DBName, s.Table, f.DBName)
	}
	var candidates []dialect.Type
	var spelled []string
	for i, name := range dialect.Names() {
		d, err := dialect.ByName(name)
		if err != nil {
			return dialect.Column{}, err
		}
		sqlType := types[name][s.Table+"."+f.DBName]
		spelled = append(spelled, fmt.Sprintf("%q on %s", sqlType, name))
		got := dialect.TypesOf(d, sqlType)
		if i == 0 {
			candidates = got
			continue
		}
		candidates = slices.DeleteFunc(candidates, func(t dialect.Type) bool { return !slices.Contains(got, t) })
	}
	if len(candidates) != 1 {
		return dialect.Column{}, fmt.Errorf("%s: GORM makes it %s, which is not one logical column type; use one of: %s",
			where, strings.Join(spelled, ", "), supportedTypes)
	}
	c := dialect.Column{Name: f.DBName, Type: candidates[0], NotNull: f.NotNull}
	if f.HasDefaultValue && f.DefaultValue != "" && f.DefaultValue != "(-)" {
		c.Default = f.DefaultValue
	}
	return c, nil
}

func indexOf(s *schema.Schema, idx *schema.Index) (dialect.Index, error) {
	where := fmt.Sprintf("models: table %s: index %s", s.Table, idx.Name)
	if idx.Class != "" && idx.Class != "UNIQUE" || idx.Type != "" || idx.Where != "" || idx.Option != "" {
		return dialect.Index{}, fmt.Errorf("%s: only plain and unique indexes over columns are supported (no class %q, type %q, where %q, option %q)",
			where, idx.Class, idx.Type, idx.Where, idx.Option)
	}
	i := dialect.Index{Name: idx.Name, Unique: idx.Class == "UNIQUE"}
	for _, o := range idx.Fields {
		if o.Expression != "" || o.Sort != "" || o.Collate != "" || o.Length != 0 {
			return dialect.Index{}, fmt.Errorf("%s: column %s: expressions, sort orders, collations and lengths are not supported in indexes", where, o.DBName)
		}
		i.Columns = append(i.Columns, o.DBName)
	}
	return i, nil
}

// foreignKeysOf lists the keys GORM's migrator creates on s's table: the
// constraints of s's relationships that live on s.
func foreignKeysOf(s *schema.Schema) ([]dialect.ForeignKey, error) {
	names := make([]string, 0, len(s.Relationships.Relations))
	for n := range s.Relationships.Relations {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []dialect.ForeignKey
	for _, n := range names {
		rel := s.Relationships.Relations[n]
		if rel.Field.IgnoreMigration {
			continue
		}
		c := rel.ParseConstraint()
		if c == nil || c.Schema == nil || c.Schema.Table != s.Table {
			continue
		}
		if c.OnUpdate != "" {
			return nil, fmt.Errorf("models: table %s: foreign key %s: OnUpdate is not supported (keys are never updated in place)", s.Table, c.Name)
		}
		fk := dialect.ForeignKey{Name: c.Name, RefTable: c.ReferenceSchema.Table, OnDelete: strings.ToUpper(c.OnDelete)}
		for _, f := range c.ForeignKeys {
			fk.Columns = append(fk.Columns, f.DBName)
		}
		for _, f := range c.References {
			fk.RefColumns = append(fk.RefColumns, f.DBName)
		}
		if slices.ContainsFunc(out, func(o dialect.ForeignKey) bool { return o.Name == fk.Name }) {
			continue
		}
		out = append(out, fk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
