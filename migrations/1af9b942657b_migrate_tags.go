package migrations

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision 1af9b942657b (migrate_tags) moves tags out of the chat payload
// into tag and chat_tag.
//
// Up: every string in a payload's "tags" array becomes a chat_tag row under
// its normalised id (normalizeTag); tag.name is the byte-wise smallest
// trimmed spelling of the id over all chats. "pinned" sets chat.pinned
// instead. The strings leave the payload: the key goes, or keeps only the
// other elements in their order; every other member keeps its key and value
// byte for byte. Left untouched and reported: payloads that are not JSON or
// not an object, a "tags" value that is not an array, more than one "tags"
// key, and in an array, non-strings and tags whose id is longer than a key
// (255 characters). Empty tags are dropped and reported.
//
// Ids compare byte for byte on every dialect ("café" and "cafe" are two
// tags): MySQL's tables have a binary collation (internal/dialect). A tag
// whose text is not UTF-8 (bytes, or an escaped unpaired surrogate, which
// would decode to U+FFFD and merge with another) stays in the payload and
// is reported.
//
// Down writes tag names (ordered by tag id, byte order) after the elements
// still in each payload's "tags" array, creating the key, or an object for a
// NULL or null payload; a null "tags" holds nothing and is replaced. It
// refuses, naming the chats, if a tagged chat's payload cannot take them.

var tagAt7 = dialect.Table{
	Name: "tag",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "name", Type: dialect.Text, NotNull: true},
	},
	PrimaryKey: []string{"id"},
}

var chatTagAt7 = dialect.Table{
	Name: "chat_tag",
	Columns: []dialect.Column{
		{Name: "chat_id", Type: dialect.Key},
		{Name: "tag_id", Type: dialect.Key},
	},
	PrimaryKey: []string{"chat_id", "tag_id"},
	Indexes:    []dialect.Index{{Name: "idx_chat_tag_tag_id", Columns: []string{"tag_id"}}},
	ForeignKeys: []dialect.ForeignKey{
		{Name: "fk_chat_tag_chat_id", Columns: []string{"chat_id"}, RefTable: "chat", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
		{Name: "fk_chat_tag_tag_id", Columns: []string{"tag_id"}, RefTable: "tag", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
	},
}

// The chat columns the data moves write.
var (
	tagsChatID      = dialect.Column{Name: "id", Type: dialect.Key}
	tagsChatPayload = []dialect.Column{{Name: "chat", Type: dialect.JSON}}
)

// tagsPayloadStaging holds up's rewritten payloads while the pages run;
// chat is then rebuilt from it once, which is several times faster than
// updating a million payloads in place.
var tagsPayloadStaging = dialect.Table{
	Name: "_tags_payload_staging",
	Columns: []dialect.Column{
		{Name: "id", Type: dialect.Key},
		{Name: "chat", Type: dialect.JSON},
		{Name: "pinned", Type: dialect.Bool, NotNull: true},
	},
	PrimaryKey: []string{"id"},
}

// tagsChatReferrers are the keys referencing chat at this revision, which
// the rebuild of chat drops and adds back. chat_tag's is declared too: the
// first run adds it with the rebuild, and a re-run after a crash (MySQL)
// may find it already there.
var tagsChatReferrers = []dialect.Referrer{
	{Table: messageAt3.Name, Key: messageAt3.ForeignKeys[0]},
	{Table: chatTagAt7.Name, Key: chatTagAt7.ForeignKeys[0]},
}

func migrateTagsUp(m *dialect.Migrator) error {
	// On MySQL a run interrupted before chat was swapped in left tag,
	// chat_tag and the staging table, derived from payloads the
	// application may have changed since (the step is not recorded, so it
	// kept running at the previous revision: tags removed, chats deleted):
	// they are started over. Once chat is swapped in, its payloads no
	// longer hold the tags moved and tag and chat_tag are their only copy:
	// they are kept and finished (the rebuild gives links of chats deleted
	// meanwhile what the key's ON DELETE CASCADE does), and tags the
	// application wrote into payloads since the swap are moved in place.
	swapped, err := m.Rebuilt("chat")
	if err != nil {
		return err
	}
	loading := dialect.BulkLoadShape(m.D, chatTagAt7)
	if !swapped {
		// Leftovers of a version that kept no journal may be past the
		// swap: those links are kept, and the walk adds to them.
		startOver := !m.LeftoversPredateJournal()
		if err := migrateTagsWalk(m, loading, startOver); err != nil {
			return err
		}
	}
	if err := m.Rebuild(dialect.Rebuild{
		From: chatAt6, To: chatAt6, Referrers: tagsChatReferrers,
		Join: tagsSQL(m, "LEFT JOIN {"+tagsPayloadStaging.Name+"} s ON s.{id} = {chat}.{id}"),
		Fills: []dialect.Fill{
			{Column: "chat", Expr: tagsSQL(m, "COALESCE(s.{chat}, {chat}.{chat})")},
			// The pinned tag pins; its absence leaves the column as it was.
			{Column: "pinned", Expr: tagsSQL(m, "CASE WHEN s.{pinned} THEN true ELSE {chat}.{pinned} END")},
		},
	}); err != nil {
		return fmt.Errorf("write the payloads without their tags: %w", err)
	}
	if err := m.DropTable(tagsPayloadStaging.Name); err != nil {
		return err
	}
	if swapped {
		var r tagsUpReports
		withPayload := tagsChatSet{table: "chat", column: "id", filter: m.Q("chat") + " IS NOT NULL"}
		prepare := func(page []tagsChatRow) tagsMove { return planTagsMove(page, &r) }
		if err := tagsChatPagesPrepared(m, withPayload, prepare, writeTagsMoveInPlace); err != nil {
			return fmt.Errorf("move tags written into chat payloads since chat was rewritten: %w", err)
		}
		r.notify(m)
	}
	return m.AlterTable(loading, chatTagAt7)
}

// migrateTagsWalk fills tag, chat_tag (in its loading shape) and the
// staging table from the chat payloads; with startOver, tag and chat_tag
// are emptied first. The staging table always starts empty.
func migrateTagsWalk(m *dialect.Migrator, loading dialect.Table, startOver bool) error {
	drop := []string{tagsPayloadStaging.Name}
	if startOver {
		drop = append(drop, chatTagAt7.Name, tagAt7.Name)
	}
	for _, t := range drop {
		if err := m.DropTable(t); err != nil {
			return err
		}
	}
	if err := m.CreateTable(tagAt7); err != nil {
		return err
	}
	// chat_tag is filled first and completed after (its plain index, on
	// PostgreSQL and MySQL its foreign keys, on PostgreSQL its primary key):
	// much faster than row by row. A chat's links are distinct (extractTags
	// merges equal ids) and each chat is in one page.
	if err := m.CreateTable(loading); err != nil {
		return err
	}
	if err := m.CreateTable(tagsPayloadStaging); err != nil {
		return err
	}
	// Every payload is read (NULL has nothing to move): JSON that does not
	// parse is reported too. Each page commits its tags, links and staged
	// payloads together; inserting them again is harmless.
	var r tagsUpReports
	withPayload := tagsChatSet{table: "chat", column: "id", filter: m.Q("chat") + " IS NOT NULL"}
	prepare := func(page []tagsChatRow) tagsMove { return planTagsMove(page, &r) }
	if err := tagsChatPagesPrepared(m, withPayload, prepare, writeTagsMove); err != nil {
		return fmt.Errorf("move tags from chat payloads into tag and chat_tag: %w", err)
	}
	r.notify(m)
	return nil
}

// tagsMove is one page's rows to write: tags, links and staged payloads
// with their pinned flags.
type tagsMove struct{ tags, links, staged [][]any }

// planTagsMove extracts one page's tags (pure Go: it runs beside the
// database's work), noting what it leaves alone in r.
func planTagsMove(page []tagsChatRow, r *tagsUpReports) tagsMove {
	names := map[string]string{} // tag id -> smallest spelling in the page
	var mv tagsMove
	for _, c := range page {
		x := extractTags(c.payload, r)
		if x.problem != nil {
			x.problem.add(c.id)
			continue
		}
		if x.nonString {
			r.nonString.add(c.id)
		}
		if x.tooLong {
			r.tooLong.add(c.id)
		}
		if x.empty {
			r.empty.add(c.id)
		}
		if x.badText {
			r.badText.add(c.id)
		}
		for _, t := range x.tags {
			if old, ok := names[t.id]; !ok || t.name < old {
				names[t.id] = t.name
			}
			mv.links = append(mv.links, []any{c.id, t.id})
		}
		// The pinned tag is one of the strings removed, so a pinned chat's
		// payload always changes.
		if x.payload != nil {
			mv.staged = append(mv.staged, []any{c.id, string(x.payload), x.pinned})
		}
	}
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	// Sorted, so the statements do not depend on map order.
	slices.Sort(ids)
	mv.tags = make([][]any, len(ids))
	for i, id := range ids {
		mv.tags[i] = []any{id, names[id]}
	}
	return mv
}

// writeTagsMove writes one page's tags and links and stages its payloads.
func writeTagsMove(m *dialect.Migrator, _ []tagsChatRow, mv tagsMove) error {
	if err := writeTagsLinks(m, mv); err != nil {
		return err
	}
	return tagsInChunks(mv.staged, 3, func(rows [][]any) error {
		return m.InsertRows(tagsPayloadStaging.Name, tagsPayloadStaging.Columns, rows, dialect.Conflict{})
	})
}

// writeTagsLinks writes one page's tags and links.
func writeTagsLinks(m *dialect.Migrator, mv tagsMove) error {
	// KeepMin makes tag.name the smallest spelling across pages too.
	if err := tagsInChunks(mv.tags, 2, func(rows [][]any) error {
		return m.InsertRows(tagAt7.Name, tagAt7.Columns, rows, dialect.Conflict{Keys: []string{"id"}, KeepMin: "name"})
	}); err != nil {
		return err
	}
	return tagsInChunks(mv.links, 2, func(rows [][]any) error {
		return m.InsertRows(chatTagAt7.Name, chatTagAt7.Columns, rows,
			dialect.BulkLoadConflict(m.D, dialect.Conflict{Keys: chatTagAt7.PrimaryKey}))
	})
}

// writeTagsMoveInPlace writes one page's tags and links and its payloads
// straight into chat (the page commits together): for the few chats whose
// payload got tags after chat was rewritten (MySQL, an interrupted run).
func writeTagsMoveInPlace(m *dialect.Migrator, _ []tagsChatRow, mv tagsMove) error {
	if err := writeTagsLinks(m, mv); err != nil {
		return err
	}
	payloads := make([][]any, len(mv.staged))
	var pinned []any
	for i, s := range mv.staged {
		payloads[i] = s[:2]
		if s[2] == true {
			pinned = append(pinned, s[0])
		}
	}
	if err := tagsInChunks(payloads, 2, func(rows [][]any) error {
		return m.UpdateFromValues("chat", tagsChatID, tagsChatPayload, rows)
	}); err != nil {
		return err
	}
	if len(pinned) == 0 {
		return nil
	}
	// At most a page of IDs (tagsPageRows).
	return m.Exec(tagsSQL(m, "UPDATE {chat} SET {pinned} = true WHERE {id} IN ?"), pinned)
}

func migrateTagsDown(m *dialect.Migrator) error {
	// On MySQL a re-run after a crash works from chat_tag as it is then:
	// each page wrote its names back and deleted its links in one commit,
	// so what is left is what the application (still at revision 7) left
	// to do, tags it added or removed meanwhile included. It may find
	// chat_tag already dropped: then every name is back in its payload.
	if m.DB.Migrator().HasTable(chatTagAt7.Name) {
		if err := restoreTags(m); err != nil {
			return err
		}
	}
	if err := m.DropTable(chatTagAt7.Name); err != nil {
		return err
	}
	return m.DropTable(tagAt7.Name)
}

// restoreTags writes every chat's tag names back into its payload. Each page
// deletes the chat_tag rows it wrote back in the same commit, so on MySQL a
// re-run never appends a name twice.
func restoreTags(m *dialect.Migrator) error {
	tagged := tagsChatSet{table: "chat_tag", column: "chat_id"}
	var refused, badText tagsChatReport
	var reason string
	err := tagsChatPages(m, tagged, func(m *dialect.Migrator, page []tagsChatRow) error {
		first, last := page[0].id, page[len(page)-1].id
		names, err := pageTagNames(m, first, last)
		if err != nil {
			return err
		}
		var payloads [][]any
		for _, c := range page {
			tags := names[c.id]
			if len(tags) == 0 {
				return fmt.Errorf("chat %q has chat_tag rows whose chat_id does not match it exactly; fix the chat_tag rows and run the downgrade again", c.id)
			}
			slices.SortFunc(tags, func(a, b tagsPayloadTag) int { return strings.Compare(a.id, b.id) })
			list := make([]string, len(tags))
			bad := false
			for i, t := range tags {
				list[i] = t.name
				bad = bad || !utf8.ValidString(t.name)
			}
			if bad {
				badText.add(c.id)
			}
			p, err := appendTagNames(c.payload, c.valid, list)
			if err != nil {
				if refused.n == 0 {
					reason = fmt.Sprintf("chat %q: %v", c.id, err)
				}
				refused.add(c.id)
				continue
			}
			payloads = append(payloads, []any{c.id, string(p)})
		}
		if refused.n > 0 {
			return nil // keep reading to name every such chat, but write nothing more
		}
		if err := tagsInChunks(payloads, 2, func(rows [][]any) error {
			return m.UpdateFromValues("chat", tagsChatID, tagsChatPayload, rows)
		}); err != nil {
			return err
		}
		return m.Exec(tagsSQL(m, "DELETE FROM {chat_tag} WHERE {chat_id} >= ? AND {chat_id} <= ?"), first, last)
	})
	if err != nil {
		return fmt.Errorf("write tag names back into chat payloads: %w", err)
	}
	if refused.n == 0 {
		badText.notice(m, "have tag names that are not valid UTF-8 text; they were written back into the payload byte for byte")
	}
	if refused.n > 0 {
		return fmt.Errorf(`%d chat(s) have tags but a payload that cannot take them back (it must be NULL or a JSON object whose "tags" is absent, null or an array), e.g. chat IDs %s (%s); fix those payloads or delete their chat_tag rows, then run the downgrade again`,
			refused.n, dialect.Sample(refused.sample), reason)
	}
	return nil
}

// migrateTagsCheckDown is restoreTags's refusal alone, for a rollback to
// find it before it changes anything: every chat with tags must have a
// payload that can take their names back. Whether one can depends on the
// payload's shape alone, so the names are not read.
func migrateTagsCheckDown(m *dialect.Migrator) error {
	if !m.DB.Migrator().HasTable(chatTagAt7.Name) {
		return nil
	}
	var refused tagsChatReport
	var reason string
	tagged := tagsChatSet{table: "chat_tag", column: "chat_id"}
	err := tagsChatPages(m, tagged, func(_ *dialect.Migrator, page []tagsChatRow) error {
		for _, c := range page {
			if _, err := appendTagNames(c.payload, c.valid, []string{"tag"}); err != nil {
				if refused.n == 0 {
					reason = fmt.Sprintf("chat %q: %v", c.id, err)
				}
				refused.add(c.id)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check that chat payloads can take their tags back: %w", err)
	}
	if refused.n > 0 {
		return fmt.Errorf(`%d chat(s) have tags but a payload that cannot take them back (it must be NULL or a JSON object whose "tags" is absent, null or an array), e.g. chat IDs %s (%s); fix those payloads or delete their chat_tag rows, then run the downgrade again`,
			refused.n, dialect.Sample(refused.sample), reason)
	}
	return nil
}

// pageTagNames reads the tags of the chats with first <= id <= last.
func pageTagNames(m *dialect.Migrator, first, last string) (map[string][]tagsPayloadTag, error) {
	rows, err := m.Rows(tagsSQL(m, `SELECT ct.{chat_id}, t.{id}, t.{name} FROM {chat_tag} ct JOIN {tag} t ON t.{id} = ct.{tag_id}
		WHERE ct.{chat_id} >= ? AND ct.{chat_id} <= ?`), first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]tagsPayloadTag{}
	for rows.Next() {
		var chat string
		var t tagsPayloadTag
		if err := rows.Scan(&chat, &t.id, &t.name); err != nil {
			return nil, fmt.Errorf("read chat_tag rows: %w", err)
		}
		out[chat] = append(out[chat], t)
	}
	return out, rows.Err()
}
