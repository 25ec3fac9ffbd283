package broker

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// running is a broker started with Run.
type running struct {
	url    string
	reload chan os.Signal
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

func startRun(t *testing.T, path string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{reload: make(chan os.Signal, 1), cancel: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	ready := make(chan []string, 1)
	go func() {
		r.done <- Run(ctx, path, RunOptions{
			Options: Options{Logger: NewLogger(r.logs, "text", "info")},
			Reload:  r.reload,
			Ready:   func(urls []string) { ready <- urls },
		})
	}()
	select {
	case urls := <-ready:
		r.url = urls[0]
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not become ready")
	}
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func basicGet(t *testing.T, url, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp.Body)
}

// SIGHUP re-reads the file: a new password hash and a new client secret
// take effect; an invalid file is logged and the old configuration kept; a
// request in flight during the reload completes.
func TestRunReload(t *testing.T) {
	idp := newTestIDP(t)
	release := make(chan struct{})
	var inFlight atomic.Int64
	cdr := newCDR(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			inFlight.Add(1)
			<-release
		}
		echoCDR(w, r)
	})
	dir := t.TempDir()
	path := writeConfig(t, env{Dir: dir, TokenURL: idp.URL + "/token", Upstream: cdr}, idp.secret)
	r := startRun(t, path)

	if code, body := basicGet(t, r.url+"/t/cdr/x", "powerbi", testPassword); code != 200 {
		t.Fatalf("before reload: %d %s", code, body)
	}
	slow := make(chan int, 1)
	go func() {
		code, _ := basicGet(t, r.url+"/t/cdr/slow", "powerbi", testPassword)
		slow <- code
	}()
	for inFlight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	// New password, new IDP secret.
	newHash, _ := bcrypt.GenerateFromPassword([]byte("new password"), bcrypt.MinCost)
	idp.set(func(idp *testIDP) { idp.secret = "rotated-secret" })
	writeConfig(t, env{Dir: dir, TokenURL: idp.URL + "/token", Upstream: cdr, Hash: string(newHash)}, "rotated-secret")
	r.reload <- syscall.SIGHUP
	waitFor(t, func() bool { return strings.Contains(r.logs.String(), "configuration reloaded") })
	close(release)
	if code := <-slow; code != 200 {
		t.Fatalf("request in flight during reload: %d", code)
	}
	if code, _ := basicGet(t, r.url+"/t/cdr/x", "powerbi", testPassword); code != 401 {
		t.Fatalf("old password after reload: %d", code)
	}
	if code, body := basicGet(t, r.url+"/t/cdr/x", "powerbi", "new password"); code != 200 || !strings.Contains(body, "at-2-") {
		t.Fatalf("new password after reload: %d %s", code, body)
	}

	// A broken file is refused; the running configuration stays.
	os.WriteFile(path, []byte("listeners: [\n"), 0o600)
	r.reload <- syscall.SIGHUP
	waitFor(t, func() bool { return strings.Contains(r.logs.String(), "reload failed") })
	if code, _ := basicGet(t, r.url+"/t/cdr/x", "powerbi", "new password"); code != 200 {
		t.Fatalf("after a failed reload: %d", code)
	}
	if !strings.Contains(r.logs.String(), "broker.yaml:1:12") {
		t.Errorf("reload error lacks the position:\n%s", r.logs.String())
	}
}

// Shutdown stops accepting connections at once but lets requests in flight
// finish.
func TestRunGracefulShutdown(t *testing.T) {
	idp := newTestIDP(t)
	release := make(chan struct{})
	var inFlight atomic.Int64
	cdr := newCDR(t, func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		<-release
		w.Write([]byte("finished"))
	})
	path := writeConfig(t, env{TokenURL: idp.URL + "/token", Upstream: cdr}, idp.secret)
	r := startRun(t, path)

	const n = 5
	var wg sync.WaitGroup
	results := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body := basicGet(t, r.url+"/t/cdr/x", "powerbi", testPassword)
			results[i] = strings.TrimSpace(body)
			if code != 200 {
				results[i] = "status " + http.StatusText(code)
			}
		}()
	}
	waitFor(t, func() bool { return inFlight.Load() == n })
	r.cancel()
	// New connections are refused while the old requests still run.
	addr := strings.TrimPrefix(r.url, "http://")
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)
	wg.Wait()
	for i, res := range results {
		if res != "finished" {
			t.Errorf("request %d: %q", i, res)
		}
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// A TLS listener may bind any address; it serves the configured certificate.
func TestRunTLS(t *testing.T) {
	idp := newTestIDP(t)
	dir := t.TempDir()
	certPEM := writeTestCert(t, dir, 1)
	path := writeConfig(t, env{Dir: dir, TokenURL: idp.URL + "/token"}, idp.secret)
	data, _ := os.ReadFile(path)
	data = []byte(strings.Replace(string(data), "  - addr: 127.0.0.1:0\n", "  - addr: 127.0.0.1:0\n    tls: {cert: cert.pem, key: key.pem}\n    admin: false\n", 1))
	os.WriteFile(path, data, 0o600)
	r := startRun(t, path)
	if !strings.HasPrefix(r.url, "https://") {
		t.Fatalf("url %s", r.url)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	// admin: false hides /healthz and /metrics; the broker itself works.
	for _, p := range []string{"/healthz", "/metrics"} {
		resp, err := client.Get(r.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s on an admin: false listener: %d", p, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", r.url+"/token", strings.NewReader("target=vend"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("powerbi", testPassword)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp.Body); resp.StatusCode != 200 || !strings.Contains(body, `"access_token"`) {
		t.Fatalf("token over TLS: %d %s", resp.StatusCode, body)
	}
	if resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 1 {
		t.Fatalf("serial %v", resp.TLS.PeerCertificates[0].SerialNumber)
	}
	// A renewed certificate is picked up on reload, without a restart.
	writeTestCert(t, dir, 2)
	r.reload <- syscall.SIGHUP
	waitFor(t, func() bool { return strings.Contains(r.logs.String(), "configuration reloaded") })
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err = insecure.Get(r.url + "/t/cdr/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got != 2 {
		t.Fatalf("after reload the listener serves certificate %d, want 2", got)
	}
}

func writeTestCert(t *testing.T, dir string, serial int64) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "pqx broker test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certPEM
}

func newCDR(t *testing.T, h http.HandlerFunc) string {
	srv := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
