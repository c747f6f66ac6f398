//go:build !faultinject

package fault

import "gorm.io/gorm"

// Enabled reports whether this build injects faults (-tags faultinject).
const Enabled = false

// Instrument does nothing in the normal build; with -tags faultinject it
// hooks db's statements unless skip is set (see the package comment).
func Instrument(*gorm.DB, bool) error { return nil }
