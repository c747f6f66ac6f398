package lint

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// liveDB is the database the steps will run on, read, never written.
type liveDB struct {
	db    *gorm.DB
	d     dialect.Dialect
	sizes map[string]dialect.TableSize
	large int64
}

func openLive(ctx context.Context, g *gorm.DB, large int64) (*liveDB, error) {
	g = g.WithContext(ctx)
	d, err := dialect.Of(g)
	if err != nil {
		return nil, err
	}
	sizes, err := d.TableSizes(g)
	if err != nil {
		return nil, err
	}
	return &liveDB{db: g, d: d, sizes: sizes, large: large}, nil
}

// rows is table's estimated row count; known is false for a table the
// database does not have (a step before creates it: empty). Where the
// catalog has no estimate, rows are counted up to just past the
// threshold, never the whole of a big table.
func (l *liveDB) rows(table string) (n int64, known bool, err error) {
	s, ok := l.sizes[table]
	if !ok {
		return 0, false, nil
	}
	if s.Rows >= 0 {
		return s.Rows, true, nil
	}
	q := fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d) x", l.d.Quote(table), l.large+1)
	if err := l.db.Raw(q).Scan(&n).Error; err != nil {
		return 0, false, fmt.Errorf("count up to %d rows of %s: %w", l.large+1, table, err)
	}
	s.Rows = n
	l.sizes[table] = s
	return n, true, nil
}

// uniqueIndex is DD301: a unique index over rows that already exist.
func (e *evaluator) uniqueIndex(op dialect.Op, i dialect.Index) error {
	t := op.Table
	what := "alter table " + t + ": add " + dialect.DescribeIndex(i)
	fix := "remove or merge the duplicate rows first (a data step before this one), or add the index in an Online step after cleaning"
	if why := e.cannotCheck(op, i.Columns); why != "" {
		e.add("DD301", Warning, t, what, "the index fails to build if existing rows hold duplicates ("+why+")", fix)
		return nil
	}
	l, q := e.live, e.live.d.Quote
	cols := make([]string, len(i.Columns))
	conds := make([]string, len(i.Columns))
	for k, c := range i.Columns {
		cols[k], conds[k] = q(c), q(c)+" IS NOT NULL"
	}
	groups := fmt.Sprintf("FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1", q(t), strings.Join(conds, " AND "), strings.Join(cols, ", "))
	var n, rows sql.NullInt64
	if err := l.db.Raw("SELECT count(*), sum(n) FROM (SELECT count(*) AS n "+groups+") d").Row().Scan(&n, &rows); err != nil {
		e.add("DD301", Warning, t, what, "could not check the live rows for duplicates: "+err.Error(), fix)
		return nil
	}
	if n.Int64 == 0 {
		return nil
	}
	sample, err := sampleRows(l.db, fmt.Sprintf("SELECT %s %s ORDER BY %s LIMIT %d", strings.Join(cols, ", "), groups, strings.Join(cols, ", "), dialect.SampleSize))
	if err != nil {
		return err
	}
	sev, note := e.violation(t)
	e.add("DD301", sev, t, what,
		fmt.Sprintf("%d value(s) of (%s) are held by more than one row (%d rows), e.g. %s: the index cannot be built%s",
			n.Int64, strings.Join(i.Columns, ", "), rows.Int64, dialect.Sample(sample), note), fix)
	return nil
}

// notNull is DD302: NOT NULL set on a column rows already have.
func (e *evaluator) notNull(op dialect.Op, c dialect.Column) error {
	t := op.Table
	what := "alter table " + t + ": " + dialect.DescribeChange(dialect.Column{Name: c.Name, Type: c.Type}, c)
	fix := "set the NULL values first (a data step, or a fill of the column), or keep the column nullable"
	if why := e.cannotCheck(op, []string{c.Name}); why != "" {
		e.add("DD302", Warning, t, what, "the change fails if existing rows hold NULL ("+why+")", fix)
		return nil
	}
	l, q := e.live, e.live.d.Quote
	var n int64
	if err := l.db.Raw(fmt.Sprintf("SELECT count(*) FROM %s WHERE %s IS NULL", q(t), q(c.Name))).Scan(&n).Error; err != nil {
		e.add("DD302", Warning, t, what, "could not check the live rows for NULL: "+err.Error(), fix)
		return nil
	}
	if n == 0 {
		return nil
	}
	key := c.Name
	if op.From != nil && len(op.From.PrimaryKey) > 0 {
		key = op.From.PrimaryKey[0]
	}
	sample, err := sampleRows(l.db, fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NULL ORDER BY 1 LIMIT %d", q(key), q(t), q(c.Name), dialect.SampleSize))
	if err != nil {
		return err
	}
	sev, note := e.violation(t)
	if slices.ContainsFunc(op.Fills, func(f dialect.Fill) bool { return f.Column == c.Name }) {
		sev, note = Warning, note+"; the alter's fill of the column may set them"
	}
	e.add("DD302", sev, t, what, fmt.Sprintf("%d row(s) hold NULL in %s (rows with %s %s)%s", n, c.Name, key, dialect.Sample(sample), note), fix)
	return nil
}

// cannotCheck says why the live rows cannot tell ("" when they can).
func (e *evaluator) cannotCheck(op dialect.Op, cols []string) string {
	if e.live == nil {
		return "not checked: no database given"
	}
	for _, c := range cols {
		if e.added[op.Table+"."+c] || slices.ContainsFunc(op.Diff.AddColumns, func(a dialect.Column) bool { return a.Name == c }) {
			return "not checked: the step adds column " + c + " itself"
		}
	}
	return ""
}

// violation is the severity of live rows that break a change: an error,
// unless the step writes the table before the change and may fix them.
func (e *evaluator) violation(table string) (string, string) {
	if e.wrote[table] {
		return Warning, "; the step writes the table before this change and may fix them"
	}
	return Error, ""
}

func sampleRows(db *gorm.DB, q string) ([]string, error) {
	rows, err := db.Raw(q).Rows()
	if err != nil {
		return nil, fmt.Errorf("sample the live rows: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
		}
		out = append(out, strings.Join(parts, ", "))
	}
	return out, rows.Err()
}
