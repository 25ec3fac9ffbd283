package broker

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/mockidp"
)

// These tests run the broker against pqx's strict mock IDP (auth0 profile:
// client_credentials with audience=, 86,400 s tokens) and mock openEHR CDR
// (Bearer JWTs checked against the IDP's JWKS, issuer and audience), on one
// virtual clock, and assert what reached the IDP from its journal.

const (
	mockAPI    = "https://cdr.example/api"
	mockSecret = "mock-idp-client-secret"
)

type mockEnv struct {
	idp     *mockidp.Server
	cdr     *mockcdr.Server
	srv     *Server
	url     string
	logBuf  *syncBuffer
	cdrBase string
}

func newMockEnv(t *testing.T, secret, extra string) *mockEnv {
	t.Helper()
	idp, err := mockidp.New(mockidp.Config{
		Profile:   "auth0",
		StartTime: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		Clients: []mockidp.Client{{ID: "broker-client", Secret: mockSecret, AuthMethod: "client_secret_basic",
			GrantTypes: []string{"client_credentials"}}},
		APIs: []string{mockAPI, "https://other.example/api"},
	})
	if err != nil {
		t.Fatal(err)
	}
	its := httptest.NewServer(idp.Handler())
	t.Cleanup(its.Close)
	idp.SetURL(its.URL)
	noRoles := false
	cdr, err := mockcdr.New(mockcdr.Config{
		Profile: "ehrbase",
		Clock:   idp.Clock().Now,
		Auth: mockcdr.AuthConfig{Mode: "bearer", JWKSURL: idp.Endpoints().JWKS, Issuer: idp.Issuer(),
			Audience: mockAPI, RoleRule: &noRoles},
	})
	if err != nil {
		t.Fatal(err)
	}
	cts := httptest.NewServer(cdr.Handler())
	t.Cleanup(cts.Close)
	cdr.SetURL(cts.URL)

	e := &mockEnv{idp: idp, cdr: cdr, logBuf: &syncBuffer{}, cdrBase: cdr.BaseURL()}
	path := writeConfig(t, env{TokenURL: idp.Endpoints().Token, Upstream: e.cdrBase, Extra: extra}, secret)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, err = New(cfg, Options{Clock: idp.Clock(), Logger: NewLogger(e.logBuf, "json", "debug")})
	if err != nil {
		t.Fatal(err)
	}
	bts := httptest.NewServer(e.srv)
	t.Cleanup(bts.Close)
	t.Cleanup(e.srv.Close)
	e.url = bts.URL
	return e
}

// tokenRequests returns the journal's client_credentials token requests.
func (e *mockEnv) tokenRequests() []mockidp.Entry {
	return e.idp.Journal().Filter(func(en *mockidp.Entry) bool {
		return en.Endpoint == "token" && en.GrantType == "client_credentials"
	})
}

func (e *mockEnv) vend(t *testing.T, target string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/token", strings.NewReader(url.Values{"target": {target}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("powerbi", testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

func (e *mockEnv) get(t *testing.T, path, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.SetBasicAuth("powerbi", pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp.Body)
}

func (e *mockEnv) ehrPath() string {
	return "/t/cdr/ehr/" + e.cdr.Data().EHRs[0].ID
}

// 100 concurrent cold callers → exactly one token request at the IDP.
func TestMockIDPColdHerd(t *testing.T) {
	e := newMockEnv(t, mockSecret, "")
	// Hold the first token request for a while so that all callers arrive
	// while it is in flight.
	if _, err := e.idp.AddFault(mockidp.Fault{Endpoint: "token", Action: mockidp.FaultLatency,
		Delay: mockidp.Duration(300 * time.Millisecond), Real: true}); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var wg sync.WaitGroup
	tokens := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body, _ := e.vend(t, "cdr")
			if code != 200 {
				t.Errorf("caller %d: %d %v", i, code, body)
			}
			tokens[i], _ = body["access_token"].(string)
		}()
	}
	wg.Wait()
	reqs := e.tokenRequests()
	if len(reqs) != 1 {
		t.Fatalf("IDP journal has %d client_credentials requests, want 1", len(reqs))
	}
	if r := reqs[0]; r.Status != 200 || r.AuthMethod != "client_secret_basic" || r.Params["audience"] != mockAPI {
		t.Errorf("token request %+v", r)
	}
	for i := range n {
		if tokens[i] == "" || tokens[i] != tokens[0] {
			t.Fatalf("caller %d got a different token", i)
		}
	}
}

// Expiry on the virtual clock: a hit in the refresh window is answered at
// once and triggers one background refresh; after the TTL, concurrent
// callers cause exactly one more.
func TestMockIDPExpiryRefresh(t *testing.T) {
	e := newMockEnv(t, mockSecret, "")
	_, first, _ := e.vend(t, "cdr")
	if first["expires_in"] != 86400.0 {
		t.Fatalf("first token: expires_in %v", first["expires_in"])
	}
	// TTL = 86400 − 8640 (10% skew) = 77760 s; the refresh point lies at
	// 75–80 % of it (jitter), before 62208 s.
	e.idp.Clock().Advance(50000 * time.Second)
	if _, b, _ := e.vend(t, "cdr"); b["access_token"] != first["access_token"] {
		t.Fatal("before the refresh window: a new token")
	}
	e.srv.Close() // waits for background refreshes: there must be none
	if n := len(e.tokenRequests()); n != 1 {
		t.Fatalf("IDP journal has %d requests before the refresh window, want 1", n)
	}
	e.idp.Clock().Advance(20000 * time.Second) // 70000 s: in the window
	if _, b, _ := e.vend(t, "cdr"); b["access_token"] != first["access_token"] || b["expires_in"] != 16400.0 {
		t.Fatalf("in the refresh window: expires_in %v, same token %v", b["expires_in"], b["access_token"] == first["access_token"])
	}
	e.srv.Close()
	_, second, _ := e.vend(t, "cdr")
	if second["access_token"] == first["access_token"] || second["expires_in"] != 86400.0 {
		t.Fatalf("after the background refresh: expires_in %v", second["expires_in"])
	}
	if n := len(e.tokenRequests()); n != 2 {
		t.Fatalf("IDP journal has %d requests, want 2", n)
	}
	// Past the second token's TTL: 20 concurrent callers, one refresh.
	e.idp.Clock().Advance(80000 * time.Second)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, b, _ := e.vend(t, "cdr"); code != 200 || b["access_token"] == second["access_token"] || b["expires_in"] != 86400.0 {
				t.Errorf("after TTL: %d, expires_in %v", code, b["expires_in"])
			}
		}()
	}
	wg.Wait()
	if n := len(e.tokenRequests()); n != 3 {
		t.Fatalf("IDP journal has %d requests, want 3", n)
	}
}

// A 429 storm with Retry-After: one request, silence for Retry-After, then
// recovery.
func TestMockIDPRateLimitStorm(t *testing.T) {
	e := newMockEnv(t, mockSecret, "")
	if _, err := e.idp.AddFault(mockidp.Fault{Endpoint: "token", Action: mockidp.FaultRateLimit, RetryAfter: 60, Times: -1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body, hdr := e.vend(t, "cdr")
			if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(body["error_description"].(string), "HTTP 429") {
				t.Errorf("during storm: %d %v %v", code, body, hdr)
			}
		}()
	}
	wg.Wait()
	for range 5 {
		e.idp.Clock().Advance(10 * time.Second)
		e.vend(t, "cdr")
	}
	if n := len(e.tokenRequests()); n != 1 {
		t.Fatalf("IDP journal has %d requests within Retry-After, want 1", n)
	}
	e.idp.ClearFaults()
	e.idp.Clock().Advance(11 * time.Second) // 61 s after the 429
	if code, body, _ := e.vend(t, "cdr"); code != 200 {
		t.Fatalf("after Retry-After: %d %v", code, body)
	}
	if n := len(e.tokenRequests()); n != 2 {
		t.Fatalf("IDP journal has %d requests, want 2", n)
	}
}

// IDP outage: the still-valid token keeps proxying to the CDR (which checks
// its exp on the same clock); after expiry, a clear 503 and no CDR call.
func TestMockIDPOutage(t *testing.T) {
	e := newMockEnv(t, mockSecret, "")
	if code, body := e.get(t, e.ehrPath(), testPassword); code != 200 || !strings.Contains(body, e.cdr.Data().EHRs[0].ID) {
		t.Fatalf("before outage: %d %s", code, body)
	}
	if _, err := e.idp.AddFault(mockidp.Fault{Endpoint: "token", Action: mockidp.FaultHTML502, Times: -1}); err != nil {
		t.Fatal(err)
	}
	e.idp.Clock().Advance(80000 * time.Second) // past the TTL, 6400 s left
	for range 3 {
		if code, body := e.get(t, e.ehrPath(), testPassword); code != 200 {
			t.Fatalf("during outage with a valid token: %d %s", code, body)
		}
	}
	outageCalls := len(e.tokenRequests()) - 1
	if outageCalls != 1 {
		t.Errorf("IDP got %d requests during the outage within the negative TTL, want 1", outageCalls)
	}
	cdrCalls := len(e.cdr.Log())
	e.idp.Clock().Advance(6400 * time.Second) // expired
	code, body := e.get(t, e.ehrPath(), testPassword)
	if code != 503 || !strings.Contains(body, `no token for target "cdr"`) || !strings.Contains(body, "HTTP 502") {
		t.Fatalf("after expiry: %d %s", code, body)
	}
	if len(e.cdr.Log()) != cdrCalls {
		t.Errorf("the CDR was called after the token expired")
	}
}

// A wrong client secret: invalid_client three times, then the breaker stops
// calling the IDP.
func TestMockIDPInvalidClientBreaker(t *testing.T) {
	e := newMockEnv(t, "wrong-secret", "")
	for i := range 3 {
		code, body, _ := e.vend(t, "cdr")
		if code != 503 || !strings.Contains(body["error_description"].(string), "invalid_client") {
			t.Fatalf("attempt %d: %d %v", i, code, body)
		}
		e.idp.Clock().Advance(2 * time.Second)
	}
	for range 20 {
		code, body, _ := e.vend(t, "cdr")
		if code != 503 || !strings.Contains(body["error_description"].(string), "circuit breaker open") {
			t.Fatalf("breaker: %d %v", code, body)
		}
		e.idp.Clock().Advance(5 * time.Second)
	}
	reqs := e.tokenRequests()
	if len(reqs) != 3 {
		t.Fatalf("IDP journal has %d requests, want 3", len(reqs))
	}
	for _, r := range reqs {
		if r.Error != "invalid_client" || r.Status != 401 {
			t.Errorf("journal entry %+v", r)
		}
	}
	resp, _ := http.Get(e.url + "/healthz")
	hz := readAll(t, resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(hz, `"breaker_open": true`) {
		t.Errorf("healthz with an open breaker: %d %s", resp.StatusCode, hz)
	}
}

// A slow IDP: callers wait no longer than wait_timeout.
func TestMockIDPSlow(t *testing.T) {
	e := newMockEnv(t, mockSecret, "cache:\n  wait_timeout: 150ms\n")
	if _, err := e.idp.AddFault(mockidp.Fault{Endpoint: "token", Action: mockidp.FaultLatency,
		Delay: mockidp.Duration(5 * time.Second), Real: true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body := e.get(t, e.ehrPath(), testPassword); code != 503 || !strings.Contains(body, "waiting for the identity provider") {
				t.Errorf("slow IDP: %d %s", code, body)
			}
		}()
	}
	wg.Wait()
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("callers waited %v; the bound is 150ms, the IDP takes 5s", el)
	}
	e.srv.Close()
	waitFor(t, func() bool { code, _ := e.get(t, e.ehrPath(), testPassword); return code == 200 })
	if n := len(e.tokenRequests()); n != 1 {
		t.Fatalf("IDP journal has %d requests, want 1", n)
	}
}

// Proxy mode end to end: Basic caller → broker → mock IDP (client
// credentials, audience) → mock CDR (Bearer JWT checked for issuer,
// audience and expiry). A wrong password reaches neither.
func TestMockProxyEndToEnd(t *testing.T) {
	e := newMockEnv(t, mockSecret, "")
	code, body := e.get(t, "/t/cdr/query/aql?q="+url.QueryEscape(mockcdr.FixtureAQL("Q1")), testPassword)
	if code != 200 || !strings.Contains(body, `"rows"`) {
		t.Fatalf("AQL through the broker: %d %.300s", code, body)
	}
	code, body = e.get(t, e.ehrPath(), testPassword)
	if code != 200 || !strings.Contains(body, e.cdr.Data().EHRs[0].ID) {
		t.Fatalf("EHR through the broker: %d %.300s", code, body)
	}
	log := e.cdr.Log()
	if len(log) != 2 {
		t.Fatalf("CDR got %d requests, want 2", len(log))
	}
	for _, r := range log {
		if r.AuthScheme != "bearer" || r.Subject != "broker-client" || r.Status != 200 {
			t.Errorf("CDR saw %+v", r)
		}
	}
	if n := len(e.tokenRequests()); n != 1 {
		t.Fatalf("IDP journal has %d requests, want 1", n)
	}
	code, _ = e.get(t, e.ehrPath(), "not the password")
	if code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	if len(e.cdr.Log()) != 2 || len(e.tokenRequests()) != 1 {
		t.Fatalf("a rejected caller reached the CDR or the IDP")
	}
}

// Each IDP profile's client_credentials request, as the broker builds it,
// is accepted by the mock IDP running the same profile, and the token has
// the audience the profile implies.
func TestMockIDPProfiles(t *testing.T) {
	for _, tc := range []struct {
		profile, audience string
		vars              map[string]string
		wantAud           string
	}{
		{"auth0", "https://cdr.example/api", nil, "https://cdr.example/api"},
		{"entra-v2", "api://cdr-example", map[string]string{"tenant": "contoso.onmicrosoft.com"}, "api://cdr-example"},
		{"generic-oidc", "https://cdr.example/api", nil, "https://cdr.example/api"},
		{"keycloak", "", map[string]string{"realm": "ehr"}, "account"},
		{"okta", "", map[string]string{"server": "default"}, "api://default"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			cfg := mockidp.Config{
				Profile:   tc.profile,
				Vars:      tc.vars,
				StartTime: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
				Clients: []mockidp.Client{{ID: "broker-client", Secret: mockSecret, AuthMethod: "client_secret_post",
					GrantTypes: []string{"client_credentials"}}},
			}
			if tc.audience != "" {
				cfg.APIs = []string{tc.audience}
			}
			idp, err := mockidp.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			its := httptest.NewServer(idp.Handler())
			defer its.Close()
			idp.SetURL(its.URL)
			aud := ""
			if tc.audience != "" {
				aud = "    audience: " + tc.audience + "\n"
			}
			path := writeConfig(t, env{TokenURL: idp.Endpoints().Token, AuthStyle: "post"}, mockSecret)
			data, _ := os.ReadFile(path)
			text := strings.Replace(string(data), "  - name: vend\n    profile: auth0\n", "  - name: vend\n    profile: "+tc.profile+"\n", 1)
			text = strings.Replace(text, "    audience: https://other.example/api\n", aud, 1)
			conf, err := Parse(path, []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			srv, err := New(conf, Options{Clock: idp.Clock()})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			tok, _, err := srv.cache.get(t.Context(), conf.Target("vend"))
			if err != nil {
				t.Fatalf("token: %v (journal %+v)", err, idp.Journal().Entries())
			}
			parts := strings.Split(tok.AccessToken, ".")
			if len(parts) != 3 {
				t.Fatalf("not a JWT: %d parts", len(parts))
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var claims struct {
				Aud any `json:"aud"`
			}
			json.Unmarshal(payload, &claims)
			if got := fmt.Sprint(claims.Aud); got != tc.wantAud && got != "["+tc.wantAud+"]" {
				t.Errorf("aud %v, want %s", claims.Aud, tc.wantAud)
			}
			entries := idp.Journal().Filter(func(e *mockidp.Entry) bool { return e.Endpoint == "token" })
			if len(entries) != 1 || entries[0].AuthMethod != "client_secret_post" || entries[0].Status != 200 {
				t.Errorf("journal %+v", entries)
			}
		})
	}
}
