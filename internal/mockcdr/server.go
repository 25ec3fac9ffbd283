package mockcdr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a mock openEHR CDR. Create it with New; serve it with Start, or
// mount Handler on a server of your own (e.g. httptest.NewServer).
type Server struct {
	cfg     Config
	profile Profile
	cat     *catalog
	auth    *authenticator
	now     func() time.Time
	policy  FetchWithLimit

	log    requestLog
	faults faultSet
	stored storedQueries

	mu   sync.Mutex
	url  string // root URL once started
	srv  *http.Server
	done chan struct{}
}

// New returns a server for cfg. It validates the configuration and builds
// the seeded data (shared across servers with the same seed).
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Profile == "" {
		cfg.Profile = "ehrbase"
	}
	p, _ := LookupProfile(cfg.Profile)
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.QueryTimeout == 0 {
		cfg.QueryTimeout = 5 * time.Second
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = 30 * time.Second
	}
	if cfg.LogLimit == 0 {
		cfg.LogLimit = 10000
	}
	now := cfg.Clock
	if now == nil && !cfg.FixedTime.IsZero() {
		fixed := cfg.FixedTime
		now = func() time.Time { return fixed }
	}
	if now == nil {
		now = time.Now
	}
	cat, err := catalogFor(cfg.Seed)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, profile: p, cat: cat, now: now, policy: p.FetchWithLimit}
	if cfg.FetchPrecedence != "" {
		s.policy = FetchWithLimit(cfg.FetchPrecedence)
	}
	s.auth = newAuthenticator(cfg.Auth, p, now)
	s.log.limit = cfg.LogLimit
	s.stored.reset()
	return s, nil
}

// Profile returns the server's vendor profile.
func (s *Server) Profile() Profile { return s.profile }

// Data returns the seeded dataset behind the fixtures.
func (s *Server) Data() *Dataset { return s.cat.data }

// FixtureRows returns the number of rows the fixture's own AQL returns
// without envelope paging or an EHR filter: fixed WHERE clauses and
// in-query LIMIT/TOP apply, parameter filters do not (so Q5 counts every
// reading). Invalid and unknown fixtures count 0.
func (s *Server) FixtureRows(id string) int {
	f, ok := LookupFixture(id)
	if !ok || f.Invalid {
		return 0
	}
	pa, err := parseAQL(f.AQL, true)
	target := s.cat.byKey[pa.key]
	if err != nil || target == nil {
		return 0
	}
	n := len(s.cat.rows[target.ID])
	if len(target.Params) == 0 {
		n = len(s.selectRows(target, nil, -1))
	}
	limit := -1
	if pa.hasTop {
		limit = pa.top
	}
	if pa.hasLimit {
		limit = pa.limit
	}
	n = max(n-pa.offset, 0)
	if limit >= 0 {
		n = min(n, limit)
	}
	return n
}

// Start listens on the configured loopback address and serves in the
// background until Close or Shutdown.
func (s *Server) Start() error {
	if err := CheckLoopbackAddr(s.cfg.Addr); err != nil {
		return err
	}
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		l.Close()
		return errors.New("mockcdr: server already started")
	}
	s.url = "http://" + l.Addr().String()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.srv.Serve(l)
	}()
	return nil
}

// URL returns the root URL (http://127.0.0.1:PORT) once started, or the
// URL given to SetURL.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// SetURL records the root URL when the handler is served by someone else
// (httptest.NewServer), so that URL and BaseURL work.
func (s *Server) SetURL(root string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimRight(root, "/")
}

// BaseURL returns {base}: the root URL plus the profile's base path.
func (s *Server) BaseURL() string { return s.URL() + s.profile.BasePath }

// ControlURL returns the root of the control API.
func (s *Server) ControlURL() string { return s.URL() + controlPrefix }

// Shutdown stops a started server gracefully.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	<-done
	return err
}

// Close stops a started server at once.
func (s *Server) Close() error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-done
	return err
}

// Log returns the request log, oldest first.
func (s *Server) Log() []Request { return s.log.since(0) }

// LogSince returns the log entries after sequence number seq.
func (s *Server) LogSince(seq int) []Request { return s.log.since(seq) }

// ClearLog empties the request log.
func (s *Server) ClearLog() { s.log.clear() }

// AddFault schedules a fault.
func (s *Server) AddFault(f Fault) error { return s.faults.add(f) }

// Faults lists the faults that can still fire.
func (s *Server) Faults() []Fault { return s.faults.pending() }

// ClearFaults removes all faults.
func (s *Server) ClearFaults() { s.faults.clear() }

// Reset clears the log and faults and restores the seeded stored queries.
func (s *Server) Reset() {
	s.log.clear()
	s.faults.clear()
	s.stored.reset()
}

// Handler returns the HTTP handler serving the API, the vendor extras and
// the control API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// reply is an answer built by a handler before faults and the profile's
// encoding rules are applied.
type reply struct {
	status int
	header http.Header
	body   []byte
	json   bool // body is JSON: BOM, ETag and truncation apply
	rows   int  // rows in a result set; -1 otherwise
	etag   bool
}

// exchange carries one request through the handlers.
type exchange struct {
	r   *http.Request
	rel string // path relative to the base
	// rawRel is rel still escaped, so that an escaped "/" inside an id
	// stays inside its segment.
	rawRel string
	body   []byte
	entry  *Request
	faults []Fault
}

func (x *exchange) fault(k FaultKind) bool {
	for _, f := range x.faults {
		if f.Kind == k {
			return true
		}
	}
	return false
}

const controlPrefix = "/__mock"

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == controlPrefix || strings.HasPrefix(path, controlPrefix+"/") {
		s.serveControl(w, r)
		return
	}
	start := time.Now()
	entry := &Request{Time: s.now(), Method: r.Method, Path: path, Rows: -1}
	if raw := r.URL.EscapedPath(); raw != path {
		entry.RawPath = raw
	}
	entry.Query, entry.CredentialInURL = redactQuery(r.URL.Query())
	if len(entry.Query) == 0 {
		entry.Query = nil
	}
	entry.Header = redactHeader(r.Header)
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if len(body) > 64<<10 {
		entry.Body = string(body[:64<<10])
	} else {
		entry.Body = string(body)
	}
	x := &exchange{r: r, body: body, entry: entry}
	var rp *reply
	if err != nil {
		rp = s.errorReply(http.StatusBadRequest, "cannot read request body: "+err.Error())
	} else {
		rp = s.route(x)
	}
	out := s.finish(w.Header(), x, rp)
	entry.Status = rp.status
	entry.Rows = rp.rows
	entry.Duration = time.Since(start)
	// Log before answering, so a client that asserts on the log right after
	// its response always finds its request there.
	s.log.add(entry)
	w.WriteHeader(rp.status)
	if r.Method != http.MethodHead {
		w.Write(out)
	}
}

// route dispatches a request outside the control API.
func (s *Server) route(x *exchange) *reply {
	r, p := x.r, s.profile
	path := r.URL.Path
	switch {
	case path == "/.well-known/smart-configuration" || path == p.BasePath+"/.well-known/smart-configuration":
		x.entry.Endpoint = "smart"
		return s.smartConfiguration(x)
	case p.StatusPath != "" && path == p.StatusPath:
		x.entry.Endpoint = "status"
		return s.guard(x, "", s.status)
	case p.EhrScapePath != "" && strings.HasPrefix(path, p.EhrScapePath+"/"):
		x.entry.Endpoint = "ehrscape"
		return s.guard(x, strings.TrimPrefix(path, p.EhrScapePath), s.ehrScape)
	case path == p.BasePath || strings.HasPrefix(path, p.BasePath+"/"):
		rel := strings.TrimPrefix(path, p.BasePath)
		// The base path has nothing to escape, so it is also the escaped
		// path's prefix.
		x.rawRel = strings.TrimPrefix(r.URL.EscapedPath(), p.BasePath)
		return s.guard(x, rel, s.api)
	}
	return s.errorReply(http.StatusNotFound, fmt.Sprintf("No endpoint %s %s (the %s profile serves the openEHR API under %s)", r.Method, path, p.Name, p.BasePath))
}

// guard applies subscription key, authentication, content negotiation and
// faults around an API handler.
func (s *Server) guard(x *exchange, rel string, h func(*exchange) *reply) *reply {
	r := x.r
	x.rel = rel
	if x.entry.Endpoint == "" {
		x.entry.Endpoint = classify(rel)
	}
	if strings.HasPrefix(x.entry.Endpoint, "query.") {
		s.peekPaging(x)
	}
	if s.cfg.SubscriptionKey != "" {
		key := r.Header.Get("Dips-Subscription-Key")
		if key == "" {
			key = r.Header.Get("Ocp-Apim-Subscription-Key")
		}
		if key != s.cfg.SubscriptionKey {
			msg := "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
			if key != "" {
				msg = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
			}
			x.entry.Error = msg
			return jsonReply(http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": msg})
		}
	}
	ar := s.auth.check(r.Context(), r)
	x.entry.AuthScheme, x.entry.Subject, x.entry.ClaimStyle = ar.scheme, ar.subject, ar.claimStyle
	if ar.status != 0 {
		rp := s.errorReply(ar.status, ar.message)
		rp.header.Set("WWW-Authenticate", ar.challenge)
		x.entry.Error = ar.message
		return rp
	}
	if !acceptable(r.Header.Get("Accept")) {
		return s.errorReply(http.StatusNotAcceptable, fmt.Sprintf("Media type %q is not acceptable; this server produces application/json", r.Header.Get("Accept")))
	}
	x.faults = s.faults.fire(rel, x.entry.Fixture)
	if len(x.faults) > 0 {
		names := make([]string, len(x.faults))
		for i, f := range x.faults {
			names[i] = string(f.Kind)
		}
		x.entry.Fault = strings.Join(names, ",")
	}
	for _, f := range x.faults {
		if f.Kind == FaultSlow {
			if rp := s.delay(x, time.Duration(f.Delay)); rp != nil {
				return rp
			}
		}
	}
	for _, f := range x.faults {
		if f.Kind.replaces() {
			return s.faultReply(x, f)
		}
	}
	return h(x)
}

// delay sleeps for a slow fault, bounded by MaxDelay; past the query
// timeout it answers 408 as a CDR's statement timeout would.
func (s *Server) delay(x *exchange, d time.Duration) *reply {
	d = min(d, s.cfg.MaxDelay)
	timeout := d >= s.cfg.QueryTimeout
	if timeout {
		d = s.cfg.QueryTimeout
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-x.r.Context().Done():
		return s.errorReply(http.StatusServiceUnavailable, "client went away")
	}
	if timeout {
		return s.errorReply(http.StatusRequestTimeout, fmt.Sprintf("Query execution timed out after %s", s.cfg.QueryTimeout))
	}
	return nil
}

func (s *Server) faultReply(x *exchange, f Fault) *reply {
	setRetry := func(rp *reply) *reply {
		if f.RetryAfter != "" && f.RetryAfter != "-" {
			rp.header.Set("Retry-After", f.RetryAfter)
		}
		return rp
	}
	switch f.Kind {
	case FaultTooManyRequests:
		return setRetry(s.errorReply(http.StatusTooManyRequests, "Too many requests; retry later"))
	case FaultUnavailable:
		return setRetry(s.errorReply(http.StatusServiceUnavailable, "Service temporarily unavailable"))
	case FaultBadGateway, FaultGatewayTimeout:
		code := http.StatusBadGateway
		if f.Kind == FaultGatewayTimeout {
			code = http.StatusGatewayTimeout
		}
		text := fmt.Sprintf("%d %s", code, http.StatusText(code))
		page := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
			"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
		rp := &reply{status: code, header: http.Header{"Content-Type": {"text/html"}}, body: []byte(page), rows: -1}
		return setRetry(rp)
	case FaultUnauthorized:
		rp := s.errorReply(http.StatusUnauthorized, "Jwt expired")
		if x.entry.AuthScheme == "basic" {
			rp.header.Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", s.profile.Realm))
		} else {
			rp.header.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="Jwt expired"`)
		}
		return rp
	case FaultServerError:
		return s.errorReply(http.StatusInternalServerError, "An internal error has occurred. Please contact your administrator.")
	case FaultEmpty:
		return &reply{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, rows: -1}
	case FaultHTML:
		page := "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>" +
			"<form method=\"post\" action=\"/login\"><input name=\"username\"><input name=\"password\" type=\"password\">" +
			"<button>Sign in</button></form></body></html>\n"
		return &reply{status: http.StatusOK, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, body: []byte(page), rows: -1}
	}
	if code := f.Kind.status(); code != 0 {
		return setRetry(s.errorReply(code, fmt.Sprintf("%s (injected fault)", http.StatusText(code))))
	}
	return s.errorReply(http.StatusInternalServerError, "unhandled fault "+string(f.Kind))
}

// finish sets the headers of rp and returns its body, applying the
// profile's BOM and the body faults.
func (s *Server) finish(h http.Header, x *exchange, rp *reply) []byte {
	body := rp.body
	for k, v := range rp.header {
		h[k] = v
	}
	if rp.json && len(body) > 0 {
		if rp.etag {
			sum := sha256.Sum256(body)
			h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
		}
		if s.profile.BOM || x.fault(FaultBOM) {
			body = append([]byte("\xEF\xBB\xBF"), body...)
		}
		if x.fault(FaultTruncated) {
			body = body[:len(body)/2]
		}
	}
	if rp.status >= 400 && x.entry.Error == "" {
		x.entry.Error = errorMessage(rp.body)
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	return body
}

func errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return string(body)
}

// jsonReply encodes v without HTML escaping (AQL contains < and >).
func jsonReply(status int, v any) *reply {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own values are encoded
	}
	b := bytes.TrimRight(buf.Bytes(), "\n")
	return &reply{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b, json: true, rows: -1}
}

// errorReply renders an error in the profile's shape.
func (s *Server) errorReply(status int, msg string, validation ...string) *reply {
	switch s.profile.Errors {
	case ErrorEHRbase:
		return jsonReply(status, struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}{http.StatusText(status), msg})
	default:
		if validation == nil {
			validation = []string{}
		}
		return jsonReply(status, struct {
			Message          string   `json:"message"`
			ValidationErrors []string `json:"validationErrors"`
		}{msg, validation})
	}
}

// acceptable reports whether an Accept header admits JSON or XML.
func acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		refused := false
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			if strings.EqualFold(k, "q") && strings.Trim(v, "0.") == "" {
				refused = true // q=0: explicitly not acceptable
			}
		}
		if refused {
			continue
		}
		switch {
		case mt == "*/*", mt == "application/*", mt == "application/json", mt == "application/xml",
			mt == "text/xml", strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
			return true
		}
	}
	return false
}

// wantsXML reports whether the client prefers XML over JSON.
func wantsXML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/xml", "text/xml":
			return true
		case "application/json", "*/*", "application/*":
			return false
		}
		if strings.HasSuffix(strings.TrimSpace(mt), "+json") {
			return false
		}
	}
	return false
}

// contentTypeIs reports whether the request's media type is one of types.
func contentTypeIs(r *http.Request, types ...string) bool {
	mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	for _, t := range types {
		if mt == t {
			return true
		}
	}
	return false
}

// classify names the endpoint of a path relative to the base, for the log
// of requests that never reach their handler (faults, auth failures).
func classify(rel string) string {
	segs, _ := splitPath(rel)
	switch {
	case len(segs) == 0:
		return "options"
	case segs[0] == "query" && len(segs) == 2 && segs[1] == "aql":
		return "query.aql"
	case segs[0] == "query":
		return "query.stored"
	case segs[0] == "definition" && len(segs) >= 2:
		return "definition." + segs[1]
	case segs[0] == "ehr":
		return "ehr"
	}
	return ""
}

// peekPaging records offset and fetch before faults fire, so the log shows
// which page a failed request asked for. Errors are left to the handler.
func (s *Server) peekPaging(x *exchange) {
	e := x.entry
	set := func(v any, sent *bool, n *int) {
		switch v := v.(type) {
		case float64:
			*sent, *n = true, int(v)
		case string:
			if i, err := strconv.Atoi(v); err == nil {
				*sent, *n = true, i
			}
		}
	}
	var aql string
	if x.r.Method == http.MethodGet {
		q := x.r.URL.Query()
		if q.Has("offset") {
			set(q.Get("offset"), &e.OffsetSent, &e.Offset)
		}
		if q.Has("fetch") {
			set(q.Get("fetch"), &e.FetchSent, &e.Fetch)
		}
		aql = q.Get("q")
	} else {
		var body map[string]any
		if json.Unmarshal(x.body, &body) == nil {
			set(body["offset"], &e.OffsetSent, &e.Offset)
			set(body["fetch"], &e.FetchSent, &e.Fetch)
			aql, _ = body["q"].(string)
		}
	}
	if aql != "" {
		if pa, err := parseAQL(aql, s.profile.ColonParams); err == nil && s.cat.byKey[pa.key] != nil {
			e.Fixture = s.cat.byKey[pa.key].ID
		}
	}
}
