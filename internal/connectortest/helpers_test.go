package connectortest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// EHRbase's default Basic user, which the mock CDR accepts.
const (
	cdrUser     = "ehrbase-user"
	cdrPassword = "SuperSecretPassword"
)

// env is one mock CDR and the connector rendered for a tenant pointing at it.
type env struct {
	cdr   *mockcdr.Server
	res   *render.Result
	clock *eval.VirtualClock
	th    *eval.Thread // the last run's thread, to read its values
	// credential replaces the Basic credential; refresh, if set, serves
	// Extension.CurrentCredential(true) and becomes the new credential.
	credential *eval.Credential
	refresh    func() (*eval.Credential, error)
	// traces collects Diagnostics.Trace messages of the last run.
	traces []string
	// received counts the response body bytes of the last run.
	received int64
}

// countingTransport counts response body bytes.
type countingTransport struct{ n *int64 }

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body = &countingBody{resp.Body, c.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	*b.n += int64(n)
	return n, err
}

// newEnv starts a mock CDR with cfg and renders a Basic tenant of the given
// vendor for it. features is YAML for the tenant's features: key, or "".
func newEnv(t testing.TB, cfg mockcdr.Config, vendor, features string) *env {
	t.Helper()
	return newEnvTenant(t, cfg, vendor, features, "")
}

// newEnvKind is newEnv with the tenant's DataSource.Kind set.
func newEnvKind(t testing.TB, cfg mockcdr.Config, vendor, kind string) *env {
	t.Helper()
	return newEnvTenant(t, cfg, vendor, "", kind)
}

func newEnvTenant(t testing.TB, cfg mockcdr.Config, vendor, features, kind string) *env {
	t.Helper()
	cdr, err := mockcdr.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cdr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cdr.Close() })
	tenant := fmt.Sprintf("id: t\ndisplay_name: T\nbase_url: %s\nvendor: %s\nallow_insecure_http: true\nauth: {pattern: basic}\n", cdr.BaseURL(), vendor)
	if features != "" {
		tenant += "features: " + features + "\n"
	}
	if kind != "" {
		tenant += "kind: " + kind + "\n"
	}
	return &env{cdr: cdr, res: renderTenant(t, tenant)}
}

// renderTenant renders the embedded default connector for one tenant file.
func renderTenant(t testing.TB, tenantYAML string) *render.Result {
	t.Helper()
	fsys := connector.WithTenants(map[string][]byte{"t.yaml": []byte(tenantYAML)})
	p, err := project.Load(fsys, "test")
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(p.Tenants[0])
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// run evaluates expr inside the tenant's section, as Power BI does for a
// refresh with a UsernamePassword credential. "K." in expr stands for the
// tenant's kind, so tests read K.Query(…). The clock is virtual: retry
// waits advance it instead of sleeping.
func (e *env) run(t testing.TB, expr string) (eval.Value, *eval.Thread, error) {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range e.res.Files {
		files[f.Name] = f.Data
	}
	x := &extpkg.Extension{Path: e.res.Kind, SectionFile: e.res.Section, Section: files[e.res.Section], Files: files, Strings: map[string]string{}}
	e.clock = eval.NewVirtualClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	h := &eval.Host{
		HTTP:       &http.Client{Timeout: 30 * time.Second, Transport: countingTransport{&e.received}},
		Clock:      e.clock,
		NewGuid:    eval.SequentialGuids(1),
		Credential: &eval.Credential{AuthenticationKind: "UsernamePassword", Username: cdrUser, Password: cdrPassword},
	}
	e.traces = nil
	e.received = 0
	h.Trace = func(level, message string) { e.traces = append(e.traces, level+" "+message) }
	if e.credential != nil {
		h.Credential = e.credential
	}
	if e.refresh != nil {
		h.RefreshCredential = func() (*eval.Credential, error) {
			c, err := e.refresh()
			if err == nil {
				h.Credential = c
			}
			return c, err
		}
	}
	x.Configure(h)
	th := eval.NewThread(eval.NewEnvironment(), h)
	e.th = th
	s, err := th.LoadSectionSource(e.res.Section, files[e.res.Section])
	if err != nil {
		t.Fatal(err)
	}
	expr = strings.ReplaceAll(expr, "K.", e.res.Kind+".")
	v, err := th.EvalInSection(s, "test.pq", []byte(expr))
	if err == nil {
		err = th.DeepForce(v)
	}
	return v, th, err
}

// eval runs expr and returns its value serialised as M text.
func (e *env) eval(t testing.TB, expr string) string {
	t.Helper()
	v, th, err := e.run(t, expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return eval.Serialize(th, v)
}

// evalErr runs expr, which must fail, and returns the M error.
func (e *env) evalErr(t testing.TB, expr string) *eval.Error {
	t.Helper()
	v, th, err := e.run(t, expr)
	if err == nil {
		t.Fatalf("%s gave %s, want an error", expr, eval.Serialize(th, v))
	}
	me, ok := err.(*eval.Error)
	if !ok {
		t.Fatalf("%s: %v (%T), want an M error", expr, err, err)
	}
	return me
}

// queries returns the query requests the CDR logged since seq.
func (e *env) queries(seq int) []mockcdr.Request {
	var out []mockcdr.Request
	for _, r := range e.cdr.LogSince(seq) {
		if strings.HasPrefix(r.Endpoint, "query.") {
			out = append(out, r)
		}
	}
	return out
}

// mtext quotes s as an M text literal.
func mtext(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
