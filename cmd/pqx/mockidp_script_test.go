package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/oauth2"

	"github.com/pqxdev/pqx/internal/mockidp"
)

// The mockidp script command drives a mock identity provider from txtar
// scripts; internal/mockidp/README.md documents it for connector authors.
func init() {
	scriptCmds["mockidp"] = scriptMockIDP
}

// idpScript is the mock IDP of one running script. Every subcommand but
// start goes through the HTTP control API, so the same commands work for
// an in-process server and for one attached from `pqx mock idp`.
type idpScript struct {
	srv *mockidp.Server // nil when attached
	ep  mockidp.Endpoints
	hc  *http.Client
}

var idpScripts sync.Map // *testscript.TestScript → *idpScript

func scriptMockIDP(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: mockidp start|attach|fault|authorize|clock|reset|clear-journal|journal|count|summary|check-login-uri|login|refresh|client-credentials ...")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "start":
		idpStart(ts, neg, args)
		return
	case "attach":
		idpAttach(ts, neg, args)
		return
	}
	v, ok := idpScripts.Load(ts)
	if !ok {
		ts.Fatalf("mockidp %s: no mock IDP; run 'mockidp start PROFILE' or 'mockidp attach FILE' first", sub)
	}
	st := v.(*idpScript)
	switch sub {
	case "fault":
		f, err := mockidp.ParseFault(args)
		ts.Check(err)
		body, _ := json.Marshal(f)
		st.control(ts, neg, "POST", "/faults", body)
	case "authorize":
		if len(args) == 0 {
			ts.Fatalf("usage: mockidp authorize OUTCOME [subject=S] [error=E] [description=D]")
		}
		o := mockidp.AuthorizeOutcome{Action: args[0]}
		for _, kv := range args[1:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "subject":
				o.Subject = v
			case "error":
				o.Error = v
			case "description":
				o.Description = v
			default:
				ts.Fatalf("mockidp authorize: unknown key %q", k)
			}
		}
		body, _ := json.Marshal(o)
		st.control(ts, neg, "POST", "/authorize", body)
	case "clock":
		if len(args) != 2 || args[0] != "advance" {
			ts.Fatalf("usage: mockidp clock advance DURATION")
		}
		st.control(ts, neg, "POST", "/clock/advance?by="+url.QueryEscape(args[1]), nil)
	case "reset":
		st.control(ts, neg, "POST", "/reset", nil)
	case "clear-journal":
		st.control(ts, neg, "DELETE", "/journal", nil)
	case "journal":
		idpJournal(ts, st, neg, args)
	case "count":
		if len(args) != 2 {
			ts.Fatalf("usage: mockidp count REGEXP N")
		}
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		n := len(st.journal(ts, args[0]))
		if (n == want) == neg {
			ts.Fatalf("mockidp count: %d journal entries match %q, want %s%d", n, args[0], map[bool]string{true: "not ", false: ""}[neg], want)
		}
	case "check-login-uri":
		idpCheckLoginURI(ts, st, neg, args)
	case "summary":
		var sum mockidp.Summary
		resp, err := st.hc.Get(st.ep.Control + "/summary")
		ts.Check(err)
		err = json.NewDecoder(resp.Body).Decode(&sum)
		resp.Body.Close()
		ts.Check(err)
		fmt.Fprint(ts.Stdout(), sum.String())
	case "login":
		st.login(ts, neg, args)
	case "refresh":
		st.refresh(ts, neg, args)
	case "client-credentials":
		st.clientCredentials(ts, neg, args)
	default:
		ts.Fatalf("mockidp: unknown subcommand %q", sub)
	}
}

func idpStart(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: mockidp start PROFILE [--signing ALG] [--auto-register] [--config FILE] [--start-time RFC3339] [--enforce-rate-limits]")
	}
	if _, ok := idpScripts.Load(ts); ok {
		ts.Fatalf("mockidp start: a mock IDP is already running in this script")
	}
	var cfg mockidp.Config
	profile := args[0]
	for i := 1; i < len(args); i++ {
		next := func() string {
			if i+1 >= len(args) {
				ts.Fatalf("mockidp start: %s needs a value", args[i])
			}
			i++
			return args[i]
		}
		switch args[i] {
		case "--signing":
			cfg.Signing = next()
		case "--auto-register":
			cfg.AutoRegister = true
		case "--enforce-rate-limits":
			cfg.EnforceRateLimits = true
		case "--config":
			c, err := mockidp.LoadConfig(ts.MkAbs(next()))
			ts.Check(err)
			c.AutoRegister = c.AutoRegister || cfg.AutoRegister
			cfg = c
		case "--start-time":
			t, err := time.Parse(time.RFC3339, next())
			ts.Check(err)
			cfg.StartTime = t
		default:
			ts.Fatalf("mockidp start: unknown flag %q", args[i])
		}
	}
	cfg.Profile = profile
	srv, err := mockidp.New(cfg)
	if neg {
		if err == nil {
			ts.Fatalf("mockidp start: unexpectedly succeeded")
		}
		fmt.Fprintln(ts.Stdout(), err)
		return
	}
	ts.Check(err)
	ts.Check(srv.Start("127.0.0.1:0"))
	ts.Defer(func() {
		srv.Close()
		idpScripts.Delete(ts)
	})
	st := newIDPScript(srv, srv.Endpoints())
	idpScripts.Store(ts, st)
	st.setEnv(ts, len(cfg.Clients) == 0)
}

// idpAttach connects to a server started with
// `pqx mock idp --endpoints-file FILE &`, waiting up to 10 s for the file.
func idpAttach(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: mockidp attach ENDPOINTS-FILE")
	}
	file := ts.MkAbs(args[0])
	var data []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		if data, err = os.ReadFile(file); err == nil {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("mockidp attach: %s did not appear within 10s", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	var info mockIDPInfo
	ts.Check(json.Unmarshal(data, &info))
	st := newIDPScript(nil, info.Endpoints)
	idpScripts.Store(ts, st)
	ts.Defer(func() { idpScripts.Delete(ts) })
	st.setEnv(ts, true)
}

func newIDPScript(srv *mockidp.Server, ep mockidp.Endpoints) *idpScript {
	return &idpScript{srv: srv, ep: ep, hc: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (st *idpScript) setEnv(ts *testscript.TestScript, defaultClients bool) {
	ep := st.ep
	for k, v := range map[string]string{
		"IDP_URL":          strings.TrimSuffix(ep.Control, "/_mock"),
		"IDP_ISSUER":       ep.Issuer,
		"IDP_AUTHORIZE":    ep.Authorize,
		"IDP_TOKEN":        ep.Token,
		"IDP_USERINFO":     ep.Userinfo,
		"IDP_JWKS":         ep.JWKS,
		"IDP_INTROSPECT":   ep.Introspect,
		"IDP_REVOKE":       ep.Revoke,
		"IDP_DISCOVERY":    ep.Discovery,
		"IDP_CONTROL":      ep.Control,
		"IDP_REDIRECT_URI": mockidp.PowerBIRedirect,
	} {
		ts.Setenv(k, v)
	}
	if defaultClients {
		ts.Setenv("IDP_CLIENT_ID", mockidp.DefaultPublicClient)
		ts.Setenv("IDP_CONFIDENTIAL_ID", mockidp.DefaultConfidentialClient)
		ts.Setenv("IDP_CONFIDENTIAL_SECRET", mockidp.DefaultConfidentialSecret)
		ts.Setenv("IDP_SERVICE_ID", mockidp.DefaultServiceClient)
		ts.Setenv("IDP_SERVICE_SECRET", mockidp.DefaultServiceSecret)
	}
}

// control calls the control API and prints its answer.
func (st *idpScript) control(ts *testscript.TestScript, neg bool, method, path string, body []byte) []byte {
	req, err := http.NewRequest(method, st.ep.Control+path, bytes.NewReader(body))
	ts.Check(err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := st.hc.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	ok := resp.StatusCode == 200
	if ok == neg {
		ts.Fatalf("mockidp %s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	ts.Stdout().Write(data)
	return data
}

func (st *idpScript) journal(ts *testscript.TestScript, re string) []string {
	path := "/journal"
	if re != "" {
		if _, err := regexp.Compile(re); err != nil {
			ts.Fatalf("mockidp journal: %v", err)
		}
		path += "?grep=" + url.QueryEscape(re)
	}
	resp, err := st.hc.Get(st.ep.Control + path)
	ts.Check(err)
	defer resp.Body.Close()
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	ts.Check(sc.Err())
	return lines
}

// idpJournal prints the journal entries matching REGEXP. With a REGEXP it
// fails when nothing matches (or, negated, when anything does).
func idpJournal(ts *testscript.TestScript, st *idpScript, neg bool, args []string) {
	if len(args) > 1 {
		ts.Fatalf("usage: mockidp journal [REGEXP]")
	}
	re := ""
	if len(args) == 1 {
		re = args[0]
	}
	lines := st.journal(ts, re)
	for _, l := range lines {
		fmt.Fprintln(ts.Stdout(), l)
	}
	switch {
	case neg && len(lines) > 0:
		ts.Fatalf("mockidp journal: %d entries match %q", len(lines), re)
	case !neg && re != "" && len(lines) == 0:
		ts.Fatalf("mockidp journal: no entry matches %q", re)
	case neg && re == "":
		ts.Fatalf("usage: ! mockidp journal REGEXP")
	}
}

func keyValues(ts *testscript.TestScript, cmd string, args []string, allowed ...string) map[string]string {
	kv := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || !contains(allowed, k) {
			ts.Fatalf("mockidp %s: %q: want one of %s as key=value", cmd, a, strings.Join(allowed, ", "))
		}
		kv[k] = v
	}
	return kv
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// report prints msg and fails the script unless the outcome matches neg.
func report(ts *testscript.TestScript, neg, failed bool, msg string) {
	fmt.Fprintln(ts.Stdout(), msg)
	if failed != neg {
		if neg {
			ts.Fatalf("unexpected success: %s", msg)
		}
		ts.Fatalf("%s", msg)
	}
}

// login runs the authorization-code dance headlessly, as a connector's
// StartLogin/FinishLogin would, and exports ACCESS_TOKEN, REFRESH_TOKEN and
// ID_TOKEN.
func (st *idpScript) login(ts *testscript.TestScript, neg bool, args []string) {
	kv := keyValues(ts, "login", args, "client", "secret", "auth", "scope", "verifier", "method", "challenge",
		"redirect", "token_redirect", "state", "code_verifier", "resource", "audience", "access_type", "nonce")
	get := func(k, def string) string {
		if v, ok := kv[k]; ok {
			return v
		}
		return def
	}
	client := get("client", mockidp.DefaultPublicClient)
	verifier := get("verifier", oauth2.GenerateVerifier())
	method := get("method", "S256")
	redirect := get("redirect", mockidp.PowerBIRedirect)
	state := get("state", "pqx-state")
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "scope": {get("scope", "openid offline_access")}}
	if redirect != "-" {
		q.Set("redirect_uri", redirect)
	}
	if state != "-" {
		q.Set("state", state)
	}
	switch method {
	case "S256":
		q.Set("code_challenge", get("challenge", mockidp.S256Challenge(verifier)))
		q.Set("code_challenge_method", "S256")
	case "plain":
		q.Set("code_challenge", get("challenge", verifier))
		q.Set("code_challenge_method", "plain")
	case "none":
	default:
		ts.Fatalf("mockidp login: method=%s: want S256, plain or none", method)
	}
	for _, k := range []string{"resource", "audience", "access_type", "nonce"} {
		if v, ok := kv[k]; ok {
			q.Set(k, v)
		}
	}
	resp, err := st.hc.Get(st.ep.Authorize + "?" + q.Encode())
	ts.Check(err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		report(ts, neg, true, fmt.Sprintf("authorize: status %d: %s: %s", resp.StatusCode, resp.Header.Get("X-Pqx-Error"), resp.Header.Get("X-Pqx-Hint")))
		return
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	ts.Check(err)
	cb := loc.Query()
	switch {
	case cb.Get("error") != "":
		report(ts, neg, true, fmt.Sprintf("authorize: redirected with error=%s: %s", cb.Get("error"), cb.Get("error_description")))
		return
	case state != "-" && cb.Get("state") != state:
		report(ts, neg, true, fmt.Sprintf("authorize: state in the callback is %q, not %q: possible CSRF, refusing the code", cb.Get("state"), state))
		return
	case cb.Get("code") == "":
		report(ts, neg, true, "authorize: the callback has no code")
		return
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")}}
	if tr := get("token_redirect", redirect); tr != "-" {
		form.Set("redirect_uri", tr)
	}
	switch cv := kv["code_verifier"]; {
	case cv == "-": // omitted on purpose
	case cv != "":
		form.Set("code_verifier", cv)
	case method != "none":
		form.Set("code_verifier", verifier)
	}
	st.tokenRequest(ts, neg, "token", form, client, get("secret", ""), get("auth", ""))
}

// tokenRequest POSTs form with the chosen client authentication, prints a
// summary line and exports the tokens.
func (st *idpScript) tokenRequest(ts *testscript.TestScript, neg bool, label string, form url.Values, client, secret, auth string) {
	status, body, line := st.post(ts, form, client, secret, auth)
	ok := status == 200 && body != nil
	if ok {
		for env, key := range map[string]string{"ACCESS_TOKEN": "access_token", "REFRESH_TOKEN": "refresh_token", "ID_TOKEN": "id_token"} {
			if v, _ := body[key].(string); v != "" {
				ts.Setenv(env, v)
			}
		}
	}
	report(ts, neg, !ok, label+": "+line)
}

func (st *idpScript) post(ts *testscript.TestScript, form url.Values, client, secret, auth string) (int, map[string]any, string) {
	if auth == "" {
		auth = "none"
		if secret != "" {
			auth = "basic"
		}
	}
	switch auth {
	case "none":
		form.Set("client_id", client)
	case "post":
		form.Set("client_id", client)
		form.Set("client_secret", secret)
	case "basic":
	default:
		ts.Fatalf("mockidp: auth=%s: want none, basic or post", auth)
	}
	req, err := http.NewRequest("POST", st.ep.Token, strings.NewReader(form.Encode()))
	ts.Check(err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth == "basic" {
		req.SetBasicAuth(url.QueryEscape(client), url.QueryEscape(secret))
	}
	resp, err := st.hc.Do(req)
	if err != nil {
		return 0, nil, "transport error: " + err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if json.Unmarshal(data, &body) != nil {
		return resp.StatusCode, nil, fmt.Sprintf("%d non-JSON body %q", resp.StatusCode, truncate(string(data), 80))
	}
	if resp.StatusCode != 200 {
		line := fmt.Sprintf("%d %v: %v", resp.StatusCode, body["error"], body["error_description"])
		if h, ok := body["error_hint"]; ok {
			line += fmt.Sprintf(" [hint: %v]", h) // vendor wording above, the mock's diagnosis here
		}
		return resp.StatusCode, body, line
	}
	if _, ok := body["access_token"].(string); !ok {
		return resp.StatusCode, nil, "200 without access_token"
	}
	var parts []string
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if v, _ := body[k].(string); v != "" {
			parts = append(parts, k+"="+mockidp.Fingerprint(v))
		}
	}
	if v, ok := body["expires_in"]; ok {
		// JSON form, so a string "3600" reads differently from 3600.
		b, _ := json.Marshal(v)
		parts = append(parts, "expires_in="+string(b))
	}
	return 200, body, "200 " + strings.Join(parts, " ")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// refresh redeems a refresh token ($REFRESH_TOKEN by default). With
// parallel=N it sends N requests with the same token that the server
// releases together, the way Power BI Desktop refreshes one token per table.
func (st *idpScript) refresh(ts *testscript.TestScript, neg bool, args []string) {
	kv := keyValues(ts, "refresh", args, "token", "parallel", "client", "secret", "auth", "scope", "resource", "redirect")
	tok := kv["token"]
	if tok == "" {
		tok = ts.Getenv("REFRESH_TOKEN")
	}
	if tok == "" {
		ts.Fatalf("mockidp refresh: no token= and no $REFRESH_TOKEN")
	}
	client := kv["client"]
	if client == "" {
		client = mockidp.DefaultPublicClient
	}
	n := 1
	if p := kv["parallel"]; p != "" {
		var err error
		if n, err = strconv.Atoi(p); err != nil || n < 1 || n > 64 {
			ts.Fatalf("mockidp refresh: parallel=%s: want 1 to 64", p)
		}
	}
	form := func() url.Values {
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}
		for k, key := range map[string]string{"scope": "scope", "resource": "resource", "redirect": "redirect_uri"} {
			if v, ok := kv[k]; ok {
				f.Set(key, v)
			}
		}
		return f
	}
	if n == 1 {
		st.tokenRequest(ts, neg, "refresh", form(), client, kv["secret"], kv["auth"])
		return
	}
	hold, _ := json.Marshal(mockidp.Fault{Endpoint: "token", GrantType: "refresh_token", Action: mockidp.FaultHold, Count: n})
	st.control(ts, false, "POST", "/faults", hold)
	type result struct {
		status int
		body   map[string]any
		line   string
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, b, l := st.post(ts, form(), client, kv["secret"], kv["auth"])
			results[i] = result{s, b, l}
		}()
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].line < results[j].line })
	failed := false
	for _, r := range results {
		fmt.Fprintln(ts.Stdout(), "refresh: "+r.line)
		if r.status != 200 || r.body == nil {
			failed = true
		} else if v, _ := r.body["refresh_token"].(string); v != "" {
			ts.Setenv("REFRESH_TOKEN", v)
		}
	}
	report(ts, neg, failed, fmt.Sprintf("refresh: %d parallel requests, failures: %v", n, failed))
}

// clientCredentials requests a client_credentials token (the service
// client by default) and exports ACCESS_TOKEN.
func (st *idpScript) clientCredentials(ts *testscript.TestScript, neg bool, args []string) {
	kv := keyValues(ts, "client-credentials", args, "client", "secret", "auth", "scope", "audience", "resource")
	client, secret := kv["client"], kv["secret"]
	if client == "" {
		client, secret = mockidp.DefaultServiceClient, mockidp.DefaultServiceSecret
		if s, ok := kv["secret"]; ok {
			secret = s
		}
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	for _, k := range []string{"scope", "audience", "resource"} {
		if v, ok := kv[k]; ok {
			form.Set(k, v)
		}
	}
	st.tokenRequest(ts, neg, "client_credentials", form, client, secret, kv["auth"])
}

// idpCheckLoginURI checks a LoginUri as StartLogin built it: it fails and
// prints the findings when there are any (negated: when there are none).
func idpCheckLoginURI(ts *testscript.TestScript, st *idpScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: mockidp check-login-uri URI [state=S] [verifier=V]")
	}
	kv := keyValues(ts, "check-login-uri", args[1:], "state", "verifier")
	body, _ := json.Marshal(map[string]string{"uri": args[0], "state": kv["state"], "verifier": kv["verifier"]})
	data := st.control(ts, false, "POST", "/check-login-uri", body)
	var findings []mockidp.Finding
	ts.Check(json.Unmarshal(data, &findings))
	if (len(findings) > 0) != neg {
		ts.Fatalf("mockidp check-login-uri: %d findings", len(findings))
	}
}
