//go:build !unix

package dialect

// processAlive cannot tell here, so every scratch folder counts as in use
// and none is removed.
func processAlive(int) bool { return true }
