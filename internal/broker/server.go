package broker

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Options are the host hooks of a Server; zero values mean production
// defaults.
type Options struct {
	// Clock supplies the time for expiry, back-off, breaker and lockout
	// decisions (default: the system clock).
	Clock Clock
	// Logger receives structured logs (default: none; Run uses a redacting
	// logger on stderr with the configuration's log settings).
	Logger *slog.Logger
	// IDPClient sends token requests (default: a client with its own
	// transport and no cookie jar; per-request timeouts come from targets).
	IDPClient *http.Client
	// UpstreamTransport carries proxied requests (default: a clone of
	// http.DefaultTransport).
	UpstreamTransport http.RoundTripper
	// Rand returns numbers in [0,1) for refresh jitter (default: math/rand).
	Rand func() float64
}

// Server is the broker's HTTP handler. It serves:
//
//	GET  /healthz          health, IDP reachability and cache state (no auth)
//	GET  /metrics          Prometheus metrics (no auth)
//	POST /token            token vending (caller Basic auth)
//	ANY  /t/{target}/...   proxy to the target's upstream (caller Basic auth);
//	                       a target's mount: setting moves it elsewhere
//
// Reload swaps its configuration atomically; requests in flight finish with
// the configuration they started with.
type Server struct {
	clock   Clock
	log     *slog.Logger
	cache   *tokenCache
	guard   *guard
	metrics *metrics
	probe   *probe
	proxy   *httputil.ReverseProxy
	mux     *http.ServeMux
	state   atomic.Pointer[state]
}

// state is one loaded configuration with its lookup tables.
type state struct {
	cfg     *Config
	limits  Limits
	callers map[string]*Caller
	targets map[string]*Target
	allowed map[string]map[string]bool // caller → target names
	certs   []*tls.Certificate         // by listener index; nil for plain
	upURL   map[string]*url.URL        // target → parsed upstream
	mounts  []mount                    // proxy targets, longest path first
}

// New returns a Server for cfg.
func New(cfg *Config, opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.IDPClient == nil {
		opts.IDPClient = newIDPClient()
	}
	if opts.UpstreamTransport == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		opts.UpstreamTransport = tr
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	s := &Server{
		clock:   opts.Clock,
		log:     opts.Logger,
		metrics: newMetrics(),
		guard:   newGuard(opts.Clock),
		probe:   newProbe(),
	}
	s.cache = &tokenCache{
		clock:   opts.Clock,
		client:  opts.IDPClient,
		metrics: s.metrics,
		log:     opts.Logger,
		rand:    opts.Rand,
		entries: map[string]*entry{},
	}
	s.proxy = &httputil.ReverseProxy{
		Rewrite:        s.rewrite,
		Transport:      &bearerTransport{s: s, base: opts.UpstreamTransport},
		ModifyResponse: s.modifyResponse,
		ErrorHandler:   s.proxyError,
		ErrorLog:       slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("POST /token", s.serveToken)
	s.mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST", 0)
	})
	s.mux.HandleFunc("/", s.serveProxy)
	if err := s.Reload(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload replaces the configuration. Cached tokens of targets whose token
// request is unchanged are kept; lockouts and rate-limit buckets are kept for
// callers that remain. Requests in flight are not disturbed.
func (s *Server) Reload(cfg *Config) error {
	st := &state{
		cfg:     cfg,
		limits:  cfg.Limits.withDefaults(),
		callers: map[string]*Caller{},
		targets: map[string]*Target{},
		allowed: map[string]map[string]bool{},
		upURL:   map[string]*url.URL{},
	}
	keys := map[string]bool{}
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		st.targets[t.Name] = t
		keys[t.key] = true
		if t.Upstream != "" {
			u, err := url.Parse(t.Upstream)
			if err != nil {
				return fmt.Errorf("target %s: %v", t.Name, err)
			}
			st.upURL[t.Name] = u
			st.mounts = append(st.mounts, mount{path: strings.TrimSuffix(t.mountPath(), "/"), target: t})
		}
	}
	sort.Slice(st.mounts, func(i, j int) bool { return len(st.mounts[i].path) > len(st.mounts[j].path) })
	callers := map[string]bool{}
	for i := range cfg.Callers {
		c := &cfg.Callers[i]
		st.callers[c.Name] = c
		callers[c.Name] = true
		st.allowed[c.Name] = map[string]bool{}
		for _, tn := range c.Targets {
			st.allowed[c.Name][tn] = true
		}
	}
	for _, l := range cfg.Listeners {
		var cert *tls.Certificate
		if l.TLS != nil {
			c, err := tls.LoadX509KeyPair(l.TLS.Cert, l.TLS.Key)
			if err != nil {
				return fmt.Errorf("listener %s: %v", l.Addr, err)
			}
			cert = &c
		}
		st.certs = append(st.certs, cert)
	}
	p := cfg.Cache.withDefaults()
	s.cache.policy.Store(&p)
	s.state.Store(st)
	s.cache.prune(keys)
	s.guard.forget(callers)
	return nil
}

// Config returns the configuration in use.
func (s *Server) Config() *Config { return s.state.Load().cfg }

// Close waits for background token refreshes to finish.
func (s *Server) Close() { s.cache.bg.Wait() }

// reqInfo collects what the access log reports about a request.
type reqInfo struct {
	mode    string
	caller  string
	target  string
	outcome outcome
}

type reqInfoKey struct{}

// ServeHTTP applies the request time limit, serves r and writes one access
// log line (method, path without query, caller, target, status, duration;
// never credentials).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := s.state.Load()
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), st.limits.RequestTimeout)
	defer cancel()
	info := &reqInfo{mode: "other"}
	ctx = context.WithValue(ctx, reqInfoKey{}, info)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r.WithContext(ctx))
	s.metrics.requests.WithLabelValues(info.mode, strconv.Itoa(rec.status)).Inc()
	if info.mode == "other" {
		return // health checks and scrapes are not worth a log line each
	}
	level := slog.LevelInfo
	if rec.status >= 500 {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(ctx, level, "request",
		slog.String("mode", info.mode), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("caller", info.caller), slog.String("target", info.target), slog.String("cache", string(info.outcome)),
		slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
}

func infoOf(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// statusRecorder remembers the response status for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// realm is the Basic realm announced on 401.
const realm = `Basic realm="pqx broker", charset="UTF-8"`

// authenticate checks the caller's Basic credentials, lockout and rate
// limit. On failure it writes the response and returns nil.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, st *state, oauth bool) *Caller {
	fail := func(status int, reason, msg string, wait time.Duration) *Caller {
		s.metrics.authFailures.WithLabelValues(reason).Inc()
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", realm)
		}
		code := "invalid_client"
		if status != http.StatusUnauthorized {
			code = "temporarily_unavailable"
		}
		if oauth {
			writeOAuthError(w, status, code, msg, wait)
		} else {
			textError(w, status, msg, wait)
		}
		return nil
	}
	name, password, ok := r.BasicAuth()
	if !ok {
		return fail(http.StatusUnauthorized, "missing", "caller authentication required (HTTP Basic)", 0)
	}
	infoOf(r).caller = sanitize(name)
	caller := st.callers[name]
	res, wait := s.guard.authenticate(name, password, caller, &st.limits)
	switch res {
	case authLocked:
		s.log.Warn("caller locked out after repeated failed logins", "caller", sanitize(name), "for", wait.Round(time.Second))
		return fail(http.StatusTooManyRequests, "locked_out", "too many failed logins; try again later", wait)
	case authBusy:
		s.log.Warn("password verification queue full; is someone guessing passwords?")
		return fail(http.StatusServiceUnavailable, "busy", "too many logins in progress; try again", wait)
	case authBadCredentials:
		reason := "bad_password"
		if caller == nil {
			reason = "unknown_caller"
		}
		return fail(http.StatusUnauthorized, reason, "invalid caller credentials", 0)
	}
	rate, burst := st.limits.CallerRate, st.limits.CallerBurst
	if caller.RateLimit > 0 {
		rate = caller.RateLimit
	}
	if caller.Burst > 0 {
		burst = caller.Burst
	}
	if ok, wait := s.guard.allow(name, rate, burst); !ok {
		return fail(http.StatusTooManyRequests, "rate_limited", "caller rate limit exceeded", wait)
	}
	return caller
}

// serveToken is token-vending mode: RFC 6749 §5.1 JSON for the caller's
// target, expires_in being the token's remaining lifetime.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	info := infoOf(r)
	info.mode = "token"
	st := s.state.Load()
	caller := s.authenticate(w, r, st, true)
	if caller == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form body", 0)
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "" && gt != "client_credentials" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported", 0)
		return
	}
	name := r.PostForm.Get("target")
	if name == "" {
		if len(caller.Targets) != 1 {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request",
				"target is required; this caller may use: "+strings.Join(caller.Targets, ", "), 0)
			return
		}
		name = caller.Targets[0]
	}
	info.target = sanitize(name)
	t := st.targets[name]
	if t == nil || !st.allowed[caller.Name][name] {
		writeOAuthError(w, http.StatusBadRequest, "invalid_target", fmt.Sprintf("target %q is unknown or not allowed for this caller", sanitize(name)), 0)
		return
	}
	tok, out, err := s.cache.get(r.Context(), t)
	info.outcome = out
	if err != nil {
		ue := err.(*UnavailableError)
		writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", ue.Error(), ue.RetryAfter)
		return
	}
	remaining := int64(tok.Expiry.Sub(s.clock.Now()) / time.Second)
	body := tokenResponse{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: max(remaining, 0), Scope: tok.Scope}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	json.NewEncoder(w).Encode(body)
}

// tokenResponse is the RFC 6749 §5.1 success body.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// writeOAuthError writes an RFC 6749 §5.2 error body.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string, retryAfter time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	setRetryAfter(h, retryAfter)
	w.WriteHeader(status)
	// error_description allows %x20-21 / %x23-5B / %x5D-7E only.
	desc = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '\''
		}
		return r
	}, desc)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// textError writes a plain-text error, for proxy mode.
func textError(w http.ResponseWriter, status int, msg string, retryAfter time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	setRetryAfter(h, retryAfter)
	w.WriteHeader(status)
	fmt.Fprintf(w, "pqx broker: %s\n", msg)
}

func setRetryAfter(h http.Header, d time.Duration) {
	if d > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	}
}

// serveHealth reports per-target IDP reachability and cache state. It
// answers 503 when an IDP is unreachable or a breaker is open.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	st := s.state.Load()
	type targetHealth struct {
		IDP   string      `json:"idp"`
		Cache entryStatus `json:"cache"`
	}
	resp := struct {
		Status  string                  `json:"status"`
		Targets map[string]targetHealth `json:"targets"`
	}{Status: "ok", Targets: map[string]targetHealth{}}
	names := make([]string, 0, len(st.targets))
	for n := range st.targets {
		names = append(names, n)
	}
	sort.Strings(names)
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = st.targets[n].TokenURL
	}
	reach := s.probe.checkAll(r.Context(), urls)
	for i, n := range names {
		th := targetHealth{IDP: "reachable", Cache: s.cache.status(st.targets[n])}
		if err := reach[i]; err != nil {
			th.IDP = "unreachable: " + err.Error()
			resp.Status = "degraded"
		}
		if th.Cache.BreakerOpen {
			resp.Status = "degraded"
		}
		resp.Targets[n] = th
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if resp.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(resp)
}

// drain drains and closes a response body.
func drain(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}
