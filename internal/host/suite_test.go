package host

import (
	"bytes"
	"context"
	"encoding/xml"
	"github.com/pqxdev/pqx/internal/junit"
	"strings"
	"testing"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/project"
)

func loadDefault(t testing.TB) *project.Project {
	t.Helper()
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every example tenant of the default project passes the whole dance.
func TestDefaultProject(t *testing.T) {
	results, err := TestProject(context.Background(), loadDefault(t), SuiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		for _, s := range r.Steps {
			t.Logf("%s: %-40s %s %s %s", r.Name, s.Name, s.Status, s.Detail, s.Error)
		}
		if r.Failed() {
			t.Errorf("%s failed", r.Name)
		}
	}
}

// The parallel-refresh hazard (DataConnectors#264) ends differently per IDP,
// and the host reports it from the mock IDP's journal.
func TestParallelRefreshPerProfile(t *testing.T) {
	results, err := TestProject(context.Background(), loadDefault(t), SuiteOptions{
		Tenants: []string{"better-keycloak", "dips-entra", "ehrbase-auth0", "generic-okta", "hip-oidc"}, ParallelRefresh: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		ok, failed int
		effect     string // substring of an IDP effect; "" means none
		loginAgain bool
	}{
		"ehrbase-auth0":   {1, 3, "family f1 revoked", true}, // rotation with family revocation, no leeway
		"better-keycloak": {1, 3, "session s1 ended", true},  // reuse kills the session
		"generic-okta":    {4, 0, "", false},                 // 30 s reuse leeway
		"dips-entra":      {4, 0, "", false},                 // rotation without revocation
		"hip-oidc":        {1, 3, "family f1 revoked", true}, // strict RFC 9700 rotation
	}
	for _, r := range results {
		w := want[r.Name]
		p := r.Parallel
		if p == nil {
			t.Errorf("%s: no parallel refresh outcome", r.Name)
			continue
		}
		if p.Succeeded != w.ok || p.Failed != w.failed || p.LoginAgain != w.loginAgain {
			t.Errorf("%s: %d succeeded, %d failed, login again %v; want %d, %d, %v", r.Name, p.Succeeded, p.Failed, p.LoginAgain, w.ok, w.failed, w.loginAgain)
		}
		effects := strings.Join(p.Effects, "; ")
		if (w.effect == "") != (effects == "") || !strings.Contains(effects, w.effect) {
			t.Errorf("%s: IDP effects %q, want %q", r.Name, effects, w.effect)
		}
		if n := p.Reasons["token/refresh_rotated"] + p.Reasons["token/refresh_reused"] + p.Reasons["token/refresh_reuse_leeway"] + p.Reasons["token/refresh_ok"]; n == 0 {
			t.Errorf("%s: journal reasons %v name no refresh decision", r.Name, p.Reasons)
		}
	}
}

func TestJUnitIsValidXML(t *testing.T) {
	results := []*Result{
		{Name: "a", Steps: []Step{{Name: "StartLogin", Status: StatusOK}, {Name: "FinishLogin", Status: StatusFail, Error: "OAuth.TokenError: <bad> & \"x\"\n\tat X.pq:1:2"}}},
		{Name: "b", Steps: []Step{{Name: "Refresh", Status: StatusSkip, Detail: "no refresh_token"}}},
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, results); err != nil {
		t.Fatal(err)
	}
	var doc junit.Suites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, b.String())
	}
	if doc.Tests != 3 || doc.Failures != 1 || len(doc.Suites) != 2 {
		t.Errorf("tests %d failures %d suites %d", doc.Tests, doc.Failures, len(doc.Suites))
	}
	f := doc.Suites[0].Cases[1].Failure
	if f == nil || f.Message != `OAuth.TokenError: <bad> & "x"` || !strings.Contains(f.Body, "X.pq:1:2") {
		t.Errorf("failure %+v", f)
	}
	if doc.Suites[1].Skipped != 1 || doc.Suites[1].Cases[0].Skipped == nil {
		t.Errorf("skip not recorded: %+v", doc.Suites[1])
	}
}

// Scheduled refresh twice a virtual day for 120 days: the profiles'
// refresh-token lifetimes decide the day a new interactive login is needed.
func TestSoakPerProfile(t *testing.T) {
	results, err := TestProject(context.Background(), loadDefault(t), SuiteOptions{
		Tenants: []string{"better-keycloak", "dips-entra", "ehrbase-auth0", "generic-okta", "hip-oidc"}, ParallelRefresh: -1, SoakDays: 120,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		day       int // 0: alive for 120 days
		refreshes int
		reason    string
	}{
		"better-keycloak": {1, 1, "lifetime 30m"},               // SSO Session Idle 30 min < 12 h between refreshes
		"ehrbase-auth0":   {30, 60, "absolute lifetime of 30d"}, // absolute lifetime, however often refreshed
		"dips-entra":      {0, 240, ""},                         // 90-day lifetime restarts with each rotation
		"generic-okta":    {0, 240, ""},                         // 7-day idle window never reached
		"hip-oidc":        {0, 240, ""},                         // 30-day sliding lifetime
	}
	for _, r := range results {
		w := want[r.Name]
		if r.Soak == nil {
			t.Errorf("%s: no soak outcome: %+v", r.Name, r.Steps)
			continue
		}
		if r.Soak.LoginAgainDay != w.day || r.Soak.Refreshes != w.refreshes || !strings.Contains(r.Soak.Reason, w.reason) {
			t.Errorf("%s: %d refreshes, login again on day %d (%s); want %d, day %d (%s)",
				r.Name, r.Soak.Refreshes, r.Soak.LoginAgainDay, r.Soak.Reason, w.refreshes, w.day, w.reason)
		}
	}
}
