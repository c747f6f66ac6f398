package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Typed JSON columns implement GormDataType, which tells GORM the field is
// a column rather than a relation, and GormDBDataType, which picks its SQL
// type.

// jsonDataType gives typed JSON columns the SQL type datatypes.JSON gets
// (JSON, or JSONB on PostgreSQL), so they migrate like any JSON column.
func jsonDataType(db *gorm.DB, f *schema.Field) string {
	return datatypes.JSON(nil).GormDBDataType(db, f)
}

// scanJSON decodes a JSON column value into dst.
func scanJSON(src any, dst any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("cannot read %T as JSON", src)
	}
	return json.Unmarshal(b, dst)
}

// StringList is a JSON array of strings (knowledge.files, token_group.models).
// A nil list is stored as NULL.
type StringList []string

func (l StringList) Value() (driver.Value, error) {
	if l == nil {
		return nil, nil
	}
	b, err := json.Marshal([]string(l))
	return string(b), err
}

func (l *StringList) Scan(src any) error {
	if src == nil {
		*l = nil
		return nil
	}
	var out []string
	if err := scanJSON(src, &out); err != nil {
		return fmt.Errorf("string list: %w", err)
	}
	*l = out
	return nil
}

func (StringList) GormDataType() string                               { return "json" }
func (StringList) GormDBDataType(db *gorm.DB, f *schema.Field) string { return jsonDataType(db, f) }

// AccessControl is Open WebUI's access_control value: who may read and who
// may write a resource. A nil *AccessControl (NULL) means the owner's
// default rules.
type AccessControl struct {
	Read  AccessList `json:"read"`
	Write AccessList `json:"write"`
}

// AccessList names the groups and users granted one kind of access.
type AccessList struct {
	GroupIDs []string `json:"group_ids"`
	UserIDs  []string `json:"user_ids"`
}

func (a AccessControl) Value() (driver.Value, error) {
	b, err := json.Marshal(a)
	return string(b), err
}

func (a *AccessControl) Scan(src any) error {
	if src == nil {
		*a = AccessControl{}
		return nil
	}
	if err := scanJSON(src, a); err != nil {
		return fmt.Errorf("access control: %w", err)
	}
	return nil
}

func (AccessControl) GormDataType() string                               { return "json" }
func (AccessControl) GormDBDataType(db *gorm.DB, f *schema.Field) string { return jsonDataType(db, f) }

// FileMeta is the part of file.meta that Open WebUI itself writes.
type FileMeta struct {
	Name           string `json:"name,omitempty"`
	ContentType    string `json:"content_type,omitempty"`
	Size           int64  `json:"size,omitempty"`
	CollectionName string `json:"collection_name,omitempty"`
}

// DecodeMeta reads the known fields of the file's meta; other keys stay in
// Meta untouched.
func (f *File) DecodeMeta() (FileMeta, error) {
	var m FileMeta
	if len(f.Meta) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(f.Meta, &m); err != nil {
		return FileMeta{}, fmt.Errorf("file %s: meta: %w", f.ID, err)
	}
	return m, nil
}
