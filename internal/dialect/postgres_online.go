package dialect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"gorm.io/gorm"
)

// An online step on PostgreSQL runs on the pool, apart from the unit's
// transaction, which holds the run lock, READ COMMITTED and idle, and
// records the step once its statements are done: CREATE INDEX
// CONCURRENTLY cannot run in a transaction, and waits for every
// transaction holding a snapshot older than its own (an idle READ
// COMMITTED transaction holds none). Index statements run in autocommit,
// every other statement in a short transaction of its own (apartTx). A
// crash leaves the step unrecorded with part of its work done, so each
// statement is one the re-run can run again.

// readyApart readies the unit's transaction to wait while the step runs
// apart. CREATE INDEX CONCURRENTLY waits for every transaction that holds
// a snapshot older than its own, this one included, which would never end:
// a READ COMMITTED transaction holds none between statements, except the
// one its last query's portal keeps until the next query (the extended
// protocol's unnamed portal lives until the next Bind or the transaction's
// end). SHOW and SET need no snapshot, and take that portal's place.
func (postgresDialect) readyApart(unit *gorm.DB) error {
	var level string
	if err := unit.Raw("SHOW transaction_isolation").Scan(&level).Error; err != nil {
		return fmt.Errorf("ready the step's transaction for an online step: %w", err)
	}
	if level != "read committed" {
		return fmt.Errorf("an online step needs its run's transaction READ COMMITTED, and it is %s (a bug: BeginLocked sets it)", level)
	}
	// It waits idle for as long as the step runs (an index build on a
	// large table, hours): a server's idle_in_transaction_session_timeout
	// must not end it, and with it the step's record. SET LOCAL: for this
	// transaction only (PgBouncer).
	if err := unit.Exec("SET LOCAL idle_in_transaction_session_timeout = 0").Error; err != nil {
		return fmt.Errorf("ready the step's transaction for an online step: %w", err)
	}
	return nil
}

func (postgresDialect) onlineApart() bool { return true }

// apartTx runs fn in a short transaction of its own on the pool. Like the
// unit's (BeginLocked), it sees the current schema alone, and sets so with
// SET LOCAL: nothing outlives it behind a transaction-pooling PgBouncer.
// Settings every step transaction takes belong here too.
func (d postgresDialect) apartTx(m *Migrator, fn func(*Migrator) error) error {
	return m.DB.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT set_config('search_path', quote_ident(current_schema()), true) WHERE current_schema() IS NOT NULL`).Error; err != nil {
			return fmt.Errorf("keep the statement to the current schema: %w", err)
		}
		// The run's short lock wait, as in the unit's transaction: an
		// ALTER queued behind a long transaction would queue the table's
		// readers and writers behind it. A statement that gives up fails
		// the step, which the runner retries (db/ddllock.go).
		if m.run.LockWait > 0 {
			if err := d.LimitTxLockWait(tx, m.run.LockWait); err != nil {
				return fmt.Errorf("limit the statement's lock wait: %w", err)
			}
		}
		return fn(&Migrator{DB: tx, D: m.D, rep: m.rep, run: m.run})
	})
}

// alterOnline is alterTable in an online step (m.apart): the same changes
// in the same order, in forms that keep the table readable and writable
// and that a re-run after a crash can repeat. Indexes are built and
// dropped CONCURRENTLY; keys and checks are added NOT VALID, which takes a
// brief lock, then validated, which scans the table without blocking
// writes. A type or primary key change is refused (refuseOnline).
func (d postgresDialect) alterOnline(m *Migrator, from, to Table, fills []Fill) error {
	p := planAlter(from, to, fills)
	if err := refuseOnline(to.Name, p); err != nil {
		return err
	}
	var schema string
	if err := m.Scan("SELECT current_schema()", nil, &schema); err != nil || schema == "" {
		return fmt.Errorf("find the current schema for the online statements (search_path names no existing schema?): %v", err)
	}
	t := d.Quote(to.Name)
	// Statements in autocommit name the table's schema: their connection
	// searches the URL's whole search_path.
	qualified := func(name string) string { return d.Quote(schema) + "." + d.Quote(name) }
	short := func(stmts ...string) error {
		for _, s := range stmts {
			if err := d.apartTx(m, func(tx *Migrator) error { return tx.exec(s) }); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range p.dropFKs {
		if err := short(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", t, d.Quote(f.Name))); err != nil {
			return err
		}
	}
	for _, c := range p.dropChecks {
		if err := short(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", t, d.Quote(c.Name))); err != nil {
			return err
		}
	}
	for _, i := range p.dropIndexes {
		if err := m.exec("DROP INDEX CONCURRENTLY IF EXISTS " + qualified(i.Name)); err != nil {
			return err
		}
	}
	filled := map[string]bool{}
	for _, f := range p.fills {
		filled[f.Column] = true
	}
	for _, c := range p.addColumns {
		def := c
		if filled[c.Name] {
			def = nullable(c)
		}
		// A constant default is only recorded in the catalog (PostgreSQL
		// 11 and later): no rewrite.
		if err := short(fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s", t, columnDef(d, def))); err != nil {
			return err
		}
	}
	if len(p.fills) > 0 {
		// In batches of short transactions; only rows not filled yet.
		if err := m.fillAdded(to, p.fills, func(s string) error { return short(s) }); err != nil {
			return err
		}
	}
	for _, c := range p.addColumns {
		if filled[c.Name] {
			if err := short(d.finishColumn(t, nullable(c), c)...); err != nil {
				return err
			}
		}
	}
	for _, c := range p.changes { // no type changes: refused above
		if err := short(d.finishColumn(t, c.From, c.To)...); err != nil {
			return err
		}
	}
	for _, c := range p.dropColumns {
		if err := short(fmt.Sprintf("ALTER TABLE %s DROP COLUMN IF EXISTS %s", t, d.Quote(c.Name))); err != nil {
			return err
		}
	}
	for _, c := range p.addChecks {
		if err := d.addConstraintOnline(m, to.Name, c.Name, checkDef(d, c), short); err != nil {
			return err
		}
	}
	for _, i := range p.addIndexes {
		if err := d.createIndexOnline(m, schema, to.Name, i); err != nil {
			return err
		}
	}
	for _, f := range p.addFKs {
		if err := d.addConstraintOnline(m, to.Name, f.Name, fkDef(d, f), short); err != nil {
			return err
		}
	}
	if len(fills) > 0 {
		return m.exec("ANALYZE " + qualified(to.Name))
	}
	return nil
}

// addConstraintOnline adds a key or check NOT VALID, unless an earlier,
// interrupted run did (constraints have no IF NOT EXISTS), then validates
// it: validating one already valid does nothing.
func (d postgresDialect) addConstraintOnline(m *Migrator, table, name, def string, short func(...string) error) error {
	var n int64
	if err := m.Scan(`SELECT count(*) FROM pg_constraint WHERE conrelid = `+pgTableOID+` AND conname = ?`,
		[]any{d.Quote(table), name}, &n); err != nil {
		return err
	}
	t := d.Quote(table)
	if n == 0 {
		if err := short(fmt.Sprintf("ALTER TABLE %s ADD %s NOT VALID", t, def)); err != nil {
			return err
		}
	}
	return short(fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", t, d.Quote(name)))
}

// createIndexOnline builds an index CONCURRENTLY. A build that failed, was
// cancelled or crashed leaves its index INVALID (unused by queries but
// kept up by every write), which IF NOT EXISTS would take for done: it is
// dropped first, and built again.
func (d postgresDialect) createIndexOnline(m *Migrator, schema, table string, i Index) error {
	qi := d.Quote(schema) + "." + d.Quote(i.Name)
	// An INVALID index may still be being built: by a run that was killed
	// (the server goes on with an orphaned CREATE INDEX CONCURRENTLY until
	// it ends) or by another session. Dropping it then fails once that
	// build marks it valid ("tuple concurrently updated"), so wait for the
	// build to end and look again: it may leave the index valid.
	waited, races := false, 0
	for {
		var invalid, building int64
		if err := m.Scan(`SELECT count(*), count(p.pid) FROM pg_index x
			JOIN pg_class c ON c.oid = x.indexrelid
			LEFT JOIN pg_stat_progress_create_index p ON p.relid = x.indrelid AND p.index_relid = x.indexrelid
			WHERE c.relname = ? AND c.relnamespace = ?::regnamespace AND NOT x.indisvalid`,
			[]any{i.Name, d.Quote(schema)}, &invalid, &building); err != nil {
			return err
		}
		if invalid == 0 {
			break
		}
		if building == 0 {
			err := m.exec("DROP INDEX CONCURRENTLY IF EXISTS " + qi)
			// A build leaves the progress view a moment before it commits
			// the index valid: the drop then meets that commit. Look again.
			if err != nil && concurrentlyUpdated(err) && races < 10 {
				races++
				if err := sleepCtx(m.DB.Statement.Context, 200*time.Millisecond); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			break
		}
		if !waited {
			m.Noticef("index %s of table %s is still being built by another session (a killed run's build goes on on the server): waiting for that build to end", i.Name, table)
			waited = true
		}
		if err := sleepCtx(m.DB.Statement.Context, time.Second); err != nil {
			return fmt.Errorf("wait for the earlier build of index %s to end: %w", i.Name, err)
		}
	}
	kind := "INDEX"
	if i.Unique {
		kind = "UNIQUE INDEX"
	}
	return m.exec(fmt.Sprintf("CREATE %s CONCURRENTLY IF NOT EXISTS %s ON %s.%s (%s)",
		kind, d.Quote(i.Name), d.Quote(schema), d.Quote(table), quoteList(d, i.Columns)))
}

func joinOr(conds []string) string {
	out := conds[0]
	for _, c := range conds[1:] {
		out += " OR " + c
	}
	return out
}

// sleepCtx pauses for d, or less if ctx ends first (a signal).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if ctx == nil {
		ctx = context.Background()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// concurrentlyUpdated: PostgreSQL's "tuple concurrently updated", what a
// catalog change gets when another transaction changed the same catalog
// row and committed meanwhile.
func concurrentlyUpdated(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "XX000" && strings.Contains(pg.Message, "tuple concurrently updated")
}
