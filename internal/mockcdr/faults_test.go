package mockcdr

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFaultKinds(t *testing.T) {
	q := FixtureAQL("Q3")
	page := map[string]any{"offset": 0, "fetch": 10}
	for _, tc := range []struct {
		fault  Fault
		status int
		check  func(t *testing.T, r response)
	}{
		{Fault{Kind: FaultTooManyRequests, RetryAfter: "2"}, 429, func(t *testing.T, r response) {
			if r.header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}},
		{Fault{Kind: FaultUnavailable}, 503, func(t *testing.T, r response) {
			if r.header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q, want the default 1", r.header.Get("Retry-After"))
			}
		}},
		{Fault{Kind: FaultBadGateway, RetryAfter: "-"}, 502, func(t *testing.T, r response) {
			if r.header.Get("Content-Type") != "text/html" || !bytes.Contains(r.body, []byte("<h1>502 Bad Gateway</h1>")) || r.header.Get("Retry-After") != "" {
				t.Errorf("502: %v %s", r.header, r.body)
			}
		}},
		{Fault{Kind: FaultGatewayTimeout}, 504, func(t *testing.T, r response) {
			if !bytes.HasPrefix(r.body, []byte("<html>")) {
				t.Errorf("504 body %s", r.body)
			}
		}},
		{Fault{Kind: FaultUnauthorized}, 401, func(t *testing.T, r response) {
			if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("challenge %q", r.header.Get("WWW-Authenticate"))
			}
		}},
		{Fault{Kind: FaultServerError}, 500, nil},
		{Fault{Kind: FaultEmpty}, 200, func(t *testing.T, r response) {
			if len(r.body) != 0 || r.header.Get("Content-Type") != "application/json" {
				t.Errorf("empty: %q %v", r.body, r.header)
			}
		}},
		{Fault{Kind: FaultTruncated}, 200, func(t *testing.T, r response) {
			if json.Valid(r.body) || !bytes.HasPrefix(r.body, []byte(`{"meta":`)) {
				t.Errorf("truncated body is valid JSON or not a prefix: %.80s", r.body)
			}
		}},
		{Fault{Kind: FaultBOM}, 200, func(t *testing.T, r response) {
			if !bytes.HasPrefix(r.body, []byte("\xEF\xBB\xBF{")) {
				t.Errorf("no BOM: %.10q", r.body)
			}
		}},
		{Fault{Kind: FaultNullRows}, 200, func(t *testing.T, r response) {
			if !bytes.HasSuffix(r.body, []byte(`,"rows":null}`)) {
				t.Errorf("null-rows: %.100s", r.body[len(r.body)-100:])
			}
		}},
		{Fault{Kind: FaultHTML}, 200, func(t *testing.T, r response) {
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<form")) {
				t.Errorf("html: %v %s", r.header, r.body)
			}
		}},
		{Fault{Kind: "415"}, 415, func(t *testing.T, r response) {
			if m := r.json(t); m["error"] != "Unsupported Media Type" {
				t.Errorf("generic 415 body %s", r.body)
			}
		}},
		{Fault{Kind: "408"}, 408, nil},
		{Fault{Kind: "409", RetryAfter: "7"}, 409, func(t *testing.T, r response) {
			if r.header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}},
		{Fault{Kind: FaultNoRows}, 200, func(t *testing.T, r response) {
			if rs := decodeRS(t, r); rs.Rows != nil || len(rs.Columns) != 4 {
				t.Errorf("no-rows: rows present or columns missing")
			}
		}},
	} {
		t.Run(string(tc.fault.Kind), func(t *testing.T) {
			s := open(t, "ehrbase")
			if err := s.AddFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			r := aql(t, s, q, page)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.200s", r.status, tc.status, r.body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			if e := s.Log()[0]; e.Fault != string(tc.fault.Kind) || e.Status != tc.status {
				t.Errorf("log fault %q status %d", e.Fault, e.Status)
			}
			// Count defaults to 1: the next request is healthy.
			if r := aql(t, s, q, page); r.status != 200 || len(decodeRS(t, r).rows()) != 10 || bytes.HasPrefix(r.body, []byte("\xEF")) {
				t.Errorf("second request: %d", r.status)
			}
		})
	}
}

func TestFaultSchedule(t *testing.T) {
	s := open(t, "ehrbase")
	q := FixtureAQL("BULK")
	// A 429 storm: three in a row, then healthy.
	s.AddFault(Fault{Kind: FaultTooManyRequests, Count: 3})
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, aql(t, s, q, map[string]any{"fetch": 1}).status)
	}
	if want := []int{429, 429, 429, 200}; !equalInts(got, want) {
		t.Errorf("429 storm %v, want %v", got, want)
	}
	// 401 on the third page only, and only for query paths.
	s.Reset()
	s.AddFault(Fault{Kind: FaultUnauthorized, After: 2, Path: "^/query/"})
	call(t, "GET", s.BaseURL()+"/definition/template/adl1.4", nil)
	got = nil
	for i := 0; i < 4; i++ {
		got = append(got, aql(t, s, q, map[string]any{"offset": i * 1000, "fetch": 1000}).status)
	}
	if want := []int{200, 200, 401, 200}; !equalInts(got, want) {
		t.Errorf("401 mid-paging %v, want %v", got, want)
	}
	// The log says which page failed even though no handler ran.
	if e := s.Log()[3]; e.Status != 401 || e.Endpoint != "query.aql" || e.Offset != 2000 || !e.FetchSent || e.Fault != "401" {
		t.Errorf("log of the 401: %+v", e)
	}
	// A fault for one fixture leaves other queries alone.
	s.Reset()
	s.AddFault(Fault{Kind: FaultTooManyRequests, Fixture: "bulk"})
	if st := aql(t, s, FixtureAQL("Q1"), nil).status; st != 200 {
		t.Errorf("Q1 under a BULK fault: %d", st)
	}
	if st := aql(t, s, q, map[string]any{"fetch": 1}).status; st != 429 {
		t.Errorf("BULK under a BULK fault: %d", st)
	}
	// count -1: every request until cleared.
	s.AddFault(Fault{Kind: FaultUnavailable, Count: -1})
	for i := 0; i < 3; i++ {
		if st := aql(t, s, q, nil).status; st != 503 {
			t.Fatalf("request %d: %d", i, st)
		}
	}
	if len(s.Faults()) != 1 {
		t.Errorf("pending faults %v", s.Faults())
	}
	s.ClearFaults()
	if st := aql(t, s, q, map[string]any{"fetch": 1}).status; st != 200 {
		t.Errorf("after clear: %d", st)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIgnoreOffsetAndFetch(t *testing.T) {
	s := open(t, "better")
	q := FixtureAQL("BULK")
	first := decodeRS(t, aql(t, s, q, map[string]any{"offset": 0, "fetch": 100})).rows()
	s.AddFault(Fault{Kind: FaultIgnoreOffset, Count: -1})
	second := decodeRS(t, aql(t, s, q, map[string]any{"offset": 100, "fetch": 100})).rows()
	if len(second) != 100 || first[0][1] != second[0][1] {
		t.Error("ignore-offset: second page does not repeat the first row")
	}
	s.Reset()
	s.AddFault(Fault{Kind: FaultIgnoreFetch})
	if n := len(decodeRS(t, aql(t, s, q, map[string]any{"offset": 10000, "fetch": 5})).rows()); n != 7 {
		t.Errorf("ignore-fetch at offset 10000: %d rows, want the 7 left", n)
	}
	s.AddFault(Fault{Kind: FaultIgnoreFetch})
	if n := len(decodeRS(t, aql(t, s, q, map[string]any{"fetch": 1000})).rows()); n != 10007 {
		t.Errorf("ignore-fetch: %d rows, want a page larger than requested (10007)", n)
	}
	// Faults apply only after validation: EHRbase still refuses offset
	// without fetch.
	e := open(t, "ehrbase")
	e.AddFault(Fault{Kind: FaultIgnoreOffset})
	wantError(t, e, aql(t, e, q, map[string]any{"offset": 5}), 422, "no fetch")
}

func TestSlowFault(t *testing.T) {
	s := start(t, Config{Auth: AuthConfig{Mode: AuthNone}, QueryTimeout: 200 * time.Millisecond, MaxDelay: time.Second})
	q := FixtureAQL("Q1")
	s.AddFault(Fault{Kind: FaultSlow, Delay: Duration(50 * time.Millisecond)})
	t0 := time.Now()
	if r := aql(t, s, q, nil); r.status != 200 || time.Since(t0) < 50*time.Millisecond {
		t.Errorf("slow: %d after %v", r.status, time.Since(t0))
	}
	// Past the query timeout: 408 at the timeout, not after the delay.
	s.AddFault(Fault{Kind: FaultSlow, Delay: Duration(time.Hour)})
	t0 = time.Now()
	wantError(t, s, aql(t, s, q, nil), 408, "timed out")
	if d := time.Since(t0); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("408 after %v, want about 200ms", d)
	}
}

func TestFaultValidation(t *testing.T) {
	s := open(t, "ehrbase")
	for _, f := range []Fault{
		{Kind: "399"},
		{Kind: "600"},
		{Kind: "499"},
		{Kind: "teapot"},
		{Kind: FaultSlow, Delay: -1},
		{Kind: FaultUnavailable, Count: -2},
		{Kind: FaultUnavailable, After: -1},
		{Kind: FaultUnavailable, Path: "("},
		{Kind: FaultTooManyRequests, RetryAfter: "soon"},
		{Kind: FaultTooManyRequests, Fixture: "Q99"},
	} {
		if err := s.AddFault(f); err == nil {
			t.Errorf("AddFault(%+v) succeeded", f)
		}
	}
	if err := s.AddFault(Fault{Kind: FaultTooManyRequests, RetryAfter: "Wed, 21 Oct 2026 07:28:00 GMT"}); err != nil {
		t.Errorf("HTTP-date Retry-After: %v", err)
	}
}

func TestControlAPI(t *testing.T) {
	s := open(t, "ehrbase")
	ctl := s.ControlURL()
	// Faults over HTTP: one object or a list; errors name the field.
	r := call(t, "POST", ctl+"/faults", `[{"kind":"429","count":2,"retry_after":"3"},{"kind":"slow","delay":"10ms","path":"^/definition/"}]`)
	if r.status != 201 {
		t.Fatalf("POST faults: %d %s", r.status, r.body)
	}
	var fs []Fault
	json.Unmarshal(call(t, "GET", ctl+"/faults", nil).body, &fs)
	if len(fs) != 2 || fs[1].Delay != Duration(10*time.Millisecond) {
		t.Errorf("faults %+v", fs)
	}
	if r := call(t, "POST", ctl+"/faults", `{"kind":"nope"}`); r.status != 400 || !strings.Contains(string(r.body), "fault[0].kind") {
		t.Errorf("bad fault: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", ctl+"/faults", `{"kind":"429","colour":"red"}`); r.status != 400 || !strings.Contains(string(r.body), "colour") {
		t.Errorf("unknown field: %d %s", r.status, r.body)
	}
	if st := aql(t, s, FixtureAQL("Q1"), nil).status; st != 429 {
		t.Errorf("fault from control API: %d", st)
	}
	if r := call(t, "DELETE", ctl+"/faults", nil); r.status != 204 || len(s.Faults()) != 0 {
		t.Errorf("DELETE faults: %d %v", r.status, s.Faults())
	}
	// The request log; since= pages through it; the control API is not logged.
	aql(t, s, FixtureAQL("Q1"), map[string]any{"fetch": 5})
	var log []Request
	json.Unmarshal(call(t, "GET", ctl+"/requests", nil).body, &log)
	if len(log) != 2 || log[1].Fixture != "Q1" || log[1].Rows != 5 || !log[1].FetchSent || log[1].OffsetSent {
		t.Fatalf("log %+v", log)
	}
	json.Unmarshal(call(t, "GET", ctl+"/requests?since=1", nil).body, &log)
	if len(log) != 1 || log[0].Seq != 2 {
		t.Errorf("since=1: %+v", log)
	}
	if r := call(t, "DELETE", ctl+"/requests", nil); r.status != 204 || len(s.Log()) != 0 {
		t.Errorf("DELETE requests: %d", r.status)
	}
	// Fixtures and info.
	var fx []map[string]any
	json.Unmarshal(call(t, "GET", ctl+"/fixtures", nil).body, &fx)
	if len(fx) != len(fixtures) || fx[len(fx)-1]["rows"] != 10007.0 {
		t.Errorf("fixtures %v", fx[len(fx)-1])
	}
	var info Info
	json.Unmarshal(call(t, "GET", ctl+"/info", nil).body, &info)
	if info.BaseURL != s.BaseURL() || info.Profile != "ehrbase" || info.AuthMode != AuthNone {
		t.Errorf("info %+v", info)
	}
	// Reset restores everything.
	s.AddFault(Fault{Kind: FaultEmpty})
	if r := call(t, "POST", ctl+"/reset", nil); r.status != 204 || len(s.Faults()) != 0 || len(s.Log()) != 0 {
		t.Errorf("reset: %d", r.status)
	}
	if r := call(t, "GET", ctl+"/reset", nil); r.status != 405 {
		t.Errorf("GET reset: %d", r.status)
	}
	// Loopback only.
	req := httptest.NewRequest("GET", "/__mock/requests", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("non-loopback control request: %d", rec.Code)
	}
}

func TestRequestLog(t *testing.T) {
	s := start(t, Config{Auth: AuthConfig{Mode: AuthNone}, LogLimit: 10})
	aql(t, s, FixtureAQL("Q5"), map[string]any{"offset": 0, "fetch": 3, "query_parameters": map[string]any{"min_sys": 140}})
	call(t, "GET", s.BaseURL()+"/definition/query?access_token=secret", nil)
	log := s.Log()
	e := log[0]
	if e.Endpoint != "query.aql" || e.Method != "POST" || e.Fixture != "Q5" || e.Params["min_sys"] != 140.0 ||
		e.ParamsField != "query_parameters" || !e.OffsetSent || e.Fetch != 3 || e.Rows != 3 || e.Status != 200 ||
		!strings.Contains(e.Body, `"min_sys":140`) {
		t.Errorf("entry %+v", e)
	}
	if e := log[1]; !e.CredentialInURL || e.Query.Get("access_token") != "[redacted]" || e.Endpoint != "definition.query" {
		t.Errorf("credential in URL not flagged/redacted: %+v", e)
	}
	for i := 0; i < 20; i++ {
		call(t, "GET", s.BaseURL()+"/definition/query", nil)
	}
	log = s.Log()
	if len(log) > 10 || log[len(log)-1].Seq != 22 {
		t.Errorf("bounded log: %d entries, last seq %d", len(log), log[len(log)-1].Seq)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := open(t, "ehrbase")
	s.AddFault(Fault{Kind: FaultTooManyRequests, Count: 5})
	done := make(chan int)
	for g := 0; g < 8; g++ {
		go func() {
			n := 0
			for i := 0; i < 10; i++ {
				if aql(t, s, FixtureAQL("BULK"), map[string]any{"offset": i * 100, "fetch": 100}).status == 429 {
					n++
				}
			}
			done <- n
		}()
	}
	total := 0
	for g := 0; g < 8; g++ {
		total += <-done
	}
	if total != 5 {
		t.Errorf("%d requests got 429, want exactly 5", total)
	}
	if len(s.Log()) != 80 {
		t.Errorf("%d log entries, want 80", len(s.Log()))
	}
}
