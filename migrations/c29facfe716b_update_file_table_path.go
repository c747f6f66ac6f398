package migrations

import (
	"fmt"
	"strings"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision c29facfe716b (update_file_table_path) makes file.path an
// unbounded storage URI: local absolute paths become file:// URIs, so every
// stored path names its storage (file://, s3://, gs://, az://, ...).

var fileAt10 = fileAt1.Replace(dialect.Column{Name: "path", Type: dialect.Text})

// fileKeyLength is the length of a key column (varchar(255)), which
// file.path has again after the downgrade.
const fileKeyLength = 255

func updateFileTablePathUp(m *dialect.Migrator) error {
	path := m.Q("path")
	absolute := fmt.Sprintf("substr(%s, 1, 1) = '/'", path)
	isURI := fmt.Sprintf("%s LIKE '%%://%%'", path)
	// One copy widens the column and converts the paths together. A
	// converted path no longer starts with /, so converting again changes
	// nothing: a re-run (MySQL, after a crash) that finds file already
	// swapped in converts every row again in place (Refill), which catches
	// the paths the application wrote meanwhile (it was still at
	// revision 9).
	toURI := fmt.Sprintf("CASE WHEN %s AND NOT (%s) THEN concat('file://', %s) ELSE %s END", absolute, isURI, path, path)
	if err := m.Rebuild(dialect.Rebuild{From: fileAt1, To: fileAt10, Fills: []dialect.Fill{{Column: "path", Expr: toURI}}, Refill: true}); err != nil {
		return fmt.Errorf("turn local file paths into file:// URIs: %w", err)
	}
	return reportFileSkips(m, []*fileSkip{
		{
			cond:   fmt.Sprintf("%s > 0 AND NOT (%s) AND NOT (%s)", m.D.CharLength(path), absolute, isURI),
			notice: "left %d relative file path(s) unchanged: they neither start with / nor are URIs, so they cannot become file:// URIs; check where they are stored (files %s)",
		},
		{
			cond:   absolute + " AND " + isURI,
			notice: "left %d file path(s) unchanged that start with / but contain ://, taking them for URIs already (files %s)",
		},
	})
}

func updateFileTablePathDown(m *dialect.Migrator) error {
	path := m.Q("path")
	local := fmt.Sprintf("%s = %s", m.D.ByteOrder(fmt.Sprintf("substr(%s, 1, 8)", path)), m.D.ByteOrder("'file:///'"))
	// Refuse before any change if a path would not fit the key column. A
	// file:/// URI is measured as the plain path it turns back into.
	length := fmt.Sprintf("CASE WHEN %s THEN %s - 7 ELSE %s END", local, m.D.CharLength(path), m.D.CharLength(path))
	n, sample, err := m.CountAndSample(fmt.Sprintf("SELECT %s FROM %s WHERE %s > %d ORDER BY %s",
		m.Q("id"), m.Q("file"), length, fileKeyLength, m.Q("id")))
	if err != nil {
		return fmt.Errorf("look for file paths too long to roll back: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%d file path(s) are longer than %d characters, the most file.path holds before this revision (files %s); nothing was changed: shorten those paths or delete those files, then roll back again",
			n, fileKeyLength, dialect.Sample(sample))
	}
	// Converting a plain path again leaves it: a re-run (MySQL, after a
	// crash) that finds file already swapped in converts every row again
	// in place (Refill), catching URIs the application wrote meanwhile.
	toPath := fmt.Sprintf("CASE WHEN %s THEN substr(%s, 8) ELSE %s END", local, path, path)
	if err := m.Rebuild(dialect.Rebuild{From: fileAt10, To: fileAt1, Fills: []dialect.Fill{{Column: "path", Expr: toPath}}, Refill: true}); err != nil {
		return fmt.Errorf("turn file:// URIs back into local paths: %w", err)
	}
	return nil
}

// updateFileTablePathCheckDown is updateFileTablePathDown's refusal alone,
// for a rollback to find it before it undoes the steps after this one.
func updateFileTablePathCheckDown(m *dialect.Migrator) error {
	path := m.Q("path")
	local := fmt.Sprintf("%s = %s", m.D.ByteOrder(fmt.Sprintf("substr(%s, 1, 8)", path)), m.D.ByteOrder("'file:///'"))
	length := fmt.Sprintf("CASE WHEN %s THEN %s - 7 ELSE %s END", local, m.D.CharLength(path), m.D.CharLength(path))
	n, sample, err := m.CountAndSample(fmt.Sprintf("SELECT %s FROM %s WHERE %s > %d ORDER BY %s",
		m.Q("id"), m.Q("file"), length, fileKeyLength, m.Q("id")))
	if err != nil {
		return fmt.Errorf("look for file paths too long to roll back: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%d file path(s) are longer than %d characters, the most file.path holds before this revision (files %s); nothing was changed: shorten those paths or delete those files, then roll back again",
			n, fileKeyLength, dialect.Sample(sample))
	}
	return nil
}

// fileSkip is one reason a file step leaves rows alone.
type fileSkip struct {
	cond   string // SQL condition over a file row
	notice string // format taking the count and the sample
	n      int64
	sample []string
}

// reportFileSkips reads the file rows matching each skip's condition in
// one pass (only matching rows come back, and only a count and the first
// few IDs are kept, so memory stays flat) and reports them.
func reportFileSkips(m *dialect.Migrator, skips []*fileSkip) error {
	flags := make([]string, len(skips))
	conds := make([]string, len(skips))
	for i, s := range skips {
		flags[i] = fmt.Sprintf("CASE WHEN %s THEN 1 ELSE 0 END", s.cond)
		conds[i] = "(" + s.cond + ")"
	}
	rows, err := m.Rows(fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s ORDER BY %s",
		m.Q("id"), strings.Join(flags, ", "), m.Q("file"), strings.Join(conds, " OR "), m.Q("id")))
	if err != nil {
		return fmt.Errorf("count files left unchanged: %w", err)
	}
	defer rows.Close()
	var id string
	hit := make([]int64, len(skips))
	dest := []any{&id}
	for i := range hit {
		dest = append(dest, &hit[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("count files left unchanged: %w", err)
		}
		for i, s := range skips {
			if hit[i] == 1 {
				s.n++
				if len(s.sample) < dialect.SampleSize {
					s.sample = append(s.sample, id)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count files left unchanged: %w", err)
	}
	for _, s := range skips {
		if s.n > 0 {
			m.Noticef(s.notice, s.n, dialect.Sample(s.sample))
		}
	}
	return nil
}
