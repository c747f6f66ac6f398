package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
	"github.com/openwebui-go/schema/migrations"
	"gorm.io/gorm"
)

// seedStep fills a database at a data step's previous revision with rows
// shaped like a real Open WebUI database's.
type seedStep struct {
	id, name string
	seed     func(g *gorm.DB, rows int) error
}

var dataSteps = []seedStep{
	{"d31026856c01", "update_folder_table_data", seedFolderMembership},
	{"1af9b942657b", "migrate_tags", seedTaggedChats},
	{"3ab32c4b8f59", "update_tags", seedChatTags},
	{"c29facfe716b", "update_file_table_path", seedFiles},
	{"7826ab40b532", "update_file_table", seedFiles},
	{"c0fbf31ca0db", "update_file_table", seedFiles},
}

func findStep(id string) (seedStep, bool) {
	for _, s := range dataSteps {
		if s.id == id {
			return s, true
		}
	}
	return seedStep{}, false
}

func stepIDs() []string {
	var ids []string
	for _, s := range dataSteps {
		ids = append(ids, s.id)
	}
	return ids
}

func previous(id string) (string, error) {
	chain, err := migrations.Chain()
	if err != nil {
		return "", err
	}
	for _, s := range chain {
		if s.ID == id {
			return s.Revises, nil
		}
	}
	return "", fmt.Errorf("unknown revision %s", id)
}

const batch = 1000

func col(name string, t dialect.Type) dialect.Column { return dialect.Column{Name: name, Type: t} }

func users(rows int) int { return max(rows/100, 1) }

func chatID(i int) string { return fmt.Sprintf("chat-%08d", i) }
func userID(i int) string { return fmt.Sprintf("user-%05d", i) }

// payload is a small but realistic conversation.
func payload(i int, extra string) string {
	return fmt.Sprintf(`{"title":"Chat %d","models":["gpt-4o"],"history":{"currentId":"m%d","messages":{"m%d":{"role":"user","content":"Question number %d about the project"}}}%s}`,
		i, i, i, i, extra)
}

// seedFolderMembership: one folder per 100 chats of one user, each listing
// its chats in items; 1% of the listed IDs name no chat.
func seedFolderMembership(g *gorm.DB, rows int) error {
	err := insertBatches(g, "chat", []dialect.Column{col("id", dialect.Key), col("user_id", dialect.Key), col("chat", dialect.JSON)}, rows, batch,
		func(i int) []any { return []any{chatID(i), userID(i / 100 % users(rows)), payload(i, "")} })
	if err != nil {
		return err
	}
	folders := (rows + 99) / 100
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return insertBatches(g, "folder", []dialect.Column{col("id", dialect.Key), col("user_id", dialect.Key), col("name", dialect.Text),
		col("items", dialect.JSON), col("created_at", dialect.Timestamptz), col("updated_at", dialect.Timestamptz)}, folders, 100,
		func(f int) []any {
			ids := make([]string, 0, 100)
			for i := f * 100; i < min(f*100+100, rows); i++ {
				id := chatID(i)
				if i%100 == 99 {
					id = "missing-" + id
				}
				ids = append(ids, `"`+id+`"`)
			}
			items := `{"chat_ids":[` + strings.Join(ids, ",") + `]}`
			return []any{fmt.Sprintf("folder-%06d", f), userID(f % users(rows)), fmt.Sprintf("Folder %d", f), items, now, now.Add(time.Duration(f) * time.Second)}
		})
}

// tagSpelling gives one of several spellings of 200 distinct tags.
func tagSpelling(k, variant int) string {
	switch variant % 4 {
	case 0:
		return fmt.Sprintf("topic %d", k)
	case 1:
		return fmt.Sprintf("Topic %d", k)
	case 2:
		return fmt.Sprintf("  TOPIC  %d ", k)
	default:
		return fmt.Sprintf("topic\t%d", k)
	}
}

// tagsOf gives chat i 0 to 6 tags (3 on average) out of 200 names.
func tagsOf(i int) []int {
	n := i % 7
	out := make([]int, n)
	for j := range out {
		out[j] = (i*7 + j*31) % 200
	}
	return out
}

// seedTaggedChats: chats whose payload carries tags, 3 on average, 200
// distinct names in several spellings; every 50th chat is tagged pinned.
func seedTaggedChats(g *gorm.DB, rows int) error {
	return insertBatches(g, "chat", []dialect.Column{col("id", dialect.Key), col("user_id", dialect.Key), col("chat", dialect.JSON)}, rows, batch,
		func(i int) []any {
			var tags []string
			for j, k := range tagsOf(i) {
				tags = append(tags, `"`+strings.ReplaceAll(tagSpelling(k, i+j), "\t", `\t`)+`"`)
			}
			if i%50 == 0 {
				tags = append(tags, `"pinned"`)
			}
			return []any{chatID(i), userID(i % users(rows)), payload(i, `,"tags":[`+strings.Join(tags, ",")+`]`)}
		})
}

// seedChatTags: the state after migrate_tags: 200 global tags and about
// three chat_tag rows per chat.
func seedChatTags(g *gorm.DB, rows int) error {
	err := insertBatches(g, "tag", []dialect.Column{col("id", dialect.Key), col("name", dialect.Text)}, 200, 200,
		func(k int) []any { return []any{fmt.Sprintf("topic_%d", k), fmt.Sprintf("Topic %d", k)} })
	if err != nil {
		return err
	}
	err = insertBatches(g, "chat", []dialect.Column{col("id", dialect.Key), col("user_id", dialect.Key), col("chat", dialect.JSON)}, rows, batch,
		func(i int) []any { return []any{chatID(i), userID(i % users(rows)), payload(i, "")} })
	if err != nil {
		return err
	}
	// A chat's tag numbers are distinct (j*31 < 200 for j < 7), so pairs
	// never repeat; rows are generated in order, one (chat, tag) at a time.
	pairs := 0
	for i := range rows {
		pairs += len(tagsOf(i))
	}
	chat, j := 0, 0
	return insertBatches(g, "chat_tag", []dialect.Column{col("chat_id", dialect.Key), col("tag_id", dialect.Key)}, pairs, batch,
		func(int) []any {
			for j >= len(tagsOf(chat)) {
				chat, j = chat+1, 0
			}
			j++
			return []any{chatID(chat), fmt.Sprintf("topic_%d", tagsOf(chat)[j-1])}
		})
}

// seedFiles: uploaded files with local paths (some already URIs, a few
// relative) and the meta Open WebUI writes.
func seedFiles(g *gorm.DB, rows int) error {
	return insertBatches(g, "file", []dialect.Column{col("id", dialect.Key), col("user_id", dialect.Key), col("filename", dialect.Text),
		col("path", dialect.Key), col("meta", dialect.JSON), col("created_at", dialect.BigInt)}, rows, batch,
		func(i int) []any {
			id := fmt.Sprintf("file-%08d", i)
			path := "/app/backend/data/uploads/" + id + "_report.pdf"
			switch {
			case i%10 == 0:
				path = "s3://webui-files/" + id
			case i%100 == 1:
				path = "uploads/" + id
			}
			collection := ""
			if i%2 == 0 {
				collection = `,"collection_name":"file-` + id + `"`
			}
			meta := fmt.Sprintf(`{"name":"%s_report.pdf","content_type":"application/pdf","size":%d%s}`, id, 1000+i*13, collection)
			return []any{id, userID(i % users(rows)), id + "_report.pdf", path, meta, int64(1700000000 + i)}
		})
}
