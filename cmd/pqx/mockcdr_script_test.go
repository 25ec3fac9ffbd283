package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pqxdev/pqx/internal/mockcdr"
)

// Script commands for the mockcdr_* scripts: one command, mockcdr, with
// subcommands. Every subcommand but start and aql talks to a server through
// its URLs in the environment (CDR_URL, CDR_BASE, CDR_CONTROL, or NAME_URL
// … with -name NAME), so servers started in-process and `pqx mock cdr`
// processes are driven alike.
//
//	mockcdr start [-name N] PROFILE [key=value…]   start in-process; keys: auth, jwks, issuer,
//	                                               seed, max-fetch, max-limit, default-limit,
//	                                               fetch-precedence, legacy-list, subscription-key,
//	                                               query-timeout, config (a file)
//	mockcdr attach [-name N] FILE                  use a server whose --url-file is FILE (waits 20 s)
//	mockcdr aql ID VAR                             set VAR to the AQL of fixture ID
//	mockcdr query [-name N] ID [key=value…]        POST {base}/query/aql with fixture ID; keys:
//	                                               offset, fetch, suffix (appended AQL), p.NAME
//	                                               (a parameter; numbers stay numbers), header.NAME,
//	                                               user (USER:PASS for Basic), token (a Bearer token)
//	mockcdr http [-name N] [-u USER:PASS] [-t TOKEN] [-H NAME:VALUE]… METHOD PATH [BODY]
//	                                               PATH is relative to the base unless it starts
//	                                               with / (server root) or http
//	mockcdr fault [-name N] KIND [key=value…]      schedule a fault; keys: count, after, path,
//	                                               fixture, retry-after, delay
//	mockcdr log [-name N] [REGEXP]                 print the request log, one line per request;
//	                                               with REGEXP, fail unless a line matches
//	                                               (with !, fail if one does)
//	mockcdr reset [-name N]                        clear log, faults and stored queries
//
// query and http print "status N", then for result sets "rows N" (or
// "rows absent") and "columns a,b,…", then the body; they fail on a status
// of 400 or more unless negated (and then fail below 400).
func init() {
	scriptCmds["mockcdr"] = scriptMockCDR
}

func scriptMockCDR(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: mockcdr start|attach|aql|query|http|fault|log|reset ...")
	}
	sub, args := args[0], args[1:]
	name := "CDR"
	if len(args) >= 2 && args[0] == "-name" {
		name, args = strings.ToUpper(args[1]), args[2:]
	}
	switch sub {
	case "start":
		cdrNoNeg(ts, neg, sub)
		mockCDRStart(ts, name, args)
	case "attach":
		cdrNoNeg(ts, neg, sub)
		mockCDRAttach(ts, name, args)
	case "aql":
		cdrNoNeg(ts, neg, sub)
		if len(args) != 2 {
			ts.Fatalf("usage: mockcdr aql ID VAR")
		}
		f, ok := mockcdr.LookupFixture(args[0])
		if !ok {
			ts.Fatalf("unknown fixture %s", args[0])
		}
		ts.Setenv(args[1], f.AQL)
	case "query":
		mockCDRQuery(ts, neg, name, args)
	case "http":
		mockCDRHTTP(ts, neg, name, args)
	case "fault":
		cdrNoNeg(ts, neg, sub)
		mockCDRFault(ts, name, args)
	case "log":
		mockCDRLog(ts, neg, name, args)
	case "reset":
		cdrNoNeg(ts, neg, sub)
		st, body := cdrDo(ts, "POST", ts.Getenv(name+"_CONTROL")+"/reset", nil, "", nil)
		if st != http.StatusNoContent {
			ts.Fatalf("reset: %d %s", st, body)
		}
	default:
		ts.Fatalf("unknown mockcdr subcommand %q", sub)
	}
}

func cdrNoNeg(ts *testscript.TestScript, neg bool, sub string) {
	if neg {
		ts.Fatalf("mockcdr %s does not support !", sub)
	}
}

// cdrKeyValues splits key=value arguments.
func cdrKeyValues(ts *testscript.TestScript, args []string) map[string]string {
	kv := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("argument %q is not key=value", a)
		}
		kv[k] = v
	}
	return kv
}

func mockCDRStart(ts *testscript.TestScript, name string, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: mockcdr start [-name N] PROFILE [key=value…]")
	}
	var cfg mockcdr.Config
	kv := cdrKeyValues(ts, args[1:])
	if f, ok := kv["config"]; ok {
		var err error
		if cfg, err = mockcdr.LoadConfig(ts.MkAbs(f)); err != nil {
			ts.Fatalf("%v", err)
		}
	}
	cfg.Profile = args[0]
	atoi := func(k string) int {
		n, err := strconv.Atoi(kv[k])
		ts.Check(err)
		return n
	}
	for k, v := range kv {
		switch k {
		case "config":
		case "auth":
			cfg.Auth.Mode = v
		case "jwks":
			cfg.Auth.JWKSURL = v
		case "issuer":
			cfg.Auth.Issuer = v
		case "seed":
			cfg.Seed = uint64(atoi(k))
		case "max-fetch":
			cfg.MaxFetch = atoi(k)
		case "max-limit":
			cfg.MaxLimit = atoi(k)
		case "default-limit":
			cfg.DefaultLimit = atoi(k)
		case "fetch-precedence":
			cfg.FetchPrecedence = v
		case "legacy-list":
			cfg.LegacyStoredQueryList = v == "true"
		case "subscription-key":
			cfg.SubscriptionKey = v
		case "query-timeout":
			d, err := time.ParseDuration(v)
			ts.Check(err)
			cfg.QueryTimeout = d
		default:
			ts.Fatalf("unknown mockcdr start key %q", k)
		}
	}
	srv, err := mockcdr.New(cfg)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Check(srv.Start())
	ts.Defer(func() { srv.Close() })
	setCDREnv(ts, name, srv.Info())
}

func setCDREnv(ts *testscript.TestScript, name string, info mockcdr.Info) {
	ts.Setenv(name+"_URL", info.URL)
	ts.Setenv(name+"_BASE", info.BaseURL)
	ts.Setenv(name+"_CONTROL", info.ControlURL)
}

func mockCDRAttach(ts *testscript.TestScript, name string, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: mockcdr attach [-name N] FILE")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		var info mockcdr.Info
		if err == nil && json.Unmarshal(data, &info) == nil && info.ControlURL != "" {
			setCDREnv(ts, name, info)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no server URLs in %s after 20 s", args[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var cdrClient = &http.Client{Timeout: 60 * time.Second}

// cdrDo sends one request and returns the status and body.
func cdrDo(ts *testscript.TestScript, method, url string, body []byte, contentType string, headers []string) (int, []byte) {
	if !strings.HasPrefix(url, "http") {
		ts.Fatalf("no server URL (%q): run mockcdr start or attach first", url)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	ts.Check(err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			ts.Fatalf("header %q is not NAME:VALUE", h)
		}
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := cdrClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ts.Check(err)
	return resp.StatusCode, b
}

// cdrPrintAnswer prints status, a result-set summary and the body, and
// applies the status rule of query and http.
func cdrPrintAnswer(ts *testscript.TestScript, neg bool, status int, body []byte) {
	fmt.Fprintf(ts.Stdout(), "status %d\n", status)
	var rs struct {
		Columns []struct {
			Name string `json:"name"`
		} `json:"columns"`
		Rows *[]json.RawMessage `json:"rows"`
	}
	if json.Unmarshal(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF")), &rs) == nil && rs.Columns != nil {
		if rs.Rows == nil {
			fmt.Fprintln(ts.Stdout(), "rows absent")
		} else {
			fmt.Fprintf(ts.Stdout(), "rows %d\n", len(*rs.Rows))
		}
		var names []string
		for _, c := range rs.Columns {
			names = append(names, c.Name)
		}
		fmt.Fprintf(ts.Stdout(), "columns %s\n", strings.Join(names, ","))
	}
	if bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		fmt.Fprintln(ts.Stdout(), "bom")
	}
	// Bulk pages are large; scripts match on the start of a body.
	const show = 16 << 10
	if len(body) > show {
		fmt.Fprintf(ts.Stdout(), "%s…(%d bytes)\n", body[:show], len(body))
	} else {
		ts.Stdout().Write(body)
		fmt.Fprintln(ts.Stdout())
	}
	if failed := status >= 400; failed != neg {
		if neg {
			ts.Fatalf("status %d, want an error", status)
		}
		ts.Fatalf("status %d", status)
	}
}

func mockCDRQuery(ts *testscript.TestScript, neg bool, name string, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: mockcdr query [-name N] ID [key=value…]")
	}
	f, ok := mockcdr.LookupFixture(args[0])
	if !ok {
		ts.Fatalf("unknown fixture %s", args[0])
	}
	body := map[string]any{"q": f.AQL}
	params := map[string]any{}
	var headers []string
	for k, v := range cdrKeyValues(ts, args[1:]) {
		switch {
		case k == "offset" || k == "fetch":
			n, err := strconv.Atoi(v)
			ts.Check(err)
			body[k] = n
		case k == "suffix":
			body["q"] = f.AQL + " " + v
		case strings.HasPrefix(k, "p."):
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				params[k[2:]] = n
			} else {
				params[k[2:]] = v
			}
		case k == "user":
			headers = append(headers, "Authorization:Basic "+cdrBasic(v))
		case k == "token":
			headers = append(headers, "Authorization:Bearer "+v)
		case strings.HasPrefix(k, "header."):
			headers = append(headers, k[len("header."):]+":"+v)
		default:
			ts.Fatalf("unknown mockcdr query key %q", k)
		}
	}
	if len(params) > 0 {
		body["query_parameters"] = params
	}
	b, err := json.Marshal(body)
	ts.Check(err)
	st, resp := cdrDo(ts, "POST", ts.Getenv(name+"_BASE")+"/query/aql", b, "application/json", headers)
	cdrPrintAnswer(ts, neg, st, resp)
}

func mockCDRHTTP(ts *testscript.TestScript, neg bool, name string, args []string) {
	var headers []string
	for len(args) >= 2 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-u":
			headers = append(headers, "Authorization:Basic "+cdrBasic(args[1]))
		case "-t":
			headers = append(headers, "Authorization:Bearer "+args[1])
		case "-H":
			headers = append(headers, args[1])
		default:
			ts.Fatalf("unknown mockcdr http flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: mockcdr http [-name N] [-u USER:PASS] [-t TOKEN] [-H NAME:VALUE]… METHOD PATH [BODY]")
	}
	method, path := args[0], args[1]
	url := ts.Getenv(name+"_BASE") + "/" + strings.TrimPrefix(path, "/")
	switch {
	case strings.HasPrefix(path, "http"):
		url = path
	case strings.HasPrefix(path, "/"):
		url = ts.Getenv(name+"_URL") + path
	}
	var body []byte
	ct := ""
	if len(args) == 3 {
		body = []byte(args[2])
		ct = "text/plain"
		if json.Valid(body) {
			ct = "application/json"
		}
	}
	for _, h := range headers {
		if k, v, _ := strings.Cut(h, ":"); strings.EqualFold(strings.TrimSpace(k), "Content-Type") {
			ct = strings.TrimSpace(v)
		}
	}
	st, resp := cdrDo(ts, method, url, body, ct, headers)
	cdrPrintAnswer(ts, neg, st, resp)
}

func cdrBasic(userPass string) string {
	return base64.StdEncoding.EncodeToString([]byte(userPass))
}

func mockCDRFault(ts *testscript.TestScript, name string, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: mockcdr fault [-name N] KIND [key=value…]")
	}
	f := map[string]any{"kind": args[0]}
	for k, v := range cdrKeyValues(ts, args[1:]) {
		switch k {
		case "count", "after":
			n, err := strconv.Atoi(v)
			ts.Check(err)
			f[k] = n
		case "path", "delay", "fixture":
			f[k] = v
		case "retry-after":
			f["retry_after"] = v
		default:
			ts.Fatalf("unknown mockcdr fault key %q", k)
		}
	}
	b, _ := json.Marshal(f)
	st, body := cdrDo(ts, "POST", ts.Getenv(name+"_CONTROL")+"/faults", b, "application/json", nil)
	if st != http.StatusCreated {
		ts.Fatalf("fault: %d %s", st, body)
	}
}

// cdrLogLine renders one request log entry for scripts.
func cdrLogLine(e mockcdr.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s", e.Seq, e.Method, e.Path)
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	add("endpoint", e.Endpoint)
	add("fixture", e.Fixture)
	add("in_query", e.InQueryPaging)
	add("stored", e.StoredQuery)
	if e.Endpoint == "query.aql" || e.Endpoint == "query.stored" {
		opt := func(sent bool, n int) string {
			if !sent {
				return "-"
			}
			return strconv.Itoa(n)
		}
		add("offset", opt(e.OffsetSent, e.Offset))
		add("fetch", opt(e.FetchSent, e.Fetch))
	}
	var keys []string
	for k := range e.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	add("params", strings.Join(keys, ","))
	add("params_field", e.ParamsField)
	add("ehr_id_header", e.EhrIDHeader)
	add("ehr_id_param", e.EhrIDParam)
	if e.AuthScheme != "" {
		add("auth", e.AuthScheme+":"+e.Subject)
	}
	add("claims", e.ClaimStyle)
	add("status", strconv.Itoa(e.Status))
	if e.Rows >= 0 {
		add("rows", strconv.Itoa(e.Rows))
	} else if e.Endpoint == "query.aql" || e.Endpoint == "query.stored" {
		add("rows", "-")
	}
	add("fault", e.Fault)
	if e.CredentialInURL {
		add("credential_in_url", "true")
	}
	return b.String()
}

func mockCDRLog(ts *testscript.TestScript, neg bool, name string, args []string) {
	if len(args) > 1 {
		ts.Fatalf("usage: mockcdr log [-name N] [REGEXP]")
	}
	if neg && len(args) == 0 {
		ts.Fatalf("! mockcdr log needs a REGEXP")
	}
	st, body := cdrDo(ts, "GET", ts.Getenv(name+"_CONTROL")+"/requests", nil, "", nil)
	if st != http.StatusOK {
		ts.Fatalf("log: %d %s", st, body)
	}
	var log []mockcdr.Request
	ts.Check(json.Unmarshal(body, &log))
	var re *regexp.Regexp
	if len(args) == 1 {
		var err error
		re, err = regexp.Compile(args[0])
		ts.Check(err)
	}
	matched := ""
	for _, e := range log {
		line := cdrLogLine(e)
		fmt.Fprintln(ts.Stdout(), line)
		if re != nil && matched == "" && re.MatchString(line) {
			matched = line
		}
	}
	switch {
	case re == nil:
	case neg && matched != "":
		ts.Fatalf("request log has a line matching %q: %s", args[0], matched)
	case !neg && matched == "":
		ts.Fatalf("no request log line matches %q", args[0])
	}
}
