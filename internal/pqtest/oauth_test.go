package pqtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/host"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/project"
)

func TestParseCDRFault(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want mockcdr.Fault
		err  string
	}{
		{"401", mockcdr.Fault{Kind: "401"}, ""},
		{"401,after=2,path=^/query/", mockcdr.Fault{Kind: "401", After: 2, Path: "^/query/"}, ""},
		{"429,count=-1,retry_after=3,fixture=BULK", mockcdr.Fault{Kind: "429", Count: -1, RetryAfter: "3", Fixture: "BULK"}, ""},
		{"", mockcdr.Fault{}, "no fault kind"},
		{"401,after", mockcdr.Fault{}, `"after" is not key=value`},
		{"401,after=x", mockcdr.Fault{}, `after="x" is not a whole number`},
		{"401,when=1", mockcdr.Fault{}, `unknown key "when"`},
	} {
		got, err := ParseCDRFault(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
		} else if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.spec, d)
		}
	}
}

// Tests run with the credential of an OAuth sign-in at the mocks; a 401 in
// the middle of paging is refreshed through the connector's Refresh, and
// the next test starts from the refreshed credential.
func TestStartOAuthMock(t *testing.T) {
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		t.Fatal(err)
	}
	x, err := TenantExtension(p, "ehrbase-auth0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	om, err := StartOAuthMock(ctx, x, OAuthMockOptions{Project: p, Tenant: "ehrbase-auth0",
		CDRFaults: []mockcdr.Fault{{Kind: "401", After: 2, Path: "^/query/"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	dir := t.TempDir()
	aql := strings.ReplaceAll(mockcdr.FixtureAQL("Q3"), `"`, `""`)
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.query.pq", `Table.RowCount(OpenEHREhrbaseAuth0.Query("`+aql+`", null, [PageSize = 1000]))`)
	write("b.query.pq", `Extension.CurrentCredential()[access_token]`)
	tests, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	results, err := Run(ctx, tests, &Options{Extension: x, Login: om.Session, HTTP: om.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Actual != "2137" || om.Session.Refreshes() != 1 {
		t.Errorf("paged query: %s %s, %d refreshes; want 2137 rows after 1 refresh", results[0].Actual, results[0].Details, om.Session.Refreshes())
	}
	if want := `"` + om.Session.Credential().AccessToken + `"`; results[1].Actual != want {
		t.Errorf("the second test's credential is not the refreshed one")
	}
	if s := om.Summary(); !strings.Contains(s, "IDP auth0, CDR ehrbase (tenant ehrbase-auth0); 1 refresh through") {
		t.Errorf("summary %q", s)
	}
	var b strings.Builder
	if err := om.WriteJournal(&b); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{`"source":"idp"`, `"source":"host"`, `"source":"cdr"`} {
		if !strings.Contains(b.String(), src) {
			t.Errorf("journal without %s lines", src)
		}
	}
	if strings.Contains(b.String(), om.Session.Credential().AccessToken) {
		t.Errorf("the journal holds an access token")
	}

	// A Basic tenant cannot sign in with OAuth.
	_, err = StartOAuthMock(ctx, x, OAuthMockOptions{Project: p, Tenant: "ehrbase-basic"})
	if !errors.Is(err, ErrNotOAuth) {
		t.Errorf("Basic tenant: %v", err)
	}
	// Neither can a connector without Authentication[OAuth].
	xb, err := TenantExtension(p, "ehrbase-basic")
	if err != nil {
		t.Fatal(err)
	}
	_, err = StartOAuthMock(ctx, xb, OAuthMockOptions{Profile: "generic-oidc"})
	if !errors.Is(err, ErrNotOAuth) || !strings.Contains(err.Error(), "UsernamePassword") {
		t.Errorf("Basic connector: %v", err)
	}
	var le *host.LoginError
	if errors.As(err, &le) {
		t.Errorf("a connector without OAuth is not a failed sign-in")
	}
}
