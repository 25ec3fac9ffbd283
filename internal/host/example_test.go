package host_test

import (
	"context"
	"fmt"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/host"
	"github.com/pqxdev/pqx/internal/project"
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
