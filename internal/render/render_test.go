package render

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/project"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadDefault(t testing.TB) (*project.Project, *Renderer) {
	t.Helper()
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, r
}

func tenant(t testing.TB, p *project.Project, id string) *project.Tenant {
	for _, tn := range p.Tenants {
		if tn.ID == id {
			return tn
		}
	}
	t.Fatalf("no tenant %s", id)
	return nil
}

// TestGolden compares the rendered section document of one tenant per auth
// pattern (and broker mode) with testdata/golden. Run with -update to accept
// a deliberate change, then review the diff.
func TestGolden(t *testing.T) {
	p, r := loadDefault(t)
	for _, id := range []string{"ehrbase-basic", "better-keycloak", "code24-broker", "cadasto-vending"} {
		t.Run(id, func(t *testing.T) {
			res, err := r.Render(tenant(t, p, id))
			if err != nil {
				t.Fatal(err)
			}
			var section []byte
			for _, f := range res.Files {
				if f.Name == res.Section {
					section = f.Data
				}
			}
			golden := filepath.Join("testdata", "golden", id+".pq")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, section, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(section)); diff != "" {
				t.Errorf("rendered %s differs from %s (-want +got):\n%s", res.Section, golden, diff)
			}
		})
	}
}

func TestRenderAllTenants(t *testing.T) {
	p, r := loadDefault(t)
	if len(p.Tenants) < 5 {
		t.Fatalf("default connector has %d example tenants, want at least 5", len(p.Tenants))
	}
	patterns := map[string]bool{}
	profiles := map[string]bool{}
	for _, tn := range p.Tenants {
		res, err := r.Render(tn)
		if err != nil {
			t.Fatalf("%s: %v", tn.ID, err)
		}
		patterns[tn.Auth.Pattern] = true
		if tn.Auth.IDP != "" {
			profiles[tn.Auth.IDP] = true
		}
		names := map[string]bool{}
		for _, f := range res.Files {
			names[f.Name] = true
		}
		for _, want := range []string{res.Section, "resources.resx", "OpenEHR16.png", "OpenEHR80.png"} {
			if !names[want] {
				t.Errorf("%s: package lacks %s", tn.ID, want)
			}
		}
		section := string(res.Files[indexOf(res, res.Section)].Data)
		for _, want := range []string{
			"section " + tn.Kind + ";",
			`[DataSource.Kind = "` + tn.Kind + `"`,
			"shared " + tn.Kind + ".Contents",
			"TestConnection",
			tn.Kind + ".Publish = [",
		} {
			if !strings.Contains(section, want) {
				t.Errorf("%s: section lacks %q", tn.ID, want)
			}
		}
		if strings.Contains(section, "{{") || strings.Contains(section, "<no value>") {
			t.Errorf("%s: section has template residue", tn.ID)
		}
	}
	for _, want := range project.Patterns {
		if !patterns[want] {
			t.Errorf("no example tenant uses auth pattern %s", want)
		}
	}
	for name := range r.Profiles() {
		if !profiles[name] {
			t.Errorf("no example tenant uses IDP profile %s", name)
		}
	}
}

func indexOf(res *Result, name string) int {
	for i, f := range res.Files {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// TestResolveAuth checks how IDP profiles turn tenant values into endpoints,
// scopes and parameters.
func TestResolveAuth(t *testing.T) {
	_, r := loadDefault(t)
	for _, tc := range []struct {
		name string
		auth project.Auth
		want Auth
		err  string
	}{
		{
			name: "entra resource becomes a .default scope",
			auth: project.Auth{IDP: "entra-v2", Tenant: "contoso.onmicrosoft.com", ClientID: "c", Resource: "api://app/"},
			want: Auth{
				AuthorizeURL: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
				TokenURL:     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
				LogoutURL:    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/logout",
				Scopes:       []string{"openid", "profile", "offline_access", "api://app/.default"},
			},
		},
		{
			name: "auth0 audience is an authorize parameter",
			auth: project.Auth{IDP: "auth0", Domain: "x.eu.auth0.com", ClientID: "c", Audience: "https://api", Scopes: []string{"openid"}},
			want: Auth{
				AuthorizeURL:    "https://x.eu.auth0.com/authorize",
				TokenURL:        "https://x.eu.auth0.com/oauth/token",
				LogoutURL:       "https://x.eu.auth0.com/v2/logout",
				Scopes:          []string{"openid", "offline_access"},
				AuthorizeParams: map[string]string{"audience": "https://api"},
			},
		},
		{
			name: "keycloak realm is path-escaped",
			auth: project.Auth{IDP: "keycloak", Issuer: "https://sso.example.org/auth/", Realm: "my realm", ClientID: "c"},
			want: Auth{
				AuthorizeURL: "https://sso.example.org/auth/realms/my%20realm/protocol/openid-connect/auth",
				TokenURL:     "https://sso.example.org/auth/realms/my%20realm/protocol/openid-connect/token",
				LogoutURL:    "https://sso.example.org/auth/realms/my%20realm/protocol/openid-connect/logout",
				Scopes:       []string{"openid", "profile", "offline_access"},
			},
		},
		{
			name: "okta default authorization server",
			auth: project.Auth{IDP: "okta", Domain: "h.okta.com", ClientID: "c"},
			want: Auth{
				AuthorizeURL: "https://h.okta.com/oauth2/default/v1/authorize",
				TokenURL:     "https://h.okta.com/oauth2/default/v1/token",
				LogoutURL:    "https://h.okta.com/oauth2/default/v1/logout",
				Scopes:       []string{"openid", "profile", "offline_access"},
			},
		},
		{
			name: "generic-oidc resource indicator on both requests",
			auth: project.Auth{IDP: "generic-oidc", AuthorizeURL: "https://i/a", TokenURL: "https://i/t", ClientID: "c", Resource: "https://r"},
			want: Auth{
				AuthorizeURL:    "https://i/a",
				TokenURL:        "https://i/t",
				Scopes:          []string{"openid", "profile", "offline_access"},
				AuthorizeParams: map[string]string{"resource": "https://r"},
				TokenParams:     map[string]string{"resource": "https://r"},
			},
		},
		{name: "unknown profile", auth: project.Auth{IDP: "nope", ClientID: "c"}, err: `unknown IDP profile "nope" (known: auth0, entra-v2, generic-oidc, keycloak, okta)`},
		{name: "missing realm", auth: project.Auth{IDP: "keycloak", Issuer: "https://s", ClientID: "c"}, err: "IDP profile keycloak needs auth.realm"},
		{name: "domain with scheme", auth: project.Auth{IDP: "auth0", Domain: "https://x.auth0.com", ClientID: "c"}, err: `auth.domain "https://x.auth0.com" must be a host name`},
		{name: "realm with slash", auth: project.Auth{IDP: "keycloak", Issuer: "https://s", Realm: "a/b", ClientID: "c"}, err: `auth.realm "a/b" must be a single path segment`},
		{name: "entra with audience", auth: project.Auth{IDP: "entra-v2", Tenant: "t", ClientID: "c", Audience: "x"}, err: "use auth.resource"},
		{name: "keycloak with audience", auth: project.Auth{IDP: "keycloak", Issuer: "https://s", Realm: "r", ClientID: "c", Audience: "x"}, err: "has no audience request parameter"},
		{name: "param of another profile", auth: project.Auth{IDP: "auth0", Domain: "d.com", Realm: "r", ClientID: "c"}, err: "auth.realm is not used by IDP profile auth0"},
		{name: "generic without endpoints", auth: project.Auth{IDP: "generic-oidc", ClientID: "c"}, err: "set auth.authorize_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := &project.Tenant{ID: "t", DisplayName: "T", File: "t.yaml", Auth: tc.auth}
			tn.Auth.Pattern = "oauth-pkce"
			got, errs := resolveAuth(tn, r.Profiles())
			if tc.err != "" {
				if len(errs) == 0 || !strings.Contains(errs.Error(), tc.err) {
					t.Fatalf("got errors %v, want one containing %q", errs, tc.err)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if tc.want.AuthorizeParams == nil {
				tc.want.AuthorizeParams = map[string]string{}
			}
			if tc.want.TokenParams == nil {
				tc.want.TokenParams = map[string]string{}
			}
			got.Pattern, got.Profile, got.ClientID, got.RedirectURI, got.Label = "", "", "", "", ""
			got.UsernameLabel, got.PasswordLabel, got.BrokerMode = "", "", ""
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestProjectTemplatesOverride checks that a project's templates folder can
// add an IDP profile and replace an auth template.
func TestProjectTemplatesOverride(t *testing.T) {
	fsys := fstest.MapFS{
		"connector.yaml":         {Data: []byte("name: X\nversion: 1.0.0\nkind: X\nsection: X.pq.tmpl\ntemplates: tpl\n")},
		"X.pq.tmpl":              {Data: []byte("section {{.Kind}};\n{{template \"auth\" .}}\n")},
		"tpl/auth/basic.pq.tmpl": {Data: []byte("Custom = {{mtext .Auth.Label}};\n")},
		"tpl/idp/corp.yaml": {Data: []byte("name: corp\ntitle: Corp\nparams: {domain: {kind: host}}\n" +
			"authorize_url: \"https://{domain}/a\"\ntoken_url: \"https://{domain}/t\"\naudience: none\noffline: none\n")},
		"tenants/a.yaml": {Data: []byte("id: a\ndisplay_name: A \"quoted\"\nbase_url: https://a.example.org/v1\nvendor: generic\nauth: {pattern: basic}\n")},
		"tenants/b.yaml": {Data: []byte("id: b\ndisplay_name: B\nbase_url: https://b.example.org/v1\nvendor: generic\n" +
			"auth: {pattern: oauth-pkce, idp: corp, domain: login.corp.example, client_id: c}\n")},
	}
	p, err := project.Load(fsys, "p")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(p.Tenants[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(res.Files[0].Data), "section XA;\nCustom = \"A \"\"quoted\"\"\";\n\n"; got != want {
		t.Errorf("custom basic template rendered %q, want %q", got, want)
	}
	res, err = r.Render(p.Tenants[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Files[0].Data), `AuthorizeUrl = "https://login.corp.example/a";`) {
		t.Errorf("project IDP profile not applied:\n%s", res.Files[0].Data)
	}
}

func TestTemplateErrorsNameTheTemplate(t *testing.T) {
	fsys := fstest.MapFS{
		"connector.yaml": {Data: []byte("name: X\nversion: 1.0.0\nkind: X\nsection: X.pq.tmpl\n")},
		"X.pq.tmpl":      {Data: []byte("section {{.Kind}};\nBad = {{mtext .Tenant.NoSuchField}};\n{{template \"auth\" .}}\n")},
		"tenants/a.yaml": {Data: []byte("id: a\ndisplay_name: A\nbase_url: https://a.example.org/v1\nvendor: generic\nauth: {pattern: basic}\n")},
	}
	p, err := project.Load(fsys, "p")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Render(p.Tenants[0])
	if err == nil || !strings.Contains(err.Error(), "p/X.pq.tmpl:2:") || !strings.Contains(err.Error(), "tenant a (p/tenants/a.yaml)") {
		t.Fatalf("error %v should name the template line and the tenant file", err)
	}
}
