package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// proxyInfo travels with a proxied request from serveProxy to the rewrite
// hook and the transport.
type proxyInfo struct {
	target   *Target
	upstream *url.URL
	rest     string // escaped path after the mount
	prefix   string // the mount, "" for a target mounted at /
	external string // scheme://host/mount as the caller sees it

	mu    sync.Mutex
	token *Token
}

func (p *proxyInfo) tok() *Token {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.token
}

type proxyKey struct{}

// serveProxy is proxy mode: authenticate the caller, get a token, and
// forward the request with the caller's credentials replaced by the token.
func (s *Server) serveProxy(w http.ResponseWriter, r *http.Request) {
	info := infoOf(r)
	info.mode = "proxy"
	st := s.state.Load()
	m := st.route(r.URL.EscapedPath())
	caller := s.authenticate(w, r, st, false)
	if caller == nil {
		return
	}
	if m == nil {
		textError(w, http.StatusNotFound, "no target is mounted at this path (proxy paths are /t/{target}/... unless a target sets mount:; token vending is POST /token)", 0)
		return
	}
	t, up := m.target, st.upURL[m.target.Name]
	info.target = t.Name
	if !st.allowed[caller.Name][t.Name] {
		textError(w, http.StatusForbidden, fmt.Sprintf("caller %q may not use target %q", sanitize(caller.Name), t.Name), 0)
		return
	}
	if r.ContentLength > st.limits.MaxBodyBytes {
		textError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", st.limits.MaxBodyBytes), 0)
		return
	}
	tok, out, err := s.cache.get(r.Context(), t)
	info.outcome = out
	if err != nil {
		ue := err.(*UnavailableError)
		textError(w, http.StatusServiceUnavailable, ue.Error(), ue.RetryAfter)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, st.limits.MaxBodyBytes)
	if t.retryOn401() && r.ContentLength > 0 && r.ContentLength <= maxReplayBody {
		// Keep small bodies (an AQL query) so that a request can be
		// replayed with a new token after an upstream 401.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.proxyError(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	pi := &proxyInfo{target: t, upstream: up, token: tok, rest: strings.TrimPrefix(r.URL.EscapedPath(), m.path),
		prefix: m.path, external: scheme + "://" + r.Host + m.path}
	s.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), proxyKey{}, pi)))
}

// rewrite builds the upstream request. httputil.ReverseProxy has already
// removed hop-by-hop headers (Connection and the headers it names,
// Keep-Alive, Proxy-Authorization, Proxy-Authenticate, TE, Trailer,
// Transfer-Encoding, Upgrade) and inbound X-Forwarded-* headers.
func (s *Server) rewrite(pr *httputil.ProxyRequest) {
	pi := pr.In.Context().Value(proxyKey{}).(*proxyInfo)
	up := pi.upstream
	out := pr.Out
	out.URL.Scheme = up.Scheme
	out.URL.Host = up.Host
	joined := strings.TrimSuffix(up.EscapedPath(), "/") + pi.rest
	if joined == "" {
		joined = "/"
	}
	if p, err := url.PathUnescape(joined); err == nil {
		out.URL.Path, out.URL.RawPath = p, joined
	}
	out.URL.RawQuery = pr.In.URL.RawQuery
	out.Host = ""
	// The caller's credentials are for the broker only.
	out.Header.Del("Authorization")
	out.Header.Del("Proxy-Authorization")
	pr.SetXForwarded()
	out.Header.Set("Authorization", "Bearer "+pi.tok().AccessToken)
}

// maxReplayBody is the largest request body kept for a retry after an
// upstream 401; larger bodies stream through and are not retried.
const maxReplayBody = 1 << 20

// bearerTransport retries a request once with a new token when the upstream
// answers 401 to the cached one (the token may have been revoked early), if
// its body can be sent again.
type bearerTransport struct {
	s    *Server
	base http.RoundTripper
}

func (bt *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := bt.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	pi, ok := req.Context().Value(proxyKey{}).(*proxyInfo)
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !ok || !pi.target.retryOn401() || !replayable {
		return resp, nil
	}
	old := pi.tok()
	bt.s.cache.invalidate(pi.target, old.AccessToken)
	tok, _, gerr := bt.s.cache.get(req.Context(), pi.target)
	if gerr != nil || tok.AccessToken == old.AccessToken {
		return resp, nil
	}
	drain(resp.Body)
	pi.mu.Lock()
	pi.token = tok
	pi.mu.Unlock()
	retry := req.Clone(req.Context())
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		retry.Body = body
	}
	retry.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	bt.s.log.Info("upstream rejected the cached token; retried once with a new one", "target", pi.target.Name)
	return bt.base.RoundTrip(retry)
}

// mapLocation rewrites a URL under the upstream base to the same resource
// under the broker; other URLs are returned unchanged.
func (p *proxyInfo) mapLocation(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return v
	}
	base := strings.TrimSuffix(p.upstream.EscapedPath(), "/")
	if u.IsAbs() && (!strings.EqualFold(u.Scheme, p.upstream.Scheme) || !strings.EqualFold(u.Host, p.upstream.Host)) {
		return v
	}
	if !u.IsAbs() && !strings.HasPrefix(v, "/") {
		return v // relative to the request path, which maps already
	}
	rest, ok := strings.CutPrefix(u.EscapedPath(), base)
	if !ok || rest != "" && rest[0] != '/' {
		return v
	}
	out := p.prefix
	if u.IsAbs() {
		out = p.external
	}
	out += rest
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out
}

// modifyResponse turns an upstream 401 into 502: the caller authenticated
// fine with the broker, so passing 401 on would make Power Query ask the
// user for a new password that cannot help.
//
// It also maps Location and Content-Location headers that point into the
// upstream (openEHR answers a POST with the new resource's URL) back into
// the broker's URL space, so that callers never bypass the broker.
func (s *Server) modifyResponse(resp *http.Response) error {
	pi, _ := resp.Request.Context().Value(proxyKey{}).(*proxyInfo)
	if pi != nil {
		for _, h := range []string{"Location", "Content-Location"} {
			if v := resp.Header.Get(h); v != "" {
				resp.Header.Set(h, pi.mapLocation(v))
			}
		}
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return nil
	}
	name := ""
	if pi != nil {
		name = pi.target.Name
	}
	s.log.Warn("upstream rejected the broker's bearer token", "target", name, "status", resp.StatusCode)
	drain(resp.Body)
	msg := "pqx broker: the upstream API rejected the broker's bearer token (HTTP 401); check the target's audience and scopes\n"
	resp.StatusCode = http.StatusBadGateway
	resp.Status = "502 Bad Gateway"
	resp.Header = http.Header{
		"Content-Type":   {"text/plain; charset=utf-8"},
		"Content-Length": {strconv.Itoa(len(msg))},
		"Cache-Control":  {"no-store"},
	}
	resp.ContentLength = int64(len(msg))
	resp.Body = io.NopCloser(strings.NewReader(msg))
	return nil
}

// proxyError answers transport failures: 413 for an oversized body, 504 when
// the request time limit ran out, 502 otherwise.
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	name := ""
	if pi, ok := r.Context().Value(proxyKey{}).(*proxyInfo); ok {
		name = pi.target.Name
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		textError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit), 0)
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("upstream timed out", "target", name)
		textError(w, http.StatusGatewayTimeout, "the upstream API did not answer in time", 0)
	case errors.Is(err, context.Canceled):
		w.WriteHeader(http.StatusBadGateway) // the caller has gone; nobody reads this
	default:
		s.log.Warn("upstream request failed", "target", name, "error", err)
		textError(w, http.StatusBadGateway, "the upstream API is unreachable", 0)
	}
}

// mount is a proxy target's place in the broker's URL space.
type mount struct {
	path   string // without trailing slash; "" for /
	target *Target
}

// route returns the mount of the longest prefix of the escaped path, or nil.
func (st *state) route(path string) *mount {
	for i := range st.mounts {
		m := &st.mounts[i]
		if rest, ok := strings.CutPrefix(path, m.path); ok && (rest == "" || rest[0] == '/') {
			return m
		}
	}
	return nil
}
