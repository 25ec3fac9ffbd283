package host

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/mockidp"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// MockOptions configure StartTenantMocks and StartPackageMocks.
type MockOptions struct {
	// IDPProfile is the mock IDP profile (mockidp.Profiles()). For a
	// tenant, "" means the tenant's own IDP (auth.idp) and any other value
	// replaces it: the tenant's authorize and token URLs are still routed to
	// the mock, whatever paths that profile serves. For a package, ""
	// means strict-rfc.
	IDPProfile string
	// IDPConfig, when set, is laid over the mock IDP's config: its
	// override, faults, scripted authorize outcomes, users, APIs, clients
	// and signing algorithm apply (the format of pqx mock idp --config).
	// For a package its profile, when set, replaces IDPProfile.
	IDPConfig *mockidp.Config
	// CDRProfile is the mock CDR profile of a package; "" means ehrbase.
	// A tenant's CDR profile follows its vendor.
	CDRProfile string
	// Routes map a package's hard-coded URL prefixes to "idp" or "cdr". An
	// idp route keeps the path below the origin (mock IDP profiles serve
	// the real IDPs' paths); a cdr route's prefix is the openEHR API root.
	// Tenants need none: their routes follow from the tenant file.
	Routes map[string]string
	// Start is the virtual start time of the shared clock; zero means
	// 2025-01-01T00:00:00Z. The clock stays frozen there until a test
	// advances it.
	Start time.Time
}

// Mocks is the loopback world one connector is tested in: a mock IDP (for
// OAuth and vending-broker tenants, and for packages), a mock CDR, the
// Router that sends the connector's hard-coded URLs to them, and the
// virtual clock they share. Close stops the servers.
type Mocks struct {
	idp *mockidp.Server
	cdr *mockcdr.Server
	// opt holds the Router, Clock, IDP and UsernamePassword credential a
	// Run against these mocks uses.
	opt Options
}

// IDP returns the mock IDP, or nil when the tenant signs in without one
// (Basic and proxy-broker tenants).
func (m *Mocks) IDP() *mockidp.Server { return m.idp }

// CDR returns the mock CDR, or nil for a package without a cdr route.
func (m *Mocks) CDR() *mockcdr.Server { return m.cdr }

// Router returns the HTTP transport that routes the connector's URLs to
// the mocks and refuses any other non-loopback destination.
func (m *Mocks) Router() *Router { return m.opt.Router }

// Clock returns the virtual clock the mocks share.
func (m *Mocks) Clock() *mockidp.Clock { return m.opt.Clock }

// Options returns Run options preset for these mocks: Router, Clock, IDP,
// AutoRouteIDP for packages, and the UsernamePassword credential the mock
// CDR (or the broker's token endpoint) accepts.
func (m *Mocks) Options() Options { return m.opt }

// Close stops the mock servers and closes the router's idle connections.
func (m *Mocks) Close() {
	if m.idp != nil {
		m.idp.Close()
	}
	if m.cdr != nil {
		m.cdr.Close()
	}
	if m.opt.Router != nil {
		m.opt.Router.CloseIdleConnections()
	}
}

// Describe names the mocks' profiles ("IDP keycloak, CDR better").
func (m *Mocks) Describe() string {
	var parts []string
	if m.idp != nil {
		parts = append(parts, "IDP "+m.idp.Profile().Name)
	}
	if m.cdr != nil {
		parts = append(parts, "CDR "+m.cdr.Profile().Name)
	}
	return strings.Join(parts, ", ")
}

// cdrProfile maps a tenant vendor to the mock CDR profile that behaves like it.
func cdrProfile(vendor string) string {
	switch vendor {
	case "ehrbase", "better", "dips":
		return vendor
	}
	return "spec"
}

func startClock(t0 time.Time) *mockidp.Clock {
	if t0.IsZero() {
		t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return mockidp.NewClock(t0)
}

// StartTenantMocks starts the mocks for one tenant of a pqx project, on
// 127.0.0.1 with ephemeral ports, the way `pqx test` does: for an
// oauth-pkce tenant a mock IDP of its profile with its client_id
// registered for the Power BI redirect, its authorize and token URLs (and
// their origins) routed there; for a vending broker the broker's /token
// routed to the mock IDP's client_credentials endpoint; and a mock CDR of
// its vendor's profile at its base_url, which for OAuth tenants accepts the
// mock IDP's tokens (EHRbase's role rule off: the host tests the OAuth
// contract, not a realm's role mapping). r must be the renderer of the
// tenant's project.
func StartTenantMocks(t *project.Tenant, r *render.Renderer, opt MockOptions) (m *Mocks, err error) {
	m = &Mocks{}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	clk := startClock(opt.Start)
	m.opt.Clock = clk
	a := t.Auth
	var routes []Route
	needIDP := a.Pattern == "oauth-pkce" || (a.Pattern == "broker" && a.BrokerMode == "vending")
	if needIDP {
		cfg := mockidp.Config{Profile: "strict-rfc", Clock: clk, Clients: mockidp.DefaultClients()}
		if a.Pattern == "oauth-pkce" {
			cfg.Profile = cmpOr(opt.IDPProfile, a.IDP)
			cfg.Vars = map[string]string{}
			if a.Realm != "" {
				cfg.Vars["realm"] = a.Realm
			}
			if a.Tenant != "" {
				cfg.Vars["tenant"] = a.Tenant
			}
			if cfg.Profile == "okta" {
				cfg.Vars["server"] = cmpOr(a.AuthorizationServer, "default")
			}
			cfg.Clients = append(cfg.Clients, mockidp.Client{ID: a.ClientID, RedirectURIs: []string{PowerBIRedirect}, RedirectType: "native"})
		}
		overlay(&cfg, opt.IDPConfig)
		if m.idp, err = mockidp.New(cfg); err != nil {
			return m, fmt.Errorf("mock IDP (profile %s): %w", cfg.Profile, err)
		}
		if err = m.idp.Start("127.0.0.1:0"); err != nil {
			return m, err
		}
		m.opt.IDP = m.idp
		ep := m.idp.Endpoints()
		if a.Pattern == "oauth-pkce" {
			authz, tok, err := endpointURLs(t, r)
			if err != nil {
				return m, err
			}
			routes = append(routes,
				Route{Prefix: authz, Target: ep.Authorize, Name: "idp"},
				Route{Prefix: tok, Target: ep.Token, Name: "idp"},
				Route{Prefix: origin(authz), Target: m.idp.URL(), Name: "idp"})
			if o := origin(tok); o != origin(authz) {
				routes = append(routes, Route{Prefix: o, Target: m.idp.URL(), Name: "idp"})
			}
		} else {
			// The broker's token endpoint is a client_credentials token
			// endpoint behind Basic: the mock IDP's, with its service client.
			routes = append(routes, Route{Prefix: strings.TrimSuffix(a.BrokerURL, "/") + "/token", Target: ep.Token, Name: "idp"})
			m.opt.Username, m.opt.Password = mockidp.DefaultServiceClient, mockidp.DefaultServiceSecret
		}
	}
	ccfg := mockcdr.Config{Profile: cdrProfile(t.Vendor), Clock: clk.Now}
	if needIDP {
		off := false
		ccfg.Auth = mockcdr.AuthConfig{Mode: mockcdr.AuthBearer, JWKSURL: m.idp.Endpoints().JWKS, RoleRule: &off}
	} else {
		m.opt.Username, m.opt.Password = cdrUser, cdrPassword
	}
	if m.cdr, err = mockcdr.New(ccfg); err != nil {
		return m, fmt.Errorf("mock CDR (profile %s): %w", ccfg.Profile, err)
	}
	if err = m.cdr.Start(); err != nil {
		return m, err
	}
	routes = append(routes, Route{Prefix: t.BaseURL, Target: m.cdr.BaseURL(), Name: "cdr"})
	m.opt.Router, err = NewRouter(nil, routes...)
	return m, err
}

// StartPackageMocks starts the mocks for a connector pqx did not build (a
// .mez/.pqx package or a folder): a mock IDP that registers the client_id
// and redirect URI it sees at /authorize, a mock CDR when a route sends
// anything to "cdr" (accepting the IDP's tokens and the EHRbase test user),
// and a router with opt.Routes. Run and Login route the origin of
// StartLogin's LoginUri to the mock IDP when no route covers it.
func StartPackageMocks(opt MockOptions) (m *Mocks, err error) {
	m = &Mocks{}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	clk := startClock(opt.Start)
	cfg := mockidp.Config{Profile: cmpOr(opt.IDPProfile, "strict-rfc"), Clock: clk, AutoRegister: true}
	if opt.IDPConfig != nil && opt.IDPConfig.Profile != "" {
		cfg.Profile = opt.IDPConfig.Profile
	}
	overlay(&cfg, opt.IDPConfig)
	if m.idp, err = mockidp.New(cfg); err != nil {
		return m, fmt.Errorf("mock IDP (profile %s): %w", cfg.Profile, err)
	}
	if err = m.idp.Start("127.0.0.1:0"); err != nil {
		return m, err
	}
	var routes []Route
	for prefix, to := range opt.Routes {
		u, err := url.Parse(prefix)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return m, fmt.Errorf("route %q: prefix is not an absolute URL", prefix)
		}
		switch to {
		case "idp":
			routes = append(routes, Route{Prefix: prefix, Target: m.idp.URL() + strings.TrimSuffix(u.Path, "/"), Name: "idp"})
		case "cdr":
			if m.cdr == nil {
				off := false
				m.cdr, err = mockcdr.New(mockcdr.Config{
					Profile: cmpOr(opt.CDRProfile, "ehrbase"), Clock: clk.Now,
					Auth: mockcdr.AuthConfig{Mode: mockcdr.AuthBoth, JWKSURL: m.idp.Endpoints().JWKS, RoleRule: &off},
				})
				if err != nil {
					return m, err
				}
				if err := m.cdr.Start(); err != nil {
					return m, err
				}
			}
			routes = append(routes, Route{Prefix: prefix, Target: m.cdr.BaseURL(), Name: "cdr"})
		default:
			return m, fmt.Errorf("route %q: target %q must be idp or cdr", prefix, to)
		}
	}
	if m.opt.Router, err = NewRouter(nil, routes...); err != nil {
		return m, err
	}
	m.opt.Clock, m.opt.IDP, m.opt.AutoRouteIDP = clk, m.idp, true
	m.opt.Username, m.opt.Password = cdrUser, cdrPassword
	return m, nil
}

// errNoTenantIDP is returned by Login for mocks without an IDP.
var errNoTenantIDP = errors.New("these mocks have no IDP: the tenant does not sign in with OAuth")

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// endpointURLs returns the tenant's authorize and token URLs, resolved
// from its IDP profile exactly as its connector was rendered.
func endpointURLs(t *project.Tenant, r *render.Renderer) (string, string, error) {
	a, err := r.Auth(t)
	if err != nil {
		return "", "", err
	}
	return a.AuthorizeURL, a.TokenURL, nil
}

// overlay applies the scenario parts of a user's mock IDP config.
func overlay(cfg *mockidp.Config, o *mockidp.Config) {
	if o == nil {
		return
	}
	cfg.Override = o.Override
	cfg.Faults = o.Faults
	cfg.Authorize = o.Authorize
	cfg.Users = o.Users
	cfg.APIs = o.APIs
	cfg.Vars = mergeVars(cfg.Vars, o.Vars)
	if o.Signing != "" {
		cfg.Signing = o.Signing
	}
	cfg.Clients = append(cfg.Clients, o.Clients...)
}

func mergeVars(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
