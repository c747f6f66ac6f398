package models

import "gorm.io/datatypes"

// User is an account.
type User struct {
	ID              string         `gorm:"primaryKey;size:255" json:"id"`
	Name            *string        `json:"name"`
	Email           *string        `gorm:"size:255" json:"email"`
	Role            *string        `gorm:"size:255" json:"role"`
	ProfileImageURL *string        `gorm:"column:profile_image_url" json:"profile_image_url"`
	LastActiveAt    *int64         `json:"last_active_at"`
	UpdatedAt       int64          `json:"updated_at"`
	CreatedAt       int64          `json:"created_at"`
	APIKey          *string        `gorm:"column:api_key;size:255;uniqueIndex:uq_user_api_key" json:"api_key"`
	Settings        datatypes.JSON `json:"settings"`
	Info            datatypes.JSON `json:"info"`
	OAuthSub        *string        `gorm:"column:oauth_sub;size:255;uniqueIndex:uq_user_oauth_sub" json:"oauth_sub"`
}

func (User) TableName() string { return "user" }

// Auth holds a user's credentials; ID is the user's ID.
type Auth struct {
	ID    string  `gorm:"primaryKey;size:255" json:"id"`
	Email *string `gorm:"size:255" json:"email"`
	// Password is a hash. It is never serialised.
	Password *string `json:"-"`
	Active   *bool   `json:"active"`
}

func (Auth) TableName() string { return "auth" }
