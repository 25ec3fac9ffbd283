package host

import (
	"context"
	"testing"

	"github.com/pqxdev/pqx/internal/build"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/render"
)

// BenchmarkDance is the full OAuth dance for one tenant (ehrbase-auth0)
// against mocks that are already running: StartLogin, LoginUri checks, the
// headless authorize, FinishLogin, TestConnection, an AQL query, expiry, two
// refreshes, TestConnection again and the two error callbacks. Parallel
// refreshes are left out (they revoke the family on purpose). Target: ≤ 20 ms.
func BenchmarkDance(b *testing.B) {
	p := loadDefault(b)
	r, err := render.New(p)
	if err != nil {
		b.Fatal(err)
	}
	tenants, err := build.Select(p, &build.Options{Tenants: []string{"ehrbase-auth0"}})
	if err != nil || len(tenants) != 1 {
		b.Fatal(err)
	}
	res, _, err := build.Package(r, tenants[0], []string{"mez"}, &build.Options{})
	if err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Name] = f.Data
	}
	c, err := ConnectorFromFiles(res.Section, files)
	if err != nil {
		b.Fatal(err)
	}
	env, err := StartTenantMocks(tenants[0], r, MockOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	o := env.Options()
	o.ParallelRefresh = -1
	o.Queries = []string{c.Kind + ".Query(" + mustMText(mockcdr.FixtureAQL("Q1")) + ")"}
	b.ReportAllocs()
	for b.Loop() {
		env.idp.Reset()
		out := Run(context.Background(), c, o)
		if out.Failed() {
			b.Fatalf("%+v", out.Steps)
		}
	}
}

// BenchmarkTestProject is `pqx test` on every example tenant: build, start
// the mocks, run every scenario. Target: ≤ 10 s.
func BenchmarkTestProject(b *testing.B) {
	p := loadDefault(b)
	for b.Loop() {
		results, err := TestProject(context.Background(), p, SuiteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			if r.Failed() {
				b.Fatalf("%s failed", r.Name)
			}
		}
	}
}

// BenchmarkLogin is one headless sign-in (StartLogin, LoginUri checks, the
// authorize navigation, FinishLogin with its token request) against mocks
// that are already running, then one forced refresh through the
// connector's Refresh: what `pqx run-test --oauth-mock` adds to a run.
func BenchmarkLogin(b *testing.B) {
	p := loadDefault(b)
	r, err := render.New(p)
	if err != nil {
		b.Fatal(err)
	}
	tenants, err := build.Select(p, &build.Options{Tenants: []string{"ehrbase-auth0"}})
	if err != nil || len(tenants) != 1 {
		b.Fatal(err)
	}
	c, err := BuildConnector(r, tenants[0])
	if err != nil {
		b.Fatal(err)
	}
	m, err := StartTenantMocks(tenants[0], r, MockOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sess, err := Login(ctx, c, LoginOptions{Mocks: m})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sess.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
