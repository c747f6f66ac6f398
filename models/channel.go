package models

import "gorm.io/datatypes"

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
