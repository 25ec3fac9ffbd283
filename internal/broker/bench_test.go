//go:build unix

package broker

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchBroker starts a broker over loopback with rate limits out of the
// way.
func benchBroker(b *testing.B, cdr http.HandlerFunc) (brokerURL, cdrURL string) {
	idp := newTestIDP(b)
	idp.expires = 86400
	up := httptest.NewServer(cdr)
	b.Cleanup(up.Close)
	path := writeConfig(b, env{TokenURL: idp.URL + "/token", Upstream: up.URL,
		Extra: "limits:\n  caller_rate: 1000000000\n  caller_burst: 1000000000\nlog:\n  level: error\n"}, idp.secret)
	cfg, err := Load(path)
	if err != nil {
		b.Fatal(err)
	}
	// Access logs on, as in production, into io.Discard.
	srv, err := New(cfg, Options{Logger: NewLogger(io.Discard, "json", "info")})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	return ts.URL, up.URL
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
}

// BenchmarkVendingCachedHit measures POST /token answered from the cache,
// over loopback with keep-alive connections, callers in parallel.
func BenchmarkVendingCachedHit(b *testing.B) {
	brokerURL, _ := benchBroker(b, echoCDR)
	client := benchClient()
	form := url.Values{"target": {"vend"}}.Encode()
	post := func() int {
		req, _ := http.NewRequest("POST", brokerURL+"/token", strings.NewReader(form))
		req.SetBasicAuth("powerbi", testPassword)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if post() != 200 { // warm the cache and the password check
		b.Fatal("warm-up failed")
	}
	b.SetParallelism(8) // 8 × GOMAXPROCS concurrent callers
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code := post(); code != 200 {
				b.Errorf("status %d", code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	// On a shared machine wall-clock throughput says more about the
	// neighbours than about the broker; CPU time per request (client and
	// server together, both in this process) gives the capacity of two
	// dedicated cores, conservatively.
	perReq := (cpuTime() - cpu0) / time.Duration(b.N)
	b.ReportMetric(float64(perReq.Microseconds()), "cpu-µs/op")
	b.ReportMetric(2*float64(time.Second)/float64(perReq), "req/s@2cores")
}

// cpuTime returns the user and system CPU time used by this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProxyOverhead alternates a direct request to the CDR and the same
// request through the broker (cached token) and reports both medians and
// their difference.
func BenchmarkProxyOverhead(b *testing.B) {
	payload := strings.Repeat(`{"ehr_id":"7d44b88c-4199-4bad-97dc-d78268e01398"},`, 40)
	brokerURL, cdrURL := benchBroker(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, payload)
	})
	client := benchClient()
	get := func(u string, auth bool) time.Duration {
		req, _ := http.NewRequest("GET", u, nil)
		if auth {
			req.SetBasicAuth("powerbi", testPassword)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return d
	}
	get(brokerURL+"/t/cdr/ehr/1", true)
	get(cdrURL+"/ehr/1", false)
	direct := make([]time.Duration, 0, b.N)
	proxied := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		direct = append(direct, get(cdrURL+"/ehr/1", false))
		proxied = append(proxied, get(brokerURL+"/t/cdr/ehr/1", true))
	}
	b.StopTimer()
	p50 := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	pd, pp := p50(direct), p50(proxied)
	b.ReportMetric(float64(pd.Microseconds()), "direct-p50-µs")
	b.ReportMetric(float64(pp.Microseconds()), "broker-p50-µs")
	b.ReportMetric(float64((pp - pd).Microseconds()), "overhead-p50-µs")
}

// BenchmarkVendingHandler is the server side of a cached POST /token
// alone, without sockets: the broker's own cost per request.
func BenchmarkVendingHandler(b *testing.B) {
	idp := newTestIDP(b)
	path := writeConfig(b, env{TokenURL: idp.URL + "/token",
		Extra: "limits:\n  caller_rate: 1000000000\n  caller_burst: 1000000000\n"}, idp.secret)
	cfg, err := Load(path)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(cfg, Options{Logger: NewLogger(io.Discard, "json", "info")})
	if err != nil {
		b.Fatal(err)
	}
	form := url.Values{"target": {"vend"}}.Encode()
	serve := func() int {
		req := httptest.NewRequest("POST", "/token", strings.NewReader(form))
		req.SetBasicAuth("powerbi", testPassword)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	if serve() != 200 {
		b.Fatal("warm-up failed")
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if serve() != 200 {
				b.Error("not 200")
				return
			}
		}
	})
	perReq := (cpuTime() - cpu0) / time.Duration(b.N)
	b.ReportMetric(float64(perReq.Microseconds()), "cpu-µs/op")
}
