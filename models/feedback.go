package models

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
