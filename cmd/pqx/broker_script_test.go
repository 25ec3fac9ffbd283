package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for the broker_* scripts.
func init() {
	scriptCmds["brokerfakes"] = scriptBrokerFakes
	scriptCmds["brokerexpand"] = scriptExpandEnv
	scriptCmds["brokerwait"] = scriptWaitFile
	scriptCmds["brokerhttp"] = scriptHTTPReq
	scriptCmds["brokersighup"] = scriptSighup
}

// brokerfakes starts, for the rest of the script, a client_credentials
// token endpoint and an API that requires its bearer tokens, and sets
// IDP_URL (the token endpoint), CDR_URL (the API base) and IDP_COUNT_FILE
// (a file rewritten with the number of token requests after each one). The
// token endpoint accepts client broker-client with the secret in
// $BROKER_SECRET via client_secret_post and requires an audience.
func scriptBrokerFakes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: brokerfakes")
	}
	secret := ts.Getenv("BROKER_SECRET")
	countFile := ts.MkAbs("idp-count")
	var n atomic.Int64
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		k := n.Add(1)
		os.WriteFile(countFile, []byte(strconv.FormatInt(k, 10)+"\n"), 0o644)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.PostForm.Get("client_id") != "broker-client" || r.PostForm.Get("client_secret") != secret {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("audience") == "" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_request"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("script-token-%d", k), "token_type": "Bearer", "expires_in": 300})
	}))
	cdr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer script-token-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "cdr saw %s %s with a bearer token\n", r.Method, r.URL.Path)
	}))
	ts.Defer(idp.Close)
	ts.Defer(cdr.Close)
	ts.Setenv("IDP_URL", idp.URL+"/oauth/token")
	ts.Setenv("CDR_URL", cdr.URL+"/ehrbase/rest")
	ts.Setenv("IDP_COUNT_FILE", countFile)
}

// brokerexpand IN OUT copies IN to OUT replacing ${VAR} (braces only, so
// that password hashes full of '$' pass unchanged) with the script's
// environment.
func scriptExpandEnv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: brokerexpand IN OUT")
	}
	data := ts.ReadFile(args[0])
	out := envRef.ReplaceAllStringFunc(data, func(m string) string { return ts.Getenv(m[2 : len(m)-1]) })
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out), 0o644))
}

var envRef = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`)

// brokerwait FILE waits up to 20 s for FILE to exist and be non-empty.
func scriptWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: brokerwait FILE")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if fi, err := os.Stat(ts.MkAbs(args[0])); err == nil && fi.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear", args[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// brokerhttp [-want STATUS] METHOD URL [USER:PASSWORD [FORM]] sends a request
// and prints "status N" and the body to stdout. A URL starting with @FILE
// takes its base from the first line of FILE (an --addr-file). With -want
// the request is repeated for up to 10 s until the status matches.
func scriptHTTPReq(ts *testscript.TestScript, neg bool, args []string) {
	want := 0
	if len(args) >= 2 && args[0] == "-want" {
		w, err := strconv.Atoi(args[1])
		ts.Check(err)
		want, args = w, args[2:]
	}
	if neg || len(args) < 2 || len(args) > 4 {
		ts.Fatalf("usage: brokerhttp [-want STATUS] METHOD URL [USER:PASSWORD [FORM]]")
	}
	target := args[1]
	if strings.HasPrefix(target, "@") {
		file, path, _ := strings.Cut(target[1:], "/")
		base, _, _ := strings.Cut(ts.ReadFile(file), "\n")
		target = base + "/" + path
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var body io.Reader
		if len(args) == 4 {
			body = strings.NewReader(args[3])
		}
		req, err := http.NewRequest(args[0], target, body)
		ts.Check(err)
		if len(args) >= 3 {
			user, pass, _ := strings.Cut(args[2], ":")
			req.SetBasicAuth(user, pass)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ts.Check(err)
		if want == 0 || resp.StatusCode == want || time.Now().After(deadline) {
			fmt.Fprintf(ts.Stdout(), "status %d\n%s", resp.StatusCode, data)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// brokersighup PIDFILE sends SIGHUP to the process named in PIDFILE.
func scriptSighup(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: brokersighup PIDFILE")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	p, err := os.FindProcess(pid)
	ts.Check(err)
	ts.Check(p.Signal(syscall.SIGHUP))
}
