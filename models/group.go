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
