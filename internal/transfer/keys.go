package transfer

import (
	"context"
	"fmt"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// Foreign keys: SQLite lets rows in whose key points nowhere when foreign
// keys are off (Open WebUI's own SQLite connections had them off for
// years). The scan finds such rows in the source before anything is
// written, and the finish checks every key of the target after the load.

// orphansWhere is the condition for rows of child (alias c) whose key f
// points at no row of its parent. A key with a NULL in it points nowhere
// on purpose and is fine (MATCH SIMPLE, every dialect's default).
func orphansWhere(d dialect.Dialect, f dialect.ForeignKey) string {
	q := d.Quote
	var notNull, join []string
	for i, c := range f.Columns {
		notNull = append(notNull, "c."+q(c)+" IS NOT NULL")
		join = append(join, "p."+q(f.RefColumns[i])+" = c."+q(c))
	}
	return fmt.Sprintf("%s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s)",
		strings.Join(notNull, " AND "), q(f.RefTable), strings.Join(join, " AND "))
}

func selectColumns(d dialect.Dialect, t *table) string {
	cols := make([]string, len(t.shape.Columns))
	for i, c := range t.shape.Columns {
		cols[i] = "c." + d.Quote(c.Name)
	}
	return strings.Join(cols, ", ")
}

// queryRows runs a query returning rows of t, calling fn for each.
func queryRows(ctx context.Context, g *gorm.DB, t *table, query string, args []any, fn func(raw []any) error) error {
	rows, err := g.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(t.shape.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *session) tableNamed(name string) *table {
	for _, t := range s.tables {
		if t.name() == name {
			return t
		}
	}
	return nil
}

// danglingKeys finds the source's rows whose keys point nowhere, and,
// with --skip-rows, makes the children of every row left out follow
// their key's ON DELETE rule: left out too (CASCADE), or the key set to
// NULL (SET NULL), as deleting the parent would have done.
func (s *session) danglingKeys(ctx context.Context, sc *scanResult) error {
	for _, t := range s.tables {
		for _, f := range t.shape.ForeignKeys {
			q := fmt.Sprintf("SELECT %s FROM %s c WHERE %s", selectColumns(s.sd, t), s.sd.Quote(t.name()), orphansWhere(s.sd, f))
			reason := fmt.Sprintf("points at a %s row that does not exist (%s)", f.RefTable, strings.Join(f.Columns, ", "))
			err := queryRows(ctx, s.src.DB, t, q, nil, func(raw []any) error {
				return sc.follow(t, f, raw, reason)
			})
			if err != nil {
				return fmt.Errorf("look for rows of %s whose key %s points nowhere: %w", t.name(), f.Name, err)
			}
		}
	}
	if sc.report == nil {
		return nil
	}
	// Children of rows left out, until no new row is left out.
	done := map[string]int{}
	for {
		more := false
		for _, p := range s.tables {
			parents := sc.parents[p.name()][done[p.name()]:]
			if len(parents) == 0 {
				continue
			}
			done[p.name()] += len(parents)
			more = true
			if err := s.childrenOf(ctx, sc, p, parents); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// follow applies f's ON DELETE rule to a row of t whose key f points at a
// row that is not (or will not be) in the target.
func (sc *scanResult) follow(t *table, f dialect.ForeignKey, raw []any, reason string) error {
	problem := []BadRow{{Table: t.name(), Key: displayKey(t, raw), Column: strings.Join(f.Columns, ", "), Reason: reason}}
	if sc.report == nil || !strings.EqualFold(f.OnDelete, "SET NULL") || !nullable(t, f.Columns) {
		return sc.leaveOut(t, raw, problem)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	k := keyString(raw, t.pk)
	if sc.skip[t.name()][k] {
		return nil
	}
	if sc.setNull[t.name()] == nil {
		sc.setNull[t.name()] = map[string][]int{}
	}
	if len(sc.setNull[t.name()][k]) == 0 {
		sc.fixed[FixSetNull]++
	}
	for _, c := range f.Columns {
		sc.setNull[t.name()][k] = append(sc.setNull[t.name()][k], t.index(c))
	}
	return sc.report.Encode(map[string]any{"table": t.name(), "key": displayKey(t, raw), "action": "set-null", "columns": f.Columns, "problems": problem})
}

func nullable(t *table, cols []string) bool {
	for _, c := range cols {
		col, _ := t.shape.Column(c)
		if col.NotNull {
			return false
		}
	}
	return true
}

// childrenOf finds the rows pointing at parents (rows of p left out) and
// makes them follow their keys' rules. A few hundred parents per query.
func (s *session) childrenOf(ctx context.Context, sc *scanResult, p *table, parents [][]any) error {
	for _, c := range s.tables {
		for _, f := range c.shape.ForeignKeys {
			if f.RefTable != p.name() {
				continue
			}
			// Where each referenced column sits in a parent's kept values.
			pos := make([]int, len(f.RefColumns))
			for i, rc := range f.RefColumns {
				for j, r := range p.refs {
					if p.shape.Columns[r].Name == rc {
						pos[i] = j
					}
				}
			}
			reason := fmt.Sprintf("its %s row was left out, and the key %s says ON DELETE %s", p.name(), f.Name, orDefault(f.OnDelete))
			for start := 0; start < len(parents); start += 200 {
				chunk := parents[start:min(start+200, len(parents))]
				var ors []string
				var args []any
				for _, pv := range chunk {
					var ands []string
					for i, col := range f.Columns {
						ands = append(ands, "c."+s.sd.Quote(col)+" = ?")
						args = append(args, pv[pos[i]])
					}
					ors = append(ors, "("+strings.Join(ands, " AND ")+")")
				}
				q := fmt.Sprintf("SELECT %s FROM %s c WHERE %s", selectColumns(s.sd, c), s.sd.Quote(c.name()), strings.Join(ors, " OR "))
				if err := queryRows(ctx, s.src.DB, c, q, args, func(raw []any) error { return sc.follow(c, f, raw, reason) }); err != nil {
					return fmt.Errorf("look for the rows of %s that point at rows of %s left out: %w", c.name(), p.name(), err)
				}
			}
		}
	}
	return nil
}

func orDefault(rule string) string {
	if rule == "" {
		return "NO ACTION"
	}
	return rule
}

// checkTargetKeys counts, for every foreign key of the target, the rows
// whose key points nowhere (an anti-join per key). The load ran with
// checks off (SQLite, MySQL; PostgreSQL's keys were added back, which
// checked them). Every row's keys were checked in the source by the scan,
// and the verification proves the target holds exactly the rows written;
// what that leaves to check is the scan's own decisions about rows left
// out (--skip-rows): their children must have followed. So it runs when
// rows were left out or keys set to NULL. (Run always, it costs a random
// primary key lookup per row: on MariaDB, whose primary key holds the
// rows, most of a minute for 400,000 messages.)
func (s *session) checkTargetKeys(ctx context.Context) error {
	var bad []string
	for _, t := range s.tables {
		for _, f := range t.shape.ForeignKeys {
			var n int64
			q := fmt.Sprintf("SELECT COUNT(*) FROM %s c WHERE %s", s.td.Quote(t.name()), orphansWhere(s.td, f))
			if err := s.tgt.DB.WithContext(ctx).Raw(q).Scan(&n).Error; err != nil {
				return fmt.Errorf("check foreign key %s of %s in the target: %w", f.Name, t.name(), err)
			}
			if n > 0 {
				bad = append(bad, fmt.Sprintf("%d row(s) of %s whose key %s points nowhere", n, t.name(), f.Name))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the target's foreign keys do not hold after the load: %s", strings.Join(bad, "; "))
	}
	return nil
}
