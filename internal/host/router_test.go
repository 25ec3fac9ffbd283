package host

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRouterRewrite(t *testing.T) {
	rt, err := NewRouter(nil,
		Route{Prefix: "https://sso.example.org", Target: "http://127.0.0.1:1000", Name: "idp"},
		Route{Prefix: "https://sso.example.org/realms/r/token", Target: "http://127.0.0.1:1000/t", Name: "idp"},
		Route{Prefix: "https://cdr.example.org/ehrbase/rest/openehr/v1/", Target: "http://127.0.0.1:2000/ehrbase/rest/openehr/v1", Name: "cdr"},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want, name string }{
		{"https://sso.example.org/realms/r/auth?x=1", "http://127.0.0.1:1000/realms/r/auth?x=1", "idp"},
		{"https://sso.example.org/realms/r/token", "http://127.0.0.1:1000/t", "idp"},
		{"https://sso.example.org/realms/r/token?a=b", "http://127.0.0.1:1000/t?a=b", "idp"},
		{"https://sso.example.org", "http://127.0.0.1:1000", "idp"},
		{"https://cdr.example.org/ehrbase/rest/openehr/v1/query/aql", "http://127.0.0.1:2000/ehrbase/rest/openehr/v1/query/aql", "cdr"},
		{"http://127.0.0.1:3000/x", "http://127.0.0.1:3000/x", ""},
		{"http://localhost:3000/x", "http://localhost:3000/x", ""},
	} {
		got, r, err := rt.Rewrite(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		name := ""
		if r != nil {
			name = r.Name
		}
		if got != tc.want || name != tc.name {
			t.Errorf("%s → %s (%s), want %s (%s)", tc.in, got, name, tc.want, tc.name)
		}
	}
	// A prefix matches at a path boundary only, and other hosts are refused.
	for _, in := range []string{
		"https://sso.example.org.evil.example/x",
		"https://cdr.example.org/ehrbase/rest/openehr/v10/x",
		"https://example.com/",
		"http://10.0.0.1/",
	} {
		if got, _, err := rt.Rewrite(in); err == nil {
			t.Errorf("%s was routed to %s, want a refusal", in, got)
		} else if !strings.Contains(err.Error(), "nothing may leave loopback") {
			t.Errorf("%s: unclear refusal %v", in, err)
		}
	}
}

func TestRouterRefusesNonLoopbackTargets(t *testing.T) {
	for _, target := range []string{"https://example.com", "http://192.168.1.1:80", "ftp://127.0.0.1"} {
		if _, err := NewRouter(nil, Route{Prefix: "https://a.example", Target: target}); err == nil {
			t.Errorf("target %s accepted", target)
		}
	}
	if _, err := NewRouter(nil, Route{Prefix: "/relative", Target: "http://127.0.0.1:1"}); err == nil {
		t.Error("relative prefix accepted")
	}
}

// Requests really reach the routed server, with the original path, and an
// unrouted request never leaves the process.
func TestRouterRoundTrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Method+" "+r.URL.RequestURI())
	}))
	defer srv.Close()
	rt, err := NewRouter(nil, Route{Prefix: "https://idp.example.org/base", Target: srv.URL + "/mock", Name: "idp"})
	if err != nil {
		t.Fatal(err)
	}
	rt.CaptureResponses(func(r *http.Request) bool { return true })
	c := &http.Client{Transport: rt}
	resp, err := c.Get("https://idp.example.org/base/token?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "GET /mock/token?x=1" {
		t.Errorf("server saw %q", body)
	}
	if got := rt.Captured(); len(got) != 1 || string(got[0].Body) != string(body) || got[0].URL != "https://idp.example.org/base/token" {
		t.Errorf("captured %+v", got)
	}
	if _, err := c.Get("https://other.example.org/"); err == nil || !strings.Contains(err.Error(), "no route to a mock for https://other.example.org") {
		t.Errorf("unrouted request: %v", err)
	}
}
