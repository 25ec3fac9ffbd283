package mockidp

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRFC7636AppendixB checks the verbatim test vector of RFC 7636.
func TestRFC7636AppendixB(t *testing.T) {
	octets := []byte{116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173,
		187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83,
		132, 141, 121}
	verifier := base64.RawURLEncoding.EncodeToString(octets)
	if verifier != "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" {
		t.Fatalf("verifier = %s", verifier)
	}
	wantHash := []byte{19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46,
		8, 118, 168, 120, 173, 109, 241, 68, 86, 110, 225, 137, 74, 203,
		112, 249, 195}
	if got := sha256.Sum256([]byte(verifier)); string(got[:]) != string(wantHash) {
		t.Fatalf("sha256 = %v", got)
	}
	if got := S256Challenge(verifier); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("challenge = %s", got)
	}
	// And end to end: the server accepts exactly this pair.
	e := newEnv(t, Config{})
	q := authQuery(verifier)
	q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	if tr := e.redeem(e.code(q), verifier); tr.status != 200 {
		t.Fatalf("redeem: %d %s", tr.status, tr.raw)
	}
}

func TestCheckVerifier(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want string // substring of the error, "" = valid
	}{
		{testVerifier, ""},
		{strings.Repeat("a", 43), ""},
		{strings.Repeat("~", 128), ""},
		{strings.Repeat("a", 42), "42 characters"},
		{strings.Repeat("a", 129), "129 characters"},
		{strings.Repeat("a", 42) + "+", `'+' at offset 42`},
		{strings.Repeat("a", 42) + "=", `'=' at offset 42`},
		{"", "0 characters"},
	} {
		err := CheckVerifier(tc.v)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckVerifier(%q) = %v, want %q", tc.v, err, tc.want)
		}
	}
}

// TestTokenErrorTable walks every row of the strict-profile error table
// (reference §2) against the token endpoint.
func TestTokenErrorTable(t *testing.T) {
	conf := url.Values{"grant_type": {"client_credentials"}}
	type row struct {
		name    string
		profile string
		// req builds the request; it may run earlier steps on e.
		req        func(e *tenv) (url.Values, string)
		status     int
		err        string
		reason     string
		wwwAuth    bool
		retryAfter string
	}
	codeReq := func(mut func(url.Values)) func(e *tenv) (url.Values, string) {
		return func(e *tenv) (url.Values, string) {
			f := url.Values{
				"grant_type":    {"authorization_code"},
				"code":          {e.code(authQuery(testVerifier))},
				"redirect_uri":  {PowerBIRedirect},
				"client_id":     {DefaultPublicClient},
				"code_verifier": {testVerifier},
			}
			mut(f)
			return f, ""
		}
	}
	refreshReq := func(prep func(e *tenv, rt string) string) func(e *tenv) (url.Values, string) {
		return func(e *tenv) (url.Values, string) {
			rt := e.login().str("refresh_token")
			rt = prep(e, rt)
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultPublicClient}}, ""
		}
	}
	rows := []row{
		{name: "missing parameter", req: codeReq(func(f url.Values) { f.Del("code") }),
			status: 400, err: "invalid_request", reason: "param_missing"},
		{name: "duplicated parameter", req: codeReq(func(f url.Values) { f.Add("code", "x") }),
			status: 400, err: "invalid_request", reason: "param_duplicated"},
		{name: "two client auth methods", req: func(e *tenv) (url.Values, string) {
			f := url.Values{"grant_type": {"client_credentials"}, "client_secret": {DefaultServiceSecret}}
			return f, DefaultServiceClient + ":" + DefaultServiceSecret
		}, status: 400, err: "invalid_request", reason: "client_auth_multiple"},
		{name: "unknown client", req: func(e *tenv) (url.Values, string) { return conf, "nobody:x" },
			status: 401, err: "invalid_client", reason: "client_unknown", wwwAuth: true},
		{name: "wrong secret basic", req: func(e *tenv) (url.Values, string) { return conf, DefaultServiceClient + ":wrong" },
			status: 401, err: "invalid_client", reason: "client_secret_wrong", wwwAuth: true},
		{name: "wrong secret post", req: func(e *tenv) (url.Values, string) {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultServiceClient}, "client_secret": {"wrong"}}, ""
		}, status: 401, err: "invalid_client", reason: "client_secret_wrong"},
		{name: "no credentials for confidential client", req: func(e *tenv) (url.Values, string) {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultServiceClient}}, ""
		}, status: 401, err: "invalid_client", reason: "client_secret_missing"},
		{name: "unknown code", req: codeReq(func(f url.Values) { f.Set("code", "ac.nope") }),
			status: 400, err: "invalid_grant", reason: "code_unknown"},
		{name: "expired code", req: func(e *tenv) (url.Values, string) {
			f, _ := codeReq(func(url.Values) {})(e)
			e.srv.Clock().Advance(61 * time.Second)
			return f, ""
		}, status: 400, err: "invalid_grant", reason: "code_expired"},
		{name: "used code", req: func(e *tenv) (url.Values, string) {
			f, _ := codeReq(func(url.Values) {})(e)
			if tr := e.token(f, ""); tr.status != 200 {
				t.Fatalf("first redeem: %s", tr.raw)
			}
			return f, ""
		}, status: 400, err: "invalid_grant", reason: "code_reused"},
		{name: "code for another client", req: func(e *tenv) (url.Values, string) {
			q := authQuery(testVerifier)
			q.Set("client_id", DefaultConfidentialClient)
			f := url.Values{"grant_type": {"authorization_code"}, "code": {e.code(q)}, "redirect_uri": {PowerBIRedirect},
				"client_id": {DefaultPublicClient}, "code_verifier": {testVerifier}}
			return f, ""
		}, status: 400, err: "invalid_grant", reason: "code_other_client"},
		{name: "redirect_uri mismatch", req: codeReq(func(f url.Values) { f.Set("redirect_uri", PowerBIRedirect+"x") }),
			status: 400, err: "invalid_grant", reason: "redirect_mismatch"},
		{name: "redirect_uri missing", req: codeReq(func(f url.Values) { f.Del("redirect_uri") }),
			status: 400, err: "invalid_grant", reason: "redirect_missing"},
		{name: "verifier too short", req: codeReq(func(f url.Values) { f.Set("code_verifier", "short") }),
			status: 400, err: "invalid_grant", reason: "pkce_verifier_syntax"},
		{name: "verifier bad charset", req: codeReq(func(f url.Values) { f.Set("code_verifier", testVerifier+"+/") }),
			status: 400, err: "invalid_grant", reason: "pkce_verifier_syntax"},
		{name: "verifier mismatch", req: codeReq(func(f url.Values) { f.Set("code_verifier", strings.Repeat("A", 43)) }),
			status: 400, err: "invalid_grant", reason: "pkce_mismatch"},
		{name: "verifier missing", req: codeReq(func(f url.Values) { f.Del("code_verifier") }),
			status: 400, err: "invalid_grant", reason: "pkce_missing_verifier"},
		{name: "verifier without challenge (downgrade)", profile: "generic-oidc", req: func(e *tenv) (url.Values, string) {
			q := authQuery(testVerifier)
			q.Set("client_id", DefaultConfidentialClient)
			q.Del("code_challenge")
			q.Del("code_challenge_method")
			f := url.Values{"grant_type": {"authorization_code"}, "code": {e.code(q)}, "redirect_uri": {PowerBIRedirect},
				"code_verifier": {testVerifier}}
			return f, DefaultConfidentialClient + ":" + DefaultConfidentialSecret
		}, status: 400, err: "invalid_grant", reason: "pkce_downgrade"},
		{name: "refresh unknown", req: refreshReq(func(e *tenv, rt string) string { return "rt.nope" }),
			status: 400, err: "invalid_grant", reason: "refresh_unknown"},
		{name: "refresh unknown auth0 403", profile: "auth0", req: refreshReq(func(e *tenv, rt string) string { return "rt.nope" }),
			status: 403, err: "invalid_grant", reason: "refresh_unknown"},
		{name: "refresh expired", req: refreshReq(func(e *tenv, rt string) string {
			e.srv.Clock().Advance(30 * 24 * time.Hour)
			return rt
		}), status: 400, err: "invalid_grant", reason: "refresh_expired"},
		{name: "refresh revoked", req: refreshReq(func(e *tenv, rt string) string {
			if tr := e.post(e.srv.Endpoints().Revoke, url.Values{"token": {rt}, "client_id": {DefaultPublicClient}}, ""); tr.status != 200 {
				t.Fatalf("revoke: %d %s", tr.status, tr.raw)
			}
			return rt
		}), status: 400, err: "invalid_grant", reason: "refresh_revoked"},
		{name: "refresh reused", req: refreshReq(func(e *tenv, rt string) string {
			if tr := e.refresh(rt); tr.status != 200 {
				t.Fatalf("first refresh: %s", tr.raw)
			}
			return rt
		}), status: 400, err: "invalid_grant", reason: "refresh_reused"},
		{name: "grant not allowed", req: func(e *tenv) (url.Values, string) {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultPublicClient}}, ""
		}, status: 400, err: "unauthorized_client", reason: "grant_not_allowed"},
		{name: "unknown grant type", req: func(e *tenv) (url.Values, string) {
			return url.Values{"grant_type": {"urn:foo"}, "client_id": {DefaultPublicClient}}, ""
		}, status: 400, err: "unsupported_grant_type", reason: "grant_unsupported"},
		{name: "scope broader than grant", req: func(e *tenv) (url.Values, string) {
			rt := e.login().str("refresh_token")
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultPublicClient}, "scope": {"openid admin"}}, ""
		}, status: 400, err: "invalid_scope", reason: "scope_broader"},
		{name: "bad resource", req: func(e *tenv) (url.Values, string) {
			f := url.Values{"grant_type": {"client_credentials"}, "resource": {"not-absolute"}}
			return f, DefaultServiceClient + ":" + DefaultServiceSecret
		}, status: 400, err: "invalid_target", reason: "target_invalid"},
		{name: "resource with fragment", req: func(e *tenv) (url.Values, string) {
			f := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://api.example.test/#x"}}
			return f, DefaultServiceClient + ":" + DefaultServiceSecret
		}, status: 400, err: "invalid_target", reason: "target_invalid"},
		{name: "throttled", req: func(e *tenv) (url.Values, string) {
			e.srv.AddFault(Fault{Endpoint: "token", Action: FaultRateLimit, RetryAfter: 60})
			return conf, DefaultServiceClient + ":" + DefaultServiceSecret
		}, status: 429, err: "temporarily_unavailable", retryAfter: "60"},
		{name: "server error", req: func(e *tenv) (url.Values, string) {
			e.srv.AddFault(Fault{Endpoint: "token", Action: FaultError, Status: 500, Error: "server_error"})
			return conf, DefaultServiceClient + ":" + DefaultServiceSecret
		}, status: 500, err: "server_error"},
		{name: "temporarily unavailable", req: func(e *tenv) (url.Values, string) {
			e.srv.AddFault(Fault{Endpoint: "token", Action: FaultError, Status: 503, Error: "temporarily_unavailable"})
			return conf, DefaultServiceClient + ":" + DefaultServiceSecret
		}, status: 503, err: "temporarily_unavailable"},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := profileEnv(t, tc.profile)
			form, basic := tc.req(e)
			tr := e.token(form, basic)
			if tr.status != tc.status || tr.str("error") != tc.err {
				t.Fatalf("got %d %s, want %d %s\n%s", tr.status, tr.str("error"), tc.status, tc.err, tr.raw)
			}
			for k, want := range map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache"} {
				if got := tr.header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if !strings.HasPrefix(tr.header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", tr.header.Get("Content-Type"))
			}
			if got := tr.header.Get("WWW-Authenticate") != ""; got != tc.wwwAuth {
				t.Errorf("WWW-Authenticate present = %v, want %v", got, tc.wwwAuth)
			}
			if tc.retryAfter != "" && tr.header.Get("Retry-After") != tc.retryAfter {
				t.Errorf("Retry-After = %q", tr.header.Get("Retry-After"))
			}
			if tc.reason != "" {
				if tr.str("error_description") == "" {
					t.Errorf("no error_description")
				}
				if en := e.lastEntry("token"); en.Reason != tc.reason || en.Hint == "" {
					t.Errorf("journal reason %q hint %q, want reason %q with a hint", en.Reason, en.Hint, tc.reason)
				}
			}
		})
	}
}

// TestAuthorizeErrors covers /authorize: errors that must not redirect and
// errors returned on the redirect (RFC 6749 §4.1.2.1, RFC 7636 §4.4.1).
func TestAuthorizeErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		mut     func(url.Values)
		page    bool // 400 page, no redirect
		err     string
		reason  string
		hint    string
	}{
		{name: "unknown client", mut: func(q url.Values) { q.Set("client_id", "nobody") }, page: true, err: "invalid_request", reason: "client_unknown"},
		{name: "unregistered redirect", mut: func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, page: true, err: "invalid_request", reason: "redirect_mismatch"},
		{name: "missing client_id", mut: func(q url.Values) { q.Del("client_id") }, page: true, err: "invalid_request", reason: "param_missing"},
		{name: "missing response_type", mut: func(q url.Values) { q.Del("response_type") }, err: "invalid_request", reason: "param_missing"},
		{name: "token response_type", mut: func(q url.Values) { q.Set("response_type", "token") }, err: "unsupported_response_type"},
		{name: "challenge missing", mut: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, err: "invalid_request", reason: "pkce_required"},
		{name: "unsupported method", mut: func(q url.Values) { q.Set("code_challenge_method", "S512") }, err: "invalid_request", reason: "pkce_method_unsupported"},
		{name: "plain refused by okta", profile: "okta", mut: func(q url.Values) {
			q.Set("code_challenge", testVerifier)
			q.Set("code_challenge_method", "plain")
		}, err: "invalid_request", reason: "pkce_method_unsupported"},
		{name: "method defaults to plain on okta", profile: "okta", mut: func(q url.Values) { q.Del("code_challenge_method") },
			err: "invalid_request", reason: "pkce_method_unsupported", hint: "defaults to plain"},
		{name: "padded challenge", mut: func(q url.Values) { q.Set("code_challenge", S256Challenge(testVerifier)+"=") }, err: "invalid_request", reason: "pkce_challenge_syntax", hint: "padding"},
		{name: "standard base64 challenge", mut: func(q url.Values) {
			sum := sha256.Sum256([]byte(testVerifier))
			q.Set("code_challenge", base64.StdEncoding.EncodeToString(sum[:]))
		}, err: "invalid_request", reason: "pkce_challenge_syntax"},
		{name: "state missing strict", mut: func(q url.Values) { q.Del("state") }, err: "invalid_request", reason: "state_missing"},
		{name: "scope with a quote", mut: func(q url.Values) { q.Set("scope", `openid "x"`) }, err: "invalid_scope", reason: "scope_invalid", hint: "NQCHAR"},
		{name: "two resources entra", profile: "entra-v2", mut: func(q url.Values) {
			q.Set("scope", "api://a/.default api://b/.default")
		}, err: "invalid_scope", reason: "scope_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := profileEnv(t, tc.profile)
			q := authQuery(testVerifier)
			tc.mut(q)
			resp := e.authorize(q)
			en := e.lastEntry("authorize")
			if tc.page {
				if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || resp.Header.Get("X-Pqx-Error") != tc.err {
					t.Fatalf("got %d Location=%q error=%q, want a 400 page with %s", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("X-Pqx-Error"), tc.err)
				}
			} else {
				if resp.StatusCode != http.StatusFound {
					t.Fatalf("status %d, want 302", resp.StatusCode)
				}
				loc, _ := url.Parse(resp.Header.Get("Location"))
				lq := loc.Query()
				if lq.Get("error") != tc.err || lq.Get("code") != "" || lq.Get("error_description") == "" {
					t.Fatalf("redirect %s, want error=%s with a description and no code", loc, tc.err)
				}
				if st := q.Get("state"); st != "" && lq.Get("state") != st {
					t.Errorf("state not echoed: %s", loc)
				}
				if !strings.HasPrefix(loc.String(), PowerBIRedirect+"?") {
					t.Errorf("redirect to %s", loc)
				}
			}
			if tc.reason != "" && en.Reason != tc.reason {
				t.Errorf("journal reason %q, want %q (hint %s)", en.Reason, tc.reason, en.Hint)
			}
			if !strings.Contains(en.Hint, tc.hint) || en.Hint == "" {
				t.Errorf("hint %q, want it to mention %q", en.Hint, tc.hint)
			}
		})
	}
}

// TestPKCEDiagnostics checks that the hints name the usual connector bugs.
func TestPKCEDiagnostics(t *testing.T) {
	e := newEnv(t, Config{})
	// The challenge sent as the verifier (the bug of the old PKCE sample).
	tr := e.redeem(e.code(authQuery(testVerifier)), S256Challenge(testVerifier))
	if tr.str("error") != "invalid_grant" || !strings.Contains(tr.str("error_description"), "challenge itself") {
		t.Errorf("challenge-as-verifier: %s", tr.raw)
	}
	// A verifier regenerated in FinishLogin (section-level Text.NewGuid()).
	tr = e.redeem(e.code(authQuery(testVerifier)), strings.Repeat("b", 64))
	if !strings.Contains(tr.str("error_description"), "does not match code_challenge (S256)") {
		t.Errorf("regenerated verifier: %s", tr.raw)
	}
	// plain method works when the verifier is the challenge.
	q := authQuery(testVerifier)
	q.Set("code_challenge", testVerifier)
	q.Set("code_challenge_method", "plain")
	if tr := e.redeem(e.code(q), testVerifier); tr.status != 200 {
		t.Errorf("plain: %s", tr.raw)
	}
	// Method defaults to plain (RFC 7636 §4.3): an S256 challenge without a
	// method fails, and the hint says why.
	q = authQuery(testVerifier)
	q.Del("code_challenge_method")
	tr = e.redeem(e.code(q), testVerifier)
	if !strings.Contains(tr.str("error_description"), "send code_challenge_method=S256") {
		t.Errorf("missing method: %s", tr.raw)
	}
}

// TestCodeReplayRevokes checks that redeeming a code twice revokes what the
// first redemption issued (RFC 6749 §4.1.2).
func TestCodeReplayRevokes(t *testing.T) {
	e := newEnv(t, Config{})
	code := e.code(authQuery(testVerifier))
	first := e.redeem(code, testVerifier)
	if first.status != 200 {
		t.Fatal(first.raw)
	}
	if tr := e.redeem(code, testVerifier); tr.str("error") != "invalid_grant" {
		t.Fatalf("replay: %s", tr.raw)
	}
	if tr := e.refresh(first.str("refresh_token")); tr.str("error") != "invalid_grant" {
		t.Errorf("refresh after replay: %s", tr.raw)
	}
	intro := e.post(e.srv.Endpoints().Introspect, url.Values{"token": {first.str("access_token")}}, DefaultServiceClient+":"+DefaultServiceSecret)
	if intro.body["active"] != false {
		t.Errorf("access token still active after code replay: %s", intro.raw)
	}
}

// TestClientAuthEncoding checks client_secret_basic's form-urlencoding
// (RFC 6749 §2.3.1) with a secret that needs it.
func TestClientAuthEncoding(t *testing.T) {
	secret := "s3cr:t+with/odd&chars="
	e := newEnv(t, Config{Clients: []Client{{ID: "odd client", Secret: secret}}})
	form := url.Values{"grant_type": {"client_credentials"}}
	if tr := e.token(form, "odd client:"+secret); tr.status != 200 {
		t.Fatalf("encoded basic: %s", tr.raw)
	}
	// Without the form-encoding step the secret does not match.
	req, _ := http.NewRequest("POST", e.srv.Endpoints().Token, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("odd+client", secret)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("raw basic: status %d, want 401", resp.StatusCode)
	}
	if en := e.lastEntry("token"); !strings.Contains(en.Hint, "form-urlencoded") {
		t.Errorf("hint %q should mention form-urlencoding", en.Hint)
	}
}

// TestRequestShape checks method, content type and query parameters.
func TestRequestShape(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.srv.Endpoints().Token
	resp, _ := http.Get(tok)
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, _ = http.Post(tok+"?grant_type=client_credentials", "application/x-www-form-urlencoded", nil)
	resp.Body.Close()
	if en := e.lastEntry("token"); resp.StatusCode != 400 || en.Reason != "params_in_query" {
		t.Errorf("query params: %d %s", resp.StatusCode, en.Reason)
	}
	resp, _ = http.Post(tok, "application/json", strings.NewReader(`{"grant_type":"client_credentials"}`))
	resp.Body.Close()
	if en := e.lastEntry("token"); resp.StatusCode != 400 || en.Reason != "content_type" {
		t.Errorf("json body: %d %s", resp.StatusCode, en.Reason)
	}
}

func TestDurationText(t *testing.T) {
	for in, want := range map[string]string{"60s": "1m", "90s": "1m30s", "1h": "1h", "75m": "1h15m", "90d": "90d", "0": "0s", "3599": "59m59s"} {
		d, err := ParseDuration(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Duration(d).String(); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", "-1s", "xd", "5 minutes"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestDoubleEncodedScopeWarning(t *testing.T) {
	e := newEnv(t, Config{})
	q := authQuery(testVerifier)
	q.Set("scope", "openid%20offline_access")
	e.code(q)
	if en := e.lastEntry("authorize"); len(en.Warnings) == 0 || !strings.Contains(en.Warnings[0], "URL-encoded twice") {
		t.Errorf("warnings %v", en.Warnings)
	}
}

// TestMixUpHints checks the diagnosis of tokens sent in the wrong place.
func TestMixUpHints(t *testing.T) {
	e := newEnv(t, Config{})
	tr := e.login()
	code := e.code(authQuery(testVerifier))
	cb := PowerBIRedirect + "?code=" + code + "&state=st-1"
	for _, tc := range []struct {
		grant, value, want string
	}{
		{"authorization_code", cb, "is a URL"},
		{"authorization_code", "code=" + code + "&state=st-1", "contains 'code='"},
		{"authorization_code", tr.str("refresh_token"), "this is a refresh token"},
		{"authorization_code", tr.str("id_token"), "this is an id_token"},
		{"refresh_token", tr.str("access_token"), "this is an access token"},
		{"refresh_token", code, "this is an authorization code"},
		{"refresh_token", tr.str("refresh_token") + " ", "white space"},
		{"refresh_token", "rt.nope", "never issued by this server"},
	} {
		f := url.Values{"grant_type": {tc.grant}, "client_id": {DefaultPublicClient}}
		if tc.grant == "authorization_code" {
			f.Set("code", tc.value)
			f.Set("redirect_uri", PowerBIRedirect)
			f.Set("code_verifier", testVerifier)
		} else {
			f.Set("refresh_token", tc.value)
		}
		r := e.token(f, "")
		if r.str("error") != "invalid_grant" || !strings.Contains(r.str("error_description"), tc.want) {
			t.Errorf("%s %.20q: %s, want a hint with %q", tc.grant, tc.value, r.raw, tc.want)
		}
	}
}

func TestRedirectHints(t *testing.T) {
	for got, want := range map[string]string{
		url.QueryEscape(PowerBIRedirect):                             "URL-encoded twice",
		PowerBIRedirect + "/":                                        "trailing slash",
		strings.ToUpper(PowerBIRedirect[:12]) + PowerBIRedirect[12:]: "letter case",
		"http://oauth.powerbi.com/views/oauthredirect.html":          "uses http",
	} {
		if h := redirectHint(got, []string{PowerBIRedirect}); !strings.Contains(h, want) {
			t.Errorf("%s: hint %q, want %q", got, h, want)
		}
	}
	e := newEnv(t, Config{})
	req, _ := http.NewRequest("POST", e.srv.Endpoints().Token, strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if en := e.lastEntry("token"); en.Reason != "body_json" {
		t.Errorf("JSON body: %s", en.Reason)
	}
}
