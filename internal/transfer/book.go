package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/dialect"
	"gorm.io/gorm"
)

// BookTable is the copy's bookkeeping in the target while a copy is
// writing into it: who holds the copy lock, which source is being copied,
// and for each table whether it is done or the last key committed. It is
// dropped once the copy is verified.
const BookTable = db.CopyTable

// staleAfter is how long a lock holder on another machine may go without
// a heartbeat before another copy takes the target over.
const staleAfter = 60 * time.Second

const heartbeatEvery = 10 * time.Second

// ErrCopyRunning means another copy is writing into the same target.
var ErrCopyRunning = errors.New("another copy is writing into this target")

type book struct {
	g     *gorm.DB
	d     dialect.Dialect
	token string
}

type holder struct {
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Started string `json:"started"`
}

func newBook(g *gorm.DB, d dialect.Dialect) (*book, error) {
	host, _ := os.Hostname()
	tok, err := json.Marshal(holder{Host: host, PID: os.Getpid(), Started: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return nil, err
	}
	return &book{g: g, d: d, token: string(tok)}, nil
}

func bookExists(g *gorm.DB) (bool, error) { return dialect.TableExists(g, BookTable) }

func (b *book) create() error {
	opts, err := dialect.TableOptions(b.g)
	if err != nil {
		return err
	}
	q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (item %s NOT NULL, state %s, last_key %s, n %s, at %s, PRIMARY KEY (item)) %s",
		b.d.Quote(BookTable), b.d.SQLType(dialect.Key), b.d.SQLType(dialect.Text), b.d.SQLType(dialect.Text),
		b.d.SQLType(dialect.BigInt), b.d.SQLType(dialect.BigInt), opts)
	if err := b.g.Exec(q).Error; err != nil {
		return fmt.Errorf("create %s in the target: %w", BookTable, err)
	}
	return nil
}

func (b *book) q() string { return b.d.Quote(BookTable) }

// acquire takes the copy lock: a row only one copy can own. A holder that
// is gone (a dead process on this machine, or no heartbeat for
// staleAfter) is taken over; a live one is ErrCopyRunning.
func (b *book) acquire() error {
	now := time.Now().UnixMilli()
	ins := b.g.Exec("INSERT INTO "+b.q()+" (item, state, at) VALUES ('lock', ?, ?)", b.token, now)
	if ins.Error == nil {
		return nil
	}
	var row struct {
		State string
		At    int64
	}
	res := b.g.Raw("SELECT state, at FROM " + b.q() + " WHERE item = 'lock'").Scan(&row)
	if res.Error != nil {
		return fmt.Errorf("take the copy lock: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("take the copy lock: %w", ins.Error)
	}
	var h holder
	_ = json.Unmarshal([]byte(row.State), &h)
	age := time.Duration(now-row.At) * time.Millisecond
	if !b.gone(h, age) {
		return fmt.Errorf("%w (process %d on %s, started %s, last heard from %s ago); wait for it, or stop it and run the same command again, which resumes",
			ErrCopyRunning, h.PID, h.Host, h.Started, age.Round(time.Second))
	}
	upd := b.g.Exec("UPDATE "+b.q()+" SET state = ?, at = ? WHERE item = 'lock' AND state = ? AND at = ?", b.token, now, row.State, row.At)
	if upd.Error != nil {
		return fmt.Errorf("take over the copy lock of a stopped copy: %w", upd.Error)
	}
	if upd.RowsAffected != 1 {
		return fmt.Errorf("%w: another copy took it over just now", ErrCopyRunning)
	}
	return nil
}

func (b *book) gone(h holder, age time.Duration) bool {
	if host, _ := os.Hostname(); h.Host == host && h.PID > 0 && processGone(h.PID) {
		return true
	}
	return age > staleAfter
}

// heartbeat keeps the lock fresh until ctx ends; lost is called if another
// copy took the lock over (this one was silent for too long).
func (b *book) heartbeat(ctx context.Context, lost func(error)) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			res := b.g.WithContext(ctx).Exec("UPDATE "+b.q()+" SET at = ? WHERE item = 'lock' AND state = ?", time.Now().UnixMilli(), b.token)
			if res.Error == nil && res.RowsAffected == 0 {
				lost(fmt.Errorf("%w: it took over this copy's lock", ErrCopyRunning))
				return
			}
		}
	}
}

func (b *book) release() {
	b.g.WithContext(context.WithoutCancel(b.g.Statement.Context)).Exec("DELETE FROM "+b.q()+" WHERE item = 'lock' AND state = ?", b.token)
}

// source reads the fingerprint of the source this target is being copied
// from ("" if none was written yet).
func (b *book) source() (string, error) {
	var s []string
	if err := b.g.Raw("SELECT state FROM " + b.q() + " WHERE item = 'source'").Scan(&s).Error; err != nil {
		return "", fmt.Errorf("read %s: %w", BookTable, err)
	}
	if len(s) == 0 {
		return "", nil
	}
	return s[0], nil
}

func (b *book) setSource(fp string) error {
	if err := b.g.Exec("INSERT INTO "+b.q()+" (item, state) VALUES ('source', ?)", fp).Error; err != nil {
		return fmt.Errorf("write %s: %w", BookTable, err)
	}
	return nil
}

type tableState struct {
	exists  bool
	done    bool
	lastKey string
	rows    int64
}

func tableItem(name string) string { return "table:" + name }

func (b *book) table(name string) (tableState, error) {
	var rows []struct {
		State   string
		LastKey *string
		N       *int64
	}
	if err := b.g.Raw("SELECT state, last_key, n FROM "+b.q()+" WHERE item = ?", tableItem(name)).Scan(&rows).Error; err != nil {
		return tableState{}, fmt.Errorf("read %s: %w", BookTable, err)
	}
	if len(rows) == 0 {
		return tableState{}, nil
	}
	st := tableState{exists: true, done: rows[0].State == "done"}
	if rows[0].LastKey != nil {
		st.lastKey = *rows[0].LastKey
	}
	if rows[0].N != nil {
		st.rows = *rows[0].N
	}
	return st, nil
}

func (b *book) startTable(name string) error {
	if err := b.g.Exec("INSERT INTO "+b.q()+" (item, state, n) VALUES (?, 'copying', 0)", tableItem(name)).Error; err != nil {
		return fmt.Errorf("write %s: %w", BookTable, err)
	}
	return nil
}

// batchDone is run in a batch's own transaction.
func batchDone(exec dialect.Exec, ctx context.Context, q, name, lastKey string, n int) error {
	return exec(ctx, "UPDATE "+q+" SET last_key = ?, n = n + ? WHERE item = ?", lastKey, int64(n), tableItem(name))
}

func (b *book) finishTable(name string) error {
	if err := b.g.Exec("UPDATE "+b.q()+" SET state = 'done' WHERE item = ?", tableItem(name)).Error; err != nil {
		return fmt.Errorf("write %s: %w", BookTable, err)
	}
	return nil
}

// drop removes the bookkeeping, the lock with it: the copy is complete.
func (b *book) drop() error {
	if err := b.g.Exec("DROP TABLE IF EXISTS " + b.q()).Error; err != nil {
		return fmt.Errorf("drop %s from the target: %w", BookTable, err)
	}
	return nil
}
