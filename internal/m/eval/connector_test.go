package eval_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// renderTenants renders the default connector for every example tenant.
func renderTenants(t testing.TB) []*render.Result {
	t.Helper()
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []*render.Result
	for _, tn := range p.Tenants {
		res, err := r.Render(tn)
		if err != nil {
			t.Fatalf("render %s: %v", tn.ID, err)
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		t.Fatal("no example tenants")
	}
	return out
}

// tenantHost serves a rendered tenant's package files and resources.
func tenantHost(t testing.TB, res *render.Result) (*eval.Host, []byte) {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Name] = f.Data
	}
	x := &extpkg.Extension{Path: res.Kind, SectionFile: res.Section, Section: files[res.Section], Files: files, Strings: map[string]string{}}
	if resx, ok := files["resources.resx"]; ok {
		s, err := extpkg.ParseResx(resx)
		if err != nil {
			t.Fatal(err)
		}
		x.Strings = s
	}
	h := &eval.Host{
		Clock:   eval.NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		NewGuid: eval.SequentialGuids(42),
	}
	x.Configure(h)
	return h, files[res.Section]
}

func loadTenant(t testing.TB, res *render.Result, h *eval.Host, src []byte) (*eval.Thread, *eval.Section) {
	t.Helper()
	th := eval.NewThread(eval.NewEnvironment(), h)
	s, err := th.LoadSectionSource(res.Section, src)
	if err != nil {
		t.Fatalf("%s: %v", res.Section, err)
	}
	return th, s
}

func member(t *testing.T, th *eval.Thread, s *eval.Section, name string) eval.Value {
	t.Helper()
	v, ok, err := s.Members.Get(th, name)
	if !ok {
		t.Fatalf("section %s has no member %s", s.Name, name)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := th.DeepForce(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// oauthFlows counts the tenants whose StartLogin/FinishLogin round trip ran.
var oauthFlows int

func TestRenderedTenants(t *testing.T) {
	oauthFlows = 0
	defer func() {
		if oauthFlows == 0 {
			t.Error("no example tenant exercised the OAuth StartLogin/FinishLogin flow")
		}
	}()
	for _, res := range renderTenants(t) {
		t.Run(res.Kind, func(t *testing.T) {
			h, src := tenantHost(t, res)
			th, s := loadTenant(t, res, h, src)
			if s.Name != res.Kind {
				t.Fatalf("section %s, want %s", s.Name, res.Kind)
			}
			if got := extpkg.Kind(s); got != res.Kind {
				t.Errorf("DataSource.Kind attribute %q, want %q", got, res.Kind)
			}
			kind, ok := member(t, th, s, res.Kind).(*eval.Record)
			if !ok {
				t.Fatalf("kind member is not a record")
			}
			authV, err := kind.Field(th, "Authentication")
			if err != nil {
				t.Fatal(err)
			}
			auth := authV.(*eval.Record)
			if auth.Len() == 0 {
				t.Fatal("Authentication record is empty")
			}
			for _, k := range auth.Names() {
				kv, _ := auth.Field(th, k)
				kr, ok := kv.(*eval.Record)
				if !ok {
					t.Fatalf("Authentication[%s] is not a record", k)
				}
				if k == "OAuth" {
					checkOAuthArity(t, th, kr)
					checkOAuthFlow(t, res, kr)
				}
			}
			// The Publish record named by the data source function's attribute.
			var publish string
			for _, a := range s.MemberAttrs {
				if p, ok := a.GetEager("Publish").(eval.Text); ok {
					publish = p.S
				}
			}
			if publish == "" {
				t.Fatal("no member has a Publish attribute")
			}
			pub := member(t, th, s, publish).(*eval.Record)
			bt, err := pub.Field(th, "ButtonText")
			if err != nil {
				t.Fatal(err)
			}
			if l, ok := bt.(*eval.List); !ok || l.Len() != 2 {
				t.Errorf("ButtonText = %s, want {title, help}", eval.Serialize(th, bt))
			}
			if img, err := pub.Field(th, "SourceImage"); err == nil {
				icons := img.(*eval.Record)
				i16, _ := icons.Field(th, "Icon16")
				first, _ := i16.(*eval.List).At(th, 0)
				png, _ := first.(eval.Binary).Force(th)
				if !strings.HasPrefix(string(png), "\x89PNG") {
					t.Errorf("Icon16 is not a PNG from Extension.Contents")
				}
			}
		})
	}
}

func checkOAuthArity(t *testing.T, th *eval.Thread, kr *eval.Record) {
	t.Helper()
	arity := map[string][]int{"StartLogin": {3, 4}, "FinishLogin": {3, 5}, "Refresh": {2, 3}, "Logout": {1, 3}}
	for name, allowed := range arity {
		v, ok, err := kr.Get(th, name)
		if !ok {
			if name == "StartLogin" || name == "FinishLogin" {
				t.Errorf("OAuth record lacks %s", name)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		f, ok := v.(*eval.Function)
		if !ok {
			t.Fatalf("%s is not a function", name)
		}
		n := len(f.Params)
		if n != allowed[0] && n != allowed[1] {
			t.Errorf("%s takes %d parameters, want %v", name, n, allowed)
		}
	}
}

// checkOAuthFlow runs StartLogin and FinishLogin in fresh evaluations, as
// Power BI does, against a mock token endpoint.
func checkOAuthFlow(t *testing.T, res *render.Result, kr *eval.Record) {
	t.Helper()
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600, "token_type": "Bearer"}`)
	}))
	defer srv.Close()
	target, _ := url.Parse(srv.URL)

	h, src := tenantHost(t, res)
	th, s := loadTenant(t, res, h, src)
	th.Anonymous = true
	start := oauthFn(t, th, s, "StartLogin")
	if len(start.Params) != 3 {
		return // the advanced (4-parameter) form needs a clientApplication
	}
	v, err := th.Call(start, eval.Str("https://cdr.example/ehrbase"), eval.Str("state-123"), eval.NullValue)
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		t.Fatalf("StartLogin: %v", err)
	}
	login := v.(*eval.Record)
	loginURI := login.GetEager("LoginUri").(eval.Text).S
	ctx := login.GetEager("Context")
	u, err := url.Parse(loginURI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("state") != "state-123" || q.Get("response_type") != "code" || q.Get("client_id") == "" || q.Get("redirect_uri") == "" {
		t.Errorf("LoginUri lacks required parameters: %s", loginURI)
	}
	if q.Get("code_challenge_method") == "S256" {
		verifier := ctx.(eval.Text).S
		sum := sha256.Sum256([]byte(verifier))
		if want := base64.RawURLEncoding.EncodeToString(sum[:]); q.Get("code_challenge") != want {
			t.Errorf("code_challenge %s, want %s (from Context)", q.Get("code_challenge"), want)
		}
	}

	// FinishLogin in a fresh evaluation: a new section instance and a
	// transport that sends the IDP's token endpoint to the mock.
	h2, _ := tenantHost(t, res)
	h2.HTTP = &http.Client{Transport: rewriteTransport{target}}
	th2, s2 := loadTenant(t, res, h2, src)
	th2.Anonymous = true
	finish := oauthFn(t, th2, s2, "FinishLogin")
	if len(finish.Params) != 3 {
		return
	}
	cb := login.GetEager("CallbackUri").(eval.Text).S + "?code=abc&state=state-123"
	tok, err := th2.Call(finish, ctx, eval.Str(cb), eval.Str("state-123"))
	if err == nil {
		err = th2.DeepForce(tok)
	}
	if err != nil {
		t.Fatalf("FinishLogin: %v", err)
	}
	at, _ := tok.(*eval.Record).Field(th2, "access_token")
	if at.(eval.Text).S != "at-1" {
		t.Errorf("token record %s", eval.Serialize(th2, tok))
	}
	if form.Get("grant_type") != "authorization_code" || form.Get("code") != "abc" {
		t.Errorf("token request form %v", form)
	}
	oauthFlows++
	if v := form.Get("code_verifier"); v != "" && v != ctx.(eval.Text).S {
		t.Errorf("code_verifier %q is not the Context %q", v, ctx.(eval.Text).S)
	}
	// A state mismatch is refused before any token request.
	form = nil
	_, err = th2.Call(finish, ctx, eval.Str(login.GetEager("CallbackUri").(eval.Text).S+"?code=abc&state=other"), eval.Str("state-123"))
	if eval.AsError(err) == nil || form != nil {
		t.Errorf("state mismatch: err %v, token request %v", err, form)
	}
}

func oauthFn(t *testing.T, th *eval.Thread, s *eval.Section, name string) *eval.Function {
	t.Helper()
	kind := member(t, th, s, s.Name).(*eval.Record)
	auth, _ := kind.Field(th, "Authentication")
	oauth, _ := auth.(*eval.Record).Field(th, "OAuth")
	f, _ := oauth.(*eval.Record).Field(th, name)
	return f.(*eval.Function)
}

// rewriteTransport sends every request to a loopback test server, keeping
// the path and query, so rendered IDP URLs reach the mock.
type rewriteTransport struct{ target *url.URL }

func (rt rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = rt.target.Scheme, rt.target.Host, rt.target.Host
	return http.DefaultTransport.RoundTrip(r2)
}

// BenchmarkLoadRenderedTenant loads a rendered tenant section and evaluates
// its kind, Authentication and Publish records.
func BenchmarkLoadRenderedTenant(b *testing.B) {
	results := renderTenants(b)
	var res *render.Result
	for _, r := range results {
		if strings.Contains(r.Kind, "Okta") {
			res = r
		}
	}
	if res == nil {
		res = results[0]
	}
	h, src := tenantHost(b, res)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		th := eval.NewThread(eval.NewEnvironment(), h)
		s, err := th.LoadSectionSource(res.Section, src)
		if err != nil {
			b.Fatal(err)
		}
		kind, _, err := s.Members.Get(th, s.Name)
		if err != nil {
			b.Fatal(err)
		}
		if err := th.DeepForce(kind); err != nil {
			b.Fatal(err)
		}
		pub, _, err := s.Members.Get(th, s.Name+".Publish")
		if err != nil {
			b.Fatal(err)
		}
		if err := th.DeepForce(pub); err != nil {
			b.Fatal(err)
		}
	}
}
