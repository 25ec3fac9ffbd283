package eval

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is one request seen by the test server.
type recorded struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

type webServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newWebServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, n int)) *webServer {
	s := &webServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Header.Clone()})
		n := len(s.reqs)
		s.mu.Unlock()
		h(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *webServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func webThread(s *webServer) (*Thread, *VirtualClock) {
	clock := NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	h := &Host{HTTP: s.Client(), Clock: clock, NewGuid: SequentialGuids(7)}
	return NewThread(nil, h), clock
}

func evalOn(t *testing.T, th *Thread, src string) (string, error) {
	t.Helper()
	v, err := th.EvalSource("web.pq", []byte(strings.ReplaceAll(src, "$URL", "")))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		return "", err
	}
	return Serialize(th, v), nil
}

func TestWebContentsOptions(t *testing.T) {
	s := newWebServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("X-Page", "2")
		fmt.Fprintf(w, `{"path": %q, "n": %d}`, r.URL.Path, n)
	})
	th, _ := webThread(s)
	src := fmt.Sprintf(`let
		r = Web.Contents(%q, [
			RelativePath = "api/items",
			Query = [q = "a b", id = {"1", "2"}],
			Headers = [#"Content-type" = "application/x-www-form-urlencoded", Accept = "application/json"],
			Content = Text.ToBinary(Uri.BuildQueryString([grant_type = "authorization_code", code = "c+1"])),
			Timeout = #duration(0, 0, 0, 30)
		]),
		j = Json.Document(r),
		m = Value.Metadata(r)
	in [path = j[path], status = m[Response.Status], page = m[Headers][#"X-Page"], uri = m[Content.Uri]]`, s.URL+"/base/")
	got, err := evalOn(t, th, src)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`[path = "/base/api/items", status = 200, page = "2", uri = "%s/base/api/items?q=a%%20b&id=1&id=2"]`, s.URL)
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests; the lazy request must run once", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Body != "grant_type=authorization_code&code=c%2B1" {
		t.Errorf("method %s body %q", r.Method, r.Body)
	}
	if r.Query != "q=a%20b&id=1&id=2" {
		t.Errorf("query %q", r.Query)
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("Accept") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	if r.Header.Get("Authorization") != "" {
		t.Errorf("anonymous request carried Authorization %q", r.Header.Get("Authorization"))
	}
}

func TestWebContentsLazyAndCache(t *testing.T) {
	s := newWebServer(t, func(w http.ResponseWriter, r *http.Request, n int) { fmt.Fprint(w, n) })
	th, _ := webThread(s)
	// Unused responses are never requested.
	if _, err := evalOn(t, th, fmt.Sprintf(`let r = Web.Contents(%q) in 1`, s.URL)); err != nil {
		t.Fatal(err)
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("unused Web.Contents made %d requests", n)
	}
	// The same request within an evaluation is served from the cache;
	// IsRetry bypasses it.
	got, err := evalOn(t, th, fmt.Sprintf(`{Text.FromBinary(Web.Contents(%[1]q)), Text.FromBinary(Web.Contents(%[1]q)), Text.FromBinary(Web.Contents(%[1]q, [IsRetry = true]))}`, s.URL))
	if err != nil {
		t.Fatal(err)
	}
	if got != `{"1", "1", "2"}` {
		t.Errorf("got %s", got)
	}
	// ExcludedFromCacheKey leaves a header out of the key.
	got, err = evalOn(t, th, fmt.Sprintf(`{
		Text.FromBinary(Web.Contents(%[1]q, [RelativePath = "x", Headers = [#"X-Req" = "a"], ExcludedFromCacheKey = {"X-Req"}])),
		Text.FromBinary(Web.Contents(%[1]q, [RelativePath = "x", Headers = [#"X-Req" = "b"], ExcludedFromCacheKey = {"X-Req"}]))}`, s.URL))
	if err != nil {
		t.Fatal(err)
	}
	if got != `{"3", "3"}` {
		t.Errorf("ExcludedFromCacheKey: got %s", got)
	}
}

func TestWebContentsRetries(t *testing.T) {
	for _, c := range []struct {
		name       string
		statuses   []int
		retryAfter string
		want       string
		slept      []time.Duration
		reason     string
	}{
		{"503 then ok", []int{503, 200}, "", `"ok"`, []time.Duration{time.Second}, ""},
		{"429 retry-after", []int{429, 429, 200}, "2", `"ok"`, []time.Duration{2 * time.Second, 2 * time.Second}, ""},
		{"retry-after clamped", []int{408, 200}, "0", `"ok"`, []time.Duration{500 * time.Millisecond}, ""},
		{"retry-after max", []int{504, 200}, "999", `"ok"`, []time.Duration{120 * time.Second}, ""},
		{"exponential", []int{509, 509, 509, 200}, "", `"ok"`, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, ""},
		{"exhausted", []int{503, 503, 503, 503, 200}, "", "", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, "DataSource.Error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newWebServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				st := c.statuses[n-1]
				if c.retryAfter != "" && st != 200 {
					w.Header().Set("Retry-After", c.retryAfter)
				}
				w.WriteHeader(st)
				if st == 200 {
					fmt.Fprint(w, "ok")
				}
			})
			th, clock := webThread(s)
			start := clock.Now()
			got, err := evalOn(t, th, fmt.Sprintf(`Text.FromBinary(Web.Contents(%q))`, s.URL))
			if c.reason != "" {
				me := AsError(err)
				if me == nil || me.Reason() != c.reason || !strings.Contains(me.Message(), "(503): Service Unavailable") {
					t.Fatalf("got %v, want %s", err, c.reason)
				}
			} else if err != nil || got != c.want {
				t.Fatalf("got %s, %v", got, err)
			}
			slept := clock.Slept()
			if fmt.Sprint(slept) != fmt.Sprint(c.slept) {
				t.Errorf("slept %v, want %v", slept, c.slept)
			}
			var total time.Duration
			for _, d := range c.slept {
				total += d
			}
			if clock.Now().Sub(start) != total {
				t.Errorf("virtual clock advanced %v, want %v", clock.Now().Sub(start), total)
			}
		})
	}
}

func TestWebContentsStatusHandling(t *testing.T) {
	s := newWebServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/404":
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error": "missing"}`)
		case "/500":
			w.WriteHeader(500)
		case "/400":
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error": "invalid_grant"}`)
		case "/401":
			w.WriteHeader(401)
		case "/403":
			w.WriteHeader(403)
		case "/503":
			w.WriteHeader(503)
		case "/redirect":
			http.Redirect(w, r, "/target", http.StatusFound)
		case "/redirect307":
			http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
		case "/target":
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s", r.Method, body)
		default:
			fmt.Fprint(w, "ok")
		}
	})
	for _, c := range []struct {
		src    string
		want   string
		reason string
		msg    string
	}{
		{src: `Web.Contents("$/404")`, reason: "DataSource.Error", msg: "Web.Contents failed to get contents from '$/404' (404): Not Found"},
		{src: `Web.Contents("$/500")`, reason: "DataSource.Error", msg: "(500): Internal Server Error"},
		{src: `(try Web.Contents("$/404"))[Error][Detail]`, want: `[DataSourceKind = "Web", DataSourcePath = "$/404", Url = "$/404"]`},
		{src: `let r = Web.Contents("$/400", [ManualStatusHandling = {400}]) in [s = Value.Metadata(r)[Response.Status], e = Json.Document(r)[error]]`, want: `[s = 400, e = "invalid_grant"]`},
		{src: `Value.Metadata(Web.Contents("$/503", [ManualStatusHandling = {503}]))[Response.Status]`, want: `503`},
		{src: `Web.Contents("$/401")`, reason: "DataSource.Error", msg: "couldn't authenticate"},
		{src: `Web.Contents("$/403")`, reason: "DataSource.Error", msg: "forbidden"},
		{src: `Value.Metadata(Web.Contents("$/401", [ManualStatusHandling = {401}]))[Response.Status]`, want: `401`},
		{src: `Text.FromBinary(Web.Contents("$/redirect"))`, want: `"GET "`},
		{src: `Text.FromBinary(Web.Contents("$/redirect", [Content = Text.ToBinary("b")]))`, want: `"GET "`},
		{src: `Text.FromBinary(Web.Contents("$/redirect307", [Content = Text.ToBinary("b")]))`, want: `"POST b"`},
		{src: `Value.Metadata(Web.Contents("$/redirect"))[Content.Uri]`, want: `"$/target"`},
		{src: `Web.Contents("$/", [Bogus = 1])`, reason: "Expression.Error", msg: "The 'Bogus' option is not valid for Web.Contents."},
		{src: `Web.Contents("ftp://x/")`, reason: "Expression.Error", msg: "http and https"},
		{src: `Web.Contents("$/", [Headers = [A = 1]])`, reason: "Expression.Error", msg: "to type Text"},
		{src: `Web.Contents("$/", [Content = "text"])`, reason: "Expression.Error", msg: "to type Binary"},
	} {
		th, _ := webThread(s)
		src := strings.ReplaceAll(c.src, "$", s.URL)
		got, err := evalOn(t, th, src)
		if c.reason != "" {
			me := AsError(err)
			msg := strings.ReplaceAll(c.msg, "$", s.URL)
			if me == nil || me.Reason() != c.reason || !strings.Contains(me.Message(), msg) {
				t.Errorf("%s: got %v, want %s …%s…", src, err, c.reason, msg)
			}
			continue
		}
		if want := strings.ReplaceAll(c.want, "$", s.URL); err != nil || got != want {
			t.Errorf("%s:\n got %s %v\nwant %s", src, got, err, want)
		}
	}
	th, _ := webThread(s)
	_, err := evalOn(t, th, fmt.Sprintf(`Web.Contents(%q)`, s.URL+"/401"))
	if st, ok := CredentialError(err); !ok || st != 401 {
		t.Errorf("CredentialError(%v) = %d, %v", err, st, ok)
	}
}

func TestWebContentsCredentials(t *testing.T) {
	s := newWebServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		fmt.Fprintf(w, "%s|%s", r.Header.Get("Authorization"), r.URL.RawQuery)
	})
	for _, c := range []struct {
		cred      *Credential
		anonymous bool
		options   string
		want      string
	}{
		{&Credential{AuthenticationKind: "OAuth", AccessToken: "T1"}, false, "[]", `"Bearer T1|"`},
		{&Credential{AuthenticationKind: "Aad", AccessToken: "T2"}, false, "[]", `"Bearer T2|"`},
		{&Credential{AuthenticationKind: "OAuth", AccessToken: "T1"}, true, "[]", `"|"`},
		{&Credential{AuthenticationKind: "UsernamePassword", Username: "u", Password: "p"}, false, "[]", `"Basic dTpw|"`},
		{&Credential{AuthenticationKind: "Key", Key: "k"}, false, "[]", `"Basic Oms=|"`},
		{&Credential{AuthenticationKind: "Key", Key: "k"}, false, `[ManualCredentials = true, Headers = [#"X-Key" = "k"]]`, `"|"`},
		{&Credential{AuthenticationKind: "Key", Key: "k"}, false, `[ApiKeyName = "api_key"]`, `"|api_key=k"`},
		{&Credential{AuthenticationKind: "Key", Key: "k+1"}, false, `[ApiKeyName = "api_key", Query = [z = "1", a = "2"]]`, `"|z=1&a=2&api_key=k%2B1"`},
		{&Credential{AuthenticationKind: "OAuth", AccessToken: "T1"}, false, `[Headers = [Authorization = "Custom x"]]`, `"Custom x|"`},
		{nil, false, `[CredentialQuery = [token = "s"]]`, `"|token=s"`},
	} {
		th, _ := webThread(s)
		th.Host.Credential = c.cred
		th.Anonymous = c.anonymous
		got, err := evalOn(t, th, fmt.Sprintf(`Text.FromBinary(Web.Contents(%q, %s))`, s.URL, c.options))
		if err != nil || got != c.want {
			t.Errorf("%+v %s: got %s %v, want %s", c.cred, c.options, got, err, c.want)
		}
	}
}

func TestWebContentsNoNetwork(t *testing.T) {
	th := NewThread(nil, &Host{})
	_, err := th.EvalSource("n.pq", []byte(`Binary.Length(Web.Contents("http://127.0.0.1:1/"))`))
	me := AsError(err)
	if me == nil || me.Reason() != "DataSource.Error" || !strings.Contains(me.Message(), "network access is disabled") {
		t.Fatalf("got %v", err)
	}
}

func TestWebContentsTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newWebServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	th, _ := webThread(s)
	_, err := evalOn(t, th, fmt.Sprintf(`Web.Contents(%q, [Timeout = #duration(0, 0, 0, 0.05)])`, s.URL))
	me := AsError(err)
	if me == nil || me.Reason() != "DataSource.Error" || !strings.Contains(me.Message(), "timed out") {
		t.Fatalf("got %v", err)
	}
}
