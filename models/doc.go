// Package models holds the GORM structs for every table of the Open
// WebUI-style schema at the chain's HEAD (migrations.Head(), `schema
// current` on an up-to-date database). They are the source of truth for
// the current shape and what backend handlers import.
//
// The database is built by the migration chain, never by AutoMigrate; the
// drift check proves that the chain's result equals what AutoMigrate makes
// from these structs, table by table, on every dialect.
//
// Conventions: nullable columns are pointers, except created_at and
// updated_at: they are epoch seconds in an int64 that GORM fills on create
// and update (a NULL reads as 0), and folder's, which are UTC time.Time.
// Index, unique
// index, foreign key and check names are spelled out because the chain
// creates them under the same names.
package models

// All lists one value of every model, in an order where each table comes
// after the tables it references. The drift check AutoMigrates these.
func All() []any {
	return []any{
		&User{}, &Auth{}, &Folder{}, &Chat{}, &Channel{}, &Message{}, &File{},
		&Tool{}, &Function{}, &Model{}, &Prompt{}, &Memory{}, &Tag{}, &ChatTag{},
		&Knowledge{}, &Group{}, &GroupMember{}, &Config{}, &Feedback{},
		&ChannelMember{}, &Note{}, &TokenGroup{}, &TokenUsage{},
	}
}
