package dialect

import (
	"fmt"
	"slices"
	"strings"
)

// Rebuild takes a table from shape From to shape To, like AlterTable, by
// copying its rows into a new table of the target shape and swapping it in:
// the fastest way to change every row of a large table, since each row is
// written once, in key order, and indexes and foreign keys are built over
// all rows at once afterwards instead of row by row. Fills compute columns
// of the copy (they may read other tables, such as a staging table of new
// values). Referrers are the other tables' foreign keys to this table: they
// are dropped before the swap and added back, checked, after it; a key not
// declared refuses the rebuild. On PostgreSQL, privileges granted on the
// table are not carried over.
type Rebuild struct {
	From, To Table
	Fills    []Fill
	// Join is added to the copy's FROM (which names the table itself), for
	// Fills to read another table with a join rather than a subquery per
	// row: "LEFT JOIN staging s ON s.id = chat.id". It must match at most
	// one row per row of the table.
	Join      string
	Referrers []Referrer
	// Refill says the fills can be computed again from the rows as they
	// are: the fill of a value already filled gives it back, and the Join's
	// table is there again whenever the rebuild runs. Where DDL commits on
	// its own (MySQL), a re-run that finds the table already swapped in by
	// an interrupted run then applies the fills again in place, so that
	// rows the application wrote or changed since the swap (it kept running
	// at the previous revision) get them too. Without it, those rows keep
	// what the application wrote (right where the fills come from a
	// staging table made before the swap, which newer edits must win over).
	Refill bool
}

// Referrer is another table's foreign key to a rebuilt table.
type Referrer struct {
	Table string
	Key   ForeignKey
}

// RebuildTable is Rebuild for a table no other table references.
func (m *Migrator) RebuildTable(from, to Table, fills ...Fill) error {
	return m.Rebuild(Rebuild{From: from, To: to, Fills: fills})
}

// Rebuild runs r.
func (m *Migrator) Rebuild(r Rebuild) error {
	from, to := r.From, r.To
	if from.Name != to.Name {
		return fmt.Errorf("rebuild table: shapes name different tables (%s, %s)", from.Name, to.Name)
	}
	for _, t := range []Table{from, to} {
		if err := t.validate(); err != nil {
			return err
		}
	}
	// Outside a transaction holding the database (SQLite's), the
	// application's writes during the copy would be lost or blocked.
	if m.apart || m.Online() && m.D.RunMode() == NoTransactions {
		return fmt.Errorf("rebuild table %s: a rebuild copies the table and swaps it in, which an online step cannot do without blocking or losing the application's writes; make it a separate step without Online", to.Name)
	}
	if len(from.PrimaryKey) == 0 {
		return fmt.Errorf("rebuild table %s: the copy walks the primary key, and the shape has none", to.Name)
	}
	for _, f := range r.Fills {
		if _, ok := to.Column(f.Column); !ok {
			return fmt.Errorf("rebuild table %s: fill for unknown column %s", to.Name, f.Column)
		}
	}
	for _, ref := range r.Referrers {
		if ref.Key.RefTable != to.Name {
			return fmt.Errorf("rebuild table %s: referrer %s.%s references %s", to.Name, ref.Table, ref.Key.Name, ref.Key.RefTable)
		}
	}
	if err := m.D.rebuildTable(m, r); err != nil {
		return fmt.Errorf("rebuild table %s: %w", to.Name, err)
	}
	m.run.Hooks.Shapes.record(to)
	return nil
}

// prepareRebuild readies a table for its copy: it refuses foreign keys on
// the table that r does not declare (found lists them as table.name, or as
// table alone where the catalog does not name keys: SQLite), checks that
// the values of converted columns convert, and drops the declared keys.
func prepareRebuild(m *Migrator, r Rebuild, found []string) error {
	var undeclared []string
	for _, f := range found {
		if !slices.ContainsFunc(r.Referrers, func(ref Referrer) bool { return f == ref.Table+"."+ref.Key.Name || f == ref.Table }) {
			undeclared = append(undeclared, f)
		}
	}
	if len(undeclared) > 0 {
		return fmt.Errorf("table %s is referenced by %s, which the step does not declare", r.To.Name, strings.Join(undeclared, ", "))
	}
	for _, c := range planAlter(r.From, r.To, r.Fills).conversions() {
		if err := checkConvertible(m, r.From, c); err != nil {
			return err
		}
	}
	for _, ref := range r.Referrers {
		if err := m.D.dropForeignKey(m, ref.Table, ref.Key.Name); err != nil {
			return err
		}
	}
	return nil
}

// Analyze refreshes the statistics the query planner keeps of tables a step
// changed before the step queries them further. Only PostgreSQL needs it:
// a column added or a table rebuilt in the step has no statistics until
// autovacuum comes by, and the planner's guesses without them can turn a
// join of a million rows into a nested loop. SQLite keeps no statistics
// unless asked (and they would be a table of their own), and InnoDB
// refreshes its own.
func (m *Migrator) Analyze(tables ...string) error {
	for _, t := range tables {
		if err := m.D.analyze(m, t); err != nil {
			return fmt.Errorf("refresh statistics of %s: %w", t, err)
		}
	}
	return nil
}

// DropForeignKey drops a table's foreign key now, where the dialect can do
// that in place (PostgreSQL, MySQL), so that the table it references can
// change its key. SQLite cannot drop a key without rebuilding the table:
// there the key stays in the definition (it is not enforced during a run)
// until the step's next AlterTable or RebuildTable of the table, which a
// step calling DropForeignKey must therefore make.
func (m *Migrator) DropForeignKey(table, name string) error {
	if err := m.D.dropForeignKey(m, table, name); err != nil {
		return fmt.Errorf("drop foreign key %s of %s: %w", name, table, err)
	}
	m.run.Hooks.Shapes.dropForeignKey(table, name)
	return nil
}

// copySelect lists the columns a rebuild writes and the expressions that
// fill them from the old row: the fill, the same column, or nothing (a new
// column without a fill takes its default).
func copySelect(d Dialect, from, to Table, fills []Fill) (cols, exprs []string) {
	fillOf := map[string]string{}
	for _, f := range fills {
		fillOf[f.Column] = f.Expr
	}
	for _, c := range to.Columns {
		e, filled := fillOf[c.Name]
		_, existed := from.Column(c.Name)
		switch {
		case filled:
		case existed: // qualified: a Join may bring columns of the same name
			e = d.Quote(from.Name) + "." + d.Quote(c.Name)
		default:
			continue
		}
		cols = append(cols, d.Quote(c.Name))
		exprs = append(exprs, e)
	}
	return cols, exprs
}

// bareShape is t with only its columns and primary key: the shape rows are
// copied into before indexes, checks and foreign keys are built.
func bareShape(t Table) Table {
	t = t.clone()
	t.Indexes, t.ForeignKeys, t.Checks = nil, nil, nil
	return t
}

// tableCopy is the INSERT ... SELECT that fills a rebuild's new table.
type tableCopy struct {
	src, dst, key string // key: src's first primary key column
	cols, exprs   []string
	join          string
}

func newCopy(d Dialect, r Rebuild, dst string) tableCopy {
	cols, exprs := copySelect(d, r.From, r.To, r.Fills)
	key := r.From.Columns[0].Name
	if len(r.From.PrimaryKey) > 0 {
		key = r.From.PrimaryKey[0]
	}
	return tableCopy{src: r.To.Name, dst: dst, key: key, cols: cols, exprs: exprs, join: r.Join}
}

func (c tableCopy) sql(m *Migrator) string {
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", m.Q(c.dst), strings.Join(c.cols, ","), strings.Join(c.exprs, ","), m.Q(c.src))
	if c.join != "" {
		q += " " + c.join
	}
	return q
}

// inBatches copies the rows in batches along the key, reporting progress:
// for MySQL, where each batch commits, and SQLite.
func (c tableCopy) inBatches(m *Migrator) error {
	insert := c.sql(m) + " WHERE "
	k := m.Q(c.src) + "." + m.Q(c.key)
	return m.Batches(c.src, c.key, BatchSize, func(m *Migrator, after *string, upTo string) error {
		if after == nil {
			return m.Exec(insert+k+" <= ?", upTo)
		}
		return m.Exec(insert+k+" > ? AND "+k+" <= ?", *after, upTo)
	})
}

// whole copies the rows in one statement: PostgreSQL then joins whole
// tables with a hash or merge join, where each batch would probe an index
// row by row (three times slower for a million rows). The step is one
// transaction there anyway. Progress is reported at the start and the end.
func (c tableCopy) whole(m *Migrator) error {
	var total int64
	if err := m.Scan("SELECT count(*) FROM "+m.Q(c.src), nil, &total); err != nil {
		return err
	}
	m.Progress(0, total)
	n, err := m.ExecCount(c.sql(m))
	if err != nil {
		return err
	}
	m.Progress(n, total)
	return nil
}

// rebuildMarker is the comment a MySQL table carries from its copy's
// creation until its rebuild is complete.
const rebuildMarker = "schema: rebuild in progress"

// sameColumns reports whether two shapes have the same columns and types.
func sameColumns(a, b Table) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for _, c := range a.Columns {
		o, ok := b.Column(c.Name)
		if !ok || o.Type != c.Type {
			return false
		}
	}
	return true
}

// checkForeignKey refuses a key that some row would break, naming a few.
func checkForeignKey(m *Migrator, table string, f ForeignKey) error {
	var on, notNull []string
	for i, c := range f.Columns {
		on = append(on, fmt.Sprintf("p.%s = c.%s", m.Q(f.RefColumns[i]), m.Q(c)))
		notNull = append(notNull, "c."+m.Q(c)+" IS NOT NULL")
	}
	q := fmt.Sprintf("SELECT c.%s FROM %s c LEFT JOIN %s p ON %s WHERE %s AND p.%s IS NULL",
		m.Q(f.Columns[0]), m.Q(table), m.Q(f.RefTable), strings.Join(on, " AND "), strings.Join(notNull, " AND "), m.Q(f.RefColumns[0]))
	n, sample, err := m.CountAndSample(q)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d row(s) of %s name a %s that does not exist (%s %s), so foreign key %s cannot be added; fix or delete them and run again",
			n, table, f.RefTable, f.Columns[0], Sample(sample), f.Name)
	}
	return nil
}
