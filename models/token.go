package models

// TokenGroup is a token budget shared by the models it lists.
type TokenGroup struct {
	Name          string         `gorm:"primaryKey;size:255" json:"name"`
	Models        StringList     `json:"models"`
	Limit         *int64         `gorm:"column:limit" json:"limit"`
	CreatedAt     int64          `json:"created_at"`
	UpdatedAt     int64          `json:"updated_at"`
	ResetSchedule *ResetSchedule `json:"reset_schedule"`
}

func (TokenGroup) TableName() string { return "token_group" }

// TokenUsage is a group's consumption since its last reset.
type TokenUsage struct {
	GroupName  string `gorm:"primaryKey;size:255" json:"group_name"`
	TokenIn    int64  `gorm:"not null;default:0" json:"token_in"`
	TokenOut   int64  `gorm:"not null;default:0" json:"token_out"`
	TokenTotal int64  `gorm:"not null;default:0" json:"token_total"`
	UpdatedAt  int64  `json:"updated_at"`
	// LastResetDate is the ISO date (YYYY-MM-DD) of the last reset, in the
	// group's reset time zone.
	LastResetDate *string `json:"last_reset_date"`

	Group *TokenGroup `gorm:"foreignKey:GroupName;references:Name;constraint:fk_token_usage_group_name,OnDelete:CASCADE" json:"-"`
}

func (TokenUsage) TableName() string { return "token_usage" }
