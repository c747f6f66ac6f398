package dialect_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/internal/testkit/crash"
	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"gorm.io/gorm"
)

// alterCrashCases are the changes the crash tests interrupt: a conversion
// through a temporary column (MySQL), a column added, filled and made NOT
// NULL, a primary key replaced, and foreign keys and their indexes
// juggled.
var alterCrashCases = []string{
	"convert key to bool",
	"widen an indexed smallint with a conversion",
	"add a NOT NULL column filled",
	"add a bool NOT NULL with a default and a fill",
	"convert a column with a default",
	"replace the primary key's columns",
	"add a filled column to the primary key",
	"drop the only index under a foreign key",
	"drop a column under a foreign key",
	"add a foreign key with its index",
	"change a foreign key's ON DELETE",
	"many changes at once",
}

func alterCaseNamed(t *testing.T, name string) alterCase {
	t.Helper()
	for _, c := range alterCases() {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no alter case %q", name)
	return alterCase{}
}

// TestAlterTableCrash: on MySQL, where a step's statements commit one by
// one, an AlterTable that crashed before any of its writes and is run
// again ends as one never interrupted: same schema, same rows. Run once
// more after that, it changes nothing. Elsewhere the step's transaction
// rolls back, and a crash at any write leaves the table as it was.
func TestAlterTableCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash loops: not in -short")
	}
	testdb.Each(t, func(t *testing.T, dl string) {
		db := testdb.Open(t, dl)
		for _, name := range alterCrashCases {
			c := alterCaseNamed(t, name)
			alter := func(m *dialect.Migrator) error { return m.AlterTable(c.source(), c.to, c.fills...) }
			t.Run(name, func(t *testing.T) {
				alterSetup(t, db, c.source(), alterRows)
				beforeSchema, beforeRows := takeSnapshot(t, db), itemRows(t, db, c.source())
				whole := &crash.Plan{After: -1}
				if err := alterRun(db, whole, alter); err != nil {
					t.Fatal(err)
				}
				writes := whole.Seen
				if writes == 0 {
					t.Fatal("the change made no writes")
				}
				wantSchema, wantRows := takeSnapshot(t, db), itemRows(t, db, c.to)
				transactional := dialectRunMode(t, db) != dialect.NoTransactions
				for k := range writes {
					alterSetup(t, db, c.source(), alterRows)
					err := alterRun(db, &crash.Plan{After: k}, alter)
					if !errors.Is(err, crash.ErrInjected) {
						t.Fatalf("crash before write %d of %d: err = %v, want the injected crash", k+1, writes, err)
					}
					if transactional {
						migtest.RequireSameSchema(t, beforeSchema, takeSnapshot(t, db), "before", "rolled back at write "+strconv.Itoa(k+1))
						requireSameRows(t, beforeRows, itemRows(t, db, c.source()), "before", "rolled back")
						continue
					}
					if err := alterRun(db, nil, alter); err != nil {
						t.Fatalf("run again after a crash before write %d of %d: %v", k+1, writes, err)
					}
					gotName := "run again after a crash before write " + strconv.Itoa(k+1)
					migtest.RequireSameSchema(t, wantSchema, takeSnapshot(t, db), "uninterrupted", gotName)
					requireSameRows(t, wantRows, itemRows(t, db, c.to), "uninterrupted", gotName)
				}
				if transactional {
					return
				}
				// Done, and run again (a crash after the change but before
				// the step's record): nothing changes.
				if err := alterRun(db, nil, alter); err != nil {
					t.Fatalf("run again after the change: %v", err)
				}
				migtest.RequireSameSchema(t, wantSchema, takeSnapshot(t, db), "uninterrupted", "run twice")
				requireSameRows(t, wantRows, itemRows(t, db, c.to), "uninterrupted", "run twice")
			})
		}
	})
}

func dialectRunMode(t *testing.T, db *gorm.DB) dialect.RunMode {
	t.Helper()
	d, err := dialect.Of(db)
	if err != nil {
		t.Fatal(err)
	}
	return d.RunMode()
}
