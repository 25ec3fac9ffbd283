package mockidp

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func (e *tenv) control(method, path, body string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL()+"/_mock"+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return resp.StatusCode, b.String()
}

func TestControlAPI(t *testing.T) {
	e := newEnv(t, Config{})
	// Scripted outcomes, in order.
	if st, body := e.control("POST", "/authorize", `[{"action":"access_denied"},{"action":"wrong_state"},{"action":"missing_code"}]`); st != 200 {
		t.Fatal(body)
	}
	cb := e.redirectParams(authQuery(testVerifier))
	if cb.Get("error") != "access_denied" || cb.Get("state") != "st-1" {
		t.Errorf("access_denied: %v", cb)
	}
	if cb = e.redirectParams(authQuery(testVerifier)); cb.Get("state") == "st-1" || cb.Get("code") == "" {
		t.Errorf("wrong_state: %v", cb)
	}
	if cb = e.redirectParams(authQuery(testVerifier)); cb.Get("code") != "" || cb.Get("state") != "st-1" {
		t.Errorf("missing_code: %v", cb)
	}
	if cb = e.redirectParams(authQuery(testVerifier)); cb.Get("code") == "" {
		t.Errorf("default approve: %v", cb)
	}
	if st, _ := e.control("POST", "/authorize", `{"action":"dance"}`); st != 400 {
		t.Errorf("bad outcome accepted: %d", st)
	}
	// Clock.
	before := e.srv.Clock().Now()
	if st, body := e.control("POST", "/clock/advance?by=90d", ""); st != 200 || !strings.Contains(body, "2026-05-30") {
		t.Errorf("advance: %d %s", st, body)
	}
	if got := e.srv.Clock().Now().Sub(before); got != 90*24*time.Hour {
		t.Errorf("advanced %v", got)
	}
	// Faults: nth call.
	if st, body := e.control("POST", "/faults", `{"endpoint":"token","nth":2,"action":"error","status":503,"error":"temporarily_unavailable"}`); st != 200 {
		t.Fatal(body)
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	basic := DefaultServiceClient + ":" + DefaultServiceSecret
	statuses := []int{e.token(form, basic).status, e.token(form, basic).status, e.token(form, basic).status}
	if statuses[0] != 200 || statuses[1] != 503 || statuses[2] != 200 {
		t.Errorf("nth=2 fault: %v", statuses)
	}
	// Journal with grep.
	st, body := e.control("GET", "/journal?grep=fault_error", "")
	if st != 200 || strings.Count(body, "\n") != 1 || !strings.Contains(body, `"fault":"fault`) {
		t.Errorf("journal grep: %s", body)
	}
	if st, _ := e.control("DELETE", "/journal", ""); st != 200 || len(e.srv.Journal().Entries()) != 0 {
		t.Errorf("journal clear: %d", st)
	}
	if tr := e.token(form, basic); tr.header.Get("X-Mock-Now") != "2026-05-30T09:00:00Z" {
		t.Errorf("X-Mock-Now %q", tr.header.Get("X-Mock-Now"))
	}
	// Key rotation adds a key; old tokens still verify via the JWKS.
	if st, body := e.control("POST", "/keys/rotate", ""); st != 200 || !strings.Contains(body, "kid") {
		t.Errorf("rotate: %s", body)
	}
	var jwks struct{ Keys []map[string]any }
	getJSON(t, e.srv.Endpoints().JWKS, &jwks)
	if len(jwks.Keys) != 2 {
		t.Errorf("jwks keys %d", len(jwks.Keys))
	}
	// Register a client, then reset drops it.
	if st, body := e.control("POST", "/clients", `{"id":"extra","redirect_uris":["http://127.0.0.1/cb"]}`); st != 200 {
		t.Fatal(body)
	}
	if _, ok := e.srv.Client("extra"); !ok {
		t.Error("client not registered")
	}
	if st, _ := e.control("POST", "/reset", ""); st != 200 {
		t.Error("reset")
	}
	if _, ok := e.srv.Client("extra"); ok || len(e.srv.Journal().Entries()) != 0 {
		t.Error("reset kept state")
	}
	if st, _ := e.control("GET", "/nothing", ""); st != 404 {
		t.Errorf("unknown control path: %d", st)
	}
}

// TestControlLoopbackOnly checks the remote-address guard.
func TestControlLoopbackOnly(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]int{"192.0.2.7:5000": 403, "10.0.0.1:1": 403, "127.0.0.1:5000": 200, "[::1]:5000": 200} {
		req := httptest.NewRequest("POST", "/_mock/reset", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", addr, rec.Code, want)
		}
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "example.com:80"} {
		if err := srv.Start(a); err == nil {
			srv.Close()
			t.Errorf("Start(%q) accepted", a)
		}
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start accepted")
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %s", srv.URL())
	}
}

// TestJournalRedaction checks that no secret reaches the journal.
func TestJournalRedaction(t *testing.T) {
	e := newEnv(t, Config{})
	tr := e.login()
	e.refresh(tr.str("refresh_token"))
	e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultServiceClient}, "client_secret": {DefaultServiceSecret}}, "")
	var b strings.Builder
	if _, err := e.srv.Journal().WriteJSONLines(&b, nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{DefaultServiceSecret, testVerifier, tr.str("refresh_token"), tr.str("access_token"), tr.str("id_token")} {
		if strings.Contains(out, secret) {
			t.Errorf("journal leaks %q", secret[:10])
		}
	}
	if !strings.Contains(out, Fingerprint(tr.str("refresh_token"))) || !strings.Contains(out, `"code_verifier":"[redacted]"`) {
		t.Errorf("journal lacks fingerprints or redaction marks:\n%s", out)
	}
}

func TestLatencyFaultVirtual(t *testing.T) {
	e := newEnv(t, Config{})
	code := e.code(authQuery(testVerifier))
	// A 2-minute virtual delay makes the 60 s code expire before it is
	// processed, without sleeping.
	e.srv.AddFault(Fault{Endpoint: "token", Action: FaultLatency, Delay: Duration(2 * time.Minute)})
	before := e.srv.Clock().Now()
	tr := e.redeem(code, testVerifier)
	if tr.str("error") != "invalid_grant" || e.lastEntry("token").Reason != "code_expired" {
		t.Errorf("virtual latency: %s", tr.raw)
	}
	if got := e.srv.Clock().Now().Sub(before); got != 2*time.Minute {
		t.Errorf("virtual clock moved %v, want 2m", got)
	}
}

func TestLatencyFaultReal(t *testing.T) {
	e := newEnv(t, Config{})
	e.srv.AddFault(Fault{Endpoint: "discovery", Action: FaultLatency, Delay: Duration(50 * time.Millisecond), Real: true})
	start := time.Now()
	var doc map[string]any
	getJSON(t, e.srv.Endpoints().Discovery, &doc)
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("real latency not applied")
	}
}

func TestParseFault(t *testing.T) {
	f, err := ParseFault([]string{"token", "error", "status=503", "error=temporarily_unavailable", "nth=2", "times=-1", "grant=refresh_token"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != 503 || f.Nth != 2 || f.Times != -1 || f.GrantType != "refresh_token" || f.Action != FaultError {
		t.Errorf("%+v", f)
	}
	for _, bad := range [][]string{{"token", "explode"}, {"nowhere", "error"}, {"token", "latency"}, {"token", "error", "nth=x"}, {"token", "error", "color=red"}} {
		if _, err := ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) accepted", bad)
		}
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "idp.yaml")
	os.WriteFile(good, []byte(`profile: okta
override:
  refresh:
    reuse_interval: 5s
clients:
  - id: my-connector
    redirect_uris: [https://oauth.powerbi.com/views/oauthredirect.html]
users:
  - sub: bob
    email: bob@example.test
start_time: 2026-03-01T09:00:00Z
max_real_delay: 2s
vars:
  server: aus123
`), 0o644)
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := srv.Profile(); p.Name != "okta" || p.Refresh.ReuseInterval.D() != 5*time.Second || p.Refresh.Idle.D() != 7*24*time.Hour {
		t.Errorf("override: %+v", p.Refresh)
	}
	if !srv.Clock().Frozen() || !srv.Clock().Now().Equal(testStart) || cfg.MaxRealDelay.D() != 2*time.Second {
		t.Errorf("start_time %v, max_real_delay %v", srv.Clock().Now(), cfg.MaxRealDelay)
	}
	srv.SetURL("http://127.0.0.1:1")
	if got := srv.Endpoints().Token; got != "http://127.0.0.1:1/oauth2/aus123/v1/token" {
		t.Errorf("vars: token endpoint %s", got)
	}
	for text, want := range map[string]string{
		"profile: okta\nclientz: []\n":                     "idp.yaml:2:1",
		"clients:\n  - redirect_uris: [x]\n":               "clients[0].id: missing",
		"clients:\n  - id: a\n    redirect_uris: [/cb]\n":  "must be an absolute URI",
		"override:\n  refresh:\n    rotation: sometimes\n": "refresh.rotation",
		"override:\n  lifetimes:\n    code: 1h\n":          "exceeds the 10 minutes",
	} {
		os.WriteFile(good, []byte(text), 0o644)
		cfg, err := LoadConfig(good)
		if err == nil {
			_, err = New(cfg)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", text, err, want)
		}
	}
}

func TestIntrospectAndRevoke(t *testing.T) {
	e := newEnv(t, Config{})
	tr := e.login()
	rs := DefaultServiceClient + ":" + DefaultServiceSecret
	intro := func(tok string) tokenResp {
		return e.post(e.srv.Endpoints().Introspect, url.Values{"token": {tok}}, rs)
	}
	if r := intro(tr.str("access_token")); r.body["active"] != true || r.str("client_id") != DefaultPublicClient {
		t.Errorf("access token: %s", r.raw)
	}
	if r := intro(tr.str("refresh_token")); r.body["active"] != true || r.str("token_type") != "refresh_token" {
		t.Errorf("refresh token: %s", r.raw)
	}
	if r := intro("garbage"); r.body["active"] != false {
		t.Errorf("garbage: %s", r.raw)
	}
	if r := e.post(e.srv.Endpoints().Introspect, url.Values{"token": {"x"}}, ""); r.status != 401 {
		t.Errorf("unauthenticated introspection: %d", r.status)
	}
	if r := e.post(e.srv.Endpoints().Introspect, url.Values{"token": {"x"}, "client_id": {DefaultPublicClient}}, ""); r.status != 401 {
		t.Errorf("introspection by a public client: %d", r.status)
	}
	// Another client may not revoke the token.
	if r := e.post(e.srv.Endpoints().Revoke, url.Values{"token": {tr.str("refresh_token")}}, rs); r.status != 400 {
		t.Errorf("foreign revoke: %d %s", r.status, r.raw)
	}
	if r := e.post(e.srv.Endpoints().Revoke, url.Values{"token": {tr.str("access_token")}, "client_id": {DefaultPublicClient}}, ""); r.status != 200 {
		t.Errorf("revoke access token: %d", r.status)
	}
	if r := e.userinfo(tr.str("access_token")); r.status != 401 {
		t.Errorf("revoked access token still works at userinfo")
	}
	if r := e.post(e.srv.Endpoints().Revoke, url.Values{"token": {"unknown"}, "client_id": {DefaultPublicClient}}, ""); r.status != 200 {
		t.Errorf("unknown token revoke: %d (RFC 7009 §2.2 says 200)", r.status)
	}
}

func TestAutoRegister(t *testing.T) {
	e := newEnv(t, Config{AutoRegister: true})
	q := authQuery(testVerifier)
	q.Set("client_id", "hard-coded-id")
	q.Set("redirect_uri", "https://example.test/cb")
	if cb := e.redirectParams(q); cb.Get("code") == "" {
		t.Fatalf("auto-register: %v", cb)
	}
	if c, ok := e.srv.Client("hard-coded-id"); !ok || c.RedirectURIs[0] != "https://example.test/cb" {
		t.Errorf("client %+v", c)
	}
}

func TestLoginHintAndAssertion(t *testing.T) {
	e := newEnv(t, Config{Users: []User{{Subject: "alice"}, {Subject: "bob", Email: "Bob@example.test"}}})
	q := authQuery(testVerifier)
	q.Set("login_hint", "bob@example.test")
	tr := e.redeem(e.code(q), testVerifier)
	if sub := claimsOf(t, tr.str("id_token"))["sub"]; sub != "bob" {
		t.Errorf("login_hint: sub %v", sub)
	}
	a := e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultServiceClient},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {"eyJ..."}}, "")
	if a.status != 401 || e.lastEntry("token").Reason != "client_assertion_unsupported" {
		t.Errorf("client_assertion: %d %s", a.status, a.raw)
	}
}

func TestSharedClock(t *testing.T) {
	clock := NewClock(testStart)
	a, err := New(Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Profile: "auth0", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	a.Clock().Advance(time.Hour)
	if !b.Clock().Now().Equal(testStart.Add(time.Hour)) {
		t.Errorf("clock not shared: %v", b.Clock().Now())
	}
}

func TestScenarioConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "scenario.yaml")
	os.WriteFile(file, []byte(`# Entra throttles client_credentials once, then the user cancels a login.
profile: entra-v2
faults:
  - endpoint: token
    grant_type: client_credentials
    action: rate-limit
    retry_after: 60
authorize:
  - action: access_denied
`), 0o644)
	cfg, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, cfg)
	run := func() {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api://x/.default"}}
		basic := DefaultServiceClient + ":" + DefaultServiceSecret
		if tr := e.token(form, basic); tr.status != 429 {
			t.Errorf("first: %d", tr.status)
		}
		if tr := e.token(form, basic); tr.status != 200 {
			t.Errorf("second: %d %s", tr.status, tr.raw)
		}
		if cb := e.redirectParams(authQuery(testVerifier)); cb.Get("error") != "access_denied" {
			t.Errorf("authorize: %v", cb)
		}
	}
	run()
	e.srv.Reset() // the scenario comes back
	run()
	os.WriteFile(file, []byte("faults:\n  - action: explode\n"), 0o644)
	if _, err := LoadConfig(file); err == nil || !strings.Contains(err.Error(), "faults[0]: action") {
		t.Errorf("bad fault: %v", err)
	}
}

func TestSweep(t *testing.T) {
	e := newEnv(t, Config{})
	tr := e.login()
	code := e.code(authQuery(testVerifier))
	e.srv.Clock().Advance(26 * time.Hour) // access token: 1 h life + 24 h grace
	e.srv.mu.Lock()
	e.srv.sweep(e.srv.Clock().Now())
	nCodes, nAccess, nRefresh := len(e.srv.codes), len(e.srv.access), len(e.srv.refresh)
	e.srv.mu.Unlock()
	if nCodes != 0 || nAccess != 0 || nRefresh != 1 {
		t.Errorf("after sweep: %d codes, %d access tokens, %d refresh tokens", nCodes, nAccess, nRefresh)
	}
	if r := e.redeem(code, testVerifier); r.str("error") != "invalid_grant" {
		t.Errorf("swept code: %s", r.raw)
	}
	if r := e.refresh(tr.str("refresh_token")); r.status != 200 {
		t.Errorf("refresh after sweep: %s", r.raw)
	}
}

// TestReadmeConfigs loads every YAML example of README.md, so the
// documentation cannot drift from the config format.
func TestReadmeConfigs(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(data), "```yaml\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("%d YAML examples in README.md", len(blocks))
	}
	for i, b := range blocks {
		text, _, _ := strings.Cut(b, "```")
		file := filepath.Join(t.TempDir(), "example.yaml")
		os.WriteFile(file, []byte(text), 0o644)
		cfg, err := LoadConfig(file)
		if err == nil {
			_, err = New(cfg)
		}
		if err != nil {
			t.Errorf("README example %d: %v", i+1, err)
		}
	}
}
