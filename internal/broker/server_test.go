package broker

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

func TestVending(t *testing.T) {
	h := newHarness(t, "", nil)
	code, body, hdr := h.token("vend")
	if code != 200 {
		t.Fatalf("status %d %v", code, body)
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != 300.0 || !strings.HasPrefix(body["access_token"].(string), "at-1-https://other.example/api") {
		t.Errorf("body %v", body)
	}
	if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Pragma") != "no-cache" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", hdr)
	}
	// expires_in is the remaining lifetime.
	h.clock.Advance(100*time.Second + 300*time.Millisecond)
	if _, body, _ := h.token("vend"); body["expires_in"] != 199.0 {
		t.Errorf("after 100.3s: expires_in %v, want 199", body["expires_in"])
	}
	// Targets are separate cache keys (different audiences).
	if _, body, _ := h.token("cdr"); !strings.Contains(body["access_token"].(string), "cdr.example") {
		t.Errorf("cdr token %v", body)
	}
	if n := h.idp.count.Load(); n != 2 {
		t.Errorf("IDP got %d requests, want 2", n)
	}
	form := h.idp.forms[0]
	if form.Get("audience") != "https://other.example/api" || form.Get("client_secret") != "" {
		t.Errorf("token request form %v", form)
	}
}

func TestVendingErrors(t *testing.T) {
	h := newHarness(t, "", nil)
	post := func(user, pass, form string) (int, map[string]any, http.Header) {
		resp := h.do("POST", "/token", user, pass, strings.NewReader(form), "Content-Type", "application/x-www-form-urlencoded")
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, resp.Header
	}
	for _, tc := range []struct {
		name, user, pass, form string
		status                 int
		code                   string
	}{
		{"no credentials", "", "", "target=cdr", 401, "invalid_client"},
		{"wrong password", "powerbi", "nope", "target=cdr", 401, "invalid_client"},
		{"unknown caller", "mallory", testPassword, "target=cdr", 401, "invalid_client"},
		{"forbidden target", "narrow", testPassword, "target=cdr", 400, "invalid_target"},
		{"unknown target", "powerbi", testPassword, "target=nope", 400, "invalid_target"},
		{"ambiguous target", "powerbi", testPassword, "", 400, "invalid_request"},
		{"wrong grant", "powerbi", testPassword, "grant_type=password&target=cdr", 400, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, hdr := post(tc.user, tc.pass, tc.form)
			if code != tc.status || body["error"] != tc.code {
				t.Fatalf("got %d %v, want %d %s", code, body, tc.status, tc.code)
			}
			if code == 401 && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic realm=") {
				t.Errorf("401 without WWW-Authenticate: %v", hdr)
			}
		})
	}
	// A caller with one target may omit it.
	if code, body, _ := post("narrow", testPassword, ""); code != 200 || body["access_token"] == nil {
		t.Errorf("implicit target: %d %v", code, body)
	}
	resp := h.do("GET", "/token", "powerbi", testPassword, nil)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /token: %d", resp.StatusCode)
	}
	resp.Body.Close()
	if n := h.idp.count.Load(); n != 1 {
		t.Errorf("IDP got %d requests, want 1", n)
	}
}

func TestLockoutAndRateLimit(t *testing.T) {
	h := newHarness(t, "limits:\n  lockout_after: 3\n  lockout_for: 1m\n  caller_rate: 2\n  caller_burst: 3\n", nil)
	for i := range 3 {
		resp := h.do("GET", "/t/cdr/x", "powerbi", "wrong", nil)
		resp.Body.Close()
		want := 401
		if i == 2 {
			want = 429
		}
		if resp.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	// Locked: even the right password is refused until the lockout ends.
	resp := h.do("GET", "/t/cdr/x", "powerbi", testPassword, nil)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("locked: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	h.clock.Advance(61 * time.Second)
	// Burst 3, then the rate limit.
	for i := range 4 {
		resp := h.do("GET", "/t/cdr/x", "powerbi", testPassword, nil)
		resp.Body.Close()
		want := 200
		if i == 3 {
			want = 429
		}
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	h.clock.Advance(time.Second) // refills 2 tokens
	resp = h.do("GET", "/t/cdr/x", "powerbi", testPassword, nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after refill: %d", resp.StatusCode)
	}
	metrics := readAll(t, h.do("GET", "/metrics", "", "", nil).Body)
	for _, want := range []string{
		`pqx_broker_caller_auth_failures_total{reason="bad_password"} 2`,
		`pqx_broker_caller_auth_failures_total{reason="locked_out"} 2`,
		`pqx_broker_caller_auth_failures_total{reason="rate_limited"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestArgon2idCaller(t *testing.T) {
	hash, err := HashPassword([]byte("pa:ss wörd"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "", nil)
	path := writeConfig(t, env{TokenURL: h.idp.URL + "/token", Upstream: h.cdr.URL, Hash: hash}, h.idp.secret)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	for range 3 { // the second and third use the verified-credential cache
		resp := h.do("GET", "/t/cdr/x", "powerbi", "pa:ss wörd", nil)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("argon2id caller: %d", resp.StatusCode)
		}
	}
	resp := h.do("GET", "/t/cdr/x", "powerbi", "pa:ss word", nil)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong argon2id password: %d", resp.StatusCode)
	}
}

// Proxy mode end to end: Basic caller → broker → IDP (client_credentials
// with audience) → CDR that checks the bearer token.
func TestProxyEndToEnd(t *testing.T) {
	h := newHarness(t, "", nil)
	resp := h.do("POST", "/t/cdr/v1/query/aql?format=json&x=%2F", "powerbi", testPassword,
		strings.NewReader(`{"q":"SELECT c FROM COMPOSITION c"}`),
		"Content-Type", "application/json",
		"Connection", "X-Hop",
		"X-Hop", "must not pass",
		"Proxy-Authorization", "Basic c2VjcmV0",
		"Keep-Alive", "timeout=5",
		"X-Custom", "passes")
	body := readAll(t, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Path, Query, Auth, Body, Host string
		Headers                       map[string]string
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Path != "/ehrbase/rest/v1/query/aql" || got.Query != "format=json&x=%2F" {
		t.Errorf("upstream path %q query %q", got.Path, got.Query)
	}
	if got.Auth != "Bearer at-1-https://cdr.example/api" {
		t.Errorf("upstream Authorization %q", got.Auth)
	}
	if got.Body != `{"q":"SELECT c FROM COMPOSITION c"}` {
		t.Errorf("body %q", got.Body)
	}
	u, _ := url.Parse(h.cdr.URL)
	if got.Host != u.Host {
		t.Errorf("Host %q, want %q", got.Host, u.Host)
	}
	for _, k := range []string{"X-Hop", "Proxy-Authorization", "Keep-Alive"} {
		if v, ok := got.Headers[k]; ok {
			t.Errorf("hop-by-hop header %s=%q reached the upstream", k, v)
		}
	}
	if got.Headers["X-Custom"] != "passes" || got.Headers["X-Forwarded-For"] == "" {
		t.Errorf("headers %v", got.Headers)
	}
	for _, v := range got.Headers {
		if strings.Contains(v, "Basic") || strings.Contains(v, testPassword) {
			t.Errorf("caller credentials reached the upstream: %q", v)
		}
	}
	// Escaped path segments survive.
	resp = h.do("GET", "/t/cdr/ehr/a%2Fb/c", "powerbi", testPassword, nil)
	json.Unmarshal([]byte(readAll(t, resp.Body)), &got)
	if got.Path != "/ehrbase/rest/ehr/a%2Fb/c" {
		t.Errorf("escaped path %q", got.Path)
	}
	if n := h.idp.count.Load(); n != 1 {
		t.Errorf("IDP got %d requests, want 1", n)
	}
}

// A wrong caller password yields 401 and nothing is sent upstream or to
// the IDP.
func TestProxyRejectsWrongPassword(t *testing.T) {
	h := newHarness(t, "", nil)
	for _, tc := range []struct{ user, pass string }{{"powerbi", "wrong"}, {"", ""}, {"nobody", testPassword}} {
		resp := h.do("GET", "/t/cdr/ehr", tc.user, tc.pass, nil)
		body := readAll(t, resp.Body)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: %d %s", tc.user, resp.StatusCode, body)
		}
	}
	resp := h.do("GET", "/t/cdr/ehr", "narrow", testPassword, nil) // not allowed
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("forbidden target: %d", resp.StatusCode)
	}
	for _, p := range []string{"/t/vend/ehr", "/t/nope/ehr", "/elsewhere"} { // vending only, unknown
		resp = h.do("GET", p, "powerbi", testPassword, nil)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
		resp = h.do("GET", p, "", "", nil) // no answer about paths without credentials
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s without credentials: %d, want 401", p, resp.StatusCode)
		}
	}
	if h.cdrN.Load() != 0 || h.idp.count.Load() != 0 {
		t.Fatalf("upstream got %d, IDP got %d requests; want none", h.cdrN.Load(), h.idp.count.Load())
	}
}

// An upstream 401 makes the broker fetch a new token and retry once; a
// second 401 becomes 502 so Power Query does not blame the caller's password.
func TestProxyUpstream401(t *testing.T) {
	revoked := map[string]bool{"Bearer at-1-https://cdr.example/api": true}
	always := false
	h := newHarness(t, "", func(w http.ResponseWriter, r *http.Request) {
		if always || revoked[r.Header.Get("Authorization")] {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		echoCDR(w, r)
	})
	resp := h.do("GET", "/t/cdr/ehr", "powerbi", testPassword, nil)
	body := readAll(t, resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(body, "at-2-") {
		t.Fatalf("after retry: %d %s", resp.StatusCode, body)
	}
	if h.idp.count.Load() != 2 || h.cdrN.Load() != 2 {
		t.Fatalf("IDP %d, CDR %d requests; want 2, 2", h.idp.count.Load(), h.cdrN.Load())
	}
	always = true
	resp = h.do("GET", "/t/cdr/ehr", "powerbi", testPassword, nil)
	body = readAll(t, resp.Body)
	if resp.StatusCode != 502 || resp.Header.Get("WWW-Authenticate") != "" || !strings.Contains(body, "rejected the broker's bearer token") {
		t.Fatalf("persistent 401: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// A small body is replayed with the new token.
	always = false
	revoked["Bearer at-3-https://cdr.example/api"] = true
	resp = h.do("POST", "/t/cdr/query/aql", "powerbi", testPassword, strings.NewReader(`{"q":"SELECT 1"}`))
	body = readAll(t, resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(body, `"body":"{\"q\":\"SELECT 1\"}"`) || !strings.Contains(body, "at-4-") {
		t.Fatalf("POST retried: %d %s", resp.StatusCode, body)
	}
	// A streamed body (no Content-Length) is not replayed.
	revoked["Bearer at-4-https://cdr.example/api"] = true
	n := h.cdrN.Load()
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte("{}")); pw.Close() }()
	resp = h.do("POST", "/t/cdr/ehr", "powerbi", testPassword, pr)
	resp.Body.Close()
	if resp.StatusCode != 502 || h.cdrN.Load() != n+1 {
		t.Fatalf("streamed POST: %d, %d upstream requests", resp.StatusCode, h.cdrN.Load()-n)
	}
}

// Targets can be mounted anywhere; the longest mount wins and the broker's
// own endpoints stay reachable.
func TestProxyMounts(t *testing.T) {
	h := newHarness(t, "", nil)
	dir := t.TempDir()
	path := writeConfig(t, env{Dir: dir, TokenURL: h.idp.URL + "/token", Upstream: h.cdr.URL + "/ehrbase/rest"}, h.idp.secret)
	data, _ := os.ReadFile(path)
	cfgText := strings.Replace(string(data), "    upstream: "+h.cdr.URL+"/ehrbase/rest\n",
		"    upstream: "+h.cdr.URL+"/ehrbase/rest\n    mount: /code24\n", 1)
	cfgText = strings.Replace(cfgText, "  - name: vend\n", "  - name: root\n    upstream: "+h.cdr.URL+"/root\n    mount: /\n"+
		"    profile: auth0\n    token_url: "+h.idp.URL+"/token\n    client_id: broker-client\n    client_secret: {file: secret.txt}\n"+
		"    auth_style: basic\n    audience: https://root.example/api\n    allow_insecure_http: true\n  - name: vend\n", 1)
	cfgText = strings.Replace(cfgText, "targets: [cdr, vend]", "targets: [cdr, vend, root]", 1)
	cfg, err := Parse(path, []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, upstream string }{
		{"/code24/openehr/v1/ehr", "/ehrbase/rest/openehr/v1/ehr"},
		{"/code24", "/ehrbase/rest"},
		{"/code245/x", "/root/code245/x"},
		{"/t/cdr/x", "/root/t/cdr/x"},
		{"/anything", "/root/anything"},
	} {
		resp := h.do("GET", tc.path, "powerbi", testPassword, nil)
		var got struct{ Path string }
		json.Unmarshal([]byte(readAll(t, resp.Body)), &got)
		if resp.StatusCode != 200 || got.Path != tc.upstream {
			t.Errorf("%s: %d upstream path %q, want %q", tc.path, resp.StatusCode, got.Path, tc.upstream)
		}
	}
	if code, body, _ := h.token("vend"); code != 200 {
		t.Errorf("/token with a root mount: %d %v", code, body)
	}
	resp := h.do("GET", "/healthz", "", "", nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz with a root mount: %d", resp.StatusCode)
	}
	for _, tc := range []struct{ mount, want string }{
		{"/token", "overlaps the broker's own"},
		{"/metrics/x", "overlaps the broker's own"},
		{"relative", "clean absolute path"},
		{"/a/../b", "clean absolute path"},
		{"/t/vend", `target "vend" is mounted at "/t/vend" like target "cdr"`},
	} {
		bad := strings.Replace(string(data), "    upstream: "+h.cdr.URL+"/ehrbase/rest\n",
			"    upstream: "+h.cdr.URL+"/ehrbase/rest\n    mount: "+tc.mount+"\n", 1)
		bad = strings.Replace(bad, "  - name: vend\n", "  - name: vend\n    upstream: "+h.cdr.URL+"\n", 1)
		if _, err := Parse(path, []byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("mount %q: %v, want %q", tc.mount, err, tc.want)
		}
	}
}

// Location headers into the upstream are mapped back under the broker.
func TestProxyLocation(t *testing.T) {
	var cdrURL string
	h := newHarness(t, "", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ehrbase/rest/ehr":
			w.Header().Set("Location", cdrURL+"/ehrbase/rest/ehr/7d44?x=1")
			w.Header().Set("Content-Location", "/ehrbase/rest/ehr/7d44")
			w.WriteHeader(201)
		case "/ehrbase/rest/elsewhere":
			w.Header().Set("Location", "https://other.example/ehrbase/rest/x")
			w.WriteHeader(302)
		case "/ehrbase/rest/sibling":
			w.Header().Set("Location", "/ehrbase/restless")
			w.WriteHeader(302)
		}
	})
	cdrURL = h.cdr.URL
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ method, path, header, want string }{
		{"POST", "/t/cdr/ehr", "Location", h.url + "/t/cdr/ehr/7d44?x=1"},
		{"POST", "/t/cdr/ehr", "Content-Location", "/t/cdr/ehr/7d44"},
		{"GET", "/t/cdr/elsewhere", "Location", "https://other.example/ehrbase/rest/x"},
		{"GET", "/t/cdr/sibling", "Location", "/ehrbase/restless"},
	} {
		req, _ := http.NewRequest(tc.method, h.url+tc.path, nil)
		req.SetBasicAuth("powerbi", testPassword)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get(tc.header); got != tc.want {
			t.Errorf("%s %s: %s %q, want %q", tc.method, tc.path, tc.header, got, tc.want)
		}
	}
}

func TestProxyLimits(t *testing.T) {
	slow := make(chan struct{})
	h := newHarness(t, "limits:\n  max_body_bytes: 1000\n  request_timeout: 200ms\n", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ehrbase/rest/slow" {
			select {
			case <-slow:
			case <-r.Context().Done():
			}
			return
		}
		io.Copy(io.Discard, r.Body)
		echoCDR(w, r)
	})
	defer close(slow)
	resp := h.do("POST", "/t/cdr/x", "powerbi", testPassword, strings.NewReader(strings.Repeat("a", 2000)))
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("declared oversized body: %d", resp.StatusCode)
	}
	// A chunked body without Content-Length is cut off while streaming.
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte(strings.Repeat("b", 5000))); pw.Close() }()
	resp = h.do("POST", "/t/cdr/x", "powerbi", testPassword, pr)
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("streamed oversized body: %d", resp.StatusCode)
	}
	start := time.Now()
	resp = h.do("GET", "/t/cdr/slow", "powerbi", testPassword, nil)
	resp.Body.Close()
	if resp.StatusCode != 504 || time.Since(start) > 3*time.Second {
		t.Errorf("slow upstream: %d after %v", resp.StatusCode, time.Since(start))
	}
}

func TestProxyUpstreamDown(t *testing.T) {
	h := newHarness(t, "", nil)
	h.cdr.Close()
	resp := h.do("GET", "/t/cdr/x", "powerbi", testPassword, nil)
	body := readAll(t, resp.Body)
	if resp.StatusCode != 502 || !strings.Contains(body, "unreachable") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t, "", nil)
	h.getToken("cdr")
	resp := h.do("GET", "/healthz", "", "", nil)
	var hz struct {
		Status  string
		Targets map[string]struct {
			IDP   string
			Cache entryStatus
		}
	}
	json.NewDecoder(resp.Body).Decode(&hz)
	resp.Body.Close()
	if resp.StatusCode != 200 || hz.Status != "ok" || hz.Targets["cdr"].IDP != "reachable" ||
		hz.Targets["cdr"].Cache.Token != "fresh" || hz.Targets["cdr"].Cache.ExpiresIn != 300 || hz.Targets["vend"].Cache.Token != "none" {
		t.Fatalf("healthy: %d %+v", resp.StatusCode, hz)
	}
	// An unreachable IDP: a listener that was closed.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	path := writeConfig(t, env{TokenURL: "http://" + dead + "/token", Upstream: h.cdr.URL}, "x")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Reload(cfg)
	resp = h.do("GET", "/healthz", "", "", nil)
	body := readAll(t, resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(body, `"degraded"`) || !strings.Contains(body, "unreachable: "+dead) {
		t.Fatalf("unreachable IDP: %d %s", resp.StatusCode, body)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, "", nil)
	h.token("cdr")
	h.token("cdr")
	h.idp.failWith(400, `{"error":"invalid_scope"}`)
	h.token("vend")
	resp := h.do("GET", "/metrics", "", "", nil)
	body := readAll(t, resp.Body)
	for _, want := range []string{
		`pqx_broker_cache_hits_total{target="cdr"} 1`,
		`pqx_broker_cache_misses_total{target="cdr"} 1`,
		`pqx_broker_idp_errors_total{code="invalid_scope",target="vend"} 1`,
		`pqx_broker_idp_request_duration_seconds_count{target="cdr"} 1`,
		`pqx_broker_requests_total{code="200",mode="token"} 2`,
		`pqx_broker_requests_total{code="503",mode="token"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// No token, client secret or caller password appears in the logs, whatever
// happens.
func TestLogsCarryNoSecrets(t *testing.T) {
	h := newHarness(t, "", nil)
	h.token("cdr")
	h.do("GET", "/t/cdr/x", "powerbi", testPassword, nil).Body.Close()
	h.do("GET", "/t/cdr/x", "powerbi", "wrong-password-123", nil).Body.Close()
	h.idp.set(func(idp *testIDP) { idp.secret = "other" })
	h.clock.Advance(time.Hour)
	for range 3 {
		h.token("cdr")
		h.clock.Advance(2 * time.Second)
	}
	logs := h.logBuf.String()
	if !strings.Contains(logs, `"msg":"request"`) || !strings.Contains(logs, "circuit breaker open") {
		t.Fatalf("logs incomplete:\n%s", logs)
	}
	for _, secret := range []string{"at-1-", h.idp.secret, "s3cr3t-client-value", testPassword, "wrong-password-123"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
		}
	}
}

func TestRedact(t *testing.T) {
	var buf syncBuffer
	log := NewLogger(&buf, "text", "info")
	log.Info("x", "authorization", "Basic abc", "client_secret", "s", "note", "got Bearer eyJ.abc.def here",
		"err", fmt.Errorf("header Bearer zzz"), "expires_in", 5)
	out := buf.String()
	for _, bad := range []string{"abc", "client_secret=s", "eyJ", "zzz"} {
		if strings.Contains(out, bad) {
			t.Errorf("log %q contains %q", out, bad)
		}
	}
	if !strings.Contains(out, "expires_in=5") {
		t.Errorf("log %q lost expires_in", out)
	}
}
