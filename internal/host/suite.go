package host

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pqxdev/pqx/internal/build"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/mockidp"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// SuiteOptions configure TestProject.
type SuiteOptions struct {
	// Tenants are glob patterns over tenant ids; empty selects all.
	Tenants []string
	// ParallelRefresh, SoakDays and SoakEvery as in Options.
	ParallelRefresh int
	SoakDays        int
	SoakEvery       time.Duration
	// Workers bounds tenants tested at once; 0 means GOMAXPROCS.
	Workers int
	// Journal keeps the IDP journal of passing tenants too.
	Journal bool
	// IDPConfig, when set, is laid over each tenant's mock IDP config: its
	// override, faults, scripted authorize outcomes, users, APIs and signing
	// algorithm apply; the profile, clients and clock stay the tenant's.
	IDPConfig *mockidp.Config
	// Start is the virtual start time of every tenant's clock; zero means
	// 2025-01-01T00:00:00Z.
	Start time.Time
}

// The mock CDR's well-known EHRbase test user (internal/mockcdr defaults).
const (
	cdrUser     = "ehrbase-user"
	cdrPassword = "SuperSecretPassword"
)

// TestProject builds every selected tenant of p, starts a mock IDP and a
// mock CDR for each and runs the host scenarios. Results are in tenant
// order. The error is for a bad selection only; failures are in the results.
func TestProject(ctx context.Context, p *project.Project, opt SuiteOptions) ([]*Result, error) {
	tenants, err := build.Select(p, &build.Options{Tenants: opt.Tenants})
	if err != nil {
		return nil, err
	}
	if len(tenants) == 0 {
		return nil, errors.New("no tenant matches the selection")
	}
	r, err := render.New(p)
	if err != nil {
		return nil, err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]*Result, len(tenants))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, t := range tenants {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = TestTenant(ctx, r, t, opt)
		}()
	}
	wg.Wait()
	return results, nil
}

// TestTenant builds one tenant and runs the host scenarios against mocks
// configured from it.
func TestTenant(ctx context.Context, r *render.Renderer, t *project.Tenant, opt SuiteOptions) *Result {
	start := time.Now()
	fail := func(step string, err error) *Result {
		return &Result{Name: t.ID, Steps: []Step{{Name: step, Status: StatusFail, Error: err.Error(), Duration: time.Since(start)}}, Duration: time.Since(start)}
	}
	res, _, err := build.Package(r, t, []string{"mez"}, &build.Options{})
	if err != nil {
		return fail("build", err)
	}
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Name] = f.Data
	}
	c, err := ConnectorFromFiles(res.Section, files)
	if err != nil {
		return fail("build", err)
	}
	env, err := newTenantEnv(t, r, opt)
	if err != nil {
		return fail("mocks", err)
	}
	defer env.close()
	o := env.opt
	o.ParallelRefresh = opt.ParallelRefresh
	o.SoakDays, o.SoakEvery = opt.SoakDays, opt.SoakEvery
	o.Journal = opt.Journal
	// The AQL query function of pqx's connector template, when the
	// section has it.
	if slices.Contains(c.Shared, c.Kind+".Query") {
		o.Queries = []string{fmt.Sprintf("%s.Query(%s)", c.Kind, mustMText(mockcdr.FixtureAQL("Q1")))}
	}
	out := Run(ctx, c, o)
	out.Name = t.ID
	build := Step{Name: "build", Status: StatusOK, Duration: time.Since(start) - out.Duration, Detail: res.Section + ", mocks: " + env.describe()}
	out.Steps = append([]Step{build}, out.Steps...)
	out.Duration = time.Since(start)
	return out
}

func mustMText(s string) string {
	m, err := render.MText(s)
	if err != nil {
		panic(err)
	}
	return m
}

// tenantEnv is the mock world of one tenant.
type tenantEnv struct {
	idp *mockidp.Server
	cdr *mockcdr.Server
	opt Options
}

func (e *tenantEnv) close() {
	if e.idp != nil {
		e.idp.Close()
	}
	if e.cdr != nil {
		e.cdr.Close()
	}
	if e.opt.Router != nil {
		e.opt.Router.CloseIdleConnections()
	}
}

func (e *tenantEnv) describe() string {
	var parts []string
	if e.idp != nil {
		parts = append(parts, "IDP "+e.idp.Profile().Name)
	}
	if e.cdr != nil {
		parts = append(parts, "CDR "+e.cdr.Profile().Name)
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

func newTenantEnv(t *project.Tenant, r *render.Renderer, opt SuiteOptions) (env *tenantEnv, err error) {
	env = &tenantEnv{}
	defer func() {
		if err != nil {
			env.close()
		}
	}()
	t0 := opt.Start
	if t0.IsZero() {
		t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	clk := mockidp.NewClock(t0)
	env.opt.Clock = clk
	a := t.Auth
	var routes []Route
	needIDP := a.Pattern == "oauth-pkce" || (a.Pattern == "broker" && a.BrokerMode == "vending")
	if needIDP {
		cfg := mockidp.Config{Profile: "strict-rfc", Clock: clk, Clients: mockidp.DefaultClients()}
		if a.Pattern == "oauth-pkce" {
			cfg.Profile = a.IDP
			cfg.Vars = map[string]string{}
			if a.Realm != "" {
				cfg.Vars["realm"] = a.Realm
			}
			if a.Tenant != "" {
				cfg.Vars["tenant"] = a.Tenant
			}
			if a.IDP == "okta" {
				cfg.Vars["server"] = cmpOr(a.AuthorizationServer, "default")
			}
			cfg.Clients = append(cfg.Clients, mockidp.Client{ID: a.ClientID, RedirectURIs: []string{PowerBIRedirect}, RedirectType: "native"})
		}
		overlay(&cfg, opt.IDPConfig)
		if env.idp, err = mockidp.New(cfg); err != nil {
			return env, fmt.Errorf("mock IDP (profile %s): %w", cfg.Profile, err)
		}
		if err = env.idp.Start("127.0.0.1:0"); err != nil {
			return env, err
		}
		env.opt.IDP = env.idp
		ep := env.idp.Endpoints()
		if a.Pattern == "oauth-pkce" {
			authz, tok, err := endpointURLs(t, r)
			if err != nil {
				return env, err
			}
			routes = append(routes,
				Route{Prefix: authz, Target: ep.Authorize, Name: "idp"},
				Route{Prefix: tok, Target: ep.Token, Name: "idp"},
				Route{Prefix: origin(authz), Target: env.idp.URL(), Name: "idp"})
			if o := origin(tok); o != origin(authz) {
				routes = append(routes, Route{Prefix: o, Target: env.idp.URL(), Name: "idp"})
			}
		} else {
			// The broker's token endpoint is a client_credentials token
			// endpoint behind Basic: the mock IDP's, with its service client.
			routes = append(routes, Route{Prefix: strings.TrimSuffix(a.BrokerURL, "/") + "/token", Target: ep.Token, Name: "idp"})
			env.opt.Username, env.opt.Password = mockidp.DefaultServiceClient, mockidp.DefaultServiceSecret
		}
	}
	ccfg := mockcdr.Config{Profile: cdrProfile(t.Vendor), Clock: clk.Now}
	if needIDP {
		off := false
		ccfg.Auth = mockcdr.AuthConfig{Mode: mockcdr.AuthBearer, JWKSURL: env.idp.Endpoints().JWKS, RoleRule: &off}
	} else {
		env.opt.Username, env.opt.Password = cdrUser, cdrPassword
	}
	if env.cdr, err = mockcdr.New(ccfg); err != nil {
		return env, fmt.Errorf("mock CDR (profile %s): %w", ccfg.Profile, err)
	}
	if err = env.cdr.Start(); err != nil {
		return env, err
	}
	routes = append(routes, Route{Prefix: t.BaseURL, Target: env.cdr.BaseURL(), Name: "cdr"})
	env.opt.Router, err = NewRouter(nil, routes...)
	return env, err
}

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

// PackageOptions configure TestPackage.
type PackageOptions struct {
	// IDPProfile is the mock IDP profile (mockidp.Profiles()).
	IDPProfile string
	// CDRProfile is the mock CDR profile; "" means ehrbase.
	CDRProfile string
	// Routes map the connector's hard-coded URL prefixes to "idp" or "cdr".
	// An idp route keeps the path below the origin (mock IDP profiles serve
	// the real IDPs' paths); a cdr route's prefix is the openEHR API root.
	Routes map[string]string
	// Username and Password for UsernamePassword connectors; "" means the
	// mock CDR's test user.
	Username, Password string
	// Journal as in SuiteOptions.
	Journal bool
	// IDPConfig as in SuiteOptions; its profile, when set, replaces
	// IDPProfile.
	IDPConfig *mockidp.Config
	// Queries as in Options.
	Queries         []string
	ParallelRefresh int
	SoakDays        int
}

// TestPackage runs the host scenarios for a connector pqx did not build (a
// .mez/.pqx package or a connector folder): the mock IDP registers the
// client_id and redirect URI it sees at /authorize, and the routes send the
// connector's hard-coded URLs to the mocks.
func TestPackage(ctx context.Context, path string, opt PackageOptions) (*Result, error) {
	start := time.Now()
	c, err := LoadConnector(path)
	if err != nil {
		return nil, err
	}
	clk := mockidp.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	env := &tenantEnv{}
	defer env.close()
	cfg := mockidp.Config{Profile: opt.IDPProfile, Clock: clk, AutoRegister: true}
	if opt.IDPConfig != nil && opt.IDPConfig.Profile != "" {
		cfg.Profile = opt.IDPConfig.Profile
	}
	overlay(&cfg, opt.IDPConfig)
	env.idp, err = mockidp.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := env.idp.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	var routes []Route
	for prefix, to := range opt.Routes {
		u, err := url.Parse(prefix)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("route %q: prefix is not an absolute URL", prefix)
		}
		switch to {
		case "idp":
			routes = append(routes, Route{Prefix: prefix, Target: env.idp.URL() + strings.TrimSuffix(u.Path, "/"), Name: "idp"})
		case "cdr":
			if env.cdr == nil {
				off := false
				env.cdr, err = mockcdr.New(mockcdr.Config{
					Profile: cmpOr(opt.CDRProfile, "ehrbase"), Clock: clk.Now,
					Auth: mockcdr.AuthConfig{Mode: mockcdr.AuthBoth, JWKSURL: env.idp.Endpoints().JWKS, RoleRule: &off},
				})
				if err != nil {
					return nil, err
				}
				if err := env.cdr.Start(); err != nil {
					return nil, err
				}
			}
			routes = append(routes, Route{Prefix: prefix, Target: env.cdr.BaseURL(), Name: "cdr"})
		default:
			return nil, fmt.Errorf("route %q: target %q must be idp or cdr", prefix, to)
		}
	}
	router, err := NewRouter(nil, routes...)
	if err != nil {
		return nil, err
	}
	env.opt.Router = router
	res := Run(ctx, c, Options{
		Router: router, Clock: clk, IDP: env.idp, AutoRouteIDP: true, Journal: opt.Journal,
		Username: cmpOr(opt.Username, cdrUser), Password: cmpOr(opt.Password, cdrPassword),
		Queries: opt.Queries, ParallelRefresh: opt.ParallelRefresh, SoakDays: opt.SoakDays,
	})
	res.Name = path
	res.Duration = time.Since(start)
	return res, nil
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
