package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// fakeClock is a virtual clock moved by Advance.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testIDP is a minimal client_credentials token endpoint for unit tests: it
// checks client authentication and the audience, counts requests, and lets a
// test script each answer.
type testIDP struct {
	*httptest.Server
	t        testing.TB
	clientID string
	secret   string
	style    string // "basic" or "post"
	count    atomic.Int64

	mu      sync.Mutex
	forms   []url.Values
	respond func(n int64, w http.ResponseWriter) bool // true: handled
	expires any                                       // expires_in value in answers
	hold    chan struct{}                             // if set, requests wait on it
}

func newTestIDP(t testing.TB) *testIDP {
	idp := &testIDP{t: t, clientID: "broker-client", secret: "s3cr3t-client-value", style: "basic", expires: 300}
	idp.Server = httptest.NewServer(http.HandlerFunc(idp.serve))
	t.Cleanup(idp.Close)
	return idp
}

func (idp *testIDP) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	n := idp.count.Add(1)
	r.ParseForm()
	idp.mu.Lock()
	idp.forms = append(idp.forms, r.PostForm)
	respond, hold, expires := idp.respond, idp.hold, idp.expires
	idp.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if respond != nil && respond(n, w) {
		return
	}
	var id, secret string
	if idp.style == "basic" {
		u, p, ok := r.BasicAuth()
		if ok {
			id, _ = url.QueryUnescape(u)
			secret, _ = url.QueryUnescape(p)
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != idp.clientID || secret != idp.secret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client","error_description":"bad client credentials"}`)
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("audience") == "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_request"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("at-%d-%s", n, r.PostForm.Get("audience")),
		"token_type":   "Bearer",
		"expires_in":   expires,
	})
}

// set changes the IDP behaviour under its lock.
func (idp *testIDP) set(f func(idp *testIDP)) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	f(idp)
}

// failWith makes the IDP answer every request with status and body.
func (idp *testIDP) failWith(status int, body string, header ...string) {
	idp.set(func(idp *testIDP) {
		idp.respond = func(_ int64, w http.ResponseWriter) bool {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
			return true
		}
	})
}

// heal restores normal answers.
func (idp *testIDP) heal() { idp.set(func(idp *testIDP) { idp.respond = nil }) }

// testPassword is every test caller's password; its bcrypt hash uses the
// minimum cost to keep tests fast.
const testPassword = "correct horse battery staple"

var testHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// env describes a test broker configuration.
type env struct {
	TokenURL  string
	Upstream  string
	Hash      string
	AuthStyle string
	Extra     string // appended YAML (cache:, limits:)
	Dir       string
}

const configTmpl = `listeners:
  - addr: 127.0.0.1:0
targets:
  - name: cdr
    upstream: {{.Upstream}}
    profile: auth0
    token_url: {{.TokenURL}}
    client_id: broker-client
    client_secret: {file: secret.txt}
    auth_style: {{.AuthStyle}}
    audience: https://cdr.example/api
    allow_insecure_http: true
  - name: vend
    profile: auth0
    token_url: {{.TokenURL}}
    client_id: broker-client
    client_secret: {file: secret.txt}
    auth_style: {{.AuthStyle}}
    audience: https://other.example/api
    allow_insecure_http: true
callers:
  - name: powerbi
    password_hash: "{{.Hash}}"
    targets: [cdr, vend]
  - name: narrow
    password_hash: "{{.Hash}}"
    targets: [vend]
{{.Extra}}
`

// writeConfig writes a configuration and the client secret into dir and
// returns the configuration path.
func writeConfig(t testing.TB, e env, secret string) string {
	t.Helper()
	if e.Dir == "" {
		e.Dir = t.TempDir()
	}
	if e.Hash == "" {
		e.Hash = testHash
	}
	if e.AuthStyle == "" {
		e.AuthStyle = "basic"
	}
	if e.Upstream == "" {
		e.Upstream = "http://127.0.0.1:9/"
	}
	var b bytes.Buffer
	template.Must(template.New("").Parse(configTmpl)).Execute(&b, e)
	if err := os.WriteFile(filepath.Join(e.Dir, "secret.txt"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.Dir, "broker.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// harness is a broker in an httptest server with a test IDP, a fake CDR,
// a virtual clock and captured logs.
type harness struct {
	t      testing.TB
	idp    *testIDP
	cdr    *httptest.Server
	cdrN   atomic.Int64
	clock  *fakeClock
	srv    *Server
	url    string
	logBuf *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newHarness starts a broker whose cdr target proxies to cdrHandler (nil: a
// handler that requires the bearer token and echoes the request).
func newHarness(t testing.TB, extra string, cdrHandler http.HandlerFunc) *harness {
	t.Helper()
	h := &harness{t: t, idp: newTestIDP(t), clock: newFakeClock(), logBuf: &syncBuffer{}}
	if cdrHandler == nil {
		cdrHandler = echoCDR
	}
	h.cdr = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.cdrN.Add(1)
		cdrHandler(w, r)
	}))
	t.Cleanup(h.cdr.Close)
	path := writeConfig(t, env{TokenURL: h.idp.URL + "/token", Upstream: h.cdr.URL + "/ehrbase/rest", Extra: extra}, h.idp.secret)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h.srv, err = New(cfg, Options{
		Clock:  h.clock,
		Logger: NewLogger(h.logBuf, "json", "debug"),
		Rand:   func() float64 { return 0.5 },
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close)
	t.Cleanup(h.srv.Close)
	h.url = ts.URL
	return h
}

// echoCDR requires a bearer token and answers with what it received.
func echoCDR(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer at-") {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	hdr := map[string]string{}
	for k := range r.Header {
		hdr[k] = r.Header.Get(k)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"path": r.URL.EscapedPath(), "query": r.URL.RawQuery, "auth": auth, "headers": hdr, "body": string(body), "host": r.Host,
	})
}

// do sends a request to the broker with Basic credentials (none if user is
// empty).
func (h *harness) do(method, path, user, pass string, body io.Reader, hdr ...string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// token calls POST /token and decodes the answer.
func (h *harness) token(target string) (int, map[string]any, http.Header) {
	h.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if target != "" {
		form.Set("target", target)
	}
	resp := h.do("POST", "/token", "powerbi", testPassword, strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

// getToken asks the cache directly, bypassing HTTP.
func (h *harness) getToken(target string) (*Token, outcome, error) {
	return h.srv.cache.get(context.Background(), h.srv.state.Load().targets[target])
}

func readAll(t testing.TB, r io.ReadCloser) string {
	t.Helper()
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
