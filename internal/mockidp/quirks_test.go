package mockidp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// claimsOf decodes a JWT payload without verifying it (tests verify
// signatures elsewhere).
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func isJWT(tok string) bool { return strings.Count(tok, ".") == 2 && strings.HasPrefix(tok, "ey") }

// TestProfileEndpoints checks each profile's paths and issuer format.
func TestProfileEndpoints(t *testing.T) {
	for _, tc := range []struct{ profile, issuerSuffix, tokenPath string }{
		{"strict-rfc", "", "/token"},
		{"auth0", "/", "/oauth/token"},
		{"entra-v2", "/3f6a1c2e-8d4b-4f7a-9c5e-2b1d0a9e8f70/v2.0", "/3f6a1c2e-8d4b-4f7a-9c5e-2b1d0a9e8f70/oauth2/v2.0/token"},
		{"keycloak", "/realms/pqx", "/realms/pqx/protocol/openid-connect/token"},
		{"okta", "/oauth2/default", "/oauth2/default/v1/token"},
		{"google", "", "/token"},
		{"generic-oidc", "", "/oauth2/token"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			e := profileEnv(t, tc.profile)
			ep := e.srv.Endpoints()
			if ep.Issuer != e.srv.URL()+tc.issuerSuffix {
				t.Errorf("issuer %s", ep.Issuer)
			}
			if ep.Token != e.srv.URL()+tc.tokenPath {
				t.Errorf("token endpoint %s", ep.Token)
			}
			var doc map[string]any
			getJSON(t, ep.Discovery, &doc)
			if doc["issuer"] != ep.Issuer || doc["token_endpoint"] != ep.Token || doc["code_challenge_methods_supported"] == nil {
				t.Errorf("discovery %v", doc)
			}
			var meta map[string]any
			getJSON(t, ep.OAuthMetadata, &meta)
			if meta["issuer"] != ep.Issuer {
				t.Errorf("RFC 8414 metadata issuer %v", meta["issuer"])
			}
			// The id_token's iss is the issuer, exactly.
			q := authQuery(testVerifier)
			q.Set("access_type", "offline")
			tr := e.redeem(e.code(q), testVerifier)
			if iss := claimsOf(t, tr.str("id_token"))["iss"]; iss != ep.Issuer {
				t.Errorf("id_token iss %v", iss)
			}
		})
	}
}

func TestAuth0Quirks(t *testing.T) {
	e := profileEnv(t, "auth0")
	// Without audience the access token is opaque, yet good for /userinfo.
	tr := e.login()
	if isJWT(tr.str("access_token")) {
		t.Errorf("access token without audience is a JWT")
	}
	if u := e.userinfo(tr.str("access_token")); u.status != 200 || u.str("sub") != "alice" {
		t.Errorf("userinfo: %d %s", u.status, u.raw)
	}
	// With audience it is a JWT for that API.
	q := authQuery(testVerifier)
	q.Set("audience", "https://api.example.test")
	tr = e.redeem(e.code(q), testVerifier)
	if c := claimsOf(t, tr.str("access_token")); c["aud"] != "https://api.example.test" {
		t.Errorf("aud %v", c["aud"])
	}
	// The refresh token needs offline_access.
	q.Set("scope", "openid")
	if tr := e.redeem(e.code(q), testVerifier); tr.str("refresh_token") != "" {
		t.Errorf("refresh token without offline_access")
	}
	// A bad refresh token is a 403 with Auth0's wording.
	bad := e.refresh("rt.bogus")
	if bad.status != 403 || bad.str("error_description") != "Unknown or invalid refresh token." || bad.str("error_hint") == "" {
		t.Errorf("bad refresh: %d %s", bad.status, bad.raw)
	}
	// The audience is kept on refresh.
	q.Set("scope", "openid offline_access")
	rt := e.redeem(e.code(q), testVerifier).str("refresh_token")
	if c := claimsOf(t, e.refresh(rt).str("access_token")); c["aud"] != "https://api.example.test" {
		t.Errorf("aud lost on refresh: %v", c["aud"])
	}
}

func TestEntraQuirks(t *testing.T) {
	e := profileEnv(t, "entra-v2")
	q := authQuery(testVerifier)
	q.Set("scope", "api://pqx-api/.default openid offline_access")
	tr := e.redeem(e.code(q), testVerifier)
	c := claimsOf(t, tr.str("access_token"))
	if c["aud"] != "api://pqx-api" || c["ver"] != "2.0" || c["tid"] == nil {
		t.Errorf("claims %v", c)
	}
	if idc := claimsOf(t, tr.str("id_token")); idc["tid"] == nil || idc["oid"] == nil || idc["preferred_username"] != "alice@example.test" {
		t.Errorf("id_token claims %v", idc)
	}
	if tr.body["ext_expires_in"] == nil {
		t.Errorf("no ext_expires_in: %s", tr.raw)
	}
	bad := e.refresh("rt.bogus")
	if bad.status != 400 || !strings.HasPrefix(bad.str("error_description"), "AADSTS9002313: ") || bad.body["error_codes"] == nil || bad.str("trace_id") == "" {
		t.Errorf("entra error shape: %s", bad.raw)
	}
	// client_credentials needs exactly one .default scope.
	cc := e.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"api://pqx-api/read"}}, DefaultServiceClient+":"+DefaultServiceSecret)
	if cc.str("error") != "invalid_scope" {
		t.Errorf("client_credentials without .default: %s", cc.raw)
	}
	cc = e.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"api://pqx-api/.default"}}, DefaultServiceClient+":"+DefaultServiceSecret)
	if cc.status != 200 || claimsOf(t, cc.str("access_token"))["aud"] != "api://pqx-api" {
		t.Errorf("client_credentials: %s", cc.raw)
	}
	// A public client registered with a Web redirect must authenticate.
	e.srv.RegisterClient(Client{ID: "web-public", RedirectURIs: []string{PowerBIRedirect}, RedirectType: "web"})
	q = authQuery(testVerifier)
	q.Set("client_id", "web-public")
	tr = e.token(url.Values{"grant_type": {"authorization_code"}, "code": {e.code(q)}, "client_id": {"web-public"},
		"redirect_uri": {PowerBIRedirect}, "code_verifier": {testVerifier}}, "")
	if tr.status != 401 || !strings.HasPrefix(tr.str("error_description"), "AADSTS7000218") {
		t.Errorf("web redirect public client: %d %s", tr.status, tr.raw)
	}
}

func TestKeycloakQuirks(t *testing.T) {
	e := profileEnv(t, "keycloak")
	cb := e.redirectParams(authQuery(testVerifier))
	if cb.Get("session_state") == "" {
		t.Errorf("no session_state on the redirect")
	}
	tr := e.redeem(cb.Get("code"), testVerifier)
	if tr.body["expires_in"] != 300.0 || tr.body["refresh_expires_in"] != 1800.0 || tr.body["not-before-policy"] != 0.0 || tr.str("session_state") == "" {
		t.Errorf("keycloak fields: %s", tr.raw)
	}
	cc := e.token(url.Values{"grant_type": {"client_credentials"}}, DefaultServiceClient+":"+DefaultServiceSecret)
	if cc.str("refresh_token") != "" || cc.body["refresh_expires_in"] != 0.0 {
		t.Errorf("client_credentials: %s", cc.raw)
	}
	// Keycloak's wording in error_description, the hint beside it.
	rt := tr.str("refresh_token")
	e.refresh(rt)
	reuse := e.refresh(rt)
	if reuse.str("error_description") != "Maximum allowed refresh token reuse exceeded" || !strings.Contains(reuse.str("error_hint"), "already rotated") {
		t.Errorf("reuse error: %s", reuse.raw)
	}
}

func TestOktaQuirks(t *testing.T) {
	e := profileEnv(t, "okta")
	if c := claimsOf(t, e.login().str("access_token")); c["aud"] != "api://default" {
		t.Errorf("aud %v", c["aud"])
	}
	var doc struct {
		Methods []string `json:"code_challenge_methods_supported"`
	}
	getJSON(t, e.srv.Endpoints().Discovery, &doc)
	if strings.Join(doc.Methods, ",") != "S256" {
		t.Errorf("methods %v", doc.Methods)
	}
}

func TestGoogleQuirks(t *testing.T) {
	e := profileEnv(t, "google")
	q := authQuery(testVerifier)
	if tr := e.redeem(e.code(q), testVerifier); tr.str("refresh_token") != "" || !strings.HasPrefix(tr.str("access_token"), "ya29.") {
		t.Errorf("without access_type=offline: %s", tr.raw)
	}
	// A Desktop client that omits its secret gets 400 invalid_request.
	q.Set("client_id", DefaultConfidentialClient)
	q.Set("access_type", "offline")
	tr := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {e.code(q)}, "client_id": {DefaultConfidentialClient},
		"redirect_uri": {PowerBIRedirect}, "code_verifier": {testVerifier}}, "")
	if tr.status != 400 || tr.str("error") != "invalid_request" || tr.str("error_description") != "client_secret is missing." {
		t.Errorf("missing secret: %d %s", tr.status, tr.raw)
	}
}

func TestResourceIndicators(t *testing.T) {
	e := newEnv(t, Config{APIs: []string{"https://a.example.test/", "https://b.example.test/"}})
	q := authQuery(testVerifier)
	q["resource"] = []string{"https://a.example.test/", "https://b.example.test/"}
	rt := e.redeem(e.code(q), testVerifier).str("refresh_token")
	// Narrowing to one resource on refresh is allowed; widening is not.
	tr := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultPublicClient}, "resource": {"https://a.example.test/"}}, "")
	if c := claimsOf(t, tr.str("access_token")); c["aud"] != "https://a.example.test/" {
		t.Fatalf("narrowed aud %v (%s)", c["aud"], tr.raw)
	}
	tr = e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.str("refresh_token")}, "client_id": {DefaultPublicClient}, "resource": {"https://c.example.test/"}}, "")
	if tr.str("error") != "invalid_target" {
		t.Errorf("widened: %s", tr.raw)
	}
	// Unknown resource at authorize.
	q["resource"] = []string{"https://c.example.test/"}
	if cb := e.redirectParams(q); cb.Get("error") != "invalid_target" {
		t.Errorf("unknown resource: %v", cb)
	}
}

// TestProfilesValid loads every built-in profile and checks the enumerated
// fields survive a round trip through validate.
func TestProfilesValid(t *testing.T) {
	names := Profiles()
	if len(names) < 7 {
		t.Fatalf("profiles %v", names)
	}
	for _, n := range names {
		p, err := LoadProfile(n)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != n {
			t.Errorf("%s: name %q", n, p.Name)
		}
	}
	if _, err := LoadProfile("nope"); err == nil || !strings.Contains(err.Error(), "strict-rfc") {
		t.Errorf("unknown profile error %v", err)
	}
}

func TestResourceNarrowingAtCodeExchange(t *testing.T) {
	e := newEnv(t, Config{})
	q := authQuery(testVerifier)
	q["resource"] = []string{"https://a.example.test/", "https://b.example.test/"}
	form := func(res string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {e.code(q)}, "redirect_uri": {PowerBIRedirect},
			"client_id": {DefaultPublicClient}, "code_verifier": {testVerifier}, "resource": {res}}
	}
	tr := e.token(form("https://b.example.test/"), "")
	if c := claimsOf(t, tr.str("access_token")); c["aud"] != "https://b.example.test/" {
		t.Errorf("narrowed aud %v: %s", c["aud"], tr.raw)
	}
	// The refresh token keeps the whole grant.
	rt := tr.str("refresh_token")
	tr = e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultPublicClient}, "resource": {"https://a.example.test/"}}, "")
	if tr.status != 200 {
		t.Errorf("refresh for the other resource: %s", tr.raw)
	}
	if tr := e.token(form("https://c.example.test/"), ""); tr.str("error") != "invalid_target" {
		t.Errorf("widened at exchange: %s", tr.raw)
	}
}

func TestRefreshRedirectPolicy(t *testing.T) {
	for policy, want := range map[string][2]int{"required": {400, 200}, "reject": {200, 400}, "ignore": {200, 200}} {
		t.Run(policy, func(t *testing.T) {
			e := newEnv(t, Config{Override: map[string]any{"refresh": map[string]any{"redirect_uri": policy, "rotation": "none"}}})
			rt := e.login().str("refresh_token")
			without := e.refresh(rt)
			with := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultPublicClient}, "redirect_uri": {PowerBIRedirect}}, "")
			if without.status != want[0] || with.status != want[1] {
				t.Errorf("without redirect_uri %d, with %d; want %v", without.status, with.status, want)
			}
		})
	}
}

func TestEnforcedRateLimit(t *testing.T) {
	e := newEnv(t, Config{Profile: "okta", EnforceRateLimits: true})
	wall := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	e.srv.wallNow = func() time.Time { return wall }
	form := url.Values{"grant_type": {"client_credentials"}}
	basic := DefaultServiceClient + ":" + DefaultServiceSecret
	var got []int
	for i := 0; i < 6; i++ {
		if i == 5 {
			wall = wall.Add(time.Second) // a new window
		}
		tr := e.token(form, basic)
		got = append(got, tr.status)
		if tr.status == 429 && tr.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q", tr.header.Get("Retry-After"))
		}
	}
	// Okta allows 4 token requests per second.
	if fmt.Sprint(got) != "[200 200 200 200 429 200]" {
		t.Errorf("statuses %v", got)
	}
}

// TestGoogleTestingProfileInSync keeps google-testing a copy of google
// that differs only in the 7-day absolute refresh lifetime.
func TestGoogleTestingProfileInSync(t *testing.T) {
	g, err := LoadProfile("google")
	if err != nil {
		t.Fatal(err)
	}
	gt, err := LoadProfile("google-testing")
	if err != nil {
		t.Fatal(err)
	}
	if gt.Refresh.Absolute.D() != 7*24*time.Hour {
		t.Errorf("absolute %s", gt.Refresh.Absolute)
	}
	gt.Name, gt.Description, gt.Refresh.Absolute = g.Name, g.Description, g.Refresh.Absolute
	if diff := cmp.Diff(g, gt); diff != "" {
		t.Errorf("google-testing drifted from google (-google +testing):\n%s", diff)
	}
}

// TestEntraAnyTenant checks that connectors with hard-coded tenant URLs
// ("common", "organizations", a domain) reach the entra-v2 mock.
func TestEntraAnyTenant(t *testing.T) {
	e := profileEnv(t, "entra-v2")
	for _, tenant := range []string{"common", "organizations", "contoso.onmicrosoft.com"} {
		base := e.srv.URL() + "/" + tenant + "/oauth2/v2.0/"
		resp, err := e.hc.Get(base + "authorize?" + authQuery(testVerifier).Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		code := loc.Query().Get("code")
		if resp.StatusCode != 302 || code == "" {
			t.Fatalf("%s: authorize %d %s", tenant, resp.StatusCode, loc)
		}
		tr := e.post(base+"token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {PowerBIRedirect},
			"client_id": {DefaultPublicClient}, "code_verifier": {testVerifier}}, "")
		if tr.status != 200 || claimsOf(t, tr.str("access_token"))["iss"] != e.srv.Issuer() {
			t.Errorf("%s: token %d %s", tenant, tr.status, tr.raw)
		}
	}
	for _, p := range []string{"/common/oauth2/v2.0/", "//oauth2/v2.0/token", "/common/oauth2/v2.0/token/x", "/a/b/oauth2/v2.0/token"} {
		resp, err := http.Post(e.srv.URL()+p, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	// Profiles without wildcards stay exact.
	k := profileEnv(t, "keycloak")
	resp, _ := http.Post(k.srv.URL()+"/realms/other/protocol/openid-connect/token", "application/x-www-form-urlencoded", nil)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("keycloak other realm: %d", resp.StatusCode)
	}
}

func TestGoogleAliases(t *testing.T) {
	e := profileEnv(t, "google")
	q := authQuery(testVerifier)
	q.Set("access_type", "offline")
	resp, err := e.hc.Get(e.srv.URL() + "/o/oauth2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tr := e.post(e.srv.URL()+"/o/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {PowerBIRedirect}, "client_id": {DefaultPublicClient}, "code_verifier": {testVerifier}}, "")
	if tr.status != 200 || tr.str("refresh_token") == "" {
		t.Errorf("old token path: %d %s", tr.status, tr.raw)
	}
}
