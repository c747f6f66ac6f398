package migrations_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/testkit/migtest"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

const revFolderDatetime = "4ace53fd72c8"

// folderAt5Row is folder as the models of revision 4ace53fd72c8 see it.
type folderAt5Row struct {
	ID        string  `gorm:"primaryKey"`
	ParentID  *string `gorm:"size:255"`
	UserID    string  `gorm:"not null"`
	Name      string  `gorm:"not null"`
	Items     *string
	CreatedAt time.Time `gorm:"not null;precision:6"`
	UpdatedAt time.Time `gorm:"not null;precision:6"`
}

func (folderAt5Row) TableName() string { return "folder" }

// folderEpochs are the instants the tests convert: the epoch itself, just
// before it, long before it, now-ish, and past 2038.
var folderEpochs = map[string]int64{
	"e0": 0,
	"e1": -1,
	"e2": -2208988800, // 1900-01-01
	"e3": 1700000000,
	"e4": 4102444800, // 2100-01-01
}

func insertEpochFolders(t *testing.T, d *migtest.DB) {
	t.Helper()
	for id, n := range folderEpochs {
		d.Insert("folder", map[string]any{"id": id, "user_id": "u1", "name": "F " + id, "created_at": n, "updated_at": n + 60})
	}
}

// folderTimes reads created_at and updated_at as time.Time.
func folderTimes(t *testing.T, d *migtest.DB, id string) (created, updated time.Time) {
	t.Helper()
	q := "SELECT " + d.Q("created_at") + ", " + d.Q("updated_at") + " FROM " + d.Q("folder") + " WHERE " + d.Q("id") + " = ?"
	if err := d.G.Raw(q, id).Row().Scan(&created, &updated); err != nil {
		t.Fatalf("read folder %s times: %v", id, err)
	}
	return created, updated
}

func TestUpdateFolderTableDatetimeEpochBecomesUTCInstant(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFolderDatetime)
		insertEpochFolders(t, d)
		d.Up()
		for id, n := range folderEpochs {
			want := time.Unix(n, 0).UTC()
			created, updated := folderTimes(t, d, id)
			if !created.Equal(want) || !updated.Equal(want.Add(time.Minute)) {
				t.Fatalf("folder %s: times %v, %v, want %v, %v", id, created, updated, want, want.Add(time.Minute))
			}
			// As text, the instant reads the same.
			text := d.String("SELECT "+d.Q("created_at")+" FROM "+d.Q("folder")+" WHERE "+d.Q("id")+" = ?", id)
			parsed, err := time.Parse(time.RFC3339Nano, text)
			if err != nil {
				t.Fatalf("folder %s: created_at reads as %q, not a time: %v", id, text, err)
			}
			if !parsed.Equal(want) {
				t.Fatalf("folder %s: created_at reads as %q, want %s", id, text, want.Format(time.RFC3339))
			}
		}
	})
}

func TestUpdateFolderTableDatetimeDownRestoresEpochs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFolderDatetime)
		insertEpochFolders(t, d)
		schema := d.Snapshot()
		d.Up()
		d.Down()
		migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the step", "after its down")
		for id, n := range folderEpochs {
			row := d.Rows("SELECT "+d.Q("created_at")+", "+d.Q("updated_at")+" FROM "+d.Q("folder")+" WHERE "+d.Q("id")+" = ?", id)
			if want := []string{strconv.FormatInt(n, 10), strconv.FormatInt(n+60, 10)}; len(row) != 1 || row[0][0] != want[0] || row[0][1] != want[1] {
				t.Fatalf("folder %s: times %v after down, want %v", id, row, want)
			}
		}
	})
}

func TestUpdateFolderTableDatetimeDownFloorsSubSecond(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFolderDatetime)
		d.Up()
		// Written by the models after the upgrade, with sub-second parts.
		rows := []folderAt5Row{
			{ID: "late", UserID: "u1", Name: "A", CreatedAt: time.Unix(1700000000, 750_000_000).UTC(), UpdatedAt: time.Unix(1700000000, 999_999_000).UTC()},
			{ID: "early", UserID: "u1", Name: "B", CreatedAt: time.Unix(-1, 750_000_000).UTC(), UpdatedAt: time.Unix(-2208988800, 500_000_000).UTC()},
		}
		if err := d.G.Create(&rows).Error; err != nil {
			t.Fatalf("create folders: %v", err)
		}
		d.Down()
		want := map[string][2]string{
			"late":  {"1700000000", "1700000000"},
			"early": {"-1", "-2208988800"}, // -0.25 s floors to -1
		}
		for id, w := range want {
			row := d.Rows("SELECT "+d.Q("created_at")+", "+d.Q("updated_at")+" FROM "+d.Q("folder")+" WHERE "+d.Q("id")+" = ?", id)
			if len(row) != 1 || row[0][0] != w[0] || row[0][1] != w[1] {
				t.Fatalf("folder %s: times %v after down, want %v", id, row, w)
			}
		}
	})
}

func TestUpdateFolderTableDatetimeReadByModels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFolderDatetime)
		insertEpochFolders(t, d)
		d.Up()
		var got []folderAt5Row
		if err := d.G.Order("id").Find(&got).Error; err != nil {
			t.Fatalf("read folders through GORM: %v", err)
		}
		if len(got) != len(folderEpochs) {
			t.Fatalf("read %d folders, want %d", len(got), len(folderEpochs))
		}
		for _, f := range got {
			want := time.Unix(folderEpochs[f.ID], 0)
			if !f.CreatedAt.Equal(want) || !f.UpdatedAt.Equal(want.Add(time.Minute)) {
				t.Fatalf("folder %s: CreatedAt %v, UpdatedAt %v, want %v, %v", f.ID, f.CreatedAt, f.UpdatedAt, want.UTC(), want.Add(time.Minute).UTC())
			}
		}

		// Converted rows and rows the models write compare as instants.
		mid := folderAt5Row{ID: "mid", UserID: "u1", Name: "M",
			CreatedAt: time.Unix(1700000000, 500_000_000).UTC(), UpdatedAt: time.Unix(1700000000, 500_000_000).UTC()}
		if err := d.G.Create(&mid).Error; err != nil {
			t.Fatalf("create folder: %v", err)
		}
		var order []string
		if err := d.G.Model(&folderAt5Row{}).Where("created_at >= ?", time.Unix(0, 0).UTC()).
			Order("created_at").Pluck("id", &order).Error; err != nil {
			t.Fatalf("query folders by time: %v", err)
		}
		if want := []string{"e0", "e3", "mid", "e4"}; !slices.Equal(order, want) {
			t.Fatalf("folders by created_at = %v, want %v", order, want)
		}
	})
}

// The range every dialect stores exactly: 0001-01-01T00:00:00Z (Go's zero
// time, which a model with an unset time writes) to 9999-12-31T23:59:59Z.
const (
	folderFirstEpoch = -62135596800
	folderLastEpoch  = 253402300799
)

// TestUpdateFolderTableDatetimeRangeEnds: the first and last second of the
// range convert exactly and come back exactly, on every dialect.
func TestUpdateFolderTableDatetimeRangeEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dl string) {
		d := migtest.Before(t, dl, revFolderDatetime)
		d.Insert("folder", map[string]any{"id": "first", "user_id": "u1", "name": "F", "created_at": int64(folderFirstEpoch), "updated_at": int64(folderLastEpoch)})
		d.Up()
		created, updated := folderTimes(t, d, "first")
		if want := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC); !created.Equal(want) {
			t.Errorf("created_at = %v, want %v", created, want)
		}
		if want := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC); !updated.Equal(want) {
			t.Errorf("updated_at = %v, want %v", updated, want)
		}
		d.Down()
		row := d.Rows("SELECT " + d.Q("created_at") + ", " + d.Q("updated_at") + " FROM " + d.Q("folder"))
		if want := []string{strconv.FormatInt(folderFirstEpoch, 10), strconv.FormatInt(folderLastEpoch, 10)}; len(row) != 1 || !slices.Equal(row[0], want) {
			t.Fatalf("times after down = %v, want %v", row, want)
		}
	})
}

// TestUpdateFolderTableDatetimeOutOfRangeRefused: an epoch before year 1 or
// after year 9999 refuses the step on every dialect, before any change,
// naming the rows (PostgreSQL could store both, MySQL and SQLite neither).
func TestUpdateFolderTableDatetimeOutOfRangeRefused(t *testing.T) {
	for name, epochs := range map[string][2]int64{
		"before year 1":   {folderFirstEpoch - 1, 0},
		"long before":     {-100000000000, 0},
		"after year 9999": {0, folderLastEpoch + 1},
		"long after":      {0, 1 << 40},
	} {
		t.Run(name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, dl string) {
				d := migtest.Before(t, dl, revFolderDatetime)
				d.Insert("folder",
					map[string]any{"id": "ok", "user_id": "u1", "name": "F", "created_at": 0, "updated_at": 0},
					map[string]any{"id": "bad", "user_id": "u1", "name": "B", "created_at": epochs[0], "updated_at": epochs[1]})
				schema, rows := d.Snapshot(), d.Dump()
				_, err := d.UpErr()
				if err == nil {
					t.Fatalf("up converted epochs %v", epochs)
				}
				col := "created_at"
				if epochs[0] == 0 {
					col = "updated_at"
				}
				want := `1 value(s) of folder.` + col + ` cannot be converted to timestamptz (rows with id "bad")`
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("up error = %v, want it to contain %q", err, want)
				}
				migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the step", "after its refusal")
				migtest.RequireSameData(t, rows, d.Dump(), "before the step", "after its refusal")
			})
		})
	}
}

// TestUpdateFolderTableDatetimeDownOutOfRangeRefused: an instant written
// after the upgrade outside the range (PostgreSQL holds both ends, SQLite
// holds the text the driver writes, MySQL neither) refuses the down before
// any change, naming the rows, as up would.
func TestUpdateFolderTableDatetimeDownOutOfRangeRefused(t *testing.T) {
	for name, at := range map[string]time.Time{
		"year 0":     time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC),
		"year 10000": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		t.Run(name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, dl string) {
				d := migtest.Before(t, dl, revFolderDatetime)
				d.Up()
				ok := folderAt5Row{ID: "ok", UserID: "u1", Name: "A", CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: time.Unix(0, 0).UTC()}
				bad := folderAt5Row{ID: "bad", UserID: "u1", Name: "B", CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: at}
				if err := d.G.Create(&ok).Error; err != nil {
					t.Fatal(err)
				}
				if err := d.G.Create(&bad).Error; err != nil {
					// The MySQL driver sends years 1 to 9999 only; the
					// server may take others as text.
					text := at.Format("2006-01-02 15:04:05")
					if err := d.G.Exec("INSERT INTO folder (id, user_id, name, created_at, updated_at) VALUES ('bad', 'u1', 'B', ?, ?)", "1970-01-01 00:00:00", text).Error; err != nil {
						t.Skipf("%s cannot hold %v: %v", dl, at, err)
					}
				}
				schema, rows := d.Snapshot(), d.Dump()
				_, err := d.DownErr()
				want := `1 value(s) of folder.updated_at cannot be converted to bigint (rows with id "bad")`
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("down error = %v, want it to contain %q", err, want)
				}
				migtest.RequireSameSchema(t, schema, d.Snapshot(), "before the down", "after its refusal")
				migtest.RequireSameData(t, rows, d.Dump(), "before the down", "after its refusal")
			})
		})
	}
}
