package broker

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Config is a parsed and validated broker configuration. Obtain one with Load
// or Parse; the zero value is not usable.
type Config struct {
	// Listeners are the addresses the broker serves on.
	Listeners []Listener `yaml:"listeners"`
	// Targets are the APIs the broker obtains tokens for.
	Targets []Target `yaml:"targets"`
	// Callers are the Basic-authenticated clients allowed to use the broker.
	Callers []Caller `yaml:"callers"`
	// Cache tunes token caching; zero fields take the documented defaults.
	Cache CachePolicy `yaml:"cache"`
	// Limits bounds what callers may do; zero fields take the defaults.
	Limits Limits `yaml:"limits"`
	// Log selects the log level and format.
	Log LogConfig `yaml:"log"`

	file string // path the configuration was read from, for messages
}

// Listener is one address the broker listens on. Without TLS the address
// must be a loopback address: Basic credentials never cross a network in
// clear text.
type Listener struct {
	// Addr is host:port, for example 127.0.0.1:8080 or [::1]:8443.
	Addr string `yaml:"addr"`
	// TLS names a PEM certificate chain and key; re-read on reload.
	TLS *TLSFiles `yaml:"tls"`
	// Admin serves /healthz and /metrics on this listener (default true);
	// set it false on a listener exposed beyond the operators' network.
	Admin *bool `yaml:"admin"`
}

// admin reports whether the listener serves /healthz and /metrics.
func (l *Listener) admin() bool { return l.Admin == nil || *l.Admin }

// TLSFiles names the PEM files of a TLS listener.
type TLSFiles struct {
	Cert string `yaml:"cert"` // certificate chain, leaf first
	Key  string `yaml:"key"`  // private key
}

// Target is an upstream API and the client_credentials grant that yields
// tokens for it.
type Target struct {
	// Name identifies the target in URLs (/t/{name}/) and in /token requests.
	Name string `yaml:"name"`
	// Upstream is the API base URL for proxy mode; empty means the target is
	// available in token-vending mode only.
	Upstream string `yaml:"upstream"`
	// Mount is the URL path under which proxy mode serves the target
	// (default /t/{name}); for example /code24 makes
	// https://broker/code24/openehr/v1/ehr go to {upstream}/openehr/v1/ehr.
	Mount string `yaml:"mount"`
	// Profile is the identity provider flavour: auth0, entra-v2, keycloak,
	// okta or generic-oidc. It decides how Audience is sent.
	Profile string `yaml:"profile"`
	// TokenURL is the IDP token endpoint.
	TokenURL string `yaml:"token_url"`
	// ClientID is the OAuth client identifier.
	ClientID string `yaml:"client_id"`
	// ClientSecret says where the client secret is read from.
	ClientSecret Secret `yaml:"client_secret"`
	// AuthStyle is how the client authenticates at the token endpoint:
	// "basic" (client_secret_basic) or "post" (client_secret_post). It must
	// be explicit; guessing costs a second token request per failure.
	AuthStyle string `yaml:"auth_style"`
	// Audience is the API the token is for.
	Audience string `yaml:"audience"`
	// AudienceParam overrides the profile's way of sending Audience:
	// "audience" (audience=), "resource" (RFC 8707 resource=),
	// "scope-default" (scope=<audience>/.default, Entra ID v2) or "none"
	// (the server fixes the audience, as Keycloak's mappers and Okta's
	// custom authorization servers do).
	AudienceParam string `yaml:"audience_param"`
	// Scopes are requested as a space-separated scope parameter.
	Scopes []string `yaml:"scopes"`
	// Resources are sent as repeated RFC 8707 resource parameters.
	Resources []string `yaml:"resources"`
	// ExtraParams are added to every token request.
	ExtraParams map[string]string `yaml:"extra_params"`
	// Timeout bounds one token request (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	// RetryOn401 makes the proxy fetch a new token and retry once when the
	// upstream answers 401 to a request without a body (default true).
	RetryOn401 *bool `yaml:"retry_on_401"`
	// AllowInsecureHTTP permits http:// token and upstream URLs on loopback
	// hosts, for local tests only.
	AllowInsecureHTTP bool `yaml:"allow_insecure_http"`

	secret string // resolved ClientSecret
	key    string // cache key: a digest over everything that shapes the token
}

// Secret names where a secret comes from: an environment variable or a file
// (trailing newlines are trimmed). Exactly one must be set; secrets are never
// written inline in the configuration.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// Caller is a client allowed to use the broker.
type Caller struct {
	// Name is the Basic user name.
	Name string `yaml:"name"`
	// PasswordHash is an argon2id PHC string ($argon2id$v=19$...) or a bcrypt
	// hash ($2a$, $2b$, $2y$). Make one with `pqx broker hash-password`.
	PasswordHash string `yaml:"password_hash"`
	// Targets lists the target names the caller may use.
	Targets []string `yaml:"targets"`
	// RateLimit overrides Limits.CallerRate for this caller (requests/s).
	RateLimit float64 `yaml:"rate_limit"`
	// Burst overrides Limits.CallerBurst for this caller.
	Burst int `yaml:"burst"`

	hash passwordHash
}

// CachePolicy tunes the token cache. Zero values take the defaults noted.
type CachePolicy struct {
	// Skew is subtracted from expires_in to get the cache TTL. Default:
	// max(60s, 10% of the lifetime), at most half the lifetime.
	Skew time.Duration `yaml:"skew"`
	// MaxTTL caps the TTL (default: no cap).
	MaxTTL time.Duration `yaml:"max_ttl"`
	// DefaultLifetime is assumed when the IDP sends no expires_in (5m).
	DefaultLifetime time.Duration `yaml:"default_lifetime"`
	// RefreshAt is the fraction of the TTL after which a request triggers a
	// background refresh (0.8).
	RefreshAt float64 `yaml:"refresh_at"`
	// Jitter spreads refreshes: the refresh point moves earlier by up to
	// this fraction of the TTL (0.1).
	Jitter float64 `yaml:"jitter"`
	// NegativeTTL is how long a failed fetch is remembered (1s).
	NegativeTTL time.Duration `yaml:"negative_ttl"`
	// MaxRetryAfter caps an IDP's Retry-After (5m).
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
	// BreakerThreshold is the number of consecutive invalid_client answers
	// that open the circuit breaker (3).
	BreakerThreshold int `yaml:"breaker_threshold"`
	// BreakerCooldown is how long the open breaker refuses to call the IDP
	// (5m).
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
	// MinValidity is the least remaining lifetime a token must have to be
	// handed out after its TTL while the IDP is failing (5s).
	MinValidity time.Duration `yaml:"min_validity"`
	// WaitTimeout bounds how long a caller waits for a token fetch (10s).
	WaitTimeout time.Duration `yaml:"wait_timeout"`
}

// Limits bounds callers and requests. Zero values take the defaults noted.
type Limits struct {
	// MaxBodyBytes limits a proxied request body (10 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxHeaderBytes limits request headers (64 KiB).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// RequestTimeout bounds a whole request, upstream included (60s).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// ReadHeaderTimeout bounds reading request headers (10s).
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// IdleTimeout closes idle keep-alive connections (120s).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ShutdownTimeout bounds the wait for in-flight requests on shutdown
	// (30s).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// CallerRate is each caller's sustained request rate per second (50).
	CallerRate float64 `yaml:"caller_rate"`
	// CallerBurst is each caller's burst size (100).
	CallerBurst int `yaml:"caller_burst"`
	// LockoutAfter consecutive failed logins lock a user name (5).
	LockoutAfter int `yaml:"lockout_after"`
	// LockoutFor is how long a lockout lasts (5m).
	LockoutFor time.Duration `yaml:"lockout_for"`
}

// LogConfig selects logging.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // text (default) or json
}

// Profiles are the identity provider flavours a target may name.
var Profiles = []string{"auth0", "entra-v2", "keycloak", "okta", "generic-oidc"}

// defaultAudienceParam is how each profile sends a target's audience.
var defaultAudienceParam = map[string]string{
	"auth0":        "audience",      // Auth0 API identifier
	"entra-v2":     "scope-default", // scope=<resource>/.default
	"keycloak":     "none",          // audience mappers / client scopes decide
	"okta":         "none",          // the custom authorization server's aud
	"generic-oidc": "resource",      // RFC 8707
}

// withDefaults returns p with zero fields replaced by defaults.
func (p CachePolicy) withDefaults() CachePolicy {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&p.DefaultLifetime, 5*time.Minute)
	def(&p.NegativeTTL, time.Second)
	def(&p.MaxRetryAfter, 5*time.Minute)
	def(&p.BreakerCooldown, 5*time.Minute)
	def(&p.MinValidity, 5*time.Second)
	def(&p.WaitTimeout, 10*time.Second)
	if p.RefreshAt == 0 {
		p.RefreshAt = 0.8
	}
	if p.Jitter == 0 {
		p.Jitter = 0.1
	}
	if p.BreakerThreshold == 0 {
		p.BreakerThreshold = 3
	}
	return p
}

// withDefaults returns l with zero fields replaced by defaults.
func (l Limits) withDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 10 << 20
	}
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	def(&l.RequestTimeout, 60*time.Second)
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.IdleTimeout, 120*time.Second)
	def(&l.ShutdownTimeout, 30*time.Second)
	def(&l.LockoutFor, 5*time.Minute)
	if l.CallerRate == 0 {
		l.CallerRate = 50
	}
	if l.CallerBurst == 0 {
		l.CallerBurst = 100
	}
	if l.LockoutAfter == 0 {
		l.LockoutAfter = 5
	}
	return l
}

// ConfigError is one problem in a configuration file, with its position.
type ConfigError struct {
	File      string
	Line, Col int // 1-based; 0 when unknown
	Msg       string
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ConfigErrors is a list of configuration problems sorted by position.
type ConfigErrors []*ConfigError

func (l ConfigErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Load reads, parses and validates the configuration file at path and
// resolves its secrets. Relative file names inside it (secrets, TLS files)
// are resolved against the file's directory. The error, if any, is a
// ConfigErrors or an I/O error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load for configuration text already in memory; name is used in
// messages and to resolve relative file names.
func Parse(name string, data []byte) (*Config, error) {
	cfg := &Config{file: name}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ConfigErrors{{File: name, Msg: "empty configuration"}}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, ConfigErrors{yamlError(name, err)}
	}
	// go-yaml reports bad durations without a position and stops; find
	// them with positions here and let decoding leave them zero, so that
	// they are reported together with everything else.
	durErrs := checkDurations(name, file)
	lenient := yaml.CustomUnmarshaler(func(d *time.Duration, b []byte) error {
		if v, err := time.ParseDuration(strings.Trim(string(b), "\"' \t\r\n")); err == nil {
			*d = v
		}
		return nil
	})
	if err := yaml.UnmarshalWithOptions(data, cfg, yaml.DisallowUnknownField(), yaml.Strict(), lenient); err != nil {
		return nil, ConfigErrors{yamlError(name, err)}
	}
	v := &validator{file: name, ast: file, dir: filepath.Dir(name), errs: durErrs}
	v.validate(cfg)
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool {
			a, b := v.errs[i], v.errs[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, v.errs
	}
	return cfg, nil
}

// durationKeys are the YAML keys of time.Duration fields in Config.
var durationKeys = func() map[string]bool {
	keys := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" {
				continue
			}
			if f.Type == reflect.TypeOf(time.Duration(0)) {
				keys[tag] = true
			} else {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(Config{}))
	return keys
}()

// checkDurations reports duration values that time.ParseDuration rejects,
// with their positions.
func checkDurations(name string, file *ast.File) ConfigErrors {
	var errs ConfigErrors
	for _, doc := range file.Docs {
		ast.Walk(visitorFunc(func(n ast.Node) {
			mv, ok := n.(*ast.MappingValueNode)
			if !ok || !durationKeys[mv.Key.String()] {
				return
			}
			var text string
			switch v := mv.Value.(type) {
			case *ast.StringNode:
				text = v.Value
			case *ast.IntegerNode, *ast.FloatNode:
				text = v.String()
			default:
				return
			}
			if _, err := time.ParseDuration(text); err != nil {
				pos := mv.Value.GetToken().Position
				errs = append(errs, &ConfigError{File: name, Line: pos.Line, Col: pos.Column,
					Msg: fmt.Sprintf("%s: invalid duration %q (use a number with a unit: 500ms, 10s, 5m, 1h)", mv.Key.String(), text)})
			}
		}), doc)
	}
	return errs
}

// visitorFunc adapts a function to ast.Visitor.
type visitorFunc func(ast.Node)

func (f visitorFunc) Visit(n ast.Node) ast.Visitor {
	f(n)
	return f
}

// yamlError turns a go-yaml error into a ConfigError with its position.
func yamlError(name string, err error) *ConfigError {
	var ye yaml.Error
	if errors.As(err, &ye) {
		ce := &ConfigError{File: name, Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			ce.Line, ce.Col = tk.Position.Line, tk.Position.Column
		}
		return ce
	}
	return &ConfigError{File: name, Msg: err.Error()}
}

// validator collects semantic errors, locating each by its YAML path.
type validator struct {
	file string
	dir  string
	ast  *ast.File
	errs ConfigErrors
}

// errorf records an error at the node found by the YAML path (for example
// "$.targets[0].token_url"), falling back to its parents when the key is
// absent.
func (v *validator) errorf(path, format string, args ...any) {
	e := &ConfigError{File: v.file, Msg: fmt.Sprintf(format, args...)}
	for p := path; p != ""; p = parentPath(p) {
		yp, err := yaml.PathString(p)
		if err != nil {
			continue
		}
		n, err := yp.FilterFile(v.ast)
		if err != nil || n == nil {
			continue
		}
		if tk := nodeToken(n); tk != nil && tk.Position != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
			// A mapping value points at its first key; name the parent key.
			if p != path {
				e.Msg = fmt.Sprintf("%s: %s", path[len(p)+1:], e.Msg)
			}
			break
		}
	}
	v.errs = append(v.errs, e)
}

// nodeToken returns the token that best locates n: the first key of a
// mapping (its own token is the ':' of the first pair), else n's token.
func nodeToken(n ast.Node) *token.Token {
	switch m := n.(type) {
	case *ast.MappingNode:
		if len(m.Values) > 0 {
			return m.Values[0].Key.GetToken()
		}
	case *ast.MappingValueNode:
		return m.Key.GetToken()
	}
	return n.GetToken()
}

// parentPath strips the last element of a YAML path; "" at the root.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// path resolves a file name from the configuration.
func (v *validator) path(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(v.dir, name)
}

func (v *validator) validate(c *Config) {
	if len(c.Listeners) == 0 {
		v.errorf("$.listeners", "at least one listener is required")
	}
	seenAddr := map[string]bool{}
	for i := range c.Listeners {
		v.listener(fmt.Sprintf("$.listeners[%d]", i), &c.Listeners[i], seenAddr)
	}
	if len(c.Targets) == 0 {
		v.errorf("$.targets", "at least one target is required")
	}
	targets := map[string]bool{}
	mounts := map[string]string{}
	for i := range c.Targets {
		t := &c.Targets[i]
		p := fmt.Sprintf("$.targets[%d]", i)
		if targets[t.Name] {
			v.errorf(p+".name", "duplicate target name %q", t.Name)
		}
		targets[t.Name] = true
		v.target(p, t)
		if t.Upstream != "" {
			m := strings.TrimSuffix(t.mountPath(), "/")
			if other, dup := mounts[m]; dup {
				v.errorf(p+".mount", "target %q is mounted at %q like target %q", t.Name, t.mountPath(), other)
			}
			mounts[m] = t.Name
		}
	}
	if len(c.Callers) == 0 {
		v.errorf("$.callers", "at least one caller is required")
	}
	callers := map[string]bool{}
	for i := range c.Callers {
		cl := &c.Callers[i]
		p := fmt.Sprintf("$.callers[%d]", i)
		switch {
		case cl.Name == "":
			v.errorf(p+".name", "caller name is required")
		case strings.ContainsAny(cl.Name, ":\x00") || strings.TrimSpace(cl.Name) != cl.Name:
			v.errorf(p+".name", "caller name %q may not contain ':' or surrounding spaces", cl.Name)
		case callers[cl.Name]:
			v.errorf(p+".name", "duplicate caller name %q", cl.Name)
		}
		callers[cl.Name] = true
		h, err := parsePasswordHash(cl.PasswordHash)
		if err != nil {
			v.errorf(p+".password_hash", "%v", err)
		}
		cl.hash = h
		if len(cl.Targets) == 0 {
			v.errorf(p+".targets", "caller %q has no targets", cl.Name)
		}
		for j, tn := range cl.Targets {
			if !targets[tn] {
				v.errorf(fmt.Sprintf("%s.targets[%d]", p, j), "unknown target %q", tn)
			}
		}
		if cl.RateLimit < 0 || cl.Burst < 0 {
			v.errorf(p, "rate_limit and burst must not be negative")
		}
	}
	v.cache(&c.Cache)
	v.limits(&c.Limits)
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		v.errorf("$.log.level", "unknown log level %q (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		v.errorf("$.log.format", "unknown log format %q (want text or json)", c.Log.Format)
	}
}

func (v *validator) listener(p string, l *Listener, seen map[string]bool) {
	host, port, err := net.SplitHostPort(l.Addr)
	if err != nil {
		v.errorf(p+".addr", "listener address %q: want host:port", l.Addr)
		return
	}
	if seen[l.Addr] && port != "0" {
		v.errorf(p+".addr", "duplicate listener address %q", l.Addr)
	}
	seen[l.Addr] = true
	if l.TLS == nil {
		if !isLoopback(host) {
			v.errorf(p+".addr", "plain HTTP listener %q must be on a loopback address (127.0.0.1, ::1 or localhost); configure tls: for other addresses", l.Addr)
		}
		return
	}
	if l.TLS.Cert == "" || l.TLS.Key == "" {
		v.errorf(p+".tls", "tls needs both cert and key")
		return
	}
	l.TLS.Cert, l.TLS.Key = v.path(l.TLS.Cert), v.path(l.TLS.Key)
	if _, err := tls.LoadX509KeyPair(l.TLS.Cert, l.TLS.Key); err != nil {
		v.errorf(p+".tls", "loading TLS certificate: %v", err)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) target(p string, t *Target) {
	if t.Name == "" {
		v.errorf(p+".name", "target name is required")
	} else if !validName(t.Name) {
		v.errorf(p+".name", "target name %q: use letters, digits, '-', '_' and '.' only", t.Name)
	}
	if t.Upstream != "" {
		if u := v.url(p+".upstream", t.Upstream, t.AllowInsecureHTTP); u != nil && (u.RawQuery != "" || u.Fragment != "") {
			v.errorf(p+".upstream", "upstream base URL may not have a query or fragment")
		}
	}
	if t.Mount != "" {
		switch {
		case t.Upstream == "":
			v.errorf(p+".mount", "mount needs an upstream (vending-only targets are not mounted)")
		case !validMount(t.Mount):
			v.errorf(p+".mount", "mount %q must be a clean absolute path of letters, digits, '-', '_', '.', '~' and '/'", t.Mount)
		case reservedPath(t.Mount):
			v.errorf(p+".mount", "mount %q overlaps the broker's own /token, /healthz or /metrics", t.Mount)
		}
	}
	if t.TokenURL == "" {
		v.errorf(p+".token_url", "token_url is required")
	} else {
		v.url(p+".token_url", t.TokenURL, t.AllowInsecureHTTP)
	}
	if t.ClientID == "" {
		v.errorf(p+".client_id", "client_id is required")
	}
	switch t.AuthStyle {
	case "basic", "post":
	case "":
		v.errorf(p+".auth_style", "auth_style is required: basic (client_secret_basic) or post (client_secret_post)")
	default:
		v.errorf(p+".auth_style", "unknown auth_style %q (want basic or post)", t.AuthStyle)
	}
	if t.Profile == "" {
		v.errorf(p+".profile", "profile is required (one of %s)", strings.Join(Profiles, ", "))
	} else if _, ok := defaultAudienceParam[t.Profile]; !ok {
		v.errorf(p+".profile", "unknown profile %q (want one of %s)", t.Profile, strings.Join(Profiles, ", "))
	}
	switch t.AudienceParam {
	case "", "audience", "resource", "scope-default", "none":
	default:
		v.errorf(p+".audience_param", "unknown audience_param %q (want audience, resource, scope-default or none)", t.AudienceParam)
	}
	if t.Audience != "" && t.audienceParam() == "none" {
		if t.AudienceParam == "" {
			v.errorf(p+".audience", "profile %s fixes the token audience on the server (Keycloak: client scopes and audience mappers; Okta: the authorization server); audience would not be sent: remove it, or set audience_param to send it anyway", t.Profile)
		} else {
			v.errorf(p+".audience", "audience_param none: audience would not be sent; remove it")
		}
	}
	if t.Audience != "" && t.audienceParam() == "resource" {
		if u, err := url.Parse(t.Audience); err != nil || !u.IsAbs() || u.Fragment != "" {
			v.errorf(p+".audience", "audience %q is sent as an RFC 8707 resource and must be an absolute URI without fragment", t.Audience)
		}
	}
	if t.Profile == "entra-v2" && t.Audience == "" && len(t.Scopes) == 0 {
		v.errorf(p, "entra-v2 needs an audience (sent as scope <audience>/.default) or scopes")
	}
	if t.Profile == "auth0" && t.Audience == "" {
		v.errorf(p+".audience", "auth0 needs an audience: without it Auth0 issues an opaque token only good for /userinfo")
	}
	for j, r := range t.Resources {
		if u, err := url.Parse(r); err != nil || !u.IsAbs() || u.Fragment != "" {
			v.errorf(fmt.Sprintf("%s.resources[%d]", p, j), "resource %q must be an absolute URI without fragment (RFC 8707)", r)
		}
	}
	for k := range t.ExtraParams {
		switch k {
		case "grant_type", "client_id", "client_secret", "scope", "audience", "resource":
			v.errorf(p+".extra_params."+k, "extra_params may not set %q; use the target's own field", k)
		}
	}
	if t.Timeout < 0 {
		v.errorf(p+".timeout", "timeout must not be negative")
	}
	if t.Timeout == 0 {
		t.Timeout = 10 * time.Second
	}
	secret, err := v.secret(t.ClientSecret)
	if err != nil {
		v.errorf(p+".client_secret", "%v", err)
	}
	t.secret = secret
	t.key = t.cacheKey()
}

// secret resolves a Secret.
func (v *validator) secret(s Secret) (string, error) {
	switch {
	case s.Env != "" && s.File != "":
		return "", errors.New("client_secret: set env or file, not both")
	case s.Env != "":
		val, ok := os.LookupEnv(s.Env)
		if !ok || val == "" {
			return "", fmt.Errorf("client_secret: environment variable %s is not set", s.Env)
		}
		return val, nil
	case s.File != "":
		data, err := os.ReadFile(v.path(s.File))
		if err != nil {
			return "", fmt.Errorf("client_secret: %v", err)
		}
		val := strings.TrimRight(string(data), "\r\n")
		if val == "" {
			return "", fmt.Errorf("client_secret: file %s is empty", s.File)
		}
		return val, nil
	}
	return "", errors.New("client_secret is required: {env: VAR} or {file: PATH}")
}

// url checks an endpoint URL: absolute https, or http on loopback when
// allowed.
func (v *validator) url(p, raw string, allowHTTP bool) *url.URL {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		v.errorf(p, "%q is not an absolute URL", raw)
		return nil
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP {
			v.errorf(p, "%q: https is required (set allow_insecure_http: true for loopback tests)", raw)
		} else if !isLoopback(u.Hostname()) {
			v.errorf(p, "%q: allow_insecure_http only permits loopback hosts", raw)
		}
	default:
		v.errorf(p, "%q: unsupported scheme %q", raw, u.Scheme)
	}
	if u.User != nil {
		v.errorf(p, "%q: credentials in URLs are not allowed", raw)
	}
	return u
}

func (v *validator) cache(c *CachePolicy) {
	for _, d := range []struct {
		name string
		val  time.Duration
	}{{"skew", c.Skew}, {"max_ttl", c.MaxTTL}, {"default_lifetime", c.DefaultLifetime}, {"negative_ttl", c.NegativeTTL},
		{"max_retry_after", c.MaxRetryAfter}, {"breaker_cooldown", c.BreakerCooldown}, {"min_validity", c.MinValidity}, {"wait_timeout", c.WaitTimeout}} {
		if d.val < 0 {
			v.errorf("$.cache."+d.name, "%s must not be negative", d.name)
		}
	}
	if c.RefreshAt < 0 || c.RefreshAt > 1 {
		v.errorf("$.cache.refresh_at", "refresh_at must be between 0 and 1")
	}
	if c.Jitter < 0 || c.Jitter > 0.5 {
		v.errorf("$.cache.jitter", "jitter must be between 0 and 0.5")
	}
	if c.BreakerThreshold < 0 {
		v.errorf("$.cache.breaker_threshold", "breaker_threshold must not be negative")
	}
}

func (v *validator) limits(l *Limits) {
	if l.MaxBodyBytes < 0 || l.MaxHeaderBytes < 0 || l.CallerRate < 0 || l.CallerBurst < 0 || l.LockoutAfter < 0 {
		v.errorf("$.limits", "limits must not be negative")
	}
	for _, d := range []struct {
		name string
		val  time.Duration
	}{{"request_timeout", l.RequestTimeout}, {"read_header_timeout", l.ReadHeaderTimeout}, {"idle_timeout", l.IdleTimeout},
		{"shutdown_timeout", l.ShutdownTimeout}, {"lockout_for", l.LockoutFor}} {
		if d.val < 0 {
			v.errorf("$.limits."+d.name, "%s must not be negative", d.name)
		}
	}
}

func validName(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return s != "" && s != "." && s != ".."
}

// mountPath returns the URL path prefix of a proxy target.
func (t *Target) mountPath() string {
	if t.Mount != "" {
		return t.Mount
	}
	return "/t/" + t.Name
}

func validMount(m string) bool {
	if !strings.HasPrefix(m, "/") || path.Clean(m) != strings.TrimSuffix(m, "/") && m != "/" {
		return false
	}
	for _, r := range m {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-_.~/", r):
		default:
			return false
		}
	}
	return true
}

// reservedPath reports whether a mount would shadow one of the broker's
// own endpoints.
func reservedPath(m string) bool {
	m = strings.TrimSuffix(m, "/")
	for _, r := range []string{"/token", "/healthz", "/metrics"} {
		if m == r || strings.HasPrefix(m, r+"/") {
			return true
		}
	}
	return false
}

// audienceParam returns how the target's audience is sent.
func (t *Target) audienceParam() string {
	if t.AudienceParam != "" {
		return t.AudienceParam
	}
	return defaultAudienceParam[t.Profile]
}

// retryOn401 reports whether the proxy retries once after an upstream 401.
func (t *Target) retryOn401() bool { return t.RetryOn401 == nil || *t.RetryOn401 }

// tokenParams returns the form parameters of the target's token request,
// without client credentials.
func (t *Target) tokenParams() url.Values {
	form := url.Values{"grant_type": {"client_credentials"}}
	scopes := append([]string(nil), t.Scopes...)
	resources := append([]string(nil), t.Resources...)
	if t.Audience != "" {
		switch t.audienceParam() {
		case "audience":
			form.Set("audience", t.Audience)
		case "resource":
			resources = append(resources, t.Audience)
		case "scope-default":
			scopes = append(scopes, strings.TrimSuffix(t.Audience, "/")+"/.default")
		}
	}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	for _, r := range resources {
		form.Add("resource", r)
	}
	for k, val := range t.ExtraParams {
		form.Set(k, val)
	}
	return form
}

// cacheKey digests everything that decides which token the IDP issues, the
// secret included, so that a reload with a new secret or audience starts a
// fresh cache entry (and a closed breaker) while unchanged targets keep
// their tokens.
func (t *Target) cacheKey() string {
	h := sha256.New()
	scopes := append([]string(nil), t.Scopes...)
	sort.Strings(scopes)
	fmt.Fprintf(h, "%q\n%q\n%q\n%q\n", t.TokenURL, t.ClientID, t.secret, t.AuthStyle)
	fmt.Fprintf(h, "%q\n", t.tokenParams().Encode())
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Target returns the named target, or nil.
func (c *Config) Target(name string) *Target {
	for i := range c.Targets {
		if c.Targets[i].Name == name {
			return &c.Targets[i]
		}
	}
	return nil
}

// File returns the path the configuration was read from.
func (c *Config) File() string { return c.file }
