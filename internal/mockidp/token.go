package mockidp

import (
	"fmt"
	"net/http"
)

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
