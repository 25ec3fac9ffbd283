package mockcdr

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Config configures a mock CDR. The zero value is an EHRbase-profile server
// with EHRbase's default Basic users on 127.0.0.1 with an ephemeral port.
type Config struct {
	// Profile is the vendor profile: ehrbase (default), better, dips or spec.
	Profile string `yaml:"profile" json:"profile"`
	// Addr is the listen address for Start; it must be a loopback address.
	// Default 127.0.0.1:0.
	Addr string `yaml:"addr" json:"addr"`
	// Seed seeds the data generator; 0 means the default seed 1, so two
	// servers with the same seed serve byte-identical data.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Clock, if set, replaces time.Now (meta._created, token expiry).
	Clock func() time.Time `yaml:"-" json:"-"`
	// FixedTime, if set and Clock is nil, freezes the clock at that instant
	// so result sets are byte-identical between runs (for golden files).
	FixedTime time.Time `yaml:"-" json:"fixed_time,omitempty"`
	// Auth configures authentication.
	Auth AuthConfig `yaml:"auth" json:"auth"`
	// MaxFetch rejects fetch values above it with 422 (EHRbase max-fetch);
	// 0 disables the check.
	MaxFetch int `yaml:"max_fetch" json:"max_fetch"`
	// MaxLimit rejects AQL LIMIT values above it with 422 (EHRbase
	// max-limit); 0 disables the check.
	MaxLimit int `yaml:"max_limit" json:"max_limit"`
	// DefaultLimit caps queries that carry neither fetch nor LIMIT (EHRbase
	// default-limit); 0 means no cap.
	DefaultLimit int `yaml:"default_limit" json:"default_limit"`
	// FetchPrecedence overrides the profile's FetchWithLimit policy
	// ("reject", "min_fetch", "within", "reject_top").
	FetchPrecedence string `yaml:"fetch_precedence" json:"fetch_precedence"`
	// LegacyStoredQueryList serves the stored-query list the way EHRbase
	// before 2.30 did: {"versions":[...]} without q.
	LegacyStoredQueryList bool `yaml:"legacy_stored_query_list" json:"legacy_stored_query_list"`
	// LegacyEHRStatus serves GET /ehr the way EHRbase before 2.30 did: the
	// EHR_STATUS object (with its subject) embedded instead of a reference.
	LegacyEHRStatus bool `yaml:"legacy_ehr_status" json:"legacy_ehr_status"`
	// SubscriptionKey, if set, must arrive in a dips-subscription-key or
	// Ocp-Apim-Subscription-Key header (DIPS API management).
	SubscriptionKey string `yaml:"subscription_key" json:"-"`
	// QueryTimeout is the server-side deadline for a query; a slow fault
	// longer than it is answered with 408. 0 means 5s.
	QueryTimeout time.Duration `yaml:"-" json:"query_timeout"`
	// MaxDelay bounds any injected delay. 0 means 30s.
	MaxDelay time.Duration `yaml:"-" json:"max_delay"`
	// LogLimit bounds the request log; older entries are dropped. 0 means
	// 10,000 entries.
	LogLimit int `yaml:"log_limit" json:"log_limit"`
}

// Auth modes.
const (
	AuthNone   = "none"   // no authentication
	AuthBasic  = "basic"  // Basic only
	AuthBearer = "bearer" // Bearer JWT only
	AuthBoth   = "both"   // Basic or Bearer
)

// AuthConfig configures authentication of API requests. The control API and
// discovery documents are never authenticated.
type AuthConfig struct {
	// Mode is none, basic, bearer or both. Default: basic, or both when
	// JWKSURL is set.
	Mode string `yaml:"mode" json:"mode"`
	// Users are the Basic users; default EHRbase's ehrbase-user (USER) and
	// ehrbase-admin (ADMIN).
	Users []User `yaml:"users" json:"-"`
	// JWKSURL is where signing keys of Bearer tokens are fetched; it must be
	// a loopback http(s) URL.
	JWKSURL string `yaml:"jwks_url" json:"jwks_url,omitempty"`
	// Issuer, if set, must equal the token's iss claim exactly.
	Issuer string `yaml:"issuer" json:"issuer,omitempty"`
	// Audience, if set, must be among the token's aud values (EHRbase checks
	// no audience; Cadasto-style servers do).
	Audience string `yaml:"audience" json:"audience,omitempty"`
	// UserRole and AdminRole name EHRbase's roles (default USER, ADMIN).
	UserRole  string `yaml:"user_role" json:"user_role,omitempty"`
	AdminRole string `yaml:"admin_role" json:"admin_role,omitempty"`
	// RoleRule applies EHRbase's rule to tokens: roles from
	// realm_access.roles and scope must include USER, ADMIN or PROFILE.
	// nil means on for the ehrbase profile and off for the others.
	RoleRule *bool `yaml:"role_rule" json:"role_rule,omitempty"`
	// SMART, if Issuer is set, serves /.well-known/smart-configuration.
	SMART SMARTConfig `yaml:"smart" json:"smart"`
}

// User is a Basic user with roles.
type User struct {
	Name     string   `yaml:"name"`
	Password string   `yaml:"password"`
	Roles    []string `yaml:"roles"`
}

// SMARTConfig are the endpoints advertised by SMART on openEHR discovery.
type SMARTConfig struct {
	Issuer                string `yaml:"issuer" json:"issuer,omitempty"`
	AuthorizationEndpoint string `yaml:"authorization_endpoint" json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string `yaml:"token_endpoint" json:"token_endpoint,omitempty"`
}

// DefaultUsers are EHRbase's default Basic users.
func DefaultUsers() []User {
	return []User{
		{Name: "ehrbase-user", Password: "SuperSecretPassword", Roles: []string{"USER"}},
		{Name: "ehrbase-admin", Password: "EvenMoreSecretPassword", Roles: []string{"ADMIN"}},
	}
}

// LoadConfig reads a YAML (or JSON) configuration file. Unknown fields are
// errors that name the file, line and column.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(path, data)
}

// ParseConfig parses configuration data; name is used in error messages.
func ParseConfig(name string, data []byte) (Config, error) {
	var raw struct {
		Config       `yaml:",inline"`
		QueryTimeout string `yaml:"query_timeout"`
		MaxDelay     string `yaml:"max_delay"`
		FixedTime    string `yaml:"fixed_time"`
	}
	if err := yaml.UnmarshalWithOptions(data, &raw, yaml.Strict()); err != nil {
		return Config{}, fmt.Errorf("%s:%s", name, yamlErrorPos(err))
	}
	cfg := raw.Config
	var err error
	if cfg.QueryTimeout, err = parseDuration(raw.QueryTimeout); err != nil {
		return Config{}, fmt.Errorf("%s: query_timeout: %v", name, err)
	}
	if cfg.MaxDelay, err = parseDuration(raw.MaxDelay); err != nil {
		return Config{}, fmt.Errorf("%s: max_delay: %v", name, err)
	}
	if raw.FixedTime != "" {
		if cfg.FixedTime, err = time.Parse(time.RFC3339, raw.FixedTime); err != nil {
			return Config{}, fmt.Errorf("%s: fixed_time: %q is not an RFC 3339 time", name, raw.FixedTime)
		}
	}
	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %v", name, err)
	}
	return cfg, nil
}

// yamlErrorPos renders a go-yaml error as "line:col: message".
func yamlErrorPos(err error) string {
	var se yaml.Error
	if errors.As(err, &se) {
		if tok := se.GetToken(); tok != nil && tok.Position != nil {
			return fmt.Sprintf("%d:%d: %s", tok.Position.Line, tok.Position.Column, se.GetMessage())
		}
		return " " + se.GetMessage()
	}
	return " " + err.Error()
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %s", s)
	}
	return d, nil
}

// validate checks the configuration and names the offending field.
func (c *Config) validate() error {
	if c.Profile != "" {
		if _, err := LookupProfile(c.Profile); err != nil {
			return fmt.Errorf("profile: %v", err)
		}
	}
	if c.Addr != "" {
		if err := CheckLoopbackAddr(c.Addr); err != nil {
			return fmt.Errorf("addr: %v", err)
		}
	}
	switch c.Auth.Mode {
	case "", AuthNone, AuthBasic, AuthBearer, AuthBoth:
	default:
		return fmt.Errorf("auth.mode: %q is not one of none, basic, bearer, both", c.Auth.Mode)
	}
	if (c.Auth.Mode == AuthBearer || c.Auth.Mode == AuthBoth) && c.Auth.JWKSURL == "" {
		return fmt.Errorf("auth.jwks_url: required for auth mode %s", c.Auth.Mode)
	}
	if c.Auth.JWKSURL != "" {
		if err := checkLoopbackURL(c.Auth.JWKSURL); err != nil {
			return fmt.Errorf("auth.jwks_url: %v", err)
		}
	}
	for i, u := range c.Auth.Users {
		if u.Name == "" || strings.Contains(u.Name, ":") {
			return fmt.Errorf("auth.users[%d].name: must be non-empty and contain no colon", i)
		}
	}
	switch FetchWithLimit(c.FetchPrecedence) {
	case "", FetchReject, FetchMin, FetchWithin, FetchRejectTop:
	default:
		return fmt.Errorf("fetch_precedence: %q is not one of reject, min_fetch, within, reject_top", c.FetchPrecedence)
	}
	for field, v := range map[string]int{"max_fetch": c.MaxFetch, "max_limit": c.MaxLimit, "default_limit": c.DefaultLimit, "log_limit": c.LogLimit} {
		if v < 0 {
			return fmt.Errorf("%s: must not be negative", field)
		}
	}
	if c.QueryTimeout < 0 || c.MaxDelay < 0 {
		return fmt.Errorf("query_timeout, max_delay: must not be negative")
	}
	return nil
}

// CheckLoopbackAddr reports an error unless addr (host:port) names a
// loopback host: the mock CDR serves made-up health data and a control API
// that must never be reachable from another machine.
func CheckLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if !isLoopbackHost(host) {
		return fmt.Errorf("%s is not a loopback address (use 127.0.0.1 or ::1)", addr)
	}
	return nil
}

func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: scheme must be http or https", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%s: host is not loopback", raw)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
