package mockidp

import (
	"fmt"
	"net/url"
	"os"
	"time"
)

// PowerBIRedirect is the redirect URI every Power Query connector uses.
const PowerBIRedirect = "https://oauth.powerbi.com/views/oauthredirect.html"

// Names of the clients registered when a Config names none, so tests and
// scripts can rely on them. The secrets are test values, not secrets.
const (
	DefaultPublicClient       = "pqx-public"
	DefaultConfidentialClient = "pqx-confidential"
	DefaultConfidentialSecret = "pqx-confidential-secret"
	DefaultServiceClient      = "pqx-service"
	DefaultServiceSecret      = "pqx-service-secret"
)

// Config configures a Server. The zero value is valid: the strict-rfc
// profile with the default clients and user.
type Config struct {
	// Profile is the built-in profile name; "" means strict-rfc.
	Profile string `yaml:"profile" json:"profile"`
	// Override changes profile fields; it is decoded on top of the profile,
	// so it names only what differs (e.g. refresh: {reuse_interval: 10s}).
	Override map[string]any `yaml:"override" json:"override,omitempty"`
	// Vars fill the profile's {placeholders} (tenant, realm, server).
	Vars map[string]string `yaml:"vars" json:"vars,omitempty"`
	// Signing overrides the profile's algorithm (ES256 or RS256).
	Signing string `yaml:"signing" json:"signing,omitempty"`
	// Clients replace the default clients when non-empty.
	Clients []Client `yaml:"clients" json:"clients,omitempty"`
	// Users are the subjects /authorize approves as; the first is the
	// default. Empty means one user "alice".
	Users []User `yaml:"users" json:"users,omitempty"`
	// APIs are the audiences or resources the server knows. When empty any
	// syntactically valid audience is accepted.
	APIs []string `yaml:"apis" json:"apis,omitempty"`
	// Faults are installed at start and after every Reset: a scenario
	// file is a config with faults (and authorize outcomes).
	Faults []Fault `yaml:"faults" json:"faults,omitempty"`
	// Authorize queues outcomes for the first /authorize requests.
	Authorize []AuthorizeOutcome `yaml:"authorize" json:"authorize,omitempty"`
	// AutoRegister registers an unknown client_id at /authorize as a public
	// client with the redirect_uri it presents (for testing connectors with
	// hard-coded client ids).
	AutoRegister bool `yaml:"auto_register" json:"auto_register,omitempty"`
	// StartTime freezes the virtual clock at that instant; zero follows
	// real time plus whatever Advance added.
	StartTime time.Time `yaml:"start_time" json:"start_time,omitempty"`
	// Clock, when set, is used instead of a new clock, so that a host and
	// several mocks (IDP, CDR) share one virtual time. StartTime is then
	// ignored.
	Clock *Clock `yaml:"-" json:"-"`
	// EnforceRateLimits applies the profile's token-endpoint rate limit.
	EnforceRateLimits bool `yaml:"enforce_rate_limits" json:"enforce_rate_limits,omitempty"`
	// JournalLimit caps the journal (default 100000 entries).
	JournalLimit int `yaml:"journal_limit" json:"journal_limit,omitempty"`
	// MaxRealDelay caps real sleeps of latency and hold faults (default 10 s).
	MaxRealDelay Duration `yaml:"max_real_delay" json:"max_real_delay,omitempty"`
}

// Client is a registered OAuth client.
type Client struct {
	ID string `yaml:"id" json:"id"`
	// Secret makes the client confidential; "" is a public client.
	Secret       string   `yaml:"secret" json:"secret,omitempty"`
	RedirectURIs []string `yaml:"redirect_uris" json:"redirect_uris,omitempty"`
	// AuthMethod pins client_secret_basic or client_secret_post; "" accepts
	// either for confidential clients (none for public ones).
	AuthMethod string `yaml:"auth_method" json:"auth_method,omitempty"`
	// GrantTypes allowed; empty means authorization_code and refresh_token,
	// plus client_credentials for confidential clients.
	GrantTypes []string `yaml:"grant_types" json:"grant_types,omitempty"`
	// Scopes allowed at /authorize and client_credentials; empty = any.
	Scopes []string `yaml:"scopes" json:"scopes,omitempty"`
	// RedirectType is "web" or "native" (Entra's platform types); it
	// decides whether a client without a secret may redeem codes.
	RedirectType string `yaml:"redirect_type" json:"redirect_type,omitempty"`
}

// User is a subject the mock signs in headlessly.
type User struct {
	Subject string `yaml:"sub" json:"sub"`
	Name    string `yaml:"name" json:"name,omitempty"`
	Email   string `yaml:"email" json:"email,omitempty"`
}

func (c *Client) public() bool { return c.Secret == "" }

func (c *Client) allows(grant string) bool {
	if len(c.GrantTypes) == 0 {
		return grant == "authorization_code" || grant == "refresh_token" ||
			grant == "client_credentials" && !c.public()
	}
	for _, g := range c.GrantTypes {
		if g == grant {
			return true
		}
	}
	return false
}

// DefaultClients are the clients of a Config without clients: a public PKCE
// client and a confidential one, both with the Power BI redirect URI, and a
// confidential client_credentials-only service client.
func DefaultClients() []Client {
	return []Client{
		{ID: DefaultPublicClient, RedirectURIs: []string{PowerBIRedirect}, RedirectType: "native"},
		{ID: DefaultConfidentialClient, Secret: DefaultConfidentialSecret, RedirectURIs: []string{PowerBIRedirect}, RedirectType: "web"},
		{ID: DefaultServiceClient, Secret: DefaultServiceSecret, GrantTypes: []string{"client_credentials"}},
	}
}

// LoadConfig reads a YAML or JSON config file. Errors name file:line:col.
func LoadConfig(file string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(file)
	if err != nil {
		return cfg, err
	}
	if err := decodeYAML(file, data, &cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.check(file)
}

func (cfg *Config) check(where string) error {
	seen := map[string]bool{}
	for i, c := range cfg.Clients {
		field := fmt.Sprintf("%s: clients[%d]", where, i)
		if c.ID == "" {
			return fmt.Errorf("%s.id: missing", field)
		}
		if seen[c.ID] {
			return fmt.Errorf("%s.id: duplicate client %q", field, c.ID)
		}
		seen[c.ID] = true
		if err := checkClient(&c); err != nil {
			return fmt.Errorf("%s.%v", field, err)
		}
	}
	for i, u := range cfg.Users {
		if u.Subject == "" {
			return fmt.Errorf("%s: users[%d].sub: missing", where, i)
		}
	}
	for i := range cfg.Faults {
		if err := cfg.Faults[i].normalize(); err != nil {
			return fmt.Errorf("%s: faults[%d]: %v", where, i, err)
		}
	}
	for i, o := range cfg.Authorize {
		if err := o.check(); err != nil {
			return fmt.Errorf("%s: authorize[%d]: %v", where, i, err)
		}
	}
	if cfg.Signing != "" {
		if err := oneOf("signing", cfg.Signing, "ES256", "RS256"); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
	}
	return nil
}

func checkClient(c *Client) error {
	for j, r := range c.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("redirect_uris[%d]: %q must be an absolute URI without fragment", j, r)
		}
	}
	if err := oneOf("auth_method", c.AuthMethod, "", "none", "client_secret_basic", "client_secret_post"); err != nil {
		return err
	}
	if c.AuthMethod == "none" && c.Secret != "" || (c.AuthMethod == "client_secret_basic" || c.AuthMethod == "client_secret_post") && c.Secret == "" {
		return fmt.Errorf("auth_method: %q does not fit a client %s a secret", c.AuthMethod, map[bool]string{true: "with", false: "without"}[c.Secret != ""])
	}
	if err := oneOf("redirect_type", c.RedirectType, "", "web", "native"); err != nil {
		return err
	}
	for j, g := range c.GrantTypes {
		if err := oneOf(fmt.Sprintf("grant_types[%d]", j), g, "authorization_code", "refresh_token", "client_credentials"); err != nil {
			return err
		}
	}
	return nil
}
