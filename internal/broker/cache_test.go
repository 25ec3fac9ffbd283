package broker

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// 100 concurrent cold callers over HTTP cost exactly one token request.
func TestColdHerdSingleFetch(t *testing.T) {
	h := newHarness(t, "", nil)
	hold := make(chan struct{})
	h.idp.set(func(idp *testIDP) { idp.hold = hold })
	const n = 100
	var wg sync.WaitGroup
	tokens := make([]string, n)
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body, _ := h.token("cdr")
			codes[i] = code
			tokens[i], _ = body["access_token"].(string)
		}()
	}
	// Let the callers pile up behind the held request, then release it.
	deadline := time.Now().Add(5 * time.Second)
	for h.idp.count.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(hold)
	wg.Wait()
	if got := h.idp.count.Load(); got != 1 {
		t.Fatalf("IDP got %d token requests, want 1", got)
	}
	for i := range n {
		if codes[i] != 200 || tokens[i] != tokens[0] || tokens[0] == "" {
			t.Fatalf("caller %d: status %d token %q, want 200 and %q", i, codes[i], tokens[i], tokens[0])
		}
	}
}

// After the TTL a request refreshes once; before it, nothing is fetched.
func TestExpiryRefreshesOnce(t *testing.T) {
	h := newHarness(t, "", nil)
	tok1, out, err := h.getToken("cdr")
	if err != nil || out != outcomeMiss {
		t.Fatalf("first get: %v %v", out, err)
	}
	// expires_in 300: skew max(60s, 30s) = 60s, TTL 240s; refresh point at
	// 240 × (0.8 − 0.1×0.5) = 180s.
	if got, want := tok1.freshUntil.Sub(tok1.Obtained), 240*time.Second; got != want {
		t.Errorf("TTL %v, want %v", got, want)
	}
	if got, want := tok1.refreshAt.Sub(tok1.Obtained), 180*time.Second; got != want {
		t.Errorf("refresh point %v, want %v", got, want)
	}
	h.clock.Advance(100 * time.Second)
	for range 10 {
		if tok, out, _ := h.getToken("cdr"); tok != tok1 || out != outcomeHit {
			t.Fatalf("within TTL: got %v/%v, want the cached token", tok.AccessToken, out)
		}
	}
	h.clock.Advance(150 * time.Second) // 250s: past the TTL
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, _, err := h.getToken("cdr"); err != nil || tok == tok1 {
				t.Errorf("after TTL: %v, %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if got := h.idp.count.Load(); got != 2 {
		t.Fatalf("IDP got %d requests, want 2 (initial + 1 refresh)", got)
	}
}

// Between the refresh point and the TTL end a hit triggers exactly one
// background refresh and is answered at once with the cached token.
func TestProactiveRefresh(t *testing.T) {
	h := newHarness(t, "", nil)
	tok1, _, _ := h.getToken("cdr")
	h.clock.Advance(200 * time.Second) // past 180s, before 240s
	// With the IDP stuck, hits still answer at once with the cached token,
	// and only one background refresh is started.
	hold := make(chan struct{})
	h.idp.set(func(idp *testIDP) { idp.hold = hold })
	for range 5 {
		if tok, out, _ := h.getToken("cdr"); tok != tok1 || out != outcomeHit {
			t.Fatalf("in refresh window: got %v, want the cached token", out)
		}
	}
	waitFor(t, func() bool { return h.idp.count.Load() == 2 })
	close(hold)
	h.srv.cache.bg.Wait()
	tok2, out, _ := h.getToken("cdr")
	if tok2 == tok1 || out != outcomeHit {
		t.Fatalf("after background refresh: same token or %v", out)
	}
	if got := h.idp.count.Load(); got != 2 {
		t.Fatalf("IDP got %d requests, want 2", got)
	}
}

// Jitter moves the refresh point earlier by up to Jitter × TTL.
func TestRefreshJitter(t *testing.T) {
	c := &tokenCache{}
	p := (&CachePolicy{}).withDefaults()
	for _, r := range []float64{0, 0.5, 0.999} {
		c.rand = func() float64 { return r }
		now := time.Unix(0, 0)
		tok := &Token{Obtained: now, Expiry: now.Add(1000 * time.Second)}
		c.schedule(tok, &p)
		// lifetime 1000s → skew 100s → TTL 900s.
		want := time.Duration(float64(900*time.Second) * (0.8 - 0.1*r))
		if got := tok.refreshAt.Sub(now); got != want {
			t.Errorf("rand %v: refresh at %v, want %v", r, got, want)
		}
	}
}

func TestSchedule(t *testing.T) {
	now := time.Unix(0, 0)
	for _, tc := range []struct {
		policy  CachePolicy
		expires time.Duration // 0: none sent
		ttl     time.Duration
	}{
		{CachePolicy{}, 3600 * time.Second, 3240 * time.Second}, // skew 10% = 360s
		{CachePolicy{}, 300 * time.Second, 240 * time.Second},   // skew 60s
		{CachePolicy{}, 60 * time.Second, 30 * time.Second},     // skew capped at half
		{CachePolicy{}, 0, 4 * time.Minute},                     // default 5 min lifetime
		{CachePolicy{Skew: 10 * time.Second}, 300 * time.Second, 290 * time.Second},
		{CachePolicy{MaxTTL: time.Minute}, 3600 * time.Second, time.Minute},
	} {
		c := &tokenCache{rand: func() float64 { return 0 }}
		p := tc.policy.withDefaults()
		tok := &Token{Obtained: now}
		if tc.expires > 0 {
			tok.Expiry = now.Add(tc.expires)
		}
		c.schedule(tok, &p)
		if got := tok.freshUntil.Sub(now); got != tc.ttl {
			t.Errorf("%+v expires %v: TTL %v, want %v", tc.policy, tc.expires, got, tc.ttl)
		}
	}
}

// A 429 storm: one request, then silence until Retry-After has passed, with
// callers told when to come back.
func TestRetryAfterHonoured(t *testing.T) {
	h := newHarness(t, "", nil)
	h.idp.failWith(http.StatusTooManyRequests, `{"error":"temporarily_unavailable"}`, "Retry-After", "30")
	for range 50 {
		_, _, err := h.getToken("cdr")
		var ue *UnavailableError
		if !errors.As(err, &ue) {
			t.Fatalf("got %v, want UnavailableError", err)
		}
		if ue.RetryAfter <= 0 || ue.RetryAfter > 30*time.Second {
			t.Fatalf("RetryAfter %v", ue.RetryAfter)
		}
	}
	if got := h.idp.count.Load(); got != 1 {
		t.Fatalf("IDP got %d requests during the back-off, want 1", got)
	}
	h.clock.Advance(20 * time.Second)
	code, body, hdr := h.token("cdr")
	if code != 503 || body["error"] != "temporarily_unavailable" || hdr.Get("Retry-After") != "10" {
		t.Fatalf("during back-off: %d %v Retry-After=%q", code, body, hdr.Get("Retry-After"))
	}
	if got := h.idp.count.Load(); got != 1 {
		t.Fatalf("IDP got %d requests, want still 1", got)
	}
	h.idp.heal()
	h.clock.Advance(11 * time.Second)
	if code, body, _ := h.token("cdr"); code != 200 || body["access_token"] == nil {
		t.Fatalf("after back-off: %d %v", code, body)
	}
	if got := h.idp.count.Load(); got != 2 {
		t.Fatalf("IDP got %d requests, want 2", got)
	}
}

// An IDP outage: a token past its TTL but still valid is served; after it
// expires callers get a clear 503.
func TestOutageServesStaleUntilExpiry(t *testing.T) {
	h := newHarness(t, "", nil)
	tok1, _, _ := h.getToken("cdr")
	h.idp.failWith(http.StatusServiceUnavailable, `<html>down</html>`)
	h.clock.Advance(250 * time.Second) // past the 240s TTL, 50s left
	tok, out, err := h.getToken("cdr")
	if err != nil || tok != tok1 || out != outcomeStale {
		t.Fatalf("during outage: %v %v", out, err)
	}
	resp := h.do("GET", "/t/cdr/ehr", "powerbi", testPassword, nil)
	if body := readAll(t, resp.Body); resp.StatusCode != 200 || !strings.Contains(body, tok1.AccessToken) {
		t.Fatalf("proxy during outage: %d %s", resp.StatusCode, body)
	}
	h.clock.Advance(46 * time.Second) // 4s left: under MinValidity (5s)
	resp = h.do("GET", "/t/cdr/ehr", "powerbi", testPassword, nil)
	body := readAll(t, resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(body, `no token for target "cdr"`) || !strings.Contains(body, "HTTP 503") {
		t.Fatalf("after expiry: %d %q", resp.StatusCode, body)
	}
	if h.cdrN.Load() != 1 {
		t.Fatalf("CDR got %d requests, want 1 (none after expiry)", h.cdrN.Load())
	}
}

// The negative cache keeps a failing IDP from being hit by every request.
func TestNegativeCache(t *testing.T) {
	h := newHarness(t, "", nil)
	h.idp.failWith(http.StatusInternalServerError, `{"error":"server_error"}`)
	for range 20 {
		if _, _, err := h.getToken("cdr"); err == nil {
			t.Fatal("want error")
		}
	}
	if got := h.idp.count.Load(); got != 1 {
		t.Fatalf("IDP got %d requests within the negative TTL, want 1", got)
	}
	h.clock.Advance(1100 * time.Millisecond)
	h.getToken("cdr")
	if got := h.idp.count.Load(); got != 2 {
		t.Fatalf("IDP got %d requests after the negative TTL, want 2", got)
	}
}

// Repeated invalid_client opens the breaker: no IDP calls during the
// cooldown, a clear message, one probe after it.
func TestBreakerOnInvalidClient(t *testing.T) {
	h := newHarness(t, "", nil)
	h.idp.set(func(idp *testIDP) { idp.secret = "rotated-at-the-idp" })
	for i := range 3 {
		_, _, err := h.getToken("cdr")
		var ue *UnavailableError
		if !errors.As(err, &ue) || ue.BreakerOpen != (i == 2) {
			t.Fatalf("attempt %d: %v (breaker open %v)", i, err, ue != nil && ue.BreakerOpen)
		}
		h.clock.Advance(2 * time.Second) // past the negative TTL
	}
	if got := h.idp.count.Load(); got != 3 {
		t.Fatalf("IDP got %d requests, want 3", got)
	}
	for range 10 {
		h.clock.Advance(10 * time.Second)
		code, body, hdr := h.token("cdr")
		if code != 503 || !strings.Contains(body["error_description"].(string), "circuit breaker open") || hdr.Get("Retry-After") == "" {
			t.Fatalf("breaker open: %d %v", code, body)
		}
	}
	if got := h.idp.count.Load(); got != 3 {
		t.Fatalf("IDP got %d requests while the breaker was open, want 3", got)
	}
	st := h.srv.cache.status(h.srv.state.Load().targets["cdr"])
	if !st.BreakerOpen || st.InvalidRuns != 3 {
		t.Errorf("status %+v", st)
	}
	h.clock.Advance(5 * time.Minute)
	h.getToken("cdr") // half-open probe, still wrong: reopens at once
	if got := h.idp.count.Load(); got != 4 {
		t.Fatalf("IDP got %d requests after the cooldown, want 4", got)
	}
	if _, _, err := h.getToken("cdr"); err == nil || !strings.Contains(err.Error(), "circuit breaker") {
		t.Fatalf("after a failed probe: %v", err)
	}
	h.idp.set(func(idp *testIDP) { idp.secret = "s3cr3t-client-value" })
	h.clock.Advance(5 * time.Minute)
	if _, _, err := h.getToken("cdr"); err != nil {
		t.Fatalf("after the fix: %v", err)
	}
	if st := h.srv.cache.status(h.srv.state.Load().targets["cdr"]); st.BreakerOpen || st.InvalidRuns != 0 {
		t.Errorf("status after success %+v", st)
	}
}

// A slow IDP: callers wait at most wait_timeout and get a 503; the fetch
// itself goes on and fills the cache.
func TestSlowIDPBoundedWait(t *testing.T) {
	h := newHarness(t, "cache:\n  wait_timeout: 100ms\n", nil)
	hold := make(chan struct{})
	h.idp.set(func(idp *testIDP) { idp.hold = hold })
	start := time.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body, _ := h.token("cdr")
			if code != 503 || !strings.Contains(body["error_description"].(string), "waiting for the identity provider") {
				t.Errorf("slow IDP: %d %v", code, body)
			}
		}()
	}
	wg.Wait()
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("callers waited %v", el)
	}
	close(hold)
	// The detached fetch completes and later callers get its token.
	deadline := time.Now().Add(5 * time.Second)
	for {
		tok, out, err := h.getToken("cdr")
		if err == nil && out == outcomeHit && tok != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cache never filled: %v %v", out, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := h.idp.count.Load(); got != 1 {
		t.Fatalf("IDP got %d requests, want 1", got)
	}
}

// Token responses are checked: token_type, expires_in forms, JSON.
func TestFetchTokenResponses(t *testing.T) {
	for _, tc := range []struct {
		name, body, ctype string
		status            int
		want              string // error substring, "" for success
		lifetime          time.Duration
	}{
		{"number", `{"access_token":"a","token_type":"Bearer","expires_in":120}`, "application/json", 200, "", 120 * time.Second},
		{"string", `{"access_token":"a","token_type":"bearer","expires_in":"3600"}`, "application/json; charset=utf-8", 200, "", time.Hour},
		{"missing", `{"access_token":"a","token_type":"Bearer"}`, "application/json", 200, "", 5 * time.Minute},
		{"mac", `{"access_token":"a","token_type":"mac","expires_in":1}`, "application/json", 200, `token_type "mac"`, 0},
		{"no token", `{"token_type":"Bearer"}`, "application/json", 200, "no access_token", 0},
		{"html", `<html>`, "text/html", 200, "content type", 0},
		{"bad expires", `{"access_token":"a","token_type":"Bearer","expires_in":"soon"}`, "application/json", 200, "bad expires_in", 0},
		{"oauth error", `{"error":"invalid_scope","error_description":"no such scope"}`, "application/json", 400, "HTTP 400 invalid_scope: no such scope", 0},
		{"junk error", `{"error":"<script>"}`, "application/json", 400, "HTTP 400 http_400", 0},
		{"redirect", ``, "text/plain", 307, "HTTP 307 http_307: redirect to", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "", nil)
			h.idp.set(func(idp *testIDP) {
				idp.respond = func(_ int64, w http.ResponseWriter) bool {
					w.Header().Set("Content-Type", tc.ctype)
					w.WriteHeader(tc.status)
					io.WriteString(w, tc.body)
					return true
				}
			})
			tok, _, err := h.getToken("cdr")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := tok.Expiry.Sub(tok.Obtained); got != tc.lifetime {
					t.Errorf("lifetime %v, want %v", got, tc.lifetime)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// Both client authentication styles and the audience mechanisms send what
// the IDP expects, and exactly one request per fetch (no auto-detection).
func TestTokenRequestShape(t *testing.T) {
	for _, tc := range []struct {
		profile, param string
		scopes         []string
		want           map[string]string
	}{
		{"auth0", "", nil, map[string]string{"audience": "https://api.example/"}},
		{"entra-v2", "", nil, map[string]string{"scope": "https://api.example/.default"}},
		{"generic-oidc", "", []string{"read"}, map[string]string{"resource": "https://api.example/", "scope": "read"}},
		{"keycloak", "resource", nil, map[string]string{"resource": "https://api.example/"}},
		{"okta", "audience", nil, map[string]string{"audience": "https://api.example/"}},
	} {
		target := &Target{Name: "x", Profile: tc.profile, AudienceParam: tc.param, Audience: "https://api.example/", Scopes: tc.scopes}
		form := target.tokenParams()
		if form.Get("grant_type") != "client_credentials" {
			t.Errorf("%s: grant_type %q", tc.profile, form.Get("grant_type"))
		}
		for k, v := range tc.want {
			if form.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q (form %v)", tc.profile, k, form.Get(k), v, form)
			}
		}
	}
	for _, style := range []string{"basic", "post"} {
		t.Run(style, func(t *testing.T) {
			idp := newTestIDP(t)
			idp.style = style
			idp.secret = "s&cr=t with spaces" // §2.3.1 form-encoding matters
			path := writeConfig(t, env{TokenURL: idp.URL + "/token", AuthStyle: style}, idp.secret)
			cfg, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := New(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if _, _, err := srv.cache.get(t.Context(), cfg.Target("cdr")); err != nil {
				t.Fatal(err)
			}
			if n := idp.count.Load(); n != 1 {
				t.Fatalf("%d requests", n)
			}
			form := idp.forms[0]
			if (form.Get("client_secret") != "") != (style == "post") {
				t.Errorf("form %v", form)
			}
		})
	}
}

// Fixing the secret with a reload closes the breaker at once: the new
// secret is a new cache key.
func TestBreakerResetByReload(t *testing.T) {
	h := newHarness(t, "", nil)
	h.idp.set(func(idp *testIDP) { idp.secret = "rotated-at-the-idp" })
	for range 3 {
		h.getToken("cdr")
		h.clock.Advance(2 * time.Second)
	}
	if _, _, err := h.getToken("cdr"); err == nil || !strings.Contains(err.Error(), "circuit breaker open") {
		t.Fatalf("breaker not open: %v", err)
	}
	path := writeConfig(t, env{TokenURL: h.idp.URL + "/token", Upstream: h.cdr.URL}, "rotated-at-the-idp")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.getToken("cdr"); err != nil {
		t.Fatalf("after the reload: %v", err)
	}
	if n := h.idp.count.Load(); n != 4 {
		t.Fatalf("IDP got %d requests, want 4", n)
	}
}
