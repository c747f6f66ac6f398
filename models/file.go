package models

import "gorm.io/datatypes"

// File is an uploaded file. Path is a storage URI (file://, s3://, ...).
type File struct {
	ID        string         `gorm:"primaryKey;size:255" json:"id"`
	UserID    *string        `gorm:"size:255;index:idx_file_user_id" json:"user_id"`
	Filename  *string        `json:"filename"`
	Path      *string        `json:"path"`
	Meta      datatypes.JSON `json:"meta"`
	CreatedAt int64          `json:"created_at"`
	Size      *int64         `json:"size"`
	MimeType  *string        `gorm:"size:255" json:"mime_type"`
	// Hash is the SHA-256 of the content, 64 lower-case hex characters.
	Hash      *string `gorm:"size:255;index:idx_file_hash" json:"hash"`
	Processed bool    `gorm:"not null;default:false" json:"processed"`
	Error     *string `json:"error"`
}

func (File) TableName() string { return "file" }

// Knowledge is a knowledge base; Files lists file IDs.
type Knowledge struct {
	ID            string         `gorm:"primaryKey;size:255" json:"id"`
	UserID        string         `gorm:"size:255;not null;index:idx_knowledge_user_id" json:"user_id"`
	Name          string         `gorm:"not null" json:"name"`
	Description   *string        `json:"description"`
	Files         StringList     `json:"files"`
	CreatedAt     int64          `json:"created_at"`
	UpdatedAt     int64          `json:"updated_at"`
	AccessControl *AccessControl `json:"access_control"`
}

func (Knowledge) TableName() string { return "knowledge" }
