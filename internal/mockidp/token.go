package mockidp

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxFormBytes bounds token-endpoint bodies.
const maxFormBytes = 64 << 10

// readForm parses a POST body of application/x-www-form-urlencoded and
// rejects what RFC 6749 does not allow: another method, another content
// type, parameters in the query string, duplicated parameters.
func (x *exchange) readForm() (url.Values, *oauthError) {
	r := x.r
	if r.Method != http.MethodPost {
		x.w.Header().Set("Allow", "POST")
		e := invalidRequest("method_not_post", "%s %s: the endpoint accepts only POST (RFC 6749 §3.2)", r.Method, x.e.Endpoint)
		e.Status = http.StatusMethodNotAllowed
		return nil, e
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		return nil, invalidRequest("params_in_query", "parameters sent in the URL query (%s), not in the form-encoded body", strings.Join(names, ", "))
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		if ct == "" {
			ct = "none"
		}
		return nil, invalidRequest("content_type", "Content-Type is %s; send application/x-www-form-urlencoded (RFC 6749 §4.1.3)", ct)
	}
	body := http.MaxBytesReader(x.w, r.Body, maxFormBytes)
	buf, err := io.ReadAll(body)
	if err != nil {
		return nil, invalidRequest("body_unreadable", "cannot read the request body: %v", err)
	}
	if b := bytes.TrimSpace(buf); len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return nil, invalidRequest("body_json", "the body looks like JSON; the token endpoint takes form encoding (Content = Text.ToBinary(Uri.BuildQueryString([...])))")
	}
	form, err := url.ParseQuery(string(buf))
	if err != nil {
		return nil, invalidRequest("body_malformed", "the body is not valid form encoding: %v", err)
	}
	x.e.Params = redactedParams(form)
	for k, vs := range form {
		if len(vs) > 1 && k != "resource" {
			return form, invalidRequest("param_duplicated", "parameter %s is sent %d times; RFC 6749 §3.1 allows each once", k, len(vs))
		}
	}
	return form, nil
}

// clientAuth is the outcome of authenticating a token-endpoint client.
type clientAuth struct {
	client *Client
	method string
}

// basicCredentials decodes client_secret_basic: base64 of
// urlencode(id) ":" urlencode(secret) (RFC 6749 §2.3.1).
func basicCredentials(h string) (id, secret string, err *oauthError) {
	scheme, payload, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", invalidRequest("auth_header_scheme", "Authorization header uses %q; the token endpoint takes Basic client credentials only", scheme)
	}
	raw, decErr := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if decErr != nil {
		e := invalidClient("client_basic_malformed", "Authorization: Basic is not valid base64")
		e.basicAuth = true
		return "", "", e
	}
	u, p, ok := strings.Cut(string(raw), ":")
	if !ok {
		e := invalidClient("client_basic_malformed", "Authorization: Basic has no ':' between client id and secret")
		e.basicAuth = true
		return "", "", e
	}
	uid, err1 := url.QueryUnescape(u)
	pw, err2 := url.QueryUnescape(p)
	if err1 != nil || err2 != nil {
		e := invalidClient("client_basic_encoding", "client id and secret must be form-urlencoded before base64 (RFC 6749 §2.3.1)")
		e.basicAuth = true
		return "", "", e
	}
	return uid, pw, nil
}

// authenticate identifies the client and checks its credentials.
func (s *Server) authenticate(x *exchange, form url.Values) (*clientAuth, *oauthError) {
	var basicID, basicSecret string
	usedBasic := false
	if h := x.r.Header.Get("Authorization"); h != "" {
		var err *oauthError
		basicID, basicSecret, err = basicCredentials(h)
		if err != nil {
			return nil, err
		}
		usedBasic = true
	}
	if _, ok := form["client_assertion"]; ok {
		return nil, invalidClient("client_assertion_unsupported", "client_assertion (private_key_jwt, RFC 7523) is not supported by the mock; use client_secret_basic or client_secret_post")
	}
	bodyID := form.Get("client_id")
	_, bodySecret := form["client_secret"]
	if usedBasic && bodySecret {
		return nil, invalidRequest("client_auth_multiple", "client used Basic and body credentials; RFC 6749 §2.3 allows one authentication method per request")
	}
	if usedBasic && bodyID != "" && bodyID != basicID {
		return nil, invalidRequest("client_id_conflict", "client_id in the body (%s) differs from the Basic user (%s)", bodyID, basicID)
	}
	id := bodyID
	method := "none"
	switch {
	case usedBasic:
		id, method = basicID, "client_secret_basic"
	case bodySecret:
		method = "client_secret_post"
	}
	x.e.ClientID, x.e.AuthMethod = id, method
	mk := func(e *oauthError) *oauthError { e.basicAuth = usedBasic; return e }
	if id == "" {
		return nil, mk(invalidClient("client_missing", "no client authentication and no client_id parameter"))
	}
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	if c == nil {
		return nil, mk(invalidClient("client_unknown", "client %q is not registered", id))
	}
	if !s.methodSupported(method) {
		return nil, mk(invalidClient("client_auth_method", "client authentication %s is not supported by profile %s (supported: %s)", method, s.prof.Name, strings.Join(s.prof.Clients.AuthMethods, ", ")))
	}
	if c.public() {
		if usedBasic && basicSecret == "" {
			// x/oauth2 and others send "id:" for public clients: an
			// identification, not a credential.
			method = "none"
			x.e.AuthMethod = method
			x.e.Warnings = append(x.e.Warnings, "public client sent Authorization: Basic with an empty secret; treated as identification only")
		}
		if method != "none" {
			return nil, mk(invalidClient("client_secret_unexpected", "client %q is public (no secret registered) but sent a secret with %s", id, method))
		}
		if s.prof.Clients.WebRedirectNeedsSecret && c.RedirectType == "web" {
			e := invalidClient("client_secret_missing", "client %q has a Web redirect URI, so it must send client_secret; public clients need a Mobile and desktop redirect", id)
			e.Description = "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
			return nil, e
		}
		return &clientAuth{c, method}, nil
	}
	if method == "none" {
		if spec := s.prof.Errors.MissingSecret; spec != "" {
			status, code, _ := parseStatusError(spec)
			e := oauthErr(code, status, "client_secret_missing", "confidential client %q sent no client_secret", id)
			e.Description = s.prof.Errors.MissingSecretDescription
			return nil, e
		}
		return nil, invalidClient("client_secret_missing", "confidential client %q sent no credentials; use client_secret_basic or client_secret_post", id)
	}
	if c.AuthMethod != "" && c.AuthMethod != method {
		return nil, mk(invalidClient("client_auth_method", "client %q is registered for %s but used %s", id, c.AuthMethod, method))
	}
	secret := basicSecret
	if !usedBasic {
		secret = form.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		hint := "client_secret is wrong"
		if usedBasic && strings.ContainsAny(c.Secret, "%+&=: ") {
			hint += "; the secret has characters that must be form-urlencoded before base64 (RFC 6749 §2.3.1)"
		}
		return nil, mk(invalidClient("client_secret_wrong", "%s for client %q", hint, id))
	}
	return &clientAuth{c, method}, nil
}

func (s *Server) methodSupported(m string) bool {
	for _, a := range s.prof.Clients.AuthMethods {
		if a == m {
			return true
		}
	}
	return false
}

// handleToken serves the token endpoint.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r, "token")
	form, err := x.readForm()
	if form != nil {
		x.e.GrantType = form.Get("grant_type")
		if x.e.ClientID = form.Get("client_id"); x.e.ClientID == "" {
			if id, _, e := basicCredentials(r.Header.Get("Authorization")); e == nil {
				x.e.ClientID = id
			}
		}
	}
	if s.applyFaults(x) {
		return
	}
	if err != nil {
		x.fail(err)
		return
	}
	if e := s.rateLimit(x); e != nil {
		x.fail(e)
		return
	}
	grant := form.Get("grant_type")
	if grant == "" {
		x.fail(invalidRequest("param_missing", "grant_type is missing"))
		return
	}
	switch grant {
	case "authorization_code", "refresh_token", "client_credentials":
	default:
		x.fail(oauthErr("unsupported_grant_type", 400, "grant_unsupported", "grant_type %q is not supported (authorization_code, refresh_token, client_credentials)", grant))
		return
	}
	ca, err := s.authenticate(x, form)
	if err != nil {
		x.fail(err)
		return
	}
	if !ca.client.allows(grant) {
		hint := fmt.Sprintf("client %q may not use grant_type %s", ca.client.ID, grant)
		if grant == "client_credentials" && ca.client.public() {
			hint += "; client_credentials is for confidential clients only (RFC 6749 §4.4)"
		}
		x.fail(oauthErr("unauthorized_client", 400, "grant_not_allowed", "%s", hint))
		return
	}
	var res *grantResult
	switch grant {
	case "authorization_code":
		res, err = s.grantCode(x, ca.client, form)
	case "refresh_token":
		res, err = s.grantRefresh(x, ca.client, form)
	default:
		res, err = s.grantClientCredentials(x, ca.client, form)
	}
	if err != nil {
		x.fail(err)
		return
	}
	body, serr := s.tokenResponse(x, res)
	if serr != nil {
		x.fail(oauthErr("server_error", 500, "sign_failed", "signing failed: %v", serr))
		return
	}
	x.ok(body, res.reason)
}

// grantResult is what a grant decided, ready to be signed and written.
type grantResult struct {
	reason   string
	client   *Client
	subject  User
	scope    []string
	aud      []string
	audSet   bool
	nonce    string
	idToken  bool
	access   *accessRec
	atLife   time.Duration
	opaque   string // opaque access token value
	refresh  *refreshRec
	rtOut    string // refresh_token to return, "" for none
	session  string
	cc       bool
	authTime time.Time // when the user signed in
}

// newAccess registers an access token for res; call with s.mu held.
func (s *Server) newAccess(res *grantResult, now time.Time, life time.Duration, fam *family) {
	a := &accessRec{client: res.client.ID, subject: res.subject.Subject, scope: res.scope, aud: res.aud,
		issued: now, expires: now.Add(life), session: res.session}
	f := s.prof.AccessToken.Format
	if f == "opaque" || f == "jwt-with-audience" && !res.audSet {
		a.opaque = true
		a.id = randomToken(s.prof.AccessToken.Prefix + "at.")
		res.opaque = a.id
	} else {
		a.id = randomToken("")[:22]
	}
	if fam != nil {
		a.family = fam.id
		fam.accessIDs = append(fam.accessIDs, a.id)
	}
	s.access[a.id] = a
	res.access, res.atLife = a, life
	if s.issued++; s.issued%sweepEvery == 0 {
		s.sweep(now)
	}
}

// sweepEvery and sweepAfter bound the memory of a long-running mock: every
// sweepEvery access tokens, codes and access tokens that expired more than
// sweepAfter ago (virtual time) are forgotten. Refresh-token families are
// kept, since their history decides reuse detection.
const (
	sweepEvery = 8192
	sweepAfter = 24 * time.Hour
)

// sweep drops long-expired codes and access tokens; call with s.mu held.
func (s *Server) sweep(now time.Time) {
	limit := now.Add(-sweepAfter)
	for k, c := range s.codes {
		if c.expires.Before(limit) {
			delete(s.codes, k)
		}
	}
	for k, a := range s.access {
		if a.expires.Before(limit) {
			delete(s.access, k)
		}
	}
}

func (s *Server) grantCode(x *exchange, c *Client, form url.Values) (*grantResult, *oauthError) {
	code := form.Get("code")
	if code == "" {
		return nil, invalidRequest("param_missing", "code is missing")
	}
	verifier, hasVerifier := form["code_verifier"]
	now := x.now
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.codes[code]
	switch {
	case rec == nil:
		return nil, invalidGrant("code_unknown", "authorization code is unknown%s", s.identify(code, "code"))
	case rec.used:
		effects := []string{"code replay: tokens issued from the code revoked"}
		if f := s.families[rec.family]; f != nil {
			s.revokeFamily(f, "code replay")
			effects = append(effects, "family "+f.id+" revoked")
		}
		for _, id := range rec.accessIDs {
			if a := s.access[id]; a != nil {
				a.revoked = true
			}
		}
		x.e.Effects = effects
		return nil, invalidGrant("code_reused", "authorization code was already redeemed; codes are single-use and its tokens are now revoked (RFC 6749 §4.1.2)")
	case !now.Before(rec.expires):
		return nil, invalidGrant("code_expired", "authorization code expired at %s (lifetime %s)", rec.expires.Format(time.RFC3339), s.prof.Lifetimes.Code)
	case rec.client != c.ID:
		return nil, invalidGrant("code_other_client", "authorization code was issued to client %q, not %q", rec.client, c.ID)
	}
	ru, hasRU := form["redirect_uri"]
	if rec.redirectSent {
		if !hasRU {
			return nil, invalidGrant("redirect_missing", "redirect_uri is required because it was sent to /authorize (RFC 6749 §4.1.3)")
		}
		if ru[0] != rec.redirect {
			return nil, invalidGrant("redirect_mismatch", "redirect_uri differs from the one used at /authorize: %q vs %q%s", ru[0], rec.redirect, redirectHint(ru[0], []string{rec.redirect}))
		}
	} else if hasRU && !hasScope(c.RedirectURIs, ru[0]) {
		return nil, invalidGrant("redirect_mismatch", "redirect_uri %q is not registered for client %q", ru[0], c.ID)
	}
	if rec.challenge == "" {
		if hasVerifier {
			return nil, invalidGrant("pkce_downgrade", "code_verifier sent but /authorize had no code_challenge; refused as a PKCE downgrade (RFC 9700 §2.1.1)")
		}
	} else {
		if !hasVerifier {
			return nil, invalidGrant("pkce_missing_verifier", "code_verifier is missing; /authorize had a %s code_challenge (RFC 7636 §4.5)", rec.method)
		}
		if err := CheckVerifier(verifier[0]); err != nil {
			return nil, invalidGrant("pkce_verifier_syntax", "%v", err)
		}
		if ok, hint := matchVerifier(verifier[0], rec.challenge, rec.method); !ok {
			return nil, invalidGrant("pkce_mismatch", "%s", hint)
		}
	}
	aud := rec.aud
	if rs, ok := form["resource"]; ok && s.prof.Audience.Mode == AudienceResource {
		// RFC 8707 §2.2: the token request may narrow the resources of the
		// grant, never widen them.
		if bad, ok := subset(rs, rec.aud); !ok || !rec.audSet {
			return nil, oauthErr("invalid_target", 400, "target_broader", "resource %q was not requested at /authorize (RFC 8707 §2.2)", bad)
		}
		aud = rs
	}
	rec.used = true
	res := &grantResult{reason: "issued", client: c, subject: rec.subject, scope: rec.scope, aud: aud,
		audSet: rec.audSet, nonce: rec.nonce, idToken: hasScope(rec.scope, "openid"), session: rec.session, authTime: rec.issued}
	var fam *family
	if rec.offline && c.allows("refresh_token") {
		fam = &family{id: s.newID("f"), client: c.ID, subject: rec.subject, session: rec.session, scope: rec.scope,
			aud: rec.aud, audSet: rec.audSet, created: now, lastUsed: now}
		if a := s.prof.Refresh.Absolute.D(); a > 0 {
			fam.absolute = now.Add(a)
		}
		s.families[fam.id] = fam
		rt := s.newRefresh(fam, now)
		res.refresh, res.rtOut = rt, rt.token
		rec.family = fam.id
		x.e.Family, x.e.Generation = fam.id, rt.gen
	}
	s.newAccess(res, now, s.prof.Lifetimes.AccessToken.D(), fam)
	rec.accessIDs = append(rec.accessIDs, res.access.id)
	return res, nil
}

func (s *Server) grantRefresh(x *exchange, c *Client, form url.Values) (*grantResult, *oauthError) {
	tok := form.Get("refresh_token")
	if tok == "" {
		return nil, invalidRequest("param_missing", "refresh_token is missing")
	}
	switch s.prof.Refresh.RedirectURI {
	case "required":
		if form.Get("redirect_uri") == "" {
			return nil, invalidRequest("param_missing", "profile %s requires redirect_uri on refresh", s.prof.Name)
		}
	case "reject":
		if _, ok := form["redirect_uri"]; ok {
			return nil, invalidRequest("param_unexpected", "profile %s rejects redirect_uri on refresh", s.prof.Name)
		}
	}
	now := x.now
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refresh[tok]
	if rt == nil {
		return nil, invalidGrant("refresh_unknown", "refresh token is unknown%s", s.identify(tok, "refresh_token"))
	}
	fam := rt.fam
	x.e.Family, x.e.Generation = fam.id, rt.gen
	if fam.client != c.ID {
		return nil, invalidGrant("refresh_other_client", "refresh token was issued to client %q, not %q (RFC 6749 §10.4)", fam.client, c.ID)
	}
	if fam.revoked || rt.state == rtRevoked {
		if !rt.rotatedAt.IsZero() {
			// Keep calling a rotated token's use reuse, even once the
			// family is gone, so parallel refreshes read the same.
			return nil, invalidGrant("refresh_reused", "refresh token generation %d was already rotated at %s; its family %s is revoked (%s)",
				rt.gen, rt.rotatedAt.Format(time.RFC3339), fam.id, fam.revokedBy)
		}
		return nil, invalidGrant("refresh_revoked", "refresh token family %s was revoked (%s); a new interactive login is needed", fam.id, fam.revokedBy)
	}
	if sess := s.sessions[fam.session]; sess != nil && sess.ended {
		return nil, invalidGrant("refresh_revoked", "login session %s has ended; a new interactive login is needed", fam.session)
	}
	rot := s.prof.Refresh.Rotation
	replay := false
	if rt.state == rtRotated {
		succ := rt.successor
		if li := s.prof.Refresh.ReuseInterval.D(); li > 0 && succ != nil && succ.state == rtActive && now.Sub(rt.rotatedAt) <= li {
			// Only the immediate predecessor, within the leeway, gets the
			// same successor (idempotent replay).
			replay = true
		} else {
			why := fmt.Sprintf("reuse of generation %d", rt.gen)
			var effects []string
			if rot == RotationKillSession {
				effects = s.endSession(fam.session, why)
			} else {
				s.revokeFamily(fam, why)
				effects = []string{"family " + fam.id + " revoked"}
			}
			x.e.Effects = effects
			return nil, invalidGrant("refresh_reused", "refresh token generation %d was already rotated at %s to generation %d; reuse detected (RFC 9700 §4.14.2): %s",
				rt.gen, rt.rotatedAt.Format(time.RFC3339), rt.gen+1, strings.Join(effects, ", "))
		}
	}
	if !rt.expires.IsZero() && !now.Before(rt.expires) {
		if !fam.absolute.IsZero() && rt.expires.Equal(fam.absolute) {
			return nil, invalidGrant("refresh_expired", "refresh token family %s reached its absolute lifetime of %s at %s; a new interactive login is needed",
				fam.id, s.prof.Refresh.Absolute, fam.absolute.Format(time.RFC3339))
		}
		return nil, invalidGrant("refresh_expired", "refresh token expired at %s (lifetime %s)", rt.expires.Format(time.RFC3339), s.prof.Refresh.Lifetime)
	}
	if idle := s.prof.Refresh.Idle.D(); idle > 0 && !now.Before(fam.lastUsed.Add(idle)) {
		return nil, invalidGrant("refresh_expired", "refresh token family %s was not used for %s (idle limit %s, last use %s)",
			fam.id, now.Sub(fam.lastUsed).Round(time.Second), s.prof.Refresh.Idle, fam.lastUsed.Format(time.RFC3339))
	}
	scope := fam.scope
	if sc, ok := form["scope"]; ok {
		req := splitScope(sc[0])
		check := req
		if s.prof.Audience.Mode == AudienceScopeDefault {
			check = nil
			for _, v := range req {
				if !strings.Contains(v, "/") {
					check = append(check, v)
				}
			}
		}
		if bad, ok := subset(check, fam.scope); !ok {
			return nil, oauthErr("invalid_scope", 400, "scope_broader", "scope %q was not granted; a refresh may only narrow the original scope %q (RFC 6749 §6)", bad, strings.Join(fam.scope, " "))
		}
		scope = req
	}
	aud := fam.aud
	if res, ok := form["resource"]; ok && s.prof.Audience.Mode == AudienceResource {
		if bad, ok := subset(res, fam.aud); !ok {
			return nil, oauthErr("invalid_target", 400, "target_broader", "resource %q was not part of the original grant (RFC 8707 §2.2)", bad)
		}
		aud = res
	} else if s.prof.Audience.Mode == AudienceScopeDefault {
		if a, e := scopeResource(scope); e != nil {
			return nil, e
		} else if a != "" {
			aud = []string{a}
		}
	}
	res := &grantResult{client: c, subject: fam.subject, scope: scope, aud: aud, audSet: fam.audSet,
		idToken: hasScope(scope, "openid"), session: fam.session, authTime: fam.created}
	fam.lastUsed = now
	switch {
	case replay:
		res.refresh, res.rtOut, res.reason = rt.successor, rt.successor.token, "refresh_replayed"
		x.e.Hint = fmt.Sprintf("generation %d presented %s after rotation, within the reuse interval %s: the same successor (generation %d) is returned",
			rt.gen, now.Sub(rt.rotatedAt).Round(time.Millisecond), s.prof.Refresh.ReuseInterval, rt.successor.gen)
	case rot == RotationNone || x.noRefresh:
		res.refresh, res.reason = rt, "refreshed"
		if s.prof.Refresh.EchoWithoutRotation {
			res.rtOut = rt.token
		}
		if x.noRefresh {
			res.reason = "refreshed_without_rotation"
		}
		// Without rotation the token's own lifetime slides from its last use.
		if !rt.expires.IsZero() {
			rt.expires = s.refreshExpiry(fam, now)
		}
	default:
		next := s.newRefresh(fam, now)
		rt.successor = next
		if rot != RotationNoRevoke {
			rt.state, rt.rotatedAt = rtRotated, now
		}
		res.refresh, res.rtOut, res.reason = next, next.token, "refresh_rotated"
		x.e.Generation = next.gen
	}
	s.newAccess(res, now, s.prof.Lifetimes.AccessToken.D(), fam)
	return res, nil
}

func (s *Server) grantClientCredentials(x *exchange, c *Client, form url.Values) (*grantResult, *oauthError) {
	scope := splitScope(form.Get("scope"))
	if e := checkScopeSyntax(scope); e != nil {
		return nil, e
	}
	if bad, ok := subset(scope, c.Scopes); len(c.Scopes) > 0 && !ok {
		return nil, oauthErr("invalid_scope", 400, "scope_invalid", "scope %q is not allowed for client %q", bad, c.ID)
	}
	aud, audSet, err := s.resolveAudience(c, scope, form, true)
	if err != nil {
		return nil, err
	}
	now := x.now
	res := &grantResult{reason: "issued", client: c, subject: User{Subject: c.ID}, scope: scope, aud: aud, audSet: audSet, cc: true}
	s.mu.Lock()
	defer s.mu.Unlock()
	var fam *family
	if s.prof.Refresh.ClientCredentials {
		fam = &family{id: s.newID("f"), client: c.ID, subject: res.subject, scope: scope, aud: aud, audSet: audSet, created: now, lastUsed: now}
		s.families[fam.id] = fam
		rt := s.newRefresh(fam, now)
		res.refresh, res.rtOut = rt, rt.token
	}
	s.newAccess(res, now, s.prof.Lifetimes.ClientCredentials.D(), fam)
	return res, nil
}

// scopeResource extracts the one resource of Entra-style scopes
// ("api://x/.default", "https://graph.microsoft.com/User.Read").
func scopeResource(scope []string) (string, *oauthError) {
	res := ""
	for _, v := range scope {
		i := strings.LastIndexByte(v, '/')
		if i <= 0 || !strings.Contains(v, ":") {
			continue
		}
		r := v[:i]
		if res != "" && r != res {
			e := oauthErr("invalid_scope", 400, "scope_invalid", "scope names two resources (%s and %s); request one resource per token", res, r)
			e.Description = "The provided value for the input parameter 'scope' is not valid because it contains more than one resource."
			return "", e
		}
		res = r
	}
	return res, nil
}

// resolveAudience applies the profile's audience mechanism to a request.
func (s *Server) resolveAudience(c *Client, scope []string, form url.Values, cc bool) ([]string, bool, *oauthError) {
	p := s.prof
	known := func(a string) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.apis) == 0 || s.apis[a]
	}
	switch p.Audience.Mode {
	case AudienceParam:
		a := form.Get("audience")
		if a == "" {
			if p.Audience.Default != "" {
				return []string{p.Audience.Default}, true, nil
			}
			if cc {
				return nil, false, invalidRequest("param_missing", "audience is missing; client_credentials needs the API identifier as audience=")
			}
			// Auth0: without an API the token only serves /userinfo.
			return []string{strings.TrimSuffix(s.Issuer(), "/") + "/userinfo"}, false, nil
		}
		if !known(a) {
			if spec := p.Audience.UnknownError; spec != "" {
				st, code, _ := parseStatusError(spec)
				e := oauthErr(code, st, "audience_unknown", "audience %q is not a registered API", a)
				e.Description = "Service not found: " + a
				return nil, false, e
			}
			return nil, false, oauthErr("invalid_target", 400, "audience_unknown", "audience %q is not a registered API", a)
		}
		return []string{a}, true, nil
	case AudienceScopeDefault:
		r, err := scopeResource(scope)
		if err != nil {
			return nil, false, err
		}
		if cc && p.Scope.ClientCredentialsDefault {
			if len(scope) != 1 || !strings.HasSuffix(scope[0], "/.default") {
				e := oauthErr("invalid_scope", 400, "scope_invalid", "client_credentials needs exactly one scope of the form <resource>/.default, got %q", strings.Join(scope, " "))
				e.Description = "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
				return nil, false, e
			}
		}
		if r == "" {
			return []string{"00000003-0000-0000-c000-000000000000"}, false, nil // Microsoft Graph
		}
		if !known(r) {
			return nil, false, oauthErr("invalid_resource", 400, "audience_unknown", "resource %q of the scope is not a registered API", r)
		}
		return []string{r}, true, nil
	case AudienceResource:
		rs := form["resource"]
		for _, r := range rs {
			u, err := url.Parse(r)
			if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") {
				return nil, false, oauthErr("invalid_target", 400, "target_invalid", "resource %q must be an absolute URI without fragment (RFC 8707 §2)", r)
			}
			if !known(r) {
				return nil, false, oauthErr("invalid_target", 400, "target_unknown", "resource %q is not a registered API", r)
			}
		}
		if len(rs) == 0 {
			return []string{c.ID}, false, nil
		}
		return append([]string(nil), rs...), true, nil
	case AudienceFixed:
		return []string{p.Audience.Default}, true, nil
	default:
		return []string{c.ID}, false, nil
	}
}

// tokenResponse signs what a grant decided and builds the RFC 6749 §5.1
// JSON, applying the profile's extra fields and any response faults.
func (s *Server) tokenResponse(x *exchange, res *grantResult) ([]byte, error) {
	at := res.opaque
	if at == "" {
		var err error
		if at, err = s.signAccessToken(res); err != nil {
			return nil, err
		}
	}
	var idt string
	if res.idToken && !res.cc {
		var err error
		if idt, err = s.signIDToken(res, at, x.now); err != nil {
			return nil, err
		}
	}
	life := int64(res.atLife / time.Second)
	j := jsonBuf{b: make([]byte, 0, 512+len(at)+len(idt))}
	j.str("access_token", at)
	j.str("token_type", "Bearer")
	switch x.expiresIn {
	case "string":
		j.str("expires_in", strconv.FormatInt(life, 10))
	case "zero":
		j.num("expires_in", 0)
	case "missing":
	default:
		j.num("expires_in", life)
	}
	p := s.prof
	if p.Extra.ExtExpiresIn {
		j.num("ext_expires_in", life)
	}
	if res.rtOut != "" && !x.noRefresh {
		j.str("refresh_token", res.rtOut)
		x.e.Issued = append(x.e.Issued, "refresh_token "+Fingerprint(res.rtOut))
	}
	if p.Extra.RefreshExpiresIn {
		var rexp int64
		if res.refresh != nil && !res.refresh.expires.IsZero() {
			rexp = int64(res.refresh.expires.Sub(x.now) / time.Second)
		}
		j.num("refresh_expires_in", rexp)
	}
	if len(res.scope) > 0 {
		j.str("scope", strings.Join(res.scope, " "))
	}
	if idt != "" {
		j.str("id_token", idt)
	}
	if p.Extra.SessionState && res.session != "" {
		j.str("session_state", res.session)
	}
	for k, v := range p.Extra.Static {
		j.raw(k, v)
	}
	x.e.Issued = append(x.e.Issued, "access_token "+Fingerprint(at))
	if idt != "" {
		x.e.Issued = append(x.e.Issued, "id_token "+Fingerprint(idt))
	}
	return j.bytes(), nil
}

func (s *Server) signAccessToken(res *grantResult) (string, error) {
	a := res.access
	j := jsonBuf{b: make([]byte, 0, 512)}
	j.str("iss", s.Issuer())
	j.str("sub", res.subject.Subject)
	if len(a.aud) == 1 {
		j.str("aud", a.aud[0])
	} else {
		j.raw("aud", a.aud)
	}
	j.num("iat", a.issued.Unix())
	j.num("nbf", a.issued.Unix())
	j.num("exp", a.expires.Unix())
	j.str("jti", a.id)
	j.str("client_id", res.client.ID)
	j.str("azp", res.client.ID)
	if len(res.scope) > 0 {
		if s.prof.Errors.Vendor == "entra" {
			j.str("scp", strings.Join(res.scope, " "))
			j.str("tid", s.prof.Vars["tenant"])
			j.str("ver", "2.0")
		} else {
			j.str("scope", strings.Join(res.scope, " "))
		}
	}
	if res.session != "" {
		j.str("sid", res.session)
	}
	return s.keys.sign(s.prof.AccessToken.Type, j.bytes())
}

func (s *Server) signIDToken(res *grantResult, accessToken string, now time.Time) (string, error) {
	j := jsonBuf{b: make([]byte, 0, 512)}
	j.str("iss", s.Issuer())
	j.str("sub", res.subject.Subject)
	j.str("aud", res.client.ID)
	j.str("azp", res.client.ID)
	j.num("iat", now.Unix())
	j.num("exp", now.Add(s.prof.Lifetimes.IDToken.D()).Unix())
	j.num("auth_time", res.authTime.Unix())
	if res.nonce != "" {
		j.str("nonce", res.nonce)
	}
	j.str("at_hash", atHash(accessToken))
	if res.session != "" {
		j.str("sid", res.session)
	}
	if hasScope(res.scope, "profile") && res.subject.Name != "" {
		j.str("name", res.subject.Name)
	}
	if hasScope(res.scope, "email") && res.subject.Email != "" {
		j.str("email", res.subject.Email)
		j.boolean("email_verified", true)
	}
	if res.subject.Email != "" {
		j.str("preferred_username", res.subject.Email)
	}
	if s.prof.Errors.Vendor == "entra" {
		// Entra's id_token names the tenant and a stable object id.
		j.str("tid", s.prof.Vars["tenant"])
		j.str("oid", objectID(res.subject.Subject))
		j.str("ver", "2.0")
	}
	return s.keys.sign("JWT", j.bytes())
}

// objectID derives a stable GUID-shaped id from a subject.
func objectID(sub string) string {
	sum := sha256.Sum256([]byte("oid:" + sub))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// identify explains what an unknown code or refresh token actually is, for
// the mix-ups connectors make: the whole callback URL as the code, the
// access token as the refresh token, a code as a refresh token. Call with
// s.mu held; it returns a hint suffix.
func (s *Server) identify(v, param string) string {
	switch {
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		return ": the " + param + " is a URL; take the code from the callback with Uri.Parts(callbackUri)[Query][code]"
	case strings.Contains(v, "code="):
		return ": the " + param + " contains 'code=': pass the code parameter's value, not the query string"
	case param == "code" && s.refresh[v] != nil:
		return ": this is a refresh token; use grant_type=refresh_token"
	case param == "refresh_token" && s.codes[v] != nil:
		return ": this is an authorization code; use grant_type=authorization_code"
	case s.access[v] != nil:
		return ": this is an access token"
	case strings.Count(v, ".") == 2 && strings.HasPrefix(v, "ey"):
		if p, err := s.keys.verify(v); err == nil {
			if s.access[jwtID(p)] != nil {
				return ": this is an access token"
			}
			return ": this is an id_token"
		}
		return ": a JWT this server did not sign"
	case v != strings.TrimSpace(v):
		return ": it has leading or trailing white space"
	}
	return " (never issued by this server, or the server was reset)"
}
