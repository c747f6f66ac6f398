package models

import "gorm.io/datatypes"

// Group is a set of users with shared permissions; UserID is its owner.
type Group struct {
	ID          string         `gorm:"primaryKey;size:255" json:"id"`
	UserID      string         `gorm:"size:255;not null" json:"user_id"`
	Name        string         `gorm:"not null" json:"name"`
	Description *string        `json:"description"`
	Permissions datatypes.JSON `json:"permissions"`
	CreatedAt   int64          `json:"created_at"`
	UpdatedAt   int64          `json:"updated_at"`
}

func (Group) TableName() string { return "group" }

// GroupMember puts a user in a group.
type GroupMember struct {
	GroupID   string `gorm:"primaryKey;size:255" json:"group_id"`
	UserID    string `gorm:"primaryKey;size:255;index:idx_group_member_user_id" json:"user_id"`
	CreatedAt int64  `json:"created_at"`

	Group *Group `gorm:"foreignKey:GroupID;references:ID;constraint:fk_group_member_group_id,OnDelete:CASCADE" json:"-"`
	User  *User  `gorm:"foreignKey:UserID;references:ID;constraint:fk_group_member_user_id,OnDelete:CASCADE" json:"-"`
}

func (GroupMember) TableName() string { return "group_member" }

// Config is one key of the runtime configuration.
type Config struct {
	Key       string         `gorm:"column:key;primaryKey;size:255" json:"key"`
	Value     datatypes.JSON `gorm:"not null" json:"value"`
	UpdatedAt int64          `json:"updated_at"`
}

func (Config) TableName() string { return "config" }

// Feedback is a thumbs up (1) or down (-1) on a message.
type Feedback struct {
	ID        string  `gorm:"primaryKey;size:255" json:"id"`
	UserID    string  `gorm:"size:255;not null;index:idx_feedback_user_id" json:"user_id"`
	MessageID string  `gorm:"size:255;not null;index:idx_feedback_message_id" json:"message_id"`
	Rating    int16   `gorm:"not null;check:chk_feedback_rating,rating IN (-1, 1)" json:"rating"`
	Comment   *string `json:"comment"`
	CreatedAt int64   `gorm:"not null" json:"created_at"`

	Message *Message `gorm:"foreignKey:MessageID;references:ID;constraint:fk_feedback_message_id,OnDelete:CASCADE" json:"-"`
}

func (Feedback) TableName() string { return "feedback" }

// Channel is a shared conversation; UserID is its creator.
type Channel struct {
	ID            string         `gorm:"primaryKey;size:255" json:"id"`
	UserID        string         `gorm:"size:255;not null" json:"user_id"`
	Name          string         `gorm:"not null" json:"name"`
	Description   *string        `json:"description"`
	Data          datatypes.JSON `json:"data"`
	Meta          datatypes.JSON `json:"meta"`
	AccessControl *AccessControl `json:"access_control"`
	CreatedAt     int64          `json:"created_at"`
	UpdatedAt     int64          `json:"updated_at"`
}

func (Channel) TableName() string { return "channel" }

// ChannelMember puts a user in a channel.
type ChannelMember struct {
	ChannelID string `gorm:"primaryKey;size:255" json:"channel_id"`
	UserID    string `gorm:"primaryKey;size:255;index:idx_channel_member_user_id" json:"user_id"`
	CreatedAt int64  `json:"created_at"`

	Channel *Channel `gorm:"foreignKey:ChannelID;references:ID;constraint:fk_channel_member_channel_id,OnDelete:CASCADE" json:"-"`
	User    *User    `gorm:"foreignKey:UserID;references:ID;constraint:fk_channel_member_user_id,OnDelete:CASCADE" json:"-"`
}

func (ChannelMember) TableName() string { return "channel_member" }
