package migrations

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision d31026856c01 (update_folder_table_data) moves chat-to-folder
// membership from folder.items into chat.folder_id and adds the folder
// foreign keys.
//
// Up: a chat listed by several folders of its owner goes to the one updated
// last (ties: the smallest folder id in byte order); listings of chats that
// do not exist, or that belong to another user, are dropped and reported.
// The move is set-based: the chat_ids of every folder are expanded in SQL
// into a staging table, and one copy of chat gives each chat its winner. Chat,
// user and parent IDs match byte for byte on every dialect, as Go compares
// them (MySQL's default collation would take "C1" for "c1"). Such checks
// are joins, not correlated subqueries: MariaDB's subquery cache looks
// outer values up by collation and would answer for "F1" what it found for
// "f1". Down writes {"chat_ids": [...]} back for every folder, IDs in byte
// order, assembled in Go one keyed batch of folders at a time.

var chatAt6 = chatAt2.With(
	dialect.Column{Name: "folder_id", Type: dialect.Key},
	dialect.Index{Name: "idx_chat_folder_id", Columns: []string{"folder_id"}},
	dialect.ForeignKey{Name: "fk_chat_folder_id", Columns: []string{"folder_id"}, RefTable: "folder", RefColumns: []string{"id"}, OnDelete: "SET NULL"},
)

var folderAt6 = folderAt5.Without("items").With(
	dialect.ForeignKey{Name: "fk_folder_parent_id", Columns: []string{"parent_id"}, RefTable: "folder", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
)

// folderDataStaging holds every chat ID up finds in folder.items, with its
// folder and what became of it (the folderData* kinds), so the winners and
// the reports are computed set-based; it exists only during the step.
// chat_id is text: items may list IDs longer than any key.
var folderDataStaging = dialect.Table{
	Name: "_folder_chat_staging",
	Columns: []dialect.Column{
		{Name: "chat_id", Type: dialect.Text, NotNull: true},
		{Name: "folder_id", Type: dialect.Key, NotNull: true},
		{Name: "folder_updated_at", Type: dialect.Timestamptz, NotNull: true},
		{Name: "kind", Type: dialect.SmallInt, NotNull: true},
	},
}

var folderDataStagingIndexed = folderDataStaging.With(
	dialect.Index{Name: "idx_folder_chat_staging_kind", Columns: []string{"kind"}})

// Kinds of listing in folderDataStaging.
const (
	folderDataMovable = 0 // the chat exists and belongs to the folder's user
	folderDataMissing = 1 // no chat has the ID
	folderDataForeign = 2 // the chat belongs to another user
)

// folderDataItemsStaging holds down's rebuilt items, one row per folder,
// written with multi-row inserts and applied with one UPDATE.
var folderDataItemsStaging = dialect.Table{
	Name: "_folder_items_staging",
	Columns: []dialect.Column{
		{Name: "folder_id", Type: dialect.Key, NotNull: true},
		{Name: "items", Type: dialect.JSON},
	},
	PrimaryKey: []string{"folder_id"},
}

const (
	// folderDataRowsPerStatement bounds the rows one insert carries: two
	// placeholders a row stay well under every dialect's limit.
	folderDataRowsPerStatement = 5000
	// folderDataFoldersPerBatch bounds down's batches of folders, whose
	// chat IDs are held in memory together.
	folderDataFoldersPerBatch = 1000
)

// folderDataWinners holds each movable chat's winning folder while chat is
// rebuilt with them.
var folderDataWinners = dialect.Table{
	Name: "_folder_chat_winner",
	Columns: []dialect.Column{
		{Name: "chat_id", Type: dialect.Key},
		{Name: "folder_id", Type: dialect.Key, NotNull: true},
	},
	PrimaryKey: []string{"chat_id"},
}

// folderDataChatRebuild copies chat into its revision-6 shape, each chat
// taking its winning folder (or none). message references chat.
//
// On MySQL a re-run after a crash starts the staging and winner tables
// over from folder.items as it is then (the application, still at
// revision 5, may have moved chats between folders meanwhile), and if an
// interrupted run already swapped chat in, gives every chat its winner
// again in place (Refill): chat.folder_id is proven current, not reused.
func folderDataChatRebuild(m *dialect.Migrator) dialect.Rebuild {
	return dialect.Rebuild{
		From: chatAt2, To: chatAt6, Refill: true,
		Join: fmt.Sprintf("LEFT JOIN %s w ON w.%s = %s.%s",
			m.Q(folderDataWinners.Name), m.Q("chat_id"), m.Q("chat"), m.Q("id")),
		Fills:     []dialect.Fill{{Column: "folder_id", Expr: "w." + m.Q("folder_id")}},
		Referrers: []dialect.Referrer{{Table: messageAt3.Name, Key: messageAt3.ForeignKeys[0]}},
	}
}

func updateFolderTableDataUp(m *dialect.Migrator) error {
	// The move reads folder.items, which the last statement drops: once it
	// is gone (an interrupted run on MySQL got that far), the move is done.
	if m.DB.Migrator().HasColumn(folderAt5.Name, "items") {
		if err := folderDataMoveChats(m); err != nil {
			return fmt.Errorf("move folder.items chat_ids into chat.folder_id: %w", err)
		}
	} else if err := m.DropTable(folderDataStaging.Name); err != nil {
		return err
	}
	if err := folderDataNullDanglingParents(m); err != nil {
		return fmt.Errorf("clear folder.parent_id values naming no folder: %w", err)
	}
	return m.AlterTable(folderAt5, folderAt6)
}

// Down, re-run on MySQL after a crash, starts its staging table over and
// writes every folder's items from chat.folder_id as it is then: nothing of
// the interrupted run is reused.
func updateFolderTableDataDown(m *dialect.Migrator) error {
	if err := m.AlterTable(folderAt6, folderAt5); err != nil {
		return err
	}
	// chat.folder_id is the source and the last statement drops it: once it
	// is gone (an interrupted run on MySQL got that far), items is rebuilt.
	if m.DB.Migrator().HasColumn(chatAt6.Name, "folder_id") {
		if err := folderDataRebuildItems(m); err != nil {
			return fmt.Errorf("rebuild folder.items from chat.folder_id: %w", err)
		}
	} else if err := m.DropTable(folderDataItemsStaging.Name); err != nil {
		return err
	}
	return m.AlterTable(chatAt6, chatAt2)
}

// folderDataMoveChats sets chat.folder_id from folder.items, set-based: it
// expands every folder's chat_ids into the staging table, classified by
// whether the chat exists and whose it is, then gives each movable chat its
// winning folder with one copy of chat and reports the rest. Only the check of
// items that cannot be read walks the folders in Go.
func folderDataMoveChats(m *dialect.Migrator) error {
	unreadable, err := folderDataFindUnreadable(m)
	if err != nil {
		return err
	}
	if unreadable.n > 0 {
		m.Noticef("folder.items: %d folder(s) hold items that cannot be read as {\"chat_ids\": [...]}; what could not be read is dropped with the column (e.g. %s)",
			unreadable.n, strings.Join(unreadable.sample, ", "))
	}
	// A staging table left by an interrupted run holds a partial list.
	if err := m.DropTable(folderDataStaging.Name); err != nil {
		return err
	}
	if err := m.CreateTable(folderDataStaging); err != nil {
		return err
	}
	q, bo := m.Q, m.D.ByteOrder
	staging := q(folderDataStaging.Name)
	id, chatID, folderID, kind := q("id"), q("chat_id"), q("folder_id"), q("kind")
	e := dialect.JSONArrayStrings(m.D, "f."+q("items"), "chat_ids", "e")
	// Chat IDs match byte for byte, as Go compares them: MySQL's collation
	// alone would take "C1" for "c1". The same holds for user IDs.
	if err := m.Exec(fmt.Sprintf(`INSERT INTO %[1]s (%[2]s, %[3]s, %[4]s, %[5]s)
		SELECT x.%[2]s, x.%[3]s, x.%[4]s,
			CASE WHEN c.%[6]s IS NULL THEN %[7]d WHEN c.%[8]s IS NULL OR %[9]s <> %[10]s THEN %[11]d ELSE %[12]d END
		FROM (SELECT %[13]s AS %[2]s, f.%[6]s AS %[3]s, f.%[8]s, f.%[14]s AS %[4]s FROM %[15]s f %[16]s WHERE %[17]s) x
		LEFT JOIN %[18]s c ON c.%[6]s = x.%[2]s AND %[19]s = %[20]s`,
		staging, chatID, folderID, q("folder_updated_at"), kind,
		id, folderDataMissing, q("user_id"), bo("c."+q("user_id")), bo("x."+q("user_id")), folderDataForeign, folderDataMovable,
		e.Value, q("updated_at"), q("folder"), e.From, e.Where,
		q("chat"), bo("c."+id), bo("x."+chatID))); err != nil {
		return err
	}
	// Listings that cannot move are usually few: an index, built once the
	// table is full, finds them without reading all the others.
	if err := m.AlterTable(folderDataStaging, folderDataStagingIndexed); err != nil {
		return err
	}

	// A folder listing the same chat twice stages it twice: DISTINCT.
	listings := func(k int) string {
		return fmt.Sprintf("SELECT DISTINCT %[1]s, %[2]s, f.%[3]s FROM %[4]s s JOIN %[5]s f ON f.%[6]s = s.%[7]s WHERE s.%[8]s = %[9]d ORDER BY %[1]s, %[2]s",
			bo("s."+chatID), bo("s."+folderID), q("user_id"), staging, q("folder"), id, folderID, kind, k)
	}
	missing, err := folderDataCountAndSample(m, func(v []string) string {
		return fmt.Sprintf("%q in folder %q", folderDataAbbreviate(v[0]), v[1])
	}, listings(folderDataMissing))
	if err != nil {
		return err
	}
	if missing.n > 0 {
		m.Noticef("folder.items: %d listed chat ID(s) name no chat and were dropped (e.g. %s)",
			missing.n, strings.Join(missing.sample, ", "))
	}
	foreign, err := folderDataCountAndSample(m, func(v []string) string {
		return fmt.Sprintf("chat %q in folder %q of user %q", v[0], v[1], v[2])
	}, listings(folderDataForeign))
	if err != nil {
		return err
	}
	if foreign.n > 0 {
		m.Noticef("folder.items: %d listing(s) of a chat by a folder of another user were dropped; those chats were not moved there (e.g. %s)",
			foreign.n, strings.Join(foreign.sample, ", "))
	}

	// Each movable chat takes the folder updated last, ties going to the
	// smallest folder id. Movable chat IDs are exact IDs of existing chats,
	// so plain equality finds each its own chat on every dialect.
	winners := fmt.Sprintf(`(SELECT r.%[1]s, r.%[2]s FROM (
			SELECT l.%[1]s, l.%[2]s, ROW_NUMBER() OVER (PARTITION BY l.%[1]s ORDER BY l.%[3]s DESC, %[4]s) AS rn
			FROM %[5]s l WHERE l.%[6]s = %[7]d) r
		WHERE r.rn = 1)`,
		chatID, folderID, q("folder_updated_at"), bo("l."+folderID), staging, kind, folderDataMovable)
	if err := m.DropTable(folderDataWinners.Name); err != nil {
		return err
	}
	if err := m.CreateTable(folderDataWinners); err != nil {
		return err
	}
	if err := m.Exec(fmt.Sprintf("INSERT INTO %s (%s, %s) SELECT %s, %s FROM %s w",
		q(folderDataWinners.Name), chatID, folderID, chatID, folderID, winners)); err != nil {
		return err
	}
	// chat is copied once with its folders rather than updated in place:
	// several times faster for a million chats.
	if err := m.Rebuild(folderDataChatRebuild(m)); err != nil {
		return err
	}
	if err := m.DropTable(folderDataWinners.Name); err != nil {
		return err
	}

	lost, err := folderDataCountAndSample(m, func(v []string) string {
		return fmt.Sprintf("chat %q dropped from folder %q, kept in %q", v[0], v[1], v[2])
	}, fmt.Sprintf("SELECT DISTINCT %[1]s, %[2]s, c.%[3]s FROM %[4]s s JOIN %[5]s c ON c.%[6]s = s.%[7]s WHERE s.%[8]s = %[9]d AND %[10]s <> %[2]s ORDER BY %[1]s, %[2]s",
		bo("s."+chatID), bo("s."+folderID), folderID, staging, q("chat"), id, chatID, kind, folderDataMovable, bo("c."+folderID)))
	if err != nil {
		return err
	}
	if lost.n > 0 {
		m.Noticef("folder.items: %d membership(s) were dropped because a chat was listed by several folders; each such chat now belongs to the folder updated last, ties going to the smallest folder id (e.g. %s)",
			lost.n, strings.Join(lost.sample, ", "))
	}
	return m.DropTable(folderDataStaging.Name)
}

// folderDataFindUnreadable walks the folders in keyed batches and notes
// those whose items cannot be read as {"chat_ids": [...]}, with the reason.
func folderDataFindUnreadable(m *dialect.Migrator) (tally, error) {
	var t tally
	err := m.Batches("folder", "id", 0, func(m *dialect.Migrator, after *string, upTo string) error {
		where, args := m.KeyRange("id", after, upTo)
		rows, err := m.Rows(fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s ORDER BY %s",
			m.Q("id"), m.Q("items"), m.Q("folder"), where, m.Q("id")), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var items sql.NullString
			if err := rows.Scan(&id, &items); err != nil {
				return fmt.Errorf("read folder row: %w", err)
			}
			if problem := folderDataItemsProblem(items); problem != "" {
				t.add(fmt.Sprintf("folder %q (%s)", id, problem))
			}
		}
		return rows.Err()
	})
	return t, err
}

// folderDataNullDanglingParents reports and clears parent_id values that
// name no folder, so the parent foreign key can be added.
func folderDataNullDanglingParents(m *dialect.Migrator) error {
	q, bo := m.Q, m.D.ByteOrder
	folder, id, parent := q("folder"), q("id"), q("parent_id")
	dangling := fmt.Sprintf("%[1]s f LEFT JOIN %[1]s p ON p.%[2]s = f.%[3]s AND %[4]s = %[5]s WHERE f.%[3]s IS NOT NULL AND p.%[2]s IS NULL",
		folder, id, parent, bo("p."+id), bo("f."+parent))
	found, err := folderDataCountAndSample(m, func(v []string) string {
		return fmt.Sprintf("folder %q (parent %q)", v[0], v[1])
	}, fmt.Sprintf("SELECT f.%s, f.%s FROM %s ORDER BY %s", id, parent, dangling, bo("f."+id)))
	if err != nil || found.n == 0 {
		return err
	}
	m.Noticef("folder.parent_id: %d folder(s) named a parent folder that does not exist; their parent_id is now NULL (e.g. %s)",
		found.n, strings.Join(found.sample, ", "))
	// MySQL cannot read the updated table in a subquery, but accepts it
	// wrapped in a derived table, which it materialises first.
	return m.Exec(fmt.Sprintf("UPDATE %[1]s SET %[2]s = NULL WHERE %[3]s IN (SELECT %[3]s FROM (SELECT f.%[3]s FROM %[4]s) x)",
		folder, parent, id, dangling))
}

// folderDataRebuildItems writes {"chat_ids": [...]} into every folder: it
// assembles each batch of folders' items in Go, stages them with multi-row
// inserts and applies them all with one UPDATE.
func folderDataRebuildItems(m *dialect.Migrator) error {
	q := m.Q
	// Possible only where foreign keys were off (SQLite): such a membership
	// has no folder row to be written into.
	orphans, err := folderDataCountAndSample(m, func(v []string) string {
		return fmt.Sprintf("chat %q (folder %q)", v[0], v[1])
	}, fmt.Sprintf("SELECT c.%[2]s, c.%[3]s FROM %[1]s c LEFT JOIN %[4]s f ON f.%[2]s = c.%[3]s WHERE c.%[3]s IS NOT NULL AND f.%[2]s IS NULL ORDER BY %[5]s",
		q("chat"), q("id"), q("folder_id"), q("folder"), m.D.ByteOrder("c."+q("id"))))
	if err != nil {
		return err
	}
	if orphans.n > 0 {
		m.Noticef("chat.folder_id: %d chat(s) name a folder that does not exist; that membership is dropped with the column (e.g. %s)",
			orphans.n, strings.Join(orphans.sample, ", "))
	}
	// A staging table left by an interrupted run holds a partial walk.
	if err := m.DropTable(folderDataItemsStaging.Name); err != nil {
		return err
	}
	if err := m.CreateTable(folderDataItemsStaging); err != nil {
		return err
	}
	var badText tally
	err = m.Batches("folder", "id", folderDataFoldersPerBatch, func(m *dialect.Migrator, after *string, upTo string) error {
		// Every folder of the batch, each starting with no chats.
		where, args := m.KeyRange("id", after, upTo)
		order, err := m.Strings(fmt.Sprintf("SELECT %[1]s FROM %[2]s WHERE %[3]s ORDER BY %[1]s", q("id"), q("folder"), where), args...)
		if err != nil {
			return err
		}
		chats := make(map[string][]string, len(order))
		for _, id := range order {
			chats[id] = []string{}
		}
		// Their chats, found through chat's folder_id index by the same key
		// range (the join gives each its folder's own spelling of the ID).
		cond := "c." + q("folder_id") + " <= ?"
		if after != nil {
			cond = "c." + q("folder_id") + " > ? AND " + cond
		}
		rows, err := m.Rows(fmt.Sprintf("SELECT f.%[1]s, c.%[1]s FROM %[2]s c JOIN %[3]s f ON f.%[1]s = c.%[4]s WHERE %[5]s",
			q("id"), q("chat"), q("folder"), q("folder_id"), cond), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var folderID, chatID string
			if err := rows.Scan(&folderID, &chatID); err != nil {
				return fmt.Errorf("read chat row: %w", err)
			}
			if ids, ok := chats[folderID]; ok {
				chats[folderID] = append(ids, chatID)
				if !utf8.ValidString(chatID) {
					badText.add(fmt.Sprintf("%q", chatID))
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// Nothing else may run on the connection while rows is open.
		rows.Close()
		values := make([][]any, 0, len(order))
		for _, id := range order {
			values = append(values, []any{id, folderDataItemsJSON(chats[id])})
		}
		for chunk := range slices.Chunk(values, folderDataRowsPerStatement) {
			if err := m.InsertRows(folderDataItemsStaging.Name, folderDataItemsStaging.Columns, chunk, dialect.Conflict{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if badText.n > 0 {
		m.Noticef("chat.id: %d chat(s) have an ID that is not valid UTF-8 text; it was written into folder.items byte for byte (e.g. %s)",
			badText.n, strings.Join(badText.sample, ", "))
	}
	if err := m.Exec(dialect.UpdateJoin(m.D, "folder", q(folderDataItemsStaging.Name), "s."+q("folder_id")+" = t."+q("id"),
		[2]string{"items", "s." + q("items")})); err != nil {
		return err
	}
	return m.DropTable(folderDataItemsStaging.Name)
}

// folderDataItemsJSON renders a folder's items, IDs sorted byte by byte
// and written byte for byte (exactJSONString).
func folderDataItemsJSON(ids []string) string {
	slices.Sort(ids)
	b := []byte(`{"chat_ids":[`)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, exactJSONString(id)...)
	}
	return string(append(b, "]}"...))
}

// folderDataItemsProblem says why items cannot be read as {"chat_ids":
// [...]} of strings, or "" if it can. String IDs in an array with other
// elements still move. SQL NULL, JSON null, {} and a null or empty chat_ids
// hold nothing and are no problem.
func folderDataItemsProblem(raw sql.NullString) string {
	if !raw.Valid {
		return ""
	}
	b := bytes.TrimSpace([]byte(raw.String))
	if !json.Valid(b) {
		return "invalid JSON"
	}
	if string(b) == "null" {
		return ""
	}
	var obj map[string]json.RawMessage
	if b[0] != '{' || json.Unmarshal(b, &obj) != nil {
		return "not a JSON object"
	}
	var problems []string
	for k := range obj {
		if k != "chat_ids" {
			problems = append(problems, "keys other than chat_ids")
			break
		}
	}
	if list, ok := obj["chat_ids"]; ok && string(list) != "null" {
		var elems []json.RawMessage
		if list[0] != '[' || json.Unmarshal(list, &elems) != nil {
			problems = append(problems, "chat_ids is not an array")
		} else {
			nonString := 0
			for _, e := range elems {
				if e[0] != '"' {
					nonString++
				}
			}
			if nonString > 0 {
				problems = append(problems, fmt.Sprintf("%d non-string chat_ids element(s)", nonString))
			}
		}
	}
	return strings.Join(problems, "; ")
}

// folderDataAbbreviate shortens an overlong ID for a notice.
func folderDataAbbreviate(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "..."
	}
	return s
}

// folderDataCountAndSample counts a query's rows and formats the first few
// for a notice; rows are streamed, so memory does not grow with the count.
func folderDataCountAndSample(m *dialect.Migrator, format func([]string) string, query string, args ...any) (tally, error) {
	var t tally
	rows, err := m.Rows(query, args...)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return t, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		t.n++
		if len(t.sample) >= dialect.SampleSize {
			continue
		}
		if err := rows.Scan(ptrs...); err != nil {
			return t, err
		}
		v := make([]string, len(vals))
		for i, s := range vals {
			v[i] = s.String
		}
		t.sample = append(t.sample, format(v))
	}
	return t, rows.Err()
}
