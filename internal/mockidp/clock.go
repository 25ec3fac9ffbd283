package mockidp

import (
	"sync/atomic"
	"time"
)

// Clock is the server's virtual clock. Codes, tokens, families, idle
// windows and reuse leeways all expire against it, so tests move time
// forward with Advance instead of sleeping.
//
// A clock either follows real time plus an offset (the default, so that
// clients comparing expiry with their own wall clock agree with the server),
// or is frozen at a fixed instant and moves only when advanced (fully
// deterministic tests).
type Clock struct {
	frozen bool
	base   atomic.Int64 // frozen: the current instant in Unix nanoseconds
	offset atomic.Int64 // real: nanoseconds added to time.Now
}

// NewClock returns a clock frozen at start, or following real time when
// start is the zero time.
func NewClock(start time.Time) *Clock {
	c := &Clock{frozen: !start.IsZero()}
	if c.frozen {
		c.base.Store(start.UnixNano())
	}
	return c
}

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	if c.frozen {
		return time.Unix(0, c.base.Load()).UTC()
	}
	return time.Now().Add(time.Duration(c.offset.Load())).UTC()
}

// Advance moves the clock forward by d (negative d is ignored: expired
// tokens never come back to life).
func (c *Clock) Advance(d time.Duration) time.Time {
	if d > 0 {
		if c.frozen {
			c.base.Add(int64(d))
		} else {
			c.offset.Add(int64(d))
		}
	}
	return c.Now()
}

// Frozen reports whether the clock moves only when advanced.
func (c *Clock) Frozen() bool { return c.frozen }
