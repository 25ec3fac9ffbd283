package connectortest

import (
	"strings"

	"github.com/google/go-cmp/cmp"
	"testing"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/mockcdr"
)

// detailField returns a field of an M error's Detail record as M text.
func (e *env) detailField(t *testing.T, err *eval.Error, name string) string {
	t.Helper()
	d, ok, ferr := err.Rec.Get(e.th, "Detail")
	if ferr != nil || !ok {
		t.Fatalf("%v has no Detail", err)
	}
	r, isRec := d.(*eval.Record)
	if !isRec {
		t.Fatalf("%v: Detail is %T", err, d)
	}
	v, ok, ferr := r.Get(e.th, name)
	if ferr != nil || !ok {
		t.Fatalf("%v: Detail has no %s", err, name)
	}
	return eval.Serialize(e.th, v)
}

// TestErrorMapping checks each row of the error mapping: the stable reason,
// the Detail record, and that neither the message nor the Detail carries the
// query text or the credential.
func TestErrorMapping(t *testing.T) {
	aql := mockcdr.FixtureAQL("Q3")
	for _, tc := range []struct {
		profile, fault, reason, message string
		status                          string
	}{
		{"ehrbase", "400", "openEHR.BadQuery", "HTTP 400", "400"},
		{"ehrbase", "403", "openEHR.Forbidden", "HTTP 403", "403"},
		{"better", "404", "openEHR.NotFound", "HTTP 404", "404"},
		{"spec", "406", "openEHR.MediaType", "HTTP 406", "406"},
		{"spec", "415", "openEHR.MediaType", "HTTP 415", "415"},
		{"spec", "408", "openEHR.Timeout", "HTTP 408", "408"},
		{"better", "409", "openEHR.Conflict", "HTTP 409", "409"},
		{"ehrbase", "422", "openEHR.PagingRejected", "HTTP 422", "422"},
		{"ehrbase", "500", "openEHR.ServerError", "HTTP 500", "500"},
		{"ehrbase", "501", "openEHR.ServerError", "HTTP 501", "501"},
		{"dips", "empty", "openEHR.BadResponse", "empty body", "200"},
		{"ehrbase", "truncated", "openEHR.BadResponse", "not JSON", "200"},
		{"better", "html", "openEHR.BadResponse", "not JSON", "200"},
	} {
		t.Run(tc.profile+"/"+tc.fault, func(t *testing.T) {
			vendor := tc.profile
			if vendor == "spec" {
				vendor = "generic"
			}
			e := newEnv(t, mockcdr.Config{Profile: tc.profile}, vendor, "")
			if err := e.cdr.AddFault(mockcdr.Fault{Kind: mockcdr.FaultKind(tc.fault), Count: -1}); err != nil {
				t.Fatal(err)
			}
			err := e.evalErr(t, `K.Query(`+mtext(aql)+`)`)
			if err.Reason() != tc.reason || !strings.Contains(err.Message(), tc.message) {
				t.Errorf("%s: %v; want %s with %q", tc.fault, err, tc.reason, tc.message)
			}
			if got := e.detailField(t, err, "Status"); got != tc.status {
				t.Errorf("Detail.Status = %s, want %s", got, tc.status)
			}
			if got := e.detailField(t, err, "RequestPath"); got != `"query/aql"` {
				t.Errorf("Detail.RequestPath = %s", got)
			}
			if got := e.detailField(t, err, "Vendor"); got != `"`+vendor+`"` {
				t.Errorf("Detail.Vendor = %s", got)
			}
			all := err.Error() + eval.Serialize(e.th, err.Rec)
			for _, secret := range []string{"OBSERVATION", "blood_pressure", cdrPassword} {
				if strings.Contains(all, secret) {
					t.Errorf("the error shows %q: %s", secret, all)
				}
			}
		})
	}
}

// TestBadQuery checks the real 400 of fixture Q12 carries EHRbase's message.
func TestBadQuery(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	err := e.evalErr(t, `K.Query(`+mtext(mockcdr.FixtureAQL("Q12"))+`)`)
	if err.Reason() != "openEHR.BadQuery" || !strings.Contains(e.detailField(t, err, "ServerMessage"), "AQL") {
		t.Errorf("Q12: %v", err)
	}
}

// TestCredentialError checks that 401 is a credential error, so Power BI
// re-prompts or refreshes, also when it comes in the middle of paging.
func TestCredentialError(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "401", After: 2}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, query("Q3", "[PageSize = 100]"))
	if !strings.Contains(err.Error(), "Credential.AccessDenied") {
		t.Errorf("401 mid-paging: %v", err)
	}
	if diff := len(e.queries(0)); diff != 3 {
		t.Errorf("%d requests, want 3 (stop at the 401)", diff)
	}
}

// TestLimitRejectionRetried checks the EHRbase rule: a stored query with an
// AQL LIMIT is rejected (422) when fetch is sent, and the connector asks
// once more without envelope paging.
func TestLimitRejectionRetried(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	if got := e.eval(t, `Table.RowCount(K.StoredQuery("org.pqx::latest_blood_pressure"))`); got != "5" {
		t.Errorf("latest_blood_pressure: %s rows, want 5", got)
	}
	if diff := pagesOf(e.queries(0)); len(diff) != 2 || diff[0].Status != 422 || diff[1].Fetch != -1 || diff[1].Offset != -1 || diff[1].Rows != 5 {
		t.Errorf("requests: %+v; want a 422 then one request without fetch and offset", diff)
	}

	// A fetch above EHRbase's max-fetch: the 422 names the maximum, and
	// paging goes on with pages of that size.
	e = newEnv(t, mockcdr.Config{Profile: "ehrbase", MaxFetch: 800}, "ehrbase", "")
	if got := e.eval(t, query("Q3", "[PageSize = 1000]")); got != "2137" {
		t.Errorf("max-fetch: %s rows, want 2137", got)
	}
	want := []page{{0, 1000, 422, -1}, {0, 800, 200, 800}, {800, 800, 200, 800}, {1600, 800, 200, 537}}
	if diff := cmp.Diff(want, pagesOf(e.queries(0))); diff != "" {
		t.Errorf("max-fetch requests (-want +got):\n%s", diff)
	}

	// Any other 422 is surfaced, not retried.
	e = newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "422"}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, query("Q3", "null"))
	if err.Reason() != "openEHR.PagingRejected" {
		t.Errorf("422: %v", err)
	}
	if n := len(e.queries(0)); n != 1 {
		t.Errorf("422: %d requests, want 1", n)
	}
}

// TestRefreshOn401 checks that an OAuth token expiring in the middle of
// paging is refreshed once (Extension.CurrentCredential(true)) and the page
// sent again, so a long refresh does not fail.
func TestRefreshOn401(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase", Auth: mockcdr.AuthConfig{Mode: mockcdr.AuthNone}}, "ehrbase", "")
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "401", After: 2}); err != nil {
		t.Fatal(err)
	}
	refreshes := 0
	e.credential = &eval.Credential{AuthenticationKind: "OAuth", AccessToken: "first"}
	e.refresh = func() (*eval.Credential, error) {
		refreshes++
		return &eval.Credential{AuthenticationKind: "OAuth", AccessToken: "second"}, nil
	}
	if got := e.eval(t, query("Q3", "[PageSize = 1000]")); got != "2137" {
		t.Errorf("%s rows, want 2137", got)
	}
	if refreshes != 1 {
		t.Errorf("%d refreshes, want 1", refreshes)
	}
	if diff := pagesOf(e.queries(0)); len(diff) != 4 || diff[2].Status != 401 || diff[3].Offset != 2000 || diff[3].Status != 200 {
		t.Errorf("requests %+v; want the third page retried after the 401", diff)
	}

	// A second 401 right after the refresh is a credential error.
	e.cdr.Reset()
	refreshes = 0
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "401", After: 1, Count: 2}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, query("Q3", "[PageSize = 1000]"))
	if !strings.Contains(err.Error(), "Credential.AccessDenied") || refreshes != 1 {
		t.Errorf("two 401s: %v after %d refreshes; want a credential error after 1", err, refreshes)
	}

	// A 401 on the first request is the engine's to handle: the token was
	// already rejected before the query started.
	e.cdr.Reset()
	refreshes = 0
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "401"}); err != nil {
		t.Fatal(err)
	}
	err = e.evalErr(t, query("Q3", "null"))
	if !strings.Contains(err.Error(), "Credential.AccessDenied") || refreshes != 0 {
		t.Errorf("401 first: %v after %d refreshes; want a credential error and no refresh", err, refreshes)
	}
}

// TestHTMLErrorPage checks that an HTML error page (a proxy's 502) is
// named by its title, not dumped.
func TestHTMLErrorPage(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "502", Count: -1}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, query("Q1", "null"))
	msg := e.detailField(t, err, "ServerMessage")
	if err.Reason() != "openEHR.Unavailable" || !strings.Contains(msg, "an HTML page (502 Bad Gateway)") || strings.Contains(msg, "<") {
		t.Errorf("502 page: %v; ServerMessage %s", err, msg)
	}
}

// TestTestConnection checks the kind record's TestConnection names a cheap
// shared function of the data source that works with the credential.
func TestTestConnection(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "dips"}, "dips", "")
	kind := e.res.Kind
	if got := e.eval(t, kind+`[TestConnection]("ignored")`); got != `{"`+kind+`.Templates"}` {
		t.Fatalf("TestConnection = %s", got)
	}
	if got := e.eval(t, `Table.RowCount(`+kind+`.Templates())`); got == "0" {
		t.Errorf("the TestConnection function returned no templates")
	}
}
