package mockidp

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// Scripted /authorize outcomes (the user's or the IDP's decision).
const (
	OutcomeApprove             = "approve"
	OutcomeAccessDenied        = "access_denied"
	OutcomeLoginRequired       = "login_required"
	OutcomeInteractionRequired = "interaction_required"
	OutcomeConsentRequired     = "consent_required"
	OutcomeWrongState          = "wrong_state"  // approve, but echo a different state
	OutcomeMissingCode         = "missing_code" // redirect with state and no code
	OutcomeError               = "error"        // redirect with Error/Description
)

// AuthorizeOutcome scripts the decision of one future /authorize request.
// Outcomes queue up; /authorize approves as the first user when none is
// queued.
type AuthorizeOutcome struct {
	Action string `json:"action"`
	// Subject signs in as this user (approve); "" is the first user.
	Subject string `json:"subject,omitempty"`
	// Error and Description are the redirect's error for Action "error".
	Error       string `json:"error,omitempty"`
	Description string `json:"description,omitempty"`
}

func (o AuthorizeOutcome) check() error {
	switch o.Action {
	case OutcomeApprove, OutcomeAccessDenied, OutcomeLoginRequired, OutcomeInteractionRequired,
		OutcomeConsentRequired, OutcomeWrongState, OutcomeMissingCode:
		return nil
	case OutcomeError:
		if o.Error == "" {
			return fmt.Errorf("authorize outcome error: needs an error code")
		}
		return nil
	}
	return fmt.Errorf("unknown authorize outcome %q (approve, access_denied, login_required, interaction_required, consent_required, wrong_state, missing_code, error)", o.Action)
}

// ScriptAuthorize queues outcomes for the next /authorize requests.
func (s *Server) ScriptAuthorize(outcomes ...AuthorizeOutcome) error {
	for _, o := range outcomes {
		if err := o.check(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.script = append(s.script, outcomes...)
	s.mu.Unlock()
	return nil
}

// pageError answers an /authorize error that must not be redirected (bad
// client or redirect_uri, RFC 6749 §4.1.2.1): an HTML page, as an IDP
// shows, with the error and hint in it and in X-Pqx-Error headers.
func (x *exchange) pageError(e *oauthError) {
	h := x.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Pqx-Error", e.Code)
	h.Set("X-Pqx-Hint", asciiText(e.Hint))
	x.w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(x.w, "<!doctype html><title>Sign-in error</title><h1>%s</h1><p>%s</p><p>The authorization server does not redirect back because the client or redirect_uri cannot be trusted (RFC 6749 §4.1.2.1).</p>\n",
		html.EscapeString(e.Code), html.EscapeString(e.Hint))
	x.e.Error, x.e.Reason, x.e.Hint = e.Code, e.Reason, e.Hint
	x.record(http.StatusBadRequest, "error")
}

// redirect answers 302 to the client's redirect URI with params added.
func (x *exchange) redirect(ru string, params url.Values, outcome string) {
	u, _ := url.Parse(ru) // validated against registration already
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	x.w.Header().Set("Cache-Control", "no-store")
	x.w.Header().Set("Location", u.String())
	x.w.WriteHeader(http.StatusFound)
	x.record(http.StatusFound, outcome)
}

// redirectError sends an error to the client on its redirect URI.
func (x *exchange) redirectError(ru, state string, e *oauthError) {
	p := url.Values{"error": {e.Code}}
	desc := e.Description
	if desc == "" {
		desc = e.Hint
	}
	if desc != "" {
		p.Set("error_description", sanitizeDescription(desc))
	}
	if state != "" {
		p.Set("state", state)
	}
	x.e.Error, x.e.Reason, x.e.Hint = e.Code, e.Reason, e.Hint
	x.redirect(ru, p, "redirect")
}

// handleAuthorize is the headless authorization endpoint: it validates the
// request, applies the next scripted outcome (approve by default) and
// answers 302 to the redirect URI without any login page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r, "authorize")
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			q = r.Form
		}
	}
	x.e.Params = redactedParams(q)
	x.e.ClientID = q.Get("client_id")
	if s.applyFaults(x) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		x.pageError(invalidRequest("method", "/authorize accepts GET or POST, not %s", r.Method))
		return
	}
	id := q.Get("client_id")
	if id == "" {
		x.pageError(invalidRequest("param_missing", "client_id is missing (RFC 6749 §4.1.1)"))
		return
	}
	if len(q["client_id"]) > 1 || len(q["redirect_uri"]) > 1 {
		x.pageError(invalidRequest("param_duplicated", "client_id or redirect_uri is sent more than once"))
		return
	}
	ru := q.Get("redirect_uri")
	s.mu.Lock()
	c := s.clients[id]
	if c == nil && s.cfg.AutoRegister && ru != "" {
		if u, err := url.Parse(ru); err == nil && u.IsAbs() && u.Fragment == "" {
			c = &Client{ID: id, RedirectURIs: []string{ru}, RedirectType: "native"}
			s.clients[id] = c
			x.e.Effects = append(x.e.Effects, "client "+id+" auto-registered with redirect_uri "+ru)
		}
	}
	var registered []string
	if c != nil {
		registered = append(registered, c.RedirectURIs...)
	}
	s.mu.Unlock()
	if c == nil {
		x.pageError(invalidRequest("client_unknown", "client %q is not registered", id))
		return
	}
	if ru == "" {
		if len(registered) != 1 {
			x.pageError(invalidRequest("redirect_missing", "redirect_uri is missing and client %q has %d registered redirect URIs", id, len(registered)))
			return
		}
	} else if !hasScope(registered, ru) {
		x.pageError(invalidRequest("redirect_mismatch", "redirect_uri %q is not registered for client %q (registered: %s); URIs are compared as exact strings (RFC 9700 §4.1.3)%s", ru, id, strings.Join(registered, ", "), redirectHint(ru, registered)))
		return
	}
	target := ru
	if target == "" {
		target = registered[0]
	}
	state := q.Get("state")
	fail := func(e *oauthError) { x.redirectError(target, state, e) }
	for k, vs := range q {
		if len(vs) > 1 && k != "resource" {
			fail(invalidRequest("param_duplicated", "parameter %s is sent %d times", k, len(vs)))
			return
		}
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		fail(invalidRequest("param_missing", "response_type is missing; use response_type=code"))
		return
	default:
		fail(oauthErr("unsupported_response_type", 400, "response_type_unsupported", "response_type %q is not supported; use code", rt))
		return
	}
	if state == "" {
		if s.prof.State == "required" {
			fail(invalidRequest("state_missing", "state is missing; profile %s requires it (the Power BI service does too)", s.prof.Name))
			return
		}
		x.e.Warnings = append(x.e.Warnings, "state is missing; the Power BI service requires it and it protects against CSRF (RFC 6749 §10.12)")
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge == "" {
		if method != "" {
			fail(invalidRequest("pkce_method_without_challenge", "code_challenge_method is sent without code_challenge"))
			return
		}
		if req := s.prof.PKCE.Required; req == "all" || req == "public" && c.public() {
			fail(invalidRequest("pkce_required", "code_challenge is required for this client (RFC 7636 §4.4.1, RFC 9700 §2.1.1)"))
			return
		}
	} else {
		defaulted := method == ""
		if defaulted {
			method = MethodPlain // RFC 7636 §4.3
			x.e.Warnings = append(x.e.Warnings, "code_challenge_method is missing and defaults to plain (RFC 7636 §4.3); a client able to do S256 must send it")
		}
		switch {
		case method != MethodS256 && method != MethodPlain:
			fail(invalidRequest("pkce_method_unsupported", "code_challenge_method %q is not supported (S256, plain)", method))
			return
		case method == MethodPlain && !s.prof.PKCE.AllowPlain && defaulted:
			fail(invalidRequest("pkce_method_unsupported", "code_challenge_method is missing, so it defaults to plain (RFC 7636 §4.3), which profile %s does not support; send code_challenge_method=S256", s.prof.Name))
			return
		case method == MethodPlain && !s.prof.PKCE.AllowPlain:
			fail(invalidRequest("pkce_method_unsupported", "code_challenge_method plain is not supported by profile %s; use S256", s.prof.Name))
			return
		}
		if err := checkChallenge(challenge, method); err != nil {
			fail(invalidRequest("pkce_challenge_syntax", "%v", err))
			return
		}
	}
	scope := splitScope(q.Get("scope"))
	if e := checkScopeSyntax(scope); e != nil {
		fail(e)
		return
	}
	for _, sc := range scope {
		if strings.Contains(sc, "%20") || strings.Contains(sc, "%2F") || strings.Contains(sc, "+") {
			x.e.Warnings = append(x.e.Warnings, fmt.Sprintf("scope token %q looks URL-encoded twice (Uri.EscapeDataString inside Uri.BuildQueryString?)", sc))
		}
	}
	if bad, ok := subset(scope, c.Scopes); len(c.Scopes) > 0 && !ok {
		fail(oauthErr("invalid_scope", 400, "scope_invalid", "scope %q is not allowed for client %q", bad, id))
		return
	}
	aud, audSet, aerr := s.resolveAudience(c, scope, q, false)
	if aerr != nil {
		fail(aerr)
		return
	}
	offline := false
	switch s.prof.Scope.Offline {
	case "always":
		offline = true
	case "offline_access":
		offline = hasScope(scope, "offline_access")
	case "access_type_offline":
		offline = q.Get("access_type") == "offline"
	}

	s.mu.Lock()
	out := AuthorizeOutcome{Action: OutcomeApprove}
	if len(s.script) > 0 {
		out, s.script = s.script[0], s.script[1:]
		x.e.Effects = append(x.e.Effects, "scripted outcome "+out.Action)
	}
	user := s.users[0]
	if hint := q.Get("login_hint"); hint != "" && out.Subject == "" {
		// Sign in as the user the client suggests, if there is one.
		for _, u := range s.users {
			if u.Subject == hint || u.Email != "" && strings.EqualFold(u.Email, hint) {
				user = u
			}
		}
	}
	if out.Subject != "" {
		user = User{Subject: out.Subject}
		for _, u := range s.users {
			if u.Subject == out.Subject {
				user = u
			}
		}
	}
	s.mu.Unlock()
	switch out.Action {
	case OutcomeAccessDenied, OutcomeLoginRequired, OutcomeInteractionRequired, OutcomeConsentRequired:
		fail(oauthErr(out.Action, 400, "scripted", "scripted outcome: the user or IDP answered %s", out.Action))
		return
	case OutcomeError:
		e := oauthErr(out.Error, 400, "scripted", "scripted outcome: %s", out.Error)
		e.Description = out.Description
		fail(e)
		return
	}
	now := x.now
	rec := &codeRec{code: randomToken("ac."), client: id, redirect: ru, redirectSent: ru != "",
		challenge: challenge, method: method, scope: scope, aud: aud, audSet: audSet, nonce: q.Get("nonce"),
		subject: user, offline: offline, issued: now, expires: now.Add(s.prof.Lifetimes.Code.D())}
	if challenge == "" {
		rec.method = ""
	}
	s.mu.Lock()
	rec.session = s.newID("s")
	s.sessions[rec.session] = &session{id: rec.session, subject: user.Subject}
	s.codes[rec.code] = rec
	s.mu.Unlock()
	params := url.Values{"code": {rec.code}}
	if state != "" {
		params.Set("state", state)
	}
	switch out.Action {
	case OutcomeWrongState:
		params.Set("state", state+"-tampered")
	case OutcomeMissingCode:
		params.Del("code")
	}
	if s.prof.Extra.SessionState {
		params.Set("session_state", rec.session)
	}
	x.e.Reason = "approved"
	if out.Action != OutcomeApprove {
		x.e.Reason = "scripted_" + out.Action
	}
	x.e.Issued = []string{"code " + Fingerprint(rec.code)}
	x.redirect(target, params, "redirect")
}

// checkScopeSyntax enforces scope-token = 1*NQCHAR (RFC 6749 §3.3).
func checkScopeSyntax(scope []string) *oauthError {
	for _, sc := range scope {
		for i := 0; i < len(sc); i++ {
			if c := sc[i]; c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
				return oauthErr("invalid_scope", 400, "scope_invalid", "scope token %q has %q, outside RFC 6749 §3.3 NQCHAR", sc, c)
			}
		}
	}
	return nil
}

// redirectHint names the usual reason a redirect_uri misses the
// registered ones: double encoding, a trailing slash, http vs https, case.
func redirectHint(got string, want []string) string {
	for _, w := range want {
		switch {
		case got == "":
		case strings.Contains(got, "%3A") || strings.Contains(got, "%2F"):
			if u, err := url.QueryUnescape(got); err == nil && u == w {
				return "; it is URL-encoded twice (Uri.EscapeDataString inside Uri.BuildQueryString?)"
			}
		case strings.TrimSuffix(got, "/") == strings.TrimSuffix(w, "/"):
			return "; it differs from " + w + " only in a trailing slash"
		case strings.EqualFold(got, w):
			return "; it differs from " + w + " only in letter case"
		case strings.TrimPrefix(got, "http://") == strings.TrimPrefix(w, "https://"):
			return "; it uses http where " + w + " uses https"
		}
	}
	return ""
}
