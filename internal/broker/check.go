package broker

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// TargetCheck is the result of one test token request for a target. It
// never contains the token.
type TargetCheck struct {
	Target    string  `json:"target"`
	OK        bool    `json:"ok"`
	ExpiresIn int64   `json:"expires_in,omitempty"` // seconds, as issued
	Scope     string  `json:"scope,omitempty"`
	Error     string  `json:"error,omitempty"`
	Seconds   float64 `json:"seconds"` // duration of the request
}

// CheckTargets requests one token per target, concurrently, exactly as the
// broker would (same parameters, auth style, timeout), so that an operator
// can verify secrets and audiences before serving. A nil client means the
// broker's own default, which follows no redirects.
func CheckTargets(ctx context.Context, cfg *Config, client *http.Client) []TargetCheck {
	if client == nil {
		client = newIDPClient()
	}
	res := make([]TargetCheck, len(cfg.Targets))
	var wg sync.WaitGroup
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, t.Timeout)
			defer cancel()
			start := time.Now()
			tok, err := fetchToken(ctx, client, t, time.Now)
			r := TargetCheck{Target: t.Name, Seconds: time.Since(start).Seconds()}
			if err != nil {
				r.Error = err.Error()
			} else {
				r.OK = true
				r.Scope = tok.Scope
				if !tok.Expiry.IsZero() {
					r.ExpiresIn = int64(tok.Expiry.Sub(tok.Obtained) / time.Second)
				}
			}
			res[i] = r
		}()
	}
	wg.Wait()
	return res
}
