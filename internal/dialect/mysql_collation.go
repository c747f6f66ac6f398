package dialect

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// On MySQL and MariaDB a column compares by its collation, and the
// servers' defaults (utf8mb4_general_ci, utf8mb4_0900_ai_ci,
// utf8mb4_uca1400_ai_ci) take "Café" for "cafe", every emoji for every
// other, and (PAD SPACE) "a" for "a ": different IDs and tags would be one
// key. Every table this tool creates therefore declares utf8mb4 with a
// binary NO PAD collation, so MySQL compares as SQLite and PostgreSQL do,
// whatever the server's or the database's default; utf8mb4_bin is binary
// but PAD SPACE, which would make "a" and "a " duplicate keys.

// mysqlBinaryCollations are the binary NO PAD collations, in order of
// preference: MariaDB's (10.2 and later) and MySQL 8's (8.0.17 and later).
var mysqlBinaryCollations = []string{"utf8mb4_nopad_bin", "utf8mb4_0900_bin"}

// mariaJSONCollation is the collation MariaDB gives a JSON column (an
// alias of longtext with a json_valid check); MySQL's JSON has none.
const mariaJSONCollation = "utf8mb4_bin"

// mysqlBinaryCollation is the binary NO PAD collation the server has.
func mysqlBinaryCollation(db *gorm.DB) (string, error) {
	var found []string
	if err := db.Raw("SELECT COLLATION_NAME FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ?", mysqlBinaryCollations).Scan(&found).Error; err != nil {
		return "", fmt.Errorf("look up the server's binary collations: %w", err)
	}
	for _, c := range mysqlBinaryCollations {
		if slices.Contains(found, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("the server has none of the collations %s, which compare text byte for byte without padding: use MariaDB 10.2 or MySQL 8.0.17 or later",
		strings.Join(mysqlBinaryCollations, ", "))
}

func (mysqlDialect) tableOptions(db *gorm.DB) (string, error) {
	c, err := mysqlBinaryCollation(db)
	if err != nil {
		return "", err
	}
	return "DEFAULT CHARSET=utf8mb4 COLLATE=" + c, nil
}

// collationMarker starts the comment a table carries from the start of
// its conversion (or the drop of the foreign keys it declares) until the
// conversion is complete; the rest is the keys to add back and the
// table's own comment, as base64 JSON (no quoting to get wrong).
const collationMarker = "schema: collation conversion, keys pending: "

// pendingKeys is what a collation marker holds.
type pendingKeys struct {
	Comment string      `json:"comment"` // the table's comment before the marker
	Keys    []fkPending `json:"keys"`
}

// fkPending is a foreign key as the catalog describes it.
type fkPending struct {
	ForeignKey
	Table    string // the table declaring it
	OnUpdate string
}

func (p pendingKeys) comment() (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	c := collationMarker + base64.StdEncoding.EncodeToString(b)
	if len(c) > 2048 { // MySQL's limit for a table comment
		return "", fmt.Errorf("the foreign keys to keep take %d characters, more than a table comment holds", len(c))
	}
	return c, nil
}

func parsePendingKeys(comment string) (pendingKeys, bool, error) {
	rest, ok := strings.CutPrefix(comment, collationMarker)
	if !ok {
		return pendingKeys{}, false, nil
	}
	var p pendingKeys
	b, err := base64.StdEncoding.DecodeString(rest)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		return p, true, fmt.Errorf("read the foreign keys a collation conversion left pending: %w", err)
	}
	return p, true, nil
}

// collationCatalog is what a conversion needs to know of the database.
type collationCatalog struct {
	tables  map[string]*collationTable
	keys    []fkPending // in the catalog
	pending map[string]pendingKeys
}

type collationTable struct {
	name, collation, comment string
	columns                  []collationColumn // character columns only
}

type collationColumn struct {
	name, collation, nullable string
	def                       *string // COLUMN_DEFAULT, nil for none
	json                      bool    // MariaDB's JSON: longtext with its json_valid check
}

// needsWork reports whether t is not in the binary collation yet: its
// default or a character column (JSON aside, which keeps MariaDB's own).
func (t *collationTable) needsWork(coll string) bool {
	if t.collation != coll {
		return true
	}
	return slices.ContainsFunc(t.columns, func(c collationColumn) bool {
		return (c.json && c.collation != mariaJSONCollation) || (!c.json && c.collation != coll)
	})
}

func readCollationCatalog(m *Migrator) (*collationCatalog, error) {
	cat := &collationCatalog{tables: map[string]*collationTable{}, pending: map[string]pendingKeys{}}
	rows, err := m.Rows(`SELECT TABLE_NAME, TABLE_COLLATION, TABLE_COMMENT FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		t := &collationTable{}
		var coll *string
		if err := rows.Scan(&t.name, &coll, &t.comment); err != nil {
			rows.Close()
			return nil, err
		}
		if coll != nil {
			t.collation = *coll
		}
		cat.tables[t.name] = t
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	jsonCols, err := mariaJSONColumns(m)
	if err != nil {
		return nil, err
	}
	rows, err = m.Rows(`SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME, IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL ORDER BY TABLE_NAME, ORDINAL_POSITION`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var table string
		var c collationColumn
		if err := rows.Scan(&table, &c.name, &c.collation, &c.nullable, &c.def); err != nil {
			rows.Close()
			return nil, err
		}
		c.json = jsonCols[table+"."+c.name]
		if t := cat.tables[table]; t != nil {
			t.columns = append(t.columns, c)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if cat.keys, err = readForeignKeys(m); err != nil {
		return nil, err
	}
	for _, t := range cat.tables {
		p, ok, err := parsePendingKeys(t.comment)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.name, err)
		}
		if ok {
			cat.pending[t.name] = p
		}
	}
	return cat, nil
}

func closeRows(rows interface {
	Err() error
	Close() error
}) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// mariaJSONColumns are MariaDB's JSON columns, as "table.column": a JSON
// column there is longtext with a column check json_valid(`c`). MySQL's
// JSON is a type of its own, without a collation.
func mariaJSONColumns(m *Migrator) (map[string]bool, error) {
	var version string
	if err := m.Scan("SELECT VERSION()", nil, &version); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		return out, nil
	}
	rows, err := m.Rows(`SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = DATABASE() AND LEVEL = 'Column'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var table, col, clause string
		if err := rows.Scan(&table, &col, &clause); err != nil {
			rows.Close()
			return nil, err
		}
		if clause == "json_valid("+quoteWith('`', col)+")" {
			out[table+"."+col] = true
		}
	}
	return out, closeRows(rows)
}

// readForeignKeys lists the foreign keys of the database's tables.
func readForeignKeys(m *Migrator) ([]fkPending, error) {
	rows, err := m.Rows(`SELECT r.TABLE_NAME, r.CONSTRAINT_NAME, r.REFERENCED_TABLE_NAME, r.DELETE_RULE, r.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME
		FROM information_schema.REFERENTIAL_CONSTRAINTS r
		JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND k.TABLE_NAME = r.TABLE_NAME AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME
		WHERE r.CONSTRAINT_SCHEMA = DATABASE()
		ORDER BY r.TABLE_NAME, r.CONSTRAINT_NAME, k.ORDINAL_POSITION`)
	if err != nil {
		return nil, err
	}
	var out []fkPending
	for rows.Next() {
		var table, name, ref, del, upd, col, refCol string
		if err := rows.Scan(&table, &name, &ref, &del, &upd, &col, &refCol); err != nil {
			rows.Close()
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Table == table && out[n-1].Name == name {
			out[n-1].Columns = append(out[n-1].Columns, col)
			out[n-1].RefColumns = append(out[n-1].RefColumns, refCol)
			continue
		}
		out = append(out, fkPending{ForeignKey: ForeignKey{Name: name, Columns: []string{col}, RefTable: ref, RefColumns: []string{refCol}, OnDelete: del}, OnUpdate: upd, Table: table})
	}
	return out, closeRows(rows)
}

// MatchCollation converts, on MySQL, the chain's tables that are not in
// the binary collation yet (built by an older version of this tool, or by
// Open WebUI, with the server's default) with ALTER TABLE ... CONVERT TO:
// from a collation that equates more values to one that equates fewer, so
// no key can become a duplicate. MariaDB JSON columns keep the collation
// MariaDB gives JSON. Tables linked to those by foreign keys are converted
// too (a key needs the same collation on both sides).
//
// MariaDB refuses to change a column a foreign key uses, even with
// foreign_key_checks off, so those keys are dropped first and added back
// after. Crash-safe and idempotent: each key is dropped in the statement
// that writes it into its table's comment (collationMarker), each table is
// converted in a statement that marks it too, and the marks go only once
// the keys are back (checked) and the JSON columns restored, so a run that
// finds a mark finishes the conversion. Before anything changes, every
// such key is checked byte for byte: a row whose parent matched only under
// the old collation ("A" for "a") refuses the run, naming it.
func (d mysqlDialect) MatchCollation(conn *gorm.DB, chainTables func() ([]string, error)) error {
	m, err := NewMigrator(conn)
	if err != nil {
		return err
	}
	coll, err := mysqlBinaryCollation(conn)
	if err != nil {
		return err
	}
	names, suspect, err := collationSuspects(m, coll, chainTables)
	if err != nil || !suspect {
		return err
	}
	cat, err := readCollationCatalog(m)
	if err != nil {
		return fmt.Errorf("read the collations of the tables: %w", err)
	}
	convert, drop := cat.conversion(names, coll)
	if convert == nil {
		return nil
	}
	// Before any change: every key to add back must hold byte for byte.
	for _, k := range append(slices.Clone(drop), cat.pendingKeys()...) {
		if err := checkKeyBytewise(m, k); err != nil {
			return err
		}
	}
	if err := conn.Exec("SET SESSION foreign_key_checks = 0").Error; err != nil {
		return err
	}
	defer conn.Exec("SET SESSION foreign_key_checks = 1")
	if err := d.dropKeysPending(m, cat, drop); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(convert)) {
		if err := d.convertTable(m, cat, cat.tables[name], coll); err != nil {
			return err
		}
	}
	// Keys go back once every table is converted; then the comments.
	for _, table := range slices.Sorted(maps.Keys(cat.pending)) {
		p := cat.pending[table]
		for _, k := range p.Keys {
			if err := d.addPendingKey(m, k); err != nil {
				return err
			}
		}
		if err := m.exec(fmt.Sprintf("ALTER TABLE %s COMMENT = %s", d.Quote(table), mysqlString(p.Comment))); err != nil {
			return err
		}
	}
	return nil
}

// collationSuspects says whether some table of the chain may need work,
// returning the chain's table names when so. The catalog is read in full
// only then: one query answers for a database already converted. A table
// marked by an interrupted conversion always needs work.
func collationSuspects(m *Migrator, coll string, chainTables func() ([]string, error)) (names []string, suspect bool, err error) {
	// A marked table sorts first ('0').
	suspects, err := m.Strings(`SELECT CONCAT(CASE WHEN TABLE_COMMENT LIKE ? THEN '0' ELSE '1' END, TABLE_NAME) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND (TABLE_COLLATION <> ? OR TABLE_COMMENT LIKE ?)
		UNION SELECT CONCAT('1', TABLE_NAME) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL AND COLLATION_NAME NOT IN (?, ?)
		ORDER BY 1`,
		collationMarker+"%", coll, collationMarker+"%", coll, mariaJSONCollation)
	if err != nil || len(suspects) == 0 {
		return nil, false, err
	}
	if names, err = chainTables(); err != nil {
		return nil, false, err
	}
	if suspects[0][0] != '0' && !slices.ContainsFunc(suspects, func(t string) bool { return slices.Contains(names, t[1:]) }) {
		return nil, false, nil // none of them is the chain's (alembic_version, say)
	}
	return names, true, nil
}

// conversion is which tables to convert (nil when nothing needs work) and
// which keys to drop while they are: the chain's tables that need it, and
// the other side of every key of a converted table, since keys being added
// back must link tables of the same collation.
func (cat *collationCatalog) conversion(names []string, coll string) (convert map[string]bool, drop []fkPending) {
	work := map[string]bool{}
	for _, t := range cat.tables {
		if t.needsWork(coll) {
			work[t.name] = true
		}
	}
	if len(work) == 0 && len(cat.pending) == 0 {
		return nil, nil
	}
	convert = map[string]bool{}
	for _, n := range names {
		if work[n] {
			convert[n] = true
		}
	}
	keys := append(slices.Clone(cat.keys), cat.pendingKeys()...)
	for grown := true; grown; {
		grown = false
		for _, k := range keys {
			for _, pair := range [][2]string{{k.Table, k.RefTable}, {k.RefTable, k.Table}} {
				if convert[pair[0]] && work[pair[1]] && !convert[pair[1]] {
					convert[pair[1]], grown = true, true
				}
			}
		}
	}
	for _, k := range cat.keys {
		if convert[k.Table] || convert[k.RefTable] {
			drop = append(drop, k)
		}
	}
	return convert, drop
}

func (c *collationCatalog) pendingKeys() []fkPending {
	var out []fkPending
	for _, table := range slices.Sorted(maps.Keys(c.pending)) {
		out = append(out, c.pending[table].Keys...)
	}
	return out
}

// dropKeysPending drops keys, each table's in one statement that also
// writes them into its comment, and notes them in cat.pending.
func (d mysqlDialect) dropKeysPending(m *Migrator, cat *collationCatalog, keys []fkPending) error {
	byTable := map[string][]fkPending{}
	for _, k := range keys {
		byTable[k.Table] = append(byTable[k.Table], k)
	}
	for _, table := range slices.Sorted(maps.Keys(byTable)) {
		p, ok := cat.pending[table]
		if !ok {
			p = pendingKeys{Comment: cat.tables[table].comment}
		}
		parts := make([]string, 0, len(byTable[table])+1)
		for _, k := range byTable[table] {
			p.Keys = append(p.Keys, k)
			parts = append(parts, "DROP FOREIGN KEY "+d.Quote(k.Name))
		}
		comment, err := p.comment()
		if err != nil {
			return fmt.Errorf("table %s: %w", table, err)
		}
		parts = append(parts, "COMMENT = "+mysqlString(comment))
		if err := m.exec(fmt.Sprintf("ALTER TABLE %s %s", d.Quote(table), strings.Join(parts, ", "))); err != nil {
			return err
		}
		cat.pending[table] = p
	}
	return nil
}

// convertTable gives t the collation coll, and MariaDB's JSON columns
// theirs back (CONVERT TO changes them too). The statement that converts
// also marks the table (collationMarker), so that a crash before its JSON
// columns are back is seen by the next run; MatchCollation's end clears
// the mark.
func (d mysqlDialect) convertTable(m *Migrator, cat *collationCatalog, t *collationTable, coll string) error {
	converted := false
	if t.collation != coll || slices.ContainsFunc(t.columns, func(c collationColumn) bool { return !c.json && c.collation != coll }) {
		p, ok := cat.pending[t.name]
		if !ok {
			p = pendingKeys{Comment: t.comment}
		}
		comment, err := p.comment()
		if err != nil {
			return fmt.Errorf("table %s: %w", t.name, err)
		}
		if err := m.exec(fmt.Sprintf("ALTER TABLE %s CONVERT TO CHARACTER SET utf8mb4 COLLATE %s, COMMENT = %s", d.Quote(t.name), coll, mysqlString(comment))); err != nil {
			return err
		}
		cat.pending[t.name] = p
		converted = true
	}
	var parts []string
	for _, c := range t.columns {
		if !c.json || (!converted && c.collation == mariaJSONCollation) {
			continue
		}
		def := "MODIFY " + d.Quote(c.name) + " JSON"
		if c.nullable == "NO" {
			def += " NOT NULL"
		}
		if c.def != nil && *c.def != "NULL" {
			def += " DEFAULT " + *c.def
		}
		parts = append(parts, def)
	}
	if len(parts) == 0 {
		return nil
	}
	return m.exec(fmt.Sprintf("ALTER TABLE %s %s", d.Quote(t.name), strings.Join(parts, ", ")))
}

// checkKeyBytewise refuses a key that some row would break once values
// compare byte for byte: a child row whose parent matched only under the
// old collation. The join uses the parent's index (its equality) and then
// compares bytes, so it is not a scan per row.
func checkKeyBytewise(m *Migrator, k fkPending) error {
	var on, exact, notNull []string
	for i, c := range k.Columns {
		p, ch := "p."+m.Q(k.RefColumns[i]), "c."+m.Q(c)
		on = append(on, p+" = "+ch)
		exact = append(exact, mysqlDialect{}.ByteOrder(p)+" = "+mysqlDialect{}.ByteOrder(ch))
		notNull = append(notNull, ch+" IS NOT NULL")
	}
	q := fmt.Sprintf("SELECT c.%s FROM %s c LEFT JOIN %s p ON %s AND %s WHERE %s AND p.%s IS NULL ORDER BY c.%s",
		m.Q(k.Columns[0]), m.Q(k.Table), m.Q(k.RefTable), strings.Join(on, " AND "), strings.Join(exact, " AND "),
		strings.Join(notNull, " AND "), m.Q(k.RefColumns[0]), m.Q(k.Columns[0]))
	n, sample, err := m.CountAndSample(q)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d row(s) of %s name a %s that exists only when case, accents or trailing spaces are ignored (%s %s), so foreign key %s would not hold once %s compares values byte for byte; nothing was changed: make those values match their %s row exactly, then run again",
			n, k.Table, k.RefTable, k.Columns[0], Sample(sample), k.Name, k.RefTable, k.RefTable)
	}
	return nil
}

// addPendingKey adds a key back, checked first, with foreign_key_checks
// off (set by the caller), which InnoDB does in place.
func (d mysqlDialect) addPendingKey(m *Migrator, k fkPending) error {
	if m.DB.Migrator().HasConstraint(k.Table, k.Name) {
		return nil
	}
	if err := checkForeignKey(m, k.Table, k.ForeignKey); err != nil {
		return err
	}
	def := fkDef(d, ForeignKey{Name: k.Name, Columns: k.Columns, RefTable: k.RefTable, RefColumns: k.RefColumns})
	if k.OnDelete != "" {
		def += " ON DELETE " + k.OnDelete
	}
	if k.OnUpdate != "" {
		def += " ON UPDATE " + k.OnUpdate
	}
	return m.exec(fmt.Sprintf("ALTER TABLE %s ADD %s", d.Quote(k.Table), def))
}

// mysqlString is s as a MySQL string literal.
func mysqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}
