package broker

import (
	"fmt"
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

// connectorCaller is a broker caller allowed exactly one target, as a
// connector's credential is: the broker picks the target by the caller.
var connectorCaller = `  - name: connector
    password_hash: "` + testHash + `"
    targets: [cdr]
`

// renderBrokerTenant renders the default connector for a broker tenant
// whose URLs point at the test servers.
func renderBrokerTenant(t *testing.T, tenantYAML string) *render.Result {
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

// runConnector evaluates expr inside the tenant's section with a
// UsernamePassword credential, as Power BI does for a data refresh.
func runConnector(t *testing.T, res *render.Result, user, password, expr string) (eval.Value, error) {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Name] = f.Data
	}
	x := &extpkg.Extension{Path: res.Kind, SectionFile: res.Section, Section: files[res.Section], Files: files, Strings: map[string]string{}}
	h := &eval.Host{
		HTTP:       &http.Client{Timeout: 10 * time.Second},
		Clock:      eval.NewVirtualClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)),
		NewGuid:    eval.SequentialGuids(1),
		Credential: &eval.Credential{AuthenticationKind: "UsernamePassword", Username: user, Password: password},
	}
	x.Configure(h)
	th := eval.NewThread(eval.NewEnvironment(), h)
	s, err := th.LoadSectionSource(res.Section, files[res.Section])
	if err != nil {
		t.Fatal(err)
	}
	v, err := th.EvalInSection(s, "test.pq", []byte(expr))
	if err == nil {
		err = th.DeepForce(v)
	}
	return v, err
}

// queryQ1 runs fixture Q1 through the connector's own Request function and
// returns the number of rows the CDR answered.
func queryQ1(t *testing.T, res *render.Result, password string) (int, error) {
	expr := fmt.Sprintf(`List.Count(Request("query/aql", [Content = Json.FromValue([q = %q])])[rows])`, mockcdr.FixtureAQL("Q1"))
	v, err := runConnector(t, res, "connector", password, expr)
	if err != nil {
		return 0, err
	}
	n, ok := v.(eval.Number)
	if !ok {
		t.Fatalf("row count is %v, not a number", v)
	}
	return int(n.F), nil
}

// TestConnectorThroughBroker runs the default connector's broker template,
// rendered for a tenant, through the broker in both modes: connector (Basic)
// → broker → mock IDP (client_credentials with audience) → mock CDR (Bearer).
func TestConnectorThroughBroker(t *testing.T) {
	for _, mode := range []string{"proxy", "vending"} {
		t.Run(mode, func(t *testing.T) {
			e := newMockEnv(t, mockSecret, connectorCaller)
			var tenant string
			if mode == "proxy" {
				tenant = fmt.Sprintf("id: t\ndisplay_name: T\nbase_url: %s/t/cdr\nvendor: ehrbase\nallow_insecure_http: true\n"+
					"auth: {pattern: broker, broker_mode: proxy}\n", e.url)
			} else {
				tenant = fmt.Sprintf("id: t\ndisplay_name: T\nbase_url: %s\nvendor: ehrbase\nallow_insecure_http: true\n"+
					"auth: {pattern: broker, broker_mode: vending, broker_url: %s}\n", e.cdrBase, e.url)
			}
			res := renderBrokerTenant(t, tenant)

			want := e.cdr.FixtureRows("Q1")
			for i := 0; i < 3; i++ {
				n, err := queryQ1(t, res, testPassword)
				if err != nil {
					t.Fatalf("query %d: %v", i, err)
				}
				if n != want || n == 0 {
					t.Fatalf("query %d: %d rows, want %d", i, n, want)
				}
			}
			if got := len(e.tokenRequests()); got != 1 {
				t.Errorf("%d client_credentials requests reached the IDP for 3 refreshes, want 1 (cached)", got)
			}
			var bearer int
			for _, l := range e.cdr.Log() {
				if l.Status == http.StatusOK && l.Endpoint == "query.aql" && l.AuthScheme == "bearer" && l.Rows == want {
					bearer++
				}
			}
			if bearer != 3 {
				t.Errorf("the CDR answered %d authenticated queries, want 3: %+v", bearer, e.cdr.Log())
			}

			// A wrong password is a credential error in Power BI, and reaches
			// neither the IDP nor the CDR.
			idpBefore, cdrBefore := len(e.idp.Journal().Entries()), len(e.cdr.Log())
			_, err := queryQ1(t, res, "wrong password")
			if err == nil {
				t.Fatal("a wrong broker password gave data")
			}
			if !strings.Contains(err.Error(), "Credential.AccessDenied") {
				t.Errorf("wrong password: %v; want a credential error", err)
			}
			if n := len(e.idp.Journal().Entries()) - idpBefore; n != 0 {
				t.Errorf("a wrong password caused %d IDP requests", n)
			}
			if n := len(e.cdr.Log()) - cdrBefore; n != 0 {
				t.Errorf("a wrong password caused %d CDR requests", n)
			}
		})
	}
}
