package printer

import (
	"strings"
	"testing"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// TestRoundTripRenderedTenants renders every tenant of the embedded
// connector project and checks that each rendered M file parses, formats to
// an equal tree, and formats idempotently.
func TestRoundTripRenderedTenants(t *testing.T) {
	p, err := project.Load(connector.FS, "(embedded connector)")
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tenant := range p.Tenants {
		res, err := r.Render(tenant)
		if err != nil {
			t.Fatalf("tenant %s: %v", tenant.ID, err)
		}
		for _, f := range res.Files {
			if !strings.HasSuffix(f.Name, ".pq") && !strings.HasSuffix(f.Name, ".pqm") && !strings.HasSuffix(f.Name, ".m") {
				continue
			}
			roundTrip(t, tenant.ID+"/"+f.Name, string(f.Data))
			n++
		}
	}
	if n == 0 {
		t.Fatal("no rendered M files")
	}
	t.Logf("%d rendered files round-tripped", n)
}
