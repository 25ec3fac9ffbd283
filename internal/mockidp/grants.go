package mockidp

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

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

// grantCode redeems an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6):
// single use, bound to client, redirect_uri and challenge; a replay revokes
// what the code issued.
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

// grantRefresh redeems a refresh token (RFC 6749 §6) under the profile's
// rotation mode, reuse interval and lifetimes (RFC 9700 §4.14).
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

// grantClientCredentials issues a token to a confidential client (RFC 6749
// §4.4), without a refresh token unless the profile says otherwise.
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
