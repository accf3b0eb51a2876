//go:build !unix

package report

import "time"

// cpuTime is -1: the CPU time is not read on this system.
func cpuTime() time.Duration { return -1 }
