package mockidp

import (
	"fmt"
	"net/url"
	"strings"
)

// Finding is one problem in an authorization request URL.
type Finding struct {
	Param   string `json:"param"`
	Problem string `json:"problem"`
}

// String formats the finding as "param: problem".
func (f Finding) String() string { return f.Param + ": " + f.Problem }

// CheckAuthorizeURL checks an authorization request URL as a connector's
// StartLogin built it (its LoginUri), before anything follows it: that it
// targets this server's authorization endpoint and carries
// response_type=code, a registered client_id and redirect_uri, a state
// (equal to wantState unless that is ""), and a PKCE challenge that matches
// verifier, recomputed with S256 or compared for plain. An empty verifier
// skips the comparison; the challenge is still required where the profile
// requires PKCE. No findings means the request is acceptable.
func (s *Server) CheckAuthorizeURL(raw, wantState, verifier string) []Finding {
	var out []Finding
	add := func(param, format string, args ...any) {
		out = append(out, Finding{param, fmt.Sprintf(format, args...)})
	}
	u, err := url.Parse(raw)
	if err != nil {
		add("url", "not a URL: %v", err)
		return out
	}
	if ep := s.Endpoints().Authorize; u.Scheme+"://"+u.Host+u.Path != ep {
		add("url", "points to %s, not the authorization endpoint %s", u.Scheme+"://"+u.Host+u.Path, ep)
	}
	q := u.Query()
	for k, vs := range q {
		if len(vs) > 1 && k != "resource" {
			add(k, "sent %d times", len(vs))
		}
	}
	if rt := q.Get("response_type"); rt != "code" {
		add("response_type", "is %q; want code", rt)
	}
	id := q.Get("client_id")
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	switch {
	case id == "":
		add("client_id", "missing")
	case c == nil && !s.cfg.AutoRegister:
		add("client_id", "%q is not registered", id)
	}
	ru := q.Get("redirect_uri")
	switch {
	case ru == "":
		add("redirect_uri", "missing; FinishLogin must send the same value, so StartLogin should name it (Power BI uses %s)", PowerBIRedirect)
	case c != nil && !hasScope(c.RedirectURIs, ru):
		add("redirect_uri", "%q is not registered for client %q (registered: %s)", ru, id, strings.Join(c.RedirectURIs, ", "))
	}
	switch st := q.Get("state"); {
	case st == "":
		add("state", "missing; the Power BI service requires StartLogin to put its state parameter in the URL")
	case wantState != "" && st != wantState:
		add("state", "is %q, not the state %q the host passed to StartLogin", st, wantState)
	}
	ch, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if ch == "" {
		if req := s.prof.PKCE.Required; req == "all" || req == "public" && (c == nil || c.public()) {
			add("code_challenge", "missing; profile %s requires PKCE for this client (RFC 7636 §4.4.1)", s.prof.Name)
		}
		if verifier != "" {
			add("code_challenge", "missing although the Context carries a code verifier")
		}
		return out
	}
	if method == "" {
		add("code_challenge_method", "missing, so the server reads the challenge as plain (RFC 7636 §4.3); send S256")
		method = MethodPlain
	}
	if err := checkChallenge(ch, method); err != nil {
		add("code_challenge", "%v", err)
		return out
	}
	if verifier == "" {
		return out
	}
	if err := CheckVerifier(verifier); err != nil {
		add("code_verifier", "the Context's verifier is unusable: %v", err)
		return out
	}
	if ok, hint := matchVerifier(verifier, ch, method); !ok {
		add("code_challenge", "%s", hint)
	}
	return out
}
