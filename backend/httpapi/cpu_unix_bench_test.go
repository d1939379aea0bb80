//go:build unix

package httpapi

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used so far: under a loaded
// machine it measures the work itself where wall time also counts the waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
