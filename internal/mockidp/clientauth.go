package mockidp

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
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

// methodSupported reports whether the profile accepts a client
// authentication method.
func (s *Server) methodSupported(m string) bool {
	for _, a := range s.prof.Clients.AuthMethods {
		if a == m {
			return true
		}
	}
	return false
}
