package host

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/pqxdev/pqx/internal/mockidp"
)

// Route sends requests whose URL starts with Prefix to Target instead: the
// matching prefix is replaced, the rest of the path and the query are kept.
// Prefix is a URL such as "https://sso.example.org/realms/x/protocol/" or an
// origin "https://sso.example.org"; Target must be a loopback URL.
type Route struct {
	Prefix string `json:"prefix"`
	Target string `json:"target"`
	// Name says what serves the target ("idp", "cdr"), for messages.
	Name string `json:"name,omitempty"`
}

// Router is the host's http.RoundTripper. It rewrites requests to the
// connector's real IDP and CDR URLs to the loopback mocks and refuses every
// other non-loopback destination, so that a test never reaches the network
// whatever URL the M code builds.
type Router struct {
	base http.RoundTripper

	mu       sync.Mutex
	routes   []Route // longest prefix first
	captures []Exchange
	capture  func(*http.Request) bool
	// sent is the request record, when on (Record).
	recording bool
	sent      []Sent
	seq       int
}

// Sent is one request the router forwarded, as the M code made it: what a
// test reads to see which credential went where. Secrets are never kept:
// the query is dropped and a credential is shown by its scheme and a
// fingerprint (mockidp.Fingerprint, the one the mock IDP's journal uses
// for the tokens it issues).
type Sent struct {
	Seq    int    `json:"seq"`
	Method string `json:"method"`
	// URL is the URL the connector asked for, without its query.
	URL string `json:"url"`
	// Route names what served it ("idp", "cdr"), or "" for loopback URLs
	// that were not rewritten.
	Route string `json:"route,omitempty"`
	// Auth is the Authorization header's scheme and the fingerprint of its
	// credential ("Bearer #1a2b3c4d"), or "" when none was sent.
	Auth string `json:"auth,omitempty"`
	// Status is the response status; 0 when the request failed.
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}

// maxSent bounds the request record; the oldest half is dropped past it.
const maxSent = 10000

// Exchange is a recorded request and response body, kept for the requests
// the router was asked to capture (token endpoint answers).
type Exchange struct {
	URL    string
	Status int
	Body   []byte
}

// NewRouter returns a router over base (nil means a private
// http.Transport). Every route's target must be a loopback http(s) URL.
func NewRouter(base http.RoundTripper, routes ...Route) (*Router, error) {
	if base == nil {
		base = &http.Transport{
			Proxy:               nil, // a proxy would take loopback traffic elsewhere
			MaxIdleConnsPerHost: 64,
			ForceAttemptHTTP2:   false,
		}
	}
	rt := &Router{base: base}
	for _, r := range routes {
		if err := rt.add(r); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

// Add adds a route to a router that may be in use.
func (rt *Router) Add(r Route) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.add(r)
}

func (rt *Router) add(r Route) error {
	p, err := url.Parse(r.Prefix)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return fmt.Errorf("route %q: prefix is not an absolute URL", r.Prefix)
	}
	t, err := url.Parse(r.Target)
	if err != nil || (t.Scheme != "http" && t.Scheme != "https") || t.Host == "" {
		return fmt.Errorf("route %q: target %q is not an absolute http(s) URL", r.Prefix, r.Target)
	}
	if !isLoopback(t.Hostname()) {
		return fmt.Errorf("route %q: target %s is not a loopback address", r.Prefix, t.Host)
	}
	routes := append(append([]Route(nil), rt.routes...), r)
	sort.SliceStable(routes, func(i, j int) bool { return len(routes[i].Prefix) > len(routes[j].Prefix) })
	rt.routes = routes
	return nil
}

// Routes returns the routes, longest prefix first.
func (rt *Router) Routes() []Route {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]Route(nil), rt.routes...)
}

// Rewrite returns the loopback URL a request to raw is sent to, or an
// error when raw is neither routed nor loopback.
func (rt *Router) Rewrite(raw string) (string, *Route, error) {
	rt.mu.Lock()
	routes := rt.routes
	rt.mu.Unlock()
	for i := range routes {
		r := routes[i]
		if matchPrefix(raw, r.Prefix) {
			return strings.TrimSuffix(r.Target, "/") + raw[len(strings.TrimSuffix(r.Prefix, "/")):], &r, nil
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, err
	}
	if isLoopback(u.Hostname()) {
		return raw, nil, nil
	}
	return "", nil, fmt.Errorf("pqx host refuses %s %s: no route to a mock for %s and nothing may leave loopback (route it to a mock with --route PREFIX=idp|cdr)",
		"request to", redactQuery(raw), u.Scheme+"://"+u.Host)
}

// matchPrefix reports whether raw starts with prefix at a path boundary.
func matchPrefix(raw, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if !strings.HasPrefix(raw, prefix) {
		return false
	}
	rest := raw[len(prefix):]
	return rest == "" || rest[0] == '/' || rest[0] == '?' || rest[0] == '#'
}

// redactQuery drops the query of a URL for messages: it may carry codes.
func redactQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

// CaptureResponses makes the router keep the bodies of responses to
// requests for which keep reports true (see Captured).
func (rt *Router) CaptureResponses(keep func(*http.Request) bool) {
	rt.mu.Lock()
	rt.capture = keep
	rt.mu.Unlock()
}

// Captured returns and forgets the captured exchanges.
func (rt *Router) Captured() []Exchange {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	c := rt.captures
	rt.captures = nil
	return c
}

// Record turns the request record on or off; turning it on clears it.
func (rt *Router) Record(on bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.recording, rt.sent = on, nil
}

// Requests returns the recorded requests, oldest first.
func (rt *Router) Requests() []Sent {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]Sent(nil), rt.sent...)
}

func (rt *Router) record(req *http.Request, route *Route, status int, err error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.recording {
		return
	}
	rt.seq++
	e := Sent{Seq: rt.seq, Method: req.Method, URL: redactQuery(req.URL.String()), Status: status}
	if route != nil {
		e.Route = route.Name
	}
	if scheme, cred, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
		e.Auth = scheme + " " + mockidp.Fingerprint(strings.TrimSpace(cred))
	}
	if err != nil {
		e.Error = err.Error()
	}
	rt.sent = append(rt.sent, e)
	if len(rt.sent) > maxSent {
		rt.sent = append(rt.sent[:0:0], rt.sent[len(rt.sent)-maxSent/2:]...)
	}
}

// RoundTrip implements http.RoundTripper.
func (rt *Router) RoundTrip(req *http.Request) (*http.Response, error) {
	orig := req.URL.String()
	target, route, err := rt.Rewrite(orig)
	if err != nil {
		rt.record(req, nil, 0, err)
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r2 := req
	if target != orig {
		u, err := url.Parse(target)
		if err != nil {
			return nil, err
		}
		r2 = req.Clone(req.Context())
		r2.URL = u
		r2.Host = u.Host
	}
	resp, err := rt.base.RoundTrip(r2)
	if err != nil {
		rt.record(req, route, 0, err)
		return nil, err
	}
	rt.record(req, route, resp.StatusCode, nil)
	rt.mu.Lock()
	keep := rt.capture
	rt.mu.Unlock()
	if keep != nil && keep(req) {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		rt.mu.Lock()
		rt.captures = append(rt.captures, Exchange{URL: redactQuery(orig), Status: resp.StatusCode, Body: body})
		rt.mu.Unlock()
	}
	// Redirects the client follows are judged by their original URL.
	resp.Request = req
	return resp, nil
}

// CloseIdleConnections closes idle connections of the base transport.
func (rt *Router) CloseIdleConnections() {
	if c, ok := rt.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
