package mockidp

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRotationModes checks each rotation mode's handling of an old token.
func TestRotationModes(t *testing.T) {
	t.Run("revoke-family", func(t *testing.T) {
		e := profileEnv(t, "strict-rfc")
		rt1 := e.login().str("refresh_token")
		r2 := e.refresh(rt1)
		rt2 := r2.str("refresh_token")
		if r2.status != 200 || rt2 == "" || rt2 == rt1 {
			t.Fatalf("rotation: %s", r2.raw)
		}
		if tr := e.refresh(rt1); tr.str("error") != "invalid_grant" {
			t.Fatalf("reuse accepted: %s", tr.raw)
		}
		en := e.lastEntry("token")
		if en.Reason != "refresh_reused" || len(en.Effects) == 0 || !strings.Contains(en.Effects[0], "revoked") {
			t.Errorf("journal: %+v", en)
		}
		if tr := e.refresh(rt2); tr.str("error") != "invalid_grant" || e.lastEntry("token").Reason != "refresh_revoked" {
			t.Errorf("successor survived reuse detection: %s", tr.raw)
		}
	})
	t.Run("kill-session", func(t *testing.T) {
		e := profileEnv(t, "keycloak")
		first := e.login()
		rt1 := first.str("refresh_token")
		r2 := e.refresh(rt1)
		if r2.status != 200 {
			t.Fatal(r2.raw)
		}
		e.refresh(rt1)
		en := e.lastEntry("token")
		if en.Reason != "refresh_reused" || !strings.Contains(strings.Join(en.Effects, ";"), "session s") {
			t.Errorf("journal: %+v", en)
		}
		// The session's access tokens die with it.
		intro := e.post(e.srv.Endpoints().Introspect, url.Values{"token": {r2.str("access_token")}}, DefaultServiceClient+":"+DefaultServiceSecret)
		if intro.body["active"] != false {
			t.Errorf("access token of a killed session is active: %s", intro.raw)
		}
	})
	t.Run("no-revoke", func(t *testing.T) {
		e := profileEnv(t, "entra-v2")
		rt1 := e.login().str("refresh_token")
		rt2 := e.refresh(rt1).str("refresh_token")
		r3 := e.refresh(rt1)
		if r3.status != 200 || rt2 == "" || r3.str("refresh_token") == rt2 {
			t.Fatalf("old token after rotation: %s", r3.raw)
		}
		// 90 days after its issue the old token is dead; the rotated chain is
		// renewed with each refresh.
		e.srv.Clock().Advance(89 * 24 * time.Hour)
		rt4 := e.refresh(r3.str("refresh_token")).str("refresh_token")
		e.srv.Clock().Advance(24 * time.Hour)
		if tr := e.refresh(rt1); tr.str("error") != "invalid_grant" || e.lastEntry("token").Reason != "refresh_expired" {
			t.Errorf("90-day token alive: %s", tr.raw)
		}
		if tr := e.refresh(rt4); tr.status != 200 {
			t.Errorf("sliding token died: %s", tr.raw)
		}
	})
	t.Run("none", func(t *testing.T) {
		e := profileEnv(t, "google")
		q := authQuery(testVerifier)
		q.Set("access_type", "offline")
		rt := e.redeem(e.code(q), testVerifier).str("refresh_token")
		for i := 0; i < 3; i++ {
			tr := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DefaultPublicClient}}, "")
			if tr.status != 200 || tr.str("refresh_token") != "" {
				t.Fatalf("refresh %d: %s", i, tr.raw)
			}
		}
	})
	t.Run("leeway", func(t *testing.T) {
		e := profileEnv(t, "okta")
		rt1 := e.login().str("refresh_token")
		rt2 := e.refresh(rt1).str("refresh_token")
		e.srv.Clock().Advance(29 * time.Second)
		r := e.refresh(rt1)
		if r.status != 200 || r.str("refresh_token") != rt2 || e.lastEntry("token").Reason != "refresh_replayed" {
			t.Fatalf("replay within leeway: want the same successor, got %s", r.raw)
		}
		// Only the immediate predecessor is covered: rotate again, then the
		// grandparent is reuse.
		rt3 := e.refresh(rt2).str("refresh_token")
		if tr := e.refresh(rt1); tr.str("error") != "invalid_grant" || e.lastEntry("token").Reason != "refresh_reused" {
			t.Errorf("grandparent accepted: %s", tr.raw)
		}
		if tr := e.refresh(rt3); tr.str("error") != "invalid_grant" {
			t.Errorf("family survived: %s", tr.raw)
		}
	})
	t.Run("leeway expired", func(t *testing.T) {
		e := profileEnv(t, "okta")
		rt1 := e.login().str("refresh_token")
		e.refresh(rt1)
		e.srv.Clock().Advance(31 * time.Second)
		if tr := e.refresh(rt1); tr.str("error") != "invalid_grant" || e.lastEntry("token").Reason != "refresh_reused" {
			t.Errorf("reuse after leeway: %s", tr.raw)
		}
	})
	t.Run("no-refresh-token fault keeps the old token", func(t *testing.T) {
		e := profileEnv(t, "strict-rfc")
		rt1 := e.login().str("refresh_token")
		e.srv.AddFault(Fault{Endpoint: "token", GrantType: "refresh_token", Action: FaultNoRefreshToken})
		if tr := e.refresh(rt1); tr.status != 200 || tr.str("refresh_token") != "" {
			t.Fatalf("fault: %s", tr.raw)
		}
		if tr := e.refresh(rt1); tr.status != 200 || tr.str("refresh_token") == "" {
			t.Errorf("old token after a response without refresh_token: %s", tr.raw)
		}
	})
}

// parallelOutcome is what N parallel refreshes with one token produce.
type parallelOutcome struct {
	ok, failed int
	reasons    string // sorted reasons of the journal, joined
	revoked    bool   // the journal shows a family or session ended
	distinct   int    // distinct refresh tokens returned
}

// TestParallelRefresh reproduces DataConnectors#264: four Refresh calls
// with the same refresh token arrive together (a hold fault releases them
// at once) and the outcome is read from the journal.
func TestParallelRefresh(t *testing.T) {
	const n = 4
	want := map[string]parallelOutcome{
		"strict-rfc":     {ok: 1, failed: 3, reasons: "refresh_reused*3 refresh_rotated*1", revoked: true, distinct: 1},
		"auth0":          {ok: 1, failed: 3, reasons: "refresh_reused*3 refresh_rotated*1", revoked: true, distinct: 1},
		"generic-oidc":   {ok: 1, failed: 3, reasons: "refresh_reused*3 refresh_rotated*1", revoked: true, distinct: 1},
		"keycloak":       {ok: 1, failed: 3, reasons: "refresh_reused*3 refresh_rotated*1", revoked: true, distinct: 1},
		"okta":           {ok: 4, reasons: "refresh_replayed*3 refresh_rotated*1", distinct: 1},
		"entra-v2":       {ok: 4, reasons: "refresh_rotated*4", distinct: 4},
		"google":         {ok: 4, reasons: "refreshed*4", distinct: 0},
		"google-testing": {ok: 4, reasons: "refreshed*4", distinct: 0},
	}
	for _, p := range Profiles() {
		t.Run(p, func(t *testing.T) {
			w, ok := want[p]
			if !ok {
				t.Fatalf("no expectation for profile %s", p)
			}
			e := profileEnv(t, p)
			q := authQuery(testVerifier)
			q.Set("access_type", "offline")
			first := e.redeem(e.code(q), testVerifier)
			rt := first.str("refresh_token")
			if rt == "" {
				t.Fatalf("no refresh token: %s", first.raw)
			}
			e.srv.Clock().Advance(e.srv.Profile().Lifetimes.AccessToken.D() + time.Second)
			if _, err := e.srv.AddFault(Fault{Endpoint: "token", GrantType: "refresh_token", Action: FaultHold, Count: n}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			results := make([]tokenResp, n)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = e.refresh(rt)
				}()
			}
			wg.Wait()
			var got parallelOutcome
			reasons := map[string]int{}
			rts := map[string]bool{}
			for _, en := range e.srv.Journal().Filter(func(en *Entry) bool { return en.GrantType == "refresh_token" }) {
				reasons[en.Reason]++
				if en.Status == 200 {
					got.ok++
				} else {
					got.failed++
				}
				for _, ef := range en.Effects {
					if strings.Contains(ef, "revoked") || strings.Contains(ef, "ended") {
						got.revoked = true
					}
				}
				if len(en.Warnings) > 0 {
					t.Errorf("hold did not gather all requests: %v", en.Warnings)
				}
			}
			for _, r := range results {
				if v := r.str("refresh_token"); v != "" {
					rts[v] = true
				}
			}
			got.distinct = len(rts)
			// Summarize reports the same token presented n times.
			if sum := Summarize(e.srv.Journal().Entries()); len(sum.Reused) != 1 || len(sum.Reused[0].Seqs) != n {
				t.Errorf("summary: %s", sum)
			}
			var parts []string
			for _, k := range sortedKeys(reasons) {
				parts = append(parts, fmt.Sprintf("%s*%d", k, reasons[k]))
			}
			got.reasons = strings.Join(parts, " ")
			if got != w {
				t.Errorf("outcome %+v, want %+v", got, w)
			}
		})
	}
}

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// TestScheduledRefreshSoak refreshes twice a virtual day for 120 days, as
// Power BI's scheduled refresh does, always with the newest refresh token,
// and finds the first refresh that fails: the day the user must sign in
// again, decided by each profile's lifetimes.
func TestScheduledRefreshSoak(t *testing.T) {
	// hours after login of the first failed refresh; 0 = alive after 120 days
	want := map[string]int{
		"strict-rfc":     0,
		"auth0":          30 * 24, // absolute lifetime 30 d
		"entra-v2":       0,       // 90 d sliding with rotation
		"keycloak":       12,      // SSO session idle 30 min
		"okta":           0,       // 7 d idle, refreshed every 12 h
		"google":         0,
		"google-testing": 7 * 24, // Testing status: 7 d
		"generic-oidc":   0,
	}
	for _, p := range Profiles() {
		t.Run(p, func(t *testing.T) {
			e := profileEnv(t, p)
			q := authQuery(testVerifier)
			q.Set("access_type", "offline")
			rt := e.redeem(e.code(q), testVerifier).str("refresh_token")
			failedAt := 0
			for h := 12; h <= 120*24; h += 12 {
				e.srv.Clock().Advance(12 * time.Hour)
				tr := e.refresh(rt)
				if tr.status != 200 {
					failedAt = h
					if en := e.lastEntry("token"); en.Reason != "refresh_expired" {
						t.Errorf("failure reason %s: %s", en.Reason, en.Hint)
					}
					break
				}
				if v := tr.str("refresh_token"); v != "" {
					rt = v
				}
			}
			if failedAt != want[p] {
				t.Errorf("first failed refresh at hour %d (day %.1f), want hour %d", failedAt, float64(failedAt)/24, want[p])
			}
		})
	}
}

// TestAccessTokenExpiry checks that userinfo and introspection follow the
// virtual clock.
func TestAccessTokenExpiry(t *testing.T) {
	for _, p := range []string{"strict-rfc", "google", "keycloak"} {
		t.Run(p, func(t *testing.T) {
			e := profileEnv(t, p)
			at := e.login().str("access_token")
			call := func() int {
				tr := e.userinfo(at)
				return tr.status
			}
			life := e.srv.Profile().Lifetimes.AccessToken.D()
			e.srv.Clock().Advance(life - time.Second)
			if s := call(); s != 200 {
				t.Fatalf("before expiry: %d", s)
			}
			e.srv.Clock().Advance(time.Second)
			if s := call(); s != 401 {
				t.Fatalf("at expiry: %d", s)
			}
			if en := e.lastEntry("userinfo"); !strings.Contains(en.Hint, "expired") {
				t.Errorf("hint %q", en.Hint)
			}
		})
	}
}
