package models

import "gorm.io/datatypes"

// Config is one key of the runtime configuration.
type Config struct {
	Key       string         `gorm:"column:key;primaryKey;size:255" json:"key"`
	Value     datatypes.JSON `gorm:"not null" json:"value"`
	UpdatedAt int64          `json:"updated_at"`
}

func (Config) TableName() string { return "config" }
