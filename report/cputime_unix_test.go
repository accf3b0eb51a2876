//go:build unix

package report

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (user and system), or -1 when it cannot
// tell.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
