package broker

import "time"

// Clock tells the time. The broker reads all expiry, back-off, breaker and
// lockout times from it, so tests drive them with a virtual clock instead of
// sleeping. A nil Clock in Options means the system clock.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
