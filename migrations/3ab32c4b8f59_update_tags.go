package migrations

import (
	"fmt"

	"github.com/openwebui-go/schema/internal/dialect"
)

// Revision 3ab32c4b8f59 (update_tags) makes tags per user.
//
// Up: each owner of a chat using a tag gets their own row of it, with the
// shared row's name; chats without an owner (NULL user_id) count as owner
// ''. A shared row (user_id '') stays only for tags no chat uses or an
// ownerless chat uses. chat_tag.user_id is the chat's owner ('' for none).
// User IDs compare byte for byte on every dialect (MySQL's tables have a
// binary collation), so "u" and "U" each get their own rows.
//
// Down keeps, of each tag id, the row with the byte-wise smallest user_id
// (its name and nothing else: color and icon go with the columns).

var tagAt8 = tagAt7.With(
	dialect.Column{Name: "user_id", Type: dialect.Key, NotNull: true},
	dialect.Column{Name: "color", Type: dialect.Key},
	dialect.Column{Name: "icon", Type: dialect.Text},
	dialect.PrimaryKey{"id", "user_id"},
)

var chatTagAt8 = chatTagAt7.Without("fk_chat_tag_tag_id").With(
	dialect.Column{Name: "user_id", Type: dialect.Key, NotNull: true},
	dialect.Index{Name: "idx_chat_tag_user_id_tag_id", Columns: []string{"user_id", "tag_id"}},
	dialect.ForeignKey{Name: "fk_chat_tag_tag_id_user_id", Columns: []string{"tag_id", "user_id"}, RefTable: "tag", RefColumns: []string{"id", "user_id"}, OnDelete: "CASCADE"},
)

// chat_tag is rebuilt rather than altered in both directions: every row
// gains or loses user_id, and writing each row once into a fresh table,
// then building its indexes and keys over all rows, is several times
// faster than updating millions of rows in place. No table references
// chat_tag, so it can be swapped.

// On MySQL a re-run after a crash proves its work current rather than
// reusing it: the split is computed again from chat and chat_tag as they
// are (each statement skips what exists), and the rebuild of chat_tag,
// unless already swapped in, copies the rows as they are.
func updateTagsUp(m *dialect.Migrator) error {
	// chat_tag's key to tag(id) goes first: tag's primary key changes
	// under it (on SQLite the rebuild below drops it).
	if err := m.DropForeignKey(chatTagAt7.Name, "fk_chat_tag_tag_id"); err != nil {
		return err
	}
	if err := m.AlterTable(tagAt7, tagAt8, dialect.Fill{Column: "user_id", Expr: "''"}); err != nil {
		return err
	}
	// The split joins every chat to its links: with guessed sizes
	// (chat_tag may have just been filled by the step before)
	// PostgreSQL can pick a nested loop over millions of rows.
	if err := m.Analyze(chatAt6.Name, chatTagAt7.Name); err != nil {
		return err
	}
	if err := splitTagsPerUser(m); err != nil {
		return err
	}
	return m.Rebuild(dialect.Rebuild{
		From: chatTagAt7, To: chatTagAt8,
		Join:  tagsSQL(m, "LEFT JOIN {chat} c ON c.{id} = {chat_tag}.{chat_id}"),
		Fills: []dialect.Fill{{Column: "user_id", Expr: tagsSQL(m, "COALESCE(c.{user_id}, '')")}},
	})
}

// splitTagsPerUser gives every owner of a chat using a tag their own row of
// it, with the shared row's name, then deletes the shared rows only owners
// use. A tag no chat uses, or one an ownerless chat uses, keeps its shared
// row (empty user_id). Both statements are guarded by what already exists,
// so on MySQL a re-run after a crash does nothing twice.
func splitTagsPerUser(m *dialect.Migrator) error {
	// The distinct (owner, tag) pairs are found once; only then is each
	// checked against the rows already there. Owner first: SQLite then
	// walks chat_tag in key order instead of by tag, which visits the chats
	// in order rather than at random (six times faster at a million chats).
	insert := tagsSQL(m, `INSERT INTO {tag} ({id}, {user_id}, {name})
		SELECT t.{id}, p.{owner}, t.{name}
		FROM (SELECT DISTINCT COALESCE(c.{user_id}, '') AS {owner}, ct.{tag_id}
			FROM {chat} c JOIN {chat_tag} ct ON ct.{chat_id} = c.{id}) p
		JOIN {tag} t ON t.{id} = p.{tag_id} AND t.{user_id} = ''
		WHERE NOT EXISTS (SELECT 1 FROM {tag} o WHERE o.{id} = t.{id} AND o.{user_id} = p.{owner})`)
	if err := m.Exec(insert); err != nil {
		return fmt.Errorf("give each chat owner their own tag rows: %w", err)
	}
	// A shared row stays if an ownerless chat uses it, or if no chat does
	// (then no owner has a row of it). MySQL 8 deletes from a table a
	// subquery reads only if the subquery is materialised: DISTINCT does.
	del := tagsSQL(m, `DELETE FROM {tag} WHERE {user_id} = ''
		AND {id} IN (SELECT o.{id} FROM (SELECT DISTINCT {id} FROM {tag} WHERE {user_id} <> '') o)
		AND {id} NOT IN (SELECT ct.{tag_id} FROM {chat} c JOIN {chat_tag} ct ON ct.{chat_id} = c.{id}
			WHERE (c.{user_id} IS NULL OR c.{user_id} = '') AND ct.{tag_id} IS NOT NULL)`)
	if err := m.Exec(del); err != nil {
		return fmt.Errorf("remove shared tag rows that only owned chats use: %w", err)
	}
	return nil
}

// A re-run of down (MySQL) merges what tag holds then, and its rebuild of
// chat_tag copies the rows as they are.
func updateTagsDown(m *dialect.Migrator) error {
	// The per-user key goes first, so merging tag rows cascades to nothing
	// (on SQLite keys are not enforced during a run).
	if err := m.DropForeignKey(chatTagAt8.Name, "fk_chat_tag_tag_id_user_id"); err != nil {
		return err
	}
	// On MySQL a re-run may find tag.user_id gone: the merge happened.
	if m.DB.Migrator().HasColumn(tagAt8.Name, "user_id") {
		if err := mergeTagsPerUser(m); err != nil {
			return err
		}
	}
	if err := m.AlterTable(tagAt8, tagAt7); err != nil {
		return err
	}
	return m.RebuildTable(chatTagAt8, chatTagAt7)
}

// mergeTagsPerUser keeps, of each tag id, the row with the byte-wise
// smallest user_id (its name becomes the tag's) and deletes the others.
// The GROUP BY makes MySQL materialise the subquery, which it requires
// before deleting from a table the subquery reads.
func mergeTagsPerUser(m *dialect.Migrator) error {
	del := tagsSQL(m, `DELETE FROM {tag} WHERE EXISTS (
		SELECT 1 FROM (SELECT {id}, MIN(`+m.D.ByteOrder(m.Q("user_id"))+`) AS {first_user} FROM {tag} GROUP BY {id}) k
		WHERE k.{id} = {tag}.{id} AND `+m.D.ByteOrder(m.Q("tag")+"."+m.Q("user_id"))+` <> k.{first_user})`)
	if err := m.Exec(del); err != nil {
		return fmt.Errorf("merge per-user tag rows into one row per tag: %w", err)
	}
	return nil
}
