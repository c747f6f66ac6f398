package models

import (
	"time"

	"gorm.io/datatypes"
)

// Chat is a conversation. Chat holds the client's payload; its tags live in
// ChatTag and its folder in FolderID.
type Chat struct {
	ID        string         `gorm:"primaryKey;size:255" json:"id"`
	UserID    *string        `gorm:"size:255;index:idx_chat_user_id" json:"user_id"`
	Chat      datatypes.JSON `json:"chat"`
	CreatedAt int64          `json:"created_at"`
	UpdatedAt int64          `json:"updated_at"`
	Title     *string        `json:"title"`
	Pinned    bool           `gorm:"not null;default:false" json:"pinned"`
	Archived  bool           `gorm:"not null;default:false" json:"archived"`
	ShareID   *string        `gorm:"size:255;uniqueIndex:uq_chat_share_id" json:"share_id"`
	FolderID  *string        `gorm:"size:255;index:idx_chat_folder_id" json:"folder_id"`

	Folder *Folder `gorm:"foreignKey:FolderID;references:ID;constraint:fk_chat_folder_id,OnDelete:SET NULL" json:"-"`
}

func (Chat) TableName() string { return "chat" }

// Message belongs to a chat or to a channel.
type Message struct {
	ID        string         `gorm:"primaryKey;size:255" json:"id"`
	ChatID    *string        `gorm:"size:255;index:idx_message_chat_id" json:"chat_id"`
	UserID    *string        `gorm:"size:255" json:"user_id"`
	Role      *string        `gorm:"size:255" json:"role"`
	Content   *string        `json:"content"`
	CreatedAt int64          `json:"created_at"`
	UpdatedAt int64          `json:"updated_at"`
	Images    datatypes.JSON `json:"images"`
	Files     datatypes.JSON `json:"files"`
	Citations datatypes.JSON `json:"citations"`
	ChannelID *string        `gorm:"size:255;index:idx_message_channel_id" json:"channel_id"`

	Chat    *Chat    `gorm:"foreignKey:ChatID;references:ID;constraint:fk_message_chat_id,OnDelete:CASCADE" json:"-"`
	Channel *Channel `gorm:"foreignKey:ChannelID;references:ID;constraint:fk_message_channel_id,OnDelete:CASCADE" json:"-"`
}

func (Message) TableName() string { return "message" }

// Folder groups a user's chats; folders nest through ParentID.
type Folder struct {
	ID        string    `gorm:"primaryKey;size:255" json:"id"`
	ParentID  *string   `gorm:"size:255;index:idx_folder_parent_id" json:"parent_id"`
	UserID    string    `gorm:"size:255;not null;index:idx_folder_user_id" json:"user_id"`
	Name      string    `gorm:"not null" json:"name"`
	CreatedAt time.Time `gorm:"not null;precision:6" json:"created_at"`
	UpdatedAt time.Time `gorm:"not null;precision:6" json:"updated_at"`

	Parent *Folder `gorm:"foreignKey:ParentID;references:ID;constraint:fk_folder_parent_id,OnDelete:CASCADE" json:"-"`
}

func (Folder) TableName() string { return "folder" }

// Tag is a user's tag. ID is the normalised name (see NormalizeTagName);
// UserID is empty for a tag no chat uses any more (shared).
type Tag struct {
	ID     string  `gorm:"primaryKey;size:255" json:"id"`
	Name   string  `gorm:"not null" json:"name"`
	UserID string  `gorm:"primaryKey;size:255;not null" json:"user_id"`
	Color  *string `gorm:"size:255" json:"color"`
	Icon   *string `json:"icon"`
}

func (Tag) TableName() string { return "tag" }

// ChatTag links a chat to one of its owner's tags.
type ChatTag struct {
	ChatID string `gorm:"primaryKey;size:255" json:"chat_id"`
	TagID  string `gorm:"primaryKey;size:255;index:idx_chat_tag_tag_id;index:idx_chat_tag_user_id_tag_id,priority:2" json:"tag_id"`
	UserID string `gorm:"size:255;not null;index:idx_chat_tag_user_id_tag_id,priority:1" json:"user_id"`

	Chat *Chat `gorm:"foreignKey:ChatID;references:ID;constraint:fk_chat_tag_chat_id,OnDelete:CASCADE" json:"-"`
	Tag  *Tag  `gorm:"foreignKey:TagID,UserID;references:ID,UserID;constraint:fk_chat_tag_tag_id_user_id,OnDelete:CASCADE" json:"-"`
}

func (ChatTag) TableName() string { return "chat_tag" }
