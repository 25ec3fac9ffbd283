package mockidp

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Check is the result of one self-test check.
type Check struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Detail says what was seen when the check failed.
	Detail string `json:"detail,omitempty"`
}

// SelfTest runs the conformance self-test against a fresh server of the
// given profile on 127.0.0.1: the RFC 7636 Appendix B vector, discovery,
// the headless dance with a JWKS-verified id_token, the strict error
// cases (code replay, wrong verifier, redirect_uri mismatch, unknown
// client) and the profile's refresh rotation. It is what `pqx mock idp
// --self-test` prints, so a user can see the mock's guarantees on their
// own machine.
func SelfTest(profile string) ([]Check, error) {
	srv, err := New(Config{Profile: profile})
	if err != nil {
		return nil, err
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer srv.Close()
	st := &selfTest{srv: srv, hc: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	st.run()
	return st.checks, nil
}

type selfTest struct {
	srv    *Server
	hc     *http.Client
	checks []Check
}

func (st *selfTest) check(name string, ok bool, format string, args ...any) bool {
	c := Check{Name: name, OK: ok}
	if !ok {
		c.Detail = fmt.Sprintf(format, args...)
	}
	st.checks = append(st.checks, c)
	return ok
}

type stResp struct {
	status int
	header http.Header
	body   map[string]any
}

func (r stResp) str(k string) string { s, _ := r.body[k].(string); return s }

func (st *selfTest) post(form url.Values) stResp {
	resp, err := st.hc.PostForm(st.srv.Endpoints().Token, form)
	if err != nil {
		return stResp{}
	}
	defer resp.Body.Close()
	r := stResp{status: resp.StatusCode, header: resp.Header}
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &r.body)
	return r
}

// code runs /authorize for the default public client and returns the code.
func (st *selfTest) code(verifier string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {DefaultPublicClient}, "redirect_uri": {PowerBIRedirect},
		"state": {"self-test"}, "scope": {"openid offline_access"}, "access_type": {"offline"},
		"code_challenge": {S256Challenge(verifier)}, "code_challenge_method": {MethodS256}}
	resp, err := st.hc.Get(st.srv.Endpoints().Authorize + "?" + q.Encode())
	if err != nil {
		return ""
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("state") != "self-test" {
		return ""
	}
	return loc.Query().Get("code")
}

func (st *selfTest) redeem(code, verifier, redirect string) stResp {
	return st.post(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"client_id": {DefaultPublicClient}, "code_verifier": {verifier}})
}

func newVerifier() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (st *selfTest) run() {
	st.check("RFC 7636 Appendix B vector", S256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		"S256 challenge differs")

	ep := st.srv.Endpoints()
	var doc map[string]any
	resp, err := st.hc.Get(ep.Discovery)
	if err == nil {
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
	}
	st.check("discovery names issuer, token endpoint and PKCE methods",
		err == nil && doc["issuer"] == ep.Issuer && doc["token_endpoint"] == ep.Token && doc["code_challenge_methods_supported"] != nil,
		"discovery: %v %v", err, doc)

	v := newVerifier()
	code := st.code(v)
	if !st.check("headless /authorize answers 302 with code and state", code != "", "no code in the redirect") {
		return
	}
	tok := st.redeem(code, v, PowerBIRedirect)
	st.check("code exchange with PKCE S256", tok.status == 200 && tok.str("access_token") != "", "status %d %v", tok.status, tok.body)
	st.check("token response has Cache-Control: no-store and Pragma: no-cache",
		tok.header.Get("Cache-Control") == "no-store" && tok.header.Get("Pragma") == "no-cache", "headers %v", tok.header)
	if idt := tok.str("id_token"); idt != "" {
		payload, err := st.srv.keys.verify(idt)
		var claims struct{ Iss, Aud, AtHash string }
		if err == nil {
			err = json.Unmarshal(payload, &claims)
		}
		st.check("id_token verifies with the JWKS key; iss and aud right", err == nil && claims.Iss == ep.Issuer && claims.Aud == DefaultPublicClient,
			"%v %+v", err, claims)
	}
	// A second login for the replay, whose revocation would end the first.
	v4 := newVerifier()
	code4 := st.code(v4)
	first := st.redeem(code4, v4, PowerBIRedirect)
	replay := st.redeem(code4, v4, PowerBIRedirect)
	st.check("code replay is invalid_grant", first.status == 200 && replay.status == 400 && replay.str("error") == "invalid_grant", "status %d %v", replay.status, replay.body)
	if rt4 := first.str("refresh_token"); rt4 != "" {
		r := st.post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt4}, "client_id": {DefaultPublicClient}})
		st.check("code replay revoked the tokens issued from the code", r.str("error") == "invalid_grant", "status %d %v", r.status, r.body)
	}

	v2 := newVerifier()
	bad := st.redeem(st.code(v2), newVerifier(), PowerBIRedirect)
	st.check("wrong code_verifier is invalid_grant", bad.status == 400 && bad.str("error") == "invalid_grant", "status %d %v", bad.status, bad.body)
	v3 := newVerifier()
	mis := st.redeem(st.code(v3), v3, PowerBIRedirect+"?x")
	st.check("redirect_uri mismatch is invalid_grant", mis.status == 400 && mis.str("error") == "invalid_grant", "status %d %v", mis.status, mis.body)
	unk := st.post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"no-such-client"}, "client_secret": {"x"}})
	st.check("unknown client is 401 invalid_client", unk.status == 401 && unk.str("error") == "invalid_client", "status %d %v", unk.status, unk.body)

	rt := tok.str("refresh_token")
	if rt == "" {
		return
	}
	refresh := func(t string) stResp {
		return st.post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t}, "client_id": {DefaultPublicClient}})
	}
	r1 := refresh(rt)
	st.check("refresh succeeds", r1.status == 200, "status %d %v", r1.status, r1.body)
	r2 := refresh(rt)
	p := st.srv.prof
	switch p.Refresh.Rotation {
	case RotationRevokeFamily, RotationKillSession:
		if p.Refresh.ReuseInterval > 0 {
			st.check(fmt.Sprintf("reuse within %s leeway returns the same successor", p.Refresh.ReuseInterval),
				r2.status == 200 && r2.str("refresh_token") == r1.str("refresh_token"), "status %d %v", r2.status, r2.body)
			st.srv.clock.Advance(p.Refresh.ReuseInterval.D() + time.Second)
			r2 = refresh(rt)
		}
		st.check("reuse of a rotated refresh token is invalid_grant ("+p.Refresh.Rotation+")",
			r2.str("error") == "invalid_grant", "status %d %v", r2.status, r2.body)
		r3 := refresh(r1.str("refresh_token"))
		st.check("reuse revoked the successor too", r3.str("error") == "invalid_grant", "status %d %v", r3.status, r3.body)
	case RotationNoRevoke:
		st.check("rotated-out refresh token still works (rotate-no-revoke)", r2.status == 200 && r1.str("refresh_token") != rt, "status %d %v", r2.status, r2.body)
	default:
		got := r1.str("refresh_token")
		st.check("refresh token is not rotated (none)", r2.status == 200 && (got == "" || got == rt), "status %d %v", r2.status, r2.body)
	}
}
