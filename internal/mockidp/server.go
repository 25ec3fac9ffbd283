package mockidp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
)

// Server is a mock OAuth 2.0 / OpenID Connect authorization server. Create
// it with New, serve it with Start (or mount Handler in an httptest.Server
// and call SetURL), and drive it from tests through Clock, Journal,
// AddFault, ScriptAuthorize and Reset, or over HTTP under /_mock/.
type Server struct {
	cfg     Config
	prof    *Profile
	clock   *Clock
	journal *Journal
	keys    *keySet
	routes  map[string]route
	// wild are routes with wildcard segments ("*"), tried on a miss.
	wild []wildRoute

	urlMu sync.RWMutex
	base  string // scheme://host:port without trailing slash

	httpSrv *http.Server
	ln      net.Listener
	// wallNow is the real clock, for rate-limit windows; tests replace it.
	wallNow func() time.Time

	mu       sync.Mutex // guards everything below
	clients  map[string]*Client
	users    []User
	apis     map[string]bool
	codes    map[string]*codeRec
	refresh  map[string]*refreshRec
	families map[string]*family
	access   map[string]*accessRec
	sessions map[string]*session
	script   []AuthorizeOutcome
	faults   []*faultState
	nextID   map[string]int
	issued   int // access tokens issued, for sweeps
	window   map[string]*rateWindow
}

type route struct {
	endpoint string
	h        func(s *Server, w http.ResponseWriter, r *http.Request)
}

type wildRoute struct {
	segs []string
	rt   route
}

// match reports whether path fits the segments, "*" matching any one
// non-empty segment.
func (w wildRoute) match(path string) bool {
	for _, seg := range w.segs {
		var part string
		part, path, _ = strings.Cut(path, "/")
		if seg != part && (seg != "*" || part == "") {
			return false
		}
	}
	return path == ""
}

// Endpoints are the absolute URLs of the server's endpoints.
type Endpoints struct {
	Issuer        string `json:"issuer"`
	Authorize     string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	Userinfo      string `json:"userinfo_endpoint"`
	JWKS          string `json:"jwks_uri"`
	Introspect    string `json:"introspection_endpoint"`
	Revoke        string `json:"revocation_endpoint"`
	Discovery     string `json:"discovery"`
	OAuthMetadata string `json:"oauth_metadata"`
	Control       string `json:"control"`
}

// New returns a server for cfg. Keys are generated here.
func New(cfg Config) (*Server, error) {
	if err := cfg.check("config"); err != nil {
		return nil, err
	}
	name := cfg.Profile
	if name == "" {
		name = "strict-rfc"
	}
	prof, err := LoadProfile(name)
	if err != nil {
		return nil, err
	}
	if len(cfg.Override) > 0 {
		data, err := yaml.Marshal(cfg.Override)
		if err != nil {
			return nil, fmt.Errorf("override: %v", err)
		}
		if err := decodeYAML("override", data, prof); err != nil {
			return nil, err
		}
		if err := prof.validate(); err != nil {
			return nil, fmt.Errorf("override: %v", err)
		}
	}
	if prof.Vars == nil {
		prof.Vars = map[string]string{}
	}
	for k, v := range cfg.Vars {
		prof.Vars[k] = v
	}
	if cfg.Signing != "" {
		prof.Signing = cfg.Signing
	}
	if cfg.MaxRealDelay == 0 {
		cfg.MaxRealDelay = Duration(10 * time.Second)
	}
	keys, err := newKeySet(prof.Signing)
	if err != nil {
		return nil, err
	}
	clock := cfg.Clock
	if clock == nil {
		clock = NewClock(cfg.StartTime)
	}
	s := &Server{
		cfg:     cfg,
		prof:    prof,
		clock:   clock,
		journal: newJournal(cfg.JournalLimit),
		keys:    keys,
		wallNow: time.Now,
	}
	s.resetState()
	s.buildRoutes()
	return s, nil
}

// resetState drops every code, token, session, fault and scripted outcome,
// then re-registers the configured clients, faults and outcomes. Keys and
// the clock are kept.
func (s *Server) resetState() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients = map[string]*Client{}
	clients := s.cfg.Clients
	if len(clients) == 0 {
		clients = DefaultClients()
	}
	for i := range clients {
		c := clients[i]
		s.clients[c.ID] = &c
	}
	s.users = s.cfg.Users
	if len(s.users) == 0 {
		s.users = []User{{Subject: "alice", Name: "Alice Example", Email: "alice@example.test"}}
	}
	s.apis = map[string]bool{}
	for _, a := range s.cfg.APIs {
		s.apis[a] = true
	}
	s.codes = map[string]*codeRec{}
	s.refresh = map[string]*refreshRec{}
	s.families = map[string]*family{}
	s.access = map[string]*accessRec{}
	s.sessions = map[string]*session{}
	s.window = map[string]*rateWindow{}
	s.nextID = nil
	s.script = append([]AuthorizeOutcome(nil), s.cfg.Authorize...)
	s.faults = nil
	for _, f := range s.cfg.Faults {
		if f.ID == "" {
			f.ID = s.newID("fault")
		}
		s.faults = append(s.faults, &faultState{Fault: f})
	}
}

// Reset returns the server to its initial state: no codes, tokens or
// sessions, an empty journal, and only the configured clients, faults and
// authorize outcomes. Keys and the clock are kept.
func (s *Server) Reset() {
	s.resetState()
	s.journal.reset()
}

// Profile returns a copy of the effective profile.
func (s *Server) Profile() Profile { return *s.prof }

// Clock returns the virtual clock.
func (s *Server) Clock() *Clock { return s.clock }

// Journal returns the request journal.
func (s *Server) Journal() *Journal { return s.journal }

// RegisterClient adds or replaces a client.
func (s *Server) RegisterClient(c Client) error {
	if c.ID == "" {
		return fmt.Errorf("client id: missing")
	}
	if err := checkClient(&c); err != nil {
		return fmt.Errorf("client %q: %v", c.ID, err)
	}
	s.mu.Lock()
	s.clients[c.ID] = &c
	s.mu.Unlock()
	return nil
}

// Client returns the registered client with that id.
func (s *Server) Client(id string) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return Client{}, false
	}
	return *c, true
}

// RotateKeys makes a new signing key active (a new kid in the JWKS) and
// returns its key id; the old key stays published.
func (s *Server) RotateKeys() (string, error) { return s.keys.rotate() }

// issuerPath is the profile's issuer path with placeholders filled.
func (s *Server) issuerPath() string { return expand(s.prof.Issuer, s.prof.Vars) }

func (s *Server) path(p string) string { return expand(p, s.prof.Vars) }

func (s *Server) buildRoutes() {
	table := func(vars map[string]string) map[string]route {
		path := func(p string) string { return expand(p, vars) }
		ip := strings.TrimSuffix(path(s.prof.Issuer), "/")
		m := map[string]route{
			path(s.prof.Paths.Authorize):                   {"authorize", (*Server).handleAuthorize},
			path(s.prof.Paths.Token):                       {"token", (*Server).handleToken},
			path(s.prof.Paths.Userinfo):                    {"userinfo", (*Server).handleUserinfo},
			path(s.prof.Paths.JWKS):                        {"jwks", (*Server).handleJWKS},
			path(s.prof.Paths.Introspect):                  {"introspect", (*Server).handleIntrospect},
			path(s.prof.Paths.Revoke):                      {"revoke", (*Server).handleRevoke},
			ip + "/.well-known/openid-configuration":       {"discovery", (*Server).handleDiscovery},
			"/.well-known/oauth-authorization-server" + ip: {"discovery", (*Server).handleDiscovery},
		}
		if ip != "" {
			// Not RFC 8414's location, but where many clients look.
			m[ip+"/.well-known/oauth-authorization-server"] = route{"discovery", (*Server).handleDiscovery}
		}
		byName := map[string]route{}
		for _, rt := range m {
			byName[rt.endpoint] = rt
		}
		for name, paths := range s.prof.Paths.Aliases {
			for _, p := range paths {
				m[path(p)] = byName[name]
			}
		}
		return m
	}
	s.routes = table(s.prof.Vars)
	if len(s.prof.WildcardVars) == 0 {
		return
	}
	wv := map[string]string{}
	for k, v := range s.prof.Vars {
		wv[k] = v
	}
	for _, name := range s.prof.WildcardVars {
		wv[name] = "*"
	}
	for p, rt := range table(wv) {
		if strings.Contains(p, "*") {
			s.wild = append(s.wild, wildRoute{strings.Split(p, "/"), rt})
		}
	}
}

// lookup finds the route of a request path.
func (s *Server) lookup(path string) (route, bool) {
	if rt, ok := s.routes[path]; ok {
		return rt, true
	}
	for _, w := range s.wild {
		if w.match(path) {
			return w.rt, true
		}
	}
	return route{}, false
}

// Handler returns the server's HTTP handler: the profile's endpoints, the
// discovery documents and the /_mock/ control API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// The virtual time on every response, for clients that log it.
	w.Header().Set("X-Mock-Now", s.clock.Now().Format(time.RFC3339))
	if strings.HasPrefix(r.URL.Path, "/_mock/") {
		s.handleControl(w, r)
		return
	}
	rt, ok := s.lookup(r.URL.Path)
	if !ok {
		s.journal.add(Entry{Time: s.clock.Now(), Endpoint: "unknown", Method: r.Method, Path: r.URL.Path,
			Status: http.StatusNotFound, Outcome: "error", Error: "not_found", Reason: "unknown_path",
			Hint: "no endpoint at this path in profile " + s.prof.Name + "; read the discovery document"})
		http.Error(w, "404 not found: no endpoint at "+r.URL.Path+" in profile "+s.prof.Name, http.StatusNotFound)
		return
	}
	rt.h(s, w, r)
}

// SetURL tells the server its base URL (scheme://host:port) when it is
// served by someone else, e.g. httptest.NewServer(srv.Handler()).
func (s *Server) SetURL(base string) {
	s.urlMu.Lock()
	s.base = strings.TrimSuffix(base, "/")
	s.urlMu.Unlock()
}

// URL returns the base URL set by Start or SetURL.
func (s *Server) URL() string {
	s.urlMu.RLock()
	defer s.urlMu.RUnlock()
	return s.base
}

// Issuer returns the issuer identifier.
func (s *Server) Issuer() string {
	ip := s.issuerPath()
	if ip == "" {
		return s.URL()
	}
	return s.URL() + ip
}

// Endpoints returns the endpoint URLs.
func (s *Server) Endpoints() Endpoints {
	b := s.URL()
	ip := strings.TrimSuffix(s.issuerPath(), "/")
	return Endpoints{
		Issuer:        s.Issuer(),
		Authorize:     b + s.path(s.prof.Paths.Authorize),
		Token:         b + s.path(s.prof.Paths.Token),
		Userinfo:      b + s.path(s.prof.Paths.Userinfo),
		JWKS:          b + s.path(s.prof.Paths.JWKS),
		Introspect:    b + s.path(s.prof.Paths.Introspect),
		Revoke:        b + s.path(s.prof.Paths.Revoke),
		Discovery:     b + ip + "/.well-known/openid-configuration",
		OAuthMetadata: b + "/.well-known/oauth-authorization-server" + ip,
		Control:       b + "/_mock",
	}
}

// CheckLoopback returns an error unless addr (host:port) names a loopback
// address; the mock never listens where other machines can reach it.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not a loopback address; the mock IDP only listens on 127.0.0.1 or ::1", addr)
	}
	return nil
}

// Start listens on addr (a loopback address; "" means 127.0.0.1:0) and
// serves in the background until Close.
func (s *Server) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := CheckLoopback(addr); err != nil {
		return err
	}
	if s.httpSrv != nil {
		return fmt.Errorf("mock IDP already started at %s", s.URL())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.SetURL("http://" + ln.Addr().String())
	s.httpSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.httpSrv.Serve(ln) }()
	return nil
}

// Close stops a server started with Start, waiting up to five seconds for
// requests in flight.
func (s *Server) Close() error {
	if s.httpSrv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.httpSrv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.httpSrv.Close()
	}
	return err
}

// newID returns a short sequential id per prefix ("f1", "s1", "fault1");
// call with s.mu held.
func (s *Server) newID(prefix string) string {
	if s.nextID == nil {
		s.nextID = map[string]int{}
	}
	s.nextID[prefix]++
	return fmt.Sprintf("%s%d", prefix, s.nextID[prefix])
}
