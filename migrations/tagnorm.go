package migrations

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Helpers shared by migrate_tags (step 7) and update_tags (step 8).

// maxTagIDLength is the longest id tag.id (varchar(255), counted in
// characters on PostgreSQL and MySQL) holds. Longer tags stay in the payload
// on every dialect, so the result does not depend on the database.
const maxTagIDLength = 255

// normalizeTag returns the id a tag spelling is stored under and the
// spelling trimmed; ok is false when nothing is left after trimming. It works
// in Go because SQL's lower() is ASCII-only on SQLite: the same spelling must
// give the same id on every dialect.
func normalizeTag(s string) (id, trimmed string, ok bool) {
	trimmed = strings.TrimFunc(s, unicode.IsSpace)
	if trimmed == "" {
		return "", "", false
	}
	if id, ok := normalizeASCIITag(trimmed); ok {
		return id, trimmed, true
	}
	var b strings.Builder
	b.Grow(len(trimmed))
	space := false
	for _, r := range strings.ToLower(trimmed) {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte('_')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String(), trimmed, true
}

// normalizeASCIITag is normalizeTag's common case without allocating
// twice: ok is false when s holds anything but ASCII letters, digits,
// punctuation and single spaces.
func normalizeASCIITag(s string) (string, bool) {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && s[i+1] != ' ': // s is trimmed: a space is never last
			c = '_'
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c <= ' ' || c >= 0x7f:
			return "", false
		}
		b[i] = c
	}
	return string(b), true
}

// pinnedTag is the tag that was never a tag: it marks a pinned chat.
const pinnedTag = "pinned"

// tagsObjectMember is one member of a JSON object as written: the key's raw text
// (with its quotes and escapes), the decoded key, and the value's raw text.
type tagsObjectMember struct {
	rawKey []byte
	key    string
	value  json.RawMessage
}

var (
	errTagsNotJSON   = errors.New("not valid JSON")
	errTagsNotObject = errors.New("not a JSON object")
)

// tagsParseObject splits a JSON object into its members, keeping each key
// and value byte for byte and the members in their order. Decoding into a
// map instead would reorder keys and turn large integers into floats. The
// values alias b.
func tagsParseObject(b []byte) ([]tagsObjectMember, error) {
	if !json.Valid(b) {
		return nil, errTagsNotJSON
	}
	i := tagsSkipSpace(b, 0)
	if b[i] != '{' {
		return nil, errTagsNotObject
	}
	// b is valid JSON, so a structural scan is enough from here on.
	out := make([]tagsObjectMember, 0, 8)
	for i = tagsSkipSpace(b, i+1); b[i] != '}'; i = tagsSkipSpace(b, i) {
		if b[i] == ',' {
			i = tagsSkipSpace(b, i+1)
		}
		end := tagsSkipValue(b, i)
		rawKey := b[i:end]
		i = tagsSkipSpace(b, tagsSkipSpace(b, end)+1) // past the colon
		vend := tagsSkipValue(b, i)
		out = append(out, tagsObjectMember{rawKey: rawKey, key: tagsString(rawKey), value: b[i:vend]})
		i = vend
	}
	return out, nil
}

// tagsSplitArray returns the elements of a JSON array value, or ok false if
// v is not an array. v must come from valid JSON.
func tagsSplitArray(v []byte) (elems []json.RawMessage, ok bool) {
	i := tagsSkipSpace(v, 0)
	if i == len(v) || v[i] != '[' {
		return nil, false
	}
	for i = tagsSkipSpace(v, i+1); v[i] != ']'; i = tagsSkipSpace(v, i) {
		if v[i] == ',' {
			i = tagsSkipSpace(v, i+1)
		}
		end := tagsSkipValue(v, i)
		elems = append(elems, v[i:end])
		i = end
	}
	return elems, true
}

func tagsSkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// tagsSkipValue returns the end of the valid JSON value starting at b[i].
func tagsSkipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for i++; b[i] != '"'; i++ {
			if b[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = tagsSkipValue(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	default: // number, true, false, null
		for ; i < len(b); i++ {
			switch b[i] {
			case ' ', '\t', '\r', '\n', ',', ']', '}':
				return i
			}
		}
		return i
	}
}

// tagsString decodes a valid JSON string literal.
func tagsString(raw []byte) string {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // cannot fail on valid JSON
	return s
}

// tagsWriteObject is the inverse of tagsParseObject (without the spacing between
// members, which carries nothing).
func tagsWriteObject(members []tagsObjectMember) []byte {
	n := 2
	for _, m := range members {
		n += len(m.rawKey) + len(m.value) + 2
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, m.rawKey...)
		out = append(out, ':')
		out = append(out, m.value...)
	}
	return append(out, '}')
}

// tagsWriteArray joins raw JSON values into an array.
func tagsWriteArray(elems []json.RawMessage) json.RawMessage {
	out := []byte{'['}
	for i, e := range elems {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	return append(out, ']')
}

// tagsKeyIndex finds the "tags" member; more than one is ambiguous (only
// SQLite and MariaDB keep duplicate keys) and is reported by the caller.
func tagsKeyIndex(members []tagsObjectMember) (index int, count int) {
	index = -1
	for i, m := range members {
		if m.key == "tags" {
			index = i
			count++
		}
	}
	return index, count
}

// tagsIsNull reports whether a raw JSON value is the literal null.
func tagsIsNull(v []byte) bool { return string(bytes.TrimSpace(v)) == "null" }

// tagsPayloadTag is one tag taken out of a payload.
type tagsPayloadTag struct{ id, name string }

// tagExtract is what migrate_tags does with one chat payload.
type tagExtract struct {
	payload []byte           // the rewritten payload; nil when it stays as it is
	tags    []tagsPayloadTag // distinct by id, in first-seen order
	pinned  bool             // the payload carried the pinned tag
	problem *tagsChatReport  // set when the payload is left untouched as a whole
	// Elements left in, or dropped from, an array that was otherwise moved.
	nonString, tooLong, empty, badText bool
}

// tagsUpReports are the kinds of data migrate_tags leaves behind or drops.
type tagsUpReports struct {
	invalid, notObject, duplicateKey, notArray, nonString, tooLong, empty, badText tagsChatReport
}

func (r *tagsUpReports) notify(m *dialect.Migrator) {
	r.invalid.notice(m, "have a chat payload that is not valid JSON; it was left untouched and any tags in it were not moved")
	r.notObject.notice(m, "have a chat payload that is not a JSON object; it was left untouched")
	r.duplicateKey.notice(m, `have more than one "tags" key in their payload; it was left untouched and their tags were not moved`)
	r.notArray.notice(m, `have a "tags" value that is not an array; it was left untouched`)
	r.nonString.notice(m, `have tags that are not strings; they were left in the payload's "tags" array`)
	r.tooLong.notice(m, fmt.Sprintf(`have tags longer than %d characters, which cannot be a tag id; they were left in the payload's "tags" array`, maxTagIDLength))
	r.empty.notice(m, "had empty or white-space-only tags, which were dropped")
	r.badText.notice(m, `have tags that are not valid UTF-8 text (bytes that are not UTF-8, or escapes of unpaired surrogates); they were left in the payload's "tags" array byte for byte`)
}

// extractTags takes the string tags out of a chat payload. Every member but
// "tags" keeps its key and value byte for byte.
func extractTags(payload []byte, r *tagsUpReports) tagExtract {
	members, err := tagsParseObject(payload)
	switch {
	case errors.Is(err, errTagsNotJSON):
		return tagExtract{problem: &r.invalid}
	case err != nil:
		return tagExtract{problem: &r.notObject}
	}
	i, n := tagsKeyIndex(members)
	switch {
	case n == 0:
		return tagExtract{}
	case n > 1:
		return tagExtract{problem: &r.duplicateKey}
	}
	elems, ok := tagsSplitArray(members[i].value)
	if !ok {
		return tagExtract{problem: &r.notArray}
	}
	x := tagExtract{tags: make([]tagsPayloadTag, 0, len(elems))}
	var kept []json.RawMessage
	for _, e := range elems {
		if e[0] != '"' {
			x.nonString = true
			kept = append(kept, e)
			continue
		}
		text, exact := exactJSONText(e)
		if !exact {
			// Decoded, it would become other text, and could merge with
			// another tag: bad data, left as it is.
			x.badText = true
			kept = append(kept, e)
			continue
		}
		id, name, ok := normalizeTag(text)
		switch {
		case !ok:
			x.empty = true
		case id == pinnedTag:
			x.pinned = true
		case utf8.RuneCountInString(id) > maxTagIDLength:
			x.tooLong = true
			kept = append(kept, e)
		default:
			// A payload holds a few tags: a linear search beats a map.
			if j := slices.IndexFunc(x.tags, func(t tagsPayloadTag) bool { return t.id == id }); j >= 0 {
				x.tags[j].name = min(x.tags[j].name, name)
				continue
			}
			x.tags = append(x.tags, tagsPayloadTag{id: id, name: name})
		}
	}
	if len(kept) == len(elems) && len(elems) > 0 {
		return x // no string tag moved: the payload stays as it is
	}
	if len(kept) == 0 {
		members = slices.Delete(members, i, i+1)
	} else {
		members[i].value = tagsWriteArray(kept)
	}
	x.payload = tagsWriteObject(members)
	return x
}

// appendTagNames writes names after the elements of a payload's "tags"
// array, creating the key (and, for a NULL or null payload, the object)
// when absent. A JSON null "tags" value holds nothing and is replaced.
func appendTagNames(payload []byte, valid bool, names []string) ([]byte, error) {
	quoted := make([]json.RawMessage, len(names))
	for i, n := range names {
		quoted[i] = exactJSONString(n) // as typed: no \u003c for <, no U+FFFD for bytes that are not UTF-8
	}
	if !valid || tagsIsNull(payload) {
		return tagsWriteObject([]tagsObjectMember{{rawKey: []byte(`"tags"`), key: "tags", value: tagsWriteArray(quoted)}}), nil
	}
	members, err := tagsParseObject(payload)
	if err != nil {
		return nil, err
	}
	i, n := tagsKeyIndex(members)
	switch {
	case n > 1:
		return nil, errors.New(`more than one "tags" key`)
	case n == 0:
		members = append(members, tagsObjectMember{rawKey: []byte(`"tags"`), key: "tags", value: tagsWriteArray(quoted)})
	case tagsIsNull(members[i].value):
		members[i].value = tagsWriteArray(quoted)
	default:
		elems, ok := tagsSplitArray(members[i].value)
		if !ok {
			return nil, errors.New(`"tags" is not an array`)
		}
		members[i].value = tagsWriteArray(append(elems, quoted...))
	}
	return tagsWriteObject(members), nil
}

// tagsChatReport counts chats for a notice and keeps a sample of their IDs.
type tagsChatReport struct{ tally }

func (r *tagsChatReport) notice(m *dialect.Migrator, what string) {
	if r.n > 0 {
		m.Noticef("%d chat(s) %s (e.g. chat IDs %s)", r.n, what, dialect.Sample(r.sample))
	}
}

// tagsChatRow is a chat's id and payload (valid is false for NULL).
type tagsChatRow struct {
	id      string
	payload []byte
	valid   bool
}

const (
	// tagsPageRows and tagsPageBytes bound one page of chats: rows read, payload
	// bytes held and written in one statement (MySQL's max_allowed_packet
	// is 16 MB by default).
	tagsPageRows  = dialect.BatchSize
	tagsPageBytes = 4 << 20
	// tagsMaxParams keeps every statement well under SQLite's 32766 parameters.
	tagsMaxParams = 20000
)

// tagsChatSet names the chats a walk visits: the values of column in
// table where filter holds (empty for all). A chat may be named by several
// rows: a page then lists fewer chats.
type tagsChatSet struct{ table, column, filter string }

// tagsChatPages walks the chats of set in id order, a page at a time, and
// calls fn with each page; each call commits together (m.Atomic), so on
// MySQL an interrupted walk can be run again.
func tagsChatPages(m *dialect.Migrator, set tagsChatSet, fn func(m *dialect.Migrator, page []tagsChatRow) error) error {
	return tagsChatPagesPrepared(m, set,
		func([]tagsChatRow) struct{} { return struct{}{} },
		func(m *dialect.Migrator, page []tagsChatRow, _ struct{}) error { return fn(m, page) })
}

// tagsChatPagesPrepared is tagsChatPages with a stage of pure Go work:
// prepare (which must not touch the database) turns a page into what
// write stores, and runs on its own goroutine while the database reads the
// next page and writes the previous one, so the step uses both the
// database's CPU and its own. Pages are prepared one at a time, in order.
//
// A page ends at tagsPageRows rows or once it holds tagsPageBytes of
// payload, so memory stays flat however large the payloads are (two pages
// are held at a time). A set that is chat itself is read by key range;
// otherwise each page first lists its chat ids with an index range scan
// and then reads just those chats: a single query joining the set to chat
// lets PostgreSQL merge from the start of both tables on every page.
func tagsChatPagesPrepared[T any](m *dialect.Migrator, set tagsChatSet, prepare func(page []tagsChatRow) T,
	write func(m *dialect.Migrator, page []tagsChatRow, prepared T) error) error {
	col, from := m.Q(set.column), m.Q(set.table)
	where := ""
	if set.filter != "" {
		where = " WHERE " + set.filter
	}
	var total int64
	if err := m.Scan("SELECT count(DISTINCT "+col+") FROM "+from+where, nil, &total); err != nil {
		return err
	}
	limit := tagsPageRows
	// next reads the page after the chat id after (nil: the first page);
	// an empty page ends the walk.
	next := func(after *string) ([]tagsChatRow, error) {
		for {
			cond, args := where, []any(nil)
			if after != nil {
				cond, args = " WHERE "+col+" > ?", []any{*after}
				if set.filter != "" {
					cond = " WHERE (" + set.filter + ") AND " + col + " > ?"
				}
			}
			if set.table == "chat" && set.column == "id" {
				// The set is chat itself: one index range scan reads it.
				page, size, err := tagsReadRows(m, fmt.Sprintf("SELECT %s, %s FROM %s%s ORDER BY %s LIMIT %d",
					col, m.Q("chat"), from, cond, col, limit), args...)
				if err != nil || len(page) == 0 {
					return nil, err
				}
				limit = tagsNextLimit(limit, len(page), size)
				return page, nil
			}
			// No DISTINCT: PostgreSQL, without statistics on a table filled
			// in this transaction, would sort the whole table for it.
			ids, err := m.Strings(fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT %d", col, from, cond, col, limit), args...)
			if err != nil || len(ids) == 0 {
				return nil, err
			}
			ids = slices.Compact(ids)
			page, size, err := tagsReadPage(m, ids)
			if err != nil {
				return nil, err
			}
			if len(page) == 0 { // the listed chats are gone
				after = &ids[len(ids)-1]
				continue
			}
			limit = tagsNextLimit(limit, len(page), size)
			return page, nil
		}
	}
	start := func(page []tagsChatRow) <-chan T {
		ch := make(chan T, 1) // buffered: an abandoned result never blocks
		go func() { ch <- prepare(page) }()
		return ch
	}
	page, err := next(nil)
	if err != nil || len(page) == 0 {
		return err
	}
	prepared := start(page)
	var done int64
	for len(page) > 0 {
		following, err := next(&page[len(page)-1].id)
		if err != nil {
			return err
		}
		result := <-prepared
		if len(following) > 0 {
			prepared = start(following)
		}
		if err := m.Atomic(func(m *dialect.Migrator) error { return write(m, page, result) }); err != nil {
			return err
		}
		done += int64(len(page))
		m.Progress(done, total)
		page = following
	}
	return nil
}

// tagsNextLimit is the next page's row limit: fewer rows when a page
// filled up on bytes, so that chats listed and not read stay few; back up
// when pages are small.
func tagsNextLimit(limit, rows, size int) int {
	if size >= tagsPageBytes {
		return max(2*rows, 16)
	}
	return min(2*limit, tagsPageRows)
}

// tagsReadPage reads the chats of ids in id order until the payloads read
// reach tagsPageBytes.
func tagsReadPage(m *dialect.Migrator, ids []string) ([]tagsChatRow, int, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	chat, id := m.Q("chat"), m.Q("id")
	return tagsReadRows(m, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s IN (%s) ORDER BY %s",
		id, chat, chat, id, strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), id), args...)
}

// tagsReadRows reads (id, payload) rows of query until the payloads read
// reach tagsPageBytes.
func tagsReadRows(m *dialect.Migrator, query string, args ...any) ([]tagsChatRow, int, error) {
	rows, err := m.Rows(query, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var page []tagsChatRow
	size := 0
	for size < tagsPageBytes && rows.Next() {
		var id string
		var payload sql.NullString
		if err := rows.Scan(&id, &payload); err != nil {
			return nil, 0, fmt.Errorf("read chat rows: %w", err)
		}
		page = append(page, tagsChatRow{id: id, payload: []byte(payload.String), valid: payload.Valid})
		size += len(payload.String)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read chat rows: %w", err)
	}
	return page, size, rows.Close()
}

// tagsInChunks calls fn with consecutive slices of rows, each small enough that
// a statement with cols values per row stays under tagsMaxParams.
func tagsInChunks(rows [][]any, cols int, fn func([][]any) error) error {
	per := max(tagsMaxParams/cols, 1)
	for len(rows) > 0 {
		n := min(per, len(rows))
		if err := fn(rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// tagsSQL quotes the {identifiers} of a statement for the dialect.
func tagsSQL(m *dialect.Migrator, query string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(query, '{')
		j := strings.IndexByte(query, '}')
		if i < 0 || j < i {
			b.WriteString(query)
			return b.String()
		}
		b.WriteString(query[:i])
		b.WriteString(m.Q(query[i+1 : j]))
		query = query[j+1:]
	}
}
