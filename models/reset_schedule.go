package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// ResetSchedule says when a token group's usage resets.
type ResetSchedule struct {
	Period   string `json:"period"`
	Time     string `json:"time,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	Weekday  *int   `json:"weekday,omitempty"`
	Day      *int   `json:"day,omitempty"`
	Cron     string `json:"cron,omitempty"`
}

func (s ResetSchedule) Value() (driver.Value, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

func (s *ResetSchedule) Scan(src any) error {
	if src == nil {
		*s = ResetSchedule{}
		return nil
	}
	if err := scanJSON(src, s); err != nil {
		return fmt.Errorf("reset schedule: %w", err)
	}
	return nil
}

func (ResetSchedule) GormDataType() string { return "json" }

func (ResetSchedule) GormDBDataType(db *gorm.DB, f *schema.Field) string { return jsonDataType(db, f) }
