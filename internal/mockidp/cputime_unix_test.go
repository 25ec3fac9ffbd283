//go:build unix

package mockidp

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time. On a shared
// machine wall-clock rates say more about the neighbours than about the
// server; CPU time per request (server and client together, both in this
// process) gives the capacity of two dedicated cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
