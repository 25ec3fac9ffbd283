package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// UnavailableError says that no usable token could be had for a target. The
// broker answers it with 503 and, when known, Retry-After.
type UnavailableError struct {
	Target      string
	Err         error         // the *IDPError or the wait's context error
	RetryAfter  time.Duration // how long the broker will not ask the IDP again
	BreakerOpen bool          // repeated invalid_client: the secret is probably wrong
}

func (e *UnavailableError) Error() string {
	if e.BreakerOpen {
		return fmt.Sprintf("no token for target %q: circuit breaker open after repeated invalid_client from the identity provider (check the client id and secret; retrying in %s): %v",
			e.Target, e.RetryAfter.Round(time.Second), e.Err)
	}
	return fmt.Sprintf("no token for target %q: %v", e.Target, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// outcome says how a token request was satisfied.
type outcome string

const (
	outcomeHit   outcome = "hit"   // fresh cached token
	outcomeMiss  outcome = "miss"  // fetched (or joined a fetch in flight)
	outcomeStale outcome = "stale" // past its TTL but still valid; IDP failing
	outcomeError outcome = "error"
)

// tokenCache holds one entry per cache key and fetches through a
// single-flight group, so concurrent misses for one key cost one request.
type tokenCache struct {
	clock   Clock
	client  *http.Client
	metrics *metrics
	log     *slog.Logger
	rand    func() float64 // in [0,1), for jitter
	policy  atomic.Pointer[CachePolicy]

	sf singleflight.Group
	bg sync.WaitGroup // background refreshes, for tests and shutdown

	mu      sync.Mutex
	entries map[string]*entry
}

// entry is the cache state of one key. Fields are guarded by tokenCache.mu.
type entry struct {
	tok           *Token
	blockedUntil  time.Time         // no IDP calls before this
	blockErr      *UnavailableError // what to answer while blocked
	invalidClient int               // consecutive invalid_client answers
	refreshing    bool              // a background refresh is running
	lastErr       error
}

func (c *tokenCache) entryLocked(key string) *entry {
	e := c.entries[key]
	if e == nil {
		e = &entry{}
		c.entries[key] = e
	}
	return e
}

// blocked returns the error to answer while the entry may not call the IDP.
func (e *entry) blocked(now time.Time) *UnavailableError {
	if e.blockErr == nil || !now.Before(e.blockedUntil) {
		return nil
	}
	err := *e.blockErr
	err.RetryAfter = e.blockedUntil.Sub(now)
	return &err
}

// get returns a token for t: from the cache while fresh, else from the IDP
// (one request per key at a time), else a still-valid stale token. Waiting
// for the IDP is bounded by ctx and the policy's WaitTimeout.
func (c *tokenCache) get(ctx context.Context, t *Target) (*Token, outcome, error) {
	p := c.policy.Load()
	now := c.clock.Now()
	c.mu.Lock()
	e := c.entryLocked(t.key)
	if tok := e.tok; tok != nil && now.Before(tok.freshUntil) {
		if !now.Before(tok.refreshAt) && !e.refreshing && e.blocked(now) == nil {
			e.refreshing = true
			c.bg.Add(1)
			go c.refresh(t, e)
		}
		c.mu.Unlock()
		c.metrics.cacheHits.WithLabelValues(t.Name).Inc()
		return tok, outcomeHit, nil
	}
	if err := e.blocked(now); err != nil {
		c.mu.Unlock()
		return c.fallback(t, e, err)
	}
	c.mu.Unlock()
	c.metrics.cacheMisses.WithLabelValues(t.Name).Inc()

	ctx, cancel := context.WithTimeout(ctx, p.WaitTimeout)
	defer cancel()
	ch := c.sf.DoChan(t.key, func() (any, error) { return c.fetch(t, e) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return c.fallback(t, e, r.Err)
		}
		return r.Val.(*Token), outcomeMiss, nil
	case <-ctx.Done():
		return c.fallback(t, e, &UnavailableError{Target: t.Name, Err: fmt.Errorf("waiting for the identity provider: %w", ctx.Err())})
	}
}

// fallback serves the cached token if it is still valid for at least
// MinValidity, and err otherwise.
func (c *tokenCache) fallback(t *Target, e *entry, err error) (*Token, outcome, error) {
	p := c.policy.Load()
	now := c.clock.Now()
	c.mu.Lock()
	tok := e.tok
	c.mu.Unlock()
	if tok != nil && tok.Expiry.Sub(now) >= p.MinValidity {
		c.metrics.staleServed.WithLabelValues(t.Name).Inc()
		return tok, outcomeStale, nil
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		ue = &UnavailableError{Target: t.Name, Err: err}
	}
	return nil, outcomeError, ue
}

// refresh runs a proactive background refresh for t.
func (c *tokenCache) refresh(t *Target, e *entry) {
	defer c.bg.Done()
	<-c.sf.DoChan(t.key, func() (any, error) { return c.fetch(t, e) })
	c.mu.Lock()
	e.refreshing = false
	c.mu.Unlock()
}

// fetch asks the IDP for a token unless another flight has just stored a
// token that needs no refresh yet, or the entry is blocked. It runs inside
// the single-flight group, detached from any one caller's context.
func (c *tokenCache) fetch(t *Target, e *entry) (*Token, error) {
	p := c.policy.Load()
	now := c.clock.Now()
	c.mu.Lock()
	if tok := e.tok; tok != nil && now.Before(tok.refreshAt) {
		c.mu.Unlock()
		return tok, nil
	}
	if err := e.blocked(now); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), t.Timeout)
	start := time.Now()
	tok, err := fetchToken(ctx, c.client, t, c.clock.Now)
	cancel()
	c.metrics.idpLatency.WithLabelValues(t.Name).Observe(time.Since(start).Seconds())

	now = c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		ie, ok := err.(*IDPError)
		if !ok {
			ie = &IDPError{Code: "network", Description: err.Error()}
		}
		c.metrics.idpErrors.WithLabelValues(t.Name, ie.Code).Inc()
		e.lastErr = err
		block := p.NegativeTTL
		if ie.RetryAfter > 0 {
			block = min(ie.RetryAfter, p.MaxRetryAfter)
		}
		ue := &UnavailableError{Target: t.Name, Err: err}
		if ie.Code == "invalid_client" {
			e.invalidClient++
			if p.BreakerThreshold > 0 && e.invalidClient >= p.BreakerThreshold {
				ue.BreakerOpen = true
				block = max(block, p.BreakerCooldown)
				c.log.Error("circuit breaker open: the identity provider keeps rejecting the client credentials",
					"target", t.Name, "consecutive_invalid_client", e.invalidClient, "cooldown", block)
			}
		} else {
			e.invalidClient = 0
		}
		c.metrics.setBreaker(t.Name, ue.BreakerOpen)
		e.blockedUntil = now.Add(block)
		e.blockErr = ue
		c.log.Warn("token request failed", "target", t.Name, "error", err, "retry_in", block)
		ue2 := *ue
		ue2.RetryAfter = block
		return nil, &ue2
	}
	c.schedule(tok, p)
	if e.invalidClient >= p.BreakerThreshold && p.BreakerThreshold > 0 {
		c.log.Info("circuit breaker closed", "target", t.Name)
	}
	c.metrics.setBreaker(t.Name, false)
	e.tok, e.lastErr, e.blockErr, e.blockedUntil, e.invalidClient = tok, nil, nil, time.Time{}, 0
	c.log.Debug("token obtained", "target", t.Name, "expires_in", tok.Expiry.Sub(tok.Obtained), "cache_ttl", tok.freshUntil.Sub(tok.Obtained))
	return tok, nil
}

// schedule sets the token's expiry (if the IDP sent none), TTL end and
// refresh point: TTL = lifetime − skew, where the default skew is
// max(60s, 10% of the lifetime); skew never exceeds half the lifetime, so a
// short-lived token is still cached for a while.
func (c *tokenCache) schedule(tok *Token, p *CachePolicy) {
	if tok.Expiry.IsZero() {
		tok.Expiry = tok.Obtained.Add(p.DefaultLifetime)
	}
	lifetime := tok.Expiry.Sub(tok.Obtained)
	skew := p.Skew
	if skew == 0 {
		skew = max(time.Minute, lifetime/10)
	}
	skew = min(skew, lifetime/2)
	ttl := lifetime - skew
	if p.MaxTTL > 0 {
		ttl = min(ttl, p.MaxTTL)
	}
	tok.freshUntil = tok.Obtained.Add(ttl)
	frac := p.RefreshAt - p.Jitter*c.rand()
	tok.refreshAt = tok.Obtained.Add(time.Duration(float64(ttl) * max(frac, 0)))
}

// invalidate drops the cached token for t if it is still the given one (an
// upstream rejected it).
func (c *tokenCache) invalidate(t *Target, accessToken string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[t.key]; e != nil && e.tok != nil && e.tok.AccessToken == accessToken {
		e.tok = nil
	}
}

// prune drops entries whose keys are no longer configured.
func (c *tokenCache) prune(keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if !keep[k] {
			delete(c.entries, k)
		}
	}
}

// entryStatus is a snapshot of a cache entry for /healthz.
type entryStatus struct {
	Token       string `json:"token"`                    // none, fresh, stale, expired
	ExpiresIn   int64  `json:"expires_in,omitempty"`     // seconds, if a token is held
	BreakerOpen bool   `json:"breaker_open,omitempty"`   // repeated invalid_client
	LastError   string `json:"last_error,omitempty"`     // the last failed fetch
	RetryIn     int64  `json:"retry_in,omitempty"`       // seconds until the next IDP call is allowed
	InvalidRuns int    `json:"invalid_client,omitempty"` // consecutive invalid_client answers
}

func (c *tokenCache) status(t *Target) entryStatus {
	p := c.policy.Load()
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	st := entryStatus{Token: "none"}
	e := c.entries[t.key]
	if e == nil {
		return st
	}
	if tok := e.tok; tok != nil {
		switch {
		case now.Before(tok.freshUntil):
			st.Token = "fresh"
		case tok.Expiry.Sub(now) >= p.MinValidity:
			st.Token = "stale"
		default:
			st.Token = "expired"
		}
		if now.Before(tok.Expiry) {
			st.ExpiresIn = int64(tok.Expiry.Sub(now) / time.Second)
		}
	}
	if b := e.blocked(now); b != nil {
		st.BreakerOpen = b.BreakerOpen
		st.RetryIn = int64((b.RetryAfter + time.Second - 1) / time.Second)
	}
	if e.lastErr != nil {
		st.LastError = e.lastErr.Error()
	}
	st.InvalidRuns = e.invalidClient
	return st
}
