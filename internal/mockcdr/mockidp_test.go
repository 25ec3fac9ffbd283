package mockcdr

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pqxdev/pqx/internal/mockidp"
)

// TestMockIDPTokens runs the token path the connector tests use: a
// client_credentials token from the mock IDP, verified by the mock CDR
// against the IDP's JWKS and issuer. EHRbase admits Keycloak and Auth0
// tokens that carry the profile scope and refuses Entra's scp-only tokens;
// Better admits all three.
func TestMockIDPTokens(t *testing.T) {
	for _, tc := range []struct {
		idp, scope, style string
		ehrbase, better   int
	}{
		{"keycloak", "openid profile", "keycloak", 200, 200},
		{"keycloak", "openid", "keycloak", 403, 200},
		{"auth0", "openid profile", "auth0", 200, 200},
		{"entra-v2", "api://cdr/.default", "entra", 403, 200},
	} {
		t.Run(tc.idp+"/"+tc.scope, func(t *testing.T) {
			idp, err := mockidp.New(mockidp.Config{Profile: tc.idp, Vars: map[string]string{"realm": "ehrbase", "tenant": "t1"}})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(idp.Handler())
			defer ts.Close()
			idp.SetURL(ts.URL)
			ep := idp.Endpoints()
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"pqx-service"},
				"client_secret": {"pqx-service-secret"}, "scope": {tc.scope}}
			if tc.idp == "auth0" {
				form.Set("audience", "https://cdr.example")
			}
			r := call(t, "POST", ep.Token, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal(r.body, &tok); err != nil || r.status != 200 || tok.AccessToken == "" {
				t.Fatalf("token endpoint: %d %s", r.status, r.body)
			}
			for profile, want := range map[string]int{"ehrbase": tc.ehrbase, "better": tc.better} {
				cdr := start(t, Config{Profile: profile, Clock: time.Now,
					Auth: AuthConfig{Mode: AuthBearer, JWKSURL: ep.JWKS, Issuer: ep.Issuer}})
				r := aql(t, cdr, FixtureAQL("Q1"), map[string]any{"fetch": 1}, "Authorization", "Bearer "+tok.AccessToken)
				if r.status != want {
					t.Errorf("%s: %d %s, want %d", profile, r.status, r.body, want)
				}
				if e := cdr.Log()[0]; e.ClaimStyle != tc.style || e.Subject != "pqx-service" {
					t.Errorf("%s: logged claim style %q subject %q", profile, e.ClaimStyle, e.Subject)
				}
			}
		})
	}
}
