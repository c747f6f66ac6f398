//go:build !faultinject

package fault

import "gorm.io/gorm"

// Enabled reports whether this build injects faults (-tags faultinject).
const Enabled = false

// Instrument does nothing in the normal build.
func Instrument(*gorm.DB) error { return nil }
