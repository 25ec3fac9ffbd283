package broker

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"runtime"
	"sync"
	"time"
)

// guard authenticates callers and enforces per-caller rate limits and
// lockouts. Its state survives configuration reloads.
type guard struct {
	clock     Clock
	sem       chan struct{} // bounds concurrent slow hash verifications
	dummyOnce sync.Once
	dummy     passwordHash // see dummyHash
	key       []byte       // HMAC key for the verified-credential cache

	mu       sync.Mutex
	failures map[string]*failState // by user name, known or not
	buckets  map[string]*bucket    // by caller name
	verified map[string][]byte     // caller name → HMAC(hash, password) of the last good login
}

type failState struct {
	count       int
	lockedUntil time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxFailureEntries bounds the failure table, which attackers can fill with
// made-up user names (a variable for tests).
var maxFailureEntries = 10000

func newGuard(clock Clock) *guard {
	g := &guard{
		clock:    clock,
		sem:      make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		key:      make([]byte, 32),
		failures: map[string]*failState{},
		buckets:  map[string]*bucket{},
		verified: map[string][]byte{},
	}
	if _, err := rand.Read(g.key); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return g
}

// dummyHash returns a hash of a random password with the default cost,
// verified for unknown user names so that they cost as much as known ones.
// It is made on first use.
func (g *guard) dummyHash() passwordHash {
	g.dummyOnce.Do(func() {
		pw := make([]byte, 16)
		rand.Read(pw)
		h, err := HashPassword(pw)
		if err != nil {
			panic(err)
		}
		g.dummy, _ = parsePasswordHash(h)
	})
	return g.dummy
}

// authResult is the outcome of a caller authentication.
type authResult int

const (
	authOK authResult = iota
	authBadCredentials
	authLocked
	authBusy // too many password verifications queued
)

// verifyQueueWait bounds the wait for a password verification slot (a
// variable for tests).
var verifyQueueWait = 5 * time.Second

// authenticate checks name and password against caller (nil if the name is
// unknown). A successful slow hash verification is remembered as an HMAC of
// the stored hash and the password, so later requests cost one HMAC and a
// constant-time comparison instead of an argon2id or bcrypt run.
func (g *guard) authenticate(name, password string, caller *Caller, l *Limits) (authResult, time.Duration) {
	now := g.clock.Now()
	g.mu.Lock()
	if f := g.failures[name]; f != nil && now.Before(f.lockedUntil) {
		g.mu.Unlock()
		return authLocked, f.lockedUntil.Sub(now)
	}
	var mac []byte
	if caller != nil {
		m := hmac.New(sha256.New, g.key)
		m.Write([]byte(caller.PasswordHash))
		m.Write([]byte{0})
		m.Write([]byte(password))
		mac = m.Sum(nil)
		if prev := g.verified[name]; prev != nil && hmac.Equal(prev, mac) {
			delete(g.failures, name)
			g.mu.Unlock()
			return authOK, 0
		}
	}
	g.mu.Unlock()

	// Slow verifications run a few at a time; under a flood of bad logins
	// callers already verified keep the fast path above, and new ones wait
	// a bounded time rather than pile up argon2id memory.
	select {
	case g.sem <- struct{}{}:
	case <-time.After(verifyQueueWait):
		return authBusy, time.Second
	}
	var ok bool
	if caller != nil {
		ok = caller.hash.verify([]byte(password))
	} else {
		g.dummyHash().verify([]byte(password))
	}
	<-g.sem

	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		g.verified[name] = mac
		delete(g.failures, name)
		return authOK, 0
	}
	f := g.failures[name]
	if f == nil {
		if len(g.failures) >= maxFailureEntries {
			g.pruneLocked(now)
		}
		f = &failState{}
		g.failures[name] = f
	}
	f.count++
	if l.LockoutAfter > 0 && f.count >= l.LockoutAfter {
		f.lockedUntil = now.Add(l.LockoutFor)
		f.count = 0
		return authLocked, l.LockoutFor
	}
	return authBadCredentials, 0
}

// pruneLocked drops failure entries that are not locked.
func (g *guard) pruneLocked(now time.Time) {
	for k, f := range g.failures {
		if !now.Before(f.lockedUntil) {
			delete(g.failures, k)
		}
	}
}

// allow takes one request from the caller's token bucket. When empty it
// returns false and the wait until a token is available.
func (g *guard) allow(name string, rate float64, burst int) (bool, time.Duration) {
	if rate <= 0 {
		return true, 0
	}
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.buckets[name]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		g.buckets[name] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(float64(burst), b.tokens+el*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
	return false, wait
}

// forget drops per-caller state of callers no longer configured.
func (g *guard) forget(keep map[string]bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.buckets {
		if !keep[k] {
			delete(g.buckets, k)
		}
	}
	for k := range g.verified {
		if !keep[k] {
			delete(g.verified, k)
		}
	}
}
