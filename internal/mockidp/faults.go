package mockidp

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault actions.
const (
	FaultError            = "error"              // Status/Error/Description instead of processing
	FaultRaw              = "raw"                // Status, ContentType and Body verbatim
	FaultMalformed        = "malformed"          // 200 with truncated JSON
	FaultHTML502          = "html502"            // 502 with an HTML proxy page
	FaultEmpty            = "empty"              // 200 with an empty body
	FaultLatency          = "latency"            // delay, then process normally
	FaultReset            = "reset"              // TCP reset, no response (see Fault)
	FaultRateLimit        = "rate-limit"         // 429 with Retry-After
	FaultExpiresInString  = "expires-in-string"  // "expires_in":"3600"
	FaultExpiresInZero    = "expires-in-zero"    // "expires_in":0
	FaultExpiresInMissing = "expires-in-missing" // no expires_in
	FaultNoRefreshToken   = "no-refresh-token"   // refresh answered without refresh_token (no rotation)
	FaultHold             = "hold"               // hold requests until Count have arrived, then release them together
)

var faultActions = []string{FaultError, FaultRaw, FaultMalformed, FaultHTML502, FaultEmpty, FaultLatency, FaultReset,
	FaultRateLimit, FaultExpiresInString, FaultExpiresInZero, FaultExpiresInMissing, FaultNoRefreshToken, FaultHold}

// Fault injects misbehaviour into matching requests.
//
// A reset needs a real connection to drop: when Handler is called without
// an http.Server (an in-memory transport), it panics with
// http.ErrAbortHandler, as net/http itself does to abort a response; such
// callers should recover it and report a transport error.
type Fault struct {
	// ID names the fault in the journal; "" gets one assigned.
	ID string `json:"id,omitempty"`
	// Endpoint is authorize, token, userinfo, introspect, revoke, jwks,
	// discovery or "*" (default token).
	Endpoint  string `json:"endpoint"`
	GrantType string `json:"grant_type,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	// Nth is the first matching call the fault fires on, counting from 1
	// (0 means 1).
	Nth int `json:"nth,omitempty"`
	// Times is how many calls it fires on from there (0 means 1, -1 every
	// call).
	Times  int    `json:"times,omitempty"`
	Action string `json:"action"`
	// Status, Error and Description for error, raw and rate-limit.
	Status      int    `json:"status,omitempty"`
	Error       string `json:"error,omitempty"`
	Description string `json:"description,omitempty"`
	Body        string `json:"body,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Delay for latency. On the virtual clock unless Real, in which case
	// the request really sleeps (capped by Config.MaxRealDelay).
	Delay Duration `json:"delay,omitempty"`
	Real  bool     `json:"real,omitempty"`
	// RetryAfter seconds for rate-limit (default 60, as Entra).
	RetryAfter int `json:"retry_after,omitempty"`
	// Count of requests a hold waits for (default 2).
	Count int `json:"count,omitempty"`
}

type faultState struct {
	Fault
	seen, fired int
	// hold barrier
	holdMu      sync.Mutex
	holdWaiting int
	holdRelease chan struct{}
}

func (f *Fault) normalize() error {
	if f.Endpoint == "" {
		f.Endpoint = "token"
	}
	if err := oneOf("endpoint", f.Endpoint, "*", "authorize", "token", "userinfo", "introspect", "revoke", "jwks", "discovery"); err != nil {
		return err
	}
	if err := oneOf("action", f.Action, faultActions...); err != nil {
		return err
	}
	if f.Nth < 0 || f.Times < -1 {
		return fmt.Errorf("nth must be >= 1 and times >= 1 or -1")
	}
	if f.Nth == 0 {
		f.Nth = 1
	}
	if f.Times == 0 {
		f.Times = 1
		if f.Action == FaultHold {
			f.Times = max(f.Count, 2)
		}
	}
	switch f.Action {
	case FaultError:
		if f.Status == 0 {
			f.Status = 400
		}
		if f.Error == "" {
			f.Error = "invalid_request"
		}
	case FaultRaw:
		if f.Status == 0 {
			f.Status = 200
		}
	case FaultRateLimit:
		if f.RetryAfter == 0 {
			f.RetryAfter = 60
		}
	case FaultLatency:
		if f.Delay <= 0 {
			return fmt.Errorf("latency needs a delay")
		}
	case FaultHold:
		if f.Count == 0 {
			f.Count = 2
		}
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return fmt.Errorf("status %d is not an HTTP status", f.Status)
	}
	return nil
}

// AddFault installs a fault and returns its id.
func (s *Server) AddFault(f Fault) (string, error) {
	if err := f.normalize(); err != nil {
		return "", fmt.Errorf("fault: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID == "" {
		f.ID = s.newID("fault")
	}
	s.faults = append(s.faults, &faultState{Fault: f})
	return f.ID, nil
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// ParseFault builds a Fault from script words: the endpoint, then
// key=value pairs (action=error status=503 error=temporarily_unavailable
// nth=2 times=1 grant_type=refresh_token delay=2s real=true ...). A bare
// word after the endpoint is the action.
func ParseFault(args []string) (Fault, error) {
	var f Fault
	if len(args) == 0 {
		return f, fmt.Errorf("fault: want ENDPOINT [ACTION] [key=value...]")
	}
	f.Endpoint = args[0]
	for _, a := range args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			if f.Action != "" {
				return f, fmt.Errorf("fault: %q: want key=value", a)
			}
			f.Action = a
			continue
		}
		var err error
		atoi := func() int {
			n, e := strconv.Atoi(v)
			if e != nil {
				err = fmt.Errorf("fault: %s=%q is not a number", k, v)
			}
			return n
		}
		switch k {
		case "action":
			f.Action = v
		case "id":
			f.ID = v
		case "grant_type", "grant":
			f.GrantType = v
		case "client_id", "client":
			f.ClientID = v
		case "nth":
			f.Nth = atoi()
		case "times":
			f.Times = atoi()
		case "status":
			f.Status = atoi()
		case "error":
			f.Error = v
		case "description":
			f.Description = v
		case "body":
			f.Body = v
		case "content_type":
			f.ContentType = v
		case "delay":
			var d time.Duration
			d, err = ParseDuration(v)
			f.Delay = Duration(d)
		case "real":
			f.Real = v == "true" || v == "1"
		case "retry_after":
			f.RetryAfter = atoi()
		case "count":
			f.Count = atoi()
		default:
			return f, fmt.Errorf("fault: unknown key %q", k)
		}
		if err != nil {
			return f, err
		}
	}
	return f, f.normalize()
}

// applyFaults runs the faults matching x. It returns true when a fault has
// answered the request (or dropped the connection) and the caller must
// stop.
func (s *Server) applyFaults(x *exchange) bool {
	s.mu.Lock()
	var firing []*faultState
	for _, f := range s.faults {
		if f.Endpoint != "*" && f.Endpoint != x.e.Endpoint ||
			f.GrantType != "" && f.GrantType != x.e.GrantType ||
			f.ClientID != "" && f.ClientID != x.e.ClientID {
			continue
		}
		f.seen++
		if f.seen < f.Nth || f.Times >= 0 && f.fired >= f.Times {
			continue
		}
		f.fired++
		firing = append(firing, f)
	}
	s.mu.Unlock()
	for _, f := range firing {
		if x.e.Fault == "" {
			x.e.Fault = f.ID
		} else {
			x.e.Fault += "," + f.ID
		}
		if s.fire(x, f) {
			return true
		}
	}
	return false
}

// fire applies one fault; true means the response is written.
func (s *Server) fire(x *exchange, f *faultState) bool {
	w := x.w
	switch f.Action {
	case FaultLatency:
		if f.Real {
			d := min(f.Delay.D(), s.cfg.MaxRealDelay.D())
			select {
			case <-time.After(d):
			case <-x.r.Context().Done():
			}
		} else {
			x.now = s.clock.Advance(f.Delay.D())
			x.e.Effects = append(x.e.Effects, "virtual clock advanced by "+f.Delay.String())
		}
		return false
	case FaultHold:
		f.holdMu.Lock()
		if f.holdRelease == nil {
			f.holdRelease = make(chan struct{})
		}
		ch := f.holdRelease
		f.holdWaiting++
		if f.holdWaiting >= f.Count {
			close(ch)
			f.holdRelease, f.holdWaiting = nil, 0
		}
		f.holdMu.Unlock()
		select {
		case <-ch:
		case <-time.After(s.cfg.MaxRealDelay.D()):
			x.e.Warnings = append(x.e.Warnings, fmt.Sprintf("hold %s released by timeout before %d requests arrived", f.ID, f.Count))
		case <-x.r.Context().Done():
		}
		x.now = s.clock.Now()
		return false
	case FaultExpiresInString:
		x.expiresIn = "string"
		return false
	case FaultExpiresInZero:
		x.expiresIn = "zero"
		return false
	case FaultExpiresInMissing:
		x.expiresIn = "missing"
		return false
	case FaultNoRefreshToken:
		x.noRefresh = true
		return false
	case FaultReset:
		x.e.Reason = "fault_reset"
		x.record(0, "fault")
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST instead of FIN
				}
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2 or a test recorder: abort the stream
	}
	var status int
	var body []byte
	ct := "application/json"
	switch f.Action {
	case FaultError:
		status = f.Status
		var j jsonBuf
		j.str("error", f.Error)
		if f.Description != "" {
			j.str("error_description", f.Description)
		}
		body = j.bytes()
	case FaultRaw:
		status, body = f.Status, []byte(f.Body)
		if f.ContentType != "" {
			ct = f.ContentType
		}
	case FaultMalformed:
		status, body = 200, []byte(`{"access_token":"eyJhbGciOi`)
	case FaultHTML502:
		status, ct = 502, "text/html"
		body = []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	case FaultEmpty:
		status = 200
	case FaultRateLimit:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		body = []byte(`{"error":"temporarily_unavailable","error_description":"rate limit exceeded; retry after ` + strconv.Itoa(f.RetryAfter) + ` seconds"}`)
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(body)
	x.e.Reason = "fault_" + f.Action
	x.e.Error = f.Error
	x.record(status, "fault")
	return true
}

// rateWindow counts token requests in one virtual second.
type rateWindow struct {
	sec int64
	n   int
}

// rateLimit enforces the profile's per-second limit per client when
// Config.EnforceRateLimits is set.
func (s *Server) rateLimit(x *exchange) *oauthError {
	lim := s.prof.RateLimit
	if !s.cfg.EnforceRateLimits || lim.PerSecond <= 0 {
		return nil
	}
	// Rate limits are about real throughput: count in wall-clock seconds,
	// whatever the virtual clock says (a frozen clock would otherwise
	// throttle forever).
	sec := s.wallNow().Unix()
	s.mu.Lock()
	w := s.window[x.e.ClientID]
	if w == nil || w.sec != sec {
		w = &rateWindow{sec: sec}
		s.window[x.e.ClientID] = w
	}
	w.n++
	over := w.n > lim.PerSecond
	s.mu.Unlock()
	if !over {
		return nil
	}
	ra := lim.RetryAfter
	if ra == 0 {
		ra = 1
	}
	x.w.Header().Set("Retry-After", strconv.Itoa(ra))
	e := oauthErr("temporarily_unavailable", http.StatusTooManyRequests, "rate_limited", "more than %d token requests per second for client %q (profile %s)", lim.PerSecond, x.e.ClientID, s.prof.Name)
	return e
}
