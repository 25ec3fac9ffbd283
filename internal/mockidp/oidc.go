package mockidp

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// handleDiscovery serves OIDC discovery and RFC 8414 metadata (the same
// document; it always advertises code_challenge_methods_supported).
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r, "discovery")
	if s.applyFaults(x) {
		return
	}
	ep := s.Endpoints()
	methods := []string{MethodS256}
	if s.prof.PKCE.AllowPlain {
		methods = append(methods, MethodPlain)
	}
	doc := map[string]any{
		"issuer":                                         ep.Issuer,
		"authorization_endpoint":                         ep.Authorize,
		"token_endpoint":                                 ep.Token,
		"userinfo_endpoint":                              ep.Userinfo,
		"jwks_uri":                                       ep.JWKS,
		"introspection_endpoint":                         ep.Introspect,
		"revocation_endpoint":                            ep.Revoke,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":               methods,
		"token_endpoint_auth_methods_supported":          s.prof.Clients.AuthMethods,
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":     s.prof.Clients.AuthMethods,
		"scopes_supported":                               []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{s.prof.Signing},
		"claims_supported":                               []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "sid", "name", "email", "email_verified"},
		"authorization_response_iss_parameter_supported": false,
	}
	body, _ := json.MarshalIndent(doc, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
	x.record(http.StatusOK, "ok")
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r, "jwks")
	if s.applyFaults(x) {
		return
	}
	body, err := json.Marshal(s.keys.jwks())
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
	x.record(http.StatusOK, "ok")
}

// lookupAccess finds the live record of an access token (JWT or opaque)
// and says why it is not active otherwise.
func (s *Server) lookupAccess(tok string, now time.Time) (*accessRec, string) {
	id := tok
	if strings.Count(tok, ".") == 2 && strings.HasPrefix(tok, "ey") {
		payload, err := s.keys.verify(tok)
		if err != nil {
			return nil, "token signature does not verify: " + err.Error()
		}
		id = jwtID(payload)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.access[id]
	switch {
	case a == nil:
		return nil, "token is unknown"
	case a.revoked:
		return nil, "token was revoked"
	case !now.Before(a.expires):
		return nil, "token expired at " + a.expires.Format(time.RFC3339)
	}
	cp := *a
	return &cp, ""
}

// handleUserinfo answers the OIDC userinfo endpoint; errors follow RFC 6750.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r, "userinfo")
	if s.applyFaults(x) {
		return
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.prof.Name+`"`)
		w.WriteHeader(http.StatusUnauthorized)
		x.e.Reason, x.e.Hint = "bearer_missing", "no Authorization: Bearer header (RFC 6750 §2.1)"
		x.record(http.StatusUnauthorized, "error")
		return
	}
	x.e.Params = map[string]string{"access_token": Fingerprint(tok)}
	a, why := s.lookupAccess(tok, x.now)
	if a == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.prof.Name+`", error="invalid_token", error_description="`+sanitizeDescription(why)+`"`)
		w.WriteHeader(http.StatusUnauthorized)
		x.e.Error, x.e.Reason, x.e.Hint = "invalid_token", "token_inactive", why
		x.record(http.StatusUnauthorized, "error")
		return
	}
	x.e.ClientID = a.client
	claims := map[string]any{"sub": a.subject}
	s.mu.Lock()
	for _, u := range s.users {
		if u.Subject == a.subject {
			if u.Name != "" {
				claims["name"] = u.Name
			}
			if u.Email != "" {
				claims["email"] = u.Email
				claims["email_verified"] = true
			}
		}
	}
	s.mu.Unlock()
	body, _ := json.Marshal(claims)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
	x.e.Reason = "ok"
	x.record(http.StatusOK, "ok")
}

// handleIntrospect implements RFC 7662 against the real token state.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r, "introspect")
	form, err := x.readForm()
	if s.applyFaults(x) {
		return
	}
	if err != nil {
		x.fail(err)
		return
	}
	ca, err := s.authenticate(x, form)
	if err != nil {
		x.fail(err)
		return
	}
	if ca.method == "none" {
		// RFC 7662 §2.1: the endpoint requires authorization, so that
		// token scanning is not open to anyone holding a client id.
		x.fail(invalidClient("client_secret_missing", "introspection needs an authenticated (confidential) client; %q sent no credentials", ca.client.ID))
		return
	}
	tok := form.Get("token")
	if tok == "" {
		x.fail(invalidRequest("param_missing", "token is missing (RFC 7662 §2.1)"))
		return
	}
	var j jsonBuf
	if a, why := s.lookupAccess(tok, x.now); a != nil {
		j.boolean("active", true)
		j.str("token_type", "Bearer")
		j.str("client_id", a.client)
		j.str("sub", a.subject)
		j.str("scope", strings.Join(a.scope, " "))
		j.raw("aud", a.aud)
		j.str("iss", s.Issuer())
		j.num("iat", a.issued.Unix())
		j.num("exp", a.expires.Unix())
		x.e.Reason = "active_access_token"
	} else if rt, rwhy := s.refreshStatus(tok, x.now); rt != nil {
		j.boolean("active", true)
		j.str("token_type", "refresh_token")
		j.str("client_id", rt.fam.client)
		j.str("sub", rt.fam.subject.Subject)
		j.str("scope", strings.Join(rt.fam.scope, " "))
		j.str("iss", s.Issuer())
		j.num("iat", rt.issued.Unix())
		if !rt.expires.IsZero() {
			j.num("exp", rt.expires.Unix())
		}
		x.e.Reason, x.e.Family, x.e.Generation = "active_refresh_token", rt.fam.id, rt.gen
	} else {
		j.boolean("active", false)
		x.e.Reason = "inactive"
		x.e.Hint = why
		if rwhy != "" && !strings.HasPrefix(rwhy, "token is unknown") {
			x.e.Hint = rwhy
		}
	}
	x.ok(j.bytes(), x.e.Reason)
}

// refreshStatus returns a copy of a live refresh token or why it is not.
func (s *Server) refreshStatus(tok string, now time.Time) (*refreshRec, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refresh[tok]
	switch {
	case rt == nil:
		return nil, "token is unknown"
	case rt.fam.revoked || rt.state == rtRevoked:
		return nil, "refresh token was revoked"
	case rt.state == rtRotated:
		return nil, "refresh token was rotated"
	case !rt.expires.IsZero() && !now.Before(rt.expires):
		return nil, "refresh token expired"
	case s.prof.Refresh.Idle > 0 && !now.Before(rt.fam.lastUsed.Add(s.prof.Refresh.Idle.D())):
		return nil, "refresh token idle limit passed"
	}
	if sess := s.sessions[rt.fam.session]; sess != nil && sess.ended {
		return nil, "login session ended"
	}
	cp := *rt
	return &cp, ""
}

// handleRevoke implements RFC 7009: revoking a refresh token revokes its
// family and the access tokens issued from it; unknown tokens answer 200.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r, "revoke")
	form, err := x.readForm()
	if s.applyFaults(x) {
		return
	}
	if err != nil {
		x.fail(err)
		return
	}
	ca, err := s.authenticate(x, form)
	if err != nil {
		x.fail(err)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		x.fail(invalidRequest("param_missing", "token is missing (RFC 7009 §2.1)"))
		return
	}
	hint := form.Get("token_type_hint")
	if hint != "" && hint != "access_token" && hint != "refresh_token" {
		x.fail(oauthErr("unsupported_token_type", 400, "token_type_unsupported", "token_type_hint %q is not access_token or refresh_token (RFC 7009 §2.2.1)", hint))
		return
	}
	x.e.Reason = "unknown_token_ignored"
	s.mu.Lock()
	if rt := s.refresh[tok]; rt != nil {
		if rt.fam.client != ca.client.ID {
			s.mu.Unlock()
			x.fail(invalidRequest("revoke_other_client", "token was issued to client %q, not %q (RFC 7009 §2.1)", rt.fam.client, ca.client.ID))
			return
		}
		s.revokeFamily(rt.fam, "revoked by client")
		x.e.Reason, x.e.Family, x.e.Generation = "revoked", rt.fam.id, rt.gen
		x.e.Effects = []string{"family " + rt.fam.id + " revoked"}
	}
	s.mu.Unlock()
	if x.e.Reason != "revoked" {
		id := tok
		if strings.Count(tok, ".") == 2 {
			if p, err := s.keys.verify(tok); err == nil {
				id = jwtID(p)
			}
		}
		s.mu.Lock()
		if a := s.access[id]; a != nil {
			if a.client != ca.client.ID {
				s.mu.Unlock()
				x.fail(invalidRequest("revoke_other_client", "token was issued to client %q, not %q (RFC 7009 §2.1)", a.client, ca.client.ID))
				return
			}
			a.revoked = true
			x.e.Reason = "revoked"
		}
		s.mu.Unlock()
	}
	noStore(w.Header())
	w.WriteHeader(http.StatusOK)
	x.record(http.StatusOK, "ok")
}
