//go:build unix

package testbin

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user + system) this process has used so far: on a loaded
// machine it measures a benchmark's own work where wall time also counts the waiting.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
