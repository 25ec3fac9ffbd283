package mockidp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testStart is the frozen instant tests start at.
var testStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// tenv is one server under test and a client that does not follow
// redirects.
type tenv struct {
	t   testing.TB
	srv *Server
	hc  *http.Client
}

func newEnv(t testing.TB, cfg Config) *tenv {
	t.Helper()
	if cfg.StartTime.IsZero() {
		cfg.StartTime = testStart
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	srv.SetURL(ts.URL)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &tenv{t: t, srv: srv, hc: hc}
}

func profileEnv(t testing.TB, profile string) *tenv { return newEnv(t, Config{Profile: profile}) }

// authorize sends GET /authorize with q and returns the response.
func (e *tenv) authorize(q url.Values) *http.Response {
	e.t.Helper()
	resp, err := e.hc.Get(e.srv.Endpoints().Authorize + "?" + q.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// authQuery is a valid authorize request of the default public client
// with an S256 challenge of verifier.
func authQuery(verifier string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {DefaultPublicClient},
		"redirect_uri":          {PowerBIRedirect},
		"state":                 {"st-1"},
		"scope":                 {"openid profile offline_access"},
		"code_challenge":        {S256Challenge(verifier)},
		"code_challenge_method": {"S256"},
	}
}

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

// code runs /authorize and returns the code from the redirect.
func (e *tenv) code(q url.Values) string {
	e.t.Helper()
	resp := e.authorize(q)
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: status %d, want 302 (hint %s)", resp.StatusCode, resp.Header.Get("X-Pqx-Hint"))
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := loc.Query().Get("error"); err != "" {
		e.t.Fatalf("authorize: error %s: %s", err, loc.Query().Get("error_description"))
	}
	return loc.Query().Get("code")
}

// redirectParams runs /authorize and returns the redirect's query.
func (e *tenv) redirectParams(q url.Values) url.Values {
	e.t.Helper()
	resp := e.authorize(q)
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: status %d, want 302", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc.Query()
}

type tokenResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r tokenResp) str(k string) string { s, _ := r.body[k].(string); return s }

// token POSTs form to the token endpoint; basic is "id:secret" or "".
func (e *tenv) token(form url.Values, basic string) tokenResp {
	e.t.Helper()
	return e.post(e.srv.Endpoints().Token, form, basic)
}

func (e *tenv) post(u string, form url.Values, basic string) tokenResp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != "" {
		id, sec, _ := strings.Cut(basic, ":")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(sec))
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	tr := tokenResp{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	_ = json.Unmarshal(data, &tr.body)
	return tr
}

// redeem exchanges a code of the default public client.
func (e *tenv) redeem(code, verifier string) tokenResp {
	e.t.Helper()
	return e.token(url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {PowerBIRedirect},
		"client_id":     {DefaultPublicClient},
		"code_verifier": {verifier},
	}, "")
}

// login runs the whole dance for the default public client and returns
// the token response, which must succeed.
func (e *tenv) login() tokenResp {
	e.t.Helper()
	tr := e.redeem(e.code(authQuery(testVerifier)), testVerifier)
	if tr.status != 200 {
		e.t.Fatalf("redeem: %d %s", tr.status, tr.raw)
	}
	return tr
}

func (e *tenv) refresh(rt string) tokenResp {
	e.t.Helper()
	return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultPublicClient}}, "")
}

// lastEntry returns the newest journal entry of an endpoint.
func (e *tenv) lastEntry(endpoint string) Entry {
	e.t.Helper()
	es := e.srv.Journal().Filter(func(en *Entry) bool { return en.Endpoint == endpoint })
	if len(es) == 0 {
		e.t.Fatalf("no journal entry for %s", endpoint)
	}
	return es[len(es)-1]
}

func (e *tenv) userinfo(at string) tokenResp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.Endpoints().Userinfo, nil)
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	tr := tokenResp{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	_ = json.Unmarshal(data, &tr.body)
	return tr
}

func getJSON(t testing.TB, u string, v any) http.Header {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
	return resp.Header
}
