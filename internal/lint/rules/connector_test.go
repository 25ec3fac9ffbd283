package rules

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
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

// TestLintUnits lints the default connector's tenants as pqx build would,
// then a copy of one tenant under another ID: both copies collide (PQX011)
// and only the copy is counted as failing.
func TestLintUnits(t *testing.T) {
	srcs := renderDefault(t)
	var units []Unit
	for _, s := range srcs {
		units = append(units, Unit{ID: s.Name[:strings.IndexByte(s.Name, '/')], Sources: []lint.Source{s}})
	}
	res, errs := LintUnits(units, lint.Config{})
	if len(res.Diagnostics) != 0 || len(errs) != 0 {
		t.Fatalf("default tenants: %v %v", res.Diagnostics, errs)
	}
	dup := lint.Source{Name: "copy/" + srcs[0].Name, Content: srcs[0].Content}
	insecure := lint.Source{Name: "lab/Lab.pq", Content: []byte(`section Lab; A = "http://cdr.lab.example/v1";`)}
	units = append(units,
		Unit{ID: "copy", Sources: []lint.Source{dup}},
		Unit{ID: "lab", Sources: []lint.Source{insecure}, Options: Options{AllowHTTPHosts: []string{"*"}}})
	res, errs = LintUnits(units, lint.Config{})
	if errs["copy"] != 1 || len(errs) != 1 {
		t.Errorf("errors per unit = %v, want copy:1", errs)
	}
	for _, d := range res.Diagnostics {
		if d.Rule != KindsRule {
			t.Errorf("unexpected %s", d.Message)
		}
	}
	if n := len(findings("lab/Lab.pq", string(insecure.Content), "PQX003")); n != 1 {
		t.Errorf("the unit's options outlived LintUnits: %d findings", n)
	}
}

// TestConcurrentLint lints the testdata sources from several goroutines at
// once (pqx build lints tenants in parallel): the shared analysis cache and
// options must give the same findings as a sequential run. Run with -race.
func TestConcurrentLint(t *testing.T) {
	srcs := corpus(t)
	want := make([]int, len(srcs))
	for i, src := range srcs {
		want[i] = len(lint.Lint("c.pq", src, lint.Config{}))
	}
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, src := range srcs {
				if got := len(lint.Lint("c.pq", src, lint.Config{})); got != want[i] {
					errs <- fmt.Sprintf("source %d: %d findings, want %d", i, got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
