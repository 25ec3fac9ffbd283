package broker

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckTargets(t *testing.T) {
	idp := newTestIDP(t)
	path := writeConfig(t, env{TokenURL: idp.URL + "/token"}, idp.secret)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	res := CheckTargets(t.Context(), cfg, nil)
	if len(res) != 2 || !res[0].OK || !res[1].OK || res[0].ExpiresIn != 300 || res[0].Target != "cdr" {
		t.Fatalf("checks %+v", res)
	}
	idp.set(func(idp *testIDP) { idp.secret = "other" })
	res = CheckTargets(t.Context(), cfg, nil)
	for _, r := range res {
		if r.OK || !strings.Contains(r.Error, "HTTP 401 invalid_client") || strings.Contains(r.Error, idp.secret) {
			t.Errorf("wrong secret: %+v", r)
		}
	}
	if n := idp.count.Load(); n != 4 {
		t.Errorf("IDP got %d requests, want 4", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"60", time.Minute},
		{" 5 ", 5 * time.Second},
		{"-3", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
