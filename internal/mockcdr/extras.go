package mockcdr

import (
	"net/http"
)

// conformance is the OPTIONS {base}/ document (Better, DIPS, spec).
func (s *Server) conformance() *reply {
	rp := jsonReply(http.StatusOK, map[string]any{
		"solution":              "pqx mock CDR",
		"solution_version":      "1.0.0",
		"vendor":                s.profile.Vendor,
		"restapi_specs_version": "1.0.3",
		"conformance_profile":   "CUSTOM",
		"endpoints":             []string{"/ehr", "/query", "/definition"},
	})
	rp.header.Set("Allow", "GET, POST, PUT, OPTIONS")
	return rp
}

// status is EHRbase's /rest/status document.
func (s *Server) status(*exchange) *reply {
	return jsonReply(http.StatusOK, map[string]string{
		"ehrbase_version":     "2.31.0-pqx-mock",
		"openehr_sdk_version": "2.31.0",
		"archie_version":      "3.13.0",
		"jvm_version":         "Eclipse Adoptium 25",
		"os_version":          "Linux amd64",
		"postgres_version":    "PostgreSQL 16.2",
	})
}

// smartConfiguration serves SMART on openEHR discovery when configured.
func (s *Server) smartConfiguration(x *exchange) *reply {
	sm := s.cfg.Auth.SMART
	if sm.Issuer == "" {
		return s.errorReply(http.StatusNotFound, "SMART discovery is not configured")
	}
	return jsonReply(http.StatusOK, map[string]any{
		"issuer":                           sm.Issuer,
		"authorization_endpoint":           sm.AuthorizationEndpoint,
		"token_endpoint":                   sm.TokenEndpoint,
		"grant_types_supported":            []string{"authorization_code", "client_credentials", "refresh_token"},
		"code_challenge_methods_supported": []string{"S256"},
		"capabilities":                     []string{"launch-standalone", "client-public", "client-confidential-symmetric"},
		"services":                         map[string]any{"org.openehr.rest": map[string]any{"baseUrl": "http://" + x.r.Host + s.profile.BasePath}},
	})
}
