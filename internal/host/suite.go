package host

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
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
	c, err := BuildConnector(r, t)
	if err != nil {
		return fail("build", err)
	}
	env, err := StartTenantMocks(t, r, MockOptions{IDPConfig: opt.IDPConfig, Start: opt.Start})
	if err != nil {
		return fail("mocks", err)
	}
	defer env.Close()
	o := env.Options()
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
	build := Step{Name: "build", Status: StatusOK, Duration: time.Since(start) - out.Duration, Detail: c.Ext.SectionFile + ", mocks: " + env.Describe()}
	out.Steps = append([]Step{build}, out.Steps...)
	out.Duration = time.Since(start)
	return out
}

// BuildConnector builds one tenant of r's project the way `pqx build`
// packages it (lint, render, the .mez's files) and loads the result.
func BuildConnector(r *render.Renderer, t *project.Tenant) (*Connector, error) {
	res, _, err := build.Package(r, t, []string{"mez"}, &build.Options{})
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Name] = f.Data
	}
	return ConnectorFromFiles(res.Section, files)
}

func mustMText(s string) string {
	m, err := render.MText(s)
	if err != nil {
		panic(err)
	}
	return m
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
	m, err := StartPackageMocks(MockOptions{IDPProfile: opt.IDPProfile, IDPConfig: opt.IDPConfig, CDRProfile: opt.CDRProfile, Routes: opt.Routes})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	o := m.Options()
	o.Journal, o.Queries, o.ParallelRefresh, o.SoakDays = opt.Journal, opt.Queries, opt.ParallelRefresh, opt.SoakDays
	o.Username, o.Password = cmpOr(opt.Username, o.Username), cmpOr(opt.Password, o.Password)
	res := Run(ctx, c, o)
	res.Name = path
	res.Duration = time.Since(start)
	return res, nil
}
