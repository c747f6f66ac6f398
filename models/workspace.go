package models

import "gorm.io/datatypes"

// Tool is a user-defined tool.
type Tool struct {
	ID            string         `gorm:"primaryKey;size:255" json:"id"`
	UserID        *string        `gorm:"size:255" json:"user_id"`
	Name          *string        `json:"name"`
	Content       *string        `json:"content"`
	Specs         datatypes.JSON `json:"specs"`
	Meta          datatypes.JSON `json:"meta"`
	Valves        datatypes.JSON `json:"valves"`
	CreatedAt     int64          `json:"created_at"`
	UpdatedAt     int64          `json:"updated_at"`
	AccessControl *AccessControl `json:"access_control"`
}

func (Tool) TableName() string { return "tool" }

// Function is a user-defined function (filter, action, pipe).
type Function struct {
	ID        string         `gorm:"primaryKey;size:255" json:"id"`
	UserID    *string        `gorm:"size:255" json:"user_id"`
	Name      *string        `json:"name"`
	Type      *string        `gorm:"size:255" json:"type"`
	Content   *string        `json:"content"`
	Meta      datatypes.JSON `json:"meta"`
	Valves    datatypes.JSON `json:"valves"`
	IsActive  *bool          `json:"is_active"`
	IsGlobal  *bool          `json:"is_global"`
	CreatedAt int64          `json:"created_at"`
	UpdatedAt int64          `json:"updated_at"`
}

func (Function) TableName() string { return "function" }

// Model is a model configuration layered on a base model.
type Model struct {
	ID            string         `gorm:"primaryKey;size:255" json:"id"`
	UserID        *string        `gorm:"size:255" json:"user_id"`
	BaseModelID   *string        `gorm:"size:255" json:"base_model_id"`
	Name          *string        `json:"name"`
	Params        datatypes.JSON `json:"params"`
	Meta          datatypes.JSON `json:"meta"`
	CreatedAt     int64          `json:"created_at"`
	UpdatedAt     int64          `json:"updated_at"`
	AccessControl *AccessControl `json:"access_control"`
}

func (Model) TableName() string { return "model" }

// Prompt is a prompt template, keyed by its slash command.
type Prompt struct {
	Command       string         `gorm:"primaryKey;size:255" json:"command"`
	UserID        *string        `gorm:"size:255" json:"user_id"`
	Title         *string        `json:"title"`
	Content       *string        `json:"content"`
	Timestamp     *int64         `json:"timestamp"`
	AccessControl *AccessControl `json:"access_control"`
}

func (Prompt) TableName() string { return "prompt" }

// Memory is a long-term memory of a user.
type Memory struct {
	ID        string  `gorm:"primaryKey;size:255" json:"id"`
	UserID    *string `gorm:"size:255;index:idx_memory_user_id" json:"user_id"`
	Content   *string `json:"content"`
	CreatedAt int64   `json:"created_at"`
	UpdatedAt int64   `json:"updated_at"`
}

func (Memory) TableName() string { return "memory" }

// Note is a user's Markdown note.
type Note struct {
	ID        string  `gorm:"primaryKey;size:255" json:"id"`
	UserID    string  `gorm:"size:255;not null;index:idx_note_user_id" json:"user_id"`
	Title     *string `json:"title"`
	Content   *string `json:"content"`
	CreatedAt int64   `json:"created_at"`
	UpdatedAt int64   `json:"updated_at"`
}

func (Note) TableName() string { return "note" }
