package mockidp

import (
	"net/url"
	"strings"
	"testing"
)

func TestCheckAuthorizeURL(t *testing.T) {
	e := newEnv(t, Config{})
	good := func() url.Values { q := authQuery(testVerifier); return q }
	build := func(q url.Values) string { return e.srv.Endpoints().Authorize + "?" + q.Encode() }
	if f := e.srv.CheckAuthorizeURL(build(good()), "st-1", testVerifier); len(f) != 0 {
		t.Fatalf("good request: %v", f)
	}
	for _, tc := range []struct {
		name     string
		mut      func(url.Values)
		url      string
		verifier string
		want     string
	}{
		{name: "wrong host", url: "https://login.example.com/authorize?" + good().Encode(), want: "url: points to https://login.example.com/authorize"},
		{name: "no state", mut: func(q url.Values) { q.Del("state") }, want: "state: missing"},
		{name: "other state", mut: func(q url.Values) { q.Set("state", "mine") }, want: `state: is "mine"`},
		{name: "no redirect", mut: func(q url.Values) { q.Del("redirect_uri") }, want: "redirect_uri: missing"},
		{name: "token flow", mut: func(q url.Values) { q.Set("response_type", "token") }, want: "response_type"},
		{name: "no challenge", mut: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, want: "code_challenge: missing"},
		{name: "verifier regenerated", verifier: strings.Repeat("z", 50), want: "does not match code_challenge (S256)"},
		{name: "no method", mut: func(q url.Values) { q.Del("code_challenge_method") }, want: "code_challenge_method: missing"},
		{name: "padded", mut: func(q url.Values) { q.Set("code_challenge", q.Get("code_challenge")+"=") }, want: "padding"},
		{name: "GUID verifier", verifier: "0e2a7b8c-1d3f-4e5a-9b6c-7d8e9f0a1b2c", want: "code_verifier: the Context's verifier is unusable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := good()
			if tc.mut != nil {
				tc.mut(q)
			}
			u := tc.url
			if u == "" {
				u = build(q)
			}
			v := tc.verifier
			if v == "" {
				v = testVerifier
			}
			var got []string
			for _, f := range e.srv.CheckAuthorizeURL(u, "st-1", v) {
				got = append(got, f.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("findings %q, want one containing %q", got, tc.want)
			}
		})
	}
}
