package mockidp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTokenEndpoint sends arbitrary bodies and Authorization headers to the
// token endpoint: the server must never panic, and every answer must be
// JSON with no-store caching and either tokens or an RFC 6749 error.
func FuzzTokenEndpoint(f *testing.F) {
	f.Add("grant_type=client_credentials&client_id=pqx-service&client_secret=pqx-service-secret", "")
	f.Add("grant_type=authorization_code&code=ac.x&code_verifier=short&client_id=pqx-public", "")
	f.Add("grant_type=refresh_token&refresh_token=rt.x", "Basic cHF4LXB1YmxpYzo=")
	f.Add("grant_type=client_credentials", "Basic %%%")
	f.Add("grant_type=client_credentials&scope=a%00b&resource=%ZZ", "Bearer x")
	f.Add(`{"grant_type":"client_credentials"}`, "")
	srv, err := New(Config{StartTime: testStart})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, body, auth string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("no Cache-Control: no-store (status %d)", rec.Code)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("status %d, body not JSON: %q", rec.Code, rec.Body.String())
		}
		if rec.Code == 200 {
			if m["access_token"] == nil {
				t.Fatalf("200 without access_token: %s", rec.Body)
			}
			return
		}
		if e, _ := m["error"].(string); e == "" || m["error_description"] == nil {
			t.Fatalf("error without code or description: %d %s", rec.Code, rec.Body)
		}
	})
}

// FuzzPKCEChecks runs the verifier and challenge checks on arbitrary input.
func FuzzPKCEChecks(f *testing.F) {
	f.Add(testVerifier, S256Challenge(testVerifier))
	f.Add("", "")
	f.Add(strings.Repeat("~", 129), "=")
	f.Fuzz(func(t *testing.T, verifier, challenge string) {
		verr := CheckVerifier(verifier)
		for _, m := range []string{MethodS256, MethodPlain} {
			_ = checkChallenge(challenge, m) // must not panic on any input
			ok, hint := matchVerifier(verifier, challenge, m)
			if ok && hint != "" || !ok && hint == "" {
				t.Fatalf("match %v with hint %q", ok, hint)
			}
			// A valid verifier always matches its own S256 challenge.
			if verr == nil && m == MethodS256 {
				if ok, _ := matchVerifier(verifier, S256Challenge(verifier), m); !ok {
					t.Fatal("verifier does not match its own challenge")
				}
				if err := checkChallenge(S256Challenge(verifier), m); err != nil {
					t.Fatalf("own challenge rejected: %v", err)
				}
			}
		}
	})
}

// FuzzAuthorize sends arbitrary queries to /authorize: it must never
// panic, and it may redirect only to a registered redirect URI.
func FuzzAuthorize(f *testing.F) {
	f.Add(authQuery(testVerifier).Encode())
	f.Add("client_id=pqx-public&redirect_uri=https://evil.example/&response_type=code")
	f.Add("client_id=pqx-public&response_type=token&state=%ZZ")
	f.Add("client_id=pqx-public&client_id=pqx-confidential&redirect_uri=" + PowerBIRedirect)
	srv, err := New(Config{StartTime: testStart})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/authorize", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusFound:
			if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, PowerBIRedirect+"?") {
				t.Fatalf("redirect to %q", loc)
			}
		case http.StatusBadRequest:
			if rec.Header().Get("Location") != "" {
				t.Fatal("400 with a Location")
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// FuzzAppendJSONString checks the hand-written JSON string encoder against
// encoding/json.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "ctl\x01\n\t", "é€😀", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil {
			t.Fatalf("%q: invalid JSON: %v", s, err)
		}
		want, _ := json.Marshal(s)
		var ref string
		json.Unmarshal(want, &ref)
		if back != ref {
			t.Fatalf("%q decodes to %q, encoding/json gives %q", s, back, ref)
		}
	})
}
