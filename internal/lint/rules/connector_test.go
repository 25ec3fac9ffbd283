package rules

import (
	"bytes"
	"testing"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// renderDefault renders the section document of every tenant of the
// default connector project.
func renderDefault(t *testing.T) []lint.Source { return renderDefaultB(t) }

func renderDefaultB(t testing.TB) []lint.Source {
	t.Helper()
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []lint.Source
	for _, tn := range p.Tenants {
		res, err := r.Render(tn)
		if err != nil {
			t.Fatalf("%s: %v", tn.ID, err)
		}
		for _, f := range res.Files {
			if lint.IsMFile(f.Name) {
				srcs = append(srcs, lint.Source{Name: tn.ID + "/" + f.Name, Content: f.Data})
			}
		}
	}
	if len(srcs) < 5 {
		t.Fatalf("only %d rendered M files", len(srcs))
	}
	return srcs
}

// TestDefaultConnectorClean lints every tenant of the default connector
// with all rules, including the cross-tenant PQX011: the connector pqx
// generates must not trip its own linter.
func TestDefaultConnectorClean(t *testing.T) {
	srcs := renderDefault(t)
	res := LintSources(srcs, lint.Config{})
	if len(res.Diagnostics) > 0 {
		var buf bytes.Buffer
		lint.WriteText(&buf, res.Diagnostics)
		t.Errorf("default connector has %d findings:\n%s", len(res.Diagnostics), buf.String())
	}
}
