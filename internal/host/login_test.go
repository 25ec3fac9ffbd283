package host

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/mockidp"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// tenantWorld builds one example tenant of the default project and starts
// its mocks.
func tenantWorld(t *testing.T, id string) (*Connector, *Mocks) {
	t.Helper()
	p := loadDefault(t)
	r, err := render.New(p)
	if err != nil {
		t.Fatal(err)
	}
	var tenant *project.Tenant
	for _, x := range p.Tenants {
		if x.ID == id {
			tenant = x
		}
	}
	if tenant == nil {
		t.Fatalf("no tenant %s in the default project", id)
	}
	c, err := BuildConnector(r, tenant)
	if err != nil {
		t.Fatal(err)
	}
	m, err := StartTenantMocks(tenant, r, MockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return c, m
}

// page is one query request as the mock CDR logged it.
type page struct {
	Offset, Status int
	Fault          string
}

func queryPages(cdr *mockcdr.Server, since int) []page {
	var out []page
	for _, r := range cdr.LogSince(since) {
		if strings.HasPrefix(r.Endpoint, "query.") {
			out = append(out, page{r.Offset, r.Status, r.Fault})
		}
	}
	return out
}

func lastSeq(cdr *mockcdr.Server) int {
	if l := cdr.Log(); len(l) > 0 {
		return l[len(l)-1].Seq
	}
	return 0
}

func idpMark(idp *mockidp.Server) int64 {
	if es := idp.Journal().Entries(); len(es) > 0 {
		return es[len(es)-1].Seq
	}
	return 0
}

// refreshGrants returns the refresh_token grants the IDP journalled after
// mark.
func refreshGrants(idp *mockidp.Server, mark int64) []mockidp.Entry {
	return idp.Journal().Filter(func(e *mockidp.Entry) bool {
		return e.Seq > mark && e.Endpoint == "token" && e.GrantType == "refresh_token"
	})
}

// issuedAccessToken is the fingerprint of the access token a journal entry
// issued.
func issuedAccessToken(e mockidp.Entry) string {
	for _, s := range e.Issued {
		if fp, ok := strings.CutPrefix(s, "access_token "); ok {
			return fp
		}
	}
	return ""
}

// bulkQuery is Q3 (2137 rows) in pages of 1000: three pages.
func bulkQuery(kind string) string {
	aql := strings.ReplaceAll(mockcdr.FixtureAQL("Q3"), `"`, `""`)
	return fmt.Sprintf(`Table.RowCount(%s.Query("%s", null, [PageSize = 1000]))`, kind, aql)
}

// A 401 on a continuation page makes the default connector refresh once
// through Extension.CurrentCredential(true); with a real OAuth tenant that
// is the connector's own Refresh against the mock IDP, and the page is sent
// again with the new access token.
func TestRefreshOn401MidPaging(t *testing.T) {
	for _, id := range []string{"ehrbase-auth0", "better-keycloak"} {
		t.Run(id, func(t *testing.T) {
			c, m := tenantWorld(t, id)
			ctx := context.Background()
			sess, err := Login(ctx, c, LoginOptions{Mocks: m})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			for _, st := range sess.Steps() {
				if st.Status != StatusOK {
					t.Errorf("sign-in step %s: %s %s", st.Name, st.Status, st.Error)
				}
			}
			before := sess.Credential().AccessToken
			mark, since := idpMark(m.IDP()), lastSeq(m.CDR())
			m.Router().Record(true)
			if err := m.CDR().AddFault(mockcdr.Fault{Kind: mockcdr.FaultUnauthorized, After: 2, Path: "^/query/"}); err != nil {
				t.Fatal(err)
			}
			th, sec, err := sess.NewThread(ctx)
			if err != nil {
				t.Fatal(err)
			}
			v, err := th.EvalInSection(sec, "bulk.pq", []byte(bulkQuery(c.Kind)))
			if err == nil {
				err = th.DeepForce(v)
			}
			if err != nil {
				t.Fatal(describe(err))
			}
			if got := eval.Serialize(th, v); got != "2137" {
				t.Errorf("%s rows, want all 2137", got)
			}

			// The IDP saw exactly one refresh, and it succeeded.
			grants := refreshGrants(m.IDP(), mark)
			if len(grants) != 1 || grants[0].Status != http.StatusOK {
				t.Fatalf("refresh_token grants after the sign-in: %+v; want exactly one, answered 200", grants)
			}
			fresh := issuedAccessToken(grants[0])
			if fresh == "" || fresh == mockidp.Fingerprint(before) {
				t.Fatalf("the refresh issued access token %q; want a new one (old %s)", fresh, mockidp.Fingerprint(before))
			}
			if sess.Refreshes() != 1 || mockidp.Fingerprint(sess.Credential().AccessToken) != fresh {
				t.Errorf("session: %d refreshes, access token %s; want 1 and %s", sess.Refreshes(), mockidp.Fingerprint(sess.Credential().AccessToken), fresh)
			}

			// The CDR failed the third page once and served it again.
			pages := queryPages(m.CDR(), since)
			if len(pages) != 4 || pages[2].Status != 401 || pages[2].Fault != "401" ||
				pages[3].Offset != pages[2].Offset || pages[3].Status != 200 || pages[2].Offset == 0 {
				t.Fatalf("query requests %+v; want two pages, the third failing with the injected 401, then the third again with 200", pages)
			}
			// … with the new access token: the router saw which one.
			var auths []string
			for _, r := range m.Router().Requests() {
				if r.Route == "cdr" {
					auths = append(auths, fmt.Sprintf("%d %s", r.Status, r.Auth))
				}
			}
			old := "Bearer " + mockidp.Fingerprint(before)
			want := []string{"200 " + old, "200 " + old, "401 " + old, "200 Bearer " + fresh}
			if strings.Join(auths, "|") != strings.Join(want, "|") {
				t.Errorf("CDR requests (status, credential):\n got %q\nwant %q", auths, want)
			}
		})
	}
}

// expireAfter is a transport that expires the session's access token (on
// the mocks' virtual clock) once n query pages have been answered, so the
// mock CDR itself rejects the next page: a token running out in the middle
// of a long refresh.
type expireAfter struct {
	next http.RoundTripper
	sess *Session
	n    int32
	seen atomic.Int32
}

func (e *expireAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := e.next.RoundTrip(req)
	if err == nil && strings.Contains(req.URL.Path, "/query/") && e.seen.Add(1) == e.n {
		e.sess.ExpireAccessToken()
	}
	return resp, err
}

// The same through a real expiry: the CDR's own log shows the old token
// rejected as expired and the page served again with a valid one.
func TestRefreshOnExpiryMidPaging(t *testing.T) {
	c, m := tenantWorld(t, "ehrbase-auth0")
	ctx := context.Background()
	sess, err := Login(ctx, c, LoginOptions{Mocks: m})
	if err != nil {
		t.Fatal(err)
	}
	mark, since := idpMark(m.IDP()), lastSeq(m.CDR())
	th, sec, err := sess.NewThread(ctx)
	if err != nil {
		t.Fatal(err)
	}
	th.Host.HTTP = &http.Client{Transport: &expireAfter{next: m.Router(), sess: sess, n: 2}}
	v, err := th.EvalInSection(sec, "bulk.pq", []byte(bulkQuery(c.Kind)))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		t.Fatal(describe(err))
	}
	if got := eval.Serialize(th, v); got != "2137" {
		t.Errorf("%s rows, want 2137", got)
	}
	if n := len(refreshGrants(m.IDP(), mark)); n != 1 {
		t.Errorf("%d refresh_token grants, want 1", n)
	}
	var log []string
	for _, r := range m.CDR().LogSince(since) {
		if strings.HasPrefix(r.Endpoint, "query.") {
			log = append(log, fmt.Sprintf("%d %d %s", r.Offset, r.Status, r.Error))
		}
	}
	if len(log) != 4 || !strings.HasPrefix(log[2], "2000 401 Jwt expired") || log[3] != "2000 200 " {
		t.Errorf("CDR log %q; want the third page rejected as expired, then served", log)
	}
}

// Login starts its own mock IDP when given no mocks; Refresh runs the
// connector's Refresh against it and keeps a rotated refresh token.
func TestLoginPrivateIDP(t *testing.T) {
	c, _ := tenantWorld(t, "ehrbase-auth0")
	ctx := context.Background()
	sess, err := Login(ctx, c, LoginOptions{IDPProfile: "auth0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	idp := sess.Mocks().IDP()
	if idp == nil || idp.Profile().Name != "auth0" || sess.Mocks().CDR() != nil {
		t.Fatalf("private mocks: %s", sess.Mocks().Describe())
	}
	first := sess.Credential()
	rt, _, _ := first.Properties.Get(nil, "refresh_token")
	if first.AccessToken == "" || rt == nil {
		t.Fatalf("credential without access or refresh token: %+v", first)
	}
	second, err := sess.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.AccessToken == first.AccessToken || sess.Credential().AccessToken != second.AccessToken || sess.Refreshes() != 1 {
		t.Errorf("after Refresh: token changed %v, session holds it %v, %d refreshes",
			second.AccessToken != first.AccessToken, sess.Credential().AccessToken == second.AccessToken, sess.Refreshes())
	}
	// Auth0 rotates with family revocation: the second refresh must start
	// from the rotated token, or the IDP revokes the family.
	if _, err := sess.Refresh(ctx); err != nil {
		t.Fatalf("second refresh (from the rotated token): %v", err)
	}
	for _, e := range idp.Journal().Entries() {
		if e.Endpoint == "token" && e.Status != http.StatusOK {
			t.Errorf("IDP refused a token request: %s %s %s", e.GrantType, e.Reason, e.Hint)
		}
	}
	sess.Close()
	sess.Close()
}

// A refresh through the Extension.CurrentCredential(true) hook becomes the
// credential of the evaluation that asked and of every later one.
func TestConfigureHook(t *testing.T) {
	c, m := tenantWorld(t, "generic-okta")
	ctx := context.Background()
	sess, err := Login(ctx, c, LoginOptions{Mocks: m})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := sess.NewThread(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := th.EvalSource("force.pq", []byte(`let old = Extension.CurrentCredential()[access_token], forced = Extension.CurrentCredential(true)[access_token] in {old <> forced, forced = Extension.CurrentCredential()[access_token]}`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		t.Fatal(describe(err))
	}
	if got := eval.Serialize(th, v); got != "{true, true}" {
		t.Errorf("forced refresh: %s, want {true, true}", got)
	}
	var h eval.Host
	sess.Configure(&h)
	if h.Credential.AccessToken != sess.Credential().AccessToken || sess.Refreshes() != 1 {
		t.Errorf("a later evaluation does not start from the refreshed credential")
	}
}

func TestLoginRefused(t *testing.T) {
	ctx := context.Background()
	// A Basic tenant's mocks have no IDP.
	c, m := tenantWorld(t, "ehrbase-basic")
	if _, err := Login(ctx, c, LoginOptions{Mocks: m}); err == nil || !strings.Contains(err.Error(), "no IDP") {
		t.Errorf("Basic tenant mocks: %v", err)
	}
	// A connector without OAuth, at a private IDP.
	if _, err := Login(ctx, c, LoginOptions{}); !errors.Is(err, ErrNoOAuth) || !strings.Contains(err.Error(), "UsernamePassword") {
		t.Errorf("Basic connector: %v; want ErrNoOAuth naming its kinds", err)
	}
	// An IDP that denies the sign-in fails FinishLogin with the steps.
	c, m = tenantWorld(t, "hip-oidc")
	if err := m.IDP().ScriptAuthorize(mockidp.AuthorizeOutcome{Action: mockidp.OutcomeAccessDenied}); err != nil {
		t.Fatal(err)
	}
	_, err := Login(ctx, c, LoginOptions{Mocks: m})
	var le *LoginError
	if !errors.As(err, &le) || le.Steps[len(le.Steps)-1].Name != "FinishLogin" || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("denied sign-in: %v", err)
	}
	denied := false
	for _, e := range le.Journal {
		denied = denied || (e.Endpoint == "authorize" && strings.Contains(e.Error+e.Reason, "access_denied"))
	}
	if !denied {
		t.Errorf("the LoginError's IDP journal does not show the denied authorize request: %+v", le.Journal)
	}
}
