package broker

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync"
	"time"
)

// probe checks whether identity providers are reachable by opening a TCP
// connection to the token endpoint's host. It sends no HTTP request, so
// health checks never count against an IDP's token rate limits. Results are
// cached briefly so a busy health checker cannot turn into a port scan.
type probe struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration
	ttl     time.Duration

	mu    sync.Mutex
	cache map[string]probeResult
}

type probeResult struct {
	err error
	at  time.Time
}

func newProbe() *probe {
	d := &net.Dialer{}
	return &probe{dial: d.DialContext, timeout: 2 * time.Second, ttl: 10 * time.Second, cache: map[string]probeResult{}}
}

// checkAll probes the hosts of the given URLs concurrently and returns one
// error (nil when reachable) per URL.
func (p *probe) checkAll(ctx context.Context, urls []string) []error {
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.check(ctx, u)
		}()
	}
	wg.Wait()
	return errs
}

func (p *probe) check(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	p.mu.Lock()
	if r, ok := p.cache[addr]; ok && time.Since(r.at) < p.ttl {
		p.mu.Unlock()
		return r.err
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	conn, err := p.dial(ctx, "tcp", addr)
	if err == nil {
		conn.Close()
	} else {
		var ne *net.OpError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		err = errors.New(addr + ": " + err.Error())
	}
	p.mu.Lock()
	p.cache[addr] = probeResult{err: err, at: time.Now()}
	p.mu.Unlock()
	return err
}
