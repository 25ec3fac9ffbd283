package mockcdr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testIDP serves a JWKS and signs tokens; keys can be rotated.
type testIDP struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	keys   []jose.JSONWebKey // private keys, newest last
	issuer string
	hits   int
}

func newTestIDP(t testing.TB) *testIDP {
	idp := &testIDP{t: t}
	idp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idp.mu.Lock()
		defer idp.mu.Unlock()
		idp.hits++
		var set jose.JSONWebKeySet
		for _, k := range idp.keys {
			set.Keys = append(set.Keys, k.Public())
		}
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(idp.srv.Close)
	idp.issuer = idp.srv.URL + "/idp" // neutral: the claim style comes from the claims
	idp.rotate()
	return idp
}

// rotate adds a new signing key (RSA first, then ECDSA) and makes it current.
func (idp *testIDP) rotate() {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	var k jose.JSONWebKey
	if len(idp.keys)%2 == 0 {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			idp.t.Fatal(err)
		}
		k = jose.JSONWebKey{Key: priv, Algorithm: string(jose.RS256), Use: "sig"}
	} else {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			idp.t.Fatal(err)
		}
		k = jose.JSONWebKey{Key: priv, Algorithm: string(jose.ES256), Use: "sig"}
	}
	k.KeyID = "k" + string(rune('1'+len(idp.keys)))
	idp.keys = append(idp.keys, k)
}

func (idp *testIDP) fetches() int {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return idp.hits
}

func (idp *testIDP) jwksURL() string { return idp.srv.URL + "/jwks" }

// token signs claims with the current key; iss, sub and exp default.
func (idp *testIDP) token(claims map[string]any) string {
	idp.mu.Lock()
	k := idp.keys[len(idp.keys)-1]
	idp.mu.Unlock()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: k},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		idp.t.Fatal(err)
	}
	c := map[string]any{"iss": idp.issuer, "sub": "user-1", "exp": fixedNow.Add(5 * time.Minute).Unix(), "iat": fixedNow.Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	raw, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		idp.t.Fatal(err)
	}
	return raw
}

var (
	keycloakClaims = map[string]any{"realm_access": map[string]any{"roles": []string{"offline_access", "USER"}}, "preferred_username": "kc"}
	auth0Claims    = map[string]any{"scope": "openid profile email"}
	entraClaims    = map[string]any{"scp": "Data.Read", "roles": []string{"USER"}, "tid": "t"}
)

func TestBasicAuth(t *testing.T) {
	s := start(t, Config{})
	q := FixtureAQL("Q1")
	basic := func(u, p string) string { return "Basic " + b64(u+":"+p) }
	r := aql(t, s, q, nil)
	wantError(t, s, r, 401, "authentication is required")
	if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="ehrbase"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	for _, u := range DefaultUsers() {
		if r := aql(t, s, q, nil, "Authorization", basic(u.Name, u.Password)); r.status != 200 {
			t.Errorf("%s: %d %s", u.Name, r.status, r.body)
		}
	}
	wantError(t, s, aql(t, s, q, nil, "Authorization", basic("ehrbase-user", "wrong")), 401, "Bad credentials")
	wantError(t, s, aql(t, s, q, nil, "Authorization", basic("nobody", "x")), 401, "Bad credentials")
	wantError(t, s, aql(t, s, q, nil, "Authorization", "Basic !!!"), 401, "malformed")
	wantError(t, s, aql(t, s, q, nil, "Authorization", "Bearer abc"), 401, "not accepted")
	// The status endpoint needs credentials too.
	wantError(t, s, call(t, "GET", s.URL()+"/ehrbase/rest/status", nil), 401, "authentication")

	// A user without USER or ADMIN is forbidden.
	custom := start(t, Config{Auth: AuthConfig{Users: []User{{Name: "viewer", Password: "pw", Roles: []string{"VIEWER"}}}}})
	r = aql(t, custom, q, nil, "Authorization", basic("viewer", "pw"))
	wantError(t, custom, r, 403, "Access Denied")

	log := s.Log()
	if e := log[1]; e.Subject != "ehrbase-user" || e.AuthScheme != "basic" || e.Status != 200 {
		t.Errorf("log %+v", e)
	}
	for _, e := range log {
		if a := e.Header.Get("Authorization"); a != "" && a != "Basic [redacted]" && a != "Bearer [redacted]" {
			t.Errorf("credential in log: %q", a)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestBearerAuth(t *testing.T) {
	idp := newTestIDP(t)
	cfg := func(profile string) Config {
		return Config{Profile: profile, Auth: AuthConfig{Mode: AuthBearer, JWKSURL: idp.jwksURL(), Issuer: idp.issuer}}
	}
	ehrbase, better := start(t, cfg("ehrbase")), start(t, cfg("better"))
	q := FixtureAQL("Q1")
	bearer := func(claims map[string]any) string { return "Bearer " + idp.token(claims) }

	for _, tc := range []struct {
		style          string
		claims         map[string]any
		ehrbase, other int
	}{
		{"keycloak", keycloakClaims, 200, 200},
		{"auth0", auth0Claims, 200, 200},
		{"auth0", map[string]any{"scope": "openid email"}, 403, 200},
		{"entra", entraClaims, 403, 200},
		{"keycloak", map[string]any{"realm_access": map[string]any{"roles": []string{"ADMIN"}}}, 200, 200},
		{"auth0", map[string]any{"scope": "user"}, 200, 200},
	} {
		tok := bearer(tc.claims)
		r := aql(t, ehrbase, q, nil, "Authorization", tok)
		if r.status != tc.ehrbase {
			t.Errorf("ehrbase %s %v: %d %s", tc.style, tc.claims, r.status, r.body)
		}
		if r.status == 403 && !strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_scope") {
			t.Errorf("403 challenge %q", r.header.Get("WWW-Authenticate"))
		}
		if e := ehrbase.Log()[len(ehrbase.Log())-1]; e.ClaimStyle != tc.style || e.Subject != "user-1" || e.AuthScheme != "bearer" {
			t.Errorf("log %s/%s/%s, want %s", e.ClaimStyle, e.Subject, e.AuthScheme, tc.style)
		}
		if r := aql(t, better, q, nil, "Authorization", tok); r.status != tc.other {
			t.Errorf("better %s: %d", tc.style, r.status)
		}
	}

	// Invalid tokens: 401 with an invalid_token challenge.
	for name, tok := range map[string]string{
		"expired":    bearer(map[string]any{"realm_access": keycloakClaims["realm_access"], "exp": fixedNow.Add(-time.Minute).Unix()}),
		"no exp":     bearer(map[string]any{"realm_access": keycloakClaims["realm_access"], "exp": nil}),
		"wrong iss":  bearer(map[string]any{"realm_access": keycloakClaims["realm_access"], "iss": "http://127.0.0.1:1/other"}),
		"not yet":    bearer(map[string]any{"realm_access": keycloakClaims["realm_access"], "nbf": fixedNow.Add(time.Hour).Unix()}),
		"garbage":    "Bearer not.a.jwt",
		"tampered":   tamper(bearer(keycloakClaims)),
		"foreign":    "Bearer " + newTestIDP(t).token(keycloakClaims),
		"basic sent": "Basic " + b64("ehrbase-user:SuperSecretPassword"),
	} {
		r := aql(t, ehrbase, q, nil, "Authorization", tok)
		if r.status != 401 {
			t.Errorf("%s: %d %s", name, r.status, r.body)
			continue
		}
		if name != "basic sent" && !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: challenge %q", name, r.header.Get("WWW-Authenticate"))
		}
	}

	// Key rotation: a token signed by a new key triggers a JWKS refetch.
	hits := idp.fetches()
	idp.rotate()
	time.Sleep(150 * time.Millisecond) // past the refetch rate limit
	if r := aql(t, ehrbase, q, nil, "Authorization", bearer(keycloakClaims)); r.status != 200 {
		t.Errorf("after rotation: %d %s", r.status, r.body)
	}
	if n := idp.fetches() - hits; n != 1 {
		t.Errorf("JWKS fetched %d times after rotation, want once", n)
	}

	// Audience, when configured, must match.
	aud := start(t, Config{Profile: "spec", Auth: AuthConfig{Mode: AuthBearer, JWKSURL: idp.jwksURL(), Audience: "https://cdr.example"}})
	if r := aql(t, aud, q, nil, "Authorization", bearer(map[string]any{"aud": "https://cdr.example"})); r.status != 200 {
		t.Errorf("audience ok: %d %s", r.status, r.body)
	}
	wantError(t, aud, aql(t, aud, q, nil, "Authorization", bearer(map[string]any{"aud": "other"})), 401, "audience")

	// Both modes: Basic and Bearer are accepted, and the challenge lists both.
	both := start(t, Config{Auth: AuthConfig{JWKSURL: idp.jwksURL()}})
	r := aql(t, both, q, nil)
	if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="ehrbase", Bearer realm="ehrbase"` {
		t.Errorf("challenge %q", got)
	}
	if r := aql(t, both, q, nil, "Authorization", "Basic "+b64("ehrbase-admin:EvenMoreSecretPassword")); r.status != 200 {
		t.Errorf("both/basic: %d", r.status)
	}
	if r := aql(t, both, q, nil, "Authorization", bearer(auth0Claims)); r.status != 200 {
		t.Errorf("both/bearer: %d", r.status)
	}
}

func tamper(h string) string {
	parts := strings.Split(h, ".")
	parts[1] = parts[1][:len(parts[1])-2] + "AA"
	return strings.Join(parts, ".")
}

func TestSubscriptionKey(t *testing.T) {
	s := start(t, Config{Profile: "dips", SubscriptionKey: "sub-123", Auth: AuthConfig{Mode: AuthNone}})
	q := FixtureAQL("Q1")
	r := aql(t, s, q, nil)
	if r.status != 401 || !strings.Contains(string(r.body), "missing subscription key") {
		t.Errorf("no key: %d %s", r.status, r.body)
	}
	if r := aql(t, s, q, nil, "Ocp-Apim-Subscription-Key", "bad"); r.status != 401 || !strings.Contains(string(r.body), "invalid subscription key") {
		t.Errorf("bad key: %d %s", r.status, r.body)
	}
	for _, h := range []string{"dips-subscription-key", "Ocp-Apim-Subscription-Key"} {
		if r := aql(t, s, q, nil, h, "sub-123"); r.status != 200 {
			t.Errorf("%s: %d", h, r.status)
		}
	}
	if got := s.Log()[2].Header.Get("Dips-Subscription-Key"); got != "[redacted]" {
		t.Errorf("subscription key logged as %q", got)
	}
}

func TestSMARTConfiguration(t *testing.T) {
	s := start(t, Config{Auth: AuthConfig{Mode: AuthNone, SMART: SMARTConfig{Issuer: "http://127.0.0.1:9/realms/x", TokenEndpoint: "http://127.0.0.1:9/token"}}})
	m := call(t, "GET", s.URL()+"/.well-known/smart-configuration", nil).json(t)
	svc := m["services"].(map[string]any)["org.openehr.rest"].(map[string]any)
	if svc["baseUrl"] != s.BaseURL() || m["token_endpoint"] != "http://127.0.0.1:9/token" {
		t.Errorf("smart configuration %v", m)
	}
	if r := call(t, "GET", open(t, "ehrbase").URL()+"/.well-known/smart-configuration", nil); r.status != 404 {
		t.Errorf("unconfigured SMART: %d", r.status)
	}
}
