package mockcdr

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig("cdr.yaml", []byte(`
profile: better
seed: 42
max_fetch: 2000
query_timeout: 2s
auth:
  mode: both
  jwks_url: http://127.0.0.1:8081/jwks
  users:
    - name: svc
      password: pw
      roles: [USER]
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Profile != "better" || cfg.Seed != 42 || cfg.MaxFetch != 2000 || cfg.QueryTimeout != 2*time.Second ||
		cfg.Auth.Mode != AuthBoth || len(cfg.Auth.Users) != 1 || cfg.Auth.Users[0].Roles[0] != "USER" {
		t.Errorf("config %+v", cfg)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"profile: cerner\n", "cdr.yaml: profile: unknown profile \"cerner\""},
		{"profil: ehrbase\n", "cdr.yaml:1:1:"},
		{"seed: 1\nmax_fetch: -3\n", "max_fetch: must not be negative"},
		{"addr: 0.0.0.0:8080\n", "addr: 0.0.0.0:8080 is not a loopback address"},
		{"auth:\n  mode: bearer\n", "auth.jwks_url: required"},
		{"auth:\n  jwks_url: https://login.example.com/keys\n", "auth.jwks_url: https://login.example.com/keys: host is not loopback"},
		{"auth:\n  mode: oauth\n", "auth.mode"},
		{"fetch_precedence: max\n", "fetch_precedence"},
		{"query_timeout: soon\n", "query_timeout"},
		{"auth:\n  users:\n    - name: a:b\n", "auth.users[0].name"},
		{"fixed_time: yesterday\n", "fixed_time"},
	} {
		_, err := ParseConfig("cdr.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// A fixed time makes answers byte-identical.
	ft, err := ParseConfig("ft.yaml", []byte("fixed_time: 2026-03-01T09:00:00Z\nauth:\n  mode: none\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, Config{FixedTime: ft.FixedTime, Auth: ft.Auth})
	if srv.now().Format(time.RFC3339) != "2026-03-01T09:00:00Z" {
		t.Errorf("clock %v", srv.now())
	}
	a, b := aql(t, srv, FixtureAQL("Q1"), nil), aql(t, srv, FixtureAQL("Q1"), nil)
	if !bytes.Equal(a.body, b.body) || !bytes.Contains(a.body, []byte(`"_created":"2026-03-01T09:00:00.000Z"`)) {
		t.Errorf("answers differ or _created is not the fixed time: %.200s", a.body)
	}
	path := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(path, []byte(`{"profile": "dips", "subscription_key": "k"}`), 0o600)
	if cfg, err := LoadConfig(path); err != nil || cfg.Profile != "dips" || cfg.SubscriptionKey != "k" {
		t.Errorf("JSON config: %+v %v", cfg, err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestStartLoopbackOnly(t *testing.T) {
	if _, err := New(Config{Addr: "192.0.2.1:0"}); err == nil {
		t.Error("New accepted a non-loopback address")
	}
	s, err := New(Config{Addr: "127.0.0.1:0", Profile: "spec"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	if !strings.HasPrefix(s.BaseURL(), "http://127.0.0.1:") || !strings.HasSuffix(s.BaseURL(), "/openehr/v1") {
		t.Errorf("base URL %s", s.BaseURL())
	}
	if r := call(t, "GET", s.BaseURL()+"/definition/template/adl1.4", nil, "Authorization", "Basic "+b64("ehrbase-user:SuperSecretPassword")); r.status != 200 {
		t.Errorf("started server: %d", r.status)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestProfiles(t *testing.T) {
	if got := strings.Join(Profiles(), ","); got != "better,dips,ehrbase,spec" {
		t.Errorf("profiles %s", got)
	}
	if p, err := LookupProfile("EHRbase"); err != nil || p.BasePath != "/ehrbase/rest/openehr/v1" {
		t.Errorf("LookupProfile: %+v %v", p, err)
	}
	for name, base := range map[string]string{"better": "/ehr/rest/openehr/v1", "dips": "/openehr/v1", "spec": "/openehr/v1"} {
		if p, _ := LookupProfile(name); p.BasePath != base {
			t.Errorf("%s base %s, want %s", name, p.BasePath, base)
		}
	}
}
