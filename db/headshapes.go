package db

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/snapshot"
)

// HeadShapes is the chain's HEAD as the steps declare it: every table's
// frozen shape, with logical column types, after the whole chain has run
// on an in-memory SQLite database with a shape recorder attached. It needs
// no server. The recorded shapes are checked against what SQLite then
// holds (same tables, columns, column types and nullability, index names),
// so a step that changed the schema other than through the Migrator's
// shape operations is reported rather than silently missed.
func HeadShapes(ctx context.Context) ([]dialect.Table, error) {
	return ShapesAt(ctx, "")
}

// ShapesAt is HeadShapes at revision rev ("" for HEAD): the tables the
// chain has built once rev is applied, as its steps declare them. Copying
// a database at an earlier revision reads its tables and logical column
// types so.
func ShapesAt(ctx context.Context, rev string) ([]dialect.Table, error) {
	d, err := Open(ctx, "sqlite://")
	if err != nil {
		return nil, fmt.Errorf("open a scratch SQLite database for the chain: %w", err)
	}
	defer d.Close()
	rec := dialect.NewShapeRecorder()
	// A fresh database: the table guard has nothing to check, and would
	// run the chain once more to learn its tables.
	ctx = context.WithValue(ctx, learningTables{}, true)
	if _, err := d.Up(dialect.WithHooks(ctx, dialect.Hooks{Shapes: rec}), rev, Options{}); err != nil {
		return nil, fmt.Errorf("run the chain to %s on a scratch SQLite database: %w", orHead(rev), err)
	}
	shapes := rec.Tables()
	snap, err := snapshot.Take(ctx, d.DB)
	if err != nil {
		return nil, err
	}
	if err := crossCheckShapes(shapes, snap); err != nil {
		return nil, err
	}
	return shapes, nil
}

// crossCheckShapes refuses recorded shapes that disagree with the database
// the chain built.
func crossCheckShapes(shapes []dialect.Table, snap *snapshot.Snapshot) error {
	sqlite, err := dialect.ByName("sqlite")
	if err != nil {
		return err
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, t := range shapes {
		st, ok := snap.Table(t.Name)
		if !ok {
			add("table %s was recorded but is not in the database", t.Name)
			continue
		}
		for _, c := range t.Columns {
			sc, ok := st.Column(c.Name)
			switch {
			case !ok:
				add("column %s.%s was recorded but is not in the database", t.Name, c.Name)
			case sc.Type != strings.ToLower(sqlite.SQLType(c.Type)):
				add("column %s.%s is %s in the database, not %s (%s)", t.Name, c.Name, sc.Type, strings.ToLower(sqlite.SQLType(c.Type)), c.Type)
			case sc.Nullable == c.NotNull:
				add("column %s.%s: nullability in the database differs from the recorded shape", t.Name, c.Name)
			}
		}
		for _, sc := range st.Columns {
			if _, ok := t.Column(sc.Name); !ok {
				add("column %s.%s is in the database but no recorded shape has it", t.Name, sc.Name)
			}
		}
		var recorded, found []string
		for _, i := range t.Indexes {
			recorded = append(recorded, i.Name)
		}
		for _, i := range st.Indexes {
			if !strings.HasPrefix(i.Name, "sqlite_autoindex_") {
				found = append(found, i.Name)
			}
		}
		slices.Sort(recorded)
		slices.Sort(found)
		if !slices.Equal(recorded, found) {
			add("table %s has indexes %v in the database but %v in the recorded shape", t.Name, found, recorded)
		}
	}
	for _, st := range snap.Tables {
		if !slices.ContainsFunc(shapes, func(t dialect.Table) bool { return t.Name == st.Name }) {
			add("table %s is in the database but no step declared its shape", st.Name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the chain's HEAD cannot be read from its steps: a step changed the schema other than through CreateTable, AlterTable, Rebuild or DropTable: %s; "+
			"make the step change tables through those Migrator calls", strings.Join(problems, "; "))
	}
	return nil
}

func orHead(rev string) string {
	if rev == "" {
		return "head"
	}
	return rev
}
