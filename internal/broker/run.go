package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"sync"
)

// RunOptions configure Run.
type RunOptions struct {
	Options
	// Reload receives a value for each reload request (SIGHUP in the CLI).
	Reload <-chan os.Signal
	// Ready, if set, is called with the listeners' URLs once they accept
	// connections.
	Ready func(urls []string)
}

// Run loads the configuration at path and serves it until ctx is done, then
// shuts down gracefully: listeners close at once, requests in flight may
// finish within the configured shutdown timeout. A reload request re-reads
// the file; an invalid new configuration is logged and the old one kept.
// Listener changes and the server-level limits (read_header_timeout,
// idle_timeout, max_header_bytes, shutdown_timeout) need a restart;
// everything else, TLS certificates included, applies to the next request.
func Run(ctx context.Context, path string, opts RunOptions) error {
	cfg, err := Load(path)
	if err != nil {
		return err
	}
	if opts.Logger == nil {
		opts.Logger = NewLogger(os.Stderr, cfg.Log.Format, cfg.Log.Level)
	}
	log := opts.Logger
	srv, err := New(cfg, opts.Options)
	if err != nil {
		return err
	}
	defer srv.Close()
	lim := cfg.Limits.withDefaults()
	var (
		lns     []net.Listener
		servers []*http.Server
		urls    []string
	)
	for i, l := range cfg.Listeners {
		var h http.Handler = srv
		if !l.admin() {
			h = noAdmin{srv}
		}
		servers = append(servers, &http.Server{
			Handler:           h,
			ReadHeaderTimeout: lim.ReadHeaderTimeout,
			IdleTimeout:       lim.IdleTimeout,
			MaxHeaderBytes:    lim.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		})
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			return fmt.Errorf("listener %s: %w", l.Addr, err)
		}
		scheme := "http"
		if l.TLS != nil {
			idx := i
			ln = tls.NewListener(ln, &tls.Config{
				MinVersion: tls.VersionTLS12,
				GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
					certs := srv.state.Load().certs
					if idx < len(certs) && certs[idx] != nil {
						return certs[idx], nil
					}
					return nil, errors.New("no certificate for this listener")
				},
			})
			scheme = "https"
		}
		lns = append(lns, ln)
		urls = append(urls, scheme+"://"+ln.Addr().String())
	}
	errc := make(chan error, len(lns))
	var wg sync.WaitGroup
	for i, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := servers[i].Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	log.Info("broker listening", "urls", urls, "targets", len(cfg.Targets), "callers", len(cfg.Callers))
	if opts.Ready != nil {
		opts.Ready(urls)
	}
	var serveErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case serveErr = <-errc:
			break loop
		case <-opts.Reload:
			next, err := Load(path)
			if err != nil {
				srv.metrics.reloads.WithLabelValues("error").Inc()
				log.Error("reload failed; keeping the running configuration", "error", err)
				continue
			}
			if !reflect.DeepEqual(next.Listeners, srv.Config().Listeners) {
				log.Warn("listener changes take effect after a restart")
			}
			if nl := next.Limits.withDefaults(); nl.ReadHeaderTimeout != lim.ReadHeaderTimeout || nl.IdleTimeout != lim.IdleTimeout ||
				nl.MaxHeaderBytes != lim.MaxHeaderBytes || nl.ShutdownTimeout != lim.ShutdownTimeout {
				log.Warn("read_header_timeout, idle_timeout, max_header_bytes and shutdown_timeout take effect after a restart")
			}
			if err := srv.Reload(next); err != nil {
				srv.metrics.reloads.WithLabelValues("error").Inc()
				log.Error("reload failed; keeping the running configuration", "error", err)
				continue
			}
			srv.metrics.reloads.WithLabelValues("ok").Inc()
			log.Info("configuration reloaded", "targets", len(next.Targets), "callers", len(next.Callers))
		}
	}
	log.Info("shutting down; waiting for requests in flight", "timeout", lim.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), lim.ShutdownTimeout)
	defer cancel()
	// Shut all listeners down together: each Shutdown closes its listener
	// at once and then waits for its requests.
	errs := make([]error, len(servers))
	var swg sync.WaitGroup
	for i, hs := range servers {
		swg.Add(1)
		go func() {
			defer swg.Done()
			errs[i] = hs.Shutdown(sctx)
		}()
	}
	swg.Wait()
	wg.Wait()
	err = errors.Join(errs...)
	if serveErr != nil {
		return serveErr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// noAdmin hides /healthz and /metrics on a listener with admin: false.
type noAdmin struct{ h http.Handler }

func (n noAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
		http.NotFound(w, r)
		return
	}
	n.h.ServeHTTP(w, r)
}
