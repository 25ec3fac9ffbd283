package host_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/host"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// Test one tenant of the default connector the way `pqx test` does: build
// it, start a mock IDP of its profile and a mock CDR of its vendor on
// loopback, and run the OAuth dance with the connector's own M code.
func Example() {
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := host.TestProject(context.Background(), p, host.SuiteOptions{Tenants: []string{"generic-okta"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		for _, s := range r.Steps {
			fmt.Println(s.Status, s.Name)
		}
		fmt.Println("parallel refreshes that succeeded:", r.Parallel.Succeeded, "of", r.Parallel.Requests)
	}
	// Output:
	// ok build
	// ok load
	// ok StartLogin
	// ok LoginUri checks
	// ok authorize (headless browser)
	// ok FinishLogin
	// ok TestConnection
	// ok query 1
	// ok expire access token
	// ok Refresh
	// ok TestConnection (refreshed token)
	// ok Refresh again (next scheduled refresh)
	// ok parallel refresh ×4
	// ok FinishLogin refuses an error callback
	// ok FinishLogin refuses a wrong state
	// parallel refreshes that succeeded: 4 of 4
}

// Sign in to one tenant headlessly with the connector's own StartLogin and
// FinishLogin against the tenant's mock IDP, then run a paged query whose
// third page the mock CDR answers with 401: the connector refreshes once
// with Extension.CurrentCredential(true), which runs its own Refresh
// against the mock IDP, and the page is sent again with the new token.
func ExampleLogin() {
	ctx := context.Background()
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := render.New(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	var tenant *project.Tenant
	for _, t := range p.Tenants {
		if t.ID == "ehrbase-auth0" {
			tenant = t
		}
	}
	c, err := host.BuildConnector(r, tenant)
	if err != nil {
		fmt.Println(err)
		return
	}
	mocks, err := host.StartTenantMocks(tenant, r, host.MockOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mocks.Close()

	sess, err := host.Login(ctx, c, host.LoginOptions{Mocks: mocks})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range sess.Steps() {
		fmt.Println(st.Status, st.Name)
	}

	if err := mocks.CDR().AddFault(mockcdr.Fault{Kind: mockcdr.FaultUnauthorized, After: 2, Path: "^/query/"}); err != nil {
		fmt.Println(err)
		return
	}
	th, sec, err := sess.NewThread(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	aql := strings.ReplaceAll(mockcdr.FixtureAQL("Q3"), `"`, `""`)
	v, err := th.EvalInSection(sec, "rows.pq", []byte(c.Kind+`.Query("`+aql+`", null, [PageSize = 1000])`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rows:", v.(*eval.Table).RowCount())
	fmt.Println("refreshes:", sess.Refreshes())
	// Output:
	// ok StartLogin
	// ok LoginUri checks
	// ok authorize (headless browser)
	// ok FinishLogin
	// rows: 2137
	// refreshes: 1
}
