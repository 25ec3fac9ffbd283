package broker

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the broker's Prometheus collectors, registered on a registry
// of their own so that several servers can live in one process (tests).
type metrics struct {
	reg          *prometheus.Registry
	cacheHits    *prometheus.CounterVec
	cacheMisses  *prometheus.CounterVec
	staleServed  *prometheus.CounterVec
	idpLatency   *prometheus.HistogramVec
	idpErrors    *prometheus.CounterVec
	breakerOpen  *prometheus.GaugeVec
	authFailures *prometheus.CounterVec
	requests     *prometheus.CounterVec
	reloads      *prometheus.CounterVec
}

func newMetrics() *metrics {
	const ns = "pqx_broker"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "cache_hits_total",
			Help: "Token requests answered from a fresh cached token."}, []string{"target"}),
		cacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "cache_misses_total",
			Help: "Token requests that needed the identity provider (coalesced fetches included)."}, []string{"target"}),
		staleServed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "stale_served_total",
			Help: "Tokens served past their cache TTL, still valid, while the identity provider failed."}, []string{"target"}),
		idpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "idp_request_duration_seconds",
			Help: "Duration of token requests to the identity provider.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"target"}),
		idpErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "idp_errors_total",
			Help: "Failed token requests by RFC 6749 error code (or http_<status>, network, bad_response)."}, []string{"target", "code"}),
		breakerOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "breaker_open",
			Help: "1 while a target's circuit breaker is open after repeated invalid_client."}, []string{"target"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "caller_auth_failures_total",
			Help: "Rejected caller authentications by reason."}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
			Help: "Requests handled, by mode and HTTP status code."}, []string{"mode", "code"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "config_reloads_total",
			Help: "Configuration reloads by result."}, []string{"result"}),
	}
	m.reg.MustRegister(m.cacheHits, m.cacheMisses, m.staleServed, m.idpLatency, m.idpErrors, m.breakerOpen,
		m.authFailures, m.requests, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) setBreaker(target string, open bool) {
	v := 0.0
	if open {
		v = 1
	}
	m.breakerOpen.WithLabelValues(target).Set(v)
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
