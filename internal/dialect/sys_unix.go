//go:build unix

package dialect

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with that id exists (EPERM: it
// does, under another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// writable reports whether this process may write path (a file, or a
// folder: create files in it), by the kernel's own rules: permission bits
// for a user, read-only mounts for root too.
func writable(path string) bool {
	return syscall.Access(path, 0x2 /* W_OK */) == nil
}
