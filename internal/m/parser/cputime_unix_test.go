//go:build unix

package parser

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) used by the process, so
// that the benchmark can report throughput per CPU-second on a shared,
// overloaded machine where wall-clock figures mostly measure the queue.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
